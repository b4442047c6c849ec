//! Lambda runtimes: AWS refuses to create, then to update, functions on a runtime it has deprecated ("The
//! runtime parameter of nodejs is no longer supported", convox/rack#1524, #2056, #2661), and a rack's update
//! fails on its first such function. Every function of the planned template is judged by the table in
//! `lambda_runtimes.toml` (AWS's dates, with the page and the day they were read): blocked when AWS no
//! longer accepts the runtime for what the operation does to the function (creating it, replacing it, or
//! updating one the stack already has, or maybe doing so), a warning once it is deprecated. What an update
//! does to each function is the impact analysis' answer: CloudFormation calls Lambda only for a function
//! whose properties change, so a function the update leaves alone is a warning naming the date AWS stopped
//! (or stops) accepting updates to it, never a block: a rack on a retired runtime can still change its
//! instances. Nothing is read from AWS.

use std::collections::BTreeSet;
use std::sync::OnceLock;

use serde::Deserialize;

use super::{
    DeprecatedRuntime, Finding, FunctionUse, Operation, PreflightCheck, PreflightKind,
    RackOperations, Read, RuntimeStanding, Touches, Verdict,
};
use crate::template::{FunctionRuntime, ResourceAction, function_runtimes};

/// The checked-in table of deprecated runtimes.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuntimeTable {
    source: String,
    /// The day the table was read from `source`.
    read: String,
    runtime: Vec<TableRuntime>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TableRuntime {
    identifier: String,
    name: String,
    deprecated: String,
    block_create: String,
    block_update: String,
}

const TABLE: &str = include_str!("lambda_runtimes.toml");

fn table() -> Result<&'static RuntimeTable, &'static str> {
    static PARSED: OnceLock<Result<RuntimeTable, String>> = OnceLock::new();
    PARSED
        .get_or_init(|| toml::from_str(TABLE).map_err(|error| error.to_string()))
        .as_ref()
        .map_err(String::as_str)
}

/// Where the runtime table comes from and when it was read: `(url, YYYY-MM-DD)`.
pub fn runtime_table_source() -> Option<(&'static str, &'static str)> {
    table()
        .ok()
        .map(|table| (table.source.as_str(), table.read.as_str()))
}

pub(super) fn decide(rack: &RackOperations, today: &str) -> Vec<PreflightCheck> {
    let mut checks = Vec::new();
    for operation in &rack.operations {
        checks.extend(decide_operation(operation, rack, today));
    }
    checks
}

fn decide_operation(
    operation: &Operation,
    rack: &RackOperations,
    today: &str,
) -> Vec<PreflightCheck> {
    let after = match &operation.after {
        Ok(after) => after,
        // Without the planned template's body there are no functions to read; the plan says so already
        // (the impact is "not analysed"), and an install of such a template is rare: say it once.
        Err(why) => {
            return vec![PreflightCheck {
                check: PreflightKind::LambdaRuntime,
                verdict: Verdict::NotChecked,
                read: vec![Read::PlannedTemplate],
                finding: Finding::RuntimesUnknown {
                    step: operation.step.clone(),
                    why: why.clone(),
                },
            }];
        }
    };
    let functions = function_runtimes(after.stack(), &rack.pseudo);
    if let Touches::Analysed(touched) = &operation.touches {
        return functions
            .iter()
            .filter_map(|function| {
                let action = match touched.get(&function.logical_id) {
                    None => FunctionUse::LeftAlone,
                    Some(ResourceAction::Add) => FunctionUse::Create,
                    Some(ResourceAction::Replace) => FunctionUse::Replace,
                    Some(ResourceAction::MayReplace) => FunctionUse::MayReplace,
                    Some(ResourceAction::Modify) => FunctionUse::Update,
                    // Not in the planned stack: deleting a function is never refused.
                    Some(ResourceAction::Remove) => return None,
                };
                judge(function, action, &operation.step, today)
            })
            .collect();
    }
    // Not analysed: a function the stack already has may be updated; any other is created. Without the
    // live template, every function is taken to exist (an update is refused from the later date, so this
    // never blocks early).
    let existing: Option<BTreeSet<String>> = match &operation.before {
        None => Some(BTreeSet::new()),
        Some(Ok(before)) => Some(
            function_runtimes(before.stack(), &rack.pseudo)
                .into_iter()
                .map(|function| function.logical_id)
                .collect(),
        ),
        Some(Err(_)) => None,
    };
    functions
        .iter()
        .filter_map(|function| {
            let action = match &existing {
                Some(existing) if !existing.contains(&function.logical_id) => FunctionUse::Create,
                _ => FunctionUse::MayUpdate,
            };
            judge(function, action, &operation.step, today)
        })
        .collect()
}

/// The check of one function, or `None` when its runtime is not deprecated.
fn judge(
    function: &FunctionRuntime,
    operation: FunctionUse,
    step: &Option<String>,
    today: &str,
) -> Option<PreflightCheck> {
    let runtime = match &function.runtime {
        Ok(runtime) => runtime,
        Err(why) => {
            return Some(PreflightCheck {
                check: PreflightKind::LambdaRuntime,
                verdict: Verdict::NotChecked,
                read: vec![Read::PlannedTemplate],
                finding: Finding::RuntimeUnknown {
                    step: step.clone(),
                    function: function.logical_id.clone(),
                    why: why.clone(),
                },
            });
        }
    };
    let table = match table() {
        Ok(table) => table,
        Err(error) => {
            return Some(PreflightCheck {
                check: PreflightKind::LambdaRuntime,
                verdict: Verdict::NotChecked,
                read: vec![Read::RuntimeTableFile],
                finding: Finding::RuntimeTableUnreadable {
                    error: error.to_string(),
                },
            });
        }
    };
    let entry = table.runtime.iter().find(|r| r.identifier == *runtime)?;
    let read = vec![Read::RuntimeTable {
        source: table.source.clone(),
        read_on: table.read.clone(),
    }];
    let runtime = DeprecatedRuntime {
        identifier: entry.identifier.clone(),
        name: entry.name.clone(),
        deprecated: entry.deprecated.clone(),
        block_create: entry.block_create.clone(),
        block_update: entry.block_update.clone(),
    };
    let refused = today >= runtime.refused_from(operation);
    let deprecated = today >= runtime.deprecated.as_str();
    // A function left alone is judged for a later update to it: a warning once deprecated, never a block.
    let (verdict, standing) = if operation == FunctionUse::LeftAlone {
        if !deprecated {
            (Verdict::Passed, RuntimeStanding::NotYetDeprecated)
        } else if refused {
            (Verdict::Warning, RuntimeStanding::Refused)
        } else {
            (Verdict::Warning, RuntimeStanding::Deprecated)
        }
    } else if refused {
        (Verdict::Blocked, RuntimeStanding::Refused)
    } else if deprecated {
        (Verdict::Warning, RuntimeStanding::Deprecated)
    } else {
        (Verdict::Passed, RuntimeStanding::NotYetDeprecated)
    };
    Some(PreflightCheck {
        check: PreflightKind::LambdaRuntime,
        verdict,
        read,
        finding: Finding::DeprecatedRuntime {
            step: step.clone(),
            function: function.logical_id.clone(),
            runtime,
            operation,
            standing,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn function(runtime: &str) -> FunctionRuntime {
        FunctionRuntime {
            logical_id: "Fn".into(),
            runtime: Ok(runtime.into()),
        }
    }

    #[test]
    fn the_checked_in_table_parses_with_ordered_dates_and_a_source() {
        let table = table().expect("lambda_runtimes.toml parses");
        assert!(
            table
                .source
                .starts_with("https://docs.aws.amazon.com/lambda/")
        );
        let is_day = |text: &str| {
            text.len() == 10
                && text.char_indices().all(|(i, c)| {
                    if i == 4 || i == 7 {
                        c == '-'
                    } else {
                        c.is_ascii_digit()
                    }
                })
        };
        assert!(is_day(&table.read));
        for runtime in &table.runtime {
            for day in [
                &runtime.deprecated,
                &runtime.block_create,
                &runtime.block_update,
            ] {
                assert!(is_day(day), "{}: {day}", runtime.identifier);
            }
            assert!(
                runtime.deprecated <= runtime.block_create
                    && runtime.block_create <= runtime.block_update,
                "{}: dates out of order",
                runtime.identifier
            );
        }
    }

    #[test]
    fn node_0_10_follows_the_notice_aws_sent_its_users() {
        // convox/rack#2056 quotes AWS's notice (March 2017): deprecation announced on November 2nd 2016,
        // creating functions turned off on January 11th 2017, updates to code and configuration accepted
        // until April 30th 2017.
        let node = function("nodejs");
        let verdict = |action, today| judge(&node, action, &None, today).unwrap().verdict;
        assert_eq!(verdict(FunctionUse::Create, "2016-11-01"), Verdict::Passed);
        assert_eq!(verdict(FunctionUse::Create, "2016-11-02"), Verdict::Warning);
        assert_eq!(verdict(FunctionUse::Create, "2017-01-10"), Verdict::Warning);
        assert_eq!(verdict(FunctionUse::Create, "2017-01-11"), Verdict::Blocked);
        assert_eq!(verdict(FunctionUse::Update, "2017-03-13"), Verdict::Warning);
        assert_eq!(verdict(FunctionUse::Update, "2017-04-30"), Verdict::Blocked);
    }

    #[test]
    fn a_runtime_is_blocked_for_what_aws_refuses_on_the_day_and_warned_about_before() {
        // nodejs4.3: deprecated 2018-04-30, creates refused from 2018-12-15, updates from 2020-03-06.
        let node = function("nodejs4.3");
        let verdict = |action, today| judge(&node, action, &None, today).unwrap().verdict;
        assert_eq!(verdict(FunctionUse::Create, "2018-04-29"), Verdict::Passed);
        assert_eq!(verdict(FunctionUse::Create, "2018-04-30"), Verdict::Warning);
        assert_eq!(verdict(FunctionUse::Create, "2018-12-15"), Verdict::Blocked);
        assert_eq!(verdict(FunctionUse::Update, "2019-06-01"), Verdict::Warning);
        assert_eq!(verdict(FunctionUse::Update, "2020-03-06"), Verdict::Blocked);
        // What the words of a block rest on (`render::preflight` words them): the step, the day AWS
        // refuses the update from, and the table read.
        let blocked = judge(
            &node,
            FunctionUse::Update,
            &Some("20200101".into()),
            "2026-12-04",
        )
        .unwrap();
        let Finding::DeprecatedRuntime {
            step,
            runtime,
            operation,
            standing,
            ..
        } = &blocked.finding
        else {
            panic!("{:?}", blocked.finding)
        };
        assert_eq!(step.as_deref(), Some("20200101"));
        assert_eq!(runtime.refused_from(*operation), "2020-03-06");
        assert_eq!(*standing, RuntimeStanding::Refused);
        assert!(
            matches!(&blocked.read[..], [Read::RuntimeTable { source, .. }] if source.contains("lambda-runtimes.html")),
            "{:?}",
            blocked.read
        );
        assert!(
            judge(
                &function("nodejs22.x"),
                FunctionUse::Create,
                &None,
                "2026-12-04"
            )
            .is_none()
        );
        let unknown = FunctionRuntime {
            logical_id: "Fn".into(),
            runtime: Err("it is computed by AWS at deploy time".into()),
        };
        assert_eq!(
            judge(&unknown, FunctionUse::Update, &None, "2026-12-04")
                .unwrap()
                .verdict,
            Verdict::NotChecked
        );
    }
}
