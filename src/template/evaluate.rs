//! A template's intrinsic functions and Conditions evaluated against one set of parameter values, far enough
//! to compare two evaluations of the same resource: before an update and after it.
//!
//! Nothing here needs AWS. What cannot be computed offline stays symbolic, as a value that is equal exactly
//! when its inputs are: a resource's physical id (`Ref`) or attribute (`Fn::GetAtt`), a function such as
//! `Fn::GetAZs` or `Fn::Base64` over its evaluated arguments, a condition over values only AWS knows. Two
//! symbolic values with the same inputs compare equal, so a change that reaches nothing is seen as such;
//! a value rackfile cannot know at all (`Unknown`) compares as "may differ", never as equal.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use serde_json::Value;

/// An evaluated template value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Val {
    Null,
    /// Text, numbers and booleans alike: CloudFormation compares and passes them as text.
    Text(String),
    List(Vec<Val>),
    Map(BTreeMap<String, Val>),
    /// `AWS::NoValue`: removes the key or item it is the value of.
    NoValue,
    /// A resource's physical id.
    Ref {
        resource: String,
        fresh: Fresh,
    },
    Att {
        resource: String,
        attribute: String,
        fresh: Fresh,
    },
    /// A function rackfile does not compute, over its evaluated arguments.
    Call {
        function: String,
        args: Vec<Val>,
    },
    /// What rackfile cannot know, and why.
    Unknown(String),
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

/// How `before` compares with `after`.
pub fn compare(before: &Val, after: &Val) -> Difference {
    use Val::*;
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
        ) if a == b => (*fa.max(fb)).into(),
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
        (List(a), List(b)) if a.len() == b.len() => {
            worst(a.iter().zip(b).map(|(a, b)| compare(a, b)))
        }
        (Map(a), Map(b)) => worst(
            a.keys()
                .chain(b.keys().filter(|key| !a.contains_key(*key)))
                .map(|key| compare_present(a.get(key), b.get(key))),
        ),
        (
            Call {
                function: f,
                args: a,
            },
            Call {
                function: g,
                args: b,
            },
        ) if f == g && a.len() == b.len() => worst(a.iter().zip(b).map(|(a, b)| compare(a, b))),
        (a, b) if a == b => Difference::Same,
        _ => Difference::Differs,
    }
}

/// Compares a value that may be absent on either side (a property set on one side only).
pub fn compare_present(before: Option<&Val>, after: Option<&Val>) -> Difference {
    match (before, after) {
        (None, None) => Difference::Same,
        (Some(Val::Unknown(_)), None) | (None, Some(Val::Unknown(_))) => Difference::Maybe,
        (Some(_), None) | (None, Some(_)) => Difference::Differs,
        (Some(before), Some(after)) => compare(before, after),
    }
}

fn worst(parts: impl Iterator<Item = Difference>) -> Difference {
    parts.max().unwrap_or(Difference::Same)
}

impl Val {
    /// Whether the value is fully known, so that conditions over it can be decided.
    fn is_concrete(&self) -> bool {
        match self {
            Val::Null | Val::Text(_) => true,
            Val::List(items) => items.iter().all(Val::is_concrete),
            Val::Map(entries) => entries.values().all(Val::is_concrete),
            Val::NoValue
            | Val::Ref { .. }
            | Val::Att { .. }
            | Val::Call { .. }
            | Val::Unknown(_) => false,
        }
    }

    /// The resources whose new (or possibly new) id or attribute this value carries.
    pub fn fresh_references(&self, found: &mut Vec<String>) {
        match self {
            Val::Ref { resource, fresh }
            | Val::Att {
                resource, fresh, ..
            } if *fresh != Fresh::Same && !found.contains(resource) => {
                found.push(resource.clone());
            }
            Val::List(items) | Val::Call { args: items, .. } => {
                items.iter().for_each(|item| item.fresh_references(found))
            }
            Val::Map(entries) => entries.values().for_each(|v| v.fresh_references(found)),
            _ => {}
        }
    }
}

/// A condition's value: known, or the evaluated expression it depends on (equal expressions on both sides
/// of an update mean the same truth, whatever it is).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Truth {
    True,
    False,
    Unknown(Val),
}

impl Truth {
    fn of(known: bool) -> Self {
        if known { Truth::True } else { Truth::False }
    }

    fn into_val(self) -> Val {
        match self {
            Truth::True => Val::Text("true".into()),
            Truth::False => Val::Text("false".into()),
            Truth::Unknown(expression) => expression,
        }
    }
}

/// The values AWS gives a stack's pseudo parameters: the same before and after an update.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pseudo {
    pub region: String,
    pub stack_name: String,
    pub account_id: String,
}

/// How the update treats a resource, as the evaluation of what refers to it needs to know.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Treatment {
    Replaced,
    MaybeReplaced,
    Modified,
}

/// Attributes that change whenever their resource is updated in place, so that what reads them changes too.
const ATTRIBUTES_NEW_ON_EVERY_UPDATE: &[(&str, &str)] =
    &[("AWS::EC2::LaunchTemplate", "LatestVersionNumber")];

/// One template evaluated with one set of parameter values.
pub struct Side<'a> {
    template: &'a Value,
    parameters: BTreeMap<String, Val>,
    pseudo: &'a Pseudo,
    treatment: HashMap<String, Treatment>,
    conditions: RefCell<HashMap<String, Truth>>,
    evaluating: RefCell<HashSet<String>>,
}

impl<'a> Side<'a> {
    /// `values` are the stack's parameter values; a parameter without one takes its declared default; a
    /// `hidden` one is not known.
    pub fn new(
        template: &'a Value,
        values: &BTreeMap<String, String>,
        hidden: &BTreeSet<String>,
        pseudo: &'a Pseudo,
        treatment: HashMap<String, Treatment>,
    ) -> Self {
        let mut parameters = BTreeMap::new();
        if let Some(declared) = template.get("Parameters").and_then(Value::as_object) {
            for (name, declaration) in declared {
                let kind = declaration
                    .get("Type")
                    .and_then(Value::as_str)
                    .unwrap_or("String");
                let value = values.get(name).cloned().or_else(|| {
                    declaration.get("Default").map(|default| match default {
                        Value::String(text) => text.clone(),
                        other => other.to_string(),
                    })
                });
                let value = match value {
                    _ if hidden.contains(name) => {
                        Val::Unknown(format!("{name} is NoEcho: its value is not shown"))
                    }
                    // Kept as it is: whatever it is, it is the same on both sides of the update.
                    None => Val::Call {
                        function: "parameter".into(),
                        args: vec![Val::Text(name.clone())],
                    },
                    // Resolved from Parameter Store at each update: the same name stands for the same value
                    // as far as rackfile can know.
                    Some(name) if kind.starts_with("AWS::SSM::Parameter::Value<") => Val::Call {
                        function: "ssm".into(),
                        args: vec![Val::Text(name)],
                    },
                    Some(list) if kind == "CommaDelimitedList" || kind.starts_with("List<") => {
                        Val::List(
                            list.split(',')
                                .map(|item| Val::Text(item.trim().to_string()))
                                .collect(),
                        )
                    }
                    Some(text) => Val::Text(text),
                };
                parameters.insert(name.clone(), value);
            }
        }
        Self {
            template,
            parameters,
            pseudo,
            treatment,
            conditions: RefCell::default(),
            evaluating: RefCell::default(),
        }
    }

    pub fn resources(&self) -> impl Iterator<Item = (&'a String, &'a Value)> + use<'a> {
        self.template
            .get("Resources")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
    }

    pub fn resource(&self, logical_id: &str) -> Option<&'a Value> {
        self.template.get("Resources")?.get(logical_id)
    }

    pub fn resource_type(&self, logical_id: &str) -> Option<&'a str> {
        self.resource(logical_id)?.get("Type")?.as_str()
    }

    /// Whether a resource is in the stack: its Condition, if it has one.
    pub fn exists(&self, logical_id: &str) -> Truth {
        match self.resource(logical_id) {
            None => Truth::False,
            Some(resource) => match resource.get("Condition").and_then(Value::as_str) {
                None => Truth::True,
                Some(condition) => self.condition(condition),
            },
        }
    }

    /// A named condition of the template.
    pub fn condition(&self, name: &str) -> Truth {
        if let Some(known) = self.conditions.borrow().get(name) {
            return known.clone();
        }
        // A condition that refers to itself is invalid; CloudFormation refuses such a template.
        if !self.evaluating.borrow_mut().insert(name.to_string()) {
            return Truth::Unknown(Val::Unknown(format!("condition {name} refers to itself")));
        }
        let truth = match self.template.get("Conditions").and_then(|c| c.get(name)) {
            Some(expression) => self.truth(expression),
            None => Truth::Unknown(Val::Unknown(format!("no condition named {name}"))),
        };
        self.evaluating.borrow_mut().remove(name);
        self.conditions
            .borrow_mut()
            .insert(name.to_string(), truth.clone());
        truth
    }

    fn truth(&self, expression: &Value) -> Truth {
        let Some((function, argument)) = single_entry(expression) else {
            return Truth::Unknown(Val::Unknown("not a condition".into()));
        };
        let arguments = argument.as_array().map(Vec::as_slice).unwrap_or_default();
        match function {
            "Condition" => match argument.as_str() {
                Some(name) => self.condition(name),
                None => Truth::Unknown(Val::Unknown("a Condition names a condition".into())),
            },
            "Fn::Equals" if arguments.len() == 2 => {
                let (a, b) = (self.evaluate(&arguments[0]), self.evaluate(&arguments[1]));
                if a.is_concrete() && b.is_concrete() {
                    Truth::of(a == b)
                } else {
                    Truth::Unknown(Val::Call {
                        function: function.into(),
                        args: vec![a, b],
                    })
                }
            }
            "Fn::And" | "Fn::Or" => {
                let decisive = if function == "Fn::And" {
                    Truth::False
                } else {
                    Truth::True
                };
                let mut undecided = Vec::new();
                for part in arguments {
                    match self.truth(part) {
                        truth if truth == decisive => return decisive,
                        Truth::Unknown(expression) => undecided.push(expression),
                        _ => {}
                    }
                }
                if undecided.is_empty() {
                    if decisive == Truth::False {
                        Truth::True
                    } else {
                        Truth::False
                    }
                } else {
                    Truth::Unknown(Val::Call {
                        function: function.into(),
                        args: undecided,
                    })
                }
            }
            "Fn::Not" if arguments.len() == 1 => match self.truth(&arguments[0]) {
                Truth::True => Truth::False,
                Truth::False => Truth::True,
                Truth::Unknown(expression) => Truth::Unknown(Val::Call {
                    function: function.into(),
                    args: vec![expression],
                }),
            },
            _ => Truth::Unknown(Val::Unknown(format!("{function} is not a condition"))),
        }
    }

    /// Evaluates a template value: a resource's properties, an update policy, a condition's operand.
    pub fn evaluate(&self, value: &Value) -> Val {
        match value {
            Value::Null => Val::Null,
            Value::Bool(b) => Val::Text(b.to_string()),
            Value::Number(n) => Val::Text(n.to_string()),
            Value::String(text) => Val::Text(text.clone()),
            Value::Array(items) => Val::List(
                items
                    .iter()
                    .map(|item| self.evaluate(item))
                    .filter(|item| *item != Val::NoValue)
                    .collect(),
            ),
            Value::Object(entries) => {
                if let Some((function, argument)) = single_entry(value)
                    && (function == "Ref"
                        || function.starts_with("Fn::")
                        || function == "Condition")
                {
                    return self.intrinsic(function, argument);
                }
                Val::Map(
                    entries
                        .iter()
                        .map(|(key, value)| (key.clone(), self.evaluate(value)))
                        .filter(|(_, value)| *value != Val::NoValue)
                        .collect(),
                )
            }
        }
    }

    fn intrinsic(&self, function: &str, argument: &Value) -> Val {
        let arguments = argument.as_array().map(Vec::as_slice).unwrap_or_default();
        match function {
            "Ref" => match argument.as_str() {
                Some(name) => self.reference(name),
                None => Val::Unknown("Ref of something other than a name".into()),
            },
            "Condition" => match argument.as_str() {
                Some(name) => self.condition(name).into_val(),
                None => Val::Unknown("a Condition names a condition".into()),
            },
            "Fn::GetAtt" => {
                let (resource, attribute) = match argument {
                    Value::String(text) => match text.split_once('.') {
                        Some((resource, attribute)) => {
                            (resource.to_string(), Val::Text(attribute.into()))
                        }
                        None => return Val::Unknown(format!("Fn::GetAtt {text}")),
                    },
                    Value::Array(parts) if parts.len() == 2 => match parts[0].as_str() {
                        Some(resource) => (resource.to_string(), self.evaluate(&parts[1])),
                        None => return Val::Unknown("Fn::GetAtt of an unnamed resource".into()),
                    },
                    _ => {
                        return Val::Unknown("Fn::GetAtt takes a resource and an attribute".into());
                    }
                };
                match attribute {
                    Val::Text(attribute) => self.attribute(&resource, &attribute),
                    _ => Val::Unknown(format!("an attribute of {resource} chosen at deploy time")),
                }
            }
            "Fn::If" if arguments.len() == 3 => {
                let Some(condition) = arguments[0].as_str() else {
                    return Val::Unknown("Fn::If names a condition".into());
                };
                match self.condition(condition) {
                    Truth::True => self.evaluate(&arguments[1]),
                    Truth::False => self.evaluate(&arguments[2]),
                    Truth::Unknown(expression) => {
                        let (then, otherwise) =
                            (self.evaluate(&arguments[1]), self.evaluate(&arguments[2]));
                        if then == otherwise {
                            then
                        } else {
                            Val::Call {
                                function: function.into(),
                                args: vec![expression, then, otherwise],
                            }
                        }
                    }
                }
            }
            "Fn::Equals" | "Fn::And" | "Fn::Or" | "Fn::Not" => {
                let mut expression = serde_json::Map::new();
                expression.insert(function.to_string(), argument.clone());
                self.truth(&Value::Object(expression)).into_val()
            }
            "Fn::Sub" => self.substitute(argument),
            "Fn::Join" if arguments.len() == 2 => {
                let delimiter = self.evaluate(&arguments[0]);
                match (delimiter, self.evaluate(&arguments[1])) {
                    (Val::Text(delimiter), Val::List(items)) => {
                        let mut parts = Vec::new();
                        for (index, item) in items.into_iter().enumerate() {
                            if index > 0 {
                                parts.push(Val::Text(delimiter.clone()));
                            }
                            parts.push(item);
                        }
                        concatenation(parts)
                    }
                    (delimiter, list) => Val::Call {
                        function: function.into(),
                        args: vec![delimiter, list],
                    },
                }
            }
            "Fn::Select" if arguments.len() == 2 => {
                match (self.evaluate(&arguments[0]), self.evaluate(&arguments[1])) {
                    (Val::Text(index), Val::List(items)) => match index.parse::<usize>() {
                        Ok(index) if index < items.len() => items[index].clone(),
                        _ => Val::Unknown(format!("Fn::Select of item {index} of {}", items.len())),
                    },
                    (index, list) => Val::Call {
                        function: function.into(),
                        args: vec![index, list],
                    },
                }
            }
            "Fn::Split" if arguments.len() == 2 => {
                match (self.evaluate(&arguments[0]), self.evaluate(&arguments[1])) {
                    (Val::Text(delimiter), Val::Text(text)) if !delimiter.is_empty() => Val::List(
                        text.split(delimiter.as_str())
                            .map(|part| Val::Text(part.to_string()))
                            .collect(),
                    ),
                    (delimiter, text) => Val::Call {
                        function: function.into(),
                        args: vec![delimiter, text],
                    },
                }
            }
            "Fn::FindInMap" if arguments.len() >= 3 => {
                let keys: Vec<Val> = arguments[..3].iter().map(|a| self.evaluate(a)).collect();
                match (&keys[0], &keys[1], &keys[2]) {
                    (Val::Text(map), Val::Text(top), Val::Text(second)) => {
                        let found = self
                            .template
                            .get("Mappings")
                            .and_then(|m| m.get(map))
                            .and_then(|m| m.get(top))
                            .and_then(|m| m.get(second));
                        match (found, arguments.get(3)) {
                            (Some(found), _) => self.evaluate(found),
                            // AWS::LanguageExtensions' DefaultValue.
                            (None, Some(default)) => match default.get("DefaultValue") {
                                Some(default) => self.evaluate(default),
                                None => {
                                    Val::Unknown(format!("no {map}.{top}.{second} in Mappings"))
                                }
                            },
                            (None, None) => {
                                Val::Unknown(format!("no {map}.{top}.{second} in Mappings"))
                            }
                        }
                    }
                    _ => Val::Call {
                        function: function.into(),
                        args: keys,
                    },
                }
            }
            // Deterministic in their arguments, but only AWS computes them (a macro's Fn::Transform too, as
            // far as the same template and values go).
            _ => Val::Call {
                function: function.into(),
                args: match self.evaluate(argument) {
                    Val::List(items) => items,
                    single => vec![single],
                },
            },
        }
    }

    /// `Ref name`: a parameter, a pseudo parameter or a resource.
    fn reference(&self, name: &str) -> Val {
        if let Some(value) = self.parameters.get(name) {
            return value.clone();
        }
        let partition = match &self.pseudo.region {
            region if region.starts_with("cn-") => ("aws-cn", "amazonaws.com.cn"),
            region if region.starts_with("us-gov-") => ("aws-us-gov", "amazonaws.com"),
            _ => ("aws", "amazonaws.com"),
        };
        match name {
            "AWS::NoValue" => Val::NoValue,
            "AWS::Region" => Val::Text(self.pseudo.region.clone()),
            "AWS::StackName" => Val::Text(self.pseudo.stack_name.clone()),
            "AWS::AccountId" => Val::Text(self.pseudo.account_id.clone()),
            "AWS::Partition" => Val::Text(partition.0.into()),
            "AWS::URLSuffix" => Val::Text(partition.1.into()),
            "AWS::StackId" | "AWS::NotificationARNs" => Val::Call {
                function: name.into(),
                args: Vec::new(),
            },
            resource if self.resource(resource).is_some() => Val::Ref {
                resource: resource.into(),
                fresh: match self.treatment.get(resource) {
                    Some(Treatment::Replaced) => Fresh::New,
                    Some(Treatment::MaybeReplaced) => Fresh::Maybe,
                    Some(Treatment::Modified) | None => Fresh::Same,
                },
            },
            other => Val::Unknown(format!("Ref {other}: no such parameter or resource")),
        }
    }

    /// `Fn::GetAtt resource.attribute`.
    fn attribute(&self, resource: &str, attribute: &str) -> Val {
        let fresh = match self.treatment.get(resource) {
            Some(Treatment::Replaced) => Fresh::New,
            Some(Treatment::MaybeReplaced) => Fresh::Maybe,
            Some(Treatment::Modified) => {
                let kind = self.resource_type(resource).unwrap_or_default();
                if ATTRIBUTES_NEW_ON_EVERY_UPDATE.contains(&(kind, attribute)) {
                    Fresh::New
                } else {
                    Fresh::Same
                }
            }
            None => Fresh::Same,
        };
        Val::Att {
            resource: resource.into(),
            attribute: attribute.into(),
            fresh,
        }
    }

    /// `Fn::Sub`: `${Name}`, `${Resource.Attribute}` and `${!Literal}`, with or without a variable map.
    fn substitute(&self, argument: &Value) -> Val {
        let (text, variables) = match argument {
            Value::String(text) => (text.as_str(), BTreeMap::new()),
            Value::Array(parts) if parts.len() == 2 => match (&parts[0], parts[1].as_object()) {
                (Value::String(text), Some(variables)) => (
                    text.as_str(),
                    variables
                        .iter()
                        .map(|(name, value)| (name.clone(), self.evaluate(value)))
                        .collect(),
                ),
                _ => return Val::Unknown("Fn::Sub takes a text and a map".into()),
            },
            _ => return Val::Unknown("Fn::Sub takes a text".into()),
        };
        let mut parts = Vec::new();
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            parts.push(Val::Text(rest[..start].to_string()));
            let after = &rest[start + 2..];
            let Some(end) = after.find('}') else {
                parts.push(Val::Text(rest[start..].to_string()));
                rest = "";
                break;
            };
            let name = &after[..end];
            parts.push(if let Some(literal) = name.strip_prefix('!') {
                Val::Text(format!("${{{literal}}}"))
            } else if let Some(value) = variables.get(name) {
                value.clone()
            } else if let Some((resource, attribute)) = name.split_once('.')
                && self.resource(resource).is_some()
            {
                self.attribute(resource, attribute)
            } else {
                self.reference(name)
            });
            rest = &after[end + 1..];
        }
        parts.push(Val::Text(rest.to_string()));
        concatenation(parts)
    }
}

/// Parts joined as text: plain text when every part is known, else the parts, adjacent texts merged.
fn concatenation(parts: Vec<Val>) -> Val {
    let mut merged: Vec<Val> = Vec::new();
    for part in parts {
        match (merged.last_mut(), part) {
            (_, Val::Text(text)) if text.is_empty() => {}
            (Some(Val::Text(previous)), Val::Text(text)) => previous.push_str(&text),
            (_, part) => merged.push(part),
        }
    }
    match merged.as_slice() {
        [] => Val::Text(String::new()),
        [Val::Text(_)] => merged.pop().unwrap_or(Val::Null),
        _ => Val::Call {
            function: "concat".into(),
            args: merged,
        },
    }
}

/// `{"Fn::X": argument}`: an object of exactly one entry.
fn single_entry(value: &Value) -> Option<(&str, &Value)> {
    let object = value.as_object()?;
    if object.len() != 1 {
        return None;
    }
    object
        .iter()
        .next()
        .map(|(key, value)| (key.as_str(), value))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    use crate::template::test_support::{pseudo, values};

    fn template() -> Value {
        json!({
            "Parameters": {
                "Private": {"Type": "String", "Default": "No"},
                "Zones": {"Type": "CommaDelimitedList", "Default": "a,b"},
                "Secret": {"Type": "String", "NoEcho": true},
            },
            "Mappings": {"Region": {"us-east-1": {"EFS": "Yes"}}},
            "Conditions": {
                "Private": {"Fn::Equals": [{"Ref": "Private"}, "Yes"]},
                "Public": {"Fn::Not": [{"Condition": "Private"}]},
                "EFS": {"Fn::Equals": [{"Fn::FindInMap": ["Region", {"Ref": "AWS::Region"}, "EFS"]}, "Yes"]},
                "Zoned": {"Fn::Equals": [{"Fn::Select": [0, {"Fn::GetAZs": ""}]}, "x"]},
                "Loop": {"Condition": "Loop"},
            },
            "Resources": {"Vpc": {"Type": "AWS::EC2::VPC"}},
        })
    }

    #[test]
    fn conditions_follow_parameters_mappings_and_each_other() {
        let template = template();
        let pseudo = pseudo();
        let side = Side::new(
            &template,
            &values(&[("Private", "Yes")]),
            &BTreeSet::new(),
            &pseudo,
            HashMap::new(),
        );
        assert_eq!(side.condition("Private"), Truth::True);
        assert_eq!(side.condition("Public"), Truth::False);
        assert_eq!(side.condition("EFS"), Truth::True);
        assert!(matches!(side.condition("Zoned"), Truth::Unknown(_)));
        assert!(matches!(side.condition("Loop"), Truth::Unknown(_)));
        assert!(matches!(side.condition("Nope"), Truth::Unknown(_)));
    }

    #[test]
    fn intrinsics_evaluate_to_text_where_they_can() {
        let template = template();
        let pseudo = pseudo();
        let side = Side::new(
            &template,
            &values(&[]),
            &BTreeSet::new(),
            &pseudo,
            HashMap::new(),
        );
        let value = side.evaluate(&json!({
            "Sub": {"Fn::Sub": "${AWS::StackName}-${Private}-${!Literal}"},
            "Join": {"Fn::Join": ["-", {"Ref": "Zones"}]},
            "Select": {"Fn::Select": ["1", {"Fn::Split": [",", "x,y"]}]},
            "If": {"Fn::If": ["Private", "a", {"Ref": "AWS::NoValue"}]},
            "Else": {"Fn::If": ["Public", 1, 2]},
            "Vpc": {"Fn::Sub": "vpc ${Vpc} ${Vpc.CidrBlock}"},
            "Missing": {"Ref": "Secret"},
            "Odd": {"Fn::Transform": {}},
        }));
        let Val::Map(entries) = value else {
            panic!("a map")
        };
        assert_eq!(entries["Sub"], Val::Text("rack-No-${Literal}".into()));
        assert_eq!(entries["Join"], Val::Text("a-b".into()));
        assert_eq!(entries["Select"], Val::Text("y".into()));
        assert!(!entries.contains_key("If"), "AWS::NoValue removes the key");
        assert_eq!(entries["Else"], Val::Text("1".into()));
        assert!(
            matches!(&entries["Vpc"], Val::Call { function, args } if function == "concat" && args.len() == 4)
        );
        assert!(
            matches!(&entries["Missing"], Val::Call { function, .. } if function == "parameter")
        );
        assert!(
            matches!(&entries["Odd"], Val::Call { function, .. } if function == "Fn::Transform")
        );
    }

    #[test]
    fn comparisons_know_new_ids_symbols_and_unknowns() {
        let template = template();
        let pseudo = pseudo();
        let before = Side::new(
            &template,
            &values(&[]),
            &BTreeSet::new(),
            &pseudo,
            HashMap::new(),
        );
        let replaced = Side::new(
            &template,
            &values(&[]),
            &BTreeSet::new(),
            &pseudo,
            HashMap::from([("Vpc".to_string(), Treatment::Replaced)]),
        );
        let vpc = json!({"Fn::Sub": "${Vpc}"});
        assert_eq!(
            compare(&before.evaluate(&vpc), &before.evaluate(&vpc)),
            Difference::Same
        );
        assert_eq!(
            compare(&before.evaluate(&vpc), &replaced.evaluate(&vpc)),
            Difference::Differs
        );
        let zones = json!({"Fn::GetAZs": ""});
        assert_eq!(
            compare(&before.evaluate(&zones), &replaced.evaluate(&zones)),
            Difference::Same
        );
        let unknown = Val::Unknown("secret".into());
        assert_eq!(compare(&unknown, &unknown), Difference::Maybe);
        assert_eq!(
            compare_present(None, Some(&Val::Text("x".into()))),
            Difference::Differs
        );
    }
}
