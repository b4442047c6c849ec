//! The plan: plain, serialisable data saying what apply will do to each rack and why. `diff` computes it
//! from a checked config and a live snapshot, synchronously and without I/O; the views in `render` print
//! it and the executor in `apply` carries it out without making choices of its own.
//!
//! The JSON form (`plan --json`, `plan --out`) is a contract: fields are only added within a
//! `format_version`; removing or changing one bumps it. It is this data with the words the views make of it
//! written beside it (`render::json_plan`); a plan read back from its file takes the data and leaves the
//! words.
//! Over 600 lines on purpose: the contract's types are kept in one file, read top to bottom as the JSON
//! nests, with their small accessors; what decides them lives in the files beside it.

mod approval;
mod budget;
mod change;
pub mod change_set;
mod checks;
mod decide;
mod diff;
pub mod drift;
pub mod file;
mod gate;
mod impact;
mod make;
pub mod needs;
mod notes;
pub mod preflight;
mod rollout;
mod secrets;
pub mod skip;
mod staleness;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub use checks::{PlanProblem, unknown_parameters};
pub use decide::decide;
pub use diff::{describe_policy, describe_rollback, diff, ssm_wanted};
pub use file::FORMAT_VERSION;
pub use gate::{Gate, Permissions, Refusal, gate};
pub use impact::is_disruptive;
pub use make::{
    DriftCheck, PlanInputs, PlanningError, detect_drift, make_plan, plan_in_rounds, read, select,
};
pub use needs::{ChangeSets, needs};
pub use notes::{Note, SsmUnknown, Warning};
pub use preflight::{PreflightCheck, PreflightKind, Verdict};
pub use rollout::{WatchedAlarm, Wave, WaveGate, holds, place_in_waves};
pub use secrets::without_secrets;
pub use staleness::{RackDifference, Stale, WavesDifference, stale_reasons};

use crate::cloud::{ParameterValue, StackKey, StackStatus, TemplateSource};
use crate::convox::Effect;
pub use crate::template::{Budget, BudgetUnknown, TemplateUnknown};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    pub format_version: String,
    /// Planned with `--recover`: failed racks are reinstalled or their rollback continued.
    #[serde(default)]
    pub recover: bool,
    pub racks_file: FileFingerprint,
    pub accounts: Vec<AccountRead>,
    pub racks: Vec<RackPlan>,
    /// Live racks in the orgs and regions read that racks.toml does not declare; never touched.
    pub not_in_racks_toml: Vec<UndeclaredRack>,
    /// Convox's release list as read, when some rack is built from Convox's published templates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub releases: Option<ReleaseListRead>,
    pub summary: Summary,
    /// The waves of `[rollout]`, in order; empty without one (every rack is then one wave, and the plan
    /// reads as it did before waves existed).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub waves: Vec<Wave>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReleaseListRead {
    pub url: String,
    pub sha256: String,
    pub latest_published: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileFingerprint {
    pub path: String,
    pub sha256: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountRead {
    pub org: String,
    pub account_id: String,
    pub regions: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RackPlan {
    /// `org/name`.
    pub rack: String,
    pub org: String,
    pub name: String,
    pub region: String,
    pub account_id: String,
    #[serde(flatten)]
    pub action: Action,
    /// racks.toml's `role_arn`: the service role apply passes as RoleARN on every write of the rack
    /// (CreateStack, UpdateStack, DeleteStack, ContinueUpdateRollback). Absent: none is passed, and
    /// CloudFormation keeps a live stack's role.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_arn: Option<String>,
    /// racks.toml's stack options, sent with every CreateStack and UpdateStack of the rack.
    #[serde(default, skip_serializing_if = "PlannedOptions::is_empty")]
    pub options: PlannedOptions,
    /// The stack as it was when planned; apply refuses a saved plan if it no longer matches.
    pub stack: Option<StackFingerprint>,
    /// Parameters racks.toml sets that this plan leaves at their live value, and why.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub held: Vec<Held>,
    /// What the plan could not check, e.g. constraints of a template read only through GetTemplateSummary.
    /// The JSON view writes their words as `notes` before this data.
    #[serde(rename = "note_data", default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<Note>,
    /// What is allowed but probably not meant, e.g. a release Convox has not published. The JSON view
    /// writes their words as `warnings` before this data.
    #[serde(
        rename = "warning_data",
        default,
        skip_serializing_if = "Vec::is_empty"
    )]
    pub warnings: Vec<Warning>,
    /// What the change does that a person should see before it happens: the plan's `Disruptive:` lines.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub disruptions: Vec<Disruption>,
    /// Why `apply --auto-approve=in-place` holds this rack for a person; empty when it applies it (every
    /// change in place) or when there is nothing to apply.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hold: Vec<HoldReason>,
    /// The preflight checks of a rack that installs, updates or upgrades (`preflight`), each with what it
    /// read; a failed one has made the rack `Blocked` with `BlockedWhy::Preflight`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub preflight: Vec<PreflightCheck>,
}

/// One disruptive part of a rack's change, decided by `plan::impact`; the views only word it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Disruption {
    /// `--recover` deletes the failed stack and installs it again.
    Reinstall,
    /// The rack's stack is deleted, and its apps and resources (`Uninstall::dependents`) before it.
    Uninstall,
    /// What the template analysis finds an update (or one step of an upgrade) replaces, may replace,
    /// removes or rolls.
    Resources {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        step: Option<StepRef>,
        resources: Vec<crate::template::ResourceImpact>,
    },
    /// Convox's rule for a parameter change: data loss always (no template says it); rolling replacement
    /// and subnets where the template could not be analysed.
    ConvoxRule {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        step: Option<StepRef>,
        parameter: String,
        effect: Effect,
        /// The rule and its batch size, as in the change's `RuleImpact`: the views word them.
        rule: crate::convox::Rule,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        at_a_time: Option<String>,
    },
}

/// A step of an upgrade: its number (from 1) and the release it goes to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepRef {
    pub number: usize,
    pub version: String,
}

/// Why a rack's change is not applied by `apply --auto-approve=in-place`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum HoldReason {
    /// A new rack: nothing to compare with, so nothing is "in place".
    Install,
    /// The change is disruptive (see `disruptions`).
    Disruptive,
    /// Continuing a failed rollback moves the stack back by CloudFormation's own choices.
    ContinueRollback,
    /// CloudFormation's change set does not show the update in place (`change_set::hold_reasons`): what
    /// it says, of a resource or of the change set as a whole.
    ChangeSet {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        step: Option<StepRef>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        logical_id: Option<String>,
        #[serde(flatten)]
        finding: change_set::ChangeSetFinding,
    },
    /// The update resolves an SSM-typed parameter whose current value could not be read: what it reaches
    /// may change.
    SsmUnresolved {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        step: Option<StepRef>,
        parameter: String,
        ssm_name: String,
    },
    /// What the update does to the resources is unknown. The JSON view writes `why`'s words as `reason`.
    NotAnalysed {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        step: Option<StepRef>,
        why: TemplateUnknown,
    },
    /// The update removes an export (or may), and whether another stack imports it could not be read
    /// (ListImports denied or failed): CloudFormation may refuse it halfway and roll it back. The finding
    /// is the preflight check's.
    ExportsNotChecked { finding: preflight::Finding },
    /// `--drift`: the update changes resources someone changed outside CloudFormation, and would put them
    /// back as the template says.
    OverwritesDrift {
        resources: Vec<drift::OverwrittenDrift>,
    },
    /// `--drift` was asked and the rack's drift could not be detected: what the update overwrites is unknown.
    DriftNotChecked {
        #[serde(flatten)]
        why: drift::DriftUnchecked,
    },
}

/// A parameter racks.toml sets, kept at its live value on a live rack.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Held {
    pub parameter: String,
    pub live: String,
    /// racks.toml's value: applied at install only.
    pub declared: String,
    pub reason: HeldReason,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HeldReason {
    /// Convox's autoscaler owns it while Autoscale is Yes.
    Autoscaled,
    /// Listed in `ignore_changes`.
    IgnoreChanges,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Action {
    Install(Install),
    Update(Update),
    Upgrade(Upgrade),
    /// `--recover` of a failed install: DeleteStack, followed until gone, then the install.
    Reinstall(Install),
    /// `--recover` of UPDATE_ROLLBACK_FAILED: ContinueUpdateRollback, then the rack is planned again.
    ContinueRollback,
    Uninstall(Uninstall),
    Unchanged,
    Blocked(Blocked),
    /// CloudFormation is changing the stack now: apply waits for it to settle, plans the rack again and
    /// gates that plan (`gate`) like the first; `plan` shows the wait, never a change it cannot know yet.
    Wait(Wait),
}

impl Action {
    pub fn symbol(&self) -> &'static str {
        match self {
            Action::Install(_) => "+",
            Action::Update(_) => "~",
            Action::Upgrade(_) => ">",
            Action::Reinstall(_) => "-/+",
            Action::ContinueRollback => "↺",
            Action::Uninstall(_) => "-",
            Action::Unchanged => " ",
            Action::Blocked(_) => "!",
            Action::Wait(_) => "…",
        }
    }

    /// Every change the action makes, the steps of an upgrade in order.
    pub fn changes(&self) -> Vec<&Change> {
        self.updates()
            .into_iter()
            .flat_map(|update| &update.changes)
            .collect()
    }

    /// The updates this action sends, in order: an update's one, each step's of an upgrade.
    pub fn updates(&self) -> Vec<&Update> {
        match self {
            Action::Update(update) => vec![update],
            Action::Upgrade(upgrade) => upgrade.steps.iter().map(|step| &step.update).collect(),
            Action::Install(_)
            | Action::Reinstall(_)
            | Action::ContinueRollback
            | Action::Uninstall(_)
            | Action::Unchanged
            | Action::Blocked(_)
            | Action::Wait(_) => Vec::new(),
        }
    }

    /// A change planned now; a rack to wait for is not one yet (its change is known after the wait).
    pub fn is_change(&self) -> bool {
        !matches!(
            self,
            Action::Unchanged | Action::Blocked(_) | Action::Wait(_)
        )
    }
}

/// `ensure = "absent"` of a live rack: its Convox app stacks are deleted first, then the rack.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Uninstall {
    /// The apps and resources Convox made for this rack (`convox::dependent_of`), deleted before the rack:
    /// exactly these, each re-checked just before its DeleteStack.
    pub dependents: Vec<DependentStack>,
    /// Resources the live template keeps on deletion (DeletionPolicy Retain): left behind in the account.
    pub retained: Vec<crate::template::RetainedResource>,
    /// Resources in the live stack, for progress.
    pub resource_count: usize,
}

/// A stack Convox made for a rack, as planned for deletion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DependentStack {
    pub name: String,
    /// The stack planned: apply deletes it only while the stack of that name is still this one.
    pub stack_id: String,
    pub kind: crate::convox::Dependent,
}

/// A version change across Convox releases marked required: one full update per step, each applied only
/// after the one before it completed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Upgrade {
    /// The live version.
    pub from: String,
    pub steps: Vec<Step>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    /// The release this step updates the rack to.
    pub version: String,
    /// A release every rack must pass through; the last step is racks.toml's version, required or not.
    pub required: bool,
    #[serde(flatten)]
    pub update: Update,
}

impl Upgrade {
    /// `A > B (required) > C`.
    pub fn path(&self) -> String {
        let mut path = self.from.clone();
        for step in &self.steps {
            path.push_str(" > ");
            path.push_str(&step.version);
            if step.required {
                path.push_str(" (required)");
            }
        }
        path
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Install {
    pub template: TemplatePlan,
    /// Every parameter CreateStack is given, except the password.
    pub parameters: BTreeMap<String, String>,
    /// Typed settings racks.toml leaves to the template: not sent, shown with the template's default.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub template_defaults: BTreeMap<String, String>,
    /// Parameters among `parameters` whose values are secret (NoEcho): sent, shown as `(sensitive)`.
    #[serde(default, skip_serializing_if = "std::collections::BTreeSet::is_empty")]
    pub sensitive: std::collections::BTreeSet<String>,
    /// `None` when the template has no Password parameter.
    pub password: Option<PasswordSource>,
    pub tags: BTreeMap<String, String>,
    /// EnableTerminationProtection at CreateStack (`protect = true`).
    #[serde(default)]
    pub termination_protection: bool,
    /// Resources in the template, for progress.
    pub resource_count: usize,
    /// How long the install should take; CreateStack's TimeoutInMinutes under `apply --timeout budget`.
    /// (Absent from plans saved before budgets.)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub budget: Option<Budget>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "from", rename_all = "snake_case")]
pub enum PasswordSource {
    /// Read from this environment variable at apply time.
    Env { variable: String },
    /// 30 random characters, generated at apply time and printed once.
    Generate,
    /// An SSM Parameter Store SecureString in the rack's account and region: used if it exists, else
    /// generated and stored there before the install starts; never printed.
    Ssm {
        parameter: String,
        /// Whether it existed when planned (else apply creates it).
        existing: bool,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Update {
    pub template: TemplatePlan,
    /// What differs, for people.
    pub changes: Vec<Change>,
    /// The whole UpdateStack parameter list: managed values, live values kept, NoEcho values kept unread.
    pub parameters: BTreeMap<String, ParameterValue>,
    /// The whole tag set: live tags with the managed ones set.
    pub tags: BTreeMap<String, String>,
    pub resource_count: usize,
    /// UpdateTerminationProtection to this, when `protect` differs from the live setting.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub termination_protection: Option<bool>,
    /// The impact analysis: what the update does to the stack's resources, from the live and the planned
    /// template; absent when only tags or termination protection change.
    #[serde(rename = "impact", default, skip_serializing_if = "Option::is_none")]
    pub analysis: Option<TemplateImpact>,
    /// How long the update should take, from its rolling replacements (`crate::template::update_budget`);
    /// what `apply --timeout budget` waits before its `--on-timeout`. (Absent from plans saved before
    /// budgets.)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub budget: Option<Budget>,
    /// SSM-typed parameters the update resolves again whose current value could not be read.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unresolved: Vec<UnresolvedSsm>,
    /// CloudFormation's own view of the update (`plan --changeset`), checked against the analysis; apply
    /// executes this change set instead of sending UpdateStack.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub change_set: Option<change_set::ChangeSetCheck>,
}

/// An SSM-typed parameter whose current value in Parameter Store is unknown to the plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnresolvedSsm {
    pub parameter: String,
    pub ssm_name: String,
    /// Why: the read's error, or that there is no such parameter. The JSON view writes its words as
    /// `reason`.
    pub why: SsmUnknown,
}

/// The template-level analysis of an update (`crate::template::analyse`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "analysis", rename_all = "snake_case")]
pub enum TemplateImpact {
    /// The views word it (`render::impact`): its verdict, and what it replaces, may replace, removes or
    /// rolls. A saved plan's `verdict` and `disruptive` are those words, made again from `resources` when
    /// it is read.
    Analysed {
        /// Every resource the update adds, removes, modifies or replaces.
        resources: Vec<crate::template::ResourceImpact>,
    },
    /// Why rackfile could not say, e.g. a template read only through GetTemplateSummary. The JSON view
    /// writes its words as `reason`.
    NotAnalysed { why: TemplateUnknown },
}

impl Update {
    /// What this update sends of its own, without the rack's service role and stack options
    /// (`RackPlan::update_request` adds them).
    pub fn request(&self, stack: &str, token: String) -> crate::cloud::UpdateStackRequest {
        crate::cloud::UpdateStackRequest {
            name: stack.to_string(),
            template: self.template.source(),
            parameters: self.parameters.clone(),
            tags: self.tags.clone(),
            role_arn: None,
            options: Default::default(),
            token,
        }
    }

    /// Whether the UpdateStack changes the stack's own settings (role, topics, rollback triggers), which a
    /// change set does not show: after "didn't contain changes" such an update still has work to do.
    pub fn changes_stack_settings(&self) -> bool {
        self.changes.iter().any(|change| {
            matches!(
                change.kind,
                ChangeKind::Role | ChangeKind::NotificationArns | ChangeKind::Rollback
            )
        })
    }

    /// Whether anything but termination protection changes, so that an UpdateStack is needed.
    pub fn changes_the_stack(&self) -> bool {
        self.changes
            .iter()
            .any(|change| change.kind.is_update_stack())
    }
}

/// A rack the plan changes nothing of, and why; the views word the reason (`render::blocked`). In JSON the
/// why's tag is the rack's `kind` and its facts sit beside it; the view adds the `reason` words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Blocked {
    /// Why, with the facts the views word it from.
    #[serde(flatten)]
    pub why: BlockedWhy,
    /// `None` for a rack not installed (held by preflight).
    pub status: Option<StackStatus>,
    /// The step of an upgrade that is blocked; `None` for a rack blocked as a whole.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<StepOf>,
}

impl Blocked {
    /// The stack's status as AWS writes it, or `not installed`.
    pub fn stack_status(&self) -> &str {
        self.status
            .as_ref()
            .map_or("not installed", StackStatus::as_str)
    }
}

/// One step of an upgrade among all of them: its number (from 1), how many there are, the release it goes to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepOf {
    pub number: usize,
    pub count: usize,
    pub version: String,
}

/// A rack whose stack CloudFormation is creating, updating or rolling back when planned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Wait {
    pub status: StackStatus,
    /// Whether racks.toml wants the rack gone (`ensure = "absent"`): after the wait it is likely an
    /// uninstall, which needs `--allow-uninstall`.
    #[serde(default)]
    pub absent: bool,
}

/// Why a rack is blocked, with what the plan read that says so.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum BlockedWhy {
    /// Being deleted: nothing to wait for that this plan could use.
    Deleting,
    /// A failed install; `--recover` reinstalls it.
    FailedInstall,
    /// UPDATE_ROLLBACK_FAILED; `--recover` continues the rollback.
    RollbackFailed,
    /// DELETE_FAILED: the deletion must be finished first.
    DeleteFailed,
    /// Changes to parameters Convox sets at install only, each with Convox's rule.
    InstallOnly { parameters: Vec<InstallOnlyChange> },
    /// racks.toml's version is an earlier release than the live one.
    Downgrade { declared: String, live: String },
    /// Termination protection is on, and the plan would delete the stack.
    Protected { operation: Deletion },
    /// NLB deletion protection is on (Convox's `NLBDeletionProtection` or `NLBInternalDeletionProtection`),
    /// and the plan would delete the stack: Convox refuses that uninstall.
    NlbDeletionProtection { parameter: String, value: String },
    /// A stack of the rack's name exists and is not a Convox rack (`convox::is_rack`): rackfile never
    /// changes it.
    NotARack { stack_name: String },
    /// A preflight check found what would make the operation fail halfway (`RackPlan::preflight` says
    /// which, and what it read).
    Preflight,
    /// CloudFormation's change set of the update could not be made, read or executed (`plan --changeset`):
    /// AWS's own error.
    ChangeSet { change_set: String, error: String },
    /// A status rackfile does not change a stack in (e.g. REVIEW_IN_PROGRESS).
    Other,
}

/// A change racks.toml asks of a parameter Convox sets at install only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstallOnlyChange {
    pub parameter: String,
    pub live: String,
    pub declared: String,
    pub rule: RuleImpact,
}

/// The operation that would delete a protected stack.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Deletion {
    Uninstall,
    /// `--recover` of a failed install: deleted, then installed again.
    Reinstall,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TemplatePlan {
    Url {
        url: String,
    },
    File {
        path: String,
        sha256: String,
        body: String,
    },
}

impl TemplatePlan {
    pub fn source(&self) -> TemplateSource {
        match self {
            TemplatePlan::Url { url } => TemplateSource::Url(url.clone()),
            TemplatePlan::File { body, .. } => TemplateSource::Body(body.clone()),
        }
    }

    pub fn describe(&self) -> &str {
        match self {
            TemplatePlan::Url { url } => url,
            TemplatePlan::File { path, .. } => path,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    pub kind: ChangeKind,
    pub name: String,
    /// `None`: absent before (or hidden, when `sensitive`).
    pub before: Option<String>,
    pub after: Option<String>,
    /// A NoEcho parameter: values are never shown.
    pub sensitive: bool,
    /// A unified diff, for a local template file that differs from the live template.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub diff: Option<String>,
    /// What the change does to the running rack, by Convox's own rules (`convox::rule_for`).
    #[serde(rename = "impact", skip_serializing_if = "Option::is_none", default)]
    pub rule: Option<RuleImpact>,
    /// What a parameter or template change alone reaches (`plan::impact`); the rack's `impact` is what the
    /// whole update reaches. The views word it (`render::impact::describe_reach`: `replaces
    /// LaunchConfiguration; rolling replacement of Instances, 1 at a time`), the JSON view as `reach`
    /// beside it.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub reached: Option<Vec<crate::template::ResourceImpact>>,
    /// The SSM parameter an `SsmValue` change's parameter names.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub ssm_name: Option<String>,
}

/// What Convox's rule says a parameter change does to a running rack, and where that rule is written. The
/// views word it (`render::impact::rule_says`: "replaces instances (rolling, 1 at a time)"), the JSON view
/// as `says` beside `effect`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleImpact {
    pub effect: Effect,
    pub source: String,
    pub rule: crate::convox::Rule,
    /// Instances replaced at a time, for a rolling replacement: the batch size the update leaves the rack
    /// with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_a_time: Option<String>,
}

impl RuleImpact {
    /// Whether the plan's closing lines call the change out as disruptive.
    pub fn is_disruptive(&self) -> bool {
        matches!(
            self.effect,
            Effect::DataLoss | Effect::RollingReplacement | Effect::RecreatesSubnets
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    Parameter,
    Template,
    Tag,
    TerminationProtection,
    /// An SSM-typed parameter (`AWS::SSM::Parameter::Value<...>`) whose value in Parameter Store is not
    /// what the stack resolved it to: CloudFormation resolves it again at the update. `before` is the
    /// stack's ResolvedValue, `after` the value now (`None`: it could not be read).
    SsmValue,
    /// The stack's service role (RoleARN): changed by the UpdateStack that passes the new one; it reaches
    /// no resource.
    Role,
    /// The SNS topics of the stack's events: changed by the UpdateStack that passes them.
    NotificationArns,
    /// The stack policy, described by what it denies: set by SetStackPolicy before any UpdateStack.
    StackPolicy,
    /// The rollback triggers and monitoring time: changed by the UpdateStack that passes them.
    Rollback,
}

impl ChangeKind {
    /// Whether apply sends an UpdateStack for a change of this kind: termination protection and the stack
    /// policy are set by calls of their own.
    pub fn is_update_stack(self) -> bool {
        !matches!(
            self,
            ChangeKind::TerminationProtection | ChangeKind::StackPolicy
        )
    }

    /// Whether a change of this kind reaches the stack's resources through its template, and so is what
    /// the impact analysis looks at (tags and termination protection are not).
    pub fn reaches_resources(self) -> bool {
        matches!(
            self,
            ChangeKind::Parameter | ChangeKind::Template | ChangeKind::SsmValue
        )
    }
}

/// The stack options racks.toml manages (`None`: not managed, CloudFormation keeps the live one).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PlannedOptions {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notification_arns: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stack_policy: Option<PlannedStackPolicy>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollback: Option<crate::cloud::RollbackConfiguration>,
}

impl PlannedOptions {
    pub fn is_empty(&self) -> bool {
        *self == PlannedOptions::default()
    }

    /// What CreateStack and UpdateStack send.
    pub fn request(&self) -> crate::cloud::StackOptions {
        crate::cloud::StackOptions {
            notification_arns: self.notification_arns.clone(),
            stack_policy_body: self.stack_policy.as_ref().map(|policy| policy.body.clone()),
            rollback: self.rollback.clone(),
        }
    }
}

/// A stack policy as planned: the body sent, and what it protects in words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannedStackPolicy {
    /// "convox-stateful" or the file's path.
    pub source: String,
    /// What it denies, e.g. "denies Update:Replace, Update:Delete on Bucket, Table".
    pub protects: String,
    pub body: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StackFingerprint {
    pub stack_id: String,
    pub status: StackStatus,
    pub last_updated: String,
    /// SHA-256 over the live parameters, so a change made behind rackfile's back is noticed.
    pub parameters_sha256: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UndeclaredRack {
    pub org: String,
    pub account_id: String,
    pub region: String,
    pub name: String,
    pub status: StackStatus,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Summary {
    pub install: usize,
    pub update: usize,
    #[serde(default)]
    pub upgrade: usize,
    #[serde(default)]
    pub reinstall: usize,
    #[serde(default)]
    pub continue_rollback: usize,
    #[serde(default)]
    pub uninstall: usize,
    pub unchanged: usize,
    pub blocked: usize,
    /// Racks busy when planned: apply waits for each, then plans it again.
    #[serde(default)]
    pub wait: usize,
}

impl RackPlan {
    /// The UpdateStack input of `update` for this rack, its service role and stack options included: the
    /// one value both UpdateStack and a change set of it are made of.
    pub fn update_request(
        &self,
        update: &Update,
        token: String,
    ) -> crate::cloud::UpdateStackRequest {
        crate::cloud::UpdateStackRequest {
            role_arn: self.role_arn.clone(),
            options: self.options.request(),
            ..update.request(&self.name, token)
        }
    }

    /// Where the rack's stack is.
    pub fn key(&self) -> StackKey {
        StackKey::new(&self.account_id, &self.region, &self.name)
    }

    /// Whether `apply --auto-approve=in-place` holds this rack for a person.
    pub fn is_held(&self) -> bool {
        !self.hold.is_empty()
    }

    pub fn id(&self) -> crate::config::RackId {
        crate::config::RackId {
            org: self.org.clone(),
            name: self.name.clone(),
        }
    }
}

impl Plan {
    /// The stacks, as (account, region, name), whose update changes a parameter or the template: the racks
    /// whose live template the impact analysis needs.
    pub fn live_templates_wanted(&self) -> Vec<StackKey> {
        self.racks
            .iter()
            .filter(|rack| {
                rack.action
                    .changes()
                    .iter()
                    .any(|change| change.kind.reaches_resources())
            })
            .map(RackPlan::key)
            .collect()
    }
}

impl Summary {
    /// Whether the live racks differ from racks.toml: a change to make, or a rack blocked from one (it is
    /// not what racks.toml says either). What `plan --detailed-exitcode` exits 2 for.
    pub fn differs(&self) -> bool {
        self.has_changes() || self.blocked > 0 || self.wait > 0
    }

    /// Whether apply has anything to do: a change, or a rack to wait for and plan again.
    pub fn has_work(&self) -> bool {
        self.has_changes() || self.wait > 0
    }

    pub fn has_changes(&self) -> bool {
        self.install
            + self.update
            + self.upgrade
            + self.reinstall
            + self.continue_rollback
            + self.uninstall
            > 0
    }

    /// `1 to install, 1 to update, 2 unchanged, 0 blocked`; actions other than these four only when present.
    pub fn describe(&self) -> String {
        let mut parts = vec![
            format!("{} to install", self.install),
            format!("{} to update", self.update),
        ];
        for (count, what) in [
            (self.upgrade, "to upgrade in steps"),
            (self.reinstall, "to reinstall"),
            (self.continue_rollback, "to continue rollback"),
            (self.uninstall, "to uninstall"),
            (self.wait, "to wait for"),
        ] {
            if count > 0 {
                parts.push(format!("{count} {what}"));
            }
        }
        parts.push(format!("{} unchanged", self.unchanged));
        parts.push(format!("{} blocked", self.blocked));
        parts.join(", ")
    }
}

impl StackFingerprint {
    pub fn of(stack: &crate::cloud::Stack) -> Self {
        let mut text = String::new();
        for (key, value) in &stack.parameters {
            text.push_str(key);
            text.push('\0');
            text.push_str(value);
            text.push('\0');
        }
        Self {
            stack_id: stack.stack_id.clone(),
            status: stack.status.clone(),
            last_updated: stack.last_updated.clone(),
            parameters_sha256: crate::config::sha256_hex(text.as_bytes()),
        }
    }

    /// How a stack moved from `then` to `now`, either of which may be absent (no stack); `None` when
    /// nothing changed.
    pub fn change(then: Option<&Self>, now: Option<&Self>) -> Option<StackDifference> {
        match (then, now) {
            (None, None) => None,
            (None, Some(_)) => Some(StackDifference::Created),
            (Some(_), None) => Some(StackDifference::Deleted),
            (Some(then), Some(now)) => then.difference(now),
        }
    }

    /// How this fingerprint differs from another (the first difference), or `None` when they match.
    pub fn difference(&self, now: &StackFingerprint) -> Option<StackDifference> {
        let Self {
            stack_id,
            status,
            last_updated,
            parameters_sha256,
        } = self;
        if *stack_id != now.stack_id {
            Some(StackDifference::Replaced)
        } else if *status != now.status {
            Some(StackDifference::Status {
                then: status.clone(),
                now: now.status.clone(),
            })
        } else if *last_updated != now.last_updated {
            Some(StackDifference::Updated {
                at: now.last_updated.clone(),
            })
        } else if *parameters_sha256 != now.parameters_sha256 {
            Some(StackDifference::Parameters)
        } else {
            None
        }
    }
}

/// How a stack moved between two readings of it (`StackFingerprint::change`); `render::staleness` words it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StackDifference {
    /// A stack of the name was created where there was none.
    Created,
    Deleted,
    /// Replaced: its StackId changed.
    Replaced,
    Status {
        then: StackStatus,
        now: StackStatus,
    },
    /// Updated at this LastUpdatedTime.
    Updated {
        at: String,
    },
    Parameters,
}
