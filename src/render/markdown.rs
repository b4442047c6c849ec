//! The Markdown view of a plan, for pull-request comments and `$GITHUB_STEP_SUMMARY`: a summary table (rack,
//! action, what changes, impact, whether `--auto-approve=in-place` applies it), the disruptive changes, the
//! racks that need a person, then each rack's details in a collapsible block
//! holding the human view's lines. No escape codes; the same plan always renders the same text.

use std::fmt::Write as _;

use super::budget::budget_words;
use super::hold::{disruptions, hold_words};
use super::human::{Style, plan as human_plan};
use super::impact::{rule_says, verdict};
use super::{escape, waves};
use crate::plan::{Action, ChangeKind, Plan, RackPlan, TemplateImpact, Update};

pub fn plan(plan: &Plan) -> String {
    let mut out = String::from("### rackfile plan\n\n");
    let _ = writeln!(out, "**{}.**\n", plan.summary.describe());
    if !plan.waves.is_empty() {
        // The order apply changes the racks in, and when it stops.
        let _ = writeln!(out, "**Rollout in {} waves:**\n", plan.waves.len());
        for wave in &plan.waves {
            let _ = writeln!(
                out,
                "- {}: {}",
                cell(&waves::header(wave, plan.waves.len())),
                cell(&waves::detail(wave, &plan.racks))
            );
        }
        out.push('\n');
    }
    out.push_str(
        "| rack | action | what changes | impact | `--auto-approve=in-place` |\n|---|---|---|---|---|\n",
    );
    for rack in &plan.racks {
        let _ = writeln!(
            out,
            "| `{}` ({}) | {} | {} | {} | {} |",
            cell(&rack.rack),
            cell(&rack.region),
            action(rack),
            cell(&what_changes(rack)),
            cell(&impact(rack)),
            approval(rack),
        );
    }
    let disruptive: Vec<String> = plan
        .racks
        .iter()
        .flat_map(|rack| {
            disruptions(rack)
                .into_iter()
                .map(|what| format!("- **Disruptive:** `{}` {}", rack.rack, cell(&what)))
        })
        .collect();
    let held: Vec<String> = plan
        .racks
        .iter()
        .filter(|rack| rack.is_held())
        .map(|rack| {
            format!(
                "- **Needs a person** (held by `--auto-approve=in-place`): `{}` {}",
                cell(&rack.rack),
                cell(&hold_words(rack))
            )
        })
        .collect();
    for list in [disruptive, held] {
        if !list.is_empty() {
            out.push('\n');
            for line in list {
                let _ = writeln!(out, "{line}");
            }
        }
    }
    // Both views of each update checked with a change set, resource by resource.
    for rack in &plan.racks {
        let checks: Vec<&crate::plan::change_set::ChangeSetCheck> = match &rack.action {
            crate::plan::Action::Update(update) => update.change_set.iter().collect(),
            crate::plan::Action::Upgrade(upgrade) => upgrade
                .steps
                .iter()
                .filter_map(|step| step.update.change_set.as_ref())
                .collect(),
            _ => Vec::new(),
        };
        for check in checks {
            let rows = super::change_set::rows(check);
            if rows.is_empty() {
                continue;
            }
            let _ = writeln!(
                out,
                "\n**`{}`: the analysis and CloudFormation's change set**\n\n| resource | analysis | CloudFormation | verdict |\n|---|---|---|---|",
                cell(&rack.rack)
            );
            for [resource, analysis, cloudformation, verdict] in rows {
                let _ = writeln!(
                    out,
                    "| `{}` | {} | {} | {} |",
                    cell(&resource),
                    cell(&analysis),
                    cell(&cloudformation),
                    cell(&verdict)
                );
            }
        }
    }
    let preflight: Vec<String> = plan
        .racks
        .iter()
        .flat_map(|rack| {
            super::preflight::lines(rack).into_iter().map(|line| {
                let (_, finding) = line.split_once(": ").unwrap_or(("", &line));
                format!("- **Preflight:** `{}` {}", rack.rack, cell(finding))
            })
        })
        .collect();
    if !preflight.is_empty() {
        out.push('\n');
        for line in preflight {
            let _ = writeln!(out, "{line}");
        }
    }
    // The human view, which already escapes every value, in a fenced block per the whole plan: each rack's
    // block is collapsible, so a long plan stays readable in a comment. An unchanged rack's block is its one
    // line, which the table already shows: collapsed, it would open on the same line again.
    let human = human_plan(plan, Style::Plain);
    for block in human.split("\n\n").filter(|block| {
        block.starts_with(['+', '~', '>', '-', '↺', ' ', '!', '…'])
            && !(block.starts_with(' ') && block.trim_end().lines().count() == 1)
    }) {
        let title = block.lines().next().unwrap_or_default();
        let _ = write!(
            out,
            "\n<details><summary><code>{}</code></summary>\n\n```\n{}\n```\n\n</details>\n",
            html(title.trim()),
            block.trim_end().replace("```", "`\u{200b}``")
        );
    }
    out
}

/// What `apply --auto-approve=in-place` does with the rack: applies it, holds it, or has nothing to do.
fn approval(rack: &RackPlan) -> &'static str {
    if rack.is_held() {
        "**held**"
    } else if rack.action.is_change() {
        "applied"
    } else {
        ""
    }
}

fn action(rack: &RackPlan) -> &'static str {
    match rack.action {
        Action::Install(_) => "install",
        Action::Update(_) => "update",
        Action::Upgrade(_) => "upgrade in steps",
        Action::Reinstall(_) => "**reinstall**",
        Action::ContinueRollback => "continue rollback",
        Action::Uninstall(_) => "**uninstall**",
        Action::Unchanged => "no changes",
        Action::Blocked(_) => "**blocked**",
        Action::Wait(_) => "wait, then plan again",
    }
}

fn what_changes(rack: &RackPlan) -> String {
    match &rack.action {
        Action::Install(_) => match &rack.role_arn {
            Some(role) => format!("new rack, role {role}"),
            None => "new rack".into(),
        },
        Action::Upgrade(upgrade) => format!("releases {}", upgrade.path()),
        Action::Reinstall(_) => "failed install deleted, then installed again".into(),
        Action::ContinueRollback => "ContinueUpdateRollback, then planned again".into(),
        Action::Uninstall(uninstall) if uninstall.dependents.is_empty() => {
            "the rack's stack".into()
        }
        Action::Uninstall(uninstall) => format!(
            "{}, then the rack's stack",
            super::hold::counted_dependents(&uninstall.dependents)
        ),
        Action::Update(update) => update
            .changes
            .iter()
            .map(|change| match change.kind {
                ChangeKind::Parameter if change.sensitive => format!("{} (sensitive)", change.name),
                ChangeKind::Parameter => format!(
                    "{}: {} → {}",
                    change.name,
                    parameter_value(change.before.as_deref()),
                    parameter_value(change.after.as_deref())
                ),
                ChangeKind::SsmValue => format!(
                    "{} (SSM {}): {} → {}, resolved at update",
                    change.name,
                    change.ssm_name.as_deref().unwrap_or_default(),
                    change.before.as_deref().unwrap_or("(unknown)"),
                    change.after.as_deref().unwrap_or("(cannot be read)")
                ),
                ChangeKind::Template => "template".into(),
                ChangeKind::Tag => format!("tag {}", change.name),
                ChangeKind::TerminationProtection => format!(
                    "termination protection {}",
                    change.after.as_deref().unwrap_or_default()
                ),
                ChangeKind::Role
                | ChangeKind::NotificationArns
                | ChangeKind::StackPolicy
                | ChangeKind::Rollback => format!(
                    "{}: {} → {}",
                    match change.kind {
                        ChangeKind::Role => "role",
                        ChangeKind::NotificationArns => "notification topics",
                        ChangeKind::StackPolicy => "stack policy",
                        _ => "rollback triggers",
                    },
                    change.before.as_deref().unwrap_or("(none)"),
                    change.after.as_deref().unwrap_or("(none)")
                ),
            })
            .collect::<Vec<_>>()
            .join("; "),
        Action::Unchanged => String::new(),
        Action::Blocked(blocked) => blocked.stack_status().to_string(),
        Action::Wait(wait) => wait.status.to_string(),
    }
}

fn impact(rack: &RackPlan) -> String {
    let of_update = |update: &Update| {
        let mut says: Vec<String> = update
            .changes
            .iter()
            .filter_map(|change| change.rule.as_ref())
            .map(|impact| rule_says(impact.rule, impact.at_a_time.as_deref()))
            .collect();
        match &update.analysis {
            Some(TemplateImpact::Analysed { resources }) => says.push(verdict(resources)),
            Some(TemplateImpact::NotAnalysed { .. }) => says.push("not analysed".into()),
            None => {}
        }
        if let Some(budget) = &update.budget {
            says.push(format!("budget {}", budget_words(budget)));
        }
        says.join("; ")
    };
    match &rack.action {
        Action::Update(update) => of_update(update),
        Action::Upgrade(upgrade) => upgrade
            .steps
            .iter()
            .enumerate()
            .map(|(index, step)| format!("step {}: {}", index + 1, of_update(&step.update)))
            .collect::<Vec<_>>()
            .join("; "),
        Action::Blocked(blocked) => super::blocked::reason(blocked, &rack.preflight)
            .lines()
            .next()
            .unwrap_or_default()
            .to_string(),
        Action::Wait(wait) => super::hold::wait_words(wait),
        Action::Install(install) | Action::Reinstall(install) => install
            .budget
            .as_ref()
            .map(|budget| format!("budget {}", budget_words(budget)))
            .unwrap_or_default(),
        _ => String::new(),
    }
}

/// A table cell: a value from live state or racks.toml made inert (`escape::markdown`: no control
/// characters, links, emphasis, HTML or mentions; a `|` would end the cell).
fn cell(text: &str) -> String {
    escape::markdown(text)
}

fn html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A parameter's value as the human view prints it: absent as `(none)`, empty (set to "") as `""`.
fn parameter_value(value: Option<&str>) -> &str {
    match value {
        None => "(none)",
        Some("") => "\"\"",
        Some(value) => value,
    }
}

#[cfg(test)]
mod tests {
    use super::cell;

    /// A live value (a parameter someone set by hand, a stack status reason) lands in a pull-request
    /// comment: it may neither link, format, open HTML, end the cell nor notify anyone.
    #[test]
    fn a_live_value_in_a_cell_is_inert_markdown() {
        let value = "Key: [x](https://evil.example) → @everyone | <b>*now*</b>";
        assert_eq!(
            cell(value),
            "Key: \\[x\\](https:&#8203;//evil.example) → @&#8203;everyone \\| &lt;b&gt;\\*now\\*&lt;/b&gt;"
        );
    }
}
