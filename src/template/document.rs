//! A template body as a JSON value. YAML templates are converted on the way in: the short-form intrinsic
//! tags (`!Ref X`, `!GetAtt A.B`, `!Sub ...`, `!If [...]`) become the long form CloudFormation defines them
//! as (`{"Ref": "X"}`, `{"Fn::GetAtt": ["A", "B"]}`, ...), so everything downstream reads one shape.

use serde_json::{Map, Number, Value};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct DocumentError {
    pub message: String,
}

/// Parses a template body, JSON or YAML (CloudFormation accepts both, and JSON is YAML).
pub fn parse_document(body: &str) -> Result<Value, DocumentError> {
    let trimmed = body.trim_start();
    let value = if trimmed.starts_with('{') {
        serde_json::from_str(body).map_err(|error| DocumentError {
            message: format!("not a valid JSON template: {error}"),
        })?
    } else {
        let yaml: serde_yaml_ng::Value =
            serde_yaml_ng::from_str(body).map_err(|error| DocumentError {
                message: format!("not a valid YAML template: {error}"),
            })?;
        let value = from_yaml(yaml).map_err(|error| match unknown_tag_location(body) {
            Some(located) => DocumentError { message: located },
            None => error,
        })?;
        if let Some(message) = super::yaml_refusals::refused_yaml(body) {
            return Err(DocumentError { message });
        }
        value
    };
    if !value.is_object() {
        return Err(DocumentError {
            message: "a template must be a mapping with Parameters and Resources".into(),
        });
    }
    Ok(value)
}

fn from_yaml(yaml: serde_yaml_ng::Value) -> Result<Value, DocumentError> {
    use serde_yaml_ng::Value as Y;
    Ok(match yaml {
        Y::Null => Value::Null,
        Y::Bool(b) => Value::Bool(b),
        Y::Number(n) => number(&n),
        Y::String(s) => Value::String(s),
        Y::Sequence(items) => {
            Value::Array(items.into_iter().map(from_yaml).collect::<Result<_, _>>()?)
        }
        Y::Mapping(mapping) => {
            let mut object = Map::new();
            for (key, value) in mapping {
                let key = match key {
                    Y::String(s) => s,
                    Y::Number(n) => n.to_string(),
                    Y::Bool(b) => b.to_string(),
                    other => {
                        return Err(DocumentError {
                            message: format!("a mapping key must be text, not {other:?}"),
                        });
                    }
                };
                object.insert(key, from_yaml(value)?);
            }
            Value::Object(object)
        }
        Y::Tagged(tagged) => {
            let tag = tagged.tag.to_string();
            let name = tag.trim_start_matches('!');
            if !SHORT_FORMS.contains(&name) {
                return Err(DocumentError {
                    message: unknown_tag(name),
                });
            }
            let value = from_yaml(tagged.value)?;
            intrinsic(name, value)
        }
    })
}

/// The YAML tags CloudFormation defines: its intrinsic functions' short forms. Any other tag is refused,
/// not read as an `Fn::` CloudFormation does not have.
const SHORT_FORMS: [&str; 20] = [
    "Ref",
    "Condition",
    "GetAtt",
    "Sub",
    "Join",
    "Select",
    "Split",
    "If",
    "Equals",
    "And",
    "Or",
    "Not",
    "FindInMap",
    "Base64",
    "Cidr",
    "GetAZs",
    "ImportValue",
    "Transform",
    "Length",
    "ToJsonString",
];

fn unknown_tag(name: &str) -> String {
    format!(
        "unknown YAML tag !{} (CloudFormation's tags are the short forms of its functions: !Ref, !Sub, !GetAtt, !If, ...)",
        name.escape_debug()
    )
}

/// The unknown tag's message with its line and column, read again by the YAML parser, which knows where
/// each node is (`serde_yaml_ng::Value` does not keep it).
fn unknown_tag_location(body: &str) -> Option<String> {
    let error = serde_yaml_ng::from_str::<TagCheck>(body).err()?;
    let location = error.location()?;
    let message = error.to_string();
    let message = message.split(" at line ").next().unwrap_or(&message);
    Some(format!(
        "line {} column {}: {message}",
        location.line(),
        location.column()
    ))
}

/// Reads a YAML document only to refuse its first unknown tag, where the parser is.
struct TagCheck;

impl<'de> serde::Deserialize<'de> for TagCheck {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(TagVisitor)
    }
}

struct TagVisitor;

impl<'de> serde::de::Visitor<'de> for TagVisitor {
    type Value = TagCheck;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a YAML value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<TagCheck, E> {
        Ok(TagCheck)
    }
    fn visit_i64<E>(self, _: i64) -> Result<TagCheck, E> {
        Ok(TagCheck)
    }
    fn visit_u64<E>(self, _: u64) -> Result<TagCheck, E> {
        Ok(TagCheck)
    }
    fn visit_f64<E>(self, _: f64) -> Result<TagCheck, E> {
        Ok(TagCheck)
    }
    fn visit_str<E>(self, _: &str) -> Result<TagCheck, E> {
        Ok(TagCheck)
    }
    fn visit_unit<E>(self) -> Result<TagCheck, E> {
        Ok(TagCheck)
    }
    fn visit_none<E>(self) -> Result<TagCheck, E> {
        Ok(TagCheck)
    }
    fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> Result<TagCheck, D::Error> {
        serde::Deserialize::deserialize(d)
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<TagCheck, A::Error> {
        while seq.next_element::<TagCheck>()?.is_some() {}
        Ok(TagCheck)
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<TagCheck, A::Error> {
        while map.next_entry::<TagCheck, TagCheck>()?.is_some() {}
        Ok(TagCheck)
    }
    fn visit_enum<A: serde::de::EnumAccess<'de>>(self, data: A) -> Result<TagCheck, A::Error> {
        use serde::de::{Error as _, VariantAccess as _};
        let (tag, variant): (String, _) = data.variant()?;
        let name = tag.trim_start_matches('!');
        if !SHORT_FORMS.contains(&name) {
            return Err(A::Error::custom(unknown_tag(name)));
        }
        variant.newtype_variant::<TagCheck>()
    }
}

/// The long form of a short-form intrinsic function.
fn intrinsic(name: &str, value: Value) -> Value {
    let (key, value) = match name {
        "Ref" => ("Ref".to_string(), value),
        "Condition" => ("Condition".to_string(), value),
        // `!GetAtt Resource.Attribute` is the only short form whose argument changes shape.
        "GetAtt" => {
            let value = match value {
                Value::String(text) => match text.split_once('.') {
                    Some((resource, attribute)) => Value::Array(vec![
                        Value::String(resource.into()),
                        Value::String(attribute.into()),
                    ]),
                    None => Value::String(text),
                },
                other => other,
            };
            ("Fn::GetAtt".to_string(), value)
        }
        other => (format!("Fn::{other}"), value),
    };
    let mut object = Map::new();
    object.insert(key, value);
    Value::Object(object)
}

fn number(n: &serde_yaml_ng::Number) -> Value {
    if let Some(i) = n.as_i64() {
        Value::Number(i.into())
    } else if let Some(u) = n.as_u64() {
        Value::Number(u.into())
    } else {
        n.as_f64()
            .and_then(Number::from_f64)
            .map_or_else(|| Value::String(n.to_string()), Value::Number)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn yaml_short_forms_become_the_long_forms() {
        let body = "Conditions:\n  IsPrivate: !Equals [!Ref Private, \"Yes\"]\n\
                    Resources:\n  A:\n    Type: X\n    Properties:\n      Name: !Sub '${AWS::StackName}-a'\n      \
                    Vpc: !GetAtt Vpc.VpcId\n      Count: !If [IsPrivate, 3, 1]\n";
        let value = parse_document(body).unwrap();
        assert_eq!(
            value["Conditions"]["IsPrivate"],
            json!({"Fn::Equals": [{"Ref": "Private"}, "Yes"]})
        );
        let properties = &value["Resources"]["A"]["Properties"];
        assert_eq!(
            properties["Name"],
            json!({"Fn::Sub": "${AWS::StackName}-a"})
        );
        assert_eq!(properties["Vpc"], json!({"Fn::GetAtt": ["Vpc", "VpcId"]}));
        assert_eq!(properties["Count"], json!({"Fn::If": ["IsPrivate", 3, 1]}));
    }

    #[test]
    fn an_unknown_tag_is_refused_at_its_line_and_column() {
        let body = "Resources:\n  A:\n    Type: X\n    Properties:\n      Name: !Sub x\n      Other: !Foo bar\n";
        let message = parse_document(body).unwrap_err().message;
        assert!(
            message.starts_with("line 6 column ") && message.contains("unknown YAML tag !Foo"),
            "{message}"
        );
        // Every tag CloudFormation defines is read.
        let known: String = SHORT_FORMS
            .iter()
            .map(|tag| format!("  {tag}: !{tag} x\n"))
            .collect();
        parse_document(&format!("Outputs:\n{known}")).unwrap();
    }

    #[test]
    fn an_alias_or_a_merge_key_is_refused_as_cloudformation_refuses_it() {
        let body = "Parameters:\n  A: &p\n    Type: String\n  B: *p\nResources: {}\n";
        let message = parse_document(body).unwrap_err().message;
        assert!(
            message.starts_with("line 2 column 6: a YAML anchor"),
            "{message}"
        );
        let body = "Resources:\n  A:\n    Type: X\n    Properties:\n      <<: {Name: a}\n";
        let message = parse_document(body).unwrap_err().message;
        assert!(
            message.starts_with("line 5 column 7: a YAML merge key"),
            "{message}"
        );
    }

    #[test]
    fn json_and_broken_bodies() {
        assert_eq!(
            parse_document("{\"Resources\": {}}").unwrap(),
            json!({"Resources": {}})
        );
        assert!(
            parse_document("{\"Resources\": ")
                .unwrap_err()
                .message
                .starts_with("not a valid JSON template")
        );
        assert!(
            parse_document("a: [b")
                .unwrap_err()
                .message
                .starts_with("not a valid YAML template")
        );
        assert!(parse_document("just text").is_err());
    }
}
