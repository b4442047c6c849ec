//! Convox's parameter interlocks refused at plan time against moto: the racks.toml line, Convox's words and
//! its source, exit 1, and nothing created by apply.

use crate::common::run;
use crate::moto;

/// The example rack template with the schedule pair of Convox's releases since 2019.
fn scheduled_template() -> String {
    moto::rack_template().replacen(
        "Parameters:\n",
        "Parameters:\n  ScheduleRackScaleDown:\n    Type: String\n    Default: \"\"\n  \
         ScheduleRackScaleUp:\n    Type: String\n    Default: \"\"\n",
        1,
    )
}

#[test]
fn half_a_schedule_is_refused_at_its_line_before_aws_is_called() {
    let moto = moto::session();
    moto.write(
        "racks.toml",
        "[defaults]\norg = \"personal\"\nregion = \"us-east-1\"\nversion = \"1\"\n[org.personal]\n\
         [[rack]]\nname = \"example\"\ntemplate = \"rack.yml\"\n[rack.parameters]\n\
         ScheduleRackScaleDown = \"cron(0 18 * * ? *)\"\n",
    );
    moto.write("rack.yml", &scheduled_template());

    let plan = run(moto.rackfile().arg("plan"));
    assert_eq!(plan.code, 1, "{}", plan.stderr);
    for expected in [
        "error: personal/example: Convox refuses ScheduleRackScaleDown = \"cron(0 18 * * ? *)\" (racks.toml) \
         with ScheduleRackScaleUp = \"\" (template default): to configure ScheduleAction you need both \
         ScheduleRackScaleDown and ScheduleRackScaleUp parameters",
        "--> racks.toml:10:25",
        "convox/rack@3fc6cc6d5 pkg/cli/rack.go:991 validateParams",
        "nothing was changed",
    ] {
        assert!(
            plan.stderr.contains(expected),
            "{expected}\n{}",
            plan.stderr
        );
    }

    let apply = run(moto.rackfile().args(["apply", "--auto-approve"]));
    assert_eq!(apply.code, 1, "{}", apply.stderr);
    assert!(
        apply.stderr.contains("to configure ScheduleAction"),
        "{}",
        apply.stderr
    );
    let stacks = moto.python("print(len(client('cloudformation').describe_stacks()['Stacks']))");
    assert_eq!(stacks.trim(), "0", "apply created a stack");

    // With its other half, the same rack plans an install.
    moto.write(
        "racks.toml",
        &format!(
            "{}ScheduleRackScaleUp = \"cron(0 6 * * ? *)\"\n",
            std::fs::read_to_string(moto.path().join("racks.toml")).unwrap()
        ),
    );
    let plan = run(moto.rackfile().arg("plan"));
    assert_eq!(plan.code, 0, "{}", plan.stderr);
}
