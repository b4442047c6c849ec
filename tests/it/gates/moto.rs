//! One gate, every plan, against moto through the real binary: a rack with `ensure = "absent"` that is
//! busy when planned (forced UPDATE_IN_PROGRESS through the moto launcher) is waited for and planned again,
//! and its uninstall is refused without `--allow-uninstall`, as the first plan's would be.

use std::io::{BufRead, BufReader, Read};
use std::process::Stdio;

use crate::common::run;
use crate::moto::{self, MotoSession};

fn racks_toml(ensure: &str) -> String {
    format!(
        "[defaults]\norg = \"personal\"\nregion = \"us-east-1\"\nversion = \"20161102160040\"\n\
         [org.personal]\nprofile = \"personal\"\naccount_id = \"{}\"\n\
         [[rack]]\nname = \"old\"\ntemplate = \"rack.yml\"\npassword_env = \"RACK_PASSWORD\"\nensure = \"{ensure}\"\n",
        moto::PERSONAL_ACCOUNT
    )
}

fn installed() -> MotoSession {
    let moto = moto::session();
    moto.write("rack.yml", &moto::rack_template());
    moto.write("racks.toml", &racks_toml("present"));
    let output = run(moto
        .rackfile()
        .args(["apply", "--auto-approve"])
        .env("RACK_PASSWORD", "rack-secret-1"));
    assert_eq!(output.code, 0, "{}\n{}", output.stdout, output.stderr);
    moto
}

/// Runs apply with `args` while the rack is UPDATE_IN_PROGRESS, lets the stack settle once apply says it
/// waits, and returns the exit code and everything printed.
fn apply_while_busy(moto: &MotoSession, args: &[&str]) -> (Option<i32>, String) {
    moto.set_stack_status("old", "UPDATE_IN_PROGRESS");
    let mut child = moto
        .rackfile()
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut seen = String::new();
    loop {
        let mut line = String::new();
        if stdout.read_line(&mut line).unwrap() == 0 {
            panic!("apply ended before it waited:\n{seen}");
        }
        seen.push_str(&line);
        if line.contains("personal/old: waiting: UPDATE_IN_PROGRESS") {
            break;
        }
    }
    moto.set_stack_status("old", "UPDATE_COMPLETE");
    stdout.read_to_string(&mut seen).unwrap();
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    seen.push_str(&stderr);
    (child.wait().unwrap().code(), seen)
}

fn still_there(moto: &MotoSession) -> bool {
    moto.python(
        "cfn = client('cloudformation')\n\
         print([s['StackStatus'] for s in cfn.describe_stacks()['Stacks'] if s['StackName'] == 'old'])\n",
    )
    .contains("UPDATE_COMPLETE")
}

#[test]
fn a_busy_rack_to_uninstall_is_waited_for_and_its_uninstall_refused_without_allow_uninstall() {
    let moto = installed();
    moto.write("racks.toml", &racks_toml("absent"));
    for args in [
        &["apply", "--auto-approve"][..],
        &["apply", "--auto-approve", "--json"][..],
    ] {
        let (code, output) = apply_while_busy(&moto, args);
        assert_eq!(code, Some(1), "{args:?}: {output}");
        assert!(
            output.contains("--allow-uninstall was not given; nothing was sent"),
            "{args:?}: {output}"
        );
        assert!(
            still_there(&moto),
            "{args:?}: uninstalled anyway:\n{output}"
        );
    }
    let (code, output) = apply_while_busy(&moto, &["apply", "--auto-approve", "--allow-uninstall"]);
    assert_eq!(code, Some(0), "{output}");
    assert!(output.contains("personal/old: uninstalled"), "{output}");
    assert!(!still_there(&moto), "{output}");
}
