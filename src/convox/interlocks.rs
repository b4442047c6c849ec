//! Convox's interlocks between rack parameters: combinations its CLI and rack API refuse before they call
//! AWS, because CloudFormation would accept them and leave a rack that does not work (a schedule that never
//! runs, logs sent nowhere, an NLB that cannot be deleted or cannot reach its targets). One entry per rule,
//! each with Convox's own words and where they are in convox/rack.
//!
//! A rule is checked with the values an operation leaves the rack with (what is sent, plus the live values an
//! update keeps), and only when the operation changes one of its parameters: a rack already in a state the
//! rule refuses is not blocked by an unrelated change, as Convox's CLI only checks what it is given.

use std::collections::BTreeMap;

/// The convox/rack commit the sources below are read at ("nlb config params, usage gaps", 2026-04-21).
const AT: &str = "convox/rack@3fc6cc6d5";

#[derive(Debug, Clone, Copy)]
pub struct Interlock {
    /// The parameters the rule is about: the template must declare them all (older releases have none of
    /// them), and the rule is checked when an operation changes one of them.
    pub parameters: &'static [&'static str],
    /// Convox's error, word for word.
    pub says: &'static str,
    /// Where convox/rack refuses it.
    pub source: &'static str,
    refused: fn(&Values<'_>) -> Option<&'static str>,
}

/// A rule broken by an operation.
#[derive(Debug, Clone, Copy)]
pub struct Refusal {
    pub interlock: &'static Interlock,
    /// The parameter to point at: the one whose value the rule refuses.
    pub at: &'static str,
}

/// The values an operation leaves a rack with, and (for an update) the ones it has before.
#[derive(Debug, Clone, Copy)]
pub struct Values<'a> {
    pub after: &'a BTreeMap<String, String>,
    /// `None` for an install.
    pub live: Option<&'a BTreeMap<String, String>>,
}

impl Values<'_> {
    fn after(&self, name: &str) -> &str {
        self.after.get(name).map_or("", String::as_str)
    }

    fn is_yes(&self, name: &str) -> bool {
        self.after(name) == "Yes"
    }

    fn was_yes(&self, name: &str) -> bool {
        self.live
            .and_then(|live| live.get(name))
            .is_some_and(|value| value == "Yes")
    }

    /// Whether the operation sets `name` to something other than the rack has: every value of an install.
    pub fn changes(&self, name: &str) -> bool {
        match self.live {
            None => true,
            Some(live) => live.get(name) != self.after.get(name),
        }
    }
}

const fn interlock(
    parameters: &'static [&'static str],
    says: &'static str,
    source: &'static str,
    refused: fn(&Values<'_>) -> Option<&'static str>,
) -> Interlock {
    Interlock {
        parameters,
        says,
        source,
        refused,
    }
}

/// The schedule's scaled actions exist only when both recurrences are set (the template's
/// `SetScheduleRackScale`): one alone is accepted by CloudFormation and does nothing.
fn schedule_half_set(values: &Values<'_>) -> Option<&'static str> {
    let (down, up) = (
        values.after("ScheduleRackScaleDown"),
        values.after("ScheduleRackScaleUp"),
    );
    match (down.is_empty(), up.is_empty()) {
        (false, true) => Some("ScheduleRackScaleDown"),
        (true, false) => Some("ScheduleRackScaleUp"),
        _ => None,
    }
}

fn syslog_without_destination(values: &Values<'_>) -> Option<&'static str> {
    (values.after("LogDriver") == "Syslog" && values.after("SyslogDestination").is_empty())
        .then_some("LogDriver")
}

fn public_nlb_on_internal_only(values: &Values<'_>) -> Option<&'static str> {
    (values.is_yes("NLB") && values.is_yes("InternalOnly")).then_some("NLB")
}

fn internal_nlb_without_internal(values: &Values<'_>) -> Option<&'static str> {
    (values.is_yes("NLBInternal") && !values.is_yes("Internal")).then_some("NLBInternal")
}

/// Disabling an NLB deletes it, and AWS refuses to delete a load balancer with deletion protection. Convox's
/// code lets protection be switched off in the same call, but its message says to wait for that update to
/// complete first, and rightly: CloudFormation deletes a resource its template drops without updating it
/// first, so the protection the same update switches off is still on when the NLB is deleted. Refused
/// whenever the live protection is on.
fn nlb_disabled_while_protected(
    nlb: &'static str,
    protection: &'static str,
) -> impl Fn(&Values<'_>) -> Option<&'static str> {
    move |values| {
        (values.was_yes(nlb) && !values.is_yes(nlb) && values.was_yes(protection)).then_some(nlb)
    }
}

/// With a customer InstanceSecurityGroup, instances no longer get Convox's ingress from the NLB's security
/// group, and an NLB that preserves client IPs reaches them from the clients' addresses: its traffic is
/// dropped. Convox checks both directions (enabling preserve-client-IP with a custom group, setting a custom
/// group with preserve-client-IP on); both come down to the pair the operation leaves.
fn preserve_client_ip_with_custom_group(
    preserve: &'static str,
) -> impl Fn(&Values<'_>) -> Option<&'static str> {
    move |values| {
        (values.is_yes(preserve) && !values.after("InstanceSecurityGroup").is_empty()).then(|| {
            if values.changes("InstanceSecurityGroup") && !values.changes(preserve) {
                "InstanceSecurityGroup"
            } else {
                preserve
            }
        })
    }
}

pub const INTERLOCKS: &[Interlock] = &[
    interlock(
        &["ScheduleRackScaleDown", "ScheduleRackScaleUp"],
        "to configure ScheduleAction you need both ScheduleRackScaleDown and ScheduleRackScaleUp parameters",
        "pkg/cli/rack.go:991 validateParams (rack install, rack params set)",
        schedule_half_set,
    ),
    interlock(
        &["LogDriver", "SyslogDestination"],
        "to enable Syslog as the LogDriver you must pass SyslogDestination parameter",
        "pkg/cli/rack.go:995 validateParams (rack install, rack params set)",
        syslog_without_destination,
    ),
    interlock(
        &["NLB", "InternalOnly"],
        "cannot enable public NLB on an InternalOnly rack; use NLBInternal instead",
        "provider/aws/system_nlb.go:168 validateNLBParams",
        public_nlb_on_internal_only,
    ),
    interlock(
        &["NLBInternal", "Internal"],
        "cannot enable NLBInternal on a rack without Internal=Yes; set Internal=Yes in the same command",
        "provider/aws/system_nlb.go:172 validateNLBParams",
        internal_nlb_without_internal,
    ),
    interlock(
        &["NLB", "NLBDeletionProtection"],
        "cannot disable NLB while NLBDeletionProtection=Yes; unset protection first, wait for the update to complete, then toggle NLB off",
        "provider/aws/system_nlb.go:188 validateNLBParams",
        |values| nlb_disabled_while_protected("NLB", "NLBDeletionProtection")(values),
    ),
    interlock(
        &["NLBInternal", "NLBInternalDeletionProtection"],
        "cannot disable NLBInternal while NLBInternalDeletionProtection=Yes; unset protection first, wait for the update to complete, then toggle NLBInternal off",
        "provider/aws/system_nlb.go:206 validateNLBParams",
        |values| {
            nlb_disabled_while_protected("NLBInternal", "NLBInternalDeletionProtection")(values)
        },
    ),
    interlock(
        &["NLBPreserveClientIP", "InstanceSecurityGroup"],
        "cannot enable NLBPreserveClientIP on a rack with a customer-supplied InstanceSecurityGroup; your instance SG must add an ingress rule from the NLB security group (exported as ${Rack}:NLBSecurityGroup) for the NLB listener ports before this feature can be enabled safely",
        "provider/aws/system_nlb.go:213 and :234 validateNLBParams",
        |values| preserve_client_ip_with_custom_group("NLBPreserveClientIP")(values),
    ),
    interlock(
        &["NLBInternalPreserveClientIP", "InstanceSecurityGroup"],
        "cannot enable NLBInternalPreserveClientIP on a rack with a customer-supplied InstanceSecurityGroup; your instance SG must add an ingress rule from the NLB security group (exported as ${Rack}:NLBInternalSecurityGroup) for the NLB listener ports before this feature can be enabled safely",
        "provider/aws/system_nlb.go:216 and :237 validateNLBParams",
        |values| preserve_client_ip_with_custom_group("NLBInternalPreserveClientIP")(values),
    ),
];

impl Interlock {
    /// Where Convox refuses it, with the commit it was read at.
    pub fn cited(&self) -> String {
        format!("{AT} {}", self.source)
    }
}

/// Every interlock an operation breaks, for a template that declares the parameters `declared` answers for.
pub fn refusals(declared: impl Fn(&str) -> bool, values: &Values<'_>) -> Vec<Refusal> {
    INTERLOCKS
        .iter()
        .filter(|interlock| interlock.parameters.iter().all(|name| declared(name)))
        .filter(|interlock| interlock.parameters.iter().any(|name| values.changes(name)))
        .filter_map(|interlock| (interlock.refused)(values).map(|at| Refusal { interlock, at }))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn all_declared(_: &str) -> bool {
        true
    }

    /// The words of each interlock an install with `after` breaks.
    fn install(after: &[(&str, &str)]) -> Vec<(&'static str, &'static str)> {
        let after = map(after);
        refusals(
            all_declared,
            &Values {
                after: &after,
                live: None,
            },
        )
        .into_iter()
        .map(|refusal| (refusal.at, refusal.interlock.says))
        .collect()
    }

    /// As `install`, for an update from `live` to `after`.
    fn update(live: &[(&str, &str)], after: &[(&str, &str)]) -> Vec<&'static str> {
        let (live, after) = (map(live), map(after));
        refusals(
            all_declared,
            &Values {
                after: &after,
                live: Some(&live),
            },
        )
        .into_iter()
        .map(|refusal| refusal.at)
        .collect()
    }

    #[test]
    fn every_interlock_has_convox_words_and_a_source_line() {
        for interlock in INTERLOCKS {
            assert!(!interlock.says.is_empty());
            assert!(interlock.source.contains(".go:"), "{}", interlock.source);
            assert!(interlock.cited().starts_with("convox/rack@"));
        }
    }

    #[test]
    fn one_schedule_alone_is_refused_and_the_pair_or_neither_passes() {
        let refused = install(&[
            ("ScheduleRackScaleDown", "cron(0 18 * * ? *)"),
            ("ScheduleRackScaleUp", ""),
        ]);
        assert_eq!(refused.len(), 1);
        assert_eq!(refused[0].0, "ScheduleRackScaleDown");
        assert!(
            refused[0]
                .1
                .starts_with("to configure ScheduleAction you need both")
        );
        assert_eq!(
            install(&[("ScheduleRackScaleUp", "cron(0 6 * * ? *)")])[0].0,
            "ScheduleRackScaleUp"
        );
        assert!(
            install(&[("ScheduleRackScaleDown", "a"), ("ScheduleRackScaleUp", "b")]).is_empty()
        );
        assert!(install(&[("ScheduleRackScaleDown", ""), ("ScheduleRackScaleUp", "")]).is_empty());
    }

    #[test]
    fn a_live_schedule_completes_the_pair_an_update_sets_half_of() {
        let live = [
            ("ScheduleRackScaleDown", ""),
            ("ScheduleRackScaleUp", "cron(0 6 * * ? *)"),
        ];
        let after = [
            ("ScheduleRackScaleDown", "cron(0 18 * * ? *)"),
            ("ScheduleRackScaleUp", "cron(0 6 * * ? *)"),
        ];
        assert!(update(&live, &after).is_empty());
        // Clearing one half of a live pair leaves the other alone.
        let cleared = [
            ("ScheduleRackScaleDown", ""),
            ("ScheduleRackScaleUp", "cron(0 6 * * ? *)"),
        ];
        assert_eq!(update(&after, &cleared), ["ScheduleRackScaleUp"]);
    }

    #[test]
    fn a_rack_already_half_scheduled_is_not_blocked_by_an_unrelated_change() {
        let live = [
            ("ScheduleRackScaleDown", "x"),
            ("ScheduleRackScaleUp", ""),
            ("InstanceType", "t3.small"),
        ];
        let after = [
            ("ScheduleRackScaleDown", "x"),
            ("ScheduleRackScaleUp", ""),
            ("InstanceType", "t3.large"),
        ];
        assert!(update(&live, &after).is_empty());
    }

    #[test]
    fn syslog_needs_a_destination() {
        let refused = install(&[("LogDriver", "Syslog"), ("SyslogDestination", "")]);
        assert_eq!(refused, [("LogDriver", INTERLOCKS[1].says)]);
        assert!(
            install(&[
                ("LogDriver", "Syslog"),
                ("SyslogDestination", "tcp+tls://logs.example.com:514")
            ])
            .is_empty()
        );
        assert!(install(&[("LogDriver", "CloudWatch"), ("SyslogDestination", "")]).is_empty());
        // A destination the rack already has completes an update to Syslog.
        let live = [
            ("LogDriver", "CloudWatch"),
            ("SyslogDestination", "udp://logs:514"),
        ];
        let after = [
            ("LogDriver", "Syslog"),
            ("SyslogDestination", "udp://logs:514"),
        ];
        assert!(update(&live, &after).is_empty());
    }

    #[test]
    fn a_public_nlb_is_refused_on_an_internal_only_rack() {
        assert_eq!(
            install(&[("NLB", "Yes"), ("InternalOnly", "Yes")])[0].0,
            "NLB"
        );
        assert!(install(&[("NLB", "Yes"), ("InternalOnly", "No")]).is_empty());
        // Making a rack with a public NLB internal-only is the same combination.
        let live = [("NLB", "Yes"), ("InternalOnly", "No")];
        assert_eq!(
            update(&live, &[("NLB", "Yes"), ("InternalOnly", "Yes")]),
            ["NLB"]
        );
    }

    #[test]
    fn an_internal_nlb_needs_internal_set_before_or_with_it() {
        assert_eq!(
            install(&[("NLBInternal", "Yes"), ("Internal", "No")])[0].0,
            "NLBInternal"
        );
        assert!(install(&[("NLBInternal", "Yes"), ("Internal", "Yes")]).is_empty());
        let live = [("NLBInternal", "No"), ("Internal", "Yes")];
        assert!(update(&live, &[("NLBInternal", "Yes"), ("Internal", "Yes")]).is_empty());
    }

    #[test]
    fn an_nlb_with_live_deletion_protection_cannot_be_disabled_even_with_protection_off_in_the_same_update()
     {
        let live = [("NLB", "Yes"), ("NLBDeletionProtection", "Yes")];
        assert_eq!(
            update(&live, &[("NLB", "No"), ("NLBDeletionProtection", "Yes")]),
            ["NLB"]
        );
        assert_eq!(
            update(&live, &[("NLB", "No"), ("NLBDeletionProtection", "No")]),
            ["NLB"]
        );
        // Protection off first, then the NLB.
        let unprotected = [("NLB", "Yes"), ("NLBDeletionProtection", "No")];
        assert!(
            update(
                &unprotected,
                &[("NLB", "No"), ("NLBDeletionProtection", "No")]
            )
            .is_empty()
        );
        let live = [
            ("NLBInternal", "Yes"),
            ("NLBInternalDeletionProtection", "Yes"),
            ("Internal", "Yes"),
        ];
        let after = [
            ("NLBInternal", "No"),
            ("NLBInternalDeletionProtection", "Yes"),
            ("Internal", "Yes"),
        ];
        assert_eq!(update(&live, &after), ["NLBInternal"]);
        // An install has nothing to delete.
        assert!(install(&[("NLB", "No"), ("NLBDeletionProtection", "Yes")]).is_empty());
    }

    #[test]
    fn preserve_client_ip_is_refused_with_a_customer_security_group_in_either_order() {
        let custom = [
            ("InstanceSecurityGroup", "sg-123"),
            ("NLBPreserveClientIP", "No"),
        ];
        let enabled = [
            ("InstanceSecurityGroup", "sg-123"),
            ("NLBPreserveClientIP", "Yes"),
        ];
        assert_eq!(update(&custom, &enabled), ["NLBPreserveClientIP"]);
        let preserving = [
            ("InstanceSecurityGroup", ""),
            ("NLBPreserveClientIP", "Yes"),
        ];
        assert_eq!(update(&preserving, &enabled), ["InstanceSecurityGroup"]);
        // Preserve-client-IP off in the same update, as Convox's message asks.
        assert!(update(&preserving, &custom).is_empty());
        let internal = [
            ("InstanceSecurityGroup", "sg-123"),
            ("NLBInternalPreserveClientIP", "Yes"),
        ];
        assert_eq!(install(&internal)[0].0, "NLBInternalPreserveClientIP");
    }

    #[test]
    fn a_release_without_the_parameters_has_no_interlock() {
        let after = map(&[("ScheduleRackScaleDown", "x")]);
        let declared = |name: &str| name == "ScheduleRackScaleDown";
        assert!(
            refusals(
                declared,
                &Values {
                    after: &after,
                    live: None
                }
            )
            .is_empty()
        );
    }
}
