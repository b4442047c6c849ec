//! `rackfile doctor`'s checks as data, and the pure decisions behind them, one file per topic: each takes
//! what `commands::doctor` read and answers passed, failed (with a hint) or skipped. Rendering is
//! `render::doctor`'s.

mod accounts;
mod alarms;
mod passwords;
mod preflight;
mod releases;
mod service_roles;
mod stacks;
mod templates;

pub use accounts::account_checks;
pub use alarms::alarm_checks;
pub use passwords::{password_env_checks, password_store_check};
pub use preflight::preflight_check;
pub use releases::release_checks;
pub use service_roles::{plan_policy_check, service_role_check, trusts_cloudformation};
pub use stacks::{STUCK_AFTER, stack_checks, stack_health};
pub use templates::{Summaries, template_coverage, template_read_check};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    Pass,
    Fail,
    /// Not run, because a check it depends on failed.
    Skip,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    pub mark: Mark,
    pub text: String,
    pub hint: Option<String>,
}

impl Check {
    pub fn pass(text: impl Into<String>) -> Self {
        Self {
            mark: Mark::Pass,
            text: text.into(),
            hint: None,
        }
    }

    pub fn fail(text: impl Into<String>, hint: Option<String>) -> Self {
        Self {
            mark: Mark::Fail,
            text: text.into(),
            hint,
        }
    }

    pub fn skip(text: impl Into<String>) -> Self {
        Self {
            mark: Mark::Skip,
            text: text.into(),
            hint: None,
        }
    }
}

#[cfg(test)]
mod test_support {
    use std::path::Path;

    use crate::config::Rack;

    /// A rack that sets `Autoscal`, a parameter no template has.
    pub(super) fn rack() -> Rack {
        let text = "[defaults]\norg = \"personal\"\nregion = \"us-east-1\"\nversion = \"1\"\n[org.personal]\n\
                    [[rack]]\nname = \"example\"\n[rack.parameters]\nAutoscal = \"Yes\"\n";
        crate::config::parse(Path::new("racks.toml"), text.into(), String::new())
            .unwrap()
            .racks
            .remove(0)
    }
}
