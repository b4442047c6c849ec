//! A rack's whole life against moto: a failed install recovered (`--recover`: deleted, then installed again)
//! and an uninstall (`ensure = "absent"`: apps first, `--allow-uninstall` required). moto never leaves a
//! stack ROLLBACK_COMPLETE by itself; scripts/moto-server.py's test route puts it there.

use crate::common::{Output, exit_and_summary, run, stable_snapshots};
use crate::moto::{self, MotoSession, PERSONAL_ACCOUNT};

fn racks(settings: &str) -> String {
    format!(
        "[defaults]\norg = \"personal\"\nregion = \"us-east-1\"\nversion = \"20161102160040\"\n\
         instance_type = \"t2.small\"\ninstance_count = 3\nprivate = false\n\n\
         [org.personal]\nprofile = \"personal\"\naccount_id = \"{PERSONAL_ACCOUNT}\"\n\n\
         [[rack]]\nname = \"web\"\ntemplate = \"rack.yml\"\n{settings}"
    )
}

fn assert_exit(output: &Output, code: i32) {
    assert_eq!(
        output.code, code,
        "stdout:\n{}\nstderr:\n{}",
        output.stdout, output.stderr
    );
}

/// `web` installed by rackfile from the example template.
fn session_with_web() -> MotoSession {
    let moto = moto::session();
    moto.write("rack.yml", &moto::rack_template());
    moto.write("racks.toml", &racks(""));
    let install = run(moto.rackfile().args(["apply", "--auto-approve"]));
    assert_exit(&install, 0);
    moto
}

fn stack_id(moto: &MotoSession, name: &str) -> String {
    moto.python(&format!(
        "print(client('cloudformation').describe_stacks(StackName='{name}')['Stacks'][0]['StackId'])"
    ))
    .trim()
    .to_string()
}

fn stack_names(moto: &MotoSession) -> Vec<String> {
    let text = moto.python(
        "print(json.dumps(sorted(s['StackName'] for s in client('cloudformation').describe_stacks()['Stacks'])))",
    );
    serde_json::from_str(&text).unwrap()
}

#[test]
fn apply_blocks_a_failed_install_until_recover_deletes_it_and_installs_it_again() {
    let moto = session_with_web();
    let failed_id = stack_id(&moto, "web");
    moto.set_stack_status("web", "ROLLBACK_COMPLETE");

    // A blocked rack is a difference, never "no changes".
    let plan = run(moto.rackfile().args(["plan", "--detailed-exitcode"]));
    stable_snapshots(moto.path()).bind(|| insta::assert_snapshot!(plan.snapshot(), @r#"
        exit: 2
        --- stdout
        Read account 123456789012 (org personal): us-east-1

        ! personal/web (us-east-1) is blocked
            ROLLBACK_COMPLETE: the install failed; `--recover` deletes the stack and installs it again

        Plan: 0 to install, 0 to update, 0 unchanged, 1 blocked.
        --- stderr
        "#));

    let plan = run(moto
        .rackfile()
        .args(["plan", "--recover", "--detailed-exitcode"]));
    assert_exit(&plan, 2);
    insta::assert_snapshot!(plan.snapshot(), @r#"
        exit: 2
        --- stdout
        Read account 123456789012 (org personal): us-east-1

        -/+ personal/web (us-east-1) will be reinstalled
            ROLLBACK_COMPLETE: the failed install is deleted (followed until it is gone), then installed again:
            template: rack.yml
            InstanceCount: 3
            InstanceType: t2.small
            Private: No
            Version: 20161102160040
            Password: (sensitive, generated and printed once at install)
            tags: System=convox, Type=rack
            budget: up to 30m

        Plan: 0 to install, 0 to update, 1 to reinstall, 0 unchanged, 0 blocked.
        Disruptive: personal/web is deleted and installed again
        --- stderr
        "#);

    let apply = run(moto
        .rackfile()
        .args(["-v", "apply", "--recover", "--auto-approve"]));
    assert_exit(&apply, 0);
    let writes: Vec<&str> = apply
        .stderr
        .lines()
        .filter_map(|line| {
            ["CloudFormation.DeleteStack", "CloudFormation.CreateStack"]
                .into_iter()
                .find(|call| line.contains(call))
        })
        .collect();
    assert_eq!(
        writes,
        ["CloudFormation.DeleteStack", "CloudFormation.CreateStack"]
    );
    assert_ne!(stack_id(&moto, "web"), failed_id, "a new stack");
    stable_snapshots(moto.path()).bind(|| insta::assert_snapshot!(apply.snapshot_of_stdout(), @"
        exit: 0
        --- stdout
        Read account 123456789012 (org personal): us-east-1

        -/+ personal/web (us-east-1) will be reinstalled
            ROLLBACK_COMPLETE: the failed install is deleted (followed until it is gone), then installed again:
            template: rack.yml
            InstanceCount: 3
            InstanceType: t2.small
            Private: No
            Version: 20161102160040
            Password: (sensitive, generated and printed once at install)
            tags: System=convox, Type=rack
            budget: up to 30m

        Plan: 0 to install, 0 to update, 1 to reinstall, 0 unchanged, 0 blocked.
        Disruptive: personal/web is deleted and installed again
        warning: personal/web: its generated API password will be printed below, and stdout is not a terminal (a CI log?); set `password_ssm` to keep it in SSM Parameter Store instead

        personal/web: deleting web
        personal/web: DELETE_IN_PROGRESS
        personal/web: DELETE_COMPLETE
        personal/web: installing (11 resources)
        personal/web: CREATE_IN_PROGRESS
        personal/web: CREATE_COMPLETE
        personal/web: deleted and installed again in [time]

        Apply complete: 0 installed, 0 updated, 1 reinstalled, 0 failed.
            personal/web: deleted and installed again in [time]

        Password for personal/web (shown only this once; store it now): [password]
        Dashboard: web.us-east-1.elb.amazonaws.com
        "));
    let again = run(moto.rackfile().args(["plan", "--detailed-exitcode"]));
    assert_exit(&again, 0);
}

#[test]
fn apply_uninstall_needs_the_flag_deletes_the_apps_first_and_names_what_is_left() {
    let moto = session_with_web();
    // An app and a resource of `web` and an app of another rack, as Convox tags them; and a stack that
    // carries `Rack=web` as a cost tag only, which is not Convox's.
    moto.python(
        "cfn = client('cloudformation')\n\
         body = json.dumps({'Resources': {'Handle': {'Type': 'AWS::CloudFormation::WaitConditionHandle'}}})\n\
         for name, rack, kind in [('web-api', 'web', 'app'), ('web-worker', 'web', 'resource'), ('other-api', 'other', 'app')]:\n\
         \x20   cfn.create_stack(StackName=name, TemplateBody=body, Tags=[{'Key': 'System', 'Value': 'convox'}, {'Key': 'Rack', 'Value': rack}, {'Key': 'Type', 'Value': kind}])\n\
         cfn.create_stack(StackName='billing-db', TemplateBody=body, Tags=[{'Key': 'Rack', 'Value': 'web'}])\n",
    );
    moto.write("racks.toml", &racks("ensure = \"absent\"\n"));

    let refused = run(moto.rackfile().args(["apply", "--auto-approve"]));
    stable_snapshots(moto.path()).bind(|| insta::assert_snapshot!(refused.snapshot(), @r#"
        exit: 1
        --- stdout
        Read account 123456789012 (org personal): us-east-1

        - personal/web (us-east-1) will be uninstalled
            before any deletion, as `convox rack uninstall`: its autoscaler rule disabled, then the AutoScalingGroups of each stack deleted with ForceDelete (their instances terminate)
            deleted first, its Convox stacks: web-api (app), web-worker (resource)
            then the rack's stack, 11 resources
            left behind (DeletionPolicy Retain): Settings (AWS::S3::Bucket)

        Plan: 0 to install, 0 to update, 1 to uninstall, 0 unchanged, 0 blocked.
        Disruptive: personal/web is uninstalled: 1 app stack, 1 resource stack and the rack, with every resource not retained, are deleted
        --- stderr
        error: the plan uninstalls personal/web (ensure = "absent"), and --allow-uninstall was not given; nothing was changed
           = help: review what the uninstall deletes above, then add --allow-uninstall
        "#));
    assert_eq!(
        stack_names(&moto),
        ["billing-db", "other-api", "web", "web-api", "web-worker"]
    );

    let plan = run(moto.rackfile().args(["plan", "--out", "uninstall.plan"]));
    assert_exit(&plan, 0);
    insta::assert_snapshot!(plan.snapshot(), @r#"
        exit: 0
        --- stdout
        Read account 123456789012 (org personal): us-east-1

        - personal/web (us-east-1) will be uninstalled
            before any deletion, as `convox rack uninstall`: its autoscaler rule disabled, then the AutoScalingGroups of each stack deleted with ForceDelete (their instances terminate)
            deleted first, its Convox stacks: web-api (app), web-worker (resource)
            then the rack's stack, 11 resources
            left behind (DeletionPolicy Retain): Settings (AWS::S3::Bucket)

        Plan: 0 to install, 0 to update, 1 to uninstall, 0 unchanged, 0 blocked.
        Disruptive: personal/web is uninstalled: 1 app stack, 1 resource stack and the rack, with every resource not retained, are deleted

        Saved the plan to uninstall.plan. Apply exactly this plan with: rackfile apply uninstall.plan
        --- stderr
        "#);
    // A saved plan was reviewed, but an uninstall still needs the flag.
    let saved = run(moto.rackfile().args(["apply", "uninstall.plan"]));
    stable_snapshots(moto.path()).bind(|| insta::assert_snapshot!(saved.snapshot(), @r#"
        exit: 1
        --- stdout
        Applying the saved plan uninstall.plan.
        Read account 123456789012 (org personal): us-east-1

        - personal/web (us-east-1) will be uninstalled
            before any deletion, as `convox rack uninstall`: its autoscaler rule disabled, then the AutoScalingGroups of each stack deleted with ForceDelete (their instances terminate)
            deleted first, its Convox stacks: web-api (app), web-worker (resource)
            then the rack's stack, 11 resources
            left behind (DeletionPolicy Retain): Settings (AWS::S3::Bucket)

        Plan: 0 to install, 0 to update, 1 to uninstall, 0 unchanged, 0 blocked.
        Disruptive: personal/web is uninstalled: 1 app stack, 1 resource stack and the rack, with every resource not retained, are deleted
        --- stderr
        error: the plan uninstalls personal/web (ensure = "absent"), and --allow-uninstall was not given; nothing was changed
           = help: review what the uninstall deletes above, then add --allow-uninstall
        "#));

    let apply = run(moto
        .rackfile()
        .args(["apply", "uninstall.plan", "--allow-uninstall"]));
    assert_exit(&apply, 0);
    let position = |text: &str| {
        apply
            .stdout
            .find(text)
            .unwrap_or_else(|| panic!("{text} not in:\n{}", apply.stdout))
    };
    assert!(position("personal/web: deleting web-api") < position("personal/web: deleting web ("));
    assert!(
        position("personal/web: deleting web-worker") < position("personal/web: deleting web (")
    );
    // The two app stacks go side by side, in either order: the summary on is pinned.
    assert_eq!(apply.stderr, "");
    stable_snapshots(moto.path())
        .bind(|| insta::assert_snapshot!(exit_and_summary(apply.code, &apply.stdout), @"
            exit: 0
            --- stdout from the summary on
            Apply complete: 0 installed, 0 updated, 1 uninstalled, 0 failed.
                personal/web: uninstalled with its 2 app and resource stacks in [time]; left behind (DeletionPolicy Retain): Settings (AWS::S3::Bucket)
            "));
    assert_eq!(stack_names(&moto), ["billing-db", "other-api"]);

    let again = run(moto.rackfile().args(["plan", "--detailed-exitcode"]));
    stable_snapshots(moto.path()).bind(|| {
        insta::assert_snapshot!(again.snapshot(), @r#"
        exit: 0
        --- stdout
        Read account 123456789012 (org personal): us-east-1

          personal/web (us-east-1) no changes

        Plan: 0 to install, 0 to update, 1 unchanged, 0 blocked.
        --- stderr
        "#)
    });
}

#[test]
fn plan_blocks_a_declared_name_whose_stack_is_not_a_rack_and_apply_never_touches_it() {
    let moto = moto::session();
    moto.write("rack.yml", &moto::rack_template());
    // Someone else's stack, with a name racks.toml declares.
    moto.python(
        "cfn = client('cloudformation')\n\
         body = json.dumps({'Resources': {'Handle': {'Type': 'AWS::CloudFormation::WaitConditionHandle'}}})\n\
         cfn.create_stack(StackName='web', TemplateBody=body, Tags=[{'Key': 'team', 'Value': 'data'}])\n",
    );
    let planted = stack_id(&moto, "web");
    let mut plans = String::new();
    for settings in ["", "instance_count = 4\n", "ensure = \"absent\"\n"] {
        moto.write("racks.toml", &racks(settings));
        let plan = run(moto.rackfile().args(["plan", "--detailed-exitcode"]));
        plans.push_str(&plan.snapshot());
        let apply = run(moto.rackfile().args([
            "apply",
            "--auto-approve",
            "--allow-uninstall",
            "--recover",
        ]));
        assert_exit(&apply, 1);
        assert_eq!(
            stack_id(&moto, "web"),
            planted,
            "{settings}: {}",
            apply.stdout
        );
    }
    stable_snapshots(moto.path()).bind(|| insta::assert_snapshot!(plans, @"
        exit: 2
        --- stdout
        Read account 123456789012 (org personal): us-east-1

        ! personal/web (us-east-1) is blocked
            CREATE_COMPLETE: the stack web is not a Convox rack (it is not tagged System=convox, Type=rack, nor shaped like an untagged 2016 rack), so rackfile never updates, recovers or deletes it; give the rack another `name`, or remove it from racks.toml

        Plan: 0 to install, 0 to update, 0 unchanged, 1 blocked.
        --- stderr
        exit: 2
        --- stdout
        Read account 123456789012 (org personal): us-east-1

        ! personal/web (us-east-1) is blocked
            CREATE_COMPLETE: the stack web is not a Convox rack (it is not tagged System=convox, Type=rack, nor shaped like an untagged 2016 rack), so rackfile never updates, recovers or deletes it; give the rack another `name`, or remove it from racks.toml

        Plan: 0 to install, 0 to update, 0 unchanged, 1 blocked.
        --- stderr
        exit: 2
        --- stdout
        Read account 123456789012 (org personal): us-east-1

        ! personal/web (us-east-1) is blocked
            CREATE_COMPLETE: the stack web is not a Convox rack (it is not tagged System=convox, Type=rack, nor shaped like an untagged 2016 rack), so rackfile never updates, recovers or deletes it; give the rack another `name`, or remove it from racks.toml

        Plan: 0 to install, 0 to update, 0 unchanged, 1 blocked.
        --- stderr
        "));
    let body = moto.python(
        "print(json.dumps(client('cloudformation').get_template(StackName='web')['TemplateBody']))",
    );
    assert!(
        body.contains("WaitConditionHandle"),
        "its template is untouched: {body}"
    );

    let status = run(moto.rackfile().args(["status"]));
    stable_snapshots(moto.path()).bind(|| {
        insta::assert_snapshot!(status.snapshot(), @r#"
        exit: 0
        --- stdout
        RACK          STATUS      VERSION  LATEST  REGION     COUNT  TYPE  ENDPOINT
        personal/web  not a rack  -        -       us-east-1  -      -     -
        --- stderr
        "#)
    });
    let doctor = run(moto.rackfile().args(["doctor"]));
    stable_snapshots(moto.path()).bind(|| insta::assert_snapshot!(doctor.snapshot(), @r#"
        exit: 1
        --- stdout
        [✓] racks.toml is valid: 1 rack in 1 org, 1 region
        [✓] org personal: credentials (profile personal) resolve to account 123456789012
        [✓] org personal: account guard holds (123456789012)
        [-] org personal's credentials against the plan policy: cannot tell (iam:SimulatePrincipalPolicy: HTTP 500, with no AWS error in the answer)
        [✓] template rack.yml (account 123456789012): reachable, 15 parameters cover personal/web
        [✗] personal/web: the stack web is not a Convox rack (not tagged System=convox, Type=rack); rackfile never changes it
            help: give the rack another `name`, or remove it from racks.toml

        Doctor: 4 passed, 1 failed, 1 skipped.
        --- stderr
        "#));
}
