//! The translations between the CloudFormation SDK's types and rackfile's: a stack, a template summary, a
//! change set's resource change, and the parameters, tags and rollback triggers a write sends.

use std::collections::BTreeMap;

use aws_sdk_cloudformation::primitives::DateTimeFormat;
use aws_sdk_cloudformation::types::{Parameter, Tag};

use super::{
    ChangeDetail, Declarations, ParameterValue, Replacement, ResourceChange, RollbackConfiguration,
    Stack, StackOptions, StackStatus, TemplateParameter, TemplateSummary,
};

pub(super) fn time(value: Option<&aws_sdk_cloudformation::primitives::DateTime>) -> String {
    value
        .and_then(|t| t.fmt(DateTimeFormat::DateTime).ok())
        .unwrap_or_default()
}

/// The SDK's RollbackConfiguration of the options; `None` sends none (an update keeps the stack's).
pub(super) fn sdk_rollback(
    options: &StackOptions,
) -> Option<aws_sdk_cloudformation::types::RollbackConfiguration> {
    let rollback = options.rollback.as_ref()?;
    let triggers = rollback
        .alarm_arns
        .iter()
        .map(|arn| {
            aws_sdk_cloudformation::types::RollbackTrigger::builder()
                .arn(arn)
                .r#type("AWS::CloudWatch::Alarm")
                .build()
        })
        .collect();
    Some(
        aws_sdk_cloudformation::types::RollbackConfiguration::builder()
            .set_rollback_triggers(Some(triggers))
            .monitoring_time_in_minutes(i32::try_from(rollback.monitoring_minutes).unwrap_or(0))
            .build(),
    )
}

pub(super) fn stack_from_sdk(stack: &aws_sdk_cloudformation::types::Stack) -> Stack {
    Stack {
        stack_id: stack.stack_id().unwrap_or_default().to_string(),
        name: stack.stack_name().unwrap_or_default().to_string(),
        status: StackStatus::parse(stack.stack_status().map_or("", |s| s.as_str())),
        status_reason: stack.stack_status_reason().map(str::to_string),
        last_updated: time(stack.last_updated_time().or(stack.creation_time())),
        parameters: stack
            .parameters()
            .iter()
            .filter_map(|p| {
                Some((
                    p.parameter_key()?.to_string(),
                    p.parameter_value().unwrap_or_default().to_string(),
                ))
            })
            .collect(),
        tags: stack
            .tags()
            .iter()
            .filter_map(|t| Some((t.key()?.to_string(), t.value()?.to_string())))
            .collect(),
        outputs: stack
            .outputs()
            .iter()
            .filter_map(|o| {
                Some((
                    o.output_key()?.to_string(),
                    o.output_value().unwrap_or_default().to_string(),
                ))
            })
            .collect(),
        termination_protection: stack.enable_termination_protection().unwrap_or(false),
        parent_id: stack.parent_id().map(str::to_string),
        resolved: stack
            .parameters()
            .iter()
            .filter_map(|p| {
                Some((
                    p.parameter_key()?.to_string(),
                    p.resolved_value()?.to_string(),
                ))
            })
            .collect(),
        role_arn: stack.role_arn().map(str::to_string),
        notification_arns: stack.notification_arns().to_vec(),
        rollback: stack
            .rollback_configuration()
            .filter(|configuration| !configuration.rollback_triggers().is_empty())
            .map(|configuration| RollbackConfiguration {
                alarm_arns: configuration
                    .rollback_triggers()
                    .iter()
                    .filter_map(|trigger| trigger.arn().map(str::to_string))
                    .collect(),
                monitoring_minutes: configuration
                    .monitoring_time_in_minutes()
                    .and_then(|minutes| u32::try_from(minutes).ok())
                    .unwrap_or(0),
            }),
    }
}

pub(super) fn summary_from_sdk(
    summary: &aws_sdk_cloudformation::operation::get_template_summary::GetTemplateSummaryOutput,
) -> TemplateSummary {
    TemplateSummary {
        parameters: summary
            .parameters()
            .iter()
            .filter_map(|p| {
                Some((
                    p.parameter_key()?.to_string(),
                    TemplateParameter {
                        kind: p.parameter_type().unwrap_or("String").to_string(),
                        default: p.default_value().map(str::to_string),
                        no_echo: p.no_echo().unwrap_or(false),
                        allowed_values: p
                            .parameter_constraints()
                            .map(|c| c.allowed_values().to_vec())
                            .unwrap_or_default(),
                        ..TemplateParameter::default()
                    },
                ))
            })
            .collect(),
        resource_count: summary.resource_types().len(),
        declarations: Declarations::SummaryOnly,
    }
}

pub(super) fn sdk_tags(tags: &BTreeMap<String, String>) -> Vec<Tag> {
    tags.iter()
        .map(|(key, value)| Tag::builder().key(key).value(value).build())
        .collect()
}

pub(super) fn sdk_parameters(parameters: &BTreeMap<String, ParameterValue>) -> Vec<Parameter> {
    parameters
        .iter()
        .map(|(key, value)| match value {
            ParameterValue::Value(value) => Parameter::builder()
                .parameter_key(key)
                .parameter_value(value)
                .build(),
            ParameterValue::UsePrevious => Parameter::builder()
                .parameter_key(key)
                .use_previous_value(true)
                .build(),
        })
        .collect()
}

pub(super) fn resource_change_from_sdk(
    change: &aws_sdk_cloudformation::types::ResourceChange,
) -> ResourceChange {
    use aws_sdk_cloudformation::types::Replacement as Sdk;
    ResourceChange {
        action: change
            .action()
            .map(|action| action.as_str().to_string())
            .unwrap_or_default(),
        logical_id: change.logical_resource_id().unwrap_or_default().to_string(),
        resource_type: change.resource_type().unwrap_or_default().to_string(),
        replacement: change.replacement().map(|replacement| match replacement {
            Sdk::False => Replacement::False,
            Sdk::True => Replacement::True,
            // Conditional, and any value this SDK does not know: never taken for "in place".
            _ => Replacement::Conditional,
        }),
        scope: change
            .scope()
            .iter()
            .map(|scope| scope.as_str().to_string())
            .collect(),
        details: change
            .details()
            .iter()
            .map(|detail| {
                let target = detail.target();
                ChangeDetail {
                    attribute: target
                        .and_then(|target| target.attribute())
                        .map(|attribute| attribute.as_str().to_string())
                        .unwrap_or_default(),
                    name: target.and_then(|target| target.name()).map(str::to_string),
                    requires_recreation: target
                        .and_then(|target| target.requires_recreation())
                        .map(|value| value.as_str().to_string()),
                    evaluation: detail.evaluation().map(|value| value.as_str().to_string()),
                    change_source: detail
                        .change_source()
                        .map(|value| value.as_str().to_string()),
                    causing_entity: detail.causing_entity().map(str::to_string),
                }
            })
            .collect(),
    }
}
