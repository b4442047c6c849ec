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
    /// A plan of this format saved before the plan carried as data what it once carried only in words
    /// (the reasons, causes and findings): the words cannot be read back into the data.
    #[error(
        "saved by an earlier rackfile, whose plans keep in words what this one reads as data ({0}); make the plan again"
    )]
    Earlier(String),
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
    if let Some(missing) = words_without_data(&value) {
        return Err(PlanFileError::Earlier(missing));
    }
    serde_json::from_value(value).map_err(|error| {
        let error = error.to_string();
        if error.starts_with("missing field") {
            PlanFileError::Earlier(error)
        } else {
            PlanFileError::NotAPlan(error)
        }
    })
}

/// Words an earlier rackfile saved without the data this one reads them from, which loading would drop
/// silently (they are optional): a rack's `notes` or `warnings`, a change's `reach`.
fn words_without_data(value: &serde_json::Value) -> Option<String> {
    const PAIRS: [(&str, &str); 3] = [
        ("notes", "note_data"),
        ("warnings", "warning_data"),
        ("reach", "reached"),
    ];
    match value {
        serde_json::Value::Object(object) => PAIRS
            .iter()
            .find(|(words, data)| object.contains_key(*words) && !object.contains_key(*data))
            .map(|(words, data)| format!("`{words}` without `{data}`"))
            .or_else(|| object.values().find_map(words_without_data)),
        serde_json::Value::Array(items) => items.iter().find_map(words_without_data),
        _ => None,
    }
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
        // A rack blocked in a plan saved before the reasons were data: only the words, which are not read.
        let earlier = serde_json::json!({
            "format_version": "1",
            "racks_file": {"path": "racks.toml", "sha256": "0"},
            "accounts": [],
            "racks": [{
                "rack": "personal/web", "org": "personal", "name": "web", "region": "us-east-1",
                "account_id": "123456789012", "action": "blocked", "kind": "install_only",
                "status": "CREATE_COMPLETE", "stack": null,
                "reason": "Private is set at install only"
            }],
            "undeclared": []
        });
        assert_eq!(
            refusal(&earlier.to_string()),
            "saved by an earlier rackfile, whose plans keep in words what this one reads as data (missing field `parameters`); make the plan again"
        );
        // Optional words whose data an earlier rackfile did not save: refused, not loaded without them.
        let mut noted = earlier.clone();
        noted["racks"][0]["action"] = "unchanged".into();
        noted["racks"][0]["notes"] = serde_json::json!(["a note the reviewer read"]);
        assert_eq!(
            refusal(&noted.to_string()),
            "saved by an earlier rackfile, whose plans keep in words what this one reads as data (`notes` without `note_data`); make the plan again"
        );
        assert!(refusal("racks").starts_with("not a saved plan: expected value"));
        std::fs::write(&path, [0xff, 0xfe]).unwrap();
        assert_eq!(load(&path).unwrap_err().to_string(), "not UTF-8 text");
    }
}

/// A saved plan (`plan --json`) keeps the plan's data beside the views' words, and loads back to the same
/// plan: why a rack is blocked, and the hold reasons made of data.
#[cfg(test)]
mod saved {
    use crate::plan::change_set::{ChangeSetFinding, ResourceHold};
    use crate::plan::diff::test_support::*;
    use crate::plan::drift::DriftUnchecked;

    fn every_why() -> Vec<BlockedWhy> {
        let rule = RuleImpact {
            effect: crate::convox::Effect::InstallOnly,
            source: "convox/rack#2975".into(),
            rule: crate::convox::Rule::Private,
            at_a_time: None,
        };
        vec![
            BlockedWhy::Deleting,
            BlockedWhy::FailedInstall,
            BlockedWhy::RollbackFailed,
            BlockedWhy::DeleteFailed,
            BlockedWhy::InstallOnly {
                parameters: vec![InstallOnlyChange {
                    parameter: "Private".into(),
                    live: "No".into(),
                    declared: "Yes".into(),
                    rule,
                }],
            },
            BlockedWhy::Downgrade {
                declared: "1".into(),
                live: "2".into(),
            },
            BlockedWhy::Protected {
                operation: Deletion::Uninstall,
            },
            BlockedWhy::Protected {
                operation: Deletion::Reinstall,
            },
            BlockedWhy::NlbDeletionProtection {
                parameter: "NLBDeletionProtection".into(),
                value: "Yes".into(),
            },
            BlockedWhy::NotARack {
                stack_name: "example".into(),
            },
            BlockedWhy::Preflight,
            BlockedWhy::ChangeSet {
                change_set: "rackfile-1".into(),
                error: "AccessDenied: no".into(),
            },
            BlockedWhy::Other,
        ]
    }

    fn saved_and_loaded(plan: &Plan) -> (serde_json::Value, Plan) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("racks.plan");
        let text = crate::render::json_plan(plan);
        std::fs::write(&path, &text).unwrap();
        let loaded = super::load(&path).unwrap();
        (serde_json::from_str(&text).unwrap(), loaded)
    }

    #[test]
    fn every_blocked_rack_loads_back_from_its_saved_plan_as_planned() {
        let mut plan = plan_of(rack(), vec![stack("DELETE_FAILED")]).unwrap();
        let steps = [
            None,
            Some(StepOf {
                number: 2,
                count: 3,
                version: "20240101".into(),
            }),
        ];
        for why in every_why() {
            for step in steps.clone() {
                let blocked = Blocked {
                    why: why.clone(),
                    status: Some(StackStatus::parse("UPDATE_COMPLETE")),
                    step,
                };
                plan.racks[0].action = Action::Blocked(blocked.clone());
                let (saved, loaded) = saved_and_loaded(&plan);
                assert_eq!(loaded, plan, "{blocked:?}");
                assert_eq!(
                    saved["racks"][0]["reason"],
                    crate::render::blocked::reason(&blocked, &[]),
                    "the words stay beside the data"
                );
            }
        }
    }

    #[test]
    fn a_blocked_rack_says_kind_status_and_reason_first_then_the_facts() {
        let declared = rack();
        let plan = plan_of(declared, vec![stack("UPDATE_COMPLETE")]).unwrap();
        let mut plan = plan;
        plan.racks[0].action = Action::Blocked(Blocked {
            why: BlockedWhy::Downgrade {
                declared: "1".into(),
                live: "2".into(),
            },
            status: Some(StackStatus::parse("UPDATE_COMPLETE")),
            step: Some(StepOf {
                number: 1,
                count: 2,
                version: "1".into(),
            }),
        });
        let (saved, _) = saved_and_loaded(&plan);
        let keys: Vec<&str> = saved["racks"][0]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        let from_action = keys.iter().position(|key| *key == "action").unwrap();
        assert_eq!(
            keys[from_action..from_action + 8],
            [
                "action", "kind", "status", "reason", "declared", "live", "step", "stack"
            ]
        );
    }

    #[test]
    fn hold_reasons_made_of_data_load_back_beside_their_words() {
        let mut plan = plan_of(rack(), vec![stack("UPDATE_COMPLETE")]).unwrap();
        let step = Some(StepRef {
            number: 2,
            version: "3".into(),
        });
        plan.racks[0].hold = vec![
            HoldReason::ChangeSet {
                step: step.clone(),
                logical_id: None,
                finding: ChangeSetFinding::NotMade,
            },
            HoldReason::ChangeSet {
                step: None,
                logical_id: None,
                finding: ChangeSetFinding::Failed {
                    error: "AccessDenied: no".into(),
                },
            },
            HoldReason::ChangeSet {
                step,
                logical_id: Some("Instances".into()),
                finding: ChangeSetFinding::Resource {
                    action: "Modify".into(),
                    holds: ResourceHold::ConditionalReplacement,
                },
            },
            HoldReason::DriftNotChecked {
                why: DriftUnchecked::Busy {
                    status: "UPDATE_IN_PROGRESS".into(),
                },
            },
            HoldReason::DriftNotChecked {
                why: DriftUnchecked::Failed {
                    error: "Throttling".into(),
                },
            },
            HoldReason::DriftNotChecked {
                why: DriftUnchecked::TimedOut { after_seconds: 300 },
            },
        ];
        let (saved, loaded) = saved_and_loaded(&plan);
        assert_eq!(loaded, plan);
        let hold = &saved["racks"][0]["hold"];
        assert_eq!(
            hold[2],
            serde_json::json!({"kind": "change_set", "step": {"number": 2, "version": "3"},
                "logical_id": "Instances", "finding": "resource", "action": "Modify",
                "holds": "conditional_replacement", "says": "Modify Replacement Conditional"})
        );
        assert_eq!(
            hold[3],
            serde_json::json!({"kind": "drift_not_checked", "detection": "busy",
                "status": "UPDATE_IN_PROGRESS", "reason": "the stack is UPDATE_IN_PROGRESS"})
        );
        let keys: Vec<&str> = hold[2]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            keys.last(),
            Some(&"says"),
            "the words where they were, after the rest"
        );
    }
}
