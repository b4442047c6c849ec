//! Preflight: what would make a Convox install or update fail halfway, caught at plan time (DESIGN.md
//! section 8). It runs after the diff, on the racks that install, update or upgrade: first `wanted` says
//! what must be read (nothing for an unchanged rack), then `live::read_preflight` reads it, then `conclude`
//! decides, synchronously, adding each rack's checks to its plan and turning a rack that fails one into
//! `Action::Blocked` with `BlockedWhy::Preflight`.
//!
//! The checks, one file each: `exports` (an update must not remove an export another stack imports),
//! `runtimes` (no Lambda function on a runtime AWS no longer accepts), `instances` (the instance type is
//! offered in every zone of the rack's subnets and the EC2 vCPU quota covers the instances plus a rolling
//! batch). A check that cannot be made is `not_checked` with what could not be read, never a pass.

mod exports;
mod finding;
mod instances;
mod runtimes;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{
    Action, Blocked, BlockedWhy, ChangeKind, HoldReason, Plan, RackPlan, TemplateImpact,
    TemplatePlan, Update,
};
use crate::cloud::{ParameterValue, RegionKey, Stack};
use crate::convox::names;
use crate::live::{LiveState, Place, PreflightFacts, PreflightReads};
use crate::template::{Pseudo, ResourceAction, parse_document};

pub use finding::{
    DeprecatedRuntime, Ec2Quota, Finding, FunctionUse, QuotaNeed, Read, RuntimeStanding, Unknown,
    ZoneSubnets,
};
pub use runtimes::runtime_table_source;

/// One preflight check of a rack, as decided.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreflightCheck {
    pub check: PreflightKind,
    pub verdict: Verdict,
    /// What the check found (`render::preflight::says` words it).
    pub finding: Finding,
    /// What the decision rests on (`render::preflight::read_words` words it; the JSON view writes those
    /// words as `read`, where plans before had them).
    #[serde(rename = "read_data")]
    pub read: Vec<Read>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PreflightKind {
    /// An export the update removes, and the stacks importing it.
    Exports,
    /// The runtime of a Lambda function of the planned template.
    LambdaRuntime,
    /// The instance type in the zones of the rack's subnets.
    InstanceTypeOffered,
    /// The account's EC2 vCPU quota for the instance family.
    InstanceQuota,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Passed,
    Warning,
    /// The check could not be made (a read was denied or failed, a value is not known offline).
    NotChecked,
    Blocked,
}

/// One CloudFormation operation the plan makes on a rack: an install, an update, or a step of an upgrade.
struct Operation {
    /// The release an upgrade step goes to.
    step: Option<String>,
    /// The stack's template and values before the operation; `None` for an install.
    before: Option<Result<Evaluable, Unknown>>,
    /// The template and values the operation leaves the stack with.
    after: Result<Evaluable, Unknown>,
    /// Whether a parameter or the template changes (tags alone cannot change what the stack exports).
    reaches_resources: bool,
    /// InstanceType or InstanceCount changes (or the rack is installed).
    changes_instances: bool,
    /// What the operation does to each resource, as far as rackfile can tell.
    touches: Touches,
    /// The parameter values the operation leaves the stack with, as far as the plan knows them without the
    /// template (the template's defaults of typed settings racks.toml leaves to it included).
    settings: BTreeMap<String, String>,
}

impl Operation {
    /// A parameter's value after the operation: the plan's, else the planned template's default.
    fn setting(&self, name: &str) -> Option<String> {
        self.settings.get(name).cloned().or_else(|| {
            self.after
                .as_ref()
                .ok()
                .and_then(|after| after.parameter(name))
        })
    }
}

/// What an operation does to the resources of the stack.
#[derive(Clone)]
enum Touches {
    /// Not known: the update was not analysed, or it changes the stack's tags, which CloudFormation
    /// propagates to every resource that takes tags. Any resource may be created or updated.
    Anything,
    /// The impact analysis of the update: what it does to each resource it reaches; a resource it does
    /// not list is left alone (CloudFormation calls no API for a resource whose properties do not change).
    Analysed(BTreeMap<String, ResourceAction>),
}

impl Touches {
    /// What the update, as planned, does to the resources of the stack.
    fn of_update(update: &Update) -> Touches {
        if update
            .changes
            .iter()
            .any(|change| change.kind == ChangeKind::Tag)
        {
            return Touches::Anything;
        }
        match &update.analysis {
            Some(TemplateImpact::Analysed { resources, .. }) => Touches::Analysed(
                resources
                    .iter()
                    .map(|resource| (resource.logical_id.clone(), resource.action))
                    .collect(),
            ),
            Some(TemplateImpact::NotAnalysed { .. }) => Touches::Anything,
            // Neither a parameter, the template nor a tag changes: termination protection (not an
            // UpdateStack) or the service role, which reach no resource.
            None => Touches::Analysed(BTreeMap::new()),
        }
    }
}

/// A template and the values of the stack built from it.
#[derive(Clone)]
struct Evaluable {
    template: Arc<Value>,
    values: BTreeMap<String, String>,
    /// Values not known (NoEcho ones kept by UsePreviousValue).
    hidden: BTreeSet<String>,
}

impl Evaluable {
    fn stack(&self) -> crate::template::StackTemplate<'_> {
        crate::template::StackTemplate::new(&self.template, &self.values).hiding(&self.hidden)
    }

    /// A parameter's value: the stack's, else the template's default.
    fn parameter(&self, name: &str) -> Option<String> {
        self.values.get(name).cloned().or_else(|| {
            let default = self.template.get("Parameters")?.get(name)?.get("Default")?;
            Some(match default {
                Value::String(text) => text.clone(),
                other => other.to_string(),
            })
        })
    }
}

/// A rack's operations, with where it lives.
struct RackOperations {
    index: usize,
    place: Place,
    org: String,
    pseudo: Pseudo,
    operations: Vec<Operation>,
    installs: bool,
}

/// What the preflight checks need read for this plan: nothing for racks that do not install, update or
/// upgrade.
pub fn wanted(plan: &Plan, live: &LiveState) -> PreflightReads {
    reads_of(&operations_of(plan, live, false))
}

/// What `doctor` needs read to run the checks for every declared rack: a rack the plan leaves unchanged is
/// judged as it is live (its instances, the runtimes of its functions), which needs its live template.
pub fn wanted_for_every_rack(plan: &Plan, live: &LiveState) -> PreflightReads {
    reads_of(&operations_of(plan, live, true))
}

/// Every declared rack's checks, for `doctor`: the plan's for racks that change, the live state's for the
/// others. The plan itself is left as it is.
pub fn every_rack(
    plan: &Plan,
    live: &LiveState,
    facts: &PreflightFacts,
    today: &str,
) -> Vec<(String, Vec<PreflightCheck>)> {
    decide_all(&operations_of(plan, live, true), facts, today)
        .into_iter()
        .map(|(index, checks)| (plan.racks[index].rack.clone(), checks))
        .collect()
}

fn reads_of(racks: &[RackOperations]) -> PreflightReads {
    let mut reads = PreflightReads::default();
    let count = |reads: &PreflightReads| {
        reads.imports.len() + reads.zones.len() + reads.instance_types.len() + reads.quotas.len()
    };
    for rack in racks {
        let before = count(&reads);
        exports::wanted(rack, &mut reads);
        instances::wanted(rack, &mut reads);
        if count(&reads) != before {
            reads
                .orgs
                .entry(rack.place.clone())
                .or_insert_with(|| rack.org.clone());
        }
    }
    reads
}

/// Decides every check of the plan's changing racks from what was read, as of `today` (YYYY-MM-DD): adds
/// the checks to each rack's plan, blocks the racks that fail one, and counts the plan again.
pub fn conclude(plan: &mut Plan, live: &LiveState, facts: &PreflightFacts, today: &str) {
    let checks = decide_all(&operations_of(plan, live, false), facts, today);
    for (index, found) in checks {
        let rack = &mut plan.racks[index];
        if let Some(was) = block_if_failed(rack, &found) {
            let count = match was {
                Action::Install(_) => &mut plan.summary.install,
                Action::Reinstall(_) => &mut plan.summary.reinstall,
                Action::Update(_) => &mut plan.summary.update,
                Action::Upgrade(_) => &mut plan.summary.upgrade,
                Action::ContinueRollback => &mut plan.summary.continue_rollback,
                Action::Uninstall(_) => &mut plan.summary.uninstall,
                Action::Unchanged => &mut plan.summary.unchanged,
                Action::Blocked(_) => &mut plan.summary.blocked,
                Action::Wait(_) => &mut plan.summary.wait,
            };
            *count = count.saturating_sub(1);
            plan.summary.blocked += 1;
            // A blocked rack does nothing: nothing disruptive happens and nobody has anything to approve.
            rack.disruptions.clear();
            rack.hold.clear();
        } else {
            // Not knowing who imports a removed export is no pass: a person decides.
            rack.hold.extend(
                found
                    .iter()
                    .filter(|check| {
                        check.check == PreflightKind::Exports
                            && check.verdict == Verdict::NotChecked
                    })
                    .map(|check| HoldReason::ExportsNotChecked {
                        finding: check.finding.clone(),
                    }),
            );
        }
        rack.preflight = found;
    }
}

/// Every check of these racks, by the rack's index in the plan.
fn decide_all(
    racks: &[RackOperations],
    facts: &PreflightFacts,
    today: &str,
) -> BTreeMap<usize, Vec<PreflightCheck>> {
    let mut checks: BTreeMap<usize, Vec<PreflightCheck>> = BTreeMap::new();
    for rack in racks {
        let found = checks.entry(rack.index).or_default();
        found.extend(exports::decide(rack, facts));
        found.extend(runtimes::decide(rack, today));
    }
    for (index, found) in instances::decide(racks, facts) {
        checks.entry(index).or_default().extend(found);
    }
    checks
}

/// Turns a rack with a blocked check into `Action::Blocked` (the views name each failure and what it read,
/// from `RackPlan::preflight`); returns the action it replaced.
fn block_if_failed(rack: &mut RackPlan, checks: &[PreflightCheck]) -> Option<Action> {
    if !checks.iter().any(|check| check.verdict == Verdict::Blocked) {
        return None;
    }
    let blocked = Action::Blocked(Blocked {
        why: BlockedWhy::Preflight,
        status: rack.stack.as_ref().map(|stack| stack.status.clone()),
        step: None,
    });
    Some(std::mem::replace(&mut rack.action, blocked))
}

/// The operations of each rack that installs, updates or upgrades, with the templates they go from and to;
/// with `unchanged_too`, an unchanged rack as one operation that leaves it as it is live.
fn operations_of(plan: &Plan, live: &LiveState, unchanged_too: bool) -> Vec<RackOperations> {
    let mut racks = Vec::new();
    for (index, rack) in plan.racks.iter().enumerate() {
        let stack = live.stack(&rack.key());
        let operations = match &rack.action {
            Action::Install(install) | Action::Reinstall(install) => vec![Operation {
                step: None,
                before: None,
                after: planned(&install.template, live).map(|template| Evaluable {
                    template,
                    values: install.parameters.clone(),
                    hidden: BTreeSet::new(),
                }),
                reaches_resources: true,
                changes_instances: true,
                // Nothing exists before an install: every function is created.
                touches: Touches::Anything,
                settings: install
                    .template_defaults
                    .iter()
                    .chain(&install.parameters)
                    .map(|(name, value)| (name.clone(), value.clone()))
                    .collect(),
            }],
            Action::Update(update) => {
                let Some(stack) = stack else { continue };
                let before =
                    live_template(rack, Some(&update.template), live).map(|template| Evaluable {
                        template,
                        values: stack.parameters.clone(),
                        hidden: BTreeSet::new(),
                    });
                vec![updating(None, Some(before), update, stack, live)]
            }
            Action::Upgrade(upgrade) => {
                let Some(stack) = stack else { continue };
                let mut before = Some(
                    live_template(rack, Some(&upgrade.steps[0].update.template), live).map(
                        |template| Evaluable {
                            template,
                            values: stack.parameters.clone(),
                            hidden: BTreeSet::new(),
                        },
                    ),
                );
                let mut operations = Vec::new();
                for step in &upgrade.steps {
                    let operation = updating(
                        Some(step.version.clone()),
                        before,
                        &step.update,
                        stack,
                        live,
                    );
                    before = Some(operation.after.clone());
                    operations.push(operation);
                }
                operations
            }
            Action::Unchanged if unchanged_too => {
                let Some(stack) = stack else { continue };
                // Doctor reads every live template (no template cache stands in for one).
                let as_live = live_template(rack, None, live).map(|template| Evaluable {
                    template,
                    values: stack.parameters.clone(),
                    hidden: BTreeSet::new(),
                });
                vec![Operation {
                    step: None,
                    before: Some(as_live.clone()),
                    after: as_live,
                    reaches_resources: false,
                    changes_instances: true,
                    // Doctor judges a rack the plan leaves as it is: nothing is done to its functions.
                    touches: Touches::Analysed(BTreeMap::new()),
                    settings: stack.parameters.clone(),
                }]
            }
            Action::ContinueRollback
            | Action::Uninstall(_)
            | Action::Unchanged
            | Action::Blocked(_)
            | Action::Wait(_) => continue,
        };
        racks.push(RackOperations {
            index,
            place: RegionKey::new(&rack.account_id, &rack.region),
            org: rack.org.clone(),
            pseudo: Pseudo {
                region: rack.region.clone(),
                stack_name: rack.name.clone(),
                account_id: rack.account_id.clone(),
            },
            installs: matches!(rack.action, Action::Install(_) | Action::Reinstall(_)),
            operations,
        });
    }
    racks
}

fn updating(
    step: Option<String>,
    before: Option<Result<Evaluable, Unknown>>,
    update: &Update,
    stack: &Stack,
    live: &LiveState,
) -> Operation {
    let mut values = BTreeMap::new();
    let mut hidden = BTreeSet::new();
    for (name, value) in &update.parameters {
        match value {
            ParameterValue::Value(value) => {
                values.insert(name.clone(), value.clone());
            }
            ParameterValue::UsePrevious => {
                hidden.insert(name.clone());
                if let Some(live_value) = stack.parameters.get(name) {
                    values.insert(name.clone(), live_value.clone());
                }
            }
        }
    }
    let reaches_resources = update
        .changes
        .iter()
        .any(|change| change.kind.reaches_resources());
    let changes_instances = update.changes.iter().any(|change| {
        change.kind == ChangeKind::Parameter
            && matches!(
                change.name.as_str(),
                names::INSTANCE_TYPE | names::INSTANCE_COUNT
            )
    });
    Operation {
        step,
        before,
        after: planned(&update.template, live).map(|template| Evaluable {
            template,
            values: values.clone(),
            hidden,
        }),
        reaches_resources,
        changes_instances,
        touches: Touches::of_update(update),
        settings: values.clone(),
    }
}

/// The planned template, parsed, as the plan read it.
fn planned(template: &TemplatePlan, live: &LiveState) -> Result<Arc<Value>, Unknown> {
    live.template_document(&template.source())
        .cloned()
        .ok_or_else(|| Unknown::SummaryOnly {
            template: template.describe().to_string(),
        })
}

/// The stack's live template, parsed: read for the impact analysis (or known from the template cache to be
/// the rack's own file).
fn live_template(
    rack: &RackPlan,
    planned_template: Option<&TemplatePlan>,
    live: &LiveState,
) -> Result<Arc<Value>, Unknown> {
    let key = rack.key();
    if live.unchanged_since_cached(&key) {
        return match planned_template {
            Some(file @ TemplatePlan::File { .. }) => planned(file, live),
            _ => Err(Unknown::LiveTemplateNotRead),
        };
    }
    match live.live_template(&key) {
        Some(Ok(body)) => {
            parse_document(body)
                .map(Arc::new)
                .map_err(|error| Unknown::LiveTemplateUnparsable {
                    error: error.to_string(),
                })
        }
        Some(Err(error)) => Err(Unknown::LiveTemplateUnreadable {
            error: error.to_string(),
        }),
        None => Err(Unknown::LiveTemplateNotRead),
    }
}

/// The day of a time, YYYY-MM-DD (UTC): what the runtime table's dates are compared with.
pub fn day_of(time: std::time::SystemTime) -> String {
    let days = time
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |since| since.as_secs() / 86_400) as i64;
    // Howard Hinnant's days-to-civil.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_are_civil_dates() {
        let day = |secs: u64| day_of(std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs));
        assert_eq!(day(0), "1970-01-01");
        assert_eq!(day(951_782_400), "2000-02-29");
        assert_eq!(day(1_583_452_800 - 1), "2020-03-05");
        assert_eq!(day(1_583_452_800), "2020-03-06");
    }
}
