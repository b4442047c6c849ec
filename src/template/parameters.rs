//! Parameter declarations read from a template document: type, default, NoEcho and every constraint
//! CloudFormation checks a value against, so plan can check them first. Each declaration is checked against
//! itself (`declaration_checks`) and the Conditions for loops (`condition_cycles`) on the way.

use serde_json::Value;

use super::condition_cycles::check_conditions;
use super::declaration_checks::check_declaration;
use super::document::{DocumentError, parse_document};
use crate::cloud::{AllowedPattern, Declarations, TemplateParameter, TemplateSummary};

/// The parameters and resource count of a template body, with every constraint it declares.
pub fn summary_of_body(body: &str) -> Result<TemplateSummary, DocumentError> {
    summary_of_document(&parse_document(body)?)
}

/// The summary of a template already parsed (`parse_document`).
pub fn summary_of_document(document: &Value) -> Result<TemplateSummary, DocumentError> {
    let resource_count = match document.get("Resources") {
        Some(Value::Object(resources)) => resources.len(),
        _ => {
            return Err(DocumentError {
                message: "the template has no Resources section".into(),
            });
        }
    };
    let mut parameters = std::collections::BTreeMap::new();
    match document.get("Parameters") {
        None => {}
        Some(Value::Object(declared)) => {
            for (name, declaration) in declared {
                let Value::Object(fields) = declaration else {
                    return Err(DocumentError {
                        message: format!("parameter `{name}` is not a mapping"),
                    });
                };
                let declared = declaration_of(name, fields)?;
                check_declaration(name, &declared)?;
                parameters.insert(name.clone(), declared);
            }
        }
        Some(_) => {
            return Err(DocumentError {
                message: "the template's Parameters section is not a mapping".into(),
            });
        }
    }
    check_conditions(document)?;
    Ok(TemplateSummary {
        parameters,
        resource_count,
        declarations: Declarations::Complete,
    })
}

fn declaration_of(
    name: &str,
    fields: &serde_json::Map<String, Value>,
) -> Result<TemplateParameter, DocumentError> {
    let wrong = |field: &str| DocumentError {
        message: format!("parameter `{name}`: `{field}` is not a single value"),
    };
    let scalar = |field: &str| -> Result<Option<String>, DocumentError> {
        match fields.get(field) {
            None | Some(Value::Null) => Ok(None),
            Some(value) => scalar_text(value).map(Some).ok_or_else(|| wrong(field)),
        }
    };
    let count = |field: &str| -> Result<Option<u64>, DocumentError> {
        scalar(field)?
            .map(|text| {
                text.trim().parse::<u64>().map_err(|_| DocumentError {
                    message: format!("parameter `{name}`: `{field}` is not a whole number"),
                })
            })
            .transpose()
    };
    let bound = |field: &str| -> Result<Option<String>, DocumentError> {
        let text = scalar(field)?;
        if let Some(text) = &text
            && text.trim().parse::<f64>().is_err()
        {
            return Err(DocumentError {
                message: format!("parameter `{name}`: `{field}` is not a number"),
            });
        }
        Ok(text)
    };
    let allowed_values = match fields.get("AllowedValues") {
        None => Vec::new(),
        Some(Value::Array(values)) => values
            .iter()
            .map(|value| scalar_text(value).ok_or_else(|| wrong("AllowedValues")))
            .collect::<Result<_, _>>()?,
        Some(_) => return Err(wrong("AllowedValues")),
    };
    let default = match fields.get("Default") {
        // A list default (`Default: [a, b]`) is how YAML authors write a CommaDelimitedList default.
        Some(Value::Array(items)) => Some(
            items
                .iter()
                .map(|item| scalar_text(item).ok_or_else(|| wrong("Default")))
                .collect::<Result<Vec<_>, _>>()?
                .join(","),
        ),
        _ => scalar("Default")?,
    };
    Ok(TemplateParameter {
        kind: scalar("Type")?.unwrap_or_else(|| "String".into()),
        default,
        no_echo: matches!(scalar("NoEcho")?.as_deref(), Some("true" | "True")),
        allowed_values,
        allowed_pattern: scalar("AllowedPattern")?.map(AllowedPattern::new),
        min_length: count("MinLength")?,
        max_length: count("MaxLength")?,
        min_value: bound("MinValue")?,
        max_value: bound("MaxValue")?,
    })
}

/// A scalar as CloudFormation sees it: every parameter value is text.
fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => Some(text.clone()),
        Value::Number(number) => Some(number.to_string()),
        Value::Bool(flag) => Some(flag.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declarations_in_yaml_and_json_read_the_same() {
        let yaml = "Parameters:\n  InstanceCount:\n    Type: Number\n    Default: 3\n    MinValue: 3\n  \
                    Password:\n    Type: String\n    NoEcho: true\n    MinLength: 1\n    MaxLength: 50\n  \
                    Private:\n    Type: String\n    Default: \"No\"\n    AllowedValues: [\"Yes\", \"No\"]\n  \
                    Zones:\n    Type: CommaDelimitedList\n    Default: [a, b]\n\
                    Resources:\n  Vpc:\n    Type: AWS::EC2::VPC\n";
        let json = r#"{"Parameters": {
            "InstanceCount": {"Type": "Number", "Default": "3", "MinValue": "3"},
            "Password": {"Type": "String", "NoEcho": "true", "MinLength": "1", "MaxLength": "50"},
            "Private": {"Type": "String", "Default": "No", "AllowedValues": ["Yes", "No"]},
            "Zones": {"Type": "CommaDelimitedList", "Default": "a,b"}},
            "Resources": {"Vpc": {"Type": "AWS::EC2::VPC"}}}"#;
        let from_yaml = summary_of_body(yaml).unwrap();
        assert_eq!(from_yaml, summary_of_body(json).unwrap());
        let count = &from_yaml.parameters["InstanceCount"];
        assert_eq!(count.kind, "Number");
        assert_eq!(count.default.as_deref(), Some("3"));
        assert_eq!(count.min_value.as_deref(), Some("3"));
        let password = &from_yaml.parameters["Password"];
        assert!(password.no_echo);
        assert_eq!(
            (password.min_length, password.max_length),
            (Some(1), Some(50))
        );
        assert_eq!(
            from_yaml.parameters["Private"].allowed_values,
            ["Yes", "No"]
        );
        assert_eq!(
            from_yaml.parameters["Zones"].default.as_deref(),
            Some("a,b")
        );
        assert_eq!(from_yaml.resource_count, 1);
    }

    #[test]
    fn malformed_declarations_are_errors_not_guesses() {
        let bad_bound = "Parameters:\n  N:\n    Type: Number\n    MinValue: three\nResources: {}\n";
        assert_eq!(
            summary_of_body(bad_bound).unwrap_err().message,
            "parameter `N`: `MinValue` is not a number"
        );
        assert_eq!(
            summary_of_body("Parameters: {}\n").unwrap_err().message,
            "the template has no Resources section"
        );
    }
}
