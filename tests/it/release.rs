//! The release pipeline's dry run: `.github/workflows/release.yml` builds every target the installer can
//! choose, with a checksum for each archive, and the installer (scripts/install.sh) installs from a release
//! only what its checksum vouches for. The installer runs here for real, against a local release directory.

use std::path::Path;
use std::process::Command;

use crate::common::repo_root;

/// The target triple the installer picks on this machine, as its `uname` mapping does.
fn host_target() -> String {
    let os = match std::env::consts::OS {
        "linux" => "unknown-linux-gnu",
        "macos" => "apple-darwin",
        other => panic!("no prebuilt rackfile for {other}"),
    };
    format!("{}-{os}", std::env::consts::ARCH)
}

#[test]
fn the_release_workflow_builds_every_installer_target_with_checksums() {
    let text = std::fs::read_to_string(repo_root().join(".github/workflows/release.yml")).unwrap();
    let workflow: serde_json::Value = serde_yaml_ng::from_str(&text).unwrap();
    let jobs = &workflow["jobs"];
    let mut targets: Vec<&str> = jobs["build-local-artifacts"]["strategy"]["matrix"]["include"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| entry["target"].as_str().unwrap())
        .collect();
    targets.sort();
    assert_eq!(
        targets,
        [
            "aarch64-apple-darwin",
            "aarch64-unknown-linux-gnu",
            "x86_64-apple-darwin",
            "x86_64-unknown-linux-gnu",
        ]
    );
    let steps = |job: &str| -> String {
        jobs[job]["steps"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|step| step["run"].as_str())
            .collect::<Vec<_>>()
            .join("\n")
    };
    let build = steps("build-local-artifacts");
    assert!(build.contains("cargo build --release --locked --target ${{ matrix.target }}"));
    assert!(build.contains(r#"tar -czf "dist/$name.tar.gz""#), "{build}");
    assert!(build.contains(r#"> "$name.tar.gz.sha256""#), "{build}");
    let global = steps("build-global-artifacts");
    assert!(global.contains("s|@BASE_URL@|$base|"), "{global}");
    assert!(global.contains("sha256.sum"), "{global}");
    assert!(steps("host").contains("gh release create"));
    let installer = std::fs::read_to_string(repo_root().join("scripts/install.sh")).unwrap();
    assert!(installer.contains(r#"archive="rackfile-$target.tar.gz""#));
}

/// A release directory as the workflow lays it out, holding for this machine's target a `rackfile` that
/// prints `message`.
fn local_release(dir: &Path, message: &str) {
    let target = host_target();
    let folder = dir.join("build").join(format!("rackfile-{target}"));
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(
        folder.join("rackfile"),
        format!("#!/bin/sh\necho '{message}'\n"),
    )
    .unwrap();
    let archive = format!("rackfile-{target}.tar.gz");
    let status = Command::new("tar")
        .args([
            "-czf",
            &format!("../{archive}"),
            &format!("rackfile-{target}"),
        ])
        .current_dir(dir.join("build"))
        .status()
        .unwrap();
    assert!(status.success());
    let sum = Command::new("sha256sum")
        .arg(&archive)
        .current_dir(dir)
        .output()
        .unwrap();
    std::fs::write(dir.join(format!("{archive}.sha256")), sum.stdout).unwrap();
}

fn install(release: &Path, into: &Path) -> std::process::Output {
    Command::new("sh")
        .arg(repo_root().join("scripts/install.sh"))
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap())
        .env("HOME", into)
        .env(
            "RACKFILE_INSTALL_BASE_URL",
            format!("file://{}", release.display()),
        )
        .env("RACKFILE_INSTALL_DIR", into.join("bin"))
        .output()
        .unwrap()
}

#[test]
fn the_installer_installs_what_the_checksum_vouches_for_and_nothing_else() {
    let release = tempfile::tempdir().unwrap();
    local_release(release.path(), "rackfile from the release");
    let home = tempfile::tempdir().unwrap();
    let output = install(release.path(), home.path());
    assert!(output.status.success(), "{output:?}");
    let installed = home.path().join("bin/rackfile");
    let ran = Command::new(&installed).output().unwrap();
    assert_eq!(
        String::from_utf8_lossy(&ran.stdout),
        "rackfile from the release\n"
    );

    // An archive that is not the one its checksum names is refused, and the installed rackfile stays.
    local_release(release.path(), "a tampered rackfile");
    let archive = format!("rackfile-{}.tar.gz", host_target());
    std::fs::write(
        release.path().join(format!("{archive}.sha256")),
        format!("{}  {archive}\n", "0".repeat(64)),
    )
    .unwrap();
    let output = install(release.path(), home.path());
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("checksum mismatch") && stderr.contains("nothing installed"),
        "{stderr}"
    );
    let ran = Command::new(&installed).output().unwrap();
    assert_eq!(
        String::from_utf8_lossy(&ran.stdout),
        "rackfile from the release\n"
    );
}
