//! The JSON view: the Plan itself, which carries its `format_version`, secret values hidden, with the impact
//! analysis's words (`render::impact`) where the plan holds their data: each change's `reach` line, and each
//! analysed update's `verdict` and `disruptive`; and the preflight words (`render::preflight`): each check's
//! `says` beside its `finding`, an exports hold's `says`, and a preflight-blocked rack's `reason`. `plan
//! --out` saves this document.

use serde_json::{Map, Value};

use super::impact::{disruption, reach_words, verdict};
use super::preflight::{blocked_reason, says};
use crate::plan::{
    Action, BlockedKind, HoldReason, Plan, RackPlan, TemplateImpact, Update, without_secrets,
};

pub fn plan(plan: &Plan) -> String {
    let mut text =
        serde_json::to_string_pretty(&document(plan)).expect("a JSON value is serialisable");
    text.push('\n');
    text
}

/// The plan's JSON document, as `plan --json` prints it and the apply stream's `plan` event carries it.
pub(super) fn document(plan: &Plan) -> Value {
    let plan = without_secrets(plan);
    let mut document = serde_json::to_value(&plan).expect("a plan is always serialisable");
    let racks = document.get_mut("racks").and_then(Value::as_array_mut);
    for (rack, shown) in plan.racks.iter().zip(racks.into_iter().flatten()) {
        word_preflight(rack, shown);
        match &rack.action {
            Action::Update(update) => word_update(update, shown),
            Action::Upgrade(upgrade) => {
                let steps = shown.get_mut("steps").and_then(Value::as_array_mut);
                for (step, shown) in upgrade.steps.iter().zip(steps.into_iter().flatten()) {
                    word_update(&step.update, shown);
                }
            }
            Action::Install(_)
            | Action::Reinstall(_)
            | Action::ContinueRollback
            | Action::Uninstall(_)
            | Action::Unchanged
            | Action::Blocked(_)
            | Action::Wait(_) => {}
        }
    }
    document
}

/// An update's words in its JSON object (a rack's, or an upgrade step's: the update is flattened into it),
/// each where the saved plans before the words moved to the views had it.
fn word_update(update: &Update, shown: &mut Value) {
    let changes = shown.get_mut("changes").and_then(Value::as_array_mut);
    for (change, shown) in update.changes.iter().zip(changes.into_iter().flatten()) {
        if let Some(reach) = &change.reach {
            shown["reach"] = Value::String(reach_words(reach).into_owned());
        }
    }
    if let (Some(TemplateImpact::Analysed { resources }), Some(Value::Object(impact))) =
        (&update.analysis, shown.get_mut("impact"))
    {
        // `{"analysis": "analysed", verdict, disruptive?, resources}`: the words after the tag.
        let mut worded = Map::new();
        for (key, value) in std::mem::take(impact) {
            let is_tag = key == "analysis";
            worded.insert(key, value);
            if is_tag {
                worded.insert("verdict".into(), Value::String(verdict(resources)));
                if let Some(disruptive) = disruption(resources) {
                    worded.insert("disruptive".into(), Value::String(disruptive));
                }
            }
        }
        *impact = worded;
    }
}

/// A rack's preflight words, each where the saved plans before the words moved to the views had it: a
/// check's `says` after its `read` (its `finding` follows), an exports hold's `says` after its `kind`, and
/// a preflight-blocked rack's `reason`.
fn word_preflight(rack: &RackPlan, shown: &mut Value) {
    let checks = shown.get_mut("preflight").and_then(Value::as_array_mut);
    for (check, shown) in rack.preflight.iter().zip(checks.into_iter().flatten()) {
        insert_after(shown, "read", "says", says(&check.finding));
    }
    let holds = shown.get_mut("hold").and_then(Value::as_array_mut);
    for (hold, shown) in rack.hold.iter().zip(holds.into_iter().flatten()) {
        if let HoldReason::ExportsNotChecked { finding } = hold {
            insert_after(shown, "kind", "says", says(finding));
        }
    }
    if let Action::Blocked(blocked) = &rack.action
        && blocked.kind == BlockedKind::Preflight
    {
        shown["reason"] = Value::String(blocked_reason(&rack.preflight));
    }
}

/// Puts `key: words` into the object right after `after`.
fn insert_after(shown: &mut Value, after: &str, key: &str, words: String) {
    let Value::Object(object) = shown else {
        return;
    };
    let mut words = Some(words);
    let mut worded = Map::new();
    for (name, value) in std::mem::take(object) {
        let is_after = name == after;
        worded.insert(name, value);
        if is_after && let Some(words) = words.take() {
            worded.insert(key.into(), Value::String(words));
        }
    }
    *object = worded;
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::plan::preflight::Finding;
    use crate::plan::{PreflightCheck, PreflightKind, Verdict};

    /// A rack blocked by preflight, with a check of every finding and an exports hold.
    fn blocked_by_preflight() -> Plan {
        let mut plan: Plan = serde_json::from_value(json!({
            "format_version": "1",
            "racks_file": {"path": "racks.toml", "sha256": "0"},
            "accounts": [],
            "racks": [{
                "rack": "personal/web", "org": "personal", "name": "web", "region": "us-east-1",
                "account_id": "123456789012", "action": "blocked", "kind": "preflight",
                "status": "UPDATE_COMPLETE", "reason": "", "stack": null,
            }],
            "not_in_racks_toml": [],
            "summary": {"install": 0, "update": 0, "upgrade": 0, "reinstall": 0, "continue_rollback": 0,
                "uninstall": 0, "unchanged": 0, "blocked": 1, "wait": 0},
        }))
        .unwrap();
        let rack = &mut plan.racks[0];
        rack.preflight = super::super::preflight::every_finding_and_its_words()
            .into_iter()
            .enumerate()
            .map(|(index, (finding, _))| PreflightCheck {
                check: PreflightKind::InstanceQuota,
                verdict: [Verdict::Blocked, Verdict::NotChecked, Verdict::Warning][index % 3],
                read: vec![format!("Read{index}")],
                finding,
            })
            .collect();
        rack.hold = vec![HoldReason::ExportsNotChecked {
            finding: Finding::ImportsNotRead {
                step: None,
                export: "web:Cluster".into(),
            },
        }];
        plan
    }

    #[test]
    fn a_saved_plan_s_preflight_loads_back_as_it_was_planned() {
        let plan = blocked_by_preflight();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("racks.plan");
        std::fs::write(&path, super::plan(&plan)).unwrap();
        let loaded = crate::plan::file::load(&path).unwrap();
        assert_eq!(loaded, plan);
        assert_eq!(super::plan(&loaded), super::plan(&plan));
    }

    #[test]
    fn each_preflight_word_is_where_saved_plans_had_it_and_the_finding_beside_it() {
        let plan = blocked_by_preflight();
        let shown: Value = serde_json::from_str(&super::plan(&plan)).unwrap();
        let rack = &shown["racks"][0];
        let check = rack["preflight"][0].as_object().unwrap();
        assert_eq!(
            check.keys().collect::<Vec<_>>(),
            ["check", "verdict", "read", "says", "finding"]
        );
        assert_eq!(
            check["says"],
            super::super::preflight::says(&plan.racks[0].preflight[0].finding)
        );
        assert_eq!(
            rack["hold"][0],
            json!({"kind": "exports_not_checked",
                "says": "the update removes export web:Cluster; its importers were not read",
                "finding": {"kind": "imports_not_read", "export": "web:Cluster"}})
        );
        let reason = rack["reason"].as_str().unwrap();
        assert_eq!(
            reason,
            super::super::preflight::blocked_reason(&plan.racks[0].preflight)
        );
        assert!(reason.starts_with("preflight: the exports the update (upgrade step to 20200101000000) removes are not known: "), "{reason}");
    }
}
