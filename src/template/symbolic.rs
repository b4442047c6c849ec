//! Evaluated template values, shared rather than copied, and compared in time linear in what was built.
//!
//! A condition may name another twice (`Ci: !Or [!Condition Ci-1, !Condition Ci-1]`): written out, 40 such
//! levels hold 2^40 copies of the first. So a list, a map or a call holds its parts behind an `Arc`, and is
//! built once, and carries what a comparison needs to know of it without walking it: a 128-bit fingerprint
//! of its content, whether it is fully known (`concrete`), and whether anything in it can compare as other
//! than "same or differs" (`settled`: no value rackfile cannot know, no new or possibly new id).
//!
//! Two values with the same fingerprint are taken as equal. The fingerprint is SipHash under keys drawn at
//! random once per process, so that no template can be written to make two values collide; by chance, two
//! different values meet with odds of 2^-128.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::hash::{BuildHasher, Hasher, RandomState};
use std::ops::Deref;
use std::sync::{Arc, OnceLock};

use super::work_budget::Budget;

/// An evaluated template value.
#[derive(Debug, Clone)]
pub enum Val {
    Null,
    /// Text, numbers and booleans alike: CloudFormation compares and passes them as text.
    Text(Arc<str>),
    List(Shared<Vec<Val>>),
    Map(Shared<BTreeMap<String, Val>>),
    /// `AWS::NoValue`: removes the key or item it is the value of.
    NoValue,
    /// A resource's physical id.
    Ref {
        resource: Arc<str>,
        fresh: Fresh,
    },
    Att {
        resource: Arc<str>,
        attribute: Arc<str>,
        fresh: Fresh,
    },
    /// A function rackfile does not compute, over its evaluated arguments.
    Call {
        function: String,
        args: Shared<Vec<Val>>,
    },
    /// What rackfile cannot know, and why.
    Unknown(Arc<str>),
}

/// Whether a resource's physical id (or attribute) is new after the update.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Fresh {
    Same,
    Maybe,
    New,
}

/// How two evaluations compare. Ordered: the worse of two parts is the whole's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Difference {
    Same,
    Maybe,
    Differs,
}

impl From<Fresh> for Difference {
    fn from(fresh: Fresh) -> Self {
        match fresh {
            Fresh::Same => Difference::Same,
            Fresh::Maybe => Difference::Maybe,
            Fresh::New => Difference::Differs,
        }
    }
}

/// The parts of a list, map or call, built once and shared by every value that holds them.
pub struct Shared<T>(Arc<Node<T>>);

struct Node<T> {
    fingerprint: u128,
    concrete: bool,
    settled: bool,
    content: T,
}

impl<T> Clone for Shared<T> {
    fn clone(&self) -> Self {
        Self(Arc::clone(&self.0))
    }
}

impl<T> Deref for Shared<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0.content
    }
}

impl<T: fmt::Debug> fmt::Debug for Shared<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.content.fmt(f)
    }
}

/// Kinds of value, written first into each fingerprint so that a list and a call of the same parts differ.
#[derive(Clone, Copy)]
enum Kind {
    Null = 0,
    Text,
    List,
    Map,
    NoValue,
    Ref,
    Att,
    Call,
    Unknown,
}

fn fingerprint(write: impl Fn(&mut dyn Hasher)) -> u128 {
    static KEYS: OnceLock<RandomState> = OnceLock::new();
    let keys = KEYS.get_or_init(RandomState::new);
    let half = |domain: u8| {
        let mut hasher = keys.build_hasher();
        hasher.write_u8(domain);
        write(&mut hasher);
        hasher.finish()
    };
    (u128::from(half(0)) << 64) | u128::from(half(1))
}

fn write_text(hasher: &mut dyn Hasher, text: &str) {
    hasher.write_usize(text.len());
    hasher.write(text.as_bytes());
}

impl Val {
    pub fn text(text: &str) -> Val {
        Val::Text(text.into())
    }

    pub fn unknown(why: impl Into<Arc<str>>) -> Val {
        Val::Unknown(why.into())
    }

    pub fn list(items: Vec<Val>) -> Val {
        Val::List(Shared::of_items(Kind::List, "", items))
    }

    pub fn call(function: impl Into<String>, args: Vec<Val>) -> Val {
        let function = function.into();
        let args = Shared::of_items(Kind::Call, &function, args);
        Val::Call { function, args }
    }

    pub fn map(entries: BTreeMap<String, Val>) -> Val {
        let fingerprint = fingerprint(|hasher| {
            hasher.write_u8(Kind::Map as u8);
            hasher.write_usize(entries.len());
            for (key, value) in &entries {
                write_text(hasher, key);
                hasher.write_u128(value.fingerprint());
            }
        });
        Val::Map(Shared(Arc::new(Node {
            fingerprint,
            concrete: entries.values().all(Val::is_concrete),
            settled: entries.values().all(Val::is_settled),
            content: entries,
        })))
    }

    /// The fingerprint of the value's content: stored for a list, map or call, computed for the rest.
    pub fn fingerprint(&self) -> u128 {
        match self {
            Val::List(shared) | Val::Call { args: shared, .. } => shared.0.fingerprint,
            Val::Map(shared) => shared.0.fingerprint,
            Val::Null => fingerprint(|hasher| hasher.write_u8(Kind::Null as u8)),
            Val::NoValue => fingerprint(|hasher| hasher.write_u8(Kind::NoValue as u8)),
            Val::Text(text) => fingerprint(|hasher| {
                hasher.write_u8(Kind::Text as u8);
                write_text(hasher, text);
            }),
            Val::Unknown(why) => fingerprint(|hasher| {
                hasher.write_u8(Kind::Unknown as u8);
                write_text(hasher, why);
            }),
            Val::Ref { resource, fresh } => fingerprint(|hasher| {
                hasher.write_u8(Kind::Ref as u8);
                write_text(hasher, resource);
                hasher.write_u8(*fresh as u8);
            }),
            Val::Att {
                resource,
                attribute,
                fresh,
            } => fingerprint(|hasher| {
                hasher.write_u8(Kind::Att as u8);
                write_text(hasher, resource);
                write_text(hasher, attribute);
                hasher.write_u8(*fresh as u8);
            }),
        }
    }

    /// Whether the value is fully known, so that conditions over it can be decided.
    pub fn is_concrete(&self) -> bool {
        match self {
            Val::Null | Val::Text(_) => true,
            Val::List(items) => items.0.concrete,
            Val::Map(entries) => entries.0.concrete,
            Val::NoValue
            | Val::Ref { .. }
            | Val::Att { .. }
            | Val::Call { .. }
            | Val::Unknown(_) => false,
        }
    }

    /// Whether comparing the value can only say "same" (equal) or "differs": nothing in it is unknown or new.
    fn is_settled(&self) -> bool {
        match self {
            Val::Null | Val::Text(_) | Val::NoValue => true,
            Val::Ref { fresh, .. } | Val::Att { fresh, .. } => *fresh == Fresh::Same,
            Val::List(shared) | Val::Call { args: shared, .. } => shared.0.settled,
            Val::Map(shared) => shared.0.settled,
            Val::Unknown(_) => false,
        }
    }

    /// What building a value that holds this one costs: its text is read to fingerprint it.
    pub fn weight(&self) -> usize {
        match self {
            Val::Text(text) | Val::Unknown(text) => 1 + text.len() / 64,
            _ => 1,
        }
    }

    /// The resources whose new (or possibly new) id or attribute this value carries, with how new, each
    /// shared part visited once.
    pub fn fresh_references(&self, found: &mut Vec<(String, Fresh)>) {
        let mut visited = HashSet::new();
        let mut pending = vec![self];
        while let Some(value) = pending.pop() {
            if value.is_settled() {
                continue;
            }
            match value {
                Val::Ref { resource, fresh }
                | Val::Att {
                    resource, fresh, ..
                } if *fresh != Fresh::Same && !found.iter().any(|(f, _)| **f == **resource) => {
                    found.push((resource.to_string(), *fresh));
                }
                Val::List(items) | Val::Call { args: items, .. }
                    if visited.insert(items.0.fingerprint) =>
                {
                    pending.extend(items.iter().rev());
                }
                Val::Map(entries) if visited.insert(entries.0.fingerprint) => {
                    pending.extend(entries.values().rev());
                }
                _ => {}
            }
        }
    }
}

impl Shared<Vec<Val>> {
    fn of_items(kind: Kind, function: &str, items: Vec<Val>) -> Self {
        let fingerprint = fingerprint(|hasher| {
            hasher.write_u8(kind as u8);
            write_text(hasher, function);
            hasher.write_usize(items.len());
            for item in &items {
                hasher.write_u128(item.fingerprint());
            }
        });
        Shared(Arc::new(Node {
            fingerprint,
            concrete: items.iter().all(Val::is_concrete),
            settled: items.iter().all(Val::is_settled),
            content: items,
        }))
    }
}

impl PartialEq for Val {
    fn eq(&self, other: &Self) -> bool {
        use Val::*;
        match (self, other) {
            (Null, Null) | (NoValue, NoValue) => true,
            (Text(a), Text(b)) | (Unknown(a), Unknown(b)) => a == b,
            (
                Ref {
                    resource: a,
                    fresh: fa,
                },
                Ref {
                    resource: b,
                    fresh: fb,
                },
            ) => a == b && fa == fb,
            (
                Att {
                    resource: a,
                    attribute: x,
                    fresh: fa,
                },
                Att {
                    resource: b,
                    attribute: y,
                    fresh: fb,
                },
            ) => a == b && x == y && fa == fb,
            (List(a), List(b)) => a.0.fingerprint == b.0.fingerprint,
            (Map(a), Map(b)) => a.0.fingerprint == b.0.fingerprint,
            (
                Call {
                    function: f,
                    args: a,
                },
                Call {
                    function: g,
                    args: b,
                },
            ) => f == g && a.0.fingerprint == b.0.fingerprint,
            _ => false,
        }
    }
}

impl Eq for Val {}

/// How `before` compares with `after`, outside an analysis (in tests).
#[cfg(test)]
pub fn compare(before: &Val, after: &Val) -> Difference {
    Comparison::new(&Budget::unlimited()).compare(before, after)
}

/// Compares a value that may be absent on either side, outside an analysis (in tests).
#[cfg(test)]
pub fn compare_present(before: Option<&Val>, after: Option<&Val>) -> Difference {
    Comparison::new(&Budget::unlimited()).compare_present(before, after)
}

/// Comparisons of one resource's values: each pair of shared parts compared once, each step charged to the
/// analysis's budget. Out of budget, what is left "may differ", never "same".
pub struct Comparison<'b> {
    budget: &'b Budget,
    known: HashMap<(u128, u128), Difference>,
}

impl<'b> Comparison<'b> {
    pub fn new(budget: &'b Budget) -> Self {
        Self {
            budget,
            known: HashMap::new(),
        }
    }

    pub fn compare_present(&mut self, before: Option<&Val>, after: Option<&Val>) -> Difference {
        match (before, after) {
            (None, None) => Difference::Same,
            (Some(Val::Unknown(_)), None) | (None, Some(Val::Unknown(_))) => Difference::Maybe,
            (Some(_), None) | (None, Some(_)) => Difference::Differs,
            (Some(before), Some(after)) => self.compare(before, after),
        }
    }

    /// "Differs" only where the values cannot be equal; where either holds something only AWS knows in a
    /// shape rackfile cannot line up with the other (a custom resource's output against `Fn::GetAZs`), "may
    /// differ", never a certainty.
    pub fn compare(&mut self, before: &Val, after: &Val) -> Difference {
        use Val::*;
        if before.is_settled() && after.is_settled() && before == after {
            return Difference::Same;
        }
        if before.is_concrete() && after.is_concrete() {
            return Difference::Differs;
        }
        match (before, after) {
            (Unknown(_), _) | (_, Unknown(_)) => Difference::Maybe,
            (
                Ref {
                    resource: a,
                    fresh: fa,
                },
                Ref {
                    resource: b,
                    fresh: fb,
                },
            ) => {
                if a == b {
                    (*fa.max(fb)).into()
                } else {
                    // Two resources of a stack never share a physical id.
                    Difference::Differs
                }
            }
            (
                Att {
                    resource: a,
                    attribute: x,
                    fresh: fa,
                },
                Att {
                    resource: b,
                    attribute: y,
                    fresh: fb,
                },
            ) if a == b && x == y => (*fa.max(fb)).into(),
            (List(a), List(b)) if a.len() == b.len() => self.remembered(before, after, |this| {
                worst(a.iter().zip(b.iter()).map(|(a, b)| this.compare(a, b)))
            }),
            (Map(a), Map(b)) => self.remembered(before, after, |this| {
                worst(
                    a.keys()
                        .chain(b.keys().filter(|key| !a.contains_key(*key)))
                        .map(|key| this.compare_present(a.get(key), b.get(key))),
                )
            }),
            (
                Call {
                    function: f,
                    args: a,
                },
                Call {
                    function: g,
                    args: b,
                },
            ) if f == g && a.len() == b.len() => self.remembered(before, after, |this| {
                let parts: Vec<Difference> = a
                    .iter()
                    .zip(b.iter())
                    .map(|(a, b)| this.compare(a, b))
                    .collect();
                match f.as_str() {
                    // One part differing in the same place of the same shape: the text differs.
                    "concat" | "Fn::Base64" => worst(parts.into_iter()),
                    // Under the same condition, the value differs only if both branches do.
                    "Fn::If" => match parts.as_slice() {
                        [Difference::Same, then, otherwise] => {
                            if then == otherwise {
                                *then
                            } else {
                                Difference::Maybe
                            }
                        }
                        _ => worst(parts.into_iter()).min(Difference::Maybe),
                    },
                    // Other arguments may give the same value (`Fn::GetAZs ""` and `Fn::GetAZs us-east-1`,
                    // two SSM names of one AMI).
                    _ => worst(parts.into_iter()).min(Difference::Maybe),
                }
            }),
            // A new id differs from whatever was there.
            (Ref { fresh, .. } | Att { fresh, .. }, _)
            | (_, Ref { fresh, .. } | Att { fresh, .. })
                if *fresh == Fresh::New =>
            {
                Difference::Differs
            }
            // Something only AWS knows against another shape: it may be that very value.
            (Ref { .. } | Att { .. } | Call { .. } | NoValue, _)
            | (_, Ref { .. } | Att { .. } | Call { .. } | NoValue) => Difference::Maybe,
            // A text, a list and a map are never one another.
            _ => Difference::Differs,
        }
    }

    /// The comparison of two shared parts, made once however many times they are reached.
    fn remembered(
        &mut self,
        before: &Val,
        after: &Val,
        compare_parts: impl FnOnce(&mut Self) -> Difference,
    ) -> Difference {
        let key = (before.fingerprint(), after.fingerprint());
        if let Some(known) = self.known.get(&key) {
            return *known;
        }
        if !self.budget.charge(1) {
            return Difference::Maybe;
        }
        let difference = compare_parts(self);
        self.known.insert(key, difference);
        difference
    }
}

fn worst(parts: impl Iterator<Item = Difference>) -> Difference {
    parts.max().unwrap_or(Difference::Same)
}
