//! Each update's and install's budget, from the impact analysis the planner already made: the plan's
//! figure for how long the change should take (`crate::template::budget` does the arithmetic).

use std::collections::BTreeMap;

use serde_json::Value;

use super::{Budget, BudgetUnknown, TemplateImpact};
use crate::template::{Pseudo, TemplateUnknown, update_budget};

/// The budget of an update: `impact` is its analysis (`None` when nothing reaches the resources: tags or
/// termination protection alone), `planned` the template it applies with those `planned_values`, over a
/// stack whose parameters are `live_values`.
pub(super) fn budget_of_update(
    impact: Option<&TemplateImpact>,
    planned: Result<&Value, &TemplateUnknown>,
    planned_values: &BTreeMap<String, String>,
    live_values: &BTreeMap<String, String>,
    pseudo: &Pseudo,
) -> Budget {
    match (impact, planned) {
        // An analysis runs only with both templates known, so an analysed update whose planned template
        // is unknown is as good as not analysed.
        (Some(TemplateImpact::NotAnalysed { why }), _)
        | (Some(TemplateImpact::Analysed { .. }), Err(why)) => Budget::CannotCompute {
            why: BudgetUnknown::NotAnalysed {
                template: why.clone(),
            },
        },
        (Some(TemplateImpact::Analysed { resources, .. }), Ok(template)) => {
            update_budget(resources, template, planned_values, live_values, pseudo)
        }
        // Nothing reaches the resources, so nothing rolls: the allowance alone.
        (None, _) => update_budget(&[], &Value::Null, planned_values, live_values, pseudo),
    }
}
