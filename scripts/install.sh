#!/bin/sh
# rackfile's installer, published beside each release's binaries as rackfile-installer.sh:
#
#   curl --proto '=https' --tlsv1.2 -LsSf https://github.com/OWNER/rackfile/releases/download/vX.Y.Z/rackfile-installer.sh | sh
#
# It picks the archive for this machine (Linux x86_64/aarch64, macOS x86_64/arm64), downloads it with its
# .sha256, refuses it unless the checksum matches, and puts `rackfile` in $RACKFILE_INSTALL_DIR (default
# ~/.local/bin). The release workflow (.github/workflows/release.yml) writes the release's own download URL
# over @BASE_URL@; RACKFILE_INSTALL_BASE_URL overrides it (a mirror, or a local directory in the tests).
# POSIX sh, so it runs where bash does not.
set -eu

base_url="${RACKFILE_INSTALL_BASE_URL:-@BASE_URL@}"
install_dir="${RACKFILE_INSTALL_DIR:-$HOME/.local/bin}"

fail() {
    echo "rackfile-installer: $*" >&2
    exit 1
}

case "$(uname -s)" in
    Linux) os=unknown-linux-gnu ;;
    Darwin) os=apple-darwin ;;
    *) fail "no prebuilt rackfile for $(uname -s); install from source: cargo install --locked --git <repository>" ;;
esac
case "$(uname -m)" in
    x86_64 | amd64) arch=x86_64 ;;
    aarch64 | arm64) arch=aarch64 ;;
    *) fail "no prebuilt rackfile for $(uname -m)" ;;
esac
target="$arch-$os"
archive="rackfile-$target.tar.gz"

download() {
    if command -v curl >/dev/null 2>&1; then
        curl --proto '=https,file' -fsSL "$1" -o "$2"
    elif command -v wget >/dev/null 2>&1; then
        wget -q "$1" -O "$2"
    else
        fail "needs curl or wget to download $1"
    fi
}

sha256() {
    if command -v sha256sum >/dev/null 2>&1; then
        sha256sum "$1" | cut -d' ' -f1
    elif command -v shasum >/dev/null 2>&1; then
        shasum -a 256 "$1" | cut -d' ' -f1
    else
        fail "needs sha256sum or shasum to check the download"
    fi
}

scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT INT TERM
download "$base_url/$archive" "$scratch/$archive" || fail "could not download $base_url/$archive"
download "$base_url/$archive.sha256" "$scratch/$archive.sha256" || fail "could not download $base_url/$archive.sha256"
expected="$(cut -d' ' -f1 <"$scratch/$archive.sha256")"
actual="$(sha256 "$scratch/$archive")"
[ "$expected" = "$actual" ] || fail "checksum mismatch for $archive: expected $expected, got $actual; nothing installed"
tar -xzf "$scratch/$archive" -C "$scratch"
[ -f "$scratch/rackfile-$target/rackfile" ] || fail "$archive holds no rackfile-$target/rackfile"
mkdir -p "$install_dir"
# Copied beside, then renamed: a rackfile running from install_dir is never half overwritten.
cp "$scratch/rackfile-$target/rackfile" "$install_dir/.rackfile.new"
chmod 755 "$install_dir/.rackfile.new"
mv "$install_dir/.rackfile.new" "$install_dir/rackfile"
echo "installed rackfile ($target) to $install_dir/rackfile"
case ":$PATH:" in
    *":$install_dir:"*) ;;
    *) echo "add $install_dir to PATH to run it" ;;
esac
