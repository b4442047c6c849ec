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
        from_yaml(yaml)?
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
            let value = from_yaml(tagged.value)?;
            intrinsic(name, value)
        }
    })
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
