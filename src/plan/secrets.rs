//! Secret values out of every written form of a plan. A NoEcho value racks.toml sets is sent by value
//! (CreateStack, UpdateStack), so the plan apply executes holds it; what is printed (`--json`, the
//! `apply --json` stream) and saved (`--out`) holds `(sensitive)` in its place. A saved plan is never
//! executed from its own text (apply plans again and proves the two equal, secrets hidden on both sides),
//! so nothing is lost.

use super::{Action, ChangeKind, Plan, RackPlan, Update};
use crate::cloud::ParameterValue;

/// What a view shows in place of a secret value.
pub const HIDDEN: &str = "(sensitive)";

/// The plan with every secret value replaced by `HIDDEN`.
pub fn without_secrets(plan: &Plan) -> Plan {
    let mut plan = plan.clone();
    plan.racks.iter_mut().for_each(hide_secrets);
    plan
}

/// Replaces the rack's secret values by `HIDDEN`: an install's sensitive parameters, and the values an
/// update sends for the changes it marks sensitive (a NoEcho value is always a change: AWS shows `****`).
pub fn hide_secrets(rack: &mut RackPlan) {
    match &mut rack.action {
        Action::Install(install) | Action::Reinstall(install) => {
            for name in &install.sensitive {
                if let Some(value) = install.parameters.get_mut(name) {
                    *value = HIDDEN.to_string();
                }
            }
        }
        Action::Update(update) => hide_in_update(update),
        Action::Upgrade(upgrade) => upgrade
            .steps
            .iter_mut()
            .for_each(|step| hide_in_update(&mut step.update)),
        Action::ContinueRollback
        | Action::Uninstall(_)
        | Action::Unchanged
        | Action::Blocked(_)
        | Action::Wait(_) => {}
    }
}

fn hide_in_update(update: &mut Update) {
    for change in &update.changes {
        if change.kind == ChangeKind::Parameter
            && change.sensitive
            && let Some(ParameterValue::Value(value)) = update.parameters.get_mut(&change.name)
        {
            *value = HIDDEN.to_string();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::diff::test_support::*;
    use super::*;

    const KEY: &str = "my-secret-key-material";

    /// A plan whose rack sets the NoEcho `Key`: an install without `stacks`, else an update.
    fn plan_setting_key(stacks: Vec<crate::cloud::Stack>) -> Plan {
        let mut rack = rack();
        rack.parameters.insert("Key".into(), KEY.into());
        plan_of(rack, stacks).unwrap()
    }

    #[test]
    fn a_noecho_value_racks_toml_sets_is_sent_but_neither_printed_nor_saved() {
        for (what, plan) in [
            ("install", plan_setting_key(vec![])),
            ("update", plan_setting_key(vec![stack("CREATE_COMPLETE")])),
        ] {
            // The plan apply executes sends it.
            let sent = match &plan.racks[0].action {
                Action::Install(install) => install.parameters["Key"].clone(),
                Action::Update(update) => match &update.parameters["Key"] {
                    ParameterValue::Value(value) => value.clone(),
                    ParameterValue::UsePrevious => panic!("{what}: kept, not sent"),
                },
                other => panic!("{what}: {other:?}"),
            };
            assert_eq!(sent, KEY, "{what}");
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("racks.plan");
            super::super::file::save(&plan, &path, crate::render::json_plan).unwrap();
            let saved = std::fs::read_to_string(&path).unwrap();
            let views = [
                ("json", crate::render::json_plan(&plan)),
                ("saved", saved.clone()),
                (
                    "human",
                    crate::render::human_plan(&plan, crate::render::Style::Plain),
                ),
                ("markdown", crate::render::markdown_plan(&plan)),
            ];
            for (view, text) in views {
                assert!(!text.contains(KEY), "{what}, {view}:\n{text}");
            }
            assert!(saved.contains(HIDDEN), "{what}:\n{saved}");
            // The saved plan still proves equal to the plan made now.
            let loaded: Plan = serde_json::from_str(&saved).unwrap();
            assert_eq!(
                super::super::stale_reasons(&loaded, &plan),
                Vec::new(),
                "{what}"
            );
        }
    }
}
