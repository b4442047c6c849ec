//! Checking a value against a parameter's declaration, as CloudFormation does when it receives the value:
//! its type (Number, List<Number>, CommaDelimitedList), AllowedValues, AllowedPattern, Min/MaxLength and
//! Min/MaxValue. Plan runs this on every value it would send, so a bad value is refused before any change.

use crate::cloud::TemplateParameter;

/// One constraint a value breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The constraint as the template names it: `AllowedValues`, `MinValue`, `Type`, ...
    pub constraint: &'static str,
    /// What is wrong, without the value itself (it may be a secret).
    pub message: String,
}

/// Every constraint of `declared` that `value` breaks (empty when it is acceptable).
pub fn check_value(declared: &TemplateParameter, value: &str) -> Vec<Violation> {
    let kind = declared.kind.as_str();
    let list = kind == "CommaDelimitedList" || kind.starts_with("List<");
    let items: Vec<&str> = if list {
        value.split(',').map(str::trim).collect()
    } else {
        vec![value]
    };
    let numeric = kind == "Number" || kind == "List<Number>";
    let mut violations = Vec::new();
    for item in &items {
        if numeric {
            check_number(declared, item, &mut violations);
        }
        if !declared.allowed_values.is_empty()
            && !declared
                .allowed_values
                .iter()
                .any(|allowed| allowed == item)
        {
            violations.push(Violation {
                constraint: "AllowedValues",
                message: format!("must be one of {}", quote_all(&declared.allowed_values)),
            });
        }
        // A pattern this engine cannot compile (CloudFormation's are Java regular expressions: look-around,
        // backreferences) is left for CloudFormation to check; the template's own check refuses the rest.
        if let Some(pattern) = &declared.allowed_pattern
            && pattern.regex().is_ok_and(|regex| !regex.is_match(item))
        {
            violations.push(Violation {
                constraint: "AllowedPattern",
                message: format!("must match the pattern {}", pattern.as_str()),
            });
        }
    }
    if !list {
        let length = value.chars().count() as u64;
        if let Some(min) = declared.min_length
            && length < min
        {
            violations.push(Violation {
                constraint: "MinLength",
                message: format!("must be at least {min} characters long, not {length}"),
            });
        }
        if let Some(max) = declared.max_length
            && length > max
        {
            violations.push(Violation {
                constraint: "MaxLength",
                message: format!("must be at most {max} characters long, not {length}"),
            });
        }
    }
    violations.dedup();
    violations
}

fn check_number(declared: &TemplateParameter, item: &str, violations: &mut Vec<Violation>) {
    let Ok(number) = item.trim().parse::<f64>() else {
        violations.push(Violation {
            constraint: "Type",
            message: format!(
                "must be a number (the parameter's type is {})",
                declared.kind
            ),
        });
        return;
    };
    let bound = |text: &Option<String>| text.as_deref().and_then(|t| t.trim().parse::<f64>().ok());
    if let Some(min) = bound(&declared.min_value)
        && number < min
    {
        violations.push(Violation {
            constraint: "MinValue",
            message: format!(
                "must be at least {}",
                declared.min_value.as_deref().unwrap_or_default()
            ),
        });
    }
    if let Some(max) = bound(&declared.max_value)
        && number > max
    {
        violations.push(Violation {
            constraint: "MaxValue",
            message: format!(
                "must be at most {}",
                declared.max_value.as_deref().unwrap_or_default()
            ),
        });
    }
}

fn quote_all(values: &[String]) -> String {
    values
        .iter()
        .map(|v| format!("\"{v}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn declared(kind: &str) -> TemplateParameter {
        TemplateParameter {
            kind: kind.into(),
            ..TemplateParameter::default()
        }
    }

    fn constraints(declared: &TemplateParameter, value: &str) -> Vec<&'static str> {
        check_value(declared, value)
            .into_iter()
            .map(|v| v.constraint)
            .collect()
    }

    #[test]
    fn each_kind_of_constraint_is_checked() {
        let mut count = declared("Number");
        count.min_value = Some("3".into());
        count.max_value = Some("10".into());
        assert!(constraints(&count, "3").is_empty());
        assert_eq!(constraints(&count, "2"), ["MinValue"]);
        assert_eq!(constraints(&count, "11"), ["MaxValue"]);
        assert_eq!(constraints(&count, "three"), ["Type"]);

        let mut flag = declared("String");
        flag.allowed_values = vec!["true".into(), "false".into()];
        assert!(constraints(&flag, "true").is_empty());
        let refused = check_value(&flag, "maybe");
        assert_eq!(refused[0].message, "must be one of \"true\", \"false\"");

        let mut password = declared("String");
        password.min_length = Some(1);
        password.max_length = Some(50);
        assert_eq!(constraints(&password, ""), ["MinLength"]);
        assert_eq!(constraints(&password, &"x".repeat(51)), ["MaxLength"]);
        assert!(
            !check_value(&password, &"x".repeat(51))[0]
                .message
                .contains("xx")
        );

        let mut cidr = declared("String");
        cidr.allowed_pattern = Some(r"(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})/(\d{1,2})".into());
        assert!(constraints(&cidr, "10.0.0.0/16").is_empty());
        assert_eq!(constraints(&cidr, "10.0.0.0/16 "), ["AllowedPattern"]);

        let mut zones = declared("List<Number>");
        zones.max_value = Some("5".into());
        assert!(constraints(&zones, "1, 2,5").is_empty());
        assert_eq!(constraints(&zones, "1,6"), ["MaxValue"]);
        let mut names = declared("CommaDelimitedList");
        names.allowed_values = vec!["a".into(), "b".into()];
        assert!(constraints(&names, "a,b").is_empty());
        assert_eq!(constraints(&names, "a,c"), ["AllowedValues"]);
    }
}
