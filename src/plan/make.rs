//! Making a plan: the racks `--target` selects, everything the planner needs read through `live` (the only
//! place that reads AWS), then the pure `diff`. Commands and the executor's replanner all plan through here.

use crate::cloud::Connector;
use crate::config::{Config, Rack, RackId};
use crate::diag::did_you_mean;
use crate::live::{self, LiveState, ReadError};
use crate::template_cache::TemplateCache;

use super::{Plan, PlanProblem, diff, place_in_waves};

/// Why no plan could be made.
#[derive(Debug)]
pub enum PlanningError {
    /// A `--target` names no rack of racks.toml.
    UnknownTarget { message: String, hint: String },
    /// AWS could not be read: credentials, the account guard, listing stacks, the release list.
    Read(Vec<ReadError>),
    /// racks.toml does not fit the live templates.
    Problems(Vec<PlanProblem>),
}

/// Reads what `targets` (every rack when empty) need and plans them; `recover` plans failed racks for
/// recovery instead of blocking them. `cache` may save GetTemplate calls (see `live::read`): `plan` passes
/// the user's, apply none.
pub async fn make_plan(
    config: &Config,
    targets: &[RackId],
    recover: bool,
    connector: &dyn Connector,
    cache: Option<&mut TemplateCache>,
) -> Result<Plan, PlanningError> {
    let racks = select(config, targets)?;
    // The racks with a change to analyse are known only from a plan: the one made of everything else read.
    let wanted = |state: &LiveState| {
        diff(config, &racks, state, recover)
            .map(|plan| plan.live_templates_wanted())
            .unwrap_or_default()
    };
    let live = live::read(config, &racks, connector, &wanted, cache)
        .await
        .map_err(PlanningError::Read)?;
    let mut plan = diff(config, &racks, &live, recover).map_err(PlanningError::Problems)?;
    if let Some(rollout) = &config.rollout {
        plan.waves = place_in_waves(rollout, &racks, &mut plan.racks, &live)
            .map_err(PlanningError::Problems)?;
    }
    Ok(plan)
}

/// The racks `--target` names, in file order; all racks without `--target`.
pub fn select(config: &Config, targets: &[RackId]) -> Result<Vec<Rack>, PlanningError> {
    if targets.is_empty() {
        return Ok(config.racks.clone());
    }
    for target in targets {
        let id = target.to_string();
        if !config.racks.iter().any(|rack| rack.id() == id) {
            let ids: Vec<String> = config.racks.iter().map(Rack::id).collect();
            let hint = match did_you_mean(&id, ids.iter().map(String::as_str)) {
                Some(close) => format!("did you mean `{close}`?"),
                None => format!("racks in {}: {}", config.path.display(), ids.join(", ")),
            };
            return Err(PlanningError::UnknownTarget {
                message: format!("--target {id}: no such rack in {}", config.path.display()),
                hint,
            });
        }
    }
    Ok(config
        .racks
        .iter()
        .filter(|rack| targets.iter().any(|t| t.to_string() == rack.id()))
        .cloned()
        .collect())
}
