//! A saved plan (`plan --out`): read from its file, then proven still true before apply acts on it, with the
//! change sets it kept read again, never made anew.

use std::path::PathBuf;

use crate::cloud::Connector;
use crate::config::{self, Config, RackId};
use crate::error::Error;
use crate::live::{ChangeSetLedger, EnvLookup};
use crate::plan::{Action, ChangeSets, DriftCheck, Plan, PlanInputs, plan_in_rounds};

/// The plan saved at `path`.
pub(super) fn load(path: &std::path::Path) -> Result<Plan, Error> {
    crate::plan::file::load(path).map_err(|error| Error::SavedPlan {
        path: path.display().to_string(),
        message: error.to_string(),
    })
}

/// Proves a saved plan still describes the world: the same racks.toml, and exactly the plan racks.toml and
/// the live stacks give now (`plan::stale_reasons`); returns that plan, made now. Reads only; any
/// difference refuses the whole plan.
pub(super) async fn check(
    plan: &Plan,
    connector: &dyn Connector,
    env: &EnvLookup,
    change_sets: &ChangeSetLedger,
    drift: Option<DriftCheck<'_>>,
) -> Result<(Config, Plan), Error> {
    // `plan --out` records racks.toml's absolute path, so the plan applies from any directory; below the
    // current one it is named as the user would name it.
    let recorded = PathBuf::from(&plan.racks_file.path);
    let path = std::env::current_dir()
        .ok()
        .and_then(|here| recorded.strip_prefix(here).ok().map(PathBuf::from))
        .unwrap_or(recorded);
    let config = config::load(&path)?;
    if config.fingerprint != plan.racks_file.sha256 {
        return Err(Error::StalePlan(vec![format!(
            "{} changed since the plan was made",
            path.display()
        )]));
    }
    let targets: Vec<RackId> = plan
        .racks
        .iter()
        .map(|r| r.rack.parse())
        .collect::<Result<_, String>>()
        .map_err(|message| Error::SavedPlan {
            path: path.display().to_string(),
            message: format!("not a saved plan: a rack named {message}"),
        })?;
    // The change sets the plan was reviewed with are read again, never made anew: they are what runs.
    let kept = super::change_sets::kept(plan);
    let inputs = PlanInputs {
        env,
        cache: None,
        change_sets: if kept.is_empty() {
            ChangeSets::None
        } else {
            ChangeSets::Kept {
                ledger: change_sets,
                kept: &kept,
            }
        },
    };
    let fresh = plan_in_rounds(&config, &targets, plan.recover, connector, inputs, drift)
        .await
        .map_err(|error| Error::planning(error, &config))?;
    // A kept change set that is gone, or can no longer be executed, is named with AWS's own reason.
    let unusable: Vec<String> = fresh
        .racks
        .iter()
        .filter_map(|rack| match &rack.action {
            Action::Blocked(blocked)
                if matches!(blocked.why, crate::plan::BlockedWhy::ChangeSet { .. }) =>
            {
                Some(format!(
                    "{}: {}",
                    rack.rack,
                    crate::render::blocked::reason(blocked, &rack.preflight)
                ))
            }
            _ => None,
        })
        .collect();
    if !unusable.is_empty() {
        return Err(Error::StalePlan(unusable));
    }
    let stale: Vec<String> = crate::plan::stale_reasons(plan, &fresh)
        .iter()
        .map(crate::render::staleness::stale_words)
        .collect();
    if stale.is_empty() {
        Ok((config, fresh))
    } else {
        Err(Error::StalePlan(stale))
    }
}
