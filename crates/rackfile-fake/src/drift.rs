//! The strict fake's drift detection, as AWS runs it: DetectStackDrift starts a detection that takes time on
//! tokio's clock (DETECTION_IN_PROGRESS until then), is refused for a stack that does not exist or is in the
//! middle of an operation, and ends DETECTION_COMPLETE, or DETECTION_FAILED when a resource could not be
//! checked (a type the fake cannot read: UNKNOWN, with the reason). A custom resource or wait condition is not
//! checked at all and, as AWS does, is left out of DescribeStackResourceDrifts (NOT_CHECKED is for the caller
//! to see by listing the stack's resources). Tests change resources behind the stack's back with
//! `FakeAws::drift_resource` and `FakeAws::delete_resource_behind`.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use tokio::time::Instant;

use rackfile::cloud::drift::{
    Detection, DetectionStatus, Drift, PropertyDifference, ResourceDrift, ResourceDriftStatus,
    StackDriftStatus,
};
use rackfile::cloud::{CloudError, CloudErrorKind, StackResource, StackState};

use crate::playback::advance;
use crate::{Call, FakeAws, World, validation};

/// Types CloudFormation's drift detection does not check: custom resources and wait conditions.
fn never_checked(resource_type: &str) -> bool {
    resource_type.starts_with("Custom::")
        || matches!(
            resource_type,
            "AWS::CloudFormation::CustomResource"
                | "AWS::CloudFormation::WaitCondition"
                | "AWS::CloudFormation::WaitConditionHandle"
        )
}

/// The types the fake can read back to compare; any other type's check fails (UNKNOWN, DETECTION_FAILED).
const READABLE_TYPES: &[&str] = &[
    "AWS::AutoScaling::AutoScalingGroup",
    "AWS::AutoScaling::LaunchConfiguration",
    "AWS::DynamoDB::Table",
    "AWS::EC2::EIP",
    "AWS::EC2::InternetGateway",
    "AWS::EC2::LaunchTemplate",
    "AWS::EC2::NatGateway",
    "AWS::EC2::Route",
    "AWS::EC2::RouteTable",
    "AWS::EC2::SecurityGroup",
    "AWS::EC2::Subnet",
    "AWS::EC2::SubnetRouteTableAssociation",
    "AWS::EC2::VPC",
    "AWS::EC2::VPCGatewayAttachment",
    "AWS::ECS::Cluster",
    "AWS::ECS::Service",
    "AWS::ECS::TaskDefinition",
    "AWS::EFS::FileSystem",
    "AWS::EFS::MountTarget",
    "AWS::ElasticLoadBalancing::LoadBalancer",
    "AWS::ElasticLoadBalancingV2::Listener",
    "AWS::ElasticLoadBalancingV2::LoadBalancer",
    "AWS::ElasticLoadBalancingV2::TargetGroup",
    "AWS::Events::Rule",
    "AWS::IAM::InstanceProfile",
    "AWS::IAM::Policy",
    "AWS::IAM::Role",
    "AWS::KMS::Key",
    "AWS::Lambda::Function",
    "AWS::Logs::LogGroup",
    "AWS::S3::Bucket",
    "AWS::SNS::Topic",
    "AWS::SQS::Queue",
];

/// What was changed behind a stack's back.
#[derive(Debug, Clone)]
enum Behind {
    Modified(Vec<PropertyDifference>),
    Deleted,
}

type StackPlace = (String, String, String);

#[derive(Default)]
pub(super) struct DriftWorld {
    behind: HashMap<(StackPlace, String), Behind>,
    detections: HashMap<String, FakeDetection>,
    /// The results of each stack's last finished detection.
    results: HashMap<StackPlace, Vec<ResourceDrift>>,
    serial: usize,
    /// How long a detection takes; `None`: one `resource_time` per resource.
    detection_time: Option<Duration>,
}

struct FakeDetection {
    place: StackPlace,
    ready_at: Instant,
    results: Vec<ResourceDrift>,
    published: bool,
}

/// The physical id the fake gives a resource.
pub fn physical_id(stack: &str, logical_id: &str) -> String {
    format!("{stack}-{logical_id}").to_ascii_lowercase()
}

impl FakeAws {
    /// Changes properties of resource `logical_id` of stack `name` behind CloudFormation's back (the next
    /// detection finds it MODIFIED with these differences).
    pub fn drift_resource(
        &self,
        account: &str,
        region: &str,
        name: &str,
        logical_id: &str,
        differences: Vec<PropertyDifference>,
    ) {
        self.world().drift.behind.insert(
            (place(account, region, name), logical_id.to_string()),
            Behind::Modified(differences),
        );
    }

    /// Deletes resource `logical_id` of stack `name` behind CloudFormation's back (DELETED).
    pub fn delete_resource_behind(
        &self,
        account: &str,
        region: &str,
        name: &str,
        logical_id: &str,
    ) {
        self.world().drift.behind.insert(
            (place(account, region, name), logical_id.to_string()),
            Behind::Deleted,
        );
    }

    /// Every drift detection takes `time` from now on (a detection that outlasts rackfile's patience).
    pub fn set_drift_detection_time(&self, time: Duration) {
        self.world().drift.detection_time = Some(time);
    }

    pub(super) fn drift_for(&self, account: &str, region: &str) -> Arc<dyn Drift> {
        Arc::new(FakeDrift {
            aws: self.clone(),
            account: account.to_string(),
            region: region.to_string(),
        })
    }
}

fn place(account: &str, region: &str, name: &str) -> StackPlace {
    (account.to_string(), region.to_string(), name.to_string())
}

struct FakeDrift {
    aws: FakeAws,
    account: String,
    region: String,
}

impl FakeDrift {
    fn record(&self, world: &mut World, operation: &'static str) -> Result<(), CloudError> {
        world.calls.push(Call {
            at: Instant::now(),
            operation,
            account: self.account.clone(),
            region: self.region.clone(),
        });
        if world.denied.contains(operation) {
            return Err(CloudError::new(
                CloudErrorKind::AccessDenied,
                format!("AccessDenied: not authorized to perform cloudformation:{operation}"),
            ));
        }
        Ok(())
    }

    /// The stack's resources (logical id, type), once its operations have played out to now; an error as AWS
    /// gives for a stack that does not exist.
    fn resources_of(
        &self,
        world: &mut World,
        name: &str,
    ) -> Result<(Vec<(String, String)>, StackState), CloudError> {
        let key = (self.account.clone(), self.region.clone());
        let stack = world
            .stacks
            .get_mut(&key)
            .and_then(|stacks| stacks.get_mut(name))
            .filter(|stack| stack.stack.state() != StackState::Deleted)
            .ok_or_else(|| validation(format!("Stack with id {name} does not exist")))?;
        advance(stack, self.aws.resource_time, &self.aws.event_serial);
        Ok((stack.resources.clone(), stack.stack.state()))
    }
}

#[async_trait]
impl Drift for FakeDrift {
    async fn detect_stack_drift(&self, stack: &str) -> Result<String, CloudError> {
        let mut world = self.aws.world();
        self.record(&mut world, "DetectStackDrift")?;
        let (resources, state) = self.resources_of(&mut world, stack)?;
        if state == StackState::InProgress {
            return Err(validation(format!(
                "Drift detection is not supported for stack [{stack}] while an operation is in progress"
            )));
        }
        let here = place(&self.account, &self.region, stack);
        let mut results = Vec::new();
        for (logical_id, resource_type) in &resources {
            if never_checked(resource_type) {
                continue;
            }
            let physical_id = Some(physical_id(stack, logical_id));
            let (status, differences, reason) = if !READABLE_TYPES.contains(&resource_type.as_str())
            {
                (
                    ResourceDriftStatus::Unknown,
                    Vec::new(),
                    Some(format!(
                        "Failed to detect drift on resource [{logical_id}]: the fake cannot read resources of type {resource_type}"
                    )),
                )
            } else {
                match world.drift.behind.get(&(here.clone(), logical_id.clone())) {
                    Some(Behind::Modified(differences)) => {
                        (ResourceDriftStatus::Modified, differences.clone(), None)
                    }
                    Some(Behind::Deleted) => (ResourceDriftStatus::Deleted, Vec::new(), None),
                    None => (ResourceDriftStatus::InSync, Vec::new(), None),
                }
            };
            results.push(ResourceDrift {
                logical_id: logical_id.clone(),
                physical_id,
                resource_type: resource_type.clone(),
                status,
                differences,
                reason,
            });
        }
        let time = world.drift.detection_time.unwrap_or_else(|| {
            self.aws.resource_time * u32::try_from(results.len().max(1)).unwrap_or(u32::MAX)
        });
        world.drift.serial += 1;
        let id = format!(
            "drift-detection-{}-{}",
            self.aws.world_id, world.drift.serial
        );
        world.drift.detections.insert(
            id.clone(),
            FakeDetection {
                place: here,
                ready_at: Instant::now() + time,
                results,
                published: false,
            },
        );
        Ok(id)
    }

    async fn detection_status(&self, detection_id: &str) -> Result<Detection, CloudError> {
        let mut world = self.aws.world();
        self.record(&mut world, "DescribeStackDriftDetectionStatus")?;
        let drift = &mut world.drift;
        let detection = drift.detections.get_mut(detection_id).ok_or_else(|| {
            validation(format!(
                "Drift detection with id {detection_id} does not exist"
            ))
        })?;
        if detection.place.0 != self.account || detection.place.1 != self.region {
            return Err(validation(format!(
                "Drift detection with id {detection_id} does not exist"
            )));
        }
        if Instant::now() < detection.ready_at {
            return Ok(Detection {
                status: DetectionStatus::DetectionInProgress,
                stack_drift: None,
                reason: None,
                drifted_resources: None,
            });
        }
        let drifted = detection
            .results
            .iter()
            .filter(|r| {
                matches!(
                    r.status,
                    ResourceDriftStatus::Modified | ResourceDriftStatus::Deleted
                )
            })
            .count();
        let failed: Vec<&str> = detection
            .results
            .iter()
            .filter(|r| r.status == ResourceDriftStatus::Unknown)
            .map(|r| r.logical_id.as_str())
            .collect();
        let checked = detection
            .results
            .iter()
            .any(|r| r.status != ResourceDriftStatus::Unknown);
        let answer = Detection {
            status: if failed.is_empty() {
                DetectionStatus::DetectionComplete
            } else {
                DetectionStatus::DetectionFailed
            },
            stack_drift: Some(if drifted > 0 {
                StackDriftStatus::Drifted
            } else if checked {
                StackDriftStatus::InSync
            } else {
                StackDriftStatus::NotChecked
            }),
            reason: (!failed.is_empty()).then(|| {
                format!(
                    "Failed to detect drift on resources [{}]",
                    failed.join(", ")
                )
            }),
            drifted_resources: Some(u32::try_from(drifted).unwrap_or(u32::MAX)),
        };
        if !detection.published {
            detection.published = true;
            let place = detection.place.clone();
            let results = detection.results.clone();
            drift.results.insert(place, results);
        }
        Ok(answer)
    }

    async fn resource_drifts(&self, stack: &str) -> Result<Vec<ResourceDrift>, CloudError> {
        let mut world = self.aws.world();
        self.resources_of(&mut world, stack)?;
        let results = world
            .drift
            .results
            .get(&place(&self.account, &self.region, stack))
            .cloned()
            .unwrap_or_default();
        // One call per page of 100, as AWS pages them.
        for _ in 0..results.len().div_ceil(100).max(1) {
            self.record(&mut world, "DescribeStackResourceDrifts")?;
        }
        Ok(results)
    }

    async fn stack_resources(&self, stack: &str) -> Result<Vec<StackResource>, CloudError> {
        let mut world = self.aws.world();
        let (resources, _) = self.resources_of(&mut world, stack)?;
        for _ in 0..resources.len().div_ceil(100).max(1) {
            self.record(&mut world, "ListStackResources")?;
        }
        Ok(resources
            .into_iter()
            .map(|(logical_id, resource_type)| StackResource {
                physical_id: Some(physical_id(stack, &logical_id)),
                logical_id,
                resource_type,
                status: "CREATE_COMPLETE".into(),
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::FakeTemplate;
    use rackfile::cloud::TemplateSource;
    use rackfile::cloud::drift::DifferenceKind;

    const ACCOUNT: &str = "123456789012";
    const REGION: &str = "us-east-1";

    async fn rack(resources: &[(&str, &str)]) -> FakeAws {
        let fake = FakeAws::new(Duration::from_secs(1));
        fake.add_account(None, ACCOUNT);
        let source = TemplateSource::Url("https://example.com/rack.json".into());
        fake.add_template(source.clone(), FakeTemplate::rack(resources));
        fake.seed_convox_rack(
            ACCOUNT,
            REGION,
            "web",
            source,
            &[("Version", "1"), ("Password", "p")],
        )
        .await;
        tokio::time::sleep(Duration::from_secs(60)).await;
        fake
    }

    fn retention() -> PropertyDifference {
        PropertyDifference {
            path: "/RetentionInDays".into(),
            expected: "7".into(),
            actual: "30".into(),
            kind: DifferenceKind::NotEqual,
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_detection_runs_for_a_while_then_reports_what_changed_and_leaves_out_what_it_cannot_check()
     {
        let fake = rack(&[
            ("Logs", "AWS::Logs::LogGroup"),
            ("Vpc", "AWS::EC2::VPC"),
            ("Cluster", "AWS::ECS::Cluster"),
            ("Custom", "Custom::Thing"),
        ])
        .await;
        fake.drift_resource(ACCOUNT, REGION, "web", "Logs", vec![retention()]);
        fake.delete_resource_behind(ACCOUNT, REGION, "web", "Cluster");
        let drift = fake.drift_for(ACCOUNT, REGION);
        assert!(
            drift.resource_drifts("web").await.unwrap().is_empty(),
            "nothing detected yet"
        );
        let id = drift.detect_stack_drift("web").await.unwrap();
        let first = drift.detection_status(&id).await.unwrap();
        assert_eq!(first.status, DetectionStatus::DetectionInProgress);
        assert_eq!(first.stack_drift, None);
        tokio::time::sleep(Duration::from_secs(3)).await;
        let done = drift.detection_status(&id).await.unwrap();
        assert_eq!(done.status, DetectionStatus::DetectionComplete);
        assert_eq!(done.stack_drift, Some(StackDriftStatus::Drifted));
        assert_eq!(done.drifted_resources, Some(2));
        let found: Vec<(String, ResourceDriftStatus)> = drift
            .resource_drifts("web")
            .await
            .unwrap()
            .into_iter()
            .map(|r| (r.logical_id, r.status))
            .collect();
        assert_eq!(
            found,
            [
                ("Logs".to_string(), ResourceDriftStatus::Modified),
                ("Vpc".to_string(), ResourceDriftStatus::InSync),
                ("Cluster".to_string(), ResourceDriftStatus::Deleted),
            ]
        );
        let listed = drift.stack_resources("web").await.unwrap();
        assert_eq!(
            listed.len(),
            4,
            "ListStackResources names the custom resource too"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_type_the_fake_cannot_read_fails_the_detection_with_the_resource_unknown() {
        let fake = rack(&[("Vpc", "AWS::EC2::VPC"), ("Odd", "AWS::Made::Up")]).await;
        let drift = fake.drift_for(ACCOUNT, REGION);
        let id = drift.detect_stack_drift("web").await.unwrap();
        tokio::time::sleep(Duration::from_secs(10)).await;
        let done = drift.detection_status(&id).await.unwrap();
        assert_eq!(done.status, DetectionStatus::DetectionFailed);
        assert_eq!(done.stack_drift, Some(StackDriftStatus::InSync));
        assert!(done.reason.unwrap().contains("[Odd]"));
        let odd = drift.resource_drifts("web").await.unwrap();
        assert_eq!(odd[1].status, ResourceDriftStatus::Unknown);
        assert!(odd[1].reason.as_deref().unwrap().contains("AWS::Made::Up"));
    }

    #[tokio::test(start_paused = true)]
    async fn detection_is_refused_for_a_missing_stack_and_a_stack_in_progress() {
        let fake = rack(&[("Vpc", "AWS::EC2::VPC")]).await;
        let drift = fake.drift_for(ACCOUNT, REGION);
        let missing = drift.detect_stack_drift("nope").await.unwrap_err();
        assert!(missing.message.contains("does not exist"), "{missing:?}");
        fake.set_status(ACCOUNT, REGION, "web", "UPDATE_IN_PROGRESS");
        let busy = drift.detect_stack_drift("web").await.unwrap_err();
        assert!(busy.message.contains("in progress"), "{busy:?}");
    }
}
