//! The strict in-memory fake tested on its own, on tokio's paused clock: every refusal it promises, answered
//! with the kind and words AWS uses, and the way it plays operations out. Where moto refuses the same request
//! too, rackfile's `tests/it/fake_vs_moto.rs` runs it against both.
//!
//! Refusals (each a test below):
//! - CreateStack: a stack of that name exists (AlreadyExists); a template it does not know; a required
//!   parameter missing; a parameter the template does not declare; an SSM-typed parameter naming nothing.
//! - UpdateStack: no such stack; the stack is changing (Busy); a failed install (ROLLBACK_COMPLETE) or
//!   UPDATE_ROLLBACK_FAILED; UsePreviousValue for a parameter the stack has no value of.
//! - DeleteStack: termination protection on; the stack is changing (but not deleting).
//! - CancelUpdateStack: anything but an update still in progress (a settled stack, a rollback, an update
//!   that finished just before the cancel arrived); ContinueUpdateRollback: anything but UPDATE_ROLLBACK_FAILED.
//! - Reads of a stack that does not exist (events, template, template summary, resources, protection), a
//!   deleted one included (and an update of it).
//! - An operation a test denied (AccessDenied); a profile with no credentials (NoCredentials); an S3 key that
//!   does not exist (NotFound) or an object over the size limit.
//!
//! Promises (each a test below): a create, update or delete plays out one resource per `resource_time`, with
//! per-resource events and the stack's own events; a failing resource rolls a create or an update back, an
//! update to its previous parameters; a resource that cannot be deleted leaves DELETE_FAILED; a create past
//! TimeoutInMinutes fails and rolls back; a slow resource shows its start; a cancel rolls back what the update
//! reached; events carry the ClientRequestToken of their request; an update that changes nothing is
//! NothingToDo, but a newer value behind an SSM-typed parameter is an update; UsePreviousValue keeps the live
//! value; a deleted stack is gone from DescribeStacks and its name free (by its StackId it is still read); a
//! lost answer leaves the write done and a retry meeting it; deleting a missing or deleting stack succeeds;
//! PutParameter does not overwrite; an alarm takes its states at their times; an instance type EC2 does not
//! know is offered nowhere.

use std::collections::BTreeMap;
use std::time::Duration;

use rackfile::cloud::{
    AlarmState, Cloud, CloudError, Connector, CreateStackRequest, ParameterValue, PutOutcome,
    S3Object, Secret, TemplateParameter, TemplateSource, UpdateOutcome, UpdateStackRequest,
};
use rackfile::config::OrgSettings;
use rackfile_fake::{FakeAws, FakeCloud, FakeTemplate};

const ACCOUNT: &str = "123456789012";
const REGION: &str = "us-east-1";
const URL: &str = "https://templates.example.com/rack.json";
/// How long each resource takes.
const STEP: Duration = Duration::from_secs(10);
const RESOURCES: [(&str, &str); 3] = [
    ("Vpc", "AWS::EC2::VPC"),
    ("Subnet0", "AWS::EC2::Subnet"),
    ("Cluster", "AWS::ECS::Cluster"),
];

fn fake() -> (FakeAws, FakeCloud) {
    let fake = FakeAws::new(STEP);
    fake.add_account(None, ACCOUNT);
    fake.add_template(
        TemplateSource::Url(URL.into()),
        FakeTemplate::rack(&RESOURCES),
    );
    let cloud = fake.cloud_for(ACCOUNT, REGION);
    (fake, cloud)
}

fn pairs(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn create(name: &str, parameters: &[(&str, &str)]) -> CreateStackRequest {
    CreateStackRequest {
        name: name.into(),
        template: TemplateSource::Url(URL.into()),
        parameters: pairs(parameters),
        tags: BTreeMap::new(),
        termination_protection: false,
        timeout_minutes: None,
        role_arn: None,
        options: Default::default(),
        token: format!("create-{name}"),
    }
}

const RACK: &[(&str, &str)] = &[("Version", "1"), ("Password", "pw")];

fn update(name: &str, parameters: &[(&str, Option<&str>)]) -> UpdateStackRequest {
    UpdateStackRequest {
        name: name.into(),
        template: TemplateSource::Url(URL.into()),
        parameters: parameters
            .iter()
            .map(|(k, v)| {
                let value = match v {
                    Some(value) => ParameterValue::Value(value.to_string()),
                    None => ParameterValue::UsePrevious,
                };
                (k.to_string(), value)
            })
            .collect(),
        tags: BTreeMap::new(),
        role_arn: None,
        options: Default::default(),
        token: format!("update-{name}"),
    }
}

/// Version 2, the password kept.
fn upgrade(name: &str) -> UpdateStackRequest {
    update(name, &[("Version", Some("2")), ("Password", None)])
}

/// A refusal as rackfile sees it: kind and message, the stack's ARN (which holds the fake's serials) as `ARN`.
fn refusal(fake: &FakeAws, name: &str, error: CloudError) -> String {
    let mut message = error.message;
    if let Some(stack) = fake.stack(ACCOUNT, REGION, name) {
        message = message.replace(&stack.stack_id, "ARN");
    }
    format!("{:?}: {message}", error.kind)
}

/// The stack's events, oldest first, one a line: logical id, status, reason.
async fn events(cloud: &FakeCloud, name: &str) -> String {
    cloud
        .stack_events(name)
        .await
        .unwrap()
        .iter()
        .rev()
        .map(|event| match &event.reason {
            Some(reason) => format!("{} {} ({reason})\n", event.logical_id, event.status),
            None => format!("{} {}\n", event.logical_id, event.status),
        })
        .collect()
}

async fn status(cloud: &FakeCloud, name: &str) -> String {
    match cloud.describe_stack(name).await.unwrap() {
        Some(stack) => stack.status.to_string(),
        None => "no such stack".into(),
    }
}

async fn settle() {
    tokio::time::sleep(Duration::from_secs(3600)).await;
}

/// A created rack `name`, settled.
async fn created(cloud: &FakeCloud, name: &str) {
    cloud.create_stack(&create(name, RACK)).await.unwrap();
    settle().await;
}

// ---- CreateStack

#[tokio::test(start_paused = true)]
async fn create_plays_out_one_resource_per_step_then_completes() {
    let (_fake, cloud) = fake();
    cloud.create_stack(&create("a", RACK)).await.unwrap();
    tokio::time::sleep(STEP + STEP / 2).await;
    assert_eq!(status(&cloud, "a").await, "CREATE_IN_PROGRESS");
    insta::assert_snapshot!(events(&cloud, "a").await, @r#"
        a CREATE_IN_PROGRESS (User Initiated)
        Vpc CREATE_IN_PROGRESS
        Vpc CREATE_COMPLETE
    "#);
    tokio::time::sleep(STEP * 2).await;
    assert_eq!(status(&cloud, "a").await, "CREATE_COMPLETE");
    insta::assert_snapshot!(events(&cloud, "a").await, @r#"
        a CREATE_IN_PROGRESS (User Initiated)
        Vpc CREATE_IN_PROGRESS
        Vpc CREATE_COMPLETE
        Subnet0 CREATE_IN_PROGRESS
        Subnet0 CREATE_COMPLETE
        Cluster CREATE_IN_PROGRESS
        Cluster CREATE_COMPLETE
        a CREATE_COMPLETE
    "#);
}

#[tokio::test(start_paused = true)]
async fn create_of_an_existing_stack_is_refused_as_already_exists() {
    let (fake, cloud) = fake();
    created(&cloud, "a").await;
    let error = cloud.create_stack(&create("a", RACK)).await.unwrap_err();
    insta::assert_snapshot!(refusal(&fake, "a", error), @"AlreadyExists: AlreadyExistsException: Stack [a] already exists");
}

#[tokio::test(start_paused = true)]
async fn create_from_a_template_cloudformation_cannot_read_is_refused() {
    let (fake, cloud) = fake();
    let mut request = create("a", RACK);
    request.template = TemplateSource::Url("https://templates.example.com/missing.json".into());
    let error = cloud.create_stack(&request).await.unwrap_err();
    insta::assert_snapshot!(refusal(&fake, "a", error), @"Validation: ValidationError: Template format error: template not found");
    assert_eq!(status(&cloud, "a").await, "no such stack");
}

#[tokio::test(start_paused = true)]
async fn create_without_a_required_parameter_is_refused() {
    let (fake, cloud) = fake();
    let error = cloud
        .create_stack(&create("a", &[("Password", "pw")]))
        .await
        .unwrap_err();
    insta::assert_snapshot!(refusal(&fake, "a", error), @"Validation: ValidationError: Parameters: [Version] must have values");
    assert_eq!(status(&cloud, "a").await, "no such stack");
}

#[tokio::test(start_paused = true)]
async fn create_with_a_parameter_the_template_does_not_declare_is_refused() {
    let (fake, cloud) = fake();
    let error = cloud
        .create_stack(&create(
            "a",
            &[("Version", "1"), ("Password", "pw"), ("Bogus", "x")],
        ))
        .await
        .unwrap_err();
    insta::assert_snapshot!(refusal(&fake, "a", error), @"Validation: ValidationError: Parameters: [Bogus] do not exist in the template");
}

/// The rack template with an SSM-typed `AmiParameter`.
fn ssm_template() -> (TemplateSource, FakeTemplate) {
    let mut template = FakeTemplate::rack(&RESOURCES);
    template.parameters.insert(
        "AmiParameter".into(),
        TemplateParameter {
            kind: "AWS::SSM::Parameter::Value<String>".into(),
            ..TemplateParameter::default()
        },
    );
    let source = TemplateSource::Url("https://templates.example.com/ssm.json".into());
    (source, template)
}

#[tokio::test(start_paused = true)]
async fn create_with_an_ssm_parameter_naming_nothing_is_refused() {
    let (fake, cloud) = fake();
    let (source, template) = ssm_template();
    fake.add_template(source.clone(), template);
    let mut request = create(
        "a",
        &[
            ("Version", "1"),
            ("Password", "pw"),
            ("AmiParameter", "/ami"),
        ],
    );
    request.template = source;
    let error = cloud.create_stack(&request).await.unwrap_err();
    insta::assert_snapshot!(refusal(&fake, "a", error), @"Validation: ValidationError: Parameters [/ami] referenced by template have types not supported by CloudFormation or do not exist");
}

#[tokio::test(start_paused = true)]
async fn a_failing_resource_rolls_the_create_back() {
    let (fake, cloud) = fake();
    fake.fail_resource("a", "Subnet0");
    cloud.create_stack(&create("a", RACK)).await.unwrap();
    settle().await;
    assert_eq!(status(&cloud, "a").await, "ROLLBACK_COMPLETE");
    insta::assert_snapshot!(events(&cloud, "a").await, @r#"
        a CREATE_IN_PROGRESS (User Initiated)
        Vpc CREATE_IN_PROGRESS
        Vpc CREATE_COMPLETE
        Subnet0 CREATE_IN_PROGRESS
        Subnet0 CREATE_FAILED (Resource creation cancelled: the fake was told to fail it)
        a ROLLBACK_IN_PROGRESS (The following resource(s) failed to create: [Subnet0].)
        a ROLLBACK_COMPLETE
    "#);
}

#[tokio::test(start_paused = true)]
async fn a_create_past_its_timeout_fails_and_rolls_back() {
    let (fake, cloud) = fake();
    fake.slow_resource("a", "Subnet0", Duration::from_secs(3600));
    let mut request = create("a", RACK);
    request.timeout_minutes = Some(1);
    cloud.create_stack(&request).await.unwrap();
    tokio::time::sleep(Duration::from_secs(59)).await;
    assert_eq!(status(&cloud, "a").await, "CREATE_IN_PROGRESS");
    settle().await;
    assert_eq!(status(&cloud, "a").await, "ROLLBACK_COMPLETE");
    insta::assert_snapshot!(events(&cloud, "a").await, @r#"
        a CREATE_IN_PROGRESS (User Initiated)
        Vpc CREATE_IN_PROGRESS
        Vpc CREATE_COMPLETE
        Subnet0 CREATE_IN_PROGRESS
        Subnet0 CREATE_FAILED (Resource creation cancelled)
        a ROLLBACK_IN_PROGRESS (Stack creation time exceeded the specified timeout.)
        a ROLLBACK_COMPLETE
    "#);
}

#[tokio::test(start_paused = true)]
async fn a_slow_resource_shows_its_start_and_nothing_more_until_it_completes() {
    let (fake, cloud) = fake();
    fake.slow_resource("a", "Subnet0", Duration::from_secs(600));
    cloud.create_stack(&create("a", RACK)).await.unwrap();
    tokio::time::sleep(Duration::from_secs(300)).await;
    insta::assert_snapshot!(events(&cloud, "a").await, @r#"
        a CREATE_IN_PROGRESS (User Initiated)
        Vpc CREATE_IN_PROGRESS
        Vpc CREATE_COMPLETE
        Subnet0 CREATE_IN_PROGRESS
    "#);
    settle().await;
    assert_eq!(status(&cloud, "a").await, "CREATE_COMPLETE");
}

#[tokio::test(start_paused = true)]
async fn a_lost_create_answer_leaves_the_stack_created_and_reads_as_already_exists() {
    let (fake, cloud) = fake();
    fake.lose_next_answer("a");
    let error = cloud.create_stack(&create("a", RACK)).await.unwrap_err();
    insta::assert_snapshot!(refusal(&fake, "a", error), @"AlreadyExists: AlreadyExistsException: Stack [a] already exists");
    assert_eq!(status(&cloud, "a").await, "CREATE_IN_PROGRESS");
    cloud.create_stack(&create("b", RACK)).await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn events_carry_the_token_of_the_request_that_caused_them() {
    let (_fake, cloud) = fake();
    created(&cloud, "a").await;
    cloud.update_stack(&upgrade("a")).await.unwrap();
    settle().await;
    let tokens: Vec<String> = cloud
        .stack_events("a")
        .await
        .unwrap()
        .iter()
        .rev()
        .map(|event| {
            format!(
                "{} {}",
                event.token.clone().unwrap_or_default(),
                event.status
            )
        })
        .collect();
    insta::assert_snapshot!(tokens.join("\n"), @r#"
        create-a CREATE_IN_PROGRESS
        create-a CREATE_IN_PROGRESS
        create-a CREATE_COMPLETE
        create-a CREATE_IN_PROGRESS
        create-a CREATE_COMPLETE
        create-a CREATE_IN_PROGRESS
        create-a CREATE_COMPLETE
        create-a CREATE_COMPLETE
        update-a UPDATE_IN_PROGRESS
        update-a UPDATE_IN_PROGRESS
        update-a UPDATE_COMPLETE
        update-a UPDATE_IN_PROGRESS
        update-a UPDATE_COMPLETE
        update-a UPDATE_IN_PROGRESS
        update-a UPDATE_COMPLETE
        update-a UPDATE_COMPLETE
    "#);
}

// ---- UpdateStack

#[tokio::test(start_paused = true)]
async fn update_of_a_missing_stack_is_refused() {
    let (fake, cloud) = fake();
    let error = cloud.update_stack(&upgrade("a")).await.unwrap_err();
    insta::assert_snapshot!(refusal(&fake, "a", error), @"Validation: ValidationError: Stack [a] does not exist");
}

#[tokio::test(start_paused = true)]
async fn update_while_the_stack_is_changing_is_refused_as_busy() {
    let (fake, cloud) = fake();
    cloud.create_stack(&create("a", RACK)).await.unwrap();
    let error = cloud.update_stack(&upgrade("a")).await.unwrap_err();
    insta::assert_snapshot!(refusal(&fake, "a", error), @"Busy: ValidationError: Stack:ARN is in CREATE_IN_PROGRESS state and can not be updated.");
}

#[tokio::test(start_paused = true)]
async fn update_of_a_failed_install_is_refused() {
    let (fake, cloud) = fake();
    fake.fail_resource("a", "Vpc");
    cloud.create_stack(&create("a", RACK)).await.unwrap();
    settle().await;
    let error = cloud.update_stack(&upgrade("a")).await.unwrap_err();
    insta::assert_snapshot!(refusal(&fake, "a", error), @"Validation: ValidationError: Stack:ARN is in ROLLBACK_COMPLETE state and can not be updated.");
}

#[tokio::test(start_paused = true)]
async fn update_of_a_stack_whose_rollback_failed_is_refused() {
    let (fake, cloud) = fake();
    created(&cloud, "a").await;
    fake.set_status(ACCOUNT, REGION, "a", "UPDATE_ROLLBACK_FAILED");
    let error = cloud.update_stack(&upgrade("a")).await.unwrap_err();
    insta::assert_snapshot!(refusal(&fake, "a", error), @"Validation: ValidationError: Stack:ARN is in UPDATE_ROLLBACK_FAILED state and can not be updated.");
}

#[tokio::test(start_paused = true)]
async fn use_previous_value_keeps_the_live_value_even_a_defaulted_one() {
    let (_fake, cloud) = fake();
    cloud
        .create_stack(&create(
            "a",
            &[
                ("Version", "1"),
                ("Password", "pw"),
                ("InstanceType", "m5.large"),
            ],
        ))
        .await
        .unwrap();
    settle().await;
    let request = update(
        "a",
        &[
            ("Version", Some("2")),
            ("Password", None),
            ("InstanceType", None),
            ("Autoscale", None),
        ],
    );
    assert_eq!(
        cloud.update_stack(&request).await.unwrap(),
        UpdateOutcome::Started
    );
    settle().await;
    let stack = cloud.describe_stack("a").await.unwrap().unwrap();
    insta::assert_snapshot!(format!("{:?}", stack.parameters), @r#"{"Ami": "", "Autoscale": "No", "InstanceCount": "3", "InstanceType": "m5.large", "Key": "", "Password": "pw", "Private": "No", "Version": "2"}"#);
}

#[tokio::test(start_paused = true)]
async fn use_previous_value_for_a_parameter_the_stack_lacks_is_refused() {
    let (fake, cloud) = fake();
    created(&cloud, "a").await;
    let mut template = FakeTemplate::rack(&RESOURCES);
    template.parameters.insert(
        "Extra".into(),
        TemplateParameter {
            kind: "String".into(),
            ..TemplateParameter::default()
        },
    );
    let source = TemplateSource::Url("https://templates.example.com/extra.json".into());
    fake.add_template(source.clone(), template);
    let mut request = update(
        "a",
        &[("Version", Some("1")), ("Password", None), ("Extra", None)],
    );
    request.template = source;
    let error = cloud.update_stack(&request).await.unwrap_err();
    insta::assert_snapshot!(refusal(&fake, "a", error), @"Validation: ValidationError: Parameter Extra has UsePreviousValue but the stack has no previous value");
}

#[tokio::test(start_paused = true)]
async fn update_that_changes_nothing_is_nothing_to_do() {
    let (_fake, cloud) = fake();
    created(&cloud, "a").await;
    let request = update("a", &[("Version", Some("1")), ("Password", None)]);
    assert_eq!(
        cloud.update_stack(&request).await.unwrap(),
        UpdateOutcome::NothingToDo
    );
    assert_eq!(status(&cloud, "a").await, "CREATE_COMPLETE");
}

#[tokio::test(start_paused = true)]
async fn a_newer_value_behind_an_ssm_parameter_is_an_update() {
    let (fake, cloud) = fake();
    let (source, template) = ssm_template();
    fake.add_template(source.clone(), template);
    fake.add_ssm_parameter(ACCOUNT, REGION, "/ami", "String", "ami-1");
    let mut request = create(
        "a",
        &[
            ("Version", "1"),
            ("Password", "pw"),
            ("AmiParameter", "/ami"),
        ],
    );
    request.template = source.clone();
    cloud.create_stack(&request).await.unwrap();
    settle().await;
    let mut same = update(
        "a",
        &[
            ("Version", Some("1")),
            ("Password", None),
            ("AmiParameter", Some("/ami")),
        ],
    );
    same.template = source;
    assert_eq!(
        cloud.update_stack(&same).await.unwrap(),
        UpdateOutcome::NothingToDo
    );
    fake.add_ssm_parameter(ACCOUNT, REGION, "/ami", "String", "ami-2");
    assert_eq!(
        cloud.update_stack(&same).await.unwrap(),
        UpdateOutcome::Started
    );
    settle().await;
    let stack = cloud.describe_stack("a").await.unwrap().unwrap();
    insta::assert_snapshot!(format!("{:?}", stack.resolved), @r#"{"AmiParameter": "ami-2"}"#);
}

#[tokio::test(start_paused = true)]
async fn a_failing_resource_rolls_the_update_back_to_the_previous_parameters() {
    let (fake, cloud) = fake();
    created(&cloud, "a").await;
    fake.fail_resource("a", "Cluster");
    cloud.update_stack(&upgrade("a")).await.unwrap();
    settle().await;
    let stack = cloud.describe_stack("a").await.unwrap().unwrap();
    assert_eq!(stack.status.to_string(), "UPDATE_ROLLBACK_COMPLETE");
    assert_eq!(stack.parameters["Version"], "1");
    insta::assert_snapshot!(events(&cloud, "a").await, @r#"
        a CREATE_IN_PROGRESS (User Initiated)
        Vpc CREATE_IN_PROGRESS
        Vpc CREATE_COMPLETE
        Subnet0 CREATE_IN_PROGRESS
        Subnet0 CREATE_COMPLETE
        Cluster CREATE_IN_PROGRESS
        Cluster CREATE_COMPLETE
        a CREATE_COMPLETE
        a UPDATE_IN_PROGRESS (User Initiated)
        Vpc UPDATE_IN_PROGRESS
        Vpc UPDATE_COMPLETE
        Subnet0 UPDATE_IN_PROGRESS
        Subnet0 UPDATE_COMPLETE
        Cluster UPDATE_IN_PROGRESS
        Cluster UPDATE_FAILED (Resource creation cancelled: the fake was told to fail it)
        a UPDATE_ROLLBACK_IN_PROGRESS (The following resource(s) failed to create: [Cluster].)
        a UPDATE_ROLLBACK_COMPLETE
    "#);
}

#[tokio::test(start_paused = true)]
async fn a_lost_update_answer_leaves_the_update_running_and_reads_as_busy() {
    let (fake, cloud) = fake();
    created(&cloud, "a").await;
    fake.lose_next_answer("a");
    let error = cloud.update_stack(&upgrade("a")).await.unwrap_err();
    insta::assert_snapshot!(refusal(&fake, "a", error), @"Busy: ValidationError: Stack:ARN is in UPDATE_IN_PROGRESS state and can not be updated.");
    assert_eq!(status(&cloud, "a").await, "UPDATE_IN_PROGRESS");
    settle().await;
    let stack = cloud.describe_stack("a").await.unwrap().unwrap();
    assert_eq!(
        (
            stack.status.to_string(),
            stack.parameters["Version"].as_str()
        ),
        ("UPDATE_COMPLETE".to_string(), "2")
    );
}

// ---- DeleteStack

#[tokio::test(start_paused = true)]
async fn delete_plays_out_newest_resource_first_and_frees_the_name() {
    let (_fake, cloud) = fake();
    created(&cloud, "a").await;
    cloud.delete_stack("a", None, "delete-a").await.unwrap();
    tokio::time::sleep(STEP / 2).await;
    assert_eq!(status(&cloud, "a").await, "DELETE_IN_PROGRESS");
    let before: usize = events(&cloud, "a").await.lines().count();
    tokio::time::sleep(STEP * 2).await;
    let during = events(&cloud, "a").await;
    insta::assert_snapshot!(during.lines().skip(before - 1).collect::<Vec<_>>().join("\n"), @r#"
        a DELETE_IN_PROGRESS (User Initiated)
        Cluster DELETE_IN_PROGRESS
        Cluster DELETE_COMPLETE
        Subnet0 DELETE_IN_PROGRESS
        Subnet0 DELETE_COMPLETE
    "#);
    settle().await;
    assert_eq!(status(&cloud, "a").await, "no such stack");
    assert!(cloud.describe_stacks().await.unwrap().is_empty());
    cloud.create_stack(&create("a", RACK)).await.unwrap();
}

/// As in AWS, a deleted stack is still answered for by its StackId: DELETE_COMPLETE, with every event to
/// the last (by name it is gone), which is how apply follows a deletion to its end.
#[tokio::test(start_paused = true)]
async fn a_deleted_stack_is_still_read_by_its_stack_id() {
    let (_fake, cloud) = fake();
    created(&cloud, "a").await;
    let id = cloud.describe_stack("a").await.unwrap().unwrap().stack_id;
    cloud.delete_stack("a", None, "delete-a").await.unwrap();
    settle().await;
    assert_eq!(status(&cloud, "a").await, "no such stack");
    assert!(cloud.stack_events("a").await.is_err());
    assert_eq!(status(&cloud, &id).await, "DELETE_COMPLETE");
    let all = events(&cloud, &id).await;
    insta::assert_snapshot!(all.lines().rev().take(3).collect::<Vec<_>>().join("\n"), @"
        a DELETE_COMPLETE
        Vpc DELETE_COMPLETE
        Vpc DELETE_IN_PROGRESS
    ");
}

#[tokio::test(start_paused = true)]
async fn delete_of_a_missing_or_deleting_stack_succeeds() {
    let (_fake, cloud) = fake();
    cloud.delete_stack("nothing", None, "t").await.unwrap();
    created(&cloud, "a").await;
    cloud.delete_stack("a", None, "t1").await.unwrap();
    cloud.delete_stack("a", None, "t2").await.unwrap();
    assert_eq!(status(&cloud, "a").await, "DELETE_IN_PROGRESS");
}

#[tokio::test(start_paused = true)]
async fn delete_with_termination_protection_is_refused() {
    let (fake, cloud) = fake();
    let mut request = create("a", RACK);
    request.termination_protection = true;
    cloud.create_stack(&request).await.unwrap();
    settle().await;
    let error = cloud.delete_stack("a", None, "t").await.unwrap_err();
    insta::assert_snapshot!(refusal(&fake, "a", error), @"Validation: ValidationError: Stack [a] cannot be deleted while TerminationProtection is enabled");
    cloud.set_termination_protection("a", false).await.unwrap();
    cloud.delete_stack("a", None, "t").await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn delete_while_the_stack_is_changing_is_refused() {
    let (fake, cloud) = fake();
    created(&cloud, "a").await;
    cloud.update_stack(&upgrade("a")).await.unwrap();
    let error = cloud.delete_stack("a", None, "t").await.unwrap_err();
    insta::assert_snapshot!(refusal(&fake, "a", error), @"Validation: ValidationError: Stack [a] is in UPDATE_IN_PROGRESS state and can not be deleted");
}

#[tokio::test(start_paused = true)]
async fn a_resource_that_cannot_be_deleted_leaves_delete_failed() {
    let (fake, cloud) = fake();
    created(&cloud, "a").await;
    fake.fail_resource("a", "Subnet0");
    cloud.delete_stack("a", None, "t").await.unwrap();
    settle().await;
    assert_eq!(status(&cloud, "a").await, "DELETE_FAILED");
    let last: Vec<String> = events(&cloud, "a")
        .await
        .lines()
        .rev()
        .take(4)
        .map(str::to_string)
        .collect();
    insta::assert_snapshot!(last.join("\n"), @r#"
        a DELETE_FAILED
        Subnet0 DELETE_FAILED (Resource deletion failed: the fake was told to fail it)
        Subnet0 DELETE_IN_PROGRESS
        Cluster DELETE_COMPLETE
    "#);
}

// ---- CancelUpdateStack and ContinueUpdateRollback

#[tokio::test(start_paused = true)]
async fn cancel_rolls_back_what_the_update_reached() {
    let (_fake, cloud) = fake();
    created(&cloud, "a").await;
    let before = events(&cloud, "a").await.lines().count();
    cloud.update_stack(&upgrade("a")).await.unwrap();
    tokio::time::sleep(STEP + STEP / 2).await;
    cloud.cancel_update_stack("a", "cancel-a").await.unwrap();
    assert_eq!(status(&cloud, "a").await, "UPDATE_ROLLBACK_IN_PROGRESS");
    settle().await;
    let stack = cloud.describe_stack("a").await.unwrap().unwrap();
    assert_eq!(stack.status.to_string(), "UPDATE_ROLLBACK_COMPLETE");
    assert_eq!(stack.parameters["Version"], "1");
    let all = events(&cloud, "a").await;
    insta::assert_snapshot!(all.lines().skip(before).collect::<Vec<_>>().join("\n"), @r#"
        a UPDATE_IN_PROGRESS (User Initiated)
        Vpc UPDATE_IN_PROGRESS
        Vpc UPDATE_COMPLETE
        Subnet0 UPDATE_FAILED (Resource update cancelled)
        a UPDATE_ROLLBACK_IN_PROGRESS (User Initiated)
        Subnet0 UPDATE_IN_PROGRESS
        Subnet0 UPDATE_COMPLETE
        Vpc UPDATE_IN_PROGRESS
        Vpc UPDATE_COMPLETE
        a UPDATE_ROLLBACK_COMPLETE
    "#);
}

#[tokio::test(start_paused = true)]
async fn cancel_of_a_settled_stack_is_refused() {
    let (fake, cloud) = fake();
    created(&cloud, "a").await;
    let error = cloud.cancel_update_stack("a", "t").await.unwrap_err();
    insta::assert_snapshot!(refusal(&fake, "a", error), @"Validation: ValidationError: CancelUpdateStack cannot be called from current stack status");
}

#[tokio::test(start_paused = true)]
async fn cancel_of_a_rollback_is_refused() {
    let (fake, cloud) = fake();
    created(&cloud, "a").await;
    fake.fail_resource("a", "Vpc");
    cloud.update_stack(&upgrade("a")).await.unwrap();
    tokio::time::sleep(STEP + STEP / 2).await;
    assert_eq!(status(&cloud, "a").await, "UPDATE_ROLLBACK_IN_PROGRESS");
    let error = cloud.cancel_update_stack("a", "t").await.unwrap_err();
    insta::assert_snapshot!(refusal(&fake, "a", error), @"Validation: ValidationError: CancelUpdateStack cannot be called from current stack status");
}

#[tokio::test(start_paused = true)]
async fn cancel_arriving_just_after_the_update_finished_is_refused() {
    let (fake, cloud) = fake();
    created(&cloud, "a").await;
    cloud.update_stack(&upgrade("a")).await.unwrap();
    fake.finish_before_cancel("a");
    let error = cloud.cancel_update_stack("a", "t").await.unwrap_err();
    insta::assert_snapshot!(refusal(&fake, "a", error), @"Validation: ValidationError: CancelUpdateStack cannot be called from current stack status");
    assert_eq!(status(&cloud, "a").await, "UPDATE_COMPLETE");
}

#[tokio::test(start_paused = true)]
async fn continue_rollback_is_refused_unless_the_rollback_failed() {
    let (fake, cloud) = fake();
    created(&cloud, "a").await;
    let error = cloud
        .continue_update_rollback("a", None, "t", &[])
        .await
        .unwrap_err();
    insta::assert_snapshot!(refusal(&fake, "a", error), @"Validation: ValidationError: Stack [a] is in CREATE_COMPLETE state and can not continue an update rollback");
}

#[tokio::test(start_paused = true)]
async fn continue_rollback_from_update_rollback_failed_completes_the_rollback() {
    let (fake, cloud) = fake();
    created(&cloud, "a").await;
    fake.set_status(ACCOUNT, REGION, "a", "UPDATE_ROLLBACK_FAILED");
    cloud
        .continue_update_rollback("a", None, "t", &[])
        .await
        .unwrap();
    assert_eq!(status(&cloud, "a").await, "UPDATE_ROLLBACK_IN_PROGRESS");
    settle().await;
    assert_eq!(status(&cloud, "a").await, "UPDATE_ROLLBACK_COMPLETE");
}

// ---- Reads, credentials, other services

#[tokio::test(start_paused = true)]
async fn reads_of_a_missing_stack_are_refused() {
    let (fake, cloud) = fake();
    let answers = [
        cloud.stack_events("a").await.map(|_| ()),
        cloud.stack_template("a").await.map(|_| ()),
        cloud.stack_template_summary("a").await.map(|_| ()),
        cloud.stack_resources("a").await.map(|_| ()),
        cloud.set_termination_protection("a", true).await,
        cloud.continue_update_rollback("a", None, "t", &[]).await,
        cloud.cancel_update_stack("a", "t").await,
    ];
    let text: Vec<String> = answers
        .into_iter()
        .map(|answer| refusal(&fake, "a", answer.unwrap_err()))
        .collect();
    insta::assert_snapshot!(text.join("\n"), @r#"
        Validation: ValidationError: Stack [a] does not exist
        Validation: ValidationError: Stack with id a does not exist
        Validation: ValidationError: Stack with id a does not exist
        Validation: ValidationError: Stack with id a does not exist
        Validation: ValidationError: Stack [a] does not exist
        Validation: ValidationError: Stack [a] does not exist
        Validation: ValidationError: Stack [a] does not exist
    "#);
}

#[tokio::test(start_paused = true)]
async fn a_deleted_stack_is_gone_for_every_call_by_its_name() {
    let (fake, cloud) = fake();
    created(&cloud, "a").await;
    cloud.delete_stack("a", None, "t").await.unwrap();
    settle().await;
    let answers = [
        cloud.update_stack(&upgrade("a")).await.map(|_| ()),
        cloud.stack_template("a").await.map(|_| ()),
        cloud.stack_template_summary("a").await.map(|_| ()),
        cloud.stack_events("a").await.map(|_| ()),
        cloud.stack_resources("a").await.map(|_| ()),
        cloud.set_termination_protection("a", true).await,
        cloud.cancel_update_stack("a", "t").await,
    ];
    let text: Vec<String> = answers
        .into_iter()
        .map(|answer| match answer {
            Ok(()) => "accepted".to_string(),
            Err(error) => refusal(&fake, "a", error),
        })
        .collect();
    insta::assert_snapshot!(text.join("\n"), @r#"
        Validation: ValidationError: Stack [a] does not exist
        Validation: ValidationError: Stack with id a does not exist
        Validation: ValidationError: Stack with id a does not exist
        Validation: ValidationError: Stack [a] does not exist
        Validation: ValidationError: Stack with id a does not exist
        Validation: ValidationError: Stack [a] does not exist
        Validation: ValidationError: Stack [a] does not exist
    "#);
    assert_eq!(status(&cloud, "a").await, "no such stack");
}

#[tokio::test(start_paused = true)]
async fn a_denied_operation_is_refused_as_access_denied() {
    let (fake, cloud) = fake();
    fake.deny("ListImports");
    let error = cloud.list_imports("export").await.unwrap_err();
    insta::assert_snapshot!(refusal(&fake, "a", error), @"AccessDenied: AccessDenied: not authorized to perform ListImports");
}

#[tokio::test(start_paused = true)]
async fn a_profile_without_credentials_is_refused() {
    let (fake, _cloud) = fake();
    let org = OrgSettings {
        name: "work".into(),
        profile: Some("work".into()),
        account_id: None,
    };
    let error = fake.account_id(&org, REGION).await.unwrap_err();
    insta::assert_snapshot!(refusal(&fake, "a", error), @r#"NoCredentials: no credentials for profile Some("work")"#);
}

#[tokio::test(start_paused = true)]
async fn s3_refuses_a_missing_key_and_an_object_over_the_limit() {
    let (fake, _cloud) = fake();
    fake.add_s3_object("convox", "release/1/formation.json", "0123456789");
    let object = |key: &str| S3Object {
        bucket: "convox".into(),
        key: key.into(),
        region: REGION.into(),
    };
    let missing = fake
        .s3_object(None, &object("nothing"), 100)
        .await
        .unwrap_err();
    let large = fake
        .s3_object(None, &object("release/1/formation.json"), 5)
        .await
        .unwrap_err();
    let read = fake
        .s3_object(None, &object("release/1/formation.json"), 10)
        .await
        .unwrap();
    insta::assert_snapshot!(format!("{}\n{}\n{read}", refusal(&fake, "a", missing), refusal(&fake, "a", large)), @r#"
        NotFound: NoSuchKey: The specified key does not exist.
        Validation: the template is larger than 5 bytes
        0123456789
    "#);
}

#[tokio::test(start_paused = true)]
async fn put_parameter_never_overwrites() {
    let (fake, _cloud) = fake();
    let org = OrgSettings {
        name: "personal".into(),
        profile: None,
        account_id: None,
    };
    let first = fake
        .put_ssm_secure_string(&org, REGION, "/pw", &Secret::new("one"))
        .await
        .unwrap();
    let second = fake
        .put_ssm_secure_string(&org, REGION, "/pw", &Secret::new("two"))
        .await
        .unwrap();
    assert_eq!(
        (first, second),
        (PutOutcome::Stored, PutOutcome::AlreadyExists)
    );
    assert_eq!(
        fake.ssm_parameter_value(ACCOUNT, REGION, "/pw"),
        Some(("SecureString".into(), "one".into()))
    );
}

#[tokio::test(start_paused = true)]
async fn an_alarm_takes_its_states_at_their_times() {
    let (fake, _cloud) = fake();
    fake.add_alarm(ACCOUNT, REGION, "errors", AlarmState::Ok);
    fake.set_alarm_state_after(
        ACCOUNT,
        REGION,
        "errors",
        AlarmState::Alarm,
        Duration::from_secs(60),
    );
    let org = OrgSettings {
        name: "personal".into(),
        profile: None,
        account_id: None,
    };
    let alarms = fake.alarms(&org, REGION).await.unwrap();
    let names = ["errors".to_string(), "unknown".to_string()];
    let before = alarms.describe_alarms(&names).await.unwrap();
    tokio::time::sleep(Duration::from_secs(60)).await;
    let after = alarms.describe_alarms(&names).await.unwrap();
    insta::assert_snapshot!(format!("{before:?}\n{after:?}"), @r#"
        {"errors": Ok}
        {"errors": Alarm}
    "#);
}

#[tokio::test(start_paused = true)]
async fn an_instance_type_ec2_does_not_know_is_offered_nowhere() {
    let (_fake, cloud) = fake();
    assert_eq!(
        cloud.instance_type_zones("t9.made-up").await.unwrap(),
        Vec::<String>::new()
    );
    assert_eq!(cloud.instance_type_vcpus("t9.made-up").await.unwrap(), None);
    assert_eq!(
        cloud.instance_type_vcpus("m5.xlarge").await.unwrap(),
        Some(4)
    );
    assert_eq!(
        cloud.instance_type_zones("m5.large").await.unwrap(),
        ["us-east-1a", "us-east-1b", "us-east-1c"]
    );
}
