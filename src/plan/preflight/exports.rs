//! Exports: an update (or a step of an upgrade) whose new template no longer exports a value another stack
//! imports fails and rolls back (convox/rack#2410). The export names of the template before and after are
//! evaluated with each side's values; for each one that disappears, ListImports says who imports it. One
//! ListImports per export that disappears; none when nothing does, and none for an install.

use super::{
    Finding, Operation, PreflightCheck, PreflightKind, RackOperations, Read, Unknown, Verdict,
};
use crate::live::{PreflightFacts, PreflightReads};
use crate::template::{export_names, exports_removed};

/// What one operation does to the stack's exports, read from the templates alone.
enum Removal {
    /// These names disappear.
    Removed(Vec<String>),
    /// The names cannot all be known offline: the reasons.
    Unknown(Vec<Unknown>),
}

fn removal(operation: &Operation, rack: &RackOperations) -> Option<Removal> {
    if !operation.reaches_resources {
        return None;
    }
    let before = match operation.before.as_ref()? {
        Ok(before) => before,
        Err(why) => return Some(Removal::Unknown(vec![why.clone()])),
    };
    let after = match &operation.after {
        Ok(after) => after,
        Err(why) => return Some(Removal::Unknown(vec![why.clone()])),
    };
    let before = export_names(before.stack(), &rack.pseudo);
    let after = export_names(after.stack(), &rack.pseudo);
    let unknown: Vec<Unknown> = before
        .iter()
        .chain(&after)
        .filter_map(|export| {
            let why = export.name.as_ref().err()?;
            Some(Unknown::ExportName {
                output: export.output.clone(),
                why: why.clone(),
            })
        })
        .collect();
    if !unknown.is_empty() {
        return Some(Removal::Unknown(unknown));
    }
    Some(Removal::Removed(exports_removed(&before, &after)))
}

pub(super) fn wanted(rack: &RackOperations, reads: &mut PreflightReads) {
    for operation in &rack.operations {
        if let Some(Removal::Removed(names)) = removal(operation, rack) {
            for name in names {
                reads.imports.insert((rack.place.clone(), name));
            }
        }
    }
}

pub(super) fn decide(rack: &RackOperations, facts: &PreflightFacts) -> Vec<PreflightCheck> {
    let mut checks = Vec::new();
    for operation in &rack.operations {
        let step = operation.step.clone();
        match removal(operation, rack) {
            None => {}
            Some(Removal::Unknown(why)) => checks.push(PreflightCheck {
                check: PreflightKind::Exports,
                verdict: Verdict::NotChecked,
                read: vec![Read::LiveAndPlannedTemplates],
                finding: Finding::ExportsUnknown { step, why },
            }),
            Some(Removal::Removed(names)) => {
                for export in names {
                    let read = vec![Read::ListImports {
                        export: export.clone(),
                    }];
                    let step = step.clone();
                    let (verdict, finding) =
                        match facts.imports.get(&(rack.place.clone(), export.clone())) {
                            Some(Ok(importers)) if importers.is_empty() => {
                                (Verdict::Passed, Finding::ExportUnused { step, export })
                            }
                            Some(Ok(importers)) => (
                                Verdict::Blocked,
                                Finding::ExportImported {
                                    step,
                                    export,
                                    importers: importers.clone(),
                                },
                            ),
                            Some(Err(error)) => (
                                Verdict::NotChecked,
                                Finding::ImportsUnreadable {
                                    step,
                                    export,
                                    error: error.to_string(),
                                },
                            ),
                            None => (
                                Verdict::NotChecked,
                                Finding::ImportsNotRead { step, export },
                            ),
                        };
                    checks.push(PreflightCheck {
                        check: PreflightKind::Exports,
                        verdict,
                        read,
                        finding,
                    });
                }
            }
        }
    }
    checks
}
