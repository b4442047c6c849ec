//! What each command was asked to do, as plain checked data: `cli` builds these from the command line and
//! `commands` runs them, so neither depends on the other.

use std::path::PathBuf;

use clap_complete::Shell;

use crate::apply::Timings;
use crate::config::RackId;

/// How `rackfile plan` prints the plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PlanFormat {
    Human,
    Json,
    Markdown,
}

/// Which racks `apply` applies without asking (`--auto-approve[=all|in-place]`), and which differences
/// `plan --detailed-exitcode[=all|in-place]` tells apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Approval {
    /// Every rack.
    All,
    /// Only racks whose every change is in place; the others are held for a person.
    InPlace,
}

#[derive(Debug, Clone)]
pub struct PlanOptions {
    pub file: PathBuf,
    pub targets: Vec<RackId>,
    pub format: PlanFormat,
    pub out: Option<PathBuf>,
    /// `--detailed-exitcode`: `InPlace` also exits 3 when `apply --auto-approve=in-place` would hold a rack.
    pub detailed_exitcode: Option<Approval>,
    pub recover: bool,
    /// `--drift`: detect drift on the racks the plan updates and mark what each update overwrites.
    pub drift: bool,
    /// `--changeset`: every update checked against CloudFormation's change set of it.
    pub changeset: bool,
}

#[derive(Debug, Clone)]
pub enum ApplySource {
    Config(PathBuf),
    SavedPlan(PathBuf),
}

#[derive(Debug, Clone)]
pub struct ApplyOptions {
    pub source: ApplySource,
    pub targets: Vec<RackId>,
    /// `--auto-approve`: `None` asks for confirmation.
    pub auto_approve: Option<Approval>,
    /// `--recover` (a saved plan carries its own).
    pub recover: bool,
    /// `--skip`: resources the continued rollback leaves as they are (only with `--recover`).
    pub skip: Vec<String>,
    pub allow_uninstall: bool,
    /// `--json`: the apply as a stream of JSON lines (`apply::json_stream`).
    pub json: bool,
    pub parallelism: usize,
    /// `--wave N`: only that wave of the plan's rollout.
    pub wave: Option<usize>,
    /// `--drift`: detect drift on the racks to update first, and hold (in place) or show what they overwrite.
    pub drift: bool,
    pub timings: Timings,
}

/// `rackfile drift`: CloudFormation's drift detection on the declared racks.
#[derive(Debug, Clone)]
pub struct DriftOptions {
    pub file: PathBuf,
    pub targets: Vec<RackId>,
    pub json: bool,
    /// `--detailed-exitcode`: exit 2 when a rack drifted.
    pub detailed_exitcode: bool,
    pub timings: crate::live::drift::DriftTimings,
}

#[derive(Debug, Clone)]
pub struct StatusOptions {
    pub file: PathBuf,
    pub json: bool,
}

/// `rackfile events`: the last operation of each rack, its outcome, root cause and recent events.
#[derive(Debug, Clone)]
pub struct EventsOptions {
    pub file: PathBuf,
    pub targets: Vec<RackId>,
    /// `--since D`: show every event of the last D, not only the last operation's.
    pub since: Option<std::time::Duration>,
    pub json: bool,
}

/// `rackfile cancel`: CancelUpdateStack of updates in progress, whoever started them.
#[derive(Debug, Clone)]
pub struct CancelOptions {
    pub file: PathBuf,
    pub targets: Vec<RackId>,
    /// `--auto-approve`: no confirmation.
    pub auto_approve: bool,
    /// `--wait`: follow each rollback to its end, as apply does.
    pub wait: bool,
    pub timings: Timings,
}

#[derive(Debug, Clone)]
pub struct ImportOptions {
    pub org: String,
    pub regions: Vec<String>,
    pub profile: Option<String>,
}

/// `rackfile show PLANFILE`: a saved plan rendered again, with no AWS call.
#[derive(Debug, Clone)]
pub struct ShowOptions {
    pub plan_file: PathBuf,
    pub format: PlanFormat,
}

/// `rackfile permissions COMMAND`: the IAM policy the command needs for the racks of racks.toml.
#[derive(Debug, Clone)]
pub struct PermissionsOptions {
    pub file: PathBuf,
    pub command: crate::permissions::Command,
    pub json: bool,
}

#[derive(Debug, Clone)]
pub struct DoctorOptions {
    pub file: PathBuf,
}

/// What the user asked for, checked.
#[derive(Debug)]
pub enum Invocation {
    Validate { file: PathBuf },
    Plan(PlanOptions),
    Apply(ApplyOptions),
    Status(StatusOptions),
    Drift(DriftOptions),
    Events(EventsOptions),
    Cancel(CancelOptions),
    Import(ImportOptions),
    Doctor(DoctorOptions),
    Show(ShowOptions),
    Permissions(PermissionsOptions),
    Schema,
    Completions { shell: Shell },
}

/// Options every command that talks to AWS shares.
#[derive(Debug, Clone, Default)]
pub struct Connection {
    pub endpoint_url: Option<String>,
}

impl Invocation {
    /// Whether errors must be printed as JSON on stdout.
    pub fn wants_json(&self) -> bool {
        matches!(
            self,
            Invocation::Plan(PlanOptions {
                format: PlanFormat::Json,
                ..
            }) | Invocation::Show(ShowOptions {
                format: PlanFormat::Json,
                ..
            }) | Invocation::Status(StatusOptions { json: true, .. })
                | Invocation::Drift(DriftOptions { json: true, .. })
                | Invocation::Events(EventsOptions { json: true, .. })
                | Invocation::Permissions(PermissionsOptions { json: true, .. })
                | Invocation::Apply(ApplyOptions { json: true, .. })
        )
    }
}
