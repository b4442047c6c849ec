//! What a command says of the change sets it made and did not execute: each is deleted before it exits
//! (`live::ChangeSetLedger`), and one that could not be is named, with how to delete it.

use std::collections::BTreeMap;

use crate::cloud::{ChangeSetRef, CloudError, StackKey};
use crate::plan::{Action, Plan, Update};

/// What became of the change sets a run made and did not keep, in a line.
pub(super) fn left_words(left: &[(ChangeSetRef, CloudError)]) -> String {
    if left.is_empty() {
        return "every change set it made was deleted".into();
    }
    let named: Vec<String> = left
        .iter()
        .map(|(change_set, error)| {
            format!(
                "{} of stack {} ({error})",
                change_set.name, change_set.stack
            )
        })
        .collect();
    format!(
        "these change sets could not be deleted: {}; delete them with `aws cloudformation delete-change-set`",
        named.join(", ")
    )
}

/// The warning on stderr for change sets left behind; nothing when none was.
pub(super) fn warn_left(left: &[(ChangeSetRef, CloudError)]) {
    if !left.is_empty() {
        crate::output::eprint(&format!("warning: {}\n", left_words(left)));
    }
}

/// The change set of each update (an upgrade's first step) a saved plan was made with, by stack.
pub(super) fn kept(plan: &Plan) -> BTreeMap<StackKey, ChangeSetRef> {
    plan.racks
        .iter()
        .filter_map(|rack| {
            let update: &Update = match &rack.action {
                Action::Update(update) => update,
                Action::Upgrade(upgrade) => &upgrade.steps.first()?.update,
                _ => return None,
            };
            let check = update.change_set.as_ref()?;
            Some((rack.key(), check.change_set.clone()))
        })
        .collect()
}
