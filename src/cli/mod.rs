//! Command-line arguments. Raw clap types stay here: `Cli::into_invocation` checks them and hands the rest
//! of rackfile plain, validated options.

pub mod commands;
pub mod options;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use clap_complete::Shell;

use crate::apply::{OnTimeout, TimeLimit, Timings};
use crate::cli::options::{
    ApplyOptions, ApplySource, Approval, CancelOptions, DoctorOptions, DriftOptions, EventsOptions,
    ImportOptions, PermissionsOptions, PlanFormat, PlanOptions, ShowOptions, StatusOptions,
};
pub use crate::cli::options::{Connection, Invocation};
use crate::config::RackId;
use crate::error::Error;

/// Manage Convox Racks declaratively: racks.toml is the record, `plan` shows what would change,
/// `apply` makes it so.
#[derive(Debug, Parser)]
#[command(
    name = "rackfile",
    version,
    propagate_version = true,
    after_help = "Exit codes: 0 success (plan: no differences, or any without --detailed-exitcode); 1 error \
(including an apply in which a rack failed); 2 plan --detailed-exitcode found differences; 3 apply \
--auto-approve=in-place held racks for a person, or plan --detailed-exitcode=in-place found racks it would \
hold; 130 interrupted (Ctrl-C, SIGTERM, SIGHUP, SIGQUIT)."
)]
pub struct Cli {
    /// Send every AWS request to this endpoint (e.g. a local emulator). AWS_ENDPOINT_URL works too.
    #[arg(long, global = true, value_name = "URL")]
    endpoint_url: Option<String>,

    /// Log every AWS call (with its attempts and duration) to stderr; -vv adds the AWS SDK's own log.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,

    #[command(subcommand)]
    command: CommandArgs,
}

#[derive(Debug, Subcommand)]
enum CommandArgs {
    /// Check racks.toml offline: syntax, keys, types and rules. Makes no AWS call.
    Validate(FileArg),
    /// Read the live stacks and print what apply would change, rack by rack.
    Plan(PlanArgs),
    /// Install and update racks: plan, confirm, then apply (or apply a saved plan exactly).
    Apply(ApplyArgs),
    /// Show each declared rack's live state, like `convox racks`, with its
    /// endpoint.
    Status(StatusArgs),
    /// Detect what was changed outside CloudFormation on every declared rack at once (CloudFormation's drift
    /// detection): drifted resources in rack terms, what Convox itself changes (and `drift_ignore`) apart,
    /// and every resource CloudFormation did not check, named.
    Drift(DriftArgs),
    /// Explain each rack's last operation, whoever started it (`convox`, the autoscaler, a detached
    /// apply): how it ended, its root cause (the first failed resource, with CloudFormation's reason) and
    /// the recent events. Changes nothing.
    Events(EventsArgs),
    /// Cancel an update in progress (CancelUpdateStack), whoever started it; CloudFormation rolls it back
    /// to the rack's previous template and parameters. Asks for confirmation like apply.
    Cancel(CancelArgs),
    /// Print a racks.toml for the racks already live in an account (redirect it to a file).
    Import(ImportArgs),
    /// Check racks.toml, credentials, account guards, templates and stacks; exit 1 if any check fails.
    Doctor(FileArg),
    /// Print a plan saved by `rackfile plan --out` again, exactly as plan printed it, from the file alone
    /// (no AWS call): plan once in CI, comment it on the pull request, apply the same file later.
    Show(ShowArgs),
    /// Print the IAM policy a command needs for the racks of racks.toml: the narrowest resources AWS
    /// allows, `*` only where it allows nothing narrower (each says why). Makes no AWS call.
    Permissions(PermissionsArgs),
    /// Print the JSON Schema of racks.toml.
    Schema,
    /// Print a shell completion script.
    Completions {
        #[arg(value_enum)]
        shell: Shell,
    },
}

#[derive(Debug, Args)]
struct FileArg {
    /// The racks file.
    #[arg(
        short = 'f',
        long = "file",
        default_value = "racks.toml",
        value_name = "FILE"
    )]
    file: PathBuf,
}

#[derive(Debug, Args)]
struct PlanArgs {
    #[command(flatten)]
    file: FileArg,
    /// Plan only this rack (org/name); repeatable.
    #[arg(long = "target", value_name = "ORG/NAME")]
    targets: Vec<String>,
    /// Print the plan as JSON (a documented contract with a format_version); short for --format json.
    #[arg(long, conflicts_with = "format")]
    json: bool,
    /// How to print the plan: human (default), json, or markdown (for pull-request comments and
    /// $GITHUB_STEP_SUMMARY).
    #[arg(long, value_enum, value_name = "FORMAT")]
    format: Option<PlanFormat>,
    /// Save the plan, with fingerprints of racks.toml and each stack, for `rackfile apply PLANFILE`.
    #[arg(long, value_name = "PLANFILE")]
    out: Option<PathBuf>,
    /// Exit 2 when the racks differ from racks.toml: changes to make, or racks blocked from them (0: no
    /// differences, 1: error). With `=in-place`, exit 3 instead when `apply --auto-approve=in-place` would
    /// hold some rack for a person (a replacement, an install, an impact not analysed).
    #[arg(
        long,
        value_enum,
        value_name = "WHICH",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "all"
    )]
    detailed_exitcode: Option<Approval>,
    /// Plan failed racks for recovery: a failed install is deleted and installed again, an
    /// UPDATE_ROLLBACK_FAILED rollback is continued. Without it they are shown blocked.
    #[arg(long)]
    recover: bool,
    /// Detect drift (CloudFormation's drift detection) on the racks the plan updates, and mark each
    /// resource changed outside CloudFormation that the update would put back; `apply
    /// --auto-approve=in-place` holds such a rack.
    #[arg(long)]
    drift: bool,
    /// Check every update against CloudFormation's own view of it: a change set per update (made of
    /// exactly what the update sends), compared resource by resource with rackfile's analysis. The change
    /// sets are deleted before plan exits, unless --out keeps them for `rackfile apply PLANFILE`, which
    /// then executes them.
    #[arg(long)]
    changeset: bool,
}

#[derive(Debug, Args)]
struct ShowArgs {
    /// A plan saved by `rackfile plan --out`.
    #[arg(value_name = "PLANFILE")]
    plan_file: PathBuf,
    /// Print the plan as JSON; short for --format json.
    #[arg(long, conflicts_with = "format")]
    json: bool,
    /// How to print the plan: human (default), json, or markdown.
    #[arg(long, value_enum, value_name = "FORMAT")]
    format: Option<PlanFormat>,
}

#[derive(Debug, Args)]
struct PermissionsArgs {
    #[command(flatten)]
    file: FileArg,
    /// The command whose policy to print.
    #[arg(value_enum, default_value_t = crate::permissions::Command::Apply)]
    command: crate::permissions::Command,
    /// Print only the policy document (for `aws iam put-role-policy --policy-document`).
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
struct StatusArgs {
    #[command(flatten)]
    file: FileArg,
    /// Print the status as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
struct DriftArgs {
    #[command(flatten)]
    file: FileArg,
    /// Detect only on this rack (org/name); repeatable.
    #[arg(long = "target", value_name = "ORG/NAME")]
    targets: Vec<String>,
    /// Print the report as JSON (a documented contract with a format_version).
    #[arg(long)]
    json: bool,
    /// Exit 2 when a rack has drifted (0: no drift, 1: error, or a rack that could not be checked).
    /// Resources CloudFormation does not check are listed, never drift.
    #[arg(long)]
    detailed_exitcode: bool,
}

#[derive(Debug, Args)]
struct EventsArgs {
    #[command(flatten)]
    file: FileArg,
    /// Only this rack (org/name); repeatable.
    #[arg(long = "target", value_name = "ORG/NAME")]
    targets: Vec<String>,
    /// Show every event of this last while (90s, 45m, 2h, 3d), not only the last operation's.
    #[arg(long, value_name = "DURATION", value_parser = parse_since)]
    since: Option<std::time::Duration>,
    /// Print the histories as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
struct CancelArgs {
    #[command(flatten)]
    file: FileArg,
    /// The rack whose update to cancel (org/name, declared in racks.toml); repeatable.
    #[arg(long = "target", value_name = "ORG/NAME", required = true)]
    targets: Vec<String>,
    /// Do not ask for confirmation.
    #[arg(long)]
    auto_approve: bool,
    /// Follow each rollback to its end, as apply does, and exit 1 unless every one completed.
    #[arg(long)]
    wait: bool,
}

#[derive(Debug, Args)]
struct ImportArgs {
    /// The org name the racks are declared under in the printed racks.toml.
    #[arg(long, value_name = "ORG")]
    org: String,
    /// A region to look for racks in; repeatable.
    #[arg(long = "region", value_name = "REGION", required = true)]
    regions: Vec<String>,
    /// The AWS profile to read with (and to write into the org); without it, the default credential chain.
    #[arg(long, value_name = "PROFILE")]
    profile: Option<String>,
}

#[derive(Debug, Args)]
struct ApplyArgs {
    /// A plan saved by `rackfile plan --out`: applied exactly, after checking nothing changed since.
    #[arg(value_name = "PLANFILE", conflicts_with_all = ["file", "targets"])]
    plan_file: Option<PathBuf>,
    /// The racks file.
    #[arg(short = 'f', long = "file", value_name = "FILE")]
    file: Option<PathBuf>,
    /// Apply only this rack (org/name); repeatable.
    #[arg(long = "target", value_name = "ORG/NAME")]
    targets: Vec<String>,
    /// Do not ask for confirmation. `=in-place` applies only the racks whose every change is in place (no
    /// replacement, no rolling replacement of instances, no install, reinstall, uninstall or continued
    /// rollback, nothing the analysis could not read) and holds the others for a person: exit 3.
    #[arg(
        long,
        value_enum,
        value_name = "WHICH",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "all"
    )]
    auto_approve: Option<Approval>,
    /// At most this many racks change at once (within a wave, unless [rollout] sets `max_concurrent`).
    #[arg(long, default_value_t = 10, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    parallelism: u16,
    /// How long a rack may change: a duration (45m, 2h, 1h30m, 90s) or `budget`, each change's own figure
    /// from the plan. What happens then is `--on-timeout`; an install is created with TimeoutInMinutes, so
    /// CloudFormation rolls it back itself.
    #[arg(long, value_name = "DURATION|budget", value_parser = parse_timeout)]
    timeout: Option<TimeLimit>,
    /// At the timeout, `detach`: stop following (the change goes on in AWS; exit 1); `cancel`: cancel an
    /// update rackfile started (CancelUpdateStack) and follow its rollback.
    #[arg(long, value_enum, value_name = "WHAT", default_value_t = OnTimeoutArg::Detach, requires = "timeout")]
    on_timeout: OnTimeoutArg,
    /// Apply only wave N of [rollout] (from 1), and bake it: for pipelines with a gate between waves.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    wave: Option<u16>,
    /// Recover failed racks (see `plan --recover`); a saved plan carries its own choice.
    #[arg(long, conflicts_with = "plan_file")]
    recover: bool,
    /// Detect drift on the racks to update first (see `plan --drift`): each resource changed outside
    /// CloudFormation that an update puts back is shown, and `--auto-approve=in-place` holds that rack.
    #[arg(long)]
    drift: bool,
    /// With --recover, for the rack whose rollback failed (UPDATE_ROLLBACK_FAILED): continue its rollback
    /// without rolling back these resources (logical ids; each must itself have failed). CloudFormation
    /// leaves each as it is, so the stack may drift from its template. Needed again on every apply.
    #[arg(long = "skip", value_name = "RESOURCE", num_args = 1.., requires = "recover", conflicts_with = "json")]
    skip: Vec<String>,
    /// Allow the racks with `ensure = "absent"` to be uninstalled; without it an apply that would
    /// uninstall anything changes nothing.
    #[arg(long)]
    allow_uninstall: bool,
    /// Print the apply as JSON lines (a documented contract: version, plan, rack_start, stack_event,
    /// rack_progress, rack_held, rack_complete, rack_errored, summary, diagnostic). Needs --auto-approve or a
    /// saved plan; an install that would print a generated password is refused.
    #[arg(long)]
    json: bool,
}

/// `--on-timeout`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum OnTimeoutArg {
    /// Stop following; the change goes on in AWS.
    Detach,
    /// Cancel an update rackfile started (CancelUpdateStack) and follow its rollback.
    Cancel,
}

fn parse_since(text: &str) -> Result<std::time::Duration, String> {
    humantime::parse_duration(text)
        .map_err(|error| format!("`{text}` is not a duration like 90s, 45m, 2h or 3d: {error}"))
}

/// The longest `--timeout`: far past any stack operation, and far from the clock's own limit (a larger
/// duration added to the start of a rack's work would overflow it).
pub const MAX_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(7 * 24 * 3600);

fn parse_timeout(text: &str) -> Result<TimeLimit, String> {
    if text == "budget" {
        return Ok(TimeLimit::Budget);
    }
    let duration = humantime::parse_duration(text).map_err(|error| {
        format!("`{text}` is not a duration like 90s, 45m, 2h or 1h30m, nor `budget`: {error}")
    })?;
    if duration.is_zero() {
        return Err("the timeout must be more than zero".into());
    }
    if duration > MAX_TIMEOUT {
        return Err(format!(
            "`{text}` is longer than the most --timeout takes, {}: no CloudFormation operation rackfile follows waits that long (a WaitCondition's limit is 12 hours), so a longer one is a typo",
            crate::render::duration(MAX_TIMEOUT, crate::render::Notation::Words)
        ));
    }
    Ok(TimeLimit::After(duration))
}

impl Cli {
    pub fn verbosity(&self) -> u8 {
        self.verbose
    }

    /// Whether the command asked for JSON output: decided before any argument is checked, so that even an
    /// error about the arguments reaches a machine reading stdout as JSON.
    pub fn wants_json(&self) -> bool {
        matches!(
            &self.command,
            CommandArgs::Plan(PlanArgs { json: true, .. })
                | CommandArgs::Plan(PlanArgs {
                    format: Some(PlanFormat::Json),
                    ..
                })
                | CommandArgs::Show(ShowArgs { json: true, .. })
                | CommandArgs::Show(ShowArgs {
                    format: Some(PlanFormat::Json),
                    ..
                })
                | CommandArgs::Status(StatusArgs { json: true, .. })
                | CommandArgs::Drift(DriftArgs { json: true, .. })
                | CommandArgs::Events(EventsArgs { json: true, .. })
                | CommandArgs::Permissions(PermissionsArgs { json: true, .. })
                | CommandArgs::Apply(ApplyArgs { json: true, .. })
        )
    }

    /// `--endpoint-url`; an empty value (what CI gives for an unset variable) is no endpoint.
    pub fn endpoint_url(&self) -> Option<&str> {
        self.endpoint_url
            .as_deref()
            .filter(|url| !url.trim().is_empty())
    }

    pub fn into_invocation(self) -> Result<(Invocation, Connection), Error> {
        let connection = Connection {
            endpoint_url: self.endpoint_url().map(str::to_string),
        };
        let invocation = match self.command {
            CommandArgs::Validate(FileArg { file }) => Invocation::Validate { file },
            CommandArgs::Plan(args) => Invocation::Plan(PlanOptions {
                file: args.file.file,
                targets: targets(&args.targets)?,
                format: format(args.json, args.format),
                out: args.out,
                detailed_exitcode: args.detailed_exitcode,
                recover: args.recover,
                drift: args.drift,
                changeset: args.changeset,
            }),
            CommandArgs::Apply(args) => Invocation::Apply(ApplyOptions {
                source: match args.plan_file {
                    Some(plan) if args.auto_approve.is_some() && is_approval_word(&plan) => {
                        return Err(value_without_equals("--auto-approve", &plan));
                    }
                    Some(plan) => ApplySource::SavedPlan(plan),
                    None => ApplySource::Config(args.file.unwrap_or_else(|| "racks.toml".into())),
                },
                targets: targets(&args.targets)?,
                auto_approve: args.auto_approve,
                recover: args.recover,
                skip: args.skip,
                allow_uninstall: args.allow_uninstall,
                json: args.json,
                parallelism: usize::from(args.parallelism),
                wave: args.wave.map(usize::from),
                drift: args.drift,
                timings: Timings {
                    timeout: args.timeout,
                    on_timeout: match args.on_timeout {
                        OnTimeoutArg::Detach => OnTimeout::Detach,
                        OnTimeoutArg::Cancel => OnTimeout::Cancel,
                    },
                    ..Timings::default()
                },
            }),
            CommandArgs::Status(args) => Invocation::Status(StatusOptions {
                file: args.file.file,
                json: args.json,
            }),
            CommandArgs::Drift(args) => Invocation::Drift(DriftOptions {
                file: args.file.file,
                targets: targets(&args.targets)?,
                json: args.json,
                detailed_exitcode: args.detailed_exitcode,
                timings: crate::live::drift::DriftTimings::default(),
            }),
            CommandArgs::Events(args) => Invocation::Events(EventsOptions {
                file: args.file.file,
                targets: targets(&args.targets)?,
                since: args.since,
                json: args.json,
            }),
            CommandArgs::Cancel(args) => Invocation::Cancel(CancelOptions {
                file: args.file.file,
                targets: targets(&args.targets)?,
                auto_approve: args.auto_approve,
                wait: args.wait,
                timings: Timings::default(),
            }),
            CommandArgs::Import(args) => {
                // A region named twice would declare each of its racks twice.
                let mut regions: Vec<String> = Vec::new();
                for region in args.regions {
                    if !regions.contains(&region) {
                        regions.push(region);
                    }
                }
                Invocation::Import(ImportOptions {
                    org: args.org,
                    regions,
                    profile: args.profile,
                })
            }
            CommandArgs::Doctor(FileArg { file }) => Invocation::Doctor(DoctorOptions { file }),
            CommandArgs::Show(args) => Invocation::Show(ShowOptions {
                plan_file: args.plan_file,
                format: format(args.json, args.format),
            }),
            CommandArgs::Permissions(args) => Invocation::Permissions(PermissionsOptions {
                file: args.file.file,
                command: args.command,
                json: args.json,
            }),
            CommandArgs::Schema => Invocation::Schema,
            CommandArgs::Completions { shell } => Invocation::Completions { shell },
        };
        Ok((invocation, connection))
    }
}

/// `all` or `in-place`: what a person meant as `--auto-approve`'s value when they wrote it after a space,
/// which clap takes as the saved plan's file name (the value needs `=`, as the flag's value is optional).
fn is_approval_word(path: &std::path::Path) -> bool {
    path == std::path::Path::new("in-place") || path == std::path::Path::new("all")
}

fn value_without_equals(flag: &str, value: &std::path::Path) -> Error {
    let value = value.display();
    Error::Usage {
        message: format!(
            "`{flag} {value}`: `{value}` was read as a saved plan's file name, not as {flag}'s value"
        ),
        hint: Some(format!("write {flag}={value} (the value needs `=`)")),
    }
}

/// A hint for the slips of people coming from Terraform and stack_master, given the arguments clap
/// refused: a long flag written with one dash (`-auto-approve`, `-target=x`), or `--detailed-exitcode` and
/// `--auto-approve` given their value after a space instead of `=`.
pub fn hint_for_refused(arguments: &[String]) -> Option<String> {
    let command = <Cli as clap::CommandFactory>::command();
    let long_flags: Vec<String> = std::iter::once(&command)
        .chain(command.get_subcommands())
        .flat_map(|command| command.get_arguments())
        .filter_map(|argument| argument.get_long().map(str::to_string))
        .collect();
    for (index, argument) in arguments.iter().enumerate() {
        if let Some(rest) = argument.strip_prefix('-')
            && !rest.starts_with('-')
        {
            let name = rest.split_once('=').map_or(rest, |(name, _)| name);
            if name.len() > 1 && long_flags.iter().any(|flag| flag == name) {
                return Some(format!(
                    "rackfile's long flags take two dashes: write -{argument} (Terraform's `{argument}`)"
                ));
            }
        }
        if matches!(argument.as_str(), "--detailed-exitcode" | "--auto-approve")
            && let Some(value) = arguments.get(index + 1)
            && is_approval_word(std::path::Path::new(value))
        {
            return Some(format!("write {argument}={value} (the value needs `=`)"));
        }
    }
    None
}

/// `--json` or `--format`: JSON wins (clap refuses both at once), human unless told.
fn format(json: bool, format: Option<PlanFormat>) -> PlanFormat {
    if json {
        PlanFormat::Json
    } else {
        format.unwrap_or(PlanFormat::Human)
    }
}

/// `--target ORG/NAME`s, checked.
fn targets(texts: &[String]) -> Result<Vec<RackId>, Error> {
    texts
        .iter()
        .map(|text| {
            text.parse().map_err(|message| Error::Usage {
                message: format!("--target {message}"),
                hint: Some(
                    "racks are named by org and stack name, e.g. --target personal/example".into(),
                ),
            })
        })
        .collect()
}

pub fn completions(shell: Shell) -> String {
    let mut command = <Cli as clap::CommandFactory>::command();
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut command, "rackfile", &mut out);
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use clap::Parser;

    use super::*;

    fn apply_timings(args: &[&str]) -> Result<Timings, String> {
        let cli = Cli::try_parse_from(["rackfile", "apply"].iter().chain(args))
            .map_err(|error| error.to_string())?;
        match cli.into_invocation() {
            Ok((Invocation::Apply(options), _)) => Ok(options.timings),
            other => panic!("not an apply: {other:?}"),
        }
    }

    #[test]
    fn timeout_takes_a_duration_or_the_budget_and_on_timeout_detaches_unless_told() {
        let timings = apply_timings(&["--timeout", "1h30m"]).unwrap();
        assert_eq!(
            timings.timeout,
            Some(TimeLimit::After(Duration::from_secs(5_400)))
        );
        assert_eq!(timings.on_timeout, OnTimeout::Detach);
        let timings = apply_timings(&["--timeout", "budget", "--on-timeout", "cancel"]).unwrap();
        assert_eq!(timings.timeout, Some(TimeLimit::Budget));
        assert_eq!(timings.on_timeout, OnTimeout::Cancel);
        assert_eq!(apply_timings(&[]).unwrap().timeout, None);
        let week = apply_timings(&["--timeout", "7days"]).unwrap();
        assert_eq!(week.timeout, Some(TimeLimit::After(MAX_TIMEOUT)));
    }

    #[test]
    fn skip_needs_recover_takes_several_resources_and_is_never_under_json() {
        let parse = |args: &[&str]| {
            Cli::try_parse_from(["rackfile", "apply"].iter().chain(args))
                .map_err(|error| error.to_string())
        };
        let error = parse(&["--skip", "Instances"]).unwrap_err();
        assert!(error.contains("--recover"), "{error}");
        let error = parse(&["--recover", "--json", "--auto-approve", "--skip", "Fn"]).unwrap_err();
        assert!(error.contains("cannot be used with"), "{error}");
        match parse(&["--recover", "--skip", "Instances", "Fn"])
            .unwrap()
            .into_invocation()
        {
            Ok((Invocation::Apply(options), _)) => assert_eq!(options.skip, ["Instances", "Fn"]),
            other => panic!("not an apply: {other:?}"),
        }
    }

    #[test]
    fn cancel_needs_a_target_and_events_a_duration() {
        let parse = |args: &[&str]| {
            Cli::try_parse_from(std::iter::once(&"rackfile").chain(args))
                .map_err(|error| error.to_string())
        };
        assert!(parse(&["cancel"]).unwrap_err().contains("--target"));
        let error = parse(&["events", "--since", "lately"]).unwrap_err();
        assert!(error.contains("is not a duration like 90s"), "{error}");
        match parse(&["events", "--since", "2h"])
            .unwrap()
            .into_invocation()
        {
            Ok((Invocation::Events(options), _)) => {
                assert_eq!(options.since, Some(Duration::from_secs(7200)))
            }
            other => panic!("not events: {other:?}"),
        }
    }

    #[test]
    fn a_timeout_that_is_no_duration_or_zero_and_on_timeout_alone_are_refused() {
        for (args, says) in [
            (
                &["--timeout", "soon"][..],
                "is not a duration like 90s, 45m, 2h or 1h30m, nor `budget`",
            ),
            (
                &["--timeout", "0s"][..],
                "the timeout must be more than zero",
            ),
            (&["--on-timeout", "cancel"][..], "--timeout"),
            (&["--timeout", "5m", "--on-timeout", "kill"][..], "kill"),
            (
                &["--timeout", "400000000000y"][..],
                "longer than the most --timeout takes, 7days",
            ),
            (
                &["--timeout", "7days 1s"][..],
                "longer than the most --timeout takes",
            ),
        ] {
            let error = apply_timings(args).unwrap_err();
            assert!(error.contains(says), "{args:?}: {error}");
        }
    }
}
