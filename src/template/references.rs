//! Which resources of a template each resource refers to (`Ref`, `Fn::GetAtt`, `Fn::Sub`), and the order
//! to analyse them in: what a resource refers to before the resource, so that a replacement reaches what
//! refers to it in one pass, each resource evaluated once. CloudFormation refuses a template whose resources
//! refer to each other in a loop; such a loop is kept together, to be analysed until nothing changes.

use std::collections::HashMap;

use serde_json::Value;

/// A template's resources (in its order) and the references between them.
pub struct References<'a> {
    names: Vec<&'a str>,
    refers_to: Vec<Vec<usize>>,
    referred_by: Vec<Vec<usize>>,
}

impl<'a> References<'a> {
    /// Every name a resource's `Ref`, `Fn::GetAtt` or `Fn::Sub` could read, whether or not the value that
    /// holds it is used: more references only order more, fewer would miss a replacement. A `Fn::FindInMap`
    /// reads the Mappings, so what they refer to counts too. Conditions are not read: they are evaluated
    /// before any resource is (see `Side::condition`).
    pub fn of(template: &'a Value) -> Self {
        let resources = template.get("Resources").and_then(Value::as_object);
        let names: Vec<&'a str> = resources
            .into_iter()
            .flatten()
            .map(|(name, _)| name.as_str())
            .collect();
        let index: HashMap<&str, usize> = names
            .iter()
            .enumerate()
            .map(|(position, name)| (*name, position))
            .collect();
        let mut in_mappings = Vec::new();
        if let Some(mappings) = template.get("Mappings") {
            scan(mappings, &index, &mut in_mappings, &mut false);
        }
        let mut refers_to: Vec<Vec<usize>> = Vec::with_capacity(names.len());
        for (_, resource) in resources.into_iter().flatten() {
            let mut found = Vec::new();
            let mut reads_mappings = false;
            scan(resource, &index, &mut found, &mut reads_mappings);
            if reads_mappings {
                found.extend_from_slice(&in_mappings);
            }
            found.sort_unstable();
            found.dedup();
            refers_to.push(found);
        }
        let mut referred_by = vec![Vec::new(); names.len()];
        for (from, targets) in refers_to.iter().enumerate() {
            for &to in targets {
                referred_by[to].push(from);
            }
        }
        Self {
            names,
            refers_to,
            referred_by,
        }
    }

    pub fn name(&self, resource: usize) -> &'a str {
        self.names[resource]
    }

    /// The resources that refer to this one.
    pub fn referred_by(&self, resource: usize) -> &[usize] {
        &self.referred_by[resource]
    }

    /// The resources in groups to analyse one after the other: a group refers only to itself and to groups
    /// before it. A group of more than one (or of one that refers to itself) is a loop. Tarjan's strongly
    /// connected components, without recursion: a chain of references may be longer than the stack allows.
    pub fn in_order(&self) -> Vec<Vec<usize>> {
        const UNSEEN: usize = usize::MAX;
        let count = self.names.len();
        let (mut order, mut lowest) = (vec![UNSEEN; count], vec![0; count]);
        let mut on_stack = vec![false; count];
        let (mut stack, mut groups) = (Vec::new(), Vec::new());
        let mut next = 0;
        for root in 0..count {
            if order[root] != UNSEEN {
                continue;
            }
            order[root] = next;
            lowest[root] = next;
            next += 1;
            stack.push(root);
            on_stack[root] = true;
            let mut path: Vec<(usize, usize)> = vec![(root, 0)];
            while let Some((node, edge)) = path.last_mut() {
                let node = *node;
                if let Some(&target) = self.refers_to[node].get(*edge) {
                    *edge += 1;
                    if order[target] == UNSEEN {
                        order[target] = next;
                        lowest[target] = next;
                        next += 1;
                        stack.push(target);
                        on_stack[target] = true;
                        path.push((target, 0));
                    } else if on_stack[target] {
                        lowest[node] = lowest[node].min(order[target]);
                    }
                    continue;
                }
                path.pop();
                if let Some((parent, _)) = path.last() {
                    lowest[*parent] = lowest[*parent].min(lowest[node]);
                }
                if lowest[node] == order[node] {
                    let mut group = Vec::new();
                    while let Some(member) = stack.pop() {
                        on_stack[member] = false;
                        group.push(member);
                        if member == node {
                            break;
                        }
                    }
                    group.sort_unstable();
                    groups.push(group);
                }
            }
        }
        groups
    }

    /// Whether a group must be analysed until nothing changes: its resources refer to each other.
    pub fn is_loop(&self, group: &[usize]) -> bool {
        match group {
            [only] => self.refers_to[*only].contains(only),
            _ => true,
        }
    }
}

/// The resources a template value names in a `Ref`, `Fn::GetAtt` or `Fn::Sub`, and whether it holds a
/// `Fn::FindInMap`.
fn scan(value: &Value, index: &HashMap<&str, usize>, found: &mut Vec<usize>, mappings: &mut bool) {
    let mut pending = vec![value];
    while let Some(value) = pending.pop() {
        match value {
            Value::Array(items) => pending.extend(items),
            Value::Object(entries) => {
                for (key, argument) in entries {
                    let mut name = |name: &str| {
                        if let Some(&position) = index.get(name) {
                            found.push(position);
                        }
                    };
                    match (key.as_str(), argument) {
                        ("Ref", Value::String(target)) => name(target),
                        ("Fn::GetAtt", Value::String(target)) => {
                            name(target.split_once('.').map_or(target.as_str(), |(r, _)| r))
                        }
                        ("Fn::GetAtt", Value::Array(parts)) => {
                            if let Some(Value::String(target)) = parts.first() {
                                name(target);
                            }
                        }
                        ("Fn::Sub", Value::String(text)) => substituted(text, &mut name),
                        ("Fn::Sub", Value::Array(parts)) => {
                            if let Some(Value::String(text)) = parts.first() {
                                substituted(text, &mut name);
                            }
                        }
                        ("Fn::FindInMap", _) => *mappings = true,
                        _ => {}
                    }
                    pending.push(argument);
                }
            }
            _ => {}
        }
    }
}

/// The names `${Name}` and `${Name.Attribute}` of a `Fn::Sub` text reads (`${!Literal}` reads none).
fn substituted(text: &str, name: &mut impl FnMut(&str)) {
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            return;
        };
        let variable = &after[..end];
        if !variable.starts_with('!') {
            name(variable.split_once('.').map_or(variable, |(r, _)| r));
            name(variable);
        }
        rest = &after[end + 1..];
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn names(references: &References<'_>, groups: &[Vec<usize>]) -> Vec<Vec<String>> {
        groups
            .iter()
            .map(|group| {
                group
                    .iter()
                    .map(|&r| references.name(r).to_string())
                    .collect()
            })
            .collect()
    }

    #[test]
    fn what_a_resource_refers_to_comes_before_it_and_loops_stay_together() {
        let template = json!({
            "Mappings": {"M": {"a": {"b": {"Ref": "Vpc"}}}},
            "Resources": {
                "Late": {"Properties": {"X": {"Fn::Sub": ["${Subnet.Id}-${!Vpc}", {}]}}},
                "Subnet": {"Properties": {"VpcId": {"Fn::GetAtt": "Vpc.VpcId"}}},
                "Vpc": {"Properties": {"Cidr": {"Ref": "Param"}}},
                "Reads": {"Properties": {"X": {"Fn::FindInMap": ["M", "a", "b"]}}},
                "A": {"Properties": {"X": {"Fn::GetAtt": ["B", "Arn"]}}},
                "B": {"Properties": {"X": {"Ref": "A"}}},
                "Itself": {"Properties": {"X": {"Ref": "Itself"}}},
            },
        });
        let references = References::of(&template);
        let groups = references.in_order();
        assert_eq!(
            names(&references, &groups),
            [
                vec!["Vpc"],
                vec!["Subnet"],
                vec!["Late"],
                vec!["Reads"],
                vec!["A", "B"],
                vec!["Itself"]
            ]
        );
        let loops: Vec<bool> = groups.iter().map(|g| references.is_loop(g)).collect();
        assert_eq!(loops, [false, false, false, false, true, true]);
        let vpc = groups[0][0];
        let mut referrers: Vec<&str> = references
            .referred_by(vpc)
            .iter()
            .map(|&r| references.name(r))
            .collect();
        referrers.sort_unstable();
        assert_eq!(referrers, ["Reads", "Subnet"]);
    }

    #[test]
    fn a_chain_longer_than_the_stack_is_ordered_from_its_end() {
        let length = 100_000;
        let resources: serde_json::Map<String, Value> = (0..length)
            .rev()
            .map(|i| {
                let refers = if i == 0 {
                    json!({})
                } else {
                    json!({"X": {"Ref": format!("R{}", i - 1)}})
                };
                (format!("R{i}"), json!({"Properties": refers}))
            })
            .collect();
        let template = json!({"Resources": resources});
        let references = References::of(&template);
        let order: Vec<&str> = references
            .in_order()
            .iter()
            .map(|group| references.name(group[0]))
            .collect();
        assert_eq!(order.len(), length);
        assert_eq!(order[0], "R0");
        assert_eq!(order[length - 1], format!("R{}", length - 1));
    }
}
