//! Convox's releases against moto: a release list of the tests' own in moto's S3 where Convox publishes it
//! (`release/versions.json`), templates beside it, and racks built from Convox's template URL. Upgrades go
//! through required releases one update at a time; a version Convox never released is refused at its line;
//! a downgrade is blocked; an unpublished release is warned about; a rack behind the latest gets a note; a
//! rack with a template of its own never reads the list.

use crate::common::{Output, run, stable_snapshots};
use crate::moto::{self, MotoSession, PERSONAL_ACCOUNT};

const V1: &str = "20200101000000";
const V2: &str = "20210101000000";
const V3: &str = "20220101000000";
const V4: &str = "20230101000000";

/// V1, V2 (required), V3 published, V4 not yet; each with the example rack template, its description naming
/// the release so a test can tell which template a stack has.
fn session() -> MotoSession {
    let moto = moto::session();
    for version in [V1, V2, V3, V4] {
        let body = moto::rack_template().replace(
            "Description: Convox rack (rackfile example)",
            &format!("Description: Convox rack {version}"),
        );
        moto.publish_template(PERSONAL_ACCOUNT, version, &body);
    }
    moto.publish_releases(&[
        (V1, true, false),
        (V2, true, true),
        (V3, true, false),
        (V4, false, false),
    ]);
    moto
}

fn racks_at(version: &str) -> String {
    format!(
        "[defaults]\norg = \"personal\"\nregion = \"us-east-1\"\ninstance_type = \"t2.small\"\n\
         instance_count = 3\nprivate = false\n\n[org.personal]\nprofile = \"personal\"\n\
         account_id = \"{PERSONAL_ACCOUNT}\"\n\n[[rack]]\nname = \"web\"\nversion = \"{version}\"\n"
    )
}

fn assert_exit(output: &Output, code: i32) {
    assert_eq!(
        output.code, code,
        "stdout:\n{}\nstderr:\n{}",
        output.stdout, output.stderr
    );
}

/// `web` installed at `version` by rackfile itself.
fn installed_at(moto: &MotoSession, version: &str) {
    moto.write("racks.toml", &racks_at(version));
    let install = run(moto.rackfile().args(["apply", "--auto-approve"]));
    assert_exit(&install, 0);
}

fn live_template(moto: &MotoSession) -> String {
    moto.python("print(client('cloudformation').get_template(StackName='web')['TemplateBody'])")
}

#[test]
fn apply_an_upgrade_across_a_required_release_is_two_updates_in_order() {
    let moto = session();
    installed_at(&moto, V1);
    moto.write("racks.toml", &racks_at(V3));

    let plan = run(moto.rackfile().args(["plan", "--detailed-exitcode"]));
    assert_exit(&plan, 2);
    insta::assert_snapshot!(plan.snapshot(), @r#"
        exit: 2
        --- stdout
        Read account 123456789012 (org personal): us-east-1

        > personal/web (us-east-1) will be upgraded in steps
            releases: 20200101000000 > 20210101000000 (required) > 20220101000000
            step 1 of 2: to 20210101000000 (required)
              Version: 20200101000000 -> 20210101000000
                ↳ reaches no resource
              template: https://convox.s3.amazonaws.com/release/20200101000000/formation.json -> https://convox.s3.amazonaws.com/release/20210101000000/formation.json
                ↳ reaches no resource
              impact: no resource changes
              budget: up to 5m
            step 2 of 2: to 20220101000000
              Version: 20210101000000 -> 20220101000000
                ↳ reaches no resource
              template: https://convox.s3.amazonaws.com/release/20210101000000/formation.json -> https://convox.s3.amazonaws.com/release/20220101000000/formation.json
                ↳ reaches no resource
              impact: no resource changes
              budget: up to 5m

        Plan: 0 to install, 0 to update, 1 to upgrade in steps, 0 unchanged, 0 blocked.
        --- stderr
        "#);

    let apply = run(moto.rackfile().args(["-v", "apply", "--auto-approve"]));
    assert_exit(&apply, 0);
    // One UpdateStack per step, the second only after the first was followed to its end.
    let calls: Vec<&str> = apply
        .stderr
        .lines()
        .filter_map(|line| {
            [
                "CloudFormation.UpdateStack",
                "CloudFormation.DescribeStacks",
            ]
            .into_iter()
            .find(|call| line.contains(call))
        })
        .collect();
    let updates: Vec<usize> = calls
        .iter()
        .enumerate()
        .filter(|(_, call)| call.ends_with("UpdateStack"))
        .map(|(index, _)| index)
        .collect();
    assert_eq!(updates.len(), 2, "{}", apply.stderr);
    assert!(
        calls[updates[0]..updates[1]].contains(&"CloudFormation.DescribeStacks"),
        "the second step was sent without following the first: {calls:?}"
    );
    stable_snapshots(moto.path()).bind(|| insta::assert_snapshot!(apply.snapshot_of_stdout(), @"
        exit: 0
        --- stdout
        Read account 123456789012 (org personal): us-east-1

        > personal/web (us-east-1) will be upgraded in steps
            releases: 20200101000000 > 20210101000000 (required) > 20220101000000
            step 1 of 2: to 20210101000000 (required)
              Version: 20200101000000 -> 20210101000000
                ↳ reaches no resource
              template: https://convox.s3.amazonaws.com/release/20200101000000/formation.json -> https://convox.s3.amazonaws.com/release/20210101000000/formation.json
                ↳ reaches no resource
              impact: no resource changes
              budget: up to 5m
            step 2 of 2: to 20220101000000
              Version: 20210101000000 -> 20220101000000
                ↳ reaches no resource
              template: https://convox.s3.amazonaws.com/release/20210101000000/formation.json -> https://convox.s3.amazonaws.com/release/20220101000000/formation.json
                ↳ reaches no resource
              impact: no resource changes
              budget: up to 5m

        Plan: 0 to install, 0 to update, 1 to upgrade in steps, 0 unchanged, 0 blocked.

        personal/web: upgrading to 20210101000000 (step 1 of 2) (11 resources)
        personal/web: UPDATE_IN_PROGRESS
        personal/web: UPDATE_COMPLETE
        personal/web: upgrading to 20220101000000 (step 2 of 2) (11 resources)
        personal/web: UPDATE_IN_PROGRESS
        personal/web: UPDATE_COMPLETE
        personal/web: upgraded in 2 steps in [time]

        Apply complete: 0 installed, 1 updated, 0 failed.
            personal/web: upgraded in 2 steps in [time]

        warning: personal/web: version 20210101000000 was applied but not written to the rack's releases table, so `convox rack releases` does not list it: the rack's stack has no DynamoReleases resource

        warning: personal/web: version 20210101000000 was applied but no rack:update event was sent to the rack's notification topic, so its webhooks did not hear of it: the rack's stack has no NotificationTopic resource

        warning: personal/web: version 20220101000000 was applied but not written to the rack's releases table, so `convox rack releases` does not list it: the rack's stack has no DynamoReleases resource

        warning: personal/web: version 20220101000000 was applied but no rack:update event was sent to the rack's notification topic, so its webhooks did not hear of it: the rack's stack has no NotificationTopic resource
        "));
    assert_eq!(moto.live_parameter("web", "Version"), V3);
    assert!(live_template(&moto).contains(&format!("Description: Convox rack {V3}\n")));

    let again = run(moto.rackfile().args(["plan", "--detailed-exitcode"]));
    assert_exit(&again, 0);
}

#[test]
fn apply_an_upgrade_with_no_required_release_between_is_one_update() {
    let moto = session();
    installed_at(&moto, V2);
    moto.write("racks.toml", &racks_at(V3));
    let apply = run(moto.rackfile().args(["-v", "apply", "--auto-approve"]));
    stable_snapshots(moto.path()).bind(|| insta::assert_snapshot!(apply.snapshot_of_stdout(), @"
        exit: 0
        --- stdout
        Read account 123456789012 (org personal): us-east-1

        ~ personal/web (us-east-1) will be updated
            Version: 20210101000000 -> 20220101000000
              ↳ reaches no resource
            template: https://convox.s3.amazonaws.com/release/20210101000000/formation.json -> https://convox.s3.amazonaws.com/release/20220101000000/formation.json
              ↳ reaches no resource
            impact: no resource changes
            budget: up to 5m

        Plan: 0 to install, 1 to update, 0 unchanged, 0 blocked.

        personal/web: updating (11 resources)
        personal/web: UPDATE_IN_PROGRESS
        personal/web: UPDATE_COMPLETE
        personal/web: updated in [time]

        Apply complete: 0 installed, 1 updated, 0 failed.
            personal/web: updated in [time]

        warning: personal/web: version 20220101000000 was applied but not written to the rack's releases table, so `convox rack releases` does not list it: the rack's stack has no DynamoReleases resource

        warning: personal/web: version 20220101000000 was applied but no rack:update event was sent to the rack's notification topic, so its webhooks did not hear of it: the rack's stack has no NotificationTopic resource
        "));
    assert_eq!(
        apply.stderr.matches("CloudFormation.UpdateStack").count(),
        1,
        "{}",
        apply.stderr
    );
    assert_eq!(moto.live_parameter("web", "Version"), V3);
}

#[test]
fn plan_a_version_convox_never_released_is_refused_at_its_line_naming_the_nearest() {
    let moto = session();
    moto.write("racks.toml", &racks_at("20210601000000"));
    let plan = run(moto.rackfile().arg("plan"));
    assert_exit(&plan, 1);
    insta::assert_snapshot!(plan.snapshot(), @r#"
        exit: 1
        --- stdout
        --- stderr
        error: personal/web: version 20210601000000 is not one of Convox's releases (4 listed in https://convox.s3.amazonaws.com/release/versions.json)
          --> racks.toml:14:11
           |
        14 | version = "20210601000000"
           |           ^^^^^^^^^^^^^^^^
           = help: the nearest releases are 20210101000000 (before) and 20220101000000 (after)

        error: cannot plan: 1 problem; nothing was changed
        "#);
    assert_eq!(
        moto.python("print(len(client('cloudformation').describe_stacks()['Stacks']))")
            .trim(),
        "0"
    );
}

#[test]
fn apply_a_downgrade_is_blocked_and_nothing_is_sent() {
    let moto = session();
    installed_at(&moto, V3);
    moto.write("racks.toml", &racks_at(V2));
    let apply = run(moto.rackfile().args(["-v", "apply", "--auto-approve"]));
    stable_snapshots(moto.path()).bind(|| insta::assert_snapshot!(apply.snapshot_of_stdout(), @"
        exit: 1
        --- stdout
        Read account 123456789012 (org personal): us-east-1

        ! personal/web (us-east-1) is blocked
            CREATE_COMPLETE: racks.toml's version 20210101000000 is an earlier Convox release than the live 20220101000000: Convox does not downgrade racks; set `version` back to 20220101000000 (or a later release)
            note: Convox's latest published release is 20220101000000 (1 published release after 20210101000000)

        Plan: 0 to install, 0 to update, 0 unchanged, 1 blocked.

        Nothing to apply, but some racks are blocked (see above).
        "));
    assert!(!apply.stderr.contains("UpdateStack"), "{}", apply.stderr);
    assert_eq!(moto.live_parameter("web", "Version"), V3);
}

#[test]
fn plan_an_unpublished_release_is_warned_about_and_a_rack_behind_the_latest_gets_a_note() {
    let moto = session();
    installed_at(&moto, V1);
    let behind = run(moto.rackfile().arg("plan"));
    stable_snapshots(moto.path()).bind(|| insta::assert_snapshot!(behind.snapshot(), @r#"
        exit: 0
        --- stdout
        Read account 123456789012 (org personal): us-east-1

          personal/web (us-east-1) no changes
            note: Convox's latest published release is 20220101000000 (2 published releases after 20200101000000)

        Plan: 0 to install, 0 to update, 1 unchanged, 0 blocked.
        --- stderr
        "#));
    let status = run(moto.rackfile().arg("status"));
    stable_snapshots(moto.path()).bind(|| insta::assert_snapshot!(status.snapshot(), @r#"
        exit: 0
        --- stdout
        RACK          STATUS   VERSION         LATEST          REGION     COUNT  TYPE      ENDPOINT
        personal/web  running  20200101000000  20220101000000  us-east-1  3      t2.small  web.us-east-1.elb.amazonaws.com
        --- stderr
        "#));

    moto.write("racks.toml", &racks_at(V4));
    let ahead = run(moto.rackfile().arg("plan"));
    assert!(!ahead.stdout.contains("note:"), "{}", ahead.stdout);
    stable_snapshots(moto.path()).bind(|| insta::assert_snapshot!(ahead.snapshot(), @r#"
        exit: 0
        --- stdout
        Read account 123456789012 (org personal): us-east-1

        > personal/web (us-east-1) will be upgraded in steps
            releases: 20200101000000 > 20210101000000 (required) > 20230101000000
            step 1 of 2: to 20210101000000 (required)
              Version: 20200101000000 -> 20210101000000
                ↳ reaches no resource
              template: https://convox.s3.amazonaws.com/release/20200101000000/formation.json -> https://convox.s3.amazonaws.com/release/20210101000000/formation.json
                ↳ reaches no resource
              impact: no resource changes
              budget: up to 5m
            step 2 of 2: to 20230101000000
              Version: 20210101000000 -> 20230101000000
                ↳ reaches no resource
              template: https://convox.s3.amazonaws.com/release/20210101000000/formation.json -> https://convox.s3.amazonaws.com/release/20230101000000/formation.json
                ↳ reaches no resource
              impact: no resource changes
              budget: up to 5m
            warning: version 20230101000000 is a Convox release that is not published (Convox publishes a release once it is tested)

        Plan: 0 to install, 0 to update, 1 to upgrade in steps, 0 unchanged, 0 blocked.
        --- stderr
        "#));
}

#[test]
fn plan_a_rack_with_a_template_url_of_its_own_never_reads_the_release_list() {
    let moto = moto::session();
    // No release list anywhere: a read of it would fail the plan.
    moto.python(&format!(
        "s3 = client('s3')\ns3.create_bucket(Bucket='own-templates')\n\
         s3.put_object(Bucket='own-templates', Key='racks/1.2.3/rack.yml', Body={:?})\n",
        moto::rack_template()
    ));
    moto.write(
        "racks.toml",
        &racks_at("1.2.3").replace(
            "[[rack]]\nname = \"web\"\n",
            "[[rack]]\nname = \"web\"\ntemplate_url = \"https://own-templates.s3.amazonaws.com/racks/{version}/rack.yml\"\n",
        ),
    );
    let plan = run(moto.rackfile().args(["-v", "plan"]));
    stable_snapshots(moto.path()).bind(|| {
        insta::assert_snapshot!(plan.snapshot_of_stdout(), @"
        exit: 0
        --- stdout
        Read account 123456789012 (org personal): us-east-1

        + personal/web (us-east-1) will be installed
            template: https://own-templates.s3.amazonaws.com/racks/1.2.3/rack.yml
            InstanceCount: 3
            InstanceType: t2.small
            Private: No
            Version: 1.2.3
            Password: (sensitive, generated and printed once at install)
            tags: System=convox, Type=rack
            budget: up to 30m

        Plan: 1 to install, 0 to update, 0 unchanged, 0 blocked.
        ")
    });
    assert_eq!(
        plan.stderr.matches("S3.GetObject").count(),
        1,
        "the template, and not the release list: {}",
        plan.stderr
    );
    let doctor = run(moto.rackfile().arg("doctor"));
    stable_snapshots(moto.path()).bind(|| insta::assert_snapshot!(doctor.snapshot(), @"
        exit: 0
        --- stdout
        [✓] racks.toml is valid: 1 rack in 1 org, 1 region
        [✓] org personal: credentials (profile personal) resolve to account 123456789012
        [✓] org personal: account guard holds (123456789012)
        [-] org personal's credentials against the plan policy: cannot tell (iam:SimulatePrincipalPolicy: HTTP 500, with no AWS error in the answer)
        [✓] template https://own-templates.s3.amazonaws.com/racks/1.2.3/rack.yml (account 123456789012): reachable, 15 parameters cover personal/web
        [✓] personal/web: not installed (apply installs it)
        [✓] rack personal/web: preflight: instance type t2.small is offered in the rack's subnets' zones (zones AWS chooses)
        [✓] rack personal/web: preflight: 3 instances of t2.small need 3 vCPUs (1 each); quota L-1216C47A (Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances) is 256 vCPUs

        Doctor: 7 passed, 0 failed, 1 skipped.
        --- stderr
        "));
}

#[test]
fn apply_a_saved_plan_made_before_a_new_required_release_is_refused() {
    let moto = session();
    installed_at(&moto, V1);
    moto.write("racks.toml", &racks_at(V3));
    let plan = run(moto.rackfile().args(["plan", "--out", "upgrade.plan"]));
    assert_exit(&plan, 0);
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(moto.path().join("upgrade.plan")).unwrap())
            .unwrap();
    let steps: Vec<&str> = saved["racks"][0]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|step| step["version"].as_str().unwrap())
        .collect();
    assert_eq!(steps, [V2, V3], "the saved plan carries the steps");
    assert_eq!(
        saved["racks"][0]["steps"][0]["template"]["url"]["url"],
        format!("https://convox.s3.amazonaws.com/release/{V2}/formation.json")
    );

    // Convox publishes a release between V2 and V3, and marks it required.
    let between = "20211001000000";
    moto.publish_template(PERSONAL_ACCOUNT, between, &moto::rack_template());
    moto.publish_releases(&[
        (V1, true, false),
        (V2, true, true),
        (between, true, true),
        (V3, true, false),
    ]);
    let apply = run(moto.rackfile().args(["apply", "upgrade.plan"]));
    stable_snapshots(moto.path()).bind(|| insta::assert_snapshot!(apply.snapshot(), @r#"
        exit: 1
        --- stdout
        --- stderr
        error: the saved plan is stale; nothing was changed
            Convox's release list https://convox.s3.amazonaws.com/release/versions.json changed since the plan was made (its latest published release is still 20220101000000)
            personal/web: the saved plan's `steps` is not what racks.toml and the live stack give now
           = help: run `rackfile plan --out PLANFILE` again, review it, and apply the new plan
        "#));
    assert_eq!(moto.live_parameter("web", "Version"), V1);
}

#[test]
fn apply_a_saved_plan_is_refused_only_when_a_new_release_changes_its_plan() {
    let moto = session();
    installed_at(&moto, V1);
    moto.write("racks.toml", &racks_at(V3));
    let saved = run(moto.rackfile().args(["plan", "--out", "upgrade.plan"]));
    assert_exit(&saved, 0);

    // A later release, not required: the upgrade's steps are the same; only the note about the latest
    // published release would read differently.
    const V5: &str = "20240101000000";
    moto.publish_releases(&[
        (V1, true, false),
        (V2, true, true),
        (V3, true, false),
        (V4, false, false),
        (V5, true, false),
    ]);
    let plan = run(moto.rackfile().arg("plan"));
    stable_snapshots(moto.path()).bind(|| insta::assert_snapshot!(plan.snapshot(), @r#"
        exit: 0
        --- stdout
        Read account 123456789012 (org personal): us-east-1

        > personal/web (us-east-1) will be upgraded in steps
            releases: 20200101000000 > 20210101000000 (required) > 20220101000000
            step 1 of 2: to 20210101000000 (required)
              Version: 20200101000000 -> 20210101000000
                ↳ reaches no resource
              template: https://convox.s3.amazonaws.com/release/20200101000000/formation.json -> https://convox.s3.amazonaws.com/release/20210101000000/formation.json
                ↳ reaches no resource
              impact: no resource changes
              budget: up to 5m
            step 2 of 2: to 20220101000000
              Version: 20210101000000 -> 20220101000000
                ↳ reaches no resource
              template: https://convox.s3.amazonaws.com/release/20210101000000/formation.json -> https://convox.s3.amazonaws.com/release/20220101000000/formation.json
                ↳ reaches no resource
              impact: no resource changes
              budget: up to 5m
            note: Convox's latest published release is 20240101000000 (1 published release after 20220101000000)

        Plan: 0 to install, 0 to update, 1 to upgrade in steps, 0 unchanged, 0 blocked.
        --- stderr
        "#));
    let later = run(moto.rackfile().args(["plan", "--out", "later.plan"]));
    assert_exit(&later, 0);

    // A required release between the rack and its target adds a step: that plan no longer holds.
    let mut required = moto::rack_template();
    required = required.replace(
        "Description: Convox rack (rackfile example)",
        "Description: Convox rack 20210601000000",
    );
    moto.publish_template(PERSONAL_ACCOUNT, "20210601000000", &required);
    moto.publish_releases(&[
        (V1, true, false),
        (V2, true, true),
        ("20210601000000", true, true),
        (V3, true, false),
        (V4, false, false),
        (V5, true, false),
    ]);
    let stale = run(moto.rackfile().args(["apply", "later.plan"]));
    stable_snapshots(moto.path()).bind(|| insta::assert_snapshot!(stale.snapshot(), @r#"
        exit: 1
        --- stdout
        --- stderr
        error: the saved plan is stale; nothing was changed
            Convox's release list https://convox.s3.amazonaws.com/release/versions.json changed since the plan was made (its latest published release is still 20240101000000)
            personal/web: the saved plan's `steps` is not what racks.toml and the live stack give now
           = help: run `rackfile plan --out PLANFILE` again, review it, and apply the new plan
        "#));

    // Back to the list with only the later, unrequired release: the first saved plan still applies.
    moto.publish_releases(&[
        (V1, true, false),
        (V2, true, true),
        (V3, true, false),
        (V4, false, false),
        (V5, true, false),
    ]);
    let apply = run(moto.rackfile().args(["apply", "upgrade.plan"]));
    assert_exit(&apply, 0);
    assert!(live_template(&moto).contains(&format!("Convox rack {V3}")));
}

/// A release list entry whose version is no release id (it would become a path in a template URL, or a
/// forged plan line) refuses the list, naming its URL; nothing is planned from it.
#[test]
fn plan_a_release_list_with_a_version_that_is_no_release_id_is_refused_naming_its_url() {
    let moto = session();
    let mut outputs = String::new();
    for evil in [
        "../../bucket/evil",
        "1\\n+ personal/fake (us-east-1) will be installed",
    ] {
        moto.publish_releases(&[(V1, true, false), (evil, true, true), (V3, true, false)]);
        moto.write("racks.toml", &racks_at(V3));
        let plan = run(moto.rackfile().args(["plan"]));
        outputs.push_str(&plan.snapshot());
        assert!(
            !plan
                .stderr
                .lines()
                .any(|line| line.starts_with("+ personal/fake")),
            "a forged line:\n{}",
            plan.stderr
        );
    }
    stable_snapshots(moto.path()).bind(|| insta::assert_snapshot!(outputs, @r#"
        exit: 1
        --- stdout
        --- stderr
        error: cannot read Convox's release list https://convox.s3.amazonaws.com/release/versions.json: not Convox's release list: entry 2 has the version "../../bucket/evil", which is not a release id (Convox's are timestamps like 20161102160040: letters, digits, `.`, `-` and `_`, at most 64 characters)
           = help: racks with a `template` or `template_url` of their own do not need it
        exit: 1
        --- stdout
        --- stderr
        error: cannot read Convox's release list https://convox.s3.amazonaws.com/release/versions.json: not Convox's release list: entry 2 has the version "1\n+ personal/fake (us-east-1) will be installed", which is not a release id (Convox's are timestamps like 20161102160040: letters, digits, `.`, `-` and `_`, at most 64 characters)
           = help: racks with a `template` or `template_url` of their own do not need it
        "#));
}
