//! The stack options of an update planned like settings: each is sent with every UpdateStack (and
//! CreateStack) of the rack, so a difference from the live stack is a change of the stack that reaches no
//! resource. Unset in racks.toml, an option is not managed and the live one stays.

use crate::cloud::Stack;
use crate::plan::{Change, ChangeKind};

/// The service role (`role_arn`): an update without RoleARN keeps the stack's, so only a declared role
/// that differs from the live one is a change.
pub(super) fn role_change(declared: Option<&String>, stack: &Stack) -> Option<Change> {
    let wanted = declared?;
    (stack.role_arn.as_ref() != Some(wanted)).then(|| Change {
        kind: ChangeKind::Role,
        name: "role".into(),
        before: stack.role_arn.clone(),
        after: Some(wanted.clone()),
        sensitive: false,
        diff: None,
        rule: None,
        reach: None,
        ssm_name: None,
    })
}

/// The service role (`role_arn`) planned like a setting: shown at install, a change of the live stack's
/// role an in-place update, an unset one never managed.
#[cfg(test)]
mod tests {
    use super::super::test_support::*;

    const A: &str = "arn:aws:iam::123456789012:role/cfn-a";
    const B: &str = "arn:aws:iam::123456789012:role/cfn-b";

    fn with_role(role: &str) -> Rack {
        let mut rack = rack();
        rack.role_arn = Some(role.into());
        rack
    }

    fn live_with_role(role: Option<&str>) -> Stack {
        let mut stack = stack("UPDATE_COMPLETE");
        stack.role_arn = role.map(str::to_string);
        stack
    }

    /// The Markdown plan breaks every `:` with a zero-width space so that GitHub links no ARN.
    fn unlinked(text: &str) -> String {
        text.replace(':', ":&#8203;")
    }

    #[test]
    fn an_install_passes_the_role_and_every_view_shows_it() {
        let plan = plan_of(with_role(A), vec![]).unwrap();
        assert!(matches!(plan.racks[0].action, Action::Install(_)));
        assert_eq!(plan.racks[0].role_arn.as_deref(), Some(A));
        let human = crate::render::human_plan(&plan, crate::render::Style::Plain);
        assert!(human.contains(&format!("    role: {A}\n")), "{human}");
        let json = serde_json::to_string(&plan).unwrap();
        assert!(json.contains(&format!(r#""role_arn":"{A}""#)), "{json}");
        let markdown = crate::render::markdown_plan(&plan);
        assert!(
            markdown.contains(&format!("new rack, role {}", unlinked(A))),
            "{markdown}"
        );

        let without = plan_of(rack(), vec![]).unwrap();
        assert_eq!(without.racks[0].role_arn, None);
        let json = serde_json::to_string(&without).unwrap();
        assert!(!json.contains("role_arn"), "{json}");
    }

    #[test]
    fn another_role_than_the_live_one_is_an_update_in_place_shown_in_every_view() {
        for live in [Some(A), None] {
            let plan = plan_of(with_role(B), vec![live_with_role(live)]).unwrap();
            let rack = &plan.racks[0];
            let Action::Update(update) = &rack.action else {
                panic!("an update, not {:?}", rack.action);
            };
            assert_eq!(update.changes.len(), 1, "{:?}", update.changes);
            let change = &update.changes[0];
            assert_eq!(
                (
                    change.kind,
                    change.before.as_deref(),
                    change.after.as_deref()
                ),
                (ChangeKind::Role, live, Some(B))
            );
            assert!(
                update.changes_the_stack(),
                "UpdateStack passes the new role"
            );
            assert!(rack.hold.is_empty(), "{:?}", rack.hold);
            assert!(rack.disruptions.is_empty(), "{:?}", rack.disruptions);
            assert_eq!(rack.role_arn.as_deref(), Some(B));
            let human = crate::render::human_plan(&plan, crate::render::Style::Plain);
            let before = live.unwrap_or("(none)");
            assert!(
                human.contains(&format!("role: {before} -> {B}\n")),
                "{human}"
            );
            let markdown = crate::render::markdown_plan(&plan);
            assert!(
                markdown.contains(&format!("role: {} → {}", unlinked(before), unlinked(B))),
                "{markdown}"
            );
        }
    }

    #[test]
    fn the_same_role_or_none_in_racks_toml_leaves_the_live_role_alone() {
        assert_eq!(
            only_action(with_role(A), vec![live_with_role(Some(A))]),
            Action::Unchanged
        );
        assert_eq!(
            only_action(rack(), vec![live_with_role(Some(A))]),
            Action::Unchanged
        );
        let mut count = rack();
        count.instance_count = Some(5);
        let Action::Update(update) = only_action(count, vec![live_with_role(Some(A))]) else {
            panic!("an update");
        };
        assert!(
            update.changes.iter().all(|c| c.kind != ChangeKind::Role),
            "{:?}",
            update.changes
        );
    }
}
