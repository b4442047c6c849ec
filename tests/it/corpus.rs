//! Convox's real release history (DESIGN.md section 6, "Real history"): 40 of the rack templates Convox
//! published from 2016 to 2026 (tests/corpus, written by scripts/gen-convox-corpus from convox/rack's git
//! history). Each rack is planned in process against the strict fake as `rackfile plan` plans it: the live
//! stack was created from the older release's own template (so GetTemplate returns it), and the newer
//! release is read where Convox publishes it (the fake's S3, by the release URL racks.toml's `version`
//! names, with the release list beside it). Two cases a release: the upgrade to the next one in the corpus,
//! and an InstanceType change on it.
//!
//! What must hold for every case (DESIGN.md section 10): a plan, no "too complex", no runtime block of a
//! Lambda function the change leaves alone, the Password in no view, a budget of at least the allowance.
//!
//! This file is also the bench's (benches/corpus.rs includes it), so it uses only rackfile's public API.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::Path;
use std::time::Duration;

use rackfile::cloud::{Cloud, CreateStackRequest, TemplateSource, TemplateSummary};
use rackfile::plan::preflight::Finding;
use rackfile::plan::{
    Action, BlockedWhy, Plan, PlanInputs, PlanningError, PreflightKind, RackPlan, TemplateImpact,
    Update, Verdict, make_plan,
};
use rackfile::render::preflight::says;
use rackfile::template::{Budget, UPDATE_ALLOWANCE_SECONDS, summary_of_body};
use rackfile_fake::{FakeAws, FakeTemplate};

const ACCOUNT: &str = "123456789012";
const REGION: &str = "us-east-1";
const RACK: &str = "rack";
/// The rack's Password, as the stack was installed with it.
pub(crate) const PASSWORD: &str = "corpus-Secret-7f3a9c";
/// An instance type the fake's EC2 offers, and no release's default.
const NEW_INSTANCE_TYPE: &str = "m5.large";

/// One release of the corpus.
pub(crate) struct Release {
    pub(crate) version: String,
    pub(crate) date: String,
    pub(crate) body: String,
    summary: TemplateSummary,
    resources: Vec<(String, String)>,
}

impl Release {
    fn fake_template(&self) -> FakeTemplate {
        FakeTemplate {
            parameters: self.summary.parameters.clone(),
            resources: self.resources.clone(),
        }
    }

    fn password_is_no_echo(&self) -> bool {
        self.summary
            .parameters
            .get("Password")
            .is_some_and(|p| p.no_echo)
    }
}

/// Every release of tests/corpus, oldest first.
pub(crate) fn corpus() -> Vec<Release> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    let manifest: Vec<serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap();
    manifest
        .iter()
        .map(|entry| {
            let version = entry["version"].as_str().unwrap().to_string();
            let compressed = std::fs::read(dir.join(format!("{version}.json.gz"))).unwrap();
            let mut body = String::new();
            flate2::read::GzDecoder::new(compressed.as_slice())
                .read_to_string(&mut body)
                .unwrap();
            let document: serde_json::Value = serde_json::from_str(&body).unwrap();
            let resources = document["Resources"]
                .as_object()
                .unwrap()
                .iter()
                .map(|(id, resource)| (id.clone(), resource["Type"].as_str().unwrap().to_string()))
                .collect();
            Release {
                summary: summary_of_body(&body).unwrap(),
                date: entry["date"].as_str().unwrap().to_string(),
                version,
                body,
                resources,
            }
        })
        .collect()
}

/// What a case changes on a rack live at its release.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Change {
    /// racks.toml names the next release of the corpus.
    Upgrade,
    /// racks.toml keeps the release and sets another instance type.
    InstanceType,
}

pub(crate) struct Case<'a> {
    pub(crate) from: &'a Release,
    pub(crate) to: &'a Release,
    pub(crate) change: Change,
}

impl Case<'_> {
    pub(crate) fn name(&self) -> String {
        match self.change {
            Change::Upgrade => format!("{} > {}", self.from.version, self.to.version),
            Change::InstanceType => {
                format!("{} InstanceType -> {NEW_INSTANCE_TYPE}", self.from.version)
            }
        }
    }
}

/// Every consecutive upgrade, then an InstanceType change on every release.
pub(crate) fn cases(corpus: &[Release]) -> Vec<Case<'_>> {
    let upgrades = corpus.windows(2).map(|pair| Case {
        from: &pair[0],
        to: &pair[1],
        change: Change::Upgrade,
    });
    let instance_types = corpus.iter().map(|release| Case {
        from: release,
        to: release,
        change: Change::InstanceType,
    });
    upgrades.chain(instance_types).collect()
}

fn release_key(version: &str) -> String {
    format!("release/{version}/formation.json")
}

/// A fake account holding the rack live at `case.from` (created from that release's own template, with
/// Convox's tags and the Password), Convox's bucket publishing `case.to` and a release list of the whole
/// corpus, and racks.toml asking for the case's change.
pub(crate) async fn world(
    corpus: &[Release],
    case: &Case<'_>,
) -> (FakeAws, rackfile::config::Config) {
    let fake = FakeAws::new(Duration::from_millis(1));
    fake.add_account(None, ACCOUNT);
    for release in [case.from, case.to] {
        fake.add_s3_object("convox", &release_key(&release.version), &release.body);
        fake.add_template(
            TemplateSource::Url(format!(
                "https://convox.s3.amazonaws.com/{}",
                release_key(&release.version)
            )),
            release.fake_template(),
        );
    }
    let listed: Vec<serde_json::Value> = corpus
        .iter()
        .map(|release| {
            serde_json::json!({"version": release.version, "description": "", "published": true, "required": false})
        })
        .collect();
    fake.add_s3_object(
        "convox",
        "release/versions.json",
        &serde_json::Value::Array(listed).to_string(),
    );

    // The SSM parameters the releases' SSM-typed parameters name (the ECS-optimized AMIs), which AWS
    // resolves at create and at each update: one value each, the same before and after.
    for release in [&case.from, &case.to] {
        let template: serde_json::Value = serde_json::from_str(&release.body).unwrap();
        for declaration in template["Parameters"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(_, d)| d)
        {
            if declaration["Type"]
                .as_str()
                .is_some_and(|kind| kind.starts_with("AWS::SSM::Parameter::Value<"))
                && let Some(name) = declaration["Default"].as_str()
            {
                fake.add_ssm_parameter(ACCOUNT, REGION, name, "String", "ami-0corpus");
            }
        }
    }
    let live = TemplateSource::Body(case.from.body.clone());
    fake.add_template(live.clone(), case.from.fake_template());
    // The fake shows every value in DescribeStacks; AWS shows a NoEcho one as `****`. Installed with what
    // AWS would show, the rack reads as it does on AWS: the Password in clear only where the template does
    // not mark it NoEcho (Convox's releases before 2016-08).
    let password = if case.from.password_is_no_echo() {
        "****"
    } else {
        PASSWORD
    };
    fake.cloud_for(ACCOUNT, REGION)
        .create_stack(&CreateStackRequest {
            name: RACK.into(),
            template: live,
            parameters: BTreeMap::from([
                ("Version".to_string(), case.from.version.clone()),
                ("Password".to_string(), password.to_string()),
            ]),
            tags: BTreeMap::from([
                ("System".to_string(), "convox".to_string()),
                ("Type".to_string(), "rack".to_string()),
            ]),
            termination_protection: false,
            timeout_minutes: None,
            role_arn: None,
            options: Default::default(),
            token: "corpus".into(),
        })
        .await
        .unwrap();
    // The fake plays the create out on tokio's clock; an hour is more than any release's resources take.
    tokio::time::sleep(Duration::from_secs(3600)).await;

    let extra = match case.change {
        Change::Upgrade => String::new(),
        Change::InstanceType => format!("instance_type = \"{NEW_INSTANCE_TYPE}\"\n"),
    };
    let text = format!(
        "[defaults]\norg = \"personal\"\nregion = \"{REGION}\"\n\n[org.personal]\naccount_id = \"{ACCOUNT}\"\n\n\
         [[rack]]\nname = \"{RACK}\"\nversion = \"{}\"\n{extra}",
        case.to.version
    );
    let config = rackfile::config::parse(Path::new("racks.toml"), text, String::new()).unwrap();
    (fake, config)
}

/// The plan `rackfile plan` makes of the case's world.
pub(crate) async fn plan(
    fake: &FakeAws,
    config: &rackfile::config::Config,
) -> Result<Plan, PlanningError> {
    let inputs = PlanInputs {
        env: &|_| None,
        cache: None,
        change_sets: Default::default(),
    };
    make_plan(config, &[], false, fake, inputs).await
}

/// The plan as the diff makes it, before preflight: what a rack that preflight blocks would do, so that
/// its analysis, budget and views are checked too.
pub(crate) async fn plan_before_preflight(
    fake: &FakeAws,
    config: &rackfile::config::Config,
) -> Result<Plan, String> {
    let mut reading = rackfile::plan::read(config, &config.racks, fake, &|_| None, None)
        .await
        .map_err(|errors| format!("{errors:?}"))?;
    let wanted = rackfile::plan::diff(config, reading.state(), false)
        .map(|plan| rackfile::plan::needs::live_template_needs(&plan))
        .unwrap_or_default();
    reading.fetch(config, fake, &|_| None, None, &wanted).await;
    let live = reading.finish(None);
    rackfile::plan::diff(config, &live, false).map_err(|problems| format!("{problems:?}"))
}

/// The plans of a case: the plan, and when preflight blocked the rack, the plan before preflight.
pub(crate) struct Planned {
    pub(crate) full: Result<Plan, PlanningError>,
    pub(crate) before_preflight: Option<Result<Plan, String>>,
}

pub(crate) async fn plan_case(corpus: &[Release], case: &Case<'_>) -> Planned {
    let (fake, config) = world(corpus, case).await;
    let full = plan(&fake, &config).await;
    let blocked_by_preflight = full.as_ref().is_ok_and(|plan| {
        matches!(&plan.racks[0].action, Action::Blocked(blocked) if blocked.why == BlockedWhy::Preflight)
    });
    let before_preflight = if blocked_by_preflight {
        Some(plan_before_preflight(&fake, &config).await)
    } else {
        None
    };
    Planned {
        full,
        before_preflight,
    }
}

/// Every way the plans of `case` fall short of DESIGN.md section 10, each a line naming what and why.
pub(crate) fn shortfalls(case: &Case<'_>, planned: &Planned) -> Vec<String> {
    let plan = match &planned.full {
        Ok(plan) => plan,
        Err(error) => return vec![format!("no plan: {error}")],
    };
    let diffed = match &planned.before_preflight {
        None => plan,
        Some(Ok(plan)) => plan,
        Some(Err(error)) => return vec![format!("no plan before preflight: {error}")],
    };
    let mut found = Vec::new();
    let mut views = Vec::new();
    let mut stages = vec![("", plan)];
    if !std::ptr::eq(plan, diffed) {
        stages.push((" (before preflight)", diffed));
    }
    for (stage, plan) in stages {
        views.push((
            format!("human{stage}"),
            rackfile::render::human_plan(plan, rackfile::render::Style::Plain),
        ));
        views.push((format!("JSON{stage}"), rackfile::render::json_plan(plan)));
        views.push((
            format!("Markdown{stage}"),
            rackfile::render::markdown_plan(plan),
        ));
    }
    for (view, text) in &views {
        if text.contains(PASSWORD) {
            found.push(format!("the Password is printed in the {view} plan"));
        }
    }
    if let Action::Blocked(blocked) = &plan.racks[0].action
        && blocked.why != BlockedWhy::Preflight
    {
        let reason = rackfile::render::blocked::reason(blocked, &plan.racks[0].preflight);
        found.push(format!("blocked ({:?}): {reason}", blocked.why));
    }
    let updates: Vec<&Update> = match &diffed.racks[0].action {
        Action::Update(update) => vec![update],
        Action::Upgrade(upgrade) => upgrade.steps.iter().map(|step| &step.update).collect(),
        other => {
            found.push(format!("planned as `{}`, not as an update", other.symbol()));
            Vec::new()
        }
    };
    let mut touched = BTreeSet::new();
    for update in &updates {
        match &update.analysis {
            Some(TemplateImpact::Analysed { resources, .. }) => {
                for resource in resources {
                    touched.insert(resource.logical_id.clone());
                    if resource.too_complex {
                        found.push(format!(
                            "too complex: {} {}",
                            resource.logical_id,
                            rackfile::render::impact::because(&resource.cause)
                        ));
                    }
                }
            }
            Some(TemplateImpact::NotAnalysed { why }) => {
                found.push(format!("not analysed: {why:?}"));
            }
            None => {
                found.push("no analysis of a change that reaches the template".into());
            }
        }
        match &update.budget {
            Some(Budget::Computed { seconds, .. }) if *seconds >= UPDATE_ALLOWANCE_SECONDS => {}
            Some(Budget::Computed { seconds, .. }) => found.push(format!(
                "a budget of {seconds} s, under the {UPDATE_ALLOWANCE_SECONDS} s allowance"
            )),
            Some(Budget::CannotCompute { why }) => found.push(format!("no budget: {why:?}")),
            None => found.push("no budget".into()),
        }
    }
    // Both changes reach the rack's resources (the instance type its launch configuration, a release its
    // code): an analysis that finds nothing is no analysis.
    if !updates.is_empty() && touched.is_empty() {
        found.push("the analysis finds nothing the change reaches".into());
    }
    if views.iter().any(|(_, text)| text.contains("too complex"))
        && !found.iter().any(|f| f.starts_with("too complex"))
    {
        found.push("a view says \"too complex\"".into());
    }
    found.extend(runtime_blocks_of_untouched_functions(
        case,
        &plan.racks[0],
        &touched,
    ));
    found
}

/// Runtime checks that block a function the change leaves alone (DESIGN.md section 10: CloudFormation does
/// not call Lambda for a function whose properties do not change). A function counts as touched when the
/// plan's analysis lists it or when `touched_resources` finds it may be: a block of a touched function is
/// the check doing its job.
fn runtime_blocks_of_untouched_functions(
    case: &Case<'_>,
    rack: &RackPlan,
    analysed_as_touched: &BTreeSet<String>,
) -> Vec<String> {
    let touched = touched_resources(case);
    rack.preflight
        .iter()
        .filter(|check| check.verdict == Verdict::Blocked)
        .filter_map(|check| {
            let says = says(&check.finding);
            if check.check != PreflightKind::LambdaRuntime {
                return Some(format!("blocked by the {:?} check: {says}", check.check));
            }
            let Finding::DeprecatedRuntime { function, .. } = &check.finding else {
                return None;
            };
            let left_alone = !touched.contains(function) && !analysed_as_touched.contains(function);
            left_alone.then(|| {
                format!("runtime block of {function}, which the change leaves alone: {says}")
            })
        })
        .collect()
}

/// The resources of the newer template the case may create or change, by a reckoning independent of
/// rackfile's and wider than CloudFormation's: new or rewritten resources, and every resource that refers
/// (Ref, Fn::GetAtt, Fn::Sub, a condition) to a changed parameter or to such a resource, to a fixed point.
pub(crate) fn touched_resources(case: &Case<'_>) -> BTreeSet<String> {
    let before: serde_json::Value = serde_json::from_str(&case.from.body).unwrap();
    let after: serde_json::Value = serde_json::from_str(&case.to.body).unwrap();
    let mut changed: BTreeSet<String> = match case.change {
        Change::InstanceType => BTreeSet::from(["InstanceType".to_string()]),
        Change::Upgrade => {
            let old = before["Parameters"].as_object().unwrap();
            after["Parameters"]
                .as_object()
                .unwrap()
                .iter()
                .filter(|(name, declared)| old.get(*name) != Some(declared) || *name == "Version")
                .map(|(name, _)| name.clone())
                .collect()
        }
    };
    let conditions = after["Conditions"].as_object().cloned().unwrap_or_default();
    let resources = after["Resources"].as_object().unwrap();
    let old_resources = before["Resources"].as_object().unwrap();
    for (id, resource) in resources {
        if old_resources.get(id) != Some(resource) {
            changed.insert(id.clone());
        }
    }
    loop {
        let mut grew = false;
        for (name, condition) in &conditions {
            if !changed.contains(name) && references(condition).iter().any(|r| changed.contains(r))
            {
                changed.insert(name.clone());
                grew = true;
            }
        }
        for (id, resource) in resources {
            if !changed.contains(id) && references(resource).iter().any(|r| changed.contains(r)) {
                changed.insert(id.clone());
                grew = true;
            }
        }
        if !grew {
            break;
        }
    }
    changed.retain(|name| resources.contains_key(name));
    changed
}

/// The names a piece of template refers to: parameters, resources and conditions alike.
fn references(value: &serde_json::Value) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut stack = vec![value];
    while let Some(value) = stack.pop() {
        match value {
            serde_json::Value::Object(object) => {
                for (key, inner) in object {
                    match (key.as_str(), inner) {
                        ("Ref" | "Condition", serde_json::Value::String(name)) => {
                            found.insert(name.clone());
                        }
                        ("Fn::GetAtt", serde_json::Value::Array(parts)) => {
                            if let Some(serde_json::Value::String(name)) = parts.first() {
                                found.insert(name.clone());
                            }
                        }
                        ("Fn::GetAtt", serde_json::Value::String(dotted)) => {
                            found.insert(dotted.split('.').next().unwrap_or_default().to_string());
                        }
                        ("Fn::If", serde_json::Value::Array(parts)) => {
                            if let Some(serde_json::Value::String(name)) = parts.first() {
                                found.insert(name.clone());
                            }
                        }
                        _ => {}
                    }
                    if let ("Fn::Sub", text) = (key.as_str(), inner) {
                        let text = match text {
                            serde_json::Value::Array(parts) => {
                                parts.first().and_then(|p| p.as_str())
                            }
                            other => other.as_str(),
                        };
                        for piece in text.unwrap_or_default().split("${").skip(1) {
                            let name = piece.split('}').next().unwrap_or_default();
                            found.insert(name.split('.').next().unwrap_or_default().to_string());
                        }
                    }
                    stack.push(inner);
                }
            }
            serde_json::Value::Array(items) => stack.extend(items),
            _ => {}
        }
    }
    found
}

/// Plans every case and asserts that none falls short, listing every shortfall of every case.
async fn plan_every(change: Change) {
    let corpus = corpus();
    assert!(
        corpus.len() >= 25,
        "the corpus has {} releases",
        corpus.len()
    );
    let mut failures = Vec::new();
    let mut planned = 0;
    for case in cases(&corpus).iter().filter(|case| case.change == change) {
        let planned_case = plan_case(&corpus, case).await;
        planned += 1;
        for shortfall in shortfalls(case, &planned_case) {
            failures.push(format!("{} ({}): {shortfall}", case.name(), case.from.date));
        }
    }
    assert!(planned >= 24, "{planned} cases planned");
    assert!(
        failures.is_empty(),
        "{} shortfalls in {planned} cases:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[tokio::test(start_paused = true)]
async fn every_consecutive_upgrade_of_convox_releases_is_planned_within_the_verdict_rules() {
    plan_every(Change::Upgrade).await;
}

#[tokio::test(start_paused = true)]
async fn an_instance_type_change_on_every_convox_release_is_planned_within_the_verdict_rules() {
    plan_every(Change::InstanceType).await;
}

/// The checks above would pass on a corpus that hides nothing: the Password is in clear in the stacks of
/// the releases before 2016-08, so that the test of every view is a test.
#[tokio::test(start_paused = true)]
async fn the_oldest_releases_show_the_password_in_clear_to_describe_stacks() {
    let corpus = corpus();
    let oldest = &corpus[0];
    assert!(!oldest.password_is_no_echo(), "{}", oldest.version);
    let case = Case {
        from: oldest,
        to: oldest,
        change: Change::InstanceType,
    };
    let (fake, _) = world(&corpus, &case).await;
    let stack = fake.stack(ACCOUNT, REGION, RACK).unwrap();
    assert_eq!(stack.parameters["Password"], PASSWORD);
    assert!(corpus.last().unwrap().password_is_no_echo());
}

/// What the runtime assertion rests on: the reckoning of what a change may touch follows references, so a
/// function fed the new Version or rewritten is touched and one that neither names nor is rewritten is not.
#[test]
fn the_reckoning_of_touched_resources_follows_references_and_leaves_unrelated_functions_alone() {
    let corpus = corpus();
    let release = |version: &str| corpus.iter().find(|r| r.version == version).unwrap();
    let newest = release("20260421192651");
    let instance_type = touched_resources(&Case {
        from: newest,
        to: newest,
        change: Change::InstanceType,
    });
    for launch_template in ["InstancesLaunchTemplate", "BuildLaunchTemplate"] {
        assert!(instance_type.contains(launch_template), "{instance_type:?}");
    }
    assert!(!instance_type.contains("CustomTopic"), "{instance_type:?}");

    let upgrade = touched_resources(&Case {
        from: release("20160827235031"),
        to: release("20161130205330"),
        change: Change::Upgrade,
    });
    // CustomTopic is the same in both templates but its code is the release's; the lifecycle handler is
    // rewritten; the log subscription function is neither.
    assert!(upgrade.contains("CustomTopic"), "{upgrade:?}");
    assert!(upgrade.contains("InstancesLifecycleHandler"), "{upgrade:?}");
    assert!(
        !upgrade.contains("LogSubscriptionFilterFunction"),
        "{upgrade:?}"
    );
}
