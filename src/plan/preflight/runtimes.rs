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
    Operation, PreflightCheck, PreflightKind, RackOperations, Touches, Verdict, step_words,
};
use crate::template::{FunctionRuntime, ResourceAction, function_runtimes};

/// The checked-in table of deprecated runtimes.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuntimeTable {
    source: String,
    /// The day the table was read from `source`.
    read: String,
    runtime: Vec<DeprecatedRuntime>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DeprecatedRuntime {
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

/// What the operation does to a function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Use {
    Create,
    /// A new function takes the old one's place: AWS judges it as a create.
    Replace,
    /// The analysis cannot tell whether the function is replaced or updated: judged as the stricter create.
    MayReplace,
    Update,
    /// The update was not analysed: a function the stack already has may be updated.
    MayUpdate,
    /// The operation sends nothing to Lambda for it.
    LeftAlone,
}

impl Use {
    /// The words for what the operation does, and whether AWS judges it as a create (else as an update).
    fn words(self) -> (&'static str, bool) {
        match self {
            Use::Create => ("creates it", true),
            Use::Replace => ("replaces it (a new function is created)", true),
            Use::MayReplace => ("may replace it (a new function would be created)", true),
            Use::Update => ("updates it", false),
            Use::MayUpdate => ("may update it", false),
            Use::LeftAlone => ("leaves it alone", false),
        }
    }
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
    let Ok(after) = &operation.after else {
        // Without the planned template's body there are no functions to read; the plan says so already
        // (the impact is "not analysed"), and an install of such a template is rare: say it once.
        return vec![PreflightCheck {
            check: PreflightKind::LambdaRuntime,
            verdict: Verdict::NotChecked,
            read: vec!["the planned template".into()],
            says: format!(
                "the Lambda runtimes{} are not known: {}",
                step_words(&operation.step),
                operation.after.as_ref().err().map_or("", String::as_str)
            ),
        }];
    };
    let functions = function_runtimes(after.stack(), &rack.pseudo);
    if let Touches::Analysed(touched) = &operation.touches {
        return functions
            .iter()
            .filter_map(|function| {
                let action = match touched.get(&function.logical_id) {
                    None => Use::LeftAlone,
                    Some(ResourceAction::Add) => Use::Create,
                    Some(ResourceAction::Replace) => Use::Replace,
                    Some(ResourceAction::MayReplace) => Use::MayReplace,
                    Some(ResourceAction::Modify) => Use::Update,
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
                Some(existing) if !existing.contains(&function.logical_id) => Use::Create,
                _ => Use::MayUpdate,
            };
            judge(function, action, &operation.step, today)
        })
        .collect()
}

/// The check of one function, or `None` when its runtime is not deprecated.
fn judge(
    function: &FunctionRuntime,
    action: Use,
    step: &Option<String>,
    today: &str,
) -> Option<PreflightCheck> {
    let step = step_words(step);
    let id = &function.logical_id;
    let runtime = match &function.runtime {
        Ok(runtime) => runtime,
        Err(why) => {
            return Some(PreflightCheck {
                check: PreflightKind::LambdaRuntime,
                verdict: Verdict::NotChecked,
                read: vec!["the planned template".into()],
                says: format!("the runtime of function {id}{step} is not known: {why}"),
            });
        }
    };
    let table = match table() {
        Ok(table) => table,
        Err(error) => {
            return Some(PreflightCheck {
                check: PreflightKind::LambdaRuntime,
                verdict: Verdict::NotChecked,
                read: vec!["lambda_runtimes.toml".into()],
                says: format!("the runtime table cannot be read: {error}"),
            });
        }
    };
    let entry = table.runtime.iter().find(|r| r.identifier == *runtime)?;
    let read = vec![format!(
        "the runtime table ({}, read {})",
        table.source, table.read
    )];
    let (verb, creates) = action.words();
    let refused_from = if creates {
        &entry.block_create
    } else {
        &entry.block_update
    };
    let dates = format!(
        "deprecated {}, creates refused from {}, updates from {}",
        entry.deprecated, entry.block_create, entry.block_update
    );
    let (verdict, says) = if action == Use::LeftAlone {
        if today < entry.deprecated.as_str() {
            (
                Verdict::Passed,
                format!(
                    "function {id}{step} runs {runtime}, which AWS deprecates on {} ({dates}); the operation leaves it alone",
                    entry.deprecated
                ),
            )
        } else {
            let stopped = if today >= refused_from.as_str() {
                "stopped accepting updates to it on"
            } else {
                "stops accepting updates to it on"
            };
            (
                Verdict::Warning,
                format!(
                    "function {id}{step} runs {runtime} ({}), which AWS {stopped} {refused_from}: the operation leaves it alone, but any later change to it will need a supported runtime ({dates})",
                    entry.name
                ),
            )
        }
    } else if today >= refused_from.as_str() {
        (
            Verdict::Blocked,
            format!(
                "function {id}{step} runs {runtime} ({}), which AWS no longer accepts: the operation {verb} and AWS refuses that since {refused_from} ({dates})",
                entry.name
            ),
        )
    } else if today >= entry.deprecated.as_str() {
        (
            Verdict::Warning,
            format!(
                "function {id}{step} runs {runtime} ({}), deprecated by AWS: the operation {verb}, which AWS refuses from {refused_from} ({dates})",
                entry.name
            ),
        )
    } else {
        (
            Verdict::Passed,
            format!(
                "function {id}{step} runs {runtime}, which AWS deprecates on {} ({dates})",
                entry.deprecated
            ),
        )
    };
    Some(PreflightCheck {
        check: PreflightKind::LambdaRuntime,
        verdict,
        read,
        says,
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
        assert_eq!(verdict(Use::Create, "2016-11-01"), Verdict::Passed);
        assert_eq!(verdict(Use::Create, "2016-11-02"), Verdict::Warning);
        assert_eq!(verdict(Use::Create, "2017-01-10"), Verdict::Warning);
        assert_eq!(verdict(Use::Create, "2017-01-11"), Verdict::Blocked);
        assert_eq!(verdict(Use::Update, "2017-03-13"), Verdict::Warning);
        assert_eq!(verdict(Use::Update, "2017-04-30"), Verdict::Blocked);
    }

    #[test]
    fn a_runtime_is_blocked_for_what_aws_refuses_on_the_day_and_warned_about_before() {
        // nodejs4.3: deprecated 2018-04-30, creates refused from 2018-12-15, updates from 2020-03-06.
        let node = function("nodejs4.3");
        let verdict = |action, today| judge(&node, action, &None, today).unwrap().verdict;
        assert_eq!(verdict(Use::Create, "2018-04-29"), Verdict::Passed);
        assert_eq!(verdict(Use::Create, "2018-04-30"), Verdict::Warning);
        assert_eq!(verdict(Use::Create, "2018-12-15"), Verdict::Blocked);
        assert_eq!(verdict(Use::Update, "2019-06-01"), Verdict::Warning);
        assert_eq!(verdict(Use::Update, "2020-03-06"), Verdict::Blocked);
        let blocked = judge(&node, Use::Update, &Some("20200101".into()), "2026-12-04").unwrap();
        assert!(
            blocked.says.contains("since 2020-03-06"),
            "{}",
            blocked.says
        );
        assert!(
            blocked.says.contains("upgrade step to 20200101"),
            "{}",
            blocked.says
        );
        assert!(
            blocked.read[0].contains("lambda-runtimes.html"),
            "{:?}",
            blocked.read
        );
        assert!(judge(&function("nodejs22.x"), Use::Create, &None, "2026-12-04").is_none());
        let unknown = FunctionRuntime {
            logical_id: "Fn".into(),
            runtime: Err("it is computed by AWS at deploy time".into()),
        };
        assert_eq!(
            judge(&unknown, Use::Update, &None, "2026-12-04")
                .unwrap()
                .verdict,
            Verdict::NotChecked
        );
    }
}
