//! The `Alarms` trait over CloudWatch's DescribeAlarms, a Query request made by `aws_protocol`. (CloudWatch
//! also speaks Smithy RPC v2 CBOR, which the SDK's newer clients use; the pinned moto 5.2.5 the tests run
//! against serves only Query, and AWS serves both.)

use std::collections::BTreeMap;

use async_trait::async_trait;
use aws_config::SdkConfig;
use aws_smithy_xml::decode::{XmlDecodeError, try_data};

use super::aws_protocol::{
    Page, Protocol, Service, ServiceClient, child_texts, query_list, visit_path,
};
use super::call_log::CallLog;
use super::{AlarmState, Alarms, CloudError, MAX_ALARM_NAMES_PER_CALL};

const CLOUDWATCH: Service = Service {
    name: "CloudWatch",
    signing_name: "monitoring",
    endpoint_prefix: "monitoring",
    global: false,
    protocol: Protocol::Query {
        version: "2010-08-01",
    },
    names_codeless_errors: false,
};

pub struct AwsAlarms {
    client: ServiceClient,
}

impl AwsAlarms {
    pub fn new(sdk: &SdkConfig, region: &str, log: CallLog) -> Self {
        Self {
            client: ServiceClient::new(&CLOUDWATCH, sdk, region, log),
        }
    }
}

/// A page of DescribeAlarms: (name, state word) of every metric and composite alarm, and the next token.
fn alarm_page(body: &[u8]) -> Result<Page<(String, String)>, XmlDecodeError> {
    let mut page = Page {
        items: Vec::new(),
        next_token: None,
    };
    for kind in ["MetricAlarms", "CompositeAlarms"] {
        visit_path(
            body,
            &[
                "DescribeAlarmsResponse",
                "DescribeAlarmsResult",
                kind,
                "member",
            ],
            &mut |member| {
                if let [Some(name), Some(state)] = child_texts(member, ["AlarmName", "StateValue"])?
                {
                    page.items.push((name, state));
                }
                Ok(())
            },
        )?;
    }
    visit_path(
        body,
        &[
            "DescribeAlarmsResponse",
            "DescribeAlarmsResult",
            "NextToken",
        ],
        &mut |token| {
            page.next_token = Some(try_data(token)?.into_owned()).filter(|t| !t.is_empty());
            Ok(())
        },
    )?;
    Ok(page)
}

#[async_trait]
impl Alarms for AwsAlarms {
    async fn describe_alarms(
        &self,
        names: &[String],
    ) -> Result<BTreeMap<String, AlarmState>, CloudError> {
        let mut states = BTreeMap::new();
        for chunk in names.chunks(MAX_ALARM_NAMES_PER_CALL) {
            let mut params = query_list("AlarmNames", chunk);
            // Without AlarmTypes, DescribeAlarms answers metric alarms only: a composite alarm would look
            // missing.
            params.extend(query_list(
                "AlarmTypes",
                &["MetricAlarm".to_string(), "CompositeAlarm".to_string()],
            ));
            params.push(("MaxRecords".to_string(), "100".to_string()));
            let alarms = self
                .client
                .query_pages("DescribeAlarms", &params, "NextToken", alarm_page)
                .await?;
            for (name, state) in alarms {
                if let Some(state) = AlarmState::parse(&state) {
                    states.insert(name, state);
                }
            }
        }
        Ok(states)
    }
}

#[cfg(test)]
mod tests {
    use super::super::aws_protocol::testing::{Recorder, log, sdk_config};
    use super::*;
    use crate::cloud::CloudErrorKind;

    fn alarms(recorder: &Recorder) -> AwsAlarms {
        AwsAlarms::new(
            &sdk_config(recorder, "eu-west-1", None),
            "eu-west-1",
            log("eu-west-1"),
        )
    }

    fn page(metric: &[(&str, &str)], composite: &[(&str, &str)], token: Option<&str>) -> String {
        let members = |alarms: &[(&str, &str)]| -> String {
            alarms
                .iter()
                .map(|(name, state)| {
                    format!(
                        "<member><AlarmName>{name}</AlarmName><Dimensions><member><Name>Rack</Name><Value>prod</Value></member></Dimensions><StateValue>{state}</StateValue><StateReason>r</StateReason></member>"
                    )
                })
                .collect()
        };
        let token = token
            .map(|token| format!("<NextToken>{token}</NextToken>"))
            .unwrap_or_default();
        format!(
            r#"<DescribeAlarmsResponse xmlns="http://monitoring.amazonaws.com/doc/2010-08-01/"><DescribeAlarmsResult><MetricAlarms>{}</MetricAlarms><CompositeAlarms>{}</CompositeAlarms>{token}</DescribeAlarmsResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></DescribeAlarmsResponse>"#,
            members(metric),
            members(composite)
        )
    }

    #[tokio::test]
    async fn every_page_of_metric_and_composite_alarms_is_read() {
        let recorder = Recorder::answering(&[
            (
                200,
                &page(
                    &[("prod-5xx", "ALARM")],
                    &[("prod-health", "OK")],
                    Some("t/2"),
                ),
            ),
            (
                200,
                &page(&[("prod-latency", "INSUFFICIENT_DATA")], &[], None),
            ),
        ]);
        let names = ["prod-5xx", "prod-health", "prod-latency", "prod-missing"].map(str::to_string);
        let states = alarms(&recorder).describe_alarms(&names).await.unwrap();
        assert_eq!(
            states,
            BTreeMap::from([
                ("prod-5xx".to_string(), AlarmState::Alarm),
                ("prod-health".to_string(), AlarmState::Ok),
                ("prod-latency".to_string(), AlarmState::InsufficientData),
            ])
        );
        assert_eq!(
            recorder.uri(0),
            "https://monitoring.eu-west-1.amazonaws.com/"
        );
        let first = "Action=DescribeAlarms&Version=2010-08-01&AlarmNames.member.1=prod-5xx&AlarmNames.member.2=prod-health&AlarmNames.member.3=prod-latency&AlarmNames.member.4=prod-missing&AlarmTypes.member.1=MetricAlarm&AlarmTypes.member.2=CompositeAlarm&MaxRecords=100";
        assert_eq!(
            recorder.bodies(),
            [first.to_string(), format!("{first}&NextToken=t%2F2")]
        );
    }

    /// A token handed back again would loop forever, and stopping there would leave alarms unread (a gate
    /// would read them as missing): it is an error naming the call.
    #[tokio::test]
    async fn pages_that_go_round_in_a_circle_are_an_error() {
        let recorder = Recorder::answering(&[
            (200, &page(&[("prod-5xx", "OK")], &[], Some("A"))),
            (200, &page(&[], &[], Some("B"))),
            (200, &page(&[], &[], Some("A"))),
        ]);
        let error = alarms(&recorder)
            .describe_alarms(&["prod-5xx".to_string()])
            .await
            .unwrap_err();
        assert_eq!(error.kind, CloudErrorKind::Other);
        assert_eq!(
            error.message,
            r#"DescribeAlarms handed back the page token "A" a second time: its pages go round in a circle, so the answer is incomplete"#
        );
        assert_eq!(recorder.bodies().len(), 3);
    }

    #[tokio::test]
    async fn more_than_a_calls_worth_of_names_is_asked_in_chunks() {
        let recorder = Recorder::answering(&[
            (200, &page(&[], &[], None)),
            (200, &page(&[("alarm-100", "OK")], &[], None)),
        ]);
        let names: Vec<String> = (0..=MAX_ALARM_NAMES_PER_CALL)
            .map(|index| format!("alarm-{index}"))
            .collect();
        let states = alarms(&recorder).describe_alarms(&names).await.unwrap();
        assert_eq!(states.len(), 1);
        let bodies = recorder.bodies();
        assert_eq!(bodies.len(), 2);
        assert!(bodies[0].contains("AlarmNames.member.100=alarm-99&"));
        assert!(bodies[1].contains("&AlarmNames.member.1=alarm-100&AlarmTypes"));
    }

    #[tokio::test]
    async fn a_denial_names_cloudwatchs_code() {
        let recorder = Recorder::answering(&[(
            403,
            r#"<ErrorResponse xmlns="http://monitoring.amazonaws.com/doc/2010-08-01/"><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>User: arn:aws:iam::123456789012:user/deployer is not authorized to perform: cloudwatch:DescribeAlarms</Message></Error><RequestId>r</RequestId></ErrorResponse>"#,
        )]);
        let error = alarms(&recorder)
            .describe_alarms(&["a".to_string()])
            .await
            .unwrap_err();
        assert_eq!(error.kind, CloudErrorKind::AccessDenied);
        assert_eq!(
            error.message,
            "AccessDenied: User: arn:aws:iam::123456789012:user/deployer is not authorized to perform: cloudwatch:DescribeAlarms"
        );
    }

    #[test]
    fn a_page_without_alarms_or_token_is_empty() {
        assert_eq!(
            alarm_page(page(&[], &[], None).as_bytes()).unwrap(),
            Page {
                items: vec![],
                next_token: None
            }
        );
        assert!(alarm_page(b"<DescribeStacksResponse/>").is_err());
    }
}
