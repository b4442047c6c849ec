//! The human view of a plan, terraform-like: a header naming the accounts and regions read, one block per
//! rack led by `+ ~ !`, the racks no one declared, and a closing `Plan:` line.

use std::fmt::Write as _;
use std::io::IsTerminal;

use super::budget::budget_lines;
use super::escape;
use super::hold::{disruptions, wait_words};
use super::impact::{describe_reach, rule_says, verdict};
use super::notes::{note_words, template_unknown_words, warning_words};
use crate::diag::{self, Diagnostic};
use crate::plan::{
    Action, Change, ChangeKind, Held, HeldReason, Install, PasswordSource, Plan, PlanProblem,
    PlannedOptions, RackPlan, TemplateImpact, Update,
};

/// Whether to colour output: only on a terminal, never when NO_COLOR is set (https://no-color.org), and
/// never on a terminal that says it has no colour (`TERM=dumb`: Emacs shells, some CI consoles).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    Plain,
    Colour,
}

impl Style {
    pub fn for_stdout() -> Self {
        Self::choose(
            std::io::stdout().is_terminal(),
            std::env::var_os("TERM").as_deref(),
            std::env::var_os("NO_COLOR").as_deref(),
        )
    }

    /// The decision of `for_stdout`, from what it reads.
    pub fn choose(
        terminal: bool,
        term: Option<&std::ffi::OsStr>,
        no_color: Option<&std::ffi::OsStr>,
    ) -> Self {
        let no_color = no_color.is_some_and(|v| !v.is_empty());
        let dumb = term.is_some_and(|term| term == "dumb");
        if terminal && !no_color && !dumb {
            Style::Colour
        } else {
            Style::Plain
        }
    }

    fn paint(self, code: &str, text: &str) -> String {
        match self {
            Style::Plain => text.to_string(),
            Style::Colour => format!("\x1b[{code}m{text}\x1b[0m"),
        }
    }
}

pub fn plan(plan: &Plan, style: Style) -> String {
    let mut out = String::new();
    for account in &plan.accounts {
        let _ = writeln!(
            out,
            "Read account {} (org {}): {}",
            account.account_id,
            account.org,
            account.regions.join(", ")
        );
    }
    out.push('\n');

    if plan.waves.is_empty() {
        for rack in &plan.racks {
            write_rack(&mut out, rack, style);
        }
    } else {
        // Racks under the wave that takes them, in wave order: the order apply changes them in.
        for wave in &plan.waves {
            let _ = writeln!(
                out,
                "{}",
                style.paint("1", &super::waves::header(wave, plan.waves.len()))
            );
            let _ = writeln!(out, "    {}\n", super::waves::detail(wave, &plan.racks));
            for rack in plan
                .racks
                .iter()
                .filter(|rack| wave.racks.contains(&rack.rack))
            {
                write_rack(&mut out, rack, style);
            }
        }
    }

    if !plan.not_in_racks_toml.is_empty() {
        let _ = writeln!(out, "Not in racks.toml (rackfile never touches these):");
        for rack in &plan.not_in_racks_toml {
            let _ = writeln!(
                out,
                "    {}/{} ({}, account {}) {}",
                rack.org,
                escape(&rack.name),
                rack.region,
                rack.account_id,
                escape(rack.status.as_str())
            );
        }
        out.push('\n');
    }

    let _ = writeln!(out, "Plan: {}.", plan.summary.describe());
    for rack in &plan.racks {
        for what in disruptions(rack) {
            let line = format!("Disruptive: {} {what}", rack.rack);
            let _ = writeln!(out, "{}", style.paint("31", &line));
        }
    }
    out
}

/// One rack's block: its header line, what changes, and its notes, then a blank line.
fn write_rack(out: &mut String, rack: &RackPlan, style: Style) {
    let (colour, verb) = match &rack.action {
        Action::Install(_) => ("32", "will be installed"),
        Action::Update(_) => ("33", "will be updated"),
        Action::Upgrade(upgrade) => (
            "33",
            if upgrade.steps.len() == 1 {
                "will be upgraded in 1 step"
            } else {
                "will be upgraded in steps"
            },
        ),
        Action::Reinstall(_) => ("31", "will be reinstalled"),
        Action::ContinueRollback => ("33", "will continue its rollback"),
        Action::Uninstall(_) => ("31", "will be uninstalled"),
        Action::Unchanged => ("0", "no changes"),
        Action::Blocked(_) => ("31", "is blocked"),
        Action::Wait(_) => ("33", "is waited for, then planned again"),
    };
    let header = format!(
        "{} {} ({}) {verb}",
        rack.action.symbol(),
        rack.rack,
        rack.region
    );
    let _ = writeln!(out, "{}", style.paint(colour, &header));
    let status = rack
        .stack
        .as_ref()
        .map_or("", |stack| stack.status.as_str());
    match &rack.action {
        Action::Install(install) => {
            write_install(out, install, rack.role_arn.as_deref(), &rack.options)
        }
        Action::Reinstall(install) => {
            let _ = writeln!(
                out,
                "    {status}: the failed install is deleted (followed until it is gone), then installed again:"
            );
            write_install(out, install, rack.role_arn.as_deref(), &rack.options);
        }
        Action::ContinueRollback => {
            let _ = writeln!(
                out,
                "    {status}: ContinueUpdateRollback, followed to UPDATE_ROLLBACK_COMPLETE; then the rack is planned again and its update, if any, applied"
            );
        }
        Action::Uninstall(uninstall) => {
            let _ = writeln!(
                out,
                "    before any deletion, as `convox rack uninstall`: its autoscaler rule disabled, then the AutoScalingGroups of each stack deleted with ForceDelete (their instances terminate)"
            );
            if uninstall.dependents.is_empty() {
                let _ = writeln!(out, "    apps and resources: none");
            } else {
                let dependents: Vec<String> = uninstall
                    .dependents
                    .iter()
                    .map(|stack| format!("{} ({})", escape(&stack.name), stack.kind.word()))
                    .collect();
                let _ = writeln!(
                    out,
                    "    deleted first, its Convox stacks: {}",
                    dependents.join(", ")
                );
            }
            let _ = writeln!(
                out,
                "    then the rack's stack, {} resources",
                uninstall.resource_count
            );
            if !uninstall.retained.is_empty() {
                let retained: Vec<String> = uninstall
                    .retained
                    .iter()
                    .map(|r| format!("{} ({})", escape(&r.logical_id), escape(&r.resource_type)))
                    .collect();
                let _ = writeln!(
                    out,
                    "    left behind (DeletionPolicy Retain): {}",
                    retained.join(", ")
                );
            }
        }
        Action::Update(update) => write_update(out, update, "    ", style),
        Action::Upgrade(upgrade) => {
            let _ = writeln!(out, "    releases: {}", escape(&upgrade.path()));
            for (index, step) in upgrade.steps.iter().enumerate() {
                let required = if step.required { " (required)" } else { "" };
                let _ = writeln!(
                    out,
                    "    step {} of {}: to {}{required}",
                    index + 1,
                    upgrade.steps.len(),
                    escape(&step.version)
                );
                write_update(out, &step.update, "      ", style);
            }
        }
        Action::Unchanged => {}
        Action::Blocked(blocked) => {
            // A reason of several lines (one per install-only change) is indented as one block; each
            // line is escaped on its own, so a value cannot start a line of its own.
            let reason = super::blocked::reason(blocked, &rack.preflight)
                .split('\n')
                .map(|line| escape(line).into_owned())
                .collect::<Vec<_>>()
                .join("\n      ");
            let _ = writeln!(out, "    {}: {reason}", blocked.stack_status());
        }
        Action::Wait(wait) => {
            let _ = writeln!(out, "    {}: {}", wait.status, wait_words(wait));
        }
    }
    for held in &rack.held {
        let _ = writeln!(out, "    {}", held_line(held));
    }
    for line in super::drift::overwrite_lines(rack) {
        let _ = writeln!(out, "{}", style.paint("33", &format!("    {line}")));
    }
    for note in &rack.notes {
        let _ = writeln!(out, "    note: {}", escape(&note_words(note)));
    }
    for warning in &rack.warnings {
        let line = format!("    warning: {}", escape(&warning_words(warning)));
        let _ = writeln!(out, "{}", style.paint("33", &line));
    }
    for line in super::preflight::lines(rack) {
        let _ = writeln!(out, "{}", style.paint("33", &format!("    {line}")));
    }
    out.push('\n');
}

/// An update's changes, each with what it reaches, then the verdict on the whole update.
fn write_update(out: &mut String, update: &Update, indent: &str, style: Style) {
    write_changes(out, &update.changes, indent, style);
    match &update.analysis {
        Some(TemplateImpact::Analysed { resources }) => {
            let _ = writeln!(out, "{indent}impact: {}", escape(&verdict(resources)));
        }
        Some(TemplateImpact::NotAnalysed { why }) => {
            let _ = writeln!(
                out,
                "{indent}impact: not analysed ({}); what the change replaces is unknown",
                escape(&template_unknown_words(why))
            );
        }
        None => {}
    }
    for line in update.change_set.iter().flat_map(super::change_set::lines) {
        let _ = writeln!(out, "{indent}{line}");
    }
    for line in update.budget.iter().flat_map(budget_lines) {
        let _ = writeln!(out, "{indent}{line}");
    }
}

/// What an install creates: template, parameters, password source, tags, the service role it is
/// created with.
fn write_install(
    out: &mut String,
    install: &Install,
    role_arn: Option<&str>,
    options: &PlannedOptions,
) {
    let _ = writeln!(out, "    template: {}", escape(install.template.describe()));
    let mut parameters: Vec<(&String, String)> = install
        .parameters
        .iter()
        .map(|(name, value)| {
            let shown = if install.sensitive.contains(name) {
                "(sensitive)".to_string()
            } else {
                escape(value).into_owned()
            };
            (name, shown)
        })
        .chain(
            install
                .template_defaults
                .iter()
                .map(|(name, value)| (name, format!("{} (template default)", escape(value)))),
        )
        .collect();
    parameters.sort();
    for (name, value) in parameters {
        let _ = writeln!(out, "    {}: {value}", escape(name));
    }
    match &install.password {
        Some(PasswordSource::Env { variable }) => {
            let _ = writeln!(out, "    Password: (sensitive, from ${variable})");
        }
        Some(PasswordSource::Generate) => {
            let _ = writeln!(
                out,
                "    Password: (sensitive, generated and printed once at install)"
            );
        }
        Some(PasswordSource::Ssm {
            parameter,
            existing,
        }) => {
            let when = if *existing {
                "existing"
            } else {
                "created at install"
            };
            let _ = writeln!(
                out,
                "    Password: (sensitive, from SSM {parameter}, {when})"
            );
        }
        None => {}
    }
    let tags: Vec<String> = install
        .tags
        .iter()
        .map(|(k, v)| format!("{}={}", escape(k), escape(v)))
        .collect();
    let _ = writeln!(out, "    tags: {}", tags.join(", "));
    if install.termination_protection {
        let _ = writeln!(out, "    termination protection: on");
    }
    if let Some(role) = role_arn {
        let _ = writeln!(out, "    role: {}", escape(role));
    }
    if let Some(topics) = &options.notification_arns {
        let _ = writeln!(
            out,
            "    notification topics: {}",
            escape(&topics.join(", "))
        );
    }
    if let Some(policy) = &options.stack_policy {
        let _ = writeln!(
            out,
            "    stack policy ({}): {}",
            escape(&policy.source),
            escape(&policy.protects)
        );
    }
    if let Some(rollback) = &options.rollback {
        let _ = writeln!(
            out,
            "    rollback triggers: {}",
            escape(&crate::plan::describe_rollback(Some(rollback)))
        );
    }
    for line in install.budget.iter().flat_map(budget_lines) {
        let _ = writeln!(out, "    {line}");
    }
}

/// The changes of one update, each with its impact, a local template's diff under its line.
fn write_changes(out: &mut String, changes: &[Change], indent: &str, style: Style) {
    for change in changes {
        let line = change_line(change);
        let line = match &change.rule {
            Some(impact) if impact.is_disruptive() => {
                let says = rule_says(impact.rule, impact.at_a_time.as_deref());
                format!("{line}  {}", style.paint("31", &format!("# {says}")))
            }
            Some(impact) => format!(
                "{line}  # {}",
                rule_says(impact.rule, impact.at_a_time.as_deref())
            ),
            None => line,
        };
        let _ = writeln!(out, "{indent}{line}");
        if let Some(reached) = &change.reached {
            let _ = writeln!(out, "{indent}  ↳ {}", escape(&describe_reach(reached)));
        }
        if let Some(diff) = &change.diff {
            for line in diff.lines() {
                let line = escape(line);
                let painted = match line.chars().next() {
                    Some('+') if !line.starts_with("+++") => style.paint("32", &line),
                    Some('-') if !line.starts_with("---") => style.paint("31", &line),
                    _ => line.into_owned(),
                };
                let _ = writeln!(out, "{indent}  {painted}");
            }
        }
    }
}

/// A parameter racks.toml sets that the plan leaves at its live value.
fn held_line(held: &Held) -> String {
    let why = match held.reason {
        HeldReason::Autoscaled => "autoscaled",
        HeldReason::IgnoreChanges => "ignore_changes",
    };
    let (live, declared) = (escape(&held.live), escape(&held.declared));
    if held.live == held.declared {
        format!("{}: {live} ({why})", held.parameter)
    } else {
        format!(
            "{}: {live} ({why}; racks.toml's {declared} applies at install only)",
            held.parameter
        )
    }
}

fn change_line(change: &Change) -> String {
    let show = |value: &Option<String>| match value {
        _ if change.sensitive => "(sensitive)".to_string(),
        // An empty value is a value (a parameter set to ""), not an absent one: printed as nothing, it read
        // as a slip (`Key:  -> deploy`).
        Some(value) if value.is_empty() => "\"\"".to_string(),
        Some(value) => escape(value).into_owned(),
        None => "(none)".to_string(),
    };
    let label = match change.kind {
        ChangeKind::Parameter => escape(&change.name).into_owned(),
        ChangeKind::Template => "template".to_string(),
        ChangeKind::Tag => format!("tag {}", escape(&change.name)),
        ChangeKind::TerminationProtection => "termination protection".to_string(),
        ChangeKind::SsmValue => {
            // `DefaultAmi (SSM /aws/service/ecs/...): ami-0aaa -> ami-0bbb, resolved at update`
            let unknown = |value: &Option<String>| match value {
                Some(value) => escape(value).into_owned(),
                None => "(unknown)".to_string(),
            };
            return format!(
                "{} (SSM {}): {} -> {}, resolved at update",
                escape(&change.name),
                escape(change.ssm_name.as_deref().unwrap_or_default()),
                unknown(&change.before),
                match &change.after {
                    Some(_) => unknown(&change.after),
                    None => "(cannot be read)".to_string(),
                }
            );
        }
        ChangeKind::Role => "role".to_string(),
        ChangeKind::NotificationArns => "notification topics".to_string(),
        ChangeKind::StackPolicy => "stack policy".to_string(),
        ChangeKind::Rollback => "rollback triggers".to_string(),
    };
    format!(
        "{label}: {} -> {}",
        show(&change.before),
        show(&change.after)
    )
}

/// Plan problems: those written somewhere in racks.toml drawn at their line, like `validate`'s, then the
/// others, one line each.
pub fn problems(problems: &[PlanProblem], file_name: &str, source: &str) -> String {
    let located: Vec<Diagnostic> = problems
        .iter()
        .filter_map(|problem| {
            let span = problem.span.clone()?;
            let diagnostic =
                Diagnostic::error(format!("{}: {}", problem.rack, problem.message), span);
            Some(match &problem.hint {
                Some(hint) => diagnostic.with_hint(hint.clone()),
                None => diagnostic,
            })
        })
        .collect();
    let mut out = diag::render(&located, file_name, source);
    for problem in problems.iter().filter(|p| p.span.is_none()) {
        let _ = writeln!(out, "error: {}: {}", problem.rack, problem.message);
        if let Some(hint) = &problem.hint {
            diag::write_help(&mut out, hint);
        }
    }
    let _ = write!(
        out,
        "error: cannot plan: {} problem{}; nothing was changed",
        problems.len(),
        if problems.len() == 1 { "" } else { "s" }
    );
    out
}

#[cfg(test)]
mod tests {
    use std::ffi::OsStr;

    use super::Style;

    #[test]
    fn colour_only_on_a_terminal_that_has_it_and_without_no_color() {
        let term = Some(OsStr::new("xterm-256color"));
        assert_eq!(Style::choose(true, term, None), Style::Colour);
        assert_eq!(Style::choose(true, None, None), Style::Colour);
        assert_eq!(Style::choose(false, term, None), Style::Plain);
        assert_eq!(
            Style::choose(true, Some(OsStr::new("dumb")), None),
            Style::Plain
        );
        assert_eq!(
            Style::choose(true, term, Some(OsStr::new("1"))),
            Style::Plain
        );
        // NO_COLOR set but empty does not count (https://no-color.org).
        assert_eq!(
            Style::choose(true, term, Some(OsStr::new(""))),
            Style::Colour
        );
    }
}
