//! Fixtures shared by the planner's tests: a rack, its stack as installed, the facts of a live state
//! holding both (a `LiveStateBuilder`, built for the racks a test plans).

use std::path::PathBuf;

// What every test of the planner names, so that each file's tests need only this and their own module.
pub(in crate::plan) use super::diff;
pub(in crate::plan) use crate::cloud::{
    CloudError, CloudErrorKind, Declarations, RegionKey, Stack, StackKey, TemplateParameter,
    TemplateSource, TemplateSummary,
};
pub(in crate::plan) use crate::config::{Config, Rack, Template};
pub(in crate::plan) use crate::convox::{Dependent, Releases};
pub(in crate::plan) use crate::live::{LiveStateBuilder, template_source};
pub(in crate::plan) use crate::plan::checks::PlanProblem;
pub(in crate::plan) use crate::plan::*;
pub(in crate::plan) use crate::template::parse_document;
pub(in crate::plan) use std::collections::{BTreeMap, BTreeSet};
pub(in crate::plan) use std::sync::Arc;

use crate::config::{OrgSettings, RackSpans};

pub(in crate::plan) const ACCOUNT: &str = "123456789012";
pub(in crate::plan) const URL: &str = "https://convox.s3.amazonaws.com/release/2/formation.json";
pub(in crate::plan) const PATTERN: &str = crate::config::DEFAULT_TEMPLATE_URL;

pub(in crate::plan) fn rack() -> Rack {
    Rack {
        org: "personal".into(),
        name: "example".into(),
        region: "us-east-1".into(),
        version: "2".into(),
        instance_type: Some("t2.small".into()),
        instance_count: Some(3),
        private: Some(false),
        template: Template::Url {
            url: URL.into(),
            pattern: PATTERN.into(),
        },
        password_env: None,
        password_ssm: None,
        parameters: BTreeMap::new(),
        tags: BTreeMap::new(),
        ignore_changes: BTreeSet::new(),
        refresh: BTreeSet::new(),
        drift_ignore: Vec::new(),
        absent: false,
        protect: None,
        role_arn: None,
        notification_arns: None,
        stack_policy: None,
        rollback_minutes: None,
        alarms: Vec::new(),
        spans: RackSpans::default(),
    }
}

pub(in crate::plan) fn config() -> Config {
    Config {
        path: PathBuf::from("racks.toml"),
        fingerprint: "f".repeat(64),
        source: String::new(),
        orgs: BTreeMap::from([(
            "personal".to_string(),
            OrgSettings {
                name: "personal".into(),
                profile: None,
                account_id: None,
            },
        )]),
        racks: Vec::new(),
        rollout: None,
    }
}

pub(in crate::plan) fn summary() -> TemplateSummary {
    let parameter = |default: Option<&str>, no_echo| TemplateParameter {
        kind: "String".into(),
        default: default.map(str::to_string),
        no_echo,
        ..TemplateParameter::default()
    };
    TemplateSummary {
        parameters: BTreeMap::from([
            ("Ami".to_string(), parameter(Some(""), false)),
            ("Autoscale".to_string(), parameter(Some("No"), false)),
            ("InstanceCount".to_string(), parameter(Some("3"), false)),
            (
                "InstanceType".to_string(),
                parameter(Some("t2.small"), false),
            ),
            ("Key".to_string(), parameter(Some(""), true)),
            ("NewInRelease".to_string(), parameter(Some("x"), false)),
            ("Password".to_string(), parameter(None, true)),
            ("Private".to_string(), parameter(Some("No"), false)),
            ("Version".to_string(), parameter(None, false)),
        ]),
        resource_count: 11,
        declarations: Declarations::Complete,
    }
}

/// A stack exactly as `rack()` would be installed, plus an unmanaged parameter and tag set by hand.
pub(in crate::plan) fn stack(status: &str) -> Stack {
    Stack {
        stack_id: "arn:aws:cloudformation:us-east-1:123456789012:stack/example/1".into(),
        name: "example".into(),
        status: status.into(),
        status_reason: None,
        last_updated: "2026-11-01T00:00:00Z".into(),
        parameters: BTreeMap::from([
            ("Ami".to_string(), "ami-123".to_string()),
            ("Autoscale".to_string(), "No".to_string()),
            ("InstanceCount".to_string(), "3".to_string()),
            ("InstanceType".to_string(), "t2.small".to_string()),
            ("Key".to_string(), "****".to_string()),
            ("Password".to_string(), "****".to_string()),
            ("Private".to_string(), "No".to_string()),
            ("Version".to_string(), "2".to_string()),
        ]),
        tags: BTreeMap::from([
            ("System".to_string(), "convox".to_string()),
            ("Type".to_string(), "rack".to_string()),
            ("cost-center".to_string(), "42".to_string()),
        ]),
        outputs: BTreeMap::new(),
        termination_protection: false,
        parent_id: None,
        resolved: BTreeMap::new(),
        role_arn: None,
        notification_arns: Vec::new(),
        rollback: None,
    }
}

/// The facts of `rack`'s account with `stacks`: its template, Convox's releases 1 to 3, a `password_env`
/// set, and the live template of a rack built from a local file.
pub(in crate::plan) fn live(stacks: Vec<Stack>, rack: &Rack) -> LiveStateBuilder {
    let mut state = LiveStateBuilder::default();
    state.record_account("personal", ACCOUNT);
    state.record_stacks(RegionKey::new(ACCOUNT, "us-east-1"), stacks);
    state.record_template(ACCOUNT, template_source(&rack.template), Ok(summary()));
    state.record_releases(Some(releases(&[
        ("1", true, false),
        ("2", true, false),
        ("3", true, false),
    ])));
    // A rack's `password_env` is set, to a password the template accepts.
    if let Some(variable) = &rack.password_env {
        state.record_password_env(variable, crate::cloud::Secret::new("pw"));
    }
    if let Template::File { .. } = rack.template {
        state.record_live_template(
            StackKey::new(ACCOUNT, "us-east-1", "example"),
            Ok("Resources: {}\n".to_string()),
        );
    }
    state
}

pub(in crate::plan) fn releases(list: &[(&str, bool, bool)]) -> Releases {
    let json: Vec<String> = list
        .iter()
        .map(|(version, published, required)| {
            format!(
                r#"{{"version": "{version}", "published": {published}, "required": {required}}}"#
            )
        })
        .collect();
    Releases::parse(&format!("[{}]", json.join(","))).unwrap()
}

pub(in crate::plan) fn url_of(version: &str) -> String {
    PATTERN.replace("{version}", version)
}

/// Releases 1 to 5, 3 required, 5 not published yet, with a template for each.
pub(in crate::plan) fn with_required_release(state: &mut LiveStateBuilder) {
    state.record_releases(Some(releases(&[
        ("1", true, false),
        ("2", true, false),
        ("3", true, true),
        ("4", true, false),
        ("5", false, false),
    ])));
    for version in ["3", "4", "5"] {
        state.record_template(ACCOUNT, TemplateSource::Url(url_of(version)), Ok(summary()));
    }
}

pub(in crate::plan) fn plan_with_required_release(rack: Rack) -> Result<Plan, Vec<PlanProblem>> {
    let mut state = live(vec![stack("UPDATE_COMPLETE")], &rack);
    with_required_release(&mut state);
    diff(&config(), &state.build(&[rack]), false)
}

pub(in crate::plan) fn plan_of(rack: Rack, stacks: Vec<Stack>) -> Result<Plan, Vec<PlanProblem>> {
    diff(&config(), &live(stacks, &rack).build(&[rack]), false)
}

pub(in crate::plan) fn only_action(rack: Rack, stacks: Vec<Stack>) -> Action {
    plan_of(rack, stacks).unwrap().racks.remove(0).action
}

pub(in crate::plan) fn changes(rack: Rack) -> Vec<(String, Option<String>, Option<String>)> {
    match only_action(rack, vec![stack("UPDATE_COMPLETE")]) {
        Action::Update(update) => update
            .changes
            .into_iter()
            .map(|c| (c.name, c.before, c.after))
            .collect(),
        other => panic!("expected an update, got {other:?}"),
    }
}

pub(in crate::plan) fn change(
    name: &str,
    before: &str,
    after: &str,
) -> (String, Option<String>, Option<String>) {
    (name.into(), Some(before.into()), Some(after.into()))
}

pub(in crate::plan) const RETAINING_TEMPLATE: &str = "Resources:\n  Settings:\n    Type: AWS::S3::Bucket\n    DeletionPolicy: Retain\n  Vpc:\n    Type: AWS::EC2::VPC\n";

pub(in crate::plan) fn tagged(name: &str, tags: &[(&str, &str)], parent: Option<&str>) -> Stack {
    let mut tagged = stack("UPDATE_COMPLETE");
    tagged.name = name.into();
    tagged.stack_id = format!("arn:aws:cloudformation:us-east-1:{ACCOUNT}:stack/{name}/1");
    tagged.tags = tags
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    tagged.parent_id = parent.map(str::to_string);
    tagged
}

/// Instances from a launch configuration, replaced a batch at a time.
pub(in crate::plan) const INSTANCES_TEMPLATE: &str = r#"{
    "Parameters": {"InstanceType": {"Type": "String"}, "InstanceCount": {"Type": "Number"},
                   "Version": {"Type": "String"}},
    "Resources": {
        "LaunchConfiguration": {"Type": "AWS::AutoScaling::LaunchConfiguration",
            "Properties": {"ImageId": "ami-1", "InstanceType": {"Ref": "InstanceType"}}},
        "Instances": {"Type": "AWS::AutoScaling::AutoScalingGroup",
            "Properties": {"LaunchConfigurationName": {"Ref": "LaunchConfiguration"},
                           "MinSize": "1", "MaxSize": "9", "DesiredCapacity": {"Ref": "InstanceCount"}},
            "UpdatePolicy": {"AutoScalingRollingUpdate": {"MaxBatchSize": 1}}}
    }
}"#;
