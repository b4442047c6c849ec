//! `apply --json` against the strict fake: the stream's order and shape, a failure, a hold, and the
//! refusals that keep secrets out of it.

use std::time::Duration;

use rackfile::cli::commands::apply::{ApplyOptions, run};
use rackfile::cli::options::Approval;
use serde_json::Value;

use crate::common::snapshot_settings;
use crate::fake_harness::{ACCOUNT, Harness, RACK_RESOURCES, TEMPLATE_URL, console};

/// `racks` (`[[rack]]` bodies), each built from the rack template at `TEMPLATE_URL`.
fn fake_with(racks: &str) -> Harness {
    let harness = Harness::with_rack_template(Duration::from_millis(20), &RACK_RESOURCES);
    harness.declare(
        "version = \"20161102160040\"\n",
        &racks.replace(
            "[[rack]]\n",
            &format!("[[rack]]\ntemplate_url = \"{TEMPLATE_URL}\"\n"),
        ),
    );
    harness
}

/// One rack at a time, streaming JSON.
fn options(harness: &Harness, auto_approve: Option<Approval>) -> ApplyOptions {
    let mut options = harness.options();
    options.auto_approve = auto_approve;
    options.json = true;
    options.parallelism = 1;
    options
}

/// The run's exit code and its stdout, each line parsed; an error that ended it is rendered as `main`
/// does under --json (a `diagnostic` line).
async fn apply_json(harness: &Harness, options: &ApplyOptions) -> (i32, Vec<Value>, String) {
    let (mut console, buffer) = console();
    let (_sender, cancel) = tokio::sync::watch::channel(0);
    let code = match run(options, &harness.fake, &mut console, cancel).await {
        Ok(outcome) => outcome.exit_code(),
        Err(error) => {
            rackfile::render::apply::json_stream::diagnostic(&console.out, error.json_value());
            error.exit_code()
        }
    };
    let text = buffer.text();
    let lines = text
        .lines()
        .map(|line| {
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not a JSON line ({e}): {line}"))
        })
        .collect();
    (code, lines, text)
}

/// What every consumer may rely on: each line has a type, an RFC 3339 timestamp and a message; `version`
/// comes first and `summary` (or a `diagnostic`) last; each `rack_start` is closed by the rack's
/// `rack_complete` or `rack_errored`.
fn assert_contract(lines: &[Value]) {
    for line in lines {
        assert!(line["type"].is_string(), "{line}");
        assert!(line["message"].is_string(), "{line}");
        let timestamp = line["timestamp"].as_str().unwrap();
        assert!(
            humantime::parse_rfc3339(timestamp).is_ok(),
            "timestamp {timestamp}"
        );
    }
    assert_eq!(lines[0]["type"], "version");
    assert_eq!(lines[0]["format_version"], "1");
    let last = lines.last().unwrap()["type"].as_str().unwrap();
    assert!(
        last == "summary" || last == "diagnostic",
        "ends with {last}"
    );
    let mut open: Vec<&str> = Vec::new();
    for line in lines {
        let rack = line["rack"].as_str().unwrap_or_default();
        match line["type"].as_str().unwrap() {
            "rack_start" => open.push(rack),
            "rack_complete" | "rack_errored" => open.retain(|r| *r != rack),
            _ => {}
        }
    }
    assert!(open.is_empty(), "never closed: {open:?}");
}

/// Timestamps and elapsed times vary; everything else is the contract.
fn snapshot(name: &str, text: &str) {
    let mut settings = snapshot_settings();
    settings.add_filter(r#""(timestamp|event_time)":"[^"]+""#, r#""$1":"[time]""#);
    settings.add_filter(r#"/[^\s"]*/\.tmp[A-Za-z0-9]+"#, "[dir]");
    settings.add_filter(r#""elapsed_seconds":\d+"#, r#""elapsed_seconds":0"#);
    // The fake numbers its worlds in the order tests make them: which one this test gets varies.
    settings.add_filter(r"stack/(\w+)/fake-\d+-", "stack/$1/fake-[world]-");
    settings.add_filter(r"in \d+(ms|s|m\d+s)", "in [elapsed]");
    settings.add_filter(r"after \d+(ms|s|m\d+s)", "after [elapsed]");
    settings.bind(|| insta::assert_snapshot!(name, text));
}

#[tokio::test(start_paused = true)]
async fn a_failure_and_a_success_stream_in_order_with_root_cause_and_summary() {
    let harness = fake_with(
        "[[rack]]\nname = \"good\"\npassword_ssm = \"/racks/{name}/password\"\n\n\
         [[rack]]\nname = \"bad\"\npassword_ssm = \"/racks/{name}/password\"\n",
    );
    harness.fake.fail_resource("bad", "Subnet0");
    let (code, lines, text) = apply_json(&harness, &options(&harness, Some(Approval::All))).await;
    assert_eq!(code, 1, "{text}");
    assert_contract(&lines);
    let types: Vec<&str> = lines.iter().map(|l| l["type"].as_str().unwrap()).collect();
    assert_eq!(types[1], "plan");
    assert_eq!(lines[1]["plan"]["summary"]["install"], 2);
    let errored = lines.iter().find(|l| l["type"] == "rack_errored").unwrap();
    assert_eq!(errored["rack"], "personal/bad");
    assert_eq!(errored["status"], "ROLLBACK_COMPLETE");
    assert!(
        errored["root_cause"]
            .as_str()
            .unwrap()
            .starts_with("Subnet0 (AWS::EC2::Subnet)"),
        "{errored}"
    );
    let failed_event = lines
        .iter()
        .find(|l| l["type"] == "stack_event" && l["status"] == "CREATE_FAILED")
        .unwrap();
    assert_eq!(failed_event["logical_id"], "Subnet0");
    let summary = lines.last().unwrap();
    assert_eq!(summary["outcome"], "failed");
    assert_eq!(summary["exit_code"], 1);
    assert_eq!(summary["counts"]["installed"], 1);
    assert_eq!(summary["counts"]["failed"], 1);
    // The password's place, never a password.
    assert_eq!(
        summary["passwords"][0]["ssm_parameter"],
        "/racks/good/password"
    );
    let (_, stored) = harness
        .fake
        .ssm_parameter_value(ACCOUNT, "us-east-1", "/racks/good/password")
        .unwrap();
    assert!(!text.contains(&stored), "a password in the stream");
    snapshot("apply_json_a_failure_and_a_success", &text);
}

#[tokio::test(start_paused = true)]
async fn an_install_held_by_in_place_is_a_rack_held_line_and_exit_3() {
    let harness =
        fake_with("[[rack]]\nname = \"new\"\npassword_ssm = \"/racks/{name}/password\"\n");
    let (code, lines, text) =
        apply_json(&harness, &options(&harness, Some(Approval::InPlace))).await;
    assert_eq!(code, 3, "{text}");
    assert_contract(&lines);
    let held = lines.iter().find(|l| l["type"] == "rack_held").unwrap();
    assert_eq!(held["rack"], "personal/new");
    assert_eq!(held["reason"], "installs a new rack");
    assert!(!lines.iter().any(|l| l["type"] == "rack_start"), "{text}");
    assert_eq!(lines.last().unwrap()["outcome"], "held");
    assert!(harness.fake.stack(ACCOUNT, "us-east-1", "new").is_none());
}

#[tokio::test(start_paused = true)]
async fn a_generated_password_or_a_missing_approval_is_refused_before_anything_is_sent() {
    let harness = fake_with("[[rack]]\nname = \"new\"\n");
    let (code, lines, text) = apply_json(&harness, &options(&harness, Some(Approval::All))).await;
    assert_eq!(code, 1, "{text}");
    assert_contract(&lines);
    let diagnostic = lines.last().unwrap();
    assert_eq!(diagnostic["type"], "diagnostic");
    assert_eq!(diagnostic["error"]["kind"], "usage");
    assert!(
        diagnostic["error"]["problems"][0]["hint"]
            .as_str()
            .unwrap()
            .contains("password_ssm"),
        "{diagnostic}"
    );
    assert!(harness.fake.stack(ACCOUNT, "us-east-1", "new").is_none());

    let (code, lines, text) = apply_json(&harness, &options(&harness, None)).await;
    assert_eq!(code, 1, "{text}");
    assert_eq!(lines.len(), 2, "version, then the refusal: {text}");
    assert!(
        lines[1]["error"]["message"]
            .as_str()
            .unwrap()
            .contains("--auto-approve"),
        "{text}"
    );
}

/// A consumer of a real apply against moto: reads the stream line by line as it comes, and checks the
/// contract on what it read.
#[test]
fn a_consumer_reads_a_real_apply_line_by_line() {
    use std::io::BufRead as _;
    use std::process::Stdio;

    use crate::real_templates::{V2026, racks, seed, session};

    let moto = session();
    seed(&moto, "web", V2026, &[]);
    moto.write(
        "racks.toml",
        &racks(&format!(
            "\n[[rack]]\nname = \"web\"\nversion = \"{V2026}\"\n\n[rack.parameters]\nLogRetention = \"30\"\n\n\
             [[rack]]\nname = \"fresh\"\nversion = \"{V2026}\"\npassword_ssm = \"/racks/{{name}}/password\"\n"
        )),
    );
    let mut child = moto
        .rackfile()
        .args(["apply", "--json", "--auto-approve"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = Vec::new();
    for line in std::io::BufReader::new(child.stdout.take().unwrap()).lines() {
        let line = line.unwrap();
        let value: Value = serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("line {} is not JSON ({e}): {line}", lines.len() + 1));
        lines.push(value);
    }
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0), "{lines:#?}");
    assert_contract(&lines);
    let started: Vec<&str> = lines
        .iter()
        .filter(|l| l["type"] == "rack_start")
        .map(|l| l["rack"].as_str().unwrap())
        .collect();
    assert_eq!(started.len(), 2, "{lines:#?}");
    let complete: Vec<&str> = lines
        .iter()
        .filter(|l| l["type"] == "rack_complete")
        .map(|l| l["result"].as_str().unwrap())
        .collect();
    assert_eq!(complete.len(), 2, "{lines:#?}");
    assert!(complete.contains(&"installed") && complete.contains(&"updated"));
    assert!(
        lines
            .iter()
            .any(|l| l["type"] == "stack_event" && l["status"] == "CREATE_COMPLETE"),
        "{lines:#?}"
    );
    let summary = lines.last().unwrap();
    assert_eq!(summary["outcome"], "success");
    assert_eq!(summary["counts"]["installed"], 1);
    assert_eq!(summary["counts"]["updated"], 1);
    assert_eq!(moto.live_parameter("web", "LogRetention"), "30");
}

/// `apply --json` is read as JSON lines whatever ends it: a misspelt flag, a malformed target and a target
/// racks.toml does not have each give the `version` line and then a `diagnostic`, never text.
#[test]
fn a_bad_flag_or_target_under_apply_json_is_a_diagnostic_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("racks.toml"),
        "[defaults]\norg = \"personal\"\nregion = \"us-east-1\"\nversion = \"1\"\n[org.personal]\n[[rack]]\nname = \"example\"\n",
    )
    .unwrap();
    for (args, says) in [
        (
            &["--paralelism", "3"][..],
            "unexpected argument '--paralelism' found",
        ),
        (
            &["--target", "nosuch"][..],
            "--target nosuch: expected ORG/NAME",
        ),
        (
            &["--target", "personal/nosuch"][..],
            "--target personal/nosuch: no such rack",
        ),
    ] {
        let output = crate::common::run(
            crate::common::rackfile(dir.path())
                .args(["apply", "--json", "--auto-approve"])
                .args(args),
        );
        assert_eq!(output.code, 1, "{args:?}: {}", output.stderr);
        assert_eq!(output.stderr, "", "{args:?}");
        let lines: Vec<serde_json::Value> = output
            .stdout
            .lines()
            .map(|line| {
                serde_json::from_str(line)
                    .unwrap_or_else(|e| panic!("{args:?}: not a JSON line ({e}): {line}"))
            })
            .collect();
        assert_eq!(lines.len(), 2, "{args:?}: {}", output.stdout);
        assert_eq!(lines[0]["type"], "version", "{args:?}");
        assert_eq!(lines[1]["type"], "diagnostic", "{args:?}");
        let message = lines[1]["error"]["message"].as_str().unwrap();
        assert!(message.starts_with(says), "{args:?}: {message}");
        assert_eq!(lines[1]["error"]["kind"], "usage", "{args:?}");
    }
}
