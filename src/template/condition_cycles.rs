//! Conditions that depend on themselves (`C1` uses `Condition: C2`, `C2` uses `Condition: C1`):
//! CloudFormation refuses such a template, so plan says so, naming the loop, instead of planning it.

use std::collections::BTreeMap;

use serde_json::Value;

use super::document::DocumentError;

/// The first loop among the template's Conditions, as `C1 -> C2 -> C1`, as an error.
pub fn check_conditions(document: &Value) -> Result<(), DocumentError> {
    let Some(Value::Object(conditions)) = document.get("Conditions") else {
        return Ok(());
    };
    let uses: BTreeMap<&str, Vec<&str>> = conditions
        .iter()
        .map(|(name, body)| {
            let mut used = Vec::new();
            referenced(body, &mut used);
            (name.as_str(), used)
        })
        .collect();
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        Open,
        Done,
    }
    let mut marks: BTreeMap<&str, Mark> = BTreeMap::new();
    // Iterative depth-first search: a template's conditions may be chained deeper than the stack allows.
    for start in uses.keys().copied() {
        if marks.contains_key(start) {
            continue;
        }
        let mut path: Vec<(&str, usize)> = vec![(start, 0)];
        marks.insert(start, Mark::Open);
        while let Some((node, next)) = path.last_mut() {
            let Some(&used) = uses[*node].get(*next) else {
                marks.insert(*node, Mark::Done);
                path.pop();
                continue;
            };
            *next += 1;
            if !uses.contains_key(used) {
                continue;
            }
            match marks.get(used) {
                Some(Mark::Done) => {}
                Some(Mark::Open) => {
                    let from = path.iter().position(|(n, _)| *n == used).unwrap_or(0);
                    let mut names: Vec<&str> = path[from..].iter().map(|(n, _)| *n).collect();
                    names.push(used);
                    return Err(DocumentError {
                        message: format!(
                            "the Conditions form a loop: {} (a condition cannot depend on itself)",
                            names.join(" -> ")
                        ),
                    });
                }
                None => {
                    marks.insert(used, Mark::Open);
                    path.push((used, 0));
                }
            }
        }
    }
    Ok(())
}

/// Every condition `value` names through `{"Condition": NAME}` (`!Condition NAME`), in order.
fn referenced<'a>(value: &'a Value, used: &mut Vec<&'a str>) {
    match value {
        Value::Object(object) => {
            for (key, inner) in object {
                match (key.as_str(), inner) {
                    ("Condition", Value::String(name)) => used.push(name),
                    _ => referenced(inner, used),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| referenced(item, used)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use crate::template::parse_document;

    use super::check_conditions;

    fn check(conditions: &str) -> Result<(), String> {
        let body =
            format!("Conditions:\n{conditions}Resources:\n  Vpc:\n    Type: AWS::EC2::VPC\n");
        check_conditions(&parse_document(&body).unwrap()).map_err(|e| e.message)
    }

    #[test]
    fn a_loop_through_condition_references_is_named() {
        assert_eq!(
            check("  C1: !And [!Condition C2, !Equals [a, a]]\n  C2: !Not [{Condition: C1}]\n"),
            Err(
                "the Conditions form a loop: C1 -> C2 -> C1 (a condition cannot depend on itself)"
                    .into()
            )
        );
        assert_eq!(
            check("  A: !Condition B\n  B: !Condition C\n  C: !Not [!Condition B]\n"),
            Err(
                "the Conditions form a loop: B -> C -> B (a condition cannot depend on itself)"
                    .into()
            )
        );
        assert_eq!(
            check("  Self: !Not [!Condition Self]\n"),
            Err(
                "the Conditions form a loop: Self -> Self (a condition cannot depend on itself)"
                    .into()
            )
        );
    }

    #[test]
    fn shared_and_chained_conditions_are_no_loop() {
        assert_eq!(
            check(
                "  Base: !Equals [!Ref P, x]\n  A: !Condition Base\n  B: !And [!Condition Base, !Condition A]\n  \
                 Outside: !Condition Missing\n"
            ),
            Ok(())
        );
    }
}
