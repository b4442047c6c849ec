//! One gate, every plan: whether this run of apply may act on a rack's planned action, given what the run
//! was allowed (`--allow-uninstall`, `--json`, `--auto-approve=in-place`, `--target`, `--wave`) and the
//! accounts its first plan read. The same function judges the first plan and every plan re-derived while
//! apply runs (after a wait, after a continued rollback), so a permission checked once cannot be skipped by
//! a rack whose plan changes under it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{Action, PasswordSource, Plan, RackPlan};

/// What this run of apply was allowed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Permissions {
    /// `--allow-uninstall`.
    pub allow_uninstall: bool,
    /// `apply --json`: a generated password is never printed there.
    pub json: bool,
    /// stdout takes writes, so a generated password has somewhere to be printed.
    pub password_sink: bool,
    /// `--auto-approve=in-place`: a rack the plan holds for a person (`RackPlan::hold`) is not applied.
    pub in_place_only: bool,
    /// The racks (`org/name`) this run may act on: `--target`, and `--wave`'s racks. `None`: every rack.
    pub racks: Option<Vec<String>>,
    /// org -> the account its credentials reached when the run's first plan was made.
    pub accounts: BTreeMap<String, String>,
}

impl Permissions {
    /// The accounts `plan` read, as the account guard of every later plan of the run.
    pub fn accounts_of(plan: &Plan) -> BTreeMap<String, String> {
        plan.accounts
            .iter()
            .map(|read| (read.org.clone(), read.account_id.clone()))
            .collect()
    }
}

/// The gate's answer for one rack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Gate {
    /// Apply may carry out the planned action.
    Go,
    /// `--auto-approve=in-place` leaves it for a person (`RackPlan::hold` says why).
    Held,
    /// The run was not given what the action needs.
    Refused(Refusal),
}

/// A permission the planned action needs and the run was not given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Refusal {
    /// An uninstall without `--allow-uninstall`.
    Uninstall,
    /// An install or reinstall whose password would be generated, under `--json`, which never prints it.
    GeneratedPasswordUnderJson,
    /// An install or reinstall whose password would be generated, and stdout takes no writes.
    GeneratedPasswordWithoutSink,
    /// A rack outside `--target` or `--wave`.
    NotInRun,
    /// The rack's credentials reach another account than the run's first plan read.
    Account { expected: String, found: String },
}

/// Whether this run may act on `rack` as planned.
pub fn gate(rack: &RackPlan, permissions: &Permissions) -> Gate {
    if let Some(expected) = permissions.accounts.get(&rack.org)
        && *expected != rack.account_id
    {
        return Gate::Refused(Refusal::Account {
            expected: expected.clone(),
            found: rack.account_id.clone(),
        });
    }
    if let Some(racks) = &permissions.racks
        && !racks.contains(&rack.rack)
    {
        return Gate::Refused(Refusal::NotInRun);
    }
    // A held rack is not acted on, so it needs no permission for what it would do.
    if permissions.in_place_only && rack.is_held() {
        return Gate::Held;
    }
    match &rack.action {
        Action::Uninstall(_) if !permissions.allow_uninstall => Gate::Refused(Refusal::Uninstall),
        Action::Install(install) | Action::Reinstall(install)
            if install.password == Some(PasswordSource::Generate) =>
        {
            if permissions.json {
                Gate::Refused(Refusal::GeneratedPasswordUnderJson)
            } else if !permissions.password_sink {
                Gate::Refused(Refusal::GeneratedPasswordWithoutSink)
            } else {
                Gate::Go
            }
        }
        _ => Gate::Go,
    }
}

#[cfg(test)]
mod tests {
    use super::super::diff::test_support::*;
    use super::*;

    fn allowed() -> Permissions {
        Permissions {
            allow_uninstall: true,
            json: false,
            password_sink: true,
            in_place_only: false,
            racks: None,
            accounts: BTreeMap::from([("personal".to_string(), ACCOUNT.to_string())]),
        }
    }

    fn planned(declared: Rack, stacks: Vec<Stack>, recover: bool) -> RackPlan {
        let mut state = live(stacks, &declared);
        state.record_live_template(
            StackKey::new(ACCOUNT, "us-east-1", "example"),
            Ok(RETAINING_TEMPLATE.into()),
        );
        let plan = diff(&config(), &state.build(&[declared]), recover).unwrap();
        plan.racks.into_iter().next().unwrap()
    }

    #[test]
    fn an_uninstall_needs_allow_uninstall() {
        let mut absent = rack();
        absent.absent = true;
        let uninstall = planned(absent, vec![stack("UPDATE_COMPLETE")], false);
        assert!(matches!(uninstall.action, Action::Uninstall(_)));
        assert_eq!(gate(&uninstall, &allowed()), Gate::Go);
        let without = Permissions {
            allow_uninstall: false,
            ..allowed()
        };
        assert_eq!(
            gate(&uninstall, &without),
            Gate::Refused(Refusal::Uninstall)
        );
    }

    #[test]
    fn a_generated_password_needs_a_sink_and_is_refused_under_json() {
        let reinstall = planned(rack(), vec![stack("ROLLBACK_COMPLETE")], true);
        assert!(matches!(reinstall.action, Action::Reinstall(_)));
        assert_eq!(gate(&reinstall, &allowed()), Gate::Go);
        let json = Permissions {
            json: true,
            ..allowed()
        };
        assert_eq!(
            gate(&reinstall, &json),
            Gate::Refused(Refusal::GeneratedPasswordUnderJson)
        );
        let closed = Permissions {
            password_sink: false,
            ..allowed()
        };
        assert_eq!(
            gate(&reinstall, &closed),
            Gate::Refused(Refusal::GeneratedPasswordWithoutSink)
        );
    }

    #[test]
    fn in_place_holds_before_it_asks_for_anything_else() {
        let mut absent = rack();
        absent.absent = true;
        let uninstall = planned(absent, vec![stack("UPDATE_COMPLETE")], false);
        let in_place = Permissions {
            in_place_only: true,
            allow_uninstall: false,
            ..allowed()
        };
        assert_eq!(gate(&uninstall, &in_place), Gate::Held);
    }

    #[test]
    fn a_rack_outside_the_run_or_in_another_account_is_refused() {
        let unchanged = planned(rack(), vec![stack("UPDATE_COMPLETE")], false);
        let elsewhere = Permissions {
            racks: Some(vec!["personal/other".into()]),
            ..allowed()
        };
        assert_eq!(
            gate(&unchanged, &elsewhere),
            Gate::Refused(Refusal::NotInRun)
        );
        let other_account = Permissions {
            accounts: BTreeMap::from([("personal".to_string(), "999999999999".to_string())]),
            ..allowed()
        };
        assert_eq!(
            gate(&unchanged, &other_account),
            Gate::Refused(Refusal::Account {
                expected: "999999999999".into(),
                found: ACCOUNT.into()
            })
        );
    }

    #[test]
    fn a_busy_rack_is_a_wait_that_needs_nothing_yet() {
        let mut absent = rack();
        absent.absent = true;
        let busy = planned(absent, vec![stack("UPDATE_IN_PROGRESS")], false);
        assert!(matches!(busy.action, Action::Wait(_)), "{:?}", busy.action);
        let nothing = Permissions {
            allow_uninstall: false,
            json: true,
            password_sink: false,
            ..allowed()
        };
        assert_eq!(gate(&busy, &nothing), Gate::Go);
    }
}
