//! What a plan reads from AWS, counted on the fake's call log: what racks share is read once, a live
//! template only when the plan wants it, an SSM parameter only for a rack that updates (once per name per
//! account and region), nothing of CloudFormation before the account guard holds.

mod ssm_reads {
    use std::path::Path;
    use std::time::Duration;

    use rackfile::cloud::{TemplateParameter, TemplateSource};
    use rackfile::plan::{Action, HoldReason, Plan, PlanInputs, make_plan};
    use rackfile_fake::{FakeAws, FakeTemplate};

    use crate::common::snapshot_settings;

    const ACCOUNT: &str = "123456789012";
    const REGION: &str = "us-east-1";
    const URL: &str = "https://example.com/rack.json";
    const AMI: &str = "/aws/service/ecs/optimized-ami/amazon-linux-2/recommended/image_id";

    /// Three racks installed from a template with an SSM-typed AMI, before AWS published a newer one.
    async fn racks_after_a_newer_ami() -> FakeAws {
        let aws = FakeAws::new(Duration::ZERO);
        aws.add_account(None, ACCOUNT);
        let mut template =
            FakeTemplate::rack(&[("Instances", "AWS::AutoScaling::AutoScalingGroup")]);
        template.parameters.insert(
            "DefaultAmi".into(),
            TemplateParameter {
                kind: "AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>".into(),
                default: Some(AMI.into()),
                ..TemplateParameter::default()
            },
        );
        aws.add_template(TemplateSource::Url(URL.into()), template);
        aws.add_ssm_parameter(ACCOUNT, REGION, AMI, "String", "ami-0aaa");
        for name in ["web", "idle", "fresh"] {
            aws.seed_convox_rack(
                ACCOUNT,
                REGION,
                name,
                TemplateSource::Url(URL.into()),
                &[("Version", "1"), ("Password", "p"), ("DefaultAmi", AMI)],
            )
            .await;
        }
        tokio::time::sleep(Duration::from_secs(60)).await;
        aws.add_ssm_parameter(ACCOUNT, REGION, AMI, "String", "ami-0bbb");
        aws
    }

    /// The plan as `rackfile plan` prints it.
    fn shown(plan: &Plan) -> String {
        rackfile::render::human_plan(plan, rackfile::render::Style::Plain)
    }

    fn racks_toml(web: &str, fresh: &str) -> rackfile::config::Config {
        let text = format!(
            "[defaults]\norg = \"personal\"\nregion = \"{REGION}\"\nversion = \"1\"\n\
             [org.personal]\naccount_id = \"{ACCOUNT}\"\n\
             [[rack]]\nname = \"web\"\n{web}\n[[rack]]\nname = \"idle\"\n[[rack]]\nname = \"fresh\"\n{fresh}\n"
        )
        .replace("[[rack]]\n", &format!("[[rack]]\ntemplate_url = \"{URL}\"\n"));
        rackfile::config::parse(Path::new("racks.toml"), text, String::new()).unwrap()
    }

    async fn plan_of(
        aws: &FakeAws,
        config: &rackfile::config::Config,
    ) -> (rackfile::plan::Plan, usize) {
        let before = aws.calls().len();
        let inputs = PlanInputs {
            env: &|_| None,
            cache: None,
            change_sets: Default::default(),
        };
        let plan = make_plan(config, &[], false, aws, inputs).await.unwrap();
        let reads = aws.calls()[before..]
            .iter()
            .filter(|call| call.operation == "GetParameter")
            .count();
        (plan, reads)
    }

    #[tokio::test(start_paused = true)]
    async fn plan_of_unchanged_racks_reads_no_parameter_and_of_updates_each_name_once() {
        let aws = racks_after_a_newer_ami().await;
        let (plan, reads) = plan_of(&aws, &racks_toml("", "")).await;
        assert_eq!(reads, 0, "an unchanged fleet costs no GetParameter");
        assert!(
            plan.racks
                .iter()
                .all(|rack| rack.action == Action::Unchanged)
        );
        let human = shown(&plan);
        assert!(
            !human.contains("DefaultAmi"),
            "not read, not known:\n{human}"
        );

        let config = racks_toml("instance_count = 5", "refresh = [\"DefaultAmi\"]");
        let (plan, reads) = plan_of(&aws, &config).await;
        assert_eq!(reads, 1, "one read per name per (account, region)");
        let [web, idle, fresh] = &plan.racks[..] else {
            panic!("three racks: {plan:?}");
        };
        let names = |action: &Action| -> Vec<String> {
            action
                .changes()
                .iter()
                .map(|change| change.name.clone())
                .collect()
        };
        assert_eq!(names(&web.action), ["InstanceCount", "DefaultAmi"]);
        assert_eq!(names(&fresh.action), ["DefaultAmi"]);
        assert_eq!(idle.action, Action::Unchanged);
        // A value read for another rack is noted for the idle one.
        snapshot_settings().bind(|| insta::assert_snapshot!(shown(&plan), @"
            Read account 123456789012 (org personal): us-east-1

            ~ personal/web (us-east-1) will be updated
                InstanceCount: 3 -> 5
                DefaultAmi (SSM /aws/service/ecs/optimized-ami/amazon-linux-2/recommended/image_id): ami-0aaa -> ami-0bbb, resolved at update
                impact: not analysed (https://example.com/rack.json is read through GetTemplateSummary, which does not return its resources); what the change replaces is unknown
                budget: cannot compute: the update could not be analysed: https://example.com/rack.json is read through GetTemplateSummary, which does not return its resources
                note: https://example.com/rack.json is neither a local file nor in S3, so only parameter types and AllowedValues were checked (not AllowedPattern, lengths or bounds)
                preflight: not checked: the exports the update removes are not known: https://example.com/rack.json was read through GetTemplateSummary, which does not return its outputs or resources (read: the live and planned templates)
                preflight: not checked: the Lambda runtimes are not known: https://example.com/rack.json was read through GetTemplateSummary, which does not return its outputs or resources (read: the planned template)
                preflight: not checked: the zones of the rack's subnets are not all known: https://example.com/rack.json was read through GetTemplateSummary, which does not return its outputs or resources (read: DescribeInstanceTypeOfferings t2.small in us-east-1)

              personal/idle (us-east-1) no changes
                note: https://example.com/rack.json is neither a local file nor in S3, so only parameter types and AllowedValues were checked (not AllowedPattern, lengths or bounds)
                note: DefaultAmi (SSM /aws/service/ecs/optimized-ami/amazon-linux-2/recommended/image_id): ami-0aaa -> ami-0bbb in Parameter Store, resolved at the rack's next update (list it in `refresh` to update now)

            ~ personal/fresh (us-east-1) will be updated
                DefaultAmi (SSM /aws/service/ecs/optimized-ami/amazon-linux-2/recommended/image_id): ami-0aaa -> ami-0bbb, resolved at update
                impact: not analysed (https://example.com/rack.json is read through GetTemplateSummary, which does not return its resources); what the change replaces is unknown
                budget: cannot compute: the update could not be analysed: https://example.com/rack.json is read through GetTemplateSummary, which does not return its resources
                note: https://example.com/rack.json is neither a local file nor in S3, so only parameter types and AllowedValues were checked (not AllowedPattern, lengths or bounds)
                preflight: not checked: the exports the update removes are not known: https://example.com/rack.json was read through GetTemplateSummary, which does not return its outputs or resources (read: the live and planned templates)
                preflight: not checked: the Lambda runtimes are not known: https://example.com/rack.json was read through GetTemplateSummary, which does not return its outputs or resources (read: the planned template)

            Plan: 0 to install, 2 to update, 1 unchanged, 0 blocked.
            "));
    }

    #[tokio::test(start_paused = true)]
    async fn plan_notes_a_denied_read_and_holds_the_rack_never_in_place() {
        let aws = racks_after_a_newer_ami().await;
        aws.deny("GetParameter");
        let (plan, reads) = plan_of(&aws, &racks_toml("instance_count = 5", "")).await;
        assert_eq!(reads, 1);
        let web = &plan.racks[0];
        snapshot_settings().bind(|| insta::assert_snapshot!(shown(&plan), @"
            Read account 123456789012 (org personal): us-east-1

            ~ personal/web (us-east-1) will be updated
                InstanceCount: 3 -> 5
                DefaultAmi (SSM /aws/service/ecs/optimized-ami/amazon-linux-2/recommended/image_id): ami-0aaa -> (cannot be read), resolved at update
                impact: not analysed (https://example.com/rack.json is read through GetTemplateSummary, which does not return its resources); what the change replaces is unknown
                budget: cannot compute: the update could not be analysed: https://example.com/rack.json is read through GetTemplateSummary, which does not return its resources
                note: https://example.com/rack.json is neither a local file nor in S3, so only parameter types and AllowedValues were checked (not AllowedPattern, lengths or bounds)
                note: DefaultAmi: cannot read SSM parameter /aws/service/ecs/optimized-ami/amazon-linux-2/recommended/image_id: AccessDenied: not authorized to perform ssm:GetParameter; what CloudFormation resolves it to at the update is unknown, so what it reaches may change
                preflight: not checked: the exports the update removes are not known: https://example.com/rack.json was read through GetTemplateSummary, which does not return its outputs or resources (read: the live and planned templates)
                preflight: not checked: the Lambda runtimes are not known: https://example.com/rack.json was read through GetTemplateSummary, which does not return its outputs or resources (read: the planned template)
                preflight: not checked: the zones of the rack's subnets are not all known: https://example.com/rack.json was read through GetTemplateSummary, which does not return its outputs or resources (read: DescribeInstanceTypeOfferings t2.small in us-east-1)

              personal/idle (us-east-1) no changes
                note: https://example.com/rack.json is neither a local file nor in S3, so only parameter types and AllowedValues were checked (not AllowedPattern, lengths or bounds)
                note: DefaultAmi: cannot read SSM parameter /aws/service/ecs/optimized-ami/amazon-linux-2/recommended/image_id: AccessDenied: not authorized to perform ssm:GetParameter; what CloudFormation resolves it to at the update is unknown, so what it reaches may change

              personal/fresh (us-east-1) no changes
                note: https://example.com/rack.json is neither a local file nor in S3, so only parameter types and AllowedValues were checked (not AllowedPattern, lengths or bounds)
                note: DefaultAmi: cannot read SSM parameter /aws/service/ecs/optimized-ami/amazon-linux-2/recommended/image_id: AccessDenied: not authorized to perform ssm:GetParameter; what CloudFormation resolves it to at the update is unknown, so what it reaches may change

            Plan: 0 to install, 1 to update, 2 unchanged, 0 blocked.
            "));
        assert!(
            web.hold.iter().any(|reason| matches!(
                reason,
                HoldReason::SsmUnresolved { parameter, .. } if parameter == "DefaultAmi"
            )),
            "{:?}",
            web.hold
        );
    }
}
mod reads {
    use std::collections::BTreeSet;
    use std::path::Path;
    use std::time::Duration;

    use rackfile::cloud::{AlarmState, TemplateSource};
    use rackfile::config::Config;
    use rackfile::live::{AlarmRead, Needs};
    use rackfile::plan::read;
    use rackfile_fake::{FakeAws, FakeTemplate};

    const ACCOUNT: &str = "123456789012";
    const REGION: &str = "us-east-1";
    /// Not in S3: GetTemplateSummary reads it, once per account.
    const URL: &str = "https://example.com/rack.json";

    async fn install(aws: &FakeAws, name: &str) {
        aws.seed_convox_rack(
            ACCOUNT,
            REGION,
            name,
            TemplateSource::Url(URL.into()),
            &[("Version", "1"), ("Password", "p")],
        )
        .await;
    }

    fn racks_toml(names: &[&str]) -> Config {
        let mut text = format!(
            "[defaults]\norg = \"personal\"\nregion = \"{REGION}\"\nversion = \"1\"\n\
             [org.personal]\naccount_id = \"{ACCOUNT}\"\n\
             [rollout]\nwaves = [[\"*\"]]\nalarms = [\"rack-{{name}}-5xx\"]\n"
        );
        for name in names {
            text.push_str(&format!(
                "[[rack]]\nname = \"{name}\"\ntemplate_url = \"{URL}\"\n"
            ));
        }
        rackfile::config::parse(Path::new("racks.toml"), text, String::new()).unwrap()
    }

    #[tokio::test(start_paused = true)]
    async fn what_racks_share_is_read_once_and_a_live_template_only_when_wanted() {
        let aws = FakeAws::new(Duration::ZERO);
        aws.add_account(None, ACCOUNT);
        aws.add_template(TemplateSource::Url(URL.into()), FakeTemplate::rack(&[]));
        install(&aws, "web-1").await;
        install(&aws, "web-2").await;
        tokio::time::sleep(Duration::from_secs(60)).await;
        aws.add_alarm(ACCOUNT, REGION, "rack-web-1-5xx", AlarmState::Ok);
        let config = racks_toml(&["web-1", "web-2", "web-3"]);
        let before = aws.calls().len();

        let mut reading = read(&config, &config.racks, &aws, &|_| None, None)
            .await
            .unwrap();
        let calls = aws.calls()[before..].to_vec();
        let count = |operation: &str| calls.iter().filter(|c| c.operation == operation).count();
        let counts = [
            "GetCallerIdentity",
            "DescribeStacks",
            "GetTemplateSummary",
            "DescribeAlarms",
            "GetTemplate",
        ]
        .map(count);
        assert_eq!(counts, [1, 1, 1, 1, 0], "{calls:?}");

        let state = reading.state();
        let key = |index: usize| state.racks()[index].key.clone();
        assert!(state.live_template(&key(0)).is_none());
        let alarms = |index: usize| state.alarms_of(&state.racks()[index].rack, &key(index));
        assert_eq!(
            alarms(0),
            [(
                "rack-web-1-5xx".to_string(),
                AlarmRead::State(AlarmState::Ok)
            )]
        );
        assert_eq!(
            alarms(1),
            [("rack-web-2-5xx".to_string(), AlarmRead::Missing)]
        );

        // A later round: web-1's live template, read once however often asked for; web-2's not wanted.
        let (web_1, web_2) = (key(0), key(1));
        let wanted = Needs {
            live_templates: BTreeSet::from([web_1.clone()]),
            ..Needs::default()
        };
        let before = aws.calls().len();
        reading.fetch(&config, &aws, &|_| None, None, &wanted).await;
        reading.fetch(&config, &aws, &|_| None, None, &wanted).await;
        let get_template = aws.calls()[before..]
            .iter()
            .filter(|c| c.operation == "GetTemplate")
            .count();
        assert_eq!(get_template, 1);
        assert!(matches!(reading.state().live_template(&web_1), Some(Ok(_))));
        assert!(reading.state().live_template(&web_2).is_none());
    }

    #[tokio::test(start_paused = true)]
    async fn an_org_refused_by_its_guard_is_one_error_however_many_racks_it_has() {
        let aws = FakeAws::new(Duration::ZERO);
        aws.add_account(None, "999999999999");
        let config = racks_toml(&["web-1", "web-2"]);
        let Err(errors) = read(&config, &config.racks, &aws, &|_| None, None).await else {
            panic!("the account guard refuses the org");
        };
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(
            matches!(&errors[0], rackfile::live::ReadError::WrongAccount { org, .. } if org == "personal"),
            "{}",
            errors[0]
        );
        let sweeps = aws
            .calls()
            .iter()
            .filter(|c| c.operation == "DescribeStacks")
            .count();
        assert_eq!(sweeps, 0, "no CloudFormation call before the guard holds");
    }
}
