//! The `Cloud` trait over the official CloudFormation SDK: one short SDK call per CloudFormation operation,
//! each under the (account, region)'s shared rate limit, its answer translated by `aws_convert`. The
//! preflight checks' EC2 and Service Quotas reads are `aws_protocol` requests (`aws_ec2`, `aws_quotas`), outside
//! that rate limit.

use std::sync::Arc;

use async_trait::async_trait;
use aws_sdk_cloudformation::types::{Capability, Parameter};

use super::aws_convert::{
    resource_change_from_sdk, sdk_parameters, sdk_rollback, sdk_tags, stack_from_sdk,
    summary_from_sdk, time,
};
use super::aws_ec2::AwsEc2;
use super::aws_error::sdk_error;
use super::aws_quotas::AwsQuotas;
use super::rate_limit::RateLimit;
use super::{
    ChangeSet, ChangeSetRef, Cloud, CloudError, CreateStackRequest, Stack, StackEvent,
    StackResource, TemplateSource, TemplateSummary, UpdateOutcome, UpdateStackRequest,
};

pub struct AwsCloud {
    pub(super) client: aws_sdk_cloudformation::Client,
    // EC2 and Service Quotas are read only by the preflight checks, a few calls a plan: they do not share
    // CloudFormation's request rate.
    pub(super) ec2: AwsEc2,
    pub(super) quotas: AwsQuotas,
    pub(super) limit: Arc<RateLimit>,
}

/// ListStackResources, every page, each under the (account, region)'s rate limit: the one reader of a
/// stack's resources, for the uninstall, the release record, `--skip` and drift alike.
pub(super) async fn list_stack_resources(
    client: &aws_sdk_cloudformation::Client,
    limit: &RateLimit,
    name: &str,
) -> Result<Vec<StackResource>, CloudError> {
    let mut pages = client
        .list_stack_resources()
        .stack_name(name)
        .into_paginator()
        .send();
    let mut resources = Vec::new();
    loop {
        limit.acquire().await;
        let Some(page) = pages.next().await else {
            break;
        };
        let page = page.map_err(sdk_error)?;
        resources.extend(page.stack_resource_summaries().iter().map(|resource| {
            StackResource {
                logical_id: resource
                    .logical_resource_id()
                    .unwrap_or_default()
                    .to_string(),
                physical_id: resource.physical_resource_id().map(str::to_string),
                resource_type: resource.resource_type().unwrap_or_default().to_string(),
                status: resource
                    .resource_status()
                    .map(|status| status.as_str().to_string())
                    .unwrap_or_default(),
            }
        }));
    }
    Ok(resources)
}

/// The input UpdateStack and CreateChangeSet share, set on either call from the one request value, so
/// that a change set is made of exactly what the update would send. The request is taken apart field by
/// field: a field added to `UpdateStackRequest` does not compile until it is set here, for both calls.
macro_rules! with_update_input {
    ($call:expr, $request:expr) => {{
        let UpdateStackRequest {
            name,
            template,
            parameters,
            tags,
            role_arn,
            options,
            // UpdateStack's ClientRequestToken; CreateChangeSet's ClientToken: set by each caller.
            token: _,
        } = $request;
        let call = $call
            .stack_name(name)
            .capabilities(Capability::CapabilityIam)
            .set_role_arn(role_arn.clone())
            .set_notification_arns(options.notification_arns.clone())
            .set_rollback_configuration(sdk_rollback(options))
            .set_parameters(Some(sdk_parameters(parameters)))
            .set_tags(Some(sdk_tags(tags)));
        match template {
            TemplateSource::Url(url) => call.template_url(url),
            TemplateSource::Body(body) => call.template_body(body),
        }
    }};
}

#[async_trait]
impl Cloud for AwsCloud {
    async fn describe_stacks(&self) -> Result<Vec<Stack>, CloudError> {
        let mut pages = self.client.describe_stacks().into_paginator().send();
        let mut stacks = Vec::new();
        loop {
            self.limit.acquire().await;
            let Some(page) = pages.next().await else {
                break;
            };
            let page = page.map_err(sdk_error)?;
            stacks.extend(page.stacks().iter().map(stack_from_sdk));
        }
        Ok(stacks)
    }

    async fn describe_stack(&self, name: &str) -> Result<Option<Stack>, CloudError> {
        self.limit.acquire().await;
        match self.client.describe_stacks().stack_name(name).send().await {
            Ok(output) => Ok(output.stacks().first().map(stack_from_sdk)),
            Err(error) => {
                let error = sdk_error(error);
                // DescribeStacks names a missing stack with a ValidationError, not a NotFound.
                if error.message.contains("does not exist") {
                    Ok(None)
                } else {
                    Err(error)
                }
            }
        }
    }

    async fn template_summary(
        &self,
        template: &TemplateSource,
    ) -> Result<TemplateSummary, CloudError> {
        self.limit.acquire().await;
        let request = self.client.get_template_summary();
        let request = match template {
            TemplateSource::Url(url) => request.template_url(url),
            TemplateSource::Body(body) => request.template_body(body),
        };
        Ok(summary_from_sdk(&request.send().await.map_err(sdk_error)?))
    }

    async fn stack_template_summary(&self, name: &str) -> Result<TemplateSummary, CloudError> {
        self.limit.acquire().await;
        let summary = self
            .client
            .get_template_summary()
            .stack_name(name)
            .send()
            .await
            .map_err(sdk_error)?;
        Ok(summary_from_sdk(&summary))
    }

    async fn stack_template(&self, name: &str) -> Result<String, CloudError> {
        self.limit.acquire().await;
        let output = self
            .client
            .get_template()
            .stack_name(name)
            .send()
            .await
            .map_err(sdk_error)?;
        Ok(output.template_body().unwrap_or_default().to_string())
    }

    async fn create_stack(&self, request: &CreateStackRequest) -> Result<(), CloudError> {
        self.limit.acquire().await;
        let call = self
            .client
            .create_stack()
            .stack_name(&request.name)
            .client_request_token(&request.token)
            .capabilities(Capability::CapabilityIam)
            .enable_termination_protection(request.termination_protection)
            .set_role_arn(request.role_arn.clone())
            .set_notification_arns(request.options.notification_arns.clone())
            .set_stack_policy_body(request.options.stack_policy_body.clone())
            .set_rollback_configuration(sdk_rollback(&request.options))
            .set_timeout_in_minutes(
                request
                    .timeout_minutes
                    .and_then(|minutes| i32::try_from(minutes).ok()),
            )
            .set_parameters(Some(
                request
                    .parameters
                    .iter()
                    .map(|(key, value)| {
                        Parameter::builder()
                            .parameter_key(key)
                            .parameter_value(value)
                            .build()
                    })
                    .collect(),
            ))
            .set_tags(Some(sdk_tags(&request.tags)));
        let call = match &request.template {
            TemplateSource::Url(url) => call.template_url(url),
            TemplateSource::Body(body) => call.template_body(body),
        };
        call.send().await.map_err(sdk_error)?;
        Ok(())
    }

    async fn update_stack(
        &self,
        request: &UpdateStackRequest,
    ) -> Result<UpdateOutcome, CloudError> {
        self.limit.acquire().await;
        // CreateChangeSet has no StackPolicyBody (apply sets a changed policy with SetStackPolicy first), so
        // only UpdateStack sends it.
        let call = with_update_input!(self.client.update_stack(), request)
            .set_stack_policy_body(request.options.stack_policy_body.clone())
            .client_request_token(&request.token);
        match call.send().await {
            Ok(_) => Ok(UpdateOutcome::Started),
            Err(error) => {
                let error = sdk_error(error);
                if error.message.contains("No updates are to be performed") {
                    Ok(UpdateOutcome::NothingToDo)
                } else {
                    Err(error)
                }
            }
        }
    }

    async fn create_change_set(
        &self,
        update: &UpdateStackRequest,
        name: &str,
    ) -> Result<String, CloudError> {
        self.limit.acquire().await;
        let call = with_update_input!(self.client.create_change_set(), update)
            .change_set_name(name)
            .change_set_type(aws_sdk_cloudformation::types::ChangeSetType::Update)
            .client_token(&update.token);
        let answer = call.send().await.map_err(sdk_error)?;
        Ok(answer.id().unwrap_or(name).to_string())
    }

    async fn describe_change_set(
        &self,
        change_set: &ChangeSetRef,
    ) -> Result<ChangeSet, CloudError> {
        let mut next: Option<String> = None;
        let mut described: Option<ChangeSet> = None;
        loop {
            self.limit.acquire().await;
            let page = self
                .client
                .describe_change_set()
                .stack_name(&change_set.stack)
                .change_set_name(&change_set.name)
                .include_property_values(true)
                .set_next_token(next.take())
                .send()
                .await
                .map_err(sdk_error)?;
            let changes = page
                .changes()
                .iter()
                .filter_map(|change| change.resource_change())
                .map(resource_change_from_sdk);
            match &mut described {
                Some(described) => described.changes.extend(changes),
                None => {
                    described = Some(ChangeSet {
                        id: page.change_set_id().unwrap_or_default().to_string(),
                        status: page
                            .status()
                            .map(|status| status.as_str().to_string())
                            .unwrap_or_default(),
                        status_reason: page.status_reason().map(str::to_string),
                        execution_status: page
                            .execution_status()
                            .map(|status| status.as_str().to_string())
                            .unwrap_or_default(),
                        changes: changes.collect(),
                    })
                }
            }
            match page.next_token() {
                Some(token) if !token.is_empty() => next = Some(token.to_string()),
                _ => break,
            }
        }
        Ok(described.expect("the loop reads at least one page"))
    }

    async fn execute_change_set(
        &self,
        change_set: &ChangeSetRef,
        token: &str,
    ) -> Result<(), CloudError> {
        self.limit.acquire().await;
        self.client
            .execute_change_set()
            .stack_name(&change_set.stack)
            .change_set_name(&change_set.name)
            .client_request_token(token)
            .send()
            .await
            .map_err(sdk_error)?;
        Ok(())
    }

    async fn delete_change_set(&self, change_set: &ChangeSetRef) -> Result<(), CloudError> {
        self.limit.acquire().await;
        self.client
            .delete_change_set()
            .stack_name(&change_set.stack)
            .change_set_name(&change_set.name)
            .send()
            .await
            .map_err(sdk_error)?;
        Ok(())
    }

    async fn delete_stack(
        &self,
        name: &str,
        role_arn: Option<&str>,
        token: &str,
    ) -> Result<(), CloudError> {
        self.limit.acquire().await;
        self.client
            .delete_stack()
            .stack_name(name)
            .set_role_arn(role_arn.map(str::to_string))
            .client_request_token(token)
            .send()
            .await
            .map_err(sdk_error)?;
        Ok(())
    }

    async fn continue_update_rollback(
        &self,
        name: &str,
        role_arn: Option<&str>,
        token: &str,
        skip: &[String],
    ) -> Result<(), CloudError> {
        self.limit.acquire().await;
        self.client
            .continue_update_rollback()
            .stack_name(name)
            .set_role_arn(role_arn.map(str::to_string))
            .client_request_token(token)
            .set_resources_to_skip((!skip.is_empty()).then(|| skip.to_vec()))
            .send()
            .await
            .map_err(sdk_error)?;
        Ok(())
    }

    async fn cancel_update_stack(&self, name: &str, token: &str) -> Result<(), CloudError> {
        self.limit.acquire().await;
        self.client
            .cancel_update_stack()
            .stack_name(name)
            .client_request_token(token)
            .send()
            .await
            .map_err(sdk_error)?;
        Ok(())
    }

    async fn stack_policy(&self, name: &str) -> Result<Option<String>, CloudError> {
        self.limit.acquire().await;
        let output = self
            .client
            .get_stack_policy()
            .stack_name(name)
            .send()
            .await
            .map_err(sdk_error)?;
        Ok(output
            .stack_policy_body()
            .filter(|body| !body.trim().is_empty())
            .map(str::to_string))
    }

    async fn set_stack_policy(&self, name: &str, body: &str) -> Result<(), CloudError> {
        self.limit.acquire().await;
        self.client
            .set_stack_policy()
            .stack_name(name)
            .stack_policy_body(body)
            .send()
            .await
            .map_err(sdk_error)?;
        Ok(())
    }

    async fn set_termination_protection(
        &self,
        name: &str,
        enabled: bool,
    ) -> Result<(), CloudError> {
        self.limit.acquire().await;
        self.client
            .update_termination_protection()
            .stack_name(name)
            .enable_termination_protection(enabled)
            .send()
            .await
            .map_err(sdk_error)?;
        Ok(())
    }

    async fn stack_resources(&self, name: &str) -> Result<Vec<StackResource>, CloudError> {
        list_stack_resources(&self.client, &self.limit, name).await
    }

    async fn list_imports(&self, export: &str) -> Result<Vec<String>, CloudError> {
        let mut pages = self
            .client
            .list_imports()
            .export_name(export)
            .into_paginator()
            .send();
        let mut importers = Vec::new();
        loop {
            self.limit.acquire().await;
            let Some(page) = pages.next().await else {
                break;
            };
            match page {
                Ok(page) => importers.extend(page.imports().iter().cloned()),
                Err(error) => {
                    let error = sdk_error(error);
                    if error.message.contains("is not imported by any stack") {
                        break;
                    }
                    return Err(error);
                }
            }
        }
        Ok(importers)
    }

    async fn availability_zones(&self) -> Result<Vec<String>, CloudError> {
        self.ec2.availability_zones().await
    }

    async fn instance_type_zones(&self, instance_type: &str) -> Result<Vec<String>, CloudError> {
        self.ec2.instance_type_zones(instance_type).await
    }

    async fn instance_type_vcpus(&self, instance_type: &str) -> Result<Option<u32>, CloudError> {
        self.ec2.instance_type_vcpus(instance_type).await
    }

    async fn ec2_quota(&self, code: &str) -> Result<f64, CloudError> {
        self.quotas.ec2_quota(code).await
    }

    async fn stack_events(&self, name: &str) -> Result<Vec<StackEvent>, CloudError> {
        self.limit.acquire().await;
        let output = self
            .client
            .describe_stack_events()
            .stack_name(name)
            .send()
            .await
            .map_err(sdk_error)?;
        Ok(output
            .stack_events()
            .iter()
            .map(|event| StackEvent {
                event_id: event.event_id().unwrap_or_default().to_string(),
                logical_id: event.logical_resource_id().unwrap_or_default().to_string(),
                physical_id: event.physical_resource_id().map(str::to_string),
                resource_type: event.resource_type().unwrap_or_default().to_string(),
                status: event
                    .resource_status()
                    .map(|s| s.as_str().to_string())
                    .unwrap_or_default(),
                reason: event.resource_status_reason().map(str::to_string),
                timestamp: time(event.timestamp()),
                token: event.client_request_token().map(str::to_string),
            })
            .collect())
    }
}
