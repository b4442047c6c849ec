//! How the planner makes a `Change`: one constructor per kind of change it plans, so that every field a
//! change does not set has one default, written once.

use super::{Change, ChangeKind, RuleImpact};

impl Change {
    /// A change of `name` from `before` to `after`, values shown; what it reaches is analysed later.
    pub fn new(
        kind: ChangeKind,
        name: impl Into<String>,
        before: Option<String>,
        after: Option<String>,
    ) -> Self {
        Change {
            kind,
            name: name.into(),
            before,
            after,
            sensitive: false,
            diff: None,
            rule: None,
            reached: None,
            ssm_name: None,
        }
    }

    /// A parameter racks.toml changes, with what Convox's rule says it does; a secret's values are never
    /// kept.
    pub fn parameter(
        name: impl Into<String>,
        before: Option<String>,
        after: String,
        sensitive: bool,
        rule: Option<RuleImpact>,
    ) -> Self {
        let (before, after) = if sensitive {
            (None, None)
        } else {
            (before, Some(after))
        };
        Change {
            sensitive,
            rule,
            ..Change::new(ChangeKind::Parameter, name, before, after)
        }
    }

    /// What an SSM-typed parameter resolves to, from `before` to `after`, and the SSM parameter it names.
    pub fn ssm_value(
        parameter: impl Into<String>,
        ssm_name: String,
        before: Option<String>,
        after: Option<String>,
    ) -> Self {
        Change {
            ssm_name: Some(ssm_name),
            ..Change::new(ChangeKind::SsmValue, parameter, before, after)
        }
    }

    /// The change, with a unified diff of what it changes.
    pub fn with_diff(self, diff: String) -> Self {
        Change {
            diff: Some(diff),
            ..self
        }
    }
}
