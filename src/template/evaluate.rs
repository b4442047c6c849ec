//! A template's intrinsic functions and Conditions evaluated against one set of parameter values, far enough
//! to compare two evaluations of the same resource: before an update and after it.
//!
//! Nothing here needs AWS. What cannot be computed offline stays symbolic, as a value that is equal exactly
//! when its inputs are: a resource's physical id (`Ref`) or attribute (`Fn::GetAtt`), a function such as
//! `Fn::GetAZs` or `Fn::Base64` over its evaluated arguments, a condition over values only AWS knows. Two
//! symbolic values with the same inputs compare equal, so a change that reaches nothing is seen as such;
//! a value rackfile cannot know at all (`Unknown`) compares as "may differ", never as equal.
//!
//! Each condition is evaluated once per side, and what it evaluates to is shared by every use (see
//! `symbolic`); every step is charged to the analysis's budget, and once it is spent what is left to
//! evaluate is `Unknown`.

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::rc::Rc;

use serde_json::Value;

use super::create_only::schema_of;
pub use super::symbolic::{Comparison, Difference, Fresh, Val};
#[cfg(test)]
pub use super::symbolic::{compare, compare_present};
use super::work_budget::Budget;

/// What a value the budget left unevaluated is.
pub const TOO_COMPLEX: &str = "too complex to analyse";

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
            Truth::True => Val::text("true"),
            Truth::False => Val::text("false"),
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

/// How the update treats a resource, as the evaluation of what refers to it needs to know. Ordered: a
/// resource's treatment only grows as the analysis learns more.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Treatment {
    Modified,
    MaybeReplaced,
    Replaced,
}

/// Attributes that change whenever their resource is updated in place, so that what reads them changes too.
const ATTRIBUTES_NEW_ON_EVERY_UPDATE: &[(&str, &str)] =
    &[("AWS::EC2::LaunchTemplate", "LatestVersionNumber")];

/// Separates an SSM-typed parameter's SSM name from what plan found it resolves to, in the parameter's value
/// as handed to the evaluation (`resolved_ssm`): a control character no parameter value holds.
const RESOLVED_SEPARATOR: char = '\u{1f}';

/// An SSM-typed parameter's value for the evaluation of one side of an update: its SSM `name` and what it
/// resolves to there (`Ok`), or why that is not known (`Err`): whatever the value reaches may change then.
pub fn resolved_ssm(name: &str, resolved: Result<&str, &str>) -> String {
    match resolved {
        Ok(value) => format!("{name}{RESOLVED_SEPARATOR}={value}"),
        Err(why) => format!("{name}{RESOLVED_SEPARATOR}?{why}"),
    }
}

/// What an SSM-typed parameter's value given to the evaluation says.
enum SsmResolution<'a> {
    /// Only the name: nothing is known of the value but that the same name resolves alike on both sides.
    Name(&'a str),
    Known(&'a str),
    Unknown(&'a str),
}

impl<'a> SsmResolution<'a> {
    fn of(value: &'a str) -> Self {
        match value.split_once(RESOLVED_SEPARATOR) {
            None => SsmResolution::Name(value),
            Some((_, rest)) => match rest.split_at_checked(1) {
                Some(("=", resolved)) => SsmResolution::Known(resolved),
                Some((_, why)) => SsmResolution::Unknown(why),
                None => SsmResolution::Unknown("its value is not known"),
            },
        }
    }
}

/// The first dynamic reference in `text` that CloudFormation may resolve to another value at the next
/// update: `{{resolve:ssm:NAME}}` and `{{resolve:ssm-secure:NAME}}` without a version, and
/// `{{resolve:secretsmanager:...}}` without a version id (a version stage such as AWSCURRENT moves). A
/// pinned version (`{{resolve:ssm:NAME:3}}`) is the same value at every update.
fn unstable_dynamic_reference(text: &str) -> Option<&str> {
    let mut rest = text;
    while let Some(start) = rest.find("{{resolve:") {
        let from = &rest[start..];
        let end = from.find("}}")?;
        let reference = &from[..end + 2];
        let inner = &from["{{resolve:".len()..end];
        let stable = match inner.split_once(':') {
            Some(("ssm" | "ssm-secure", name)) => {
                name.rsplit_once(':').is_some_and(|(_, version)| {
                    !version.is_empty() && version.bytes().all(|b| b.is_ascii_digit())
                })
            }
            // secret-id:SecretString:json-key:version-stage:version-id; a version id is a UUID.
            Some(("secretsmanager", reference)) => reference
                .rsplit_once(':')
                .is_some_and(|(_, id)| id.len() == 36 && id.matches('-').count() == 4),
            // A service rackfile does not know: assume the worst.
            _ => false,
        };
        if !stable {
            return Some(reference);
        }
        rest = &from[end + 2..];
    }
    None
}

/// One template evaluated with one set of parameter values.
pub struct Side<'a> {
    template: &'a Value,
    parameters: BTreeMap<String, Val>,
    pseudo: &'a Pseudo,
    treatment: RefCell<HashMap<String, Treatment>>,
    conditions: RefCell<HashMap<String, Truth>>,
    evaluating: RefCell<HashSet<String>>,
    /// How deep inside a named condition the evaluation is: a condition is evaluated once, before any
    /// resource's treatment is known, so it must not read one (and CloudFormation refuses a condition that
    /// refers to a resource).
    in_condition: Cell<usize>,
    /// The Condition of the resource being evaluated: true wherever its values are read, since
    /// CloudFormation creates the resource only then.
    own_condition: Cell<Option<&'a str>>,
    budget: Rc<Budget>,
}

impl<'a> Side<'a> {
    /// `values` are the stack's parameter values; a parameter without one takes its declared default; a
    /// `hidden` one is not known. Outside an analysis (in tests): no budget.
    #[cfg(test)]
    pub fn new(
        template: &'a Value,
        values: &BTreeMap<String, String>,
        hidden: &BTreeSet<String>,
        pseudo: &'a Pseudo,
        treatment: HashMap<String, Treatment>,
    ) -> Self {
        let side = Self::within(
            template,
            values,
            hidden,
            pseudo,
            Rc::new(Budget::unlimited()),
        );
        side.treatment.replace(treatment);
        side
    }

    /// A side evaluated on its own (a preflight check, a time budget), bounded as an analysis is.
    pub fn bounded(
        template: &'a Value,
        values: &BTreeMap<String, String>,
        hidden: &BTreeSet<String>,
        pseudo: &'a Pseudo,
    ) -> Self {
        Self::within(
            template,
            values,
            hidden,
            pseudo,
            Rc::new(Budget::new(super::work_budget::WORK_BUDGET)),
        )
    }

    /// A side of an analysis whose work is charged to `budget`, with no resource treated yet.
    pub fn within(
        template: &'a Value,
        values: &BTreeMap<String, String>,
        hidden: &BTreeSet<String>,
        pseudo: &'a Pseudo,
        budget: Rc<Budget>,
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
                budget.charge(1 + value.as_ref().map_or(0, String::len) / 64);
                let value = match value {
                    _ if hidden.contains(name) => {
                        Val::unknown(format!("{name} is NoEcho: its value is not shown"))
                    }
                    // Kept as it is: whatever it is, it is the same on both sides of the update.
                    None => Val::call("parameter", vec![Val::text(name)]),
                    // Resolved from Parameter Store at each update: what plan found it resolves to on this
                    // side, when plan says (`resolved_ssm`); else the same name stands for the same value.
                    Some(value) if kind.starts_with("AWS::SSM::Parameter::Value<") => {
                        match SsmResolution::of(&value) {
                            SsmResolution::Name(name) => Val::call("ssm", vec![Val::text(name)]),
                            SsmResolution::Known(resolved) if kind.contains("List<") => {
                                Val::list(resolved.split(',').map(Val::text).collect())
                            }
                            SsmResolution::Known(resolved) => Val::text(resolved),
                            SsmResolution::Unknown(why) => Val::unknown(format!("{name}: {why}")),
                        }
                    }
                    Some(list) if kind == "CommaDelimitedList" || kind.starts_with("List<") => {
                        let items: Vec<Val> =
                            list.split(',').map(|item| Val::text(item.trim())).collect();
                        budget.charge(items.len());
                        Val::list(items)
                    }
                    Some(text) => Val::text(&text),
                };
                parameters.insert(name.clone(), value);
            }
        }
        Self {
            template,
            parameters,
            pseudo,
            treatment: RefCell::default(),
            conditions: RefCell::default(),
            evaluating: RefCell::default(),
            in_condition: Cell::new(0),
            own_condition: Cell::new(None),
            budget,
        }
    }

    /// How the update treats a resource, as learnt: what refers to it is evaluated with it from now on.
    pub fn treat(&self, logical_id: &str, treatment: Treatment) {
        self.treatment
            .borrow_mut()
            .insert(logical_id.to_string(), treatment);
    }

    /// A comparison charged to this side's budget.
    pub fn comparison(&self) -> Comparison<'_> {
        Comparison::new(&self.budget)
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

    /// A named condition of the template, evaluated once and then shared.
    pub fn condition(&self, name: &str) -> Truth {
        if let Some(known) = self.conditions.borrow().get(name) {
            return known.clone();
        }
        // A condition that refers to itself is invalid; CloudFormation refuses such a template.
        if !self.evaluating.borrow_mut().insert(name.to_string()) {
            return Truth::Unknown(Val::unknown(format!("condition {name} refers to itself")));
        }
        self.in_condition.set(self.in_condition.get() + 1);
        let truth = match self.template.get("Conditions").and_then(|c| c.get(name)) {
            Some(expression) => self.truth(expression),
            None => Truth::Unknown(Val::unknown(format!("no condition named {name}"))),
        };
        self.in_condition.set(self.in_condition.get() - 1);
        self.evaluating.borrow_mut().remove(name);
        self.conditions
            .borrow_mut()
            .insert(name.to_string(), truth.clone());
        truth
    }

    fn truth(&self, expression: &Value) -> Truth {
        if !self.budget.charge(1) {
            return Truth::Unknown(Val::unknown(TOO_COMPLEX));
        }
        let Some((function, argument)) = single_entry(expression) else {
            return Truth::Unknown(Val::unknown("not a condition"));
        };
        let arguments = argument.as_array().map(Vec::as_slice).unwrap_or_default();
        match function {
            "Condition" => match argument.as_str() {
                Some(name) => self.condition(name),
                None => Truth::Unknown(Val::unknown("a Condition names a condition")),
            },
            "Fn::Equals" if arguments.len() == 2 => {
                let (a, b) = (self.evaluate(&arguments[0]), self.evaluate(&arguments[1]));
                if a.is_concrete() && b.is_concrete() {
                    Truth::of(a == b)
                } else {
                    Truth::Unknown(self.call(function, vec![a, b]))
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
                    Truth::Unknown(self.call(function, undecided))
                }
            }
            "Fn::Not" if arguments.len() == 1 => match self.truth(&arguments[0]) {
                Truth::True => Truth::False,
                Truth::False => Truth::True,
                Truth::Unknown(expression) => Truth::Unknown(self.call(function, vec![expression])),
            },
            _ => Truth::Unknown(Val::unknown(format!("{function} is not a condition"))),
        }
    }

    /// Evaluates a value of one resource (its properties, its update policy): an `Fn::If` on the resource's
    /// own Condition takes its first branch, as it does in every stack that has the resource.
    pub fn evaluate_in(&self, logical_id: &str, value: &Value) -> Val {
        let own = self
            .resource(logical_id)
            .and_then(|resource| resource.get("Condition"))
            .and_then(Value::as_str);
        let outer = self.own_condition.replace(own);
        let evaluated = self.evaluate(value);
        self.own_condition.set(outer);
        evaluated
    }

    /// Evaluates a template value: a resource's properties, an update policy, a condition's operand.
    pub fn evaluate(&self, value: &Value) -> Val {
        if !self.budget.charge(1) {
            return Val::unknown(TOO_COMPLEX);
        }
        match value {
            Value::Null => Val::Null,
            Value::Bool(b) => Val::text(if *b { "true" } else { "false" }),
            Value::Number(n) => Val::text(&n.to_string()),
            Value::String(text) => self.text(text),
            Value::Array(items) => {
                let items: Vec<Val> = items
                    .iter()
                    .map(|item| self.evaluate(item))
                    .filter(|item| !matches!(item, Val::NoValue))
                    .collect();
                self.list(items)
            }
            Value::Object(entries) => {
                if let Some((function, argument)) = single_entry(value)
                    && (function == "Ref"
                        || function.starts_with("Fn::")
                        || function == "Condition")
                {
                    return self.intrinsic(function, argument);
                }
                let entries: BTreeMap<String, Val> = entries
                    .iter()
                    .map(|(key, value)| (key.clone(), self.evaluate(value)))
                    .filter(|(_, value)| !matches!(value, Val::NoValue))
                    .collect();
                self.budget.charge(
                    entries
                        .iter()
                        .map(|(key, value)| value.weight() + key.len() / 64)
                        .sum(),
                );
                Val::map(entries)
            }
        }
    }

    fn text(&self, text: &str) -> Val {
        self.budget.charge(text.len() / 64);
        match unstable_dynamic_reference(text) {
            // CloudFormation resolves it again at every update: it may be another value now.
            Some(reference) => Val::unknown(format!(
                "{reference} is resolved again at every update, to whatever it holds then"
            )),
            None => Val::text(text),
        }
    }

    fn list(&self, items: Vec<Val>) -> Val {
        self.budget.charge(items.iter().map(Val::weight).sum());
        Val::list(items)
    }

    fn call(&self, function: &str, args: Vec<Val>) -> Val {
        self.budget.charge(args.iter().map(Val::weight).sum());
        Val::call(function, args)
    }

    fn intrinsic(&self, function: &str, argument: &Value) -> Val {
        let arguments = argument.as_array().map(Vec::as_slice).unwrap_or_default();
        match function {
            "Ref" => match argument.as_str() {
                Some(name) => self.reference(name),
                None => Val::unknown("Ref of something other than a name"),
            },
            "Condition" => match argument.as_str() {
                Some(name) => self.condition(name).into_val(),
                None => Val::unknown("a Condition names a condition"),
            },
            "Fn::GetAtt" => {
                let (resource, attribute) = match argument {
                    Value::String(text) => match text.split_once('.') {
                        Some((resource, attribute)) => (resource, Val::text(attribute)),
                        None => return Val::unknown(format!("Fn::GetAtt {text}")),
                    },
                    Value::Array(parts) if parts.len() == 2 => match parts[0].as_str() {
                        Some(resource) => (resource, self.evaluate(&parts[1])),
                        None => return Val::unknown("Fn::GetAtt of an unnamed resource"),
                    },
                    _ => {
                        return Val::unknown("Fn::GetAtt takes a resource and an attribute");
                    }
                };
                match attribute {
                    Val::Text(attribute) => self.attribute(resource, &attribute),
                    _ => Val::unknown(format!("an attribute of {resource} chosen at deploy time")),
                }
            }
            "Fn::If" if arguments.len() == 3 => {
                let Some(condition) = arguments[0].as_str() else {
                    return Val::unknown("Fn::If names a condition");
                };
                let truth = if self.own_condition.get() == Some(condition) {
                    Truth::True
                } else {
                    self.condition(condition)
                };
                match truth {
                    Truth::True => self.evaluate(&arguments[1]),
                    Truth::False => self.evaluate(&arguments[2]),
                    Truth::Unknown(expression) => {
                        let (then, otherwise) =
                            (self.evaluate(&arguments[1]), self.evaluate(&arguments[2]));
                        if then == otherwise {
                            then
                        } else {
                            self.call(function, vec![expression, then, otherwise])
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
                        for (index, item) in items.iter().enumerate() {
                            if index > 0 {
                                parts.push(Val::Text(delimiter.clone()));
                            }
                            parts.push(item.clone());
                        }
                        self.concatenation(parts)
                    }
                    (delimiter, list) => self.call(function, vec![delimiter, list]),
                }
            }
            "Fn::Select" if arguments.len() == 2 => {
                match (self.evaluate(&arguments[0]), self.evaluate(&arguments[1])) {
                    (Val::Text(index), Val::List(items)) => match index.parse::<usize>() {
                        Ok(index) if index < items.len() => items[index].clone(),
                        _ => Val::unknown(format!("Fn::Select of item {index} of {}", items.len())),
                    },
                    (index, list) => self.call(function, vec![index, list]),
                }
            }
            "Fn::Split" if arguments.len() == 2 => {
                match (self.evaluate(&arguments[0]), self.evaluate(&arguments[1])) {
                    (Val::Text(delimiter), Val::Text(text)) if !delimiter.is_empty() => {
                        let parts: Vec<Val> = text
                            .split(&*delimiter)
                            .map(|part| self.text(part))
                            .collect();
                        self.list(parts)
                    }
                    (delimiter, text) => self.call(function, vec![delimiter, text]),
                }
            }
            "Fn::FindInMap" if arguments.len() >= 3 => {
                let keys: Vec<Val> = arguments[..3].iter().map(|a| self.evaluate(a)).collect();
                match (&keys[0], &keys[1], &keys[2]) {
                    (Val::Text(map), Val::Text(top), Val::Text(second)) => {
                        let found = self
                            .template
                            .get("Mappings")
                            .and_then(|m| m.get(&**map))
                            .and_then(|m| m.get(&**top))
                            .and_then(|m| m.get(&**second));
                        match (found, arguments.get(3)) {
                            (Some(found), _) => self.evaluate(found),
                            // AWS::LanguageExtensions' DefaultValue.
                            (None, Some(default)) => match default.get("DefaultValue") {
                                Some(default) => self.evaluate(default),
                                None => {
                                    Val::unknown(format!("no {map}.{top}.{second} in Mappings"))
                                }
                            },
                            (None, None) => {
                                Val::unknown(format!("no {map}.{top}.{second} in Mappings"))
                            }
                        }
                    }
                    _ => self.call(function, keys),
                }
            }
            // Deterministic in their arguments, but only AWS computes them (a macro's Fn::Transform too, as
            // far as the same template and values go).
            _ => {
                let args = match self.evaluate(argument) {
                    Val::List(items) => items.to_vec(),
                    single => vec![single],
                };
                self.call(function, args)
            }
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
            "AWS::Region" => Val::text(&self.pseudo.region),
            "AWS::StackName" => Val::text(&self.pseudo.stack_name),
            "AWS::AccountId" => Val::text(&self.pseudo.account_id),
            "AWS::Partition" => Val::text(partition.0),
            "AWS::URLSuffix" => Val::text(partition.1),
            "AWS::StackId" | "AWS::NotificationARNs" => Val::call(name, Vec::new()),
            resource if self.resource(resource).is_some() => {
                if let Some(refused) = self.resource_in_condition(resource) {
                    return refused;
                }
                Val::Ref {
                    resource: resource.into(),
                    fresh: match self.treatment.borrow().get(resource) {
                        Some(Treatment::Replaced) => Fresh::New,
                        Some(Treatment::MaybeReplaced) => Fresh::Maybe,
                        Some(Treatment::Modified) | None => Fresh::Same,
                    },
                }
            }
            other => Val::unknown(format!("Ref {other}: no such parameter or resource")),
        }
    }

    /// `Fn::GetAtt resource.attribute`.
    fn attribute(&self, resource: &str, attribute: &str) -> Val {
        if let Some(refused) = self.resource_in_condition(resource) {
            return refused;
        }
        let fresh = match self.treatment.borrow().get(resource) {
            Some(Treatment::Replaced) => Fresh::New,
            Some(Treatment::MaybeReplaced) => Fresh::Maybe,
            // Updated in place: an identifier stays, anything else the update may have changed (an SSM
            // parameter's Value, a nested stack's Outputs.X), as AWS's schema for the type says.
            Some(Treatment::Modified) => {
                let kind = self.resource_type(resource).unwrap_or_default();
                if ATTRIBUTES_NEW_ON_EVERY_UPDATE.contains(&(kind, attribute)) {
                    Fresh::New
                } else if schema_of(kind).is_some_and(|schema| schema.is_stable(attribute)) {
                    Fresh::Same
                } else {
                    Fresh::Maybe
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

    /// A named condition that refers to a resource: what it gives, since it cannot depend on how the update
    /// treats the resource (it is evaluated once, before that is known).
    fn resource_in_condition(&self, resource: &str) -> Option<Val> {
        (self.in_condition.get() > 0).then(|| {
            Val::unknown(format!(
                "a condition refers to resource {resource}, which CloudFormation does not allow"
            ))
        })
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
                _ => return Val::unknown("Fn::Sub takes a text and a map"),
            },
            _ => return Val::unknown("Fn::Sub takes a text"),
        };
        let mut parts = Vec::new();
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            parts.push(Val::text(&rest[..start]));
            let after = &rest[start + 2..];
            let Some(end) = after.find('}') else {
                parts.push(Val::text(&rest[start..]));
                rest = "";
                break;
            };
            let name = &after[..end];
            parts.push(if let Some(literal) = name.strip_prefix('!') {
                Val::text(&format!("${{{literal}}}"))
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
        parts.push(Val::text(rest));
        self.concatenation(parts)
    }

    /// Parts joined as text: plain text when every part is known, else the parts, adjacent texts merged.
    fn concatenation(&self, parts: Vec<Val>) -> Val {
        self.budget.charge(parts.iter().map(Val::weight).sum());
        let mut merged: Vec<Val> = Vec::new();
        let mut text = String::new();
        // A concatenation inside a concatenation (a Join of a Sub) is its parts: one value, one shape.
        let parts = parts.into_iter().flat_map(|part| match part {
            Val::Call { function, args } if function == "concat" => {
                self.budget.charge(args.len());
                args.to_vec()
            }
            part => vec![part],
        });
        for part in parts {
            match part {
                Val::Text(part) => text.push_str(&part),
                part => {
                    if !text.is_empty() {
                        merged.push(Val::text(&std::mem::take(&mut text)));
                    }
                    merged.push(part);
                }
            }
        }
        if !text.is_empty() || merged.is_empty() {
            merged.push(Val::text(&text));
        }
        let mut choices = merged
            .iter()
            .enumerate()
            .filter(|(_, part)| is_choice(part));
        if let (Some((at, _)), None) = (choices.next(), choices.next()) {
            return self.choose_inside(merged, at);
        }
        match merged.as_slice() {
            [Val::Text(_)] => merged.pop().unwrap_or(Val::Null),
            _ => self.call("concat", merged),
        }
    }

    /// A concatenation with one `Fn::If` rackfile cannot decide among its parts, written as the `Fn::If` of
    /// the two concatenations: `Join ["-", [a, If [C, b, c]]]` and `If [C, "a-b", "a-c"]` are one value,
    /// however the template writes it. Only one choice is taken out, so the value does not double per choice.
    fn choose_inside(&self, parts: Vec<Val>, at: usize) -> Val {
        let Val::Call { args, .. } = &parts[at] else {
            return self.call("concat", parts);
        };
        let (condition, then, otherwise) = (args[0].clone(), args[1].clone(), args[2].clone());
        let with = |choice: Val| {
            let mut parts = parts.clone();
            parts[at] = choice;
            // The branch itself may be a choice: taken out in turn, each level once.
            self.concatenation(parts)
        };
        let (then, otherwise) = (with(then), with(otherwise));
        if then == otherwise {
            then
        } else {
            self.call("Fn::If", vec![condition, then, otherwise])
        }
    }
}

/// An `Fn::If` whose condition only AWS can decide (one it can decide is its branch already).
fn is_choice(value: &Val) -> bool {
    matches!(value, Val::Call { function, args } if function == "Fn::If" && args.len() == 3)
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

#[cfg(test)]
mod dynamic_reference_tests {
    use super::unstable_dynamic_reference;

    #[test]
    fn only_a_pinned_version_is_the_same_value_at_the_next_update() {
        let cases = [
            ("{{resolve:ssm:/ami}}", Some("{{resolve:ssm:/ami}}")),
            ("{{resolve:ssm:/ami:3}}", None),
            (
                "x-{{resolve:ssm-secure:db-password}}-y",
                Some("{{resolve:ssm-secure:db-password}}"),
            ),
            ("{{resolve:ssm-secure:db-password:2}}", None),
            (
                "{{resolve:secretsmanager:db:SecretString:password::}}",
                Some("{{resolve:secretsmanager:db:SecretString:password::}}"),
            ),
            (
                "{{resolve:secretsmanager:db:SecretString:password::AWSCURRENT}}",
                Some("{{resolve:secretsmanager:db:SecretString:password::AWSCURRENT}}"),
            ),
            (
                "{{resolve:secretsmanager:db:SecretString:password::0d1f6c0e-6b1a-4c3e-9a5f-1f2e3d4c5b6a}}",
                None,
            ),
            (
                "{{resolve:ssm:/a:1}} and {{resolve:ssm:/b}}",
                Some("{{resolve:ssm:/b}}"),
            ),
            (
                "{{resolve:unknown-service:x:1}}",
                Some("{{resolve:unknown-service:x:1}}"),
            ),
            ("plain text, {{not a reference}}", None),
        ];
        for (text, unstable) in cases {
            assert_eq!(unstable_dynamic_reference(text), unstable, "{text}");
        }
    }

    #[test]
    fn an_ssm_typed_value_resolved_on_each_side_compares_by_what_it_resolves_to() {
        use super::{Pseudo, Side, Val, resolved_ssm};
        use std::collections::{BTreeMap, BTreeSet, HashMap};
        let template = serde_json::json!({
            "Parameters": {"Ami": {"Type": "AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>"}},
            "Resources": {}
        });
        let pseudo = Pseudo {
            region: "us-east-1".into(),
            stack_name: "web".into(),
            account_id: "123456789012".into(),
        };
        let value = |given: String| {
            let values = BTreeMap::from([("Ami".to_string(), given)]);
            let side = Side::new(
                &template,
                &values,
                &BTreeSet::new(),
                &pseudo,
                HashMap::new(),
            );
            side.evaluate(&serde_json::json!({"Ref": "Ami"}))
        };
        assert_eq!(value(resolved_ssm("/ami", Ok("ami-1"))), Val::text("ami-1"));
        assert!(matches!(
            value(resolved_ssm("/ami", Err("denied"))),
            Val::Unknown(_)
        ));
        assert_eq!(
            value("/ami".into()),
            Val::call("ssm", vec![Val::text("/ami")])
        );
    }
}
