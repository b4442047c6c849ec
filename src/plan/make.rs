//! Making a plan: the racks `--target` selects, then rounds of needs -> fetch -> diff: what the planner
//! needs (`needs`, pure) read through `live` (the only place that reads AWS), then the pure `diff`; then
//! the preflight checks of the racks that change (their reads, then the pure decision). Commands and the
//! executor's replanner all plan through here.

use crate::cloud::{Connector, Stack};
use crate::config::{Config, Rack, RackId};
use crate::diag::did_you_mean;
use crate::live::drift::DriftRead;
use crate::live::{self, EnvLookup, ReadError, Reading};
use crate::template_cache::TemplateCache;

use super::drift::detectable;
use super::needs::{ChangeSets, change_set_needs, live_template_needs, needs, ssm_needs};
use super::{Plan, PlanProblem, decide, diff, preflight};

/// Why no plan could be made. `Display` is one line; `Error::planning` renders each problem at its place
/// in racks.toml.
#[derive(Debug, thiserror::Error)]
pub enum PlanningError {
    /// A `--target` names no rack of racks.toml.
    #[error("{message}")]
    UnknownTarget { message: String, hint: String },
    /// AWS could not be read: credentials, the account guard, listing stacks, the release list.
    #[error("{}", first_and_count(.0))]
    Read(Vec<ReadError>),
    /// racks.toml does not fit the live templates.
    #[error("{}", first_and_count(.0))]
    Problems(Vec<PlanProblem>),
}

fn first_and_count(errors: &[impl std::fmt::Display]) -> String {
    match errors {
        [] => "no reason given".into(),
        [only] => only.to_string(),
        [first, rest @ ..] => format!("{first} (and {} more)", rest.len()),
    }
}

/// What planning reads besides AWS: the environment (`password_env` values) and, for `plan` only, the
/// template cache, which may save GetTemplate calls (see `Reading::fetch`); apply passes none.
pub struct PlanInputs<'a> {
    pub env: &'a EnvLookup,
    pub cache: Option<&'a mut TemplateCache>,
    /// Whether each update is checked against CloudFormation's change set of it.
    pub change_sets: ChangeSets<'a>,
}

/// `--drift` for plan and apply: detection on the racks a plan updates or upgrades, with progress.
#[derive(Clone, Copy)]
pub struct DriftCheck<'a> {
    pub progress: &'a dyn live::drift::DriftProgress,
    pub timings: live::drift::DriftTimings,
}

impl<'a> DriftCheck<'a> {
    /// Detection at CloudFormation's usual pace (`DriftTimings::default`), as plan and apply run it.
    pub fn new(progress: &'a dyn live::drift::DriftProgress) -> Self {
        Self {
            progress,
            timings: live::drift::DriftTimings::default(),
        }
    }
}

/// Reads what `targets` (every rack when empty) need and plans them; `recover` plans failed racks for
/// recovery instead of blocking them. Three reads and three plans: the racks with a change to analyse are
/// known only from a plan made of everything else read, and only their SSM values (what their SSM-typed
/// parameters resolve to now), then their live templates, are read then.
pub async fn make_plan(
    config: &Config,
    targets: &[RackId],
    recover: bool,
    connector: &dyn Connector,
    inputs: PlanInputs<'_>,
) -> Result<Plan, PlanningError> {
    plan_in_rounds(config, targets, recover, connector, inputs, None).await
}

/// `make_plan`, with drift detected when `drift` asks for it on the racks the plan updates or upgrades (a
/// round after the change sets'): each is held for the drifted resources its update puts back, or for drift
/// it could not detect.
pub async fn plan_in_rounds(
    config: &Config,
    targets: &[RackId],
    recover: bool,
    connector: &dyn Connector,
    inputs: PlanInputs<'_>,
    drift: Option<DriftCheck<'_>>,
) -> Result<Plan, PlanningError> {
    let PlanInputs {
        env,
        cache,
        change_sets,
    } = inputs;
    let racks = select(config, targets)?;
    let mut reading = read(config, &racks, connector, env, cache.as_deref())
        .await
        .map_err(PlanningError::Read)?;
    // The SSM parameters the racks that change (or ask to, `refresh`) resolve again, once the first plan
    // names those racks; a rack `refresh` makes an update is only known after, and so is its live template.
    let ssm = diff(config, reading.state(), recover)
        .map(|plan| ssm_needs(reading.state(), &plan))
        .unwrap_or_default();
    reading.fetch(config, connector, env, None, &ssm).await;
    let templates = diff(config, reading.state(), recover)
        .map(|plan| live_template_needs(&plan))
        .unwrap_or_default();
    reading
        .fetch(config, connector, env, None, &templates)
        .await;
    let mut plan = diff(config, reading.state(), recover).map_err(PlanningError::Problems)?;
    // CloudFormation's view of each update the plan makes, then the plan made again with it.
    let change_sets = change_set_needs(&plan, change_sets);
    if !change_sets.is_empty() {
        reading
            .fetch(config, connector, env, None, &change_sets)
            .await;
        plan = diff(config, reading.state(), recover).map_err(PlanningError::Problems)?;
    }
    let mut live = reading.finish(cache);
    // Drift on the racks the plan updates, then the plan made again with it.
    if let Some(check) = drift {
        let updating: Vec<Rack> = racks
            .iter()
            .filter(|rack| {
                plan.racks.iter().any(|planned| {
                    planned.rack == rack.id()
                        && matches!(
                            planned.action,
                            super::Action::Update(_) | super::Action::Upgrade(_)
                        )
                })
            })
            .cloned()
            .collect();
        if !updating.is_empty() {
            let reads = detect_drift(config, &updating, connector, check)
                .await
                .map_err(PlanningError::Read)?;
            let keyed = updating
                .iter()
                .zip(reads)
                .filter_map(|(rack, read)| Some((live.key_of(rack)?, read)))
                .collect();
            live.set_drift(keyed);
            plan = diff(config, &live, recover).map_err(PlanningError::Problems)?;
        }
    }
    // Preflight reads only what the racks that change need, once the plan says which those are; the
    // last plan is made of every fact at once.
    let reads = preflight::wanted(&plan, &live);
    let facts = live::read_preflight(config, &reads, connector).await;
    live.set_preflight(facts, preflight::day_of(std::time::SystemTime::now()));
    live.set_read_at(connector.now());
    decide(config, &live, recover).map_err(PlanningError::Problems)
}

/// Drift detection on `racks` (`--drift`, `rackfile drift`): their stacks swept again (their status now,
/// not at the plan's first read), then detection run by `live` on each `drift::detectable` stack; one read
/// per rack, in their order.
pub async fn detect_drift(
    config: &Config,
    racks: &[Rack],
    connector: &dyn Connector,
    check: DriftCheck<'_>,
) -> Result<Vec<DriftRead>, Vec<ReadError>> {
    let swept = live::read_stacks(config, racks, connector).await?.state;
    let stacks: Vec<Option<&Stack>> = racks
        .iter()
        .map(|rack| swept.key_of(rack).and_then(|key| swept.stack(&key)))
        .collect();
    let detected: Vec<(&Rack, &Stack)> = racks
        .iter()
        .zip(&stacks)
        .filter_map(|(rack, stack)| Some((rack, (*stack).filter(|stack| detectable(stack))?)))
        .collect();
    let mut reads =
        live::drift::detect_drift(config, &detected, connector, check.timings, check.progress)
            .await
            .into_iter();
    Ok(stacks
        .into_iter()
        .map(|stack| match stack {
            None => DriftRead::NoStack,
            Some(stack) if !detectable(stack) => DriftRead::NotRun {
                status: stack.status.clone(),
            },
            Some(_) => reads.next().expect("live reads each stack it is given"),
        })
        .collect())
}

/// The first round of a plan's reads: the accounts and stacks of `racks` (`live::read_stacks`), Convox's
/// release list when a rack is built from its templates, then what `needs` lists. `env` gives the values of
/// `password_env` variables; `cache`, when given, spares GetTemplate calls (see `Reading::fetch`).
pub async fn read(
    config: &Config,
    racks: &[Rack],
    connector: &dyn Connector,
    env: &EnvLookup,
    cache: Option<&TemplateCache>,
) -> Result<Reading, Vec<ReadError>> {
    let swept = live::read_stacks(config, racks, connector).await?;
    // After the account guard and the sweep, as every other read: a run that stops there reads nothing else.
    let releases = if racks
        .iter()
        .any(|rack| !rack.absent && rack.uses_convox_releases())
    {
        Some(
            live::read_releases(connector)
                .await
                .map_err(|error| vec![error])?,
        )
    } else {
        None
    };
    let mut reading = Reading::new(swept, releases);
    let needs = needs(reading.state());
    reading.fetch(config, connector, env, cache, &needs).await;
    Ok(reading)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_planning_error_says_its_first_reason_in_one_line() {
        let problem = |message: &str| PlanProblem {
            rack: "personal/web".into(),
            message: message.into(),
            hint: None,
            span: None,
        };
        let error = PlanningError::Problems(vec![problem("no such parameter"), problem("another")]);
        assert_eq!(
            error.to_string(),
            "rack personal/web: no such parameter (and 1 more)"
        );
        assert_eq!(
            PlanningError::Problems(vec![problem("only")]).to_string(),
            "rack personal/web: only"
        );
    }
}
