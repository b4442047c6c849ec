//! Why the resources of one side of an update are not known, so that the impact analysis (and the budget
//! made from it) could not run: facts only, worded by `render::notes`.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TemplateUnknown {
    /// The live template was not read: a URL rack's is read only once a first plan finds a change to
    /// analyse.
    LiveNotRead,
    /// GetTemplate of the live stack failed: AWS's error, as read.
    LiveUnreadable { error: String },
    /// The live template's body is not a template rackfile can parse: the parser's error.
    LiveUnparsable { error: String },
    /// The planned template (its URL or path) is read through GetTemplateSummary, which does not return
    /// its resources.
    SummaryOnly { template: String },
}
