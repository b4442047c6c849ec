//! A template's parameter declarations checked against themselves, as CloudFormation checks them when it
//! receives the template or uses a default: a known Type, bounds in order, an AllowedPattern that compiles,
//! and a Default its own constraints accept. Without this, plan shows a clean install CloudFormation refuses.

use super::constraints::check_value;
use super::document::DocumentError;
use crate::cloud::TemplateParameter;

/// The parameter types CloudFormation defines besides its AWS-specific ones (`AWS::EC2::VPC::Id`,
/// `List<AWS::EC2::Subnet::Id>`, `AWS::SSM::Parameter::Value<String>`, ...).
const BASIC_TYPES: [&str; 4] = ["String", "Number", "List<Number>", "CommaDelimitedList"];

/// The first thing wrong with `declared`, said with the parameter's name.
pub fn check_declaration(name: &str, declared: &TemplateParameter) -> Result<(), DocumentError> {
    let wrong = |what: String| {
        Err(DocumentError {
            message: format!("parameter `{name}`: {what}"),
        })
    };
    let kind = declared.kind.as_str();
    let known = BASIC_TYPES.contains(&kind)
        || (kind.starts_with("AWS::") && kind.len() > "AWS::".len())
        || (kind.starts_with("List<AWS::") && kind.ends_with('>'));
    if !known {
        return wrong(format!(
            "unknown Type {kind:?} (CloudFormation's are {}, and the AWS-specific AWS::... types)",
            BASIC_TYPES.join(", ")
        ));
    }
    if let (Some(min), Some(max)) = (declared.min_length, declared.max_length)
        && min > max
    {
        return wrong(format!(
            "MinLength {min} is above MaxLength {max}: no value is allowed"
        ));
    }
    let number = |text: &Option<String>| text.as_deref().and_then(|t| t.trim().parse::<f64>().ok());
    if let (Some(min), Some(max)) = (number(&declared.min_value), number(&declared.max_value))
        && min > max
    {
        return wrong(format!(
            "MinValue {} is above MaxValue {}: no value is allowed",
            declared.min_value.as_deref().unwrap_or_default().trim(),
            declared.max_value.as_deref().unwrap_or_default().trim()
        ));
    }
    if let Some(pattern) = &declared.allowed_pattern
        && let Err(error) = pattern.regex()
        && !java_only(error)
    {
        // The engine's message spans lines, with a caret under the error: keep its last line, the reason.
        let reason = error
            .lines()
            .rev()
            .find(|line| !line.trim().is_empty())
            .unwrap_or(error)
            .trim()
            .trim_start_matches("error: ");
        return wrong(format!(
            "AllowedPattern {:?} is not a valid regular expression: {reason}",
            pattern.as_str()
        ));
    }
    // An SSM-typed parameter's default names an SSM parameter, and AWS-specific types are checked against
    // the account: only the basic types' defaults can be checked here.
    if let Some(default) = &declared.default
        && BASIC_TYPES.contains(&kind)
        && let Some(violation) = check_value(declared, default).into_iter().next()
    {
        let shown = if declared.no_echo {
            "(sensitive)".to_string()
        } else {
            format!("{default:?}")
        };
        return wrong(format!(
            "its Default {shown} is refused by its own {}: {}",
            violation.constraint, violation.message
        ));
    }
    Ok(())
}

/// Patterns CloudFormation (Java) accepts and this engine does not: left for CloudFormation to check.
fn java_only(error: &str) -> bool {
    error.contains("look-around") || error.contains("backreference")
}

#[cfg(test)]
mod tests {
    use crate::template::summary_of_body;

    fn error_of(parameter: &str) -> String {
        let body =
            format!("Parameters:\n  P:\n{parameter}Resources:\n  Vpc:\n    Type: AWS::EC2::VPC\n");
        summary_of_body(&body).unwrap_err().message
    }

    #[test]
    fn each_broken_declaration_is_an_error_naming_the_parameter() {
        assert_eq!(
            error_of("    Type: Number\n    Default: abc\n"),
            "parameter `P`: its Default \"abc\" is refused by its own Type: must be a number (the parameter's type is Number)"
        );
        assert_eq!(
            error_of("    Type: String\n    Default: maybe\n    AllowedValues: [Yes, No]\n"),
            "parameter `P`: its Default \"maybe\" is refused by its own AllowedValues: must be one of \"Yes\", \"No\""
        );
        assert_eq!(
            error_of("    Type: Number\n    MinValue: 10\n    MaxValue: 5\n"),
            "parameter `P`: MinValue 10 is above MaxValue 5: no value is allowed"
        );
        assert_eq!(
            error_of("    Type: String\n    MinLength: 8\n    MaxLength: 4\n"),
            "parameter `P`: MinLength 8 is above MaxLength 4: no value is allowed"
        );
        assert_eq!(
            error_of("    Type: Strnig\n"),
            "parameter `P`: unknown Type \"Strnig\" (CloudFormation's are String, Number, List<Number>, CommaDelimitedList, and the AWS-specific AWS::... types)"
        );
        let pattern = error_of("    Type: String\n    AllowedPattern: '[unclosed'\n");
        assert!(
            pattern.starts_with(
                "parameter `P`: AllowedPattern \"[unclosed\" is not a valid regular expression: "
            ) && !pattern.contains('\n'),
            "{pattern}"
        );
        assert!(
            error_of("    Type: String\n    NoEcho: true\n    MinLength: 8\n    Default: short\n")
                .contains("its Default (sensitive) is refused by its own MinLength"),
        );
    }

    #[test]
    fn sound_declarations_pass_and_java_only_patterns_are_left_to_cloudformation() {
        let body = "Parameters:\n  A:\n    Type: Number\n    Default: 3\n    MinValue: 3\n    MaxValue: 3\n  \
                    B:\n    Type: String\n    Default: \"No\"\n    AllowedValues: [\"Yes\", \"No\"]\n  \
                    C:\n    Type: AWS::SSM::Parameter::Value<String>\n    Default: /ami/latest\n  \
                    D:\n    Type: List<AWS::EC2::Subnet::Id>\n  \
                    E:\n    Type: String\n    AllowedPattern: '(?=x)x'\n  \
                    F:\n    Type: CommaDelimitedList\n    Default: a,b\n    AllowedValues: [a, b]\n\
                    Resources:\n  Vpc:\n    Type: AWS::EC2::VPC\n";
        summary_of_body(body).unwrap();
    }
}
