//! One list of CloudFormation scenarios (a sequence of requests -> what each one answers), run once against
//! the strict in-memory fake and once against moto, so a place where the fake and moto disagree fails a test
//! that names the scenario.
//!
//! The fake is driven through rackfile's `Cloud` trait; moto through boto3 inside the moto server (the tests'
//! `python` route), its answers turned into `CloudError`s by the same `CloudError::classify` the SDK adapter
//! uses, so both sides are compared as rackfile would see them. A scenario where moto is not AWS (DESIGN.md
//! section 6) says why and runs on the fake only.

use std::collections::BTreeMap;
use std::time::Duration;

use rackfile::cloud::{
    Cloud, CloudError, CreateStackRequest, ParameterValue, TemplateParameter, TemplateSource,
    UpdateOutcome, UpdateStackRequest,
};
use rackfile_fake::{FakeAws, FakeTemplate};

use crate::moto::{MotoSession, PERSONAL_ACCOUNT};

const REGION: &str = "us-east-1";

#[derive(Clone, Copy)]
enum Value {
    Is(&'static str),
    Previous,
}

#[derive(Clone, Copy)]
enum Step {
    Create(&'static str, &'static [(&'static str, &'static str)]),
    /// A create from another template than the rack's.
    CreateFrom(
        &'static str,
        Template,
        &'static [(&'static str, &'static str)],
    ),
    /// An update with the rack template (`Template::Rack`) or the one that adds a parameter.
    Update(&'static str, Template, &'static [(&'static str, Value)]),
    Delete(&'static str),
    Cancel(&'static str),
    Describe(&'static str),
    /// DescribeStackEvents: how many events, or the refusal.
    Events(&'static str),
    /// Lets every operation run to its end: a long wait on the fake's clock; nothing on moto, whose operations
    /// complete at once.
    Settle,
    /// The stack is in this status now, as it would be on AWS at this point (moto's operations complete at
    /// once, so moto is put there; the fake is put there only if it is not there already).
    Hold(&'static str, &'static str),
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Template {
    Rack,
    /// The rack template plus a required parameter `Extra`.
    WithExtra,
    /// The rack template plus an SSM-typed parameter `Ami`.
    WithSsm,
}

enum Backends {
    /// moto answers exactly as listed.
    Both,
    /// moto answers every request with the same outcome and error kind, but words an error its own way
    /// (AWS words it as listed): moto's whole answer.
    MotoWords(&'static str),
    /// Why moto cannot show it.
    FakeOnly(&'static str),
}

struct Scenario {
    name: &'static str,
    steps: &'static [Step],
    backends: Backends,
    /// One line per step: `verb stack: answer`.
    expected: &'static str,
}

const PARAMETERS: &[(&str, &str)] = &[("Version", "1"), ("Password", "pw")];

const SCENARIOS: &[Scenario] = &[
    Scenario {
        name: "create_then_describe",
        steps: &[
            Step::Create("a", PARAMETERS),
            Step::Settle,
            Step::Describe("a"),
        ],
        backends: Backends::Both,
        expected: "create a: ok\ndescribe a: CREATE_COMPLETE\n",
    },
    Scenario {
        name: "describe_missing_stack",
        steps: &[Step::Describe("nothing")],
        backends: Backends::Both,
        expected: "describe nothing: no such stack\n",
    },
    Scenario {
        name: "create_twice",
        steps: &[
            Step::Create("a", PARAMETERS),
            Step::Settle,
            Step::Create("a", PARAMETERS),
        ],
        backends: Backends::MotoWords(
            "create a: ok\ncreate a: AlreadyExists: AlreadyExistsException: Stack a already exists\n",
        ),
        expected: "create a: ok\ncreate a: AlreadyExists: AlreadyExistsException: Stack [a] already exists\n",
    },
    Scenario {
        name: "create_without_a_required_parameter",
        steps: &[Step::Create("a", &[("Password", "pw")])],
        backends: Backends::MotoWords(
            "create a: Validation: ValidationError: Missing parameter Version\n",
        ),
        expected: "create a: Validation: ValidationError: Parameters: [Version] must have values\n",
    },
    Scenario {
        name: "create_with_an_unknown_parameter",
        steps: &[Step::Create(
            "a",
            &[("Version", "1"), ("Password", "pw"), ("Bogus", "1")],
        )],
        backends: Backends::FakeOnly(
            "moto creates the stack with a parameter its template does not declare",
        ),
        expected: "create a: Validation: ValidationError: Parameters: [Bogus] do not exist in the template\n",
    },
    Scenario {
        name: "update_missing_stack",
        steps: &[Step::Update(
            "nothing",
            Template::Rack,
            &[("Version", Value::Is("2"))],
        )],
        backends: Backends::MotoWords(
            "update nothing: Validation: ValidationError: Stack with id nothing does not exist\n",
        ),
        expected: "update nothing: Validation: ValidationError: Stack [nothing] does not exist\n",
    },
    Scenario {
        name: "update_a_value_keeping_the_password",
        steps: &[
            Step::Create("a", PARAMETERS),
            Step::Settle,
            Step::Update(
                "a",
                Template::Rack,
                &[("Version", Value::Is("2")), ("Password", Value::Previous)],
            ),
            Step::Settle,
            Step::Describe("a"),
        ],
        backends: Backends::Both,
        expected: "create a: ok\nupdate a: started\ndescribe a: UPDATE_COMPLETE\n",
    },
    Scenario {
        name: "update_with_nothing_changed",
        steps: &[
            Step::Create("a", PARAMETERS),
            Step::Settle,
            Step::Update(
                "a",
                Template::Rack,
                &[("Version", Value::Is("1")), ("Password", Value::Previous)],
            ),
        ],
        backends: Backends::FakeOnly(
            "moto starts an update that changes nothing, where AWS answers No updates are to be performed",
        ),
        expected: "create a: ok\nupdate a: nothing to do\n",
    },
    Scenario {
        name: "update_while_an_update_runs",
        steps: &[
            Step::Create("a", PARAMETERS),
            Step::Settle,
            Step::Hold("a", "UPDATE_IN_PROGRESS"),
            Step::Update(
                "a",
                Template::Rack,
                &[("Version", Value::Is("2")), ("Password", Value::Previous)],
            ),
        ],
        backends: Backends::FakeOnly(
            "moto starts an update of a stack in UPDATE_IN_PROGRESS, which AWS refuses",
        ),
        expected: "create a: ok\nupdate a: Busy: ValidationError: Stack:ARN is in UPDATE_IN_PROGRESS state and can not be updated.\n",
    },
    Scenario {
        name: "cancel_a_settled_stack",
        steps: &[
            Step::Create("a", PARAMETERS),
            Step::Settle,
            Step::Cancel("a"),
        ],
        backends: Backends::Both,
        expected: "create a: ok\ncancel a: Validation: ValidationError: CancelUpdateStack cannot be called from current stack status\n",
    },
    Scenario {
        name: "cancel_a_running_update",
        steps: &[
            Step::Create("a", PARAMETERS),
            Step::Settle,
            Step::Update(
                "a",
                Template::Rack,
                &[("Version", Value::Is("2")), ("Password", Value::Previous)],
            ),
            Step::Hold("a", "UPDATE_IN_PROGRESS"),
            Step::Cancel("a"),
            Step::Settle,
            Step::Describe("a"),
        ],
        backends: Backends::Both,
        expected: "create a: ok\nupdate a: started\ncancel a: ok\ndescribe a: UPDATE_ROLLBACK_COMPLETE\n",
    },
    Scenario {
        name: "delete_missing_stack",
        steps: &[Step::Delete("nothing")],
        backends: Backends::Both,
        expected: "delete nothing: ok\n",
    },
    Scenario {
        name: "delete_then_create_again",
        steps: &[
            Step::Create("a", PARAMETERS),
            Step::Settle,
            Step::Delete("a"),
            Step::Settle,
            Step::Describe("a"),
            Step::Create("a", PARAMETERS),
            Step::Settle,
            Step::Describe("a"),
        ],
        backends: Backends::Both,
        expected: "create a: ok\ndelete a: ok\ndescribe a: no such stack\ncreate a: ok\ndescribe a: CREATE_COMPLETE\n",
    },
    Scenario {
        name: "use_previous_value_for_a_parameter_the_stack_lacks",
        steps: &[
            Step::Create("a", PARAMETERS),
            Step::Settle,
            Step::Update(
                "a",
                Template::WithExtra,
                &[
                    ("Version", Value::Is("1")),
                    ("Password", Value::Previous),
                    ("Extra", Value::Previous),
                ],
            ),
        ],
        backends: Backends::FakeOnly(
            "moto fails UsePreviousValue for a parameter it has no value of with HTTP 500 (DESIGN.md section 6)",
        ),
        expected: "create a: ok\nupdate a: Validation: ValidationError: Parameter Extra has UsePreviousValue but the stack has no previous value\n",
    },
    Scenario {
        name: "use_previous_value_for_a_defaulted_parameter",
        steps: &[
            Step::Create("a", PARAMETERS),
            Step::Settle,
            Step::Update(
                "a",
                Template::Rack,
                &[
                    ("Version", Value::Is("2")),
                    ("Password", Value::Previous),
                    ("InstanceType", Value::Previous),
                ],
            ),
            Step::Settle,
            Step::Describe("a"),
        ],
        backends: Backends::FakeOnly(
            "moto fails UsePreviousValue for a parameter defaulted at create with HTTP 500 (DESIGN.md section 6)",
        ),
        expected: "create a: ok\nupdate a: started\ndescribe a: UPDATE_COMPLETE\n",
    },
    Scenario {
        name: "update_after_a_failed_install",
        steps: &[
            Step::Create("a", PARAMETERS),
            Step::Settle,
            Step::Hold("a", "ROLLBACK_COMPLETE"),
            Step::Update(
                "a",
                Template::Rack,
                &[("Version", Value::Is("2")), ("Password", Value::Previous)],
            ),
        ],
        backends: Backends::Both,
        expected: "create a: ok\nupdate a: Validation: ValidationError: Stack:ARN is in ROLLBACK_COMPLETE state and can not be updated.\n",
    },
    Scenario {
        name: "events_of_a_missing_stack",
        steps: &[Step::Events("nothing")],
        backends: Backends::MotoWords(
            "events nothing: Validation: ValidationError: Stack with id nothing does not exist\n",
        ),
        expected: "events nothing: Validation: ValidationError: Stack [nothing] does not exist\n",
    },
    Scenario {
        name: "cancel_a_missing_stack",
        steps: &[Step::Cancel("nothing")],
        backends: Backends::Both,
        expected: "cancel nothing: Validation: ValidationError: Stack [nothing] does not exist\n",
    },
    Scenario {
        name: "update_after_a_rolled_back_update",
        steps: &[
            Step::Create("a", PARAMETERS),
            Step::Settle,
            Step::Hold("a", "UPDATE_ROLLBACK_COMPLETE"),
            Step::Update(
                "a",
                Template::Rack,
                &[("Version", Value::Is("2")), ("Password", Value::Previous)],
            ),
            Step::Settle,
            Step::Describe("a"),
        ],
        backends: Backends::Both,
        expected: "create a: ok\nupdate a: started\ndescribe a: UPDATE_COMPLETE\n",
    },
    Scenario {
        name: "update_a_deleted_stack",
        steps: &[
            Step::Create("a", PARAMETERS),
            Step::Settle,
            Step::Delete("a"),
            Step::Settle,
            Step::Update(
                "a",
                Template::Rack,
                &[("Version", Value::Is("2")), ("Password", Value::Previous)],
            ),
            Step::Describe("a"),
        ],
        backends: Backends::MotoWords(
            "create a: ok\ndelete a: ok\nupdate a: Validation: ValidationError: Stack with id a does not exist\ndescribe a: no such stack\n",
        ),
        expected: "create a: ok\ndelete a: ok\nupdate a: Validation: ValidationError: Stack [a] does not exist\ndescribe a: no such stack\n",
    },
    Scenario {
        name: "create_with_an_ssm_parameter_naming_nothing",
        steps: &[
            Step::CreateFrom(
                "a",
                Template::WithSsm,
                &[("Version", "1"), ("Password", "pw"), ("Ami", "/missing")],
            ),
            Step::Describe("a"),
        ],
        backends: Backends::FakeOnly(
            "moto answers a create whose SSM-typed parameter names nothing with a body boto3 cannot parse as CloudFormation's XML",
        ),
        expected: "create a: Validation: ValidationError: Parameters [/missing] referenced by template have types not supported by CloudFormation or do not exist\ndescribe a: no such stack\n",
    },
];

/// The template every scenario uses: the rack's parameters, and resources moto can create.
fn template(which: Template) -> FakeTemplate {
    let mut template = FakeTemplate::rack(&[("Topic", "AWS::SNS::Topic")]);
    let added = match which {
        Template::Rack => None,
        Template::WithExtra => Some(("Extra", "String")),
        Template::WithSsm => Some(("Ami", "AWS::SSM::Parameter::Value<String>")),
    };
    if let Some((name, kind)) = added {
        template.parameters.insert(
            name.into(),
            TemplateParameter {
                kind: kind.into(),
                ..TemplateParameter::default()
            },
        );
    }
    template
}

fn body(which: Template) -> String {
    template(which).body()
}

/// The answer line of a failed request, as rackfile sees it.
fn error_line(error: &CloudError, arn: Option<&str>) -> String {
    let message = match arn {
        Some(arn) => error.message.replace(arn, "ARN"),
        None => error.message.clone(),
    };
    format!("{:?}: {message}", error.kind)
}

fn label(step: &Step) -> Option<String> {
    Some(match step {
        Step::Create(name, _) | Step::CreateFrom(name, ..) => format!("create {name}"),
        Step::Update(name, ..) => format!("update {name}"),
        Step::Delete(name) => format!("delete {name}"),
        Step::Cancel(name) => format!("cancel {name}"),
        Step::Describe(name) => format!("describe {name}"),
        Step::Events(name) => format!("events {name}"),
        Step::Settle | Step::Hold(..) => return None,
    })
}

async fn on_fake(scenario: &Scenario) -> String {
    let fake = FakeAws::new(Duration::from_secs(10));
    for which in [Template::Rack, Template::WithExtra, Template::WithSsm] {
        fake.add_template(TemplateSource::Body(body(which)), template(which));
    }
    let cloud = fake.cloud_for(PERSONAL_ACCOUNT, REGION);
    let mut out = String::new();
    for (index, step) in scenario.steps.iter().enumerate() {
        let arn = |name: &str| {
            fake.stack(PERSONAL_ACCOUNT, REGION, name)
                .map(|stack| stack.stack_id)
        };
        let answer = match *step {
            Step::Create(name, parameters) | Step::CreateFrom(name, _, parameters) => {
                let which = match *step {
                    Step::CreateFrom(_, which, _) => which,
                    _ => Template::Rack,
                };
                let request = CreateStackRequest {
                    name: name.into(),
                    template: TemplateSource::Body(body(which)),
                    parameters: parameters
                        .iter()
                        .map(|(k, v)| (k.to_string(), v.to_string()))
                        .collect(),
                    tags: BTreeMap::new(),
                    termination_protection: false,
                    timeout_minutes: None,
                    role_arn: None,
                    options: Default::default(),
                    token: format!("token-{index}"),
                };
                match cloud.create_stack(&request).await {
                    Ok(()) => "ok".to_string(),
                    Err(error) => error_line(&error, arn(name).as_deref()),
                }
            }
            Step::Update(name, which, parameters) => {
                let request = UpdateStackRequest {
                    name: name.into(),
                    template: TemplateSource::Body(body(which)),
                    parameters: parameters
                        .iter()
                        .map(|(k, v)| {
                            let value = match v {
                                Value::Is(value) => ParameterValue::Value(value.to_string()),
                                Value::Previous => ParameterValue::UsePrevious,
                            };
                            (k.to_string(), value)
                        })
                        .collect(),
                    tags: BTreeMap::new(),
                    role_arn: None,
                    options: Default::default(),
                    token: format!("token-{index}"),
                };
                let arn = arn(name);
                match cloud.update_stack(&request).await {
                    Ok(UpdateOutcome::Started) => "started".to_string(),
                    Ok(UpdateOutcome::NothingToDo) => "nothing to do".to_string(),
                    Err(error) => error_line(&error, arn.as_deref()),
                }
            }
            Step::Delete(name) => match cloud
                .delete_stack(name, None, &format!("token-{index}"))
                .await
            {
                Ok(()) => "ok".to_string(),
                Err(error) => error_line(&error, arn(name).as_deref()),
            },
            Step::Cancel(name) => {
                match cloud
                    .cancel_update_stack(name, &format!("token-{index}"))
                    .await
                {
                    Ok(()) => "ok".to_string(),
                    Err(error) => error_line(&error, arn(name).as_deref()),
                }
            }
            Step::Describe(name) => match cloud.describe_stack(name).await {
                Ok(Some(stack)) => stack.status.to_string(),
                Ok(None) => "no such stack".to_string(),
                Err(error) => error_line(&error, arn(name).as_deref()),
            },
            Step::Events(name) => match cloud.stack_events(name).await {
                Ok(events) => format!("{} events", events.len()),
                Err(error) => error_line(&error, arn(name).as_deref()),
            },
            Step::Settle => {
                tokio::time::sleep(Duration::from_secs(3600)).await;
                continue;
            }
            Step::Hold(name, status) => {
                let now = fake.stack(PERSONAL_ACCOUNT, REGION, name).map(|s| s.status);
                if now.as_ref().map(|s| s.as_str()) != Some(status) {
                    fake.set_status(PERSONAL_ACCOUNT, REGION, name, status);
                }
                continue;
            }
        };
        out.push_str(&format!("{}: {answer}\n", label(step).unwrap()));
    }
    out
}

/// The scenario as one boto3 script run inside moto; each request prints `label\tok|started|...` or
/// `label\tERR\tcode\tmessage`.
fn moto_script(scenario: &Scenario) -> String {
    let mut script = String::from(
        "import botocore, requests\n\
         cf = client('cloudformation')\n\
         def step(label, call):\n\
         \x20   try:\n\
         \x20       print(label + '\\t' + call())\n\
         \x20   except botocore.exceptions.ClientError as e:\n\
         \x20       error = e.response['Error']\n\
         \x20       arns = [s['StackId'] for s in cf.list_stacks()['StackSummaries'] if s['StackStatus'] != 'DELETE_COMPLETE']\n\
         \x20       message = error.get('Message', '')\n\
         \x20       for arn in arns:\n\
         \x20           message = message.replace(arn, 'ARN')\n\
         \x20       print(label + '\\tERR\\t' + error.get('Code', '') + '\\t' + message)\n\
         def parameters(pairs):\n\
         \x20   return [{'ParameterKey': k, 'UsePreviousValue': True} if v is None else {'ParameterKey': k, 'ParameterValue': v} for k, v in pairs]\n\
         def update(name, body, pairs):\n\
         \x20   try:\n\
         \x20       cf.update_stack(StackName=name, TemplateBody=body, Parameters=parameters(pairs))\n\
         \x20       return 'started'\n\
         \x20   except botocore.exceptions.ClientError as e:\n\
         \x20       if 'No updates are to be performed' in e.response['Error'].get('Message', ''):\n\
         \x20           return 'nothing to do'\n\
         \x20       raise\n\
         def describe(name):\n\
         \x20   try:\n\
         \x20       return cf.describe_stacks(StackName=name)['Stacks'][0]['StackStatus']\n\
         \x20   except botocore.exceptions.ClientError as e:\n\
         \x20       if 'does not exist' in e.response['Error'].get('Message', ''):\n\
         \x20           return 'no such stack'\n\
         \x20       raise\n",
    );
    for (index, step) in scenario.steps.iter().enumerate() {
        let line = match *step {
            Step::Create(name, parameters) | Step::CreateFrom(name, _, parameters) => {
                let which = match *step {
                    Step::CreateFrom(_, which, _) => which,
                    _ => Template::Rack,
                };
                let pairs: Vec<String> = parameters
                    .iter()
                    .map(|(k, v)| format!("('{k}', '{v}')"))
                    .collect();
                format!(
                    "step('create {name}', lambda: cf.create_stack(StackName='{name}', TemplateBody={body:?}, Parameters=parameters([{pairs}]), ClientRequestToken='token-{index}') and 'ok')\n",
                    body = body(which),
                    pairs = pairs.join(", ")
                )
            }
            Step::Update(name, which, parameters) => {
                let pairs: Vec<String> = parameters
                    .iter()
                    .map(|(k, v)| match v {
                        Value::Is(value) => format!("('{k}', '{value}')"),
                        Value::Previous => format!("('{k}', None)"),
                    })
                    .collect();
                format!(
                    "step('update {name}', lambda: update('{name}', {body:?}, [{pairs}]))\n",
                    body = body(which),
                    pairs = pairs.join(", ")
                )
            }
            Step::Delete(name) => format!(
                "step('delete {name}', lambda: cf.delete_stack(StackName='{name}') and 'ok')\n"
            ),
            Step::Cancel(name) => format!(
                "step('cancel {name}', lambda: cf.cancel_update_stack(StackName='{name}') and 'ok')\n"
            ),
            Step::Describe(name) => {
                format!("step('describe {name}', lambda: describe('{name}'))\n")
            }
            Step::Events(name) => format!(
                "step('events {name}', lambda: str(len(cf.describe_stack_events(StackName='{name}')['StackEvents'])) + ' events')\n"
            ),
            Step::Settle => continue,
            Step::Hold(name, status) => format!(
                "requests.post(f'{{ENDPOINT}}/rackfile-test/stack-status', json={{'account': '{PERSONAL_ACCOUNT}', 'region': '{REGION}', 'name': '{name}', 'status': '{status}'}}).raise_for_status()\n"
            ),
        };
        script.push_str(&line);
    }
    script
}

fn on_moto(session: &MotoSession, scenario: &Scenario) -> String {
    let printed = session.python(&moto_script(scenario));
    let mut out = String::new();
    for line in printed.lines() {
        let fields: Vec<&str> = line.splitn(4, '\t').collect();
        let answer = match fields.as_slice() {
            [_, "ERR", code, message] => {
                // As the SDK adapter words and sorts an AWS error.
                let message = format!("{code}: {message}");
                let kind = CloudError::classify(Some(code), &message);
                error_line(&CloudError::new(kind, message), None)
            }
            [_, answer] => answer.to_string(),
            _ => panic!("an unexpected line from moto: {line}"),
        };
        out.push_str(&format!("{}: {answer}\n", fields[0]));
    }
    out
}

#[tokio::test(start_paused = true)]
async fn every_scenario_answers_as_listed_on_the_fake() {
    let mut failures = Vec::new();
    for scenario in SCENARIOS {
        let answered = on_fake(scenario).await;
        if answered != scenario.expected {
            let moto = match scenario.backends {
                Backends::FakeOnly(why) => format!(" (fake only: {why})"),
                Backends::Both | Backends::MotoWords(_) => String::new(),
            };
            failures.push(format!(
                "scenario {}{moto} on the fake:\n--- expected\n{}--- answered\n{answered}",
                scenario.name, scenario.expected
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The outcome of each request without the error's wording: `verb stack: Kind` or the answer.
fn outcomes(answers: &str) -> String {
    answers
        .lines()
        .map(|line| {
            let (request, answer) = line.split_once(": ").unwrap_or((line, ""));
            let outcome = answer.split(": ").next().unwrap_or(answer);
            format!("{request}: {outcome}\n")
        })
        .collect()
}

#[test]
fn every_scenario_moto_can_show_answers_as_listed_on_moto() {
    let session = crate::moto::session();
    let mut failures = Vec::new();
    for scenario in SCENARIOS {
        let expected = match scenario.backends {
            Backends::Both => scenario.expected,
            Backends::MotoWords(moto) => {
                // Only the wording may differ: the same requests succeed, the same fail, as the same kind.
                assert_eq!(
                    outcomes(moto),
                    outcomes(scenario.expected),
                    "scenario {}: moto's answer differs in more than wording",
                    scenario.name
                );
                moto
            }
            Backends::FakeOnly(_) => continue,
        };
        let (status, body) = crate::moto::post(session.port, "/moto-api/reset", "");
        assert!(status == 200, "moto reset failed: {status} {body}");
        let answered = on_moto(&session, scenario);
        if answered != expected {
            failures.push(format!(
                "scenario {} on moto:\n--- expected\n{expected}--- answered\n{answered}",
                scenario.name
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
