//! The saved plan (`plan --out FILE`, `apply FILE`): its format, written atomically with racks.toml's
//! absolute path (`apply FILE` may run in another directory), and read back with its format version checked.
//! Whether a saved plan still holds is `staleness.rs`'s question.

use std::path::Path;

use super::Plan;

/// The saved plan's format; `plan --json` and `status --json` carry it too.
pub const FORMAT_VERSION: &str = "1";

/// A saved plan holds at most a few MB (local template bodies are at most 51,200 bytes each).
const MAX_SAVED_PLAN_BYTES: usize = 64 * 1024 * 1024;

/// Why a file is not a plan this rackfile can apply.
#[derive(Debug, thiserror::Error)]
pub enum PlanFileError {
    #[error("{0}")]
    Unreadable(std::io::Error),
    #[error("not UTF-8 text")]
    NotUtf8,
    #[error("not a saved plan: {0}")]
    NotAPlan(String),
    #[error("made by a rackfile with plan format {0}; this one reads format {FORMAT_VERSION}")]
    OtherFormat(String),
}

/// Why `path` may not take a saved plan: only a regular file is written (or created), never a link, a
/// device (as root, renaming a plan over `/dev/stdout` replaces the device), a FIFO or a directory; and
/// never one of `protected` (racks.toml, the racks' templates), a hard link to one included.
pub fn refuse_out_path(path: &Path, protected: &[(&Path, &str)]) -> Result<(), String> {
    let existing = match std::fs::symlink_metadata(path) {
        Ok(metadata) => metadata,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(error) => return Err(format!("cannot read what is there: {error}")),
    };
    let kind = existing.file_type();
    if !kind.is_file() {
        let what = if kind.is_symlink() {
            "a symbolic link"
        } else if kind.is_dir() {
            "a directory"
        } else {
            "a device, FIFO or socket"
        };
        return Err(format!(
            "that is {what}; a plan is saved only to a regular file (or a new one)"
        ));
    }
    for (file, what) in protected {
        if std::fs::metadata(file).is_ok_and(|metadata| same_file(&existing, &metadata)) {
            return Err(format!("that is {what}; the plan would overwrite it"));
        }
    }
    Ok(())
}

#[cfg(unix)]
fn same_file(a: &std::fs::Metadata, b: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::MetadataExt;
    a.dev() == b.dev() && a.ino() == b.ino()
}

#[cfg(not(unix))]
fn same_file(a: &std::fs::Metadata, b: &std::fs::Metadata) -> bool {
    a.len() == b.len() && a.modified().ok() == b.modified().ok()
}

/// Saves the plan as `document` writes it (the JSON view, `render::json_plan`: the saved plan is `plan
/// --json`'s document, words included) and returns it as saved (racks.toml's path made absolute), which is
/// what `plan --out` prints, so that `rackfile show` of the file prints the same bytes.
pub fn save(plan: &Plan, path: &Path, document: fn(&Plan) -> String) -> std::io::Result<Plan> {
    let mut saved = plan.clone();
    saved.racks_file.path = std::path::absolute(&saved.racks_file.path)?
        .display()
        .to_string();
    crate::atomic_file::write(path, document(&saved).as_bytes())?;
    Ok(saved)
}

pub fn load(path: &Path) -> Result<Plan, PlanFileError> {
    let bytes = crate::config::read_regular_file(path, MAX_SAVED_PLAN_BYTES)
        .map_err(PlanFileError::Unreadable)?;
    let text = String::from_utf8(bytes).map_err(|_| PlanFileError::NotUtf8)?;
    let value: serde_json::Value =
        serde_json::from_str(&text).map_err(|error| PlanFileError::NotAPlan(error.to_string()))?;
    match value.get("format_version").and_then(|v| v.as_str()) {
        Some(FORMAT_VERSION) => {}
        Some(other) => return Err(PlanFileError::OtherFormat(other.to_string())),
        None => return Err(PlanFileError::NotAPlan("no format_version".into())),
    }
    serde_json::from_value(value).map_err(|error| PlanFileError::NotAPlan(error.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_of_another_format_or_none_is_refused_with_why() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("racks.plan");
        let refusal = |text: &str| {
            std::fs::write(&path, text).unwrap();
            load(&path).unwrap_err().to_string()
        };
        assert_eq!(
            refusal(r#"{"format_version": "2"}"#),
            "made by a rackfile with plan format 2; this one reads format 1"
        );
        assert_eq!(refusal("{}"), "not a saved plan: no format_version");
        assert!(refusal("racks").starts_with("not a saved plan: expected value"));
        std::fs::write(&path, [0xff, 0xfe]).unwrap();
        assert_eq!(load(&path).unwrap_err().to_string(), "not UTF-8 text");
    }
}
