//! Exports: an update (or a step of an upgrade) whose new template no longer exports a value another stack
//! imports fails and rolls back (convox/rack#2410). The export names of the template before and after are
//! evaluated with each side's values; for each one that disappears, ListImports says who imports it. One
//! ListImports per export that disappears; none when nothing does, and none for an install.

use super::{Operation, PreflightCheck, PreflightKind, RackOperations, Verdict, step_words};
use crate::live::{PreflightFacts, PreflightReads};
use crate::template::{export_names, exports_removed};

/// What one operation does to the stack's exports, read from the templates alone.
enum Finding {
    /// These names disappear.
    Removed(Vec<String>),
    /// The names cannot all be known offline: the reasons.
    Unknown(Vec<String>),
}

fn finding(operation: &Operation, rack: &RackOperations) -> Option<Finding> {
    if !operation.reaches_resources {
        return None;
    }
    let before = match operation.before.as_ref()? {
        Ok(before) => before,
        Err(why) => return Some(Finding::Unknown(vec![why.clone()])),
    };
    let after = match &operation.after {
        Ok(after) => after,
        Err(why) => return Some(Finding::Unknown(vec![why.clone()])),
    };
    let before = export_names(before.stack(), &rack.pseudo);
    let after = export_names(after.stack(), &rack.pseudo);
    let unknown: Vec<String> = before
        .iter()
        .chain(&after)
        .filter_map(|export| {
            let why = export.name.as_ref().err()?;
            Some(format!(
                "the export name of output {}: {why}",
                export.output
            ))
        })
        .collect();
    if !unknown.is_empty() {
        return Some(Finding::Unknown(unknown));
    }
    Some(Finding::Removed(exports_removed(&before, &after)))
}

pub(super) fn wanted(rack: &RackOperations, reads: &mut PreflightReads) {
    for operation in &rack.operations {
        if let Some(Finding::Removed(names)) = finding(operation, rack) {
            for name in names {
                reads.imports.insert((rack.place.clone(), name));
            }
        }
    }
}

pub(super) fn decide(rack: &RackOperations, facts: &PreflightFacts) -> Vec<PreflightCheck> {
    let mut checks = Vec::new();
    for operation in &rack.operations {
        let step = step_words(&operation.step);
        match finding(operation, rack) {
            None => {}
            Some(Finding::Unknown(reasons)) => checks.push(PreflightCheck {
                check: PreflightKind::Exports,
                verdict: Verdict::NotChecked,
                read: vec!["the live and planned templates".into()],
                says: format!(
                    "the exports the update{step} removes are not known: {}",
                    reasons.join("; ")
                ),
            }),
            Some(Finding::Removed(names)) => {
                for name in names {
                    let read = vec![format!("ListImports {name}")];
                    let check = match facts.imports.get(&(rack.place.clone(), name.clone())) {
                        Some(Ok(importers)) if importers.is_empty() => PreflightCheck {
                            check: PreflightKind::Exports,
                            verdict: Verdict::Passed,
                            read,
                            says: format!(
                                "the update{step} removes export {name}, which no stack imports"
                            ),
                        },
                        Some(Ok(importers)) => PreflightCheck {
                            check: PreflightKind::Exports,
                            verdict: Verdict::Blocked,
                            read,
                            says: format!(
                                "the update{step} removes export {name}, which {} {} imports: CloudFormation would roll it back; update or delete {} first",
                                if importers.len() == 1 {
                                    "stack"
                                } else {
                                    "stacks"
                                },
                                importers.join(", "),
                                if importers.len() == 1 { "it" } else { "them" },
                            ),
                        },
                        Some(Err(error)) => PreflightCheck {
                            check: PreflightKind::Exports,
                            verdict: Verdict::NotChecked,
                            read,
                            says: format!(
                                "the update{step} removes export {name}; whether a stack imports it could not be read: {error}"
                            ),
                        },
                        None => PreflightCheck {
                            check: PreflightKind::Exports,
                            verdict: Verdict::NotChecked,
                            read,
                            says: format!(
                                "the update{step} removes export {name}; its importers were not read"
                            ),
                        },
                    };
                    checks.push(check);
                }
            }
        }
    }
    checks
}
