//! What the AWS SDK is given before it is built, checked first: the shared config and credentials files
//! (the SDK reads them whole, so `/dev/zero` there eats memory and a FIFO hangs the run), the endpoint
//! override (a malformed one makes the SDK fail each call with its request struct), and the profiles the
//! orgs name (a missing one would otherwise surface as an unreachable network).

use std::io::Read as _;
use std::path::{Path, PathBuf};

/// A shared AWS file larger than this is not a config file: refused before anything reads it.
pub const MAX_SHARED_FILE_BYTES: u64 = 1024 * 1024;

/// Something about the AWS setup that makes every call pointless, said before any is made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct SetupError {
    pub message: String,
    pub hint: Option<String>,
}

/// One of the shared files the SDK reads, and the environment variable that can move it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SharedFile {
    pub path: PathBuf,
    pub variable: &'static str,
    /// Named by the variable, not the default under the home directory.
    pub from_variable: bool,
}

/// The shared config and credentials files, where the SDK looks for them: `AWS_CONFIG_FILE` and
/// `AWS_SHARED_CREDENTIALS_FILE`, else `~/.aws/config` and `~/.aws/credentials`.
pub fn shared_files() -> Vec<SharedFile> {
    let home = std::env::var_os("HOME")
        .filter(|home| !home.is_empty())
        .map(PathBuf::from)
        .or_else(dirs::home_dir);
    [
        ("AWS_CONFIG_FILE", "config"),
        ("AWS_SHARED_CREDENTIALS_FILE", "credentials"),
    ]
    .into_iter()
    .filter_map(|(variable, name)| {
        match std::env::var_os(variable).filter(|path| !path.is_empty()) {
            Some(path) => Some(SharedFile {
                path: expand_home(PathBuf::from(path), home.as_deref()),
                variable,
                from_variable: true,
            }),
            None => home.as_ref().map(|home| SharedFile {
                path: home.join(".aws").join(name),
                variable,
                from_variable: false,
            }),
        }
    })
    .collect()
}

/// The SDK expands a leading `~/` in these variables.
fn expand_home(path: PathBuf, home: Option<&Path>) -> PathBuf {
    match (path.strip_prefix("~"), home) {
        (Ok(rest), Some(home)) => home.join(rest),
        _ => path,
    }
}

/// Each shared file that exists is a regular file of at most `MAX_SHARED_FILE_BYTES`. One that does not
/// exist is fine: the SDK then has no profiles from it.
pub fn check_shared_files(files: &[SharedFile]) -> Result<(), SetupError> {
    for file in files {
        // `metadata` follows links, as the SDK's read does, and never opens: opening a FIFO blocks.
        let Ok(metadata) = std::fs::metadata(&file.path) else {
            continue;
        };
        let named = named(file);
        // `/dev/null` is the usual way to give the SDK no file at all: it reads as empty.
        if !metadata.is_file() && file.path != Path::new("/dev/null") {
            return Err(SetupError {
                message: format!("{named} is not a regular file"),
                hint: Some(format!(
                    "point {} at an AWS {} file, or unset it",
                    file.variable,
                    kind(file)
                )),
            });
        }
        if metadata.len() > MAX_SHARED_FILE_BYTES {
            return Err(SetupError {
                message: format!(
                    "{named} is {} bytes, more than an AWS {} file holds (at most {MAX_SHARED_FILE_BYTES} bytes)",
                    metadata.len(),
                    kind(file)
                ),
                hint: Some(format!(
                    "point {} at an AWS {} file, or unset it",
                    file.variable,
                    kind(file)
                )),
            });
        }
    }
    Ok(())
}

fn named(file: &SharedFile) -> String {
    if file.from_variable {
        format!("{} ({})", file.path.display(), file.variable)
    } else {
        file.path.display().to_string()
    }
}

fn kind(file: &SharedFile) -> &'static str {
    if file.variable == "AWS_CONFIG_FILE" {
        "config"
    } else {
        "credentials"
    }
}

/// `--endpoint-url` (or AWS_ENDPOINT_URL) must be an absolute http(s) URL with a host.
pub fn check_endpoint_url(url: &str, source: &str) -> Result<(), SetupError> {
    let refuse = |why: &str| SetupError {
        message: format!("{source} {url:?} is not a URL: {why}"),
        hint: Some("give the endpoint's full URL, e.g. http://localhost:4566".into()),
    };
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or_else(|| refuse("it must start with http:// or https://"))?;
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(refuse("it holds whitespace"));
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host_and_port = authority.rsplit('@').next().unwrap_or_default();
    let (host, port) = if let Some(bracketed) = host_and_port.strip_prefix('[') {
        match bracketed.split_once(']') {
            Some((host, port)) => (host, port.strip_prefix(':')),
            None => return Err(refuse("an IPv6 host needs its closing `]`")),
        }
    } else {
        match host_and_port.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (host_and_port, None),
        }
    };
    let host_ok = if host_and_port.starts_with('[') {
        !host.is_empty()
            && host
                .chars()
                .all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.')
    } else {
        !host.is_empty()
            && host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
    };
    if !host_ok {
        return Err(refuse("it has no valid host name"));
    }
    if let Some(port) = port
        && port.parse::<u16>().is_err()
    {
        return Err(refuse("its port is not a number from 0 to 65535"));
    }
    Ok(())
}

/// A profile an org names exists in the shared config file (`[profile NAME]`, or `[default]`) or the
/// credentials file (`[NAME]`). Files that are missing hold no profiles; `check_shared_files` has already
/// refused any that is not a small regular file.
pub fn check_profile(profile: &str, files: &[SharedFile]) -> Result<(), SetupError> {
    let mut looked_in = Vec::new();
    for file in files {
        looked_in.push(named(file));
        if let Some(text) = read_small(&file.path)
            && declares_profile(&text, profile, file.variable == "AWS_CONFIG_FILE")
        {
            return Ok(());
        }
    }
    Err(SetupError {
        message: format!(
            "AWS profile `{}` does not exist (looked in {})",
            profile.escape_debug(),
            if looked_in.is_empty() {
                "no file: there is no home directory and AWS_CONFIG_FILE is not set".into()
            } else {
                looked_in.join(" and ")
            }
        ),
        hint: Some(format!(
            "add a [profile {0}] section to the config file (`aws configure --profile {0}`), or name a profile that exists",
            profile.escape_debug()
        )),
    })
}

fn read_small(path: &Path) -> Option<String> {
    if !std::fs::metadata(path).ok()?.is_file() {
        return None;
    }
    let mut text = String::new();
    std::fs::File::open(path)
        .ok()?
        .take(MAX_SHARED_FILE_BYTES)
        .read_to_string(&mut text)
        .ok()?;
    Some(text)
}

fn declares_profile(text: &str, profile: &str, config_file: bool) -> bool {
    text.lines().any(|line| {
        let line = line.trim();
        let Some(section) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) else {
            return false;
        };
        let section = section.trim();
        let name = match section.strip_prefix("profile") {
            Some(rest) if rest.starts_with(char::is_whitespace) => rest.trim(),
            _ if config_file && section != "default" => return false,
            _ => section,
        };
        name == profile
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &Path, variable: &'static str) -> SharedFile {
        SharedFile {
            path: path.to_path_buf(),
            variable,
            from_variable: true,
        }
    }

    #[test]
    fn a_device_a_fifo_or_a_huge_file_is_refused_naming_it() {
        let error =
            check_shared_files(&[file(Path::new("/dev/zero"), "AWS_CONFIG_FILE")]).unwrap_err();
        assert_eq!(
            error.message,
            "/dev/zero (AWS_CONFIG_FILE) is not a regular file"
        );
        let dir = tempfile::tempdir().unwrap();
        let big = dir.path().join("credentials");
        std::fs::write(&big, vec![b'#'; MAX_SHARED_FILE_BYTES as usize + 1]).unwrap();
        let error = check_shared_files(&[file(&big, "AWS_SHARED_CREDENTIALS_FILE")]).unwrap_err();
        assert!(
            error.message.starts_with(&format!(
                "{} (AWS_SHARED_CREDENTIALS_FILE) is 1048577 bytes",
                big.display()
            )),
            "{}",
            error.message
        );
        let small = dir.path().join("config");
        std::fs::write(&small, "[default]\nregion = us-east-1\n").unwrap();
        let missing = dir.path().join("missing");
        check_shared_files(&[
            file(&small, "AWS_CONFIG_FILE"),
            file(Path::new("/dev/null"), "AWS_CONFIG_FILE"),
            file(&missing, "AWS_SHARED_CREDENTIALS_FILE"),
        ])
        .unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn a_fifo_is_refused_without_opening_it() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("config");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(made.success());
        let error = check_shared_files(&[file(&fifo, "AWS_CONFIG_FILE")]).unwrap_err();
        assert!(error.message.ends_with("is not a regular file"), "{error}");
    }

    #[test]
    fn endpoint_urls_are_checked_for_a_scheme_and_a_host() {
        for good in [
            "http://localhost:4566",
            "https://cloudformation.us-east-1.amazonaws.com/",
            "http://127.0.0.1:5000/path",
            "http://[::1]:4566",
        ] {
            check_endpoint_url(good, "--endpoint-url").unwrap();
        }
        for (bad, why) in [
            ("not a url", "it must start with http:// or https://"),
            ("http//x", "it must start with http:// or https://"),
            ("http://", "it has no valid host name"),
            ("http://a b", "it holds whitespace"),
            ("http://x:port", "its port is not a number from 0 to 65535"),
        ] {
            let error = check_endpoint_url(bad, "--endpoint-url").unwrap_err();
            assert_eq!(
                error.message,
                format!("--endpoint-url {bad:?} is not a URL: {why}")
            );
        }
    }

    #[test]
    fn a_profile_exists_in_either_file_or_the_error_names_both() {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("config");
        let credentials = dir.path().join("credentials");
        std::fs::write(
            &config,
            "[default]\nregion = us-east-1\n[profile work]\nrole_arn = x\n[personal]\n",
        )
        .unwrap();
        std::fs::write(&credentials, "[keys]\naws_access_key_id = x\n").unwrap();
        let files = [
            file(&config, "AWS_CONFIG_FILE"),
            file(&credentials, "AWS_SHARED_CREDENTIALS_FILE"),
        ];
        for exists in ["default", "work", "keys"] {
            check_profile(exists, &files).unwrap();
        }
        // `[personal]` in the config file is not a profile to the SDK: it wants `[profile personal]`.
        let error = check_profile("personal", &files).unwrap_err();
        assert_eq!(
            error.message,
            format!(
                "AWS profile `personal` does not exist (looked in {} (AWS_CONFIG_FILE) and {} (AWS_SHARED_CREDENTIALS_FILE))",
                config.display(),
                credentials.display()
            )
        );
    }
}
