//! `apply --recover --skip RESOURCE...`: which resources the continued rollback of a rack in
//! UPDATE_ROLLBACK_FAILED may leave as they are (ContinueUpdateRollback's ResourcesToSkip, as CDK's
//! `rollback --orphan`). Only a resource that is itself failed may be skipped: anything else is refused by
//! name, before anything is sent. Decided from the rack's plan and its stack's resources as
//! ListStackResources reports them now; given on the command line each time, never saved in a plan.

use crate::cloud::{Connector, StackResource};
use crate::config::Config;
use crate::plan::{Action, RackPlan};

/// The resources one rack's continued rollback skips.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skips {
    /// `org/name`.
    pub rack: String,
    /// Each named resource, as ListStackResources reports it (failed, every one).
    pub resources: Vec<StackResource>,
}

/// Why `--skip` cannot be used as given; nothing is sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SkipRefusal {
    /// No rack of the run continues a rollback.
    NoRollbackToContinue,
    /// More than one does: which rack a resource belongs to would be a guess.
    SeveralRollbacks(Vec<String>),
    /// These resources are not failed (`(logical id, status)`; status `None`: no such resource).
    NotFailed {
        rack: String,
        resources: Vec<(String, Option<String>)>,
    },
    /// The stack's resources could not be read.
    Unreadable { rack: String, error: String },
}

/// The one rack of `racks` whose plan continues a rollback, and the `skip`ped resources of its stack, each
/// checked failed.
pub async fn resources_to_skip(
    config: &Config,
    racks: &[&RackPlan],
    skip: &[String],
    connector: &dyn Connector,
) -> Result<Skips, SkipRefusal> {
    let continuing: Vec<&RackPlan> = racks
        .iter()
        .copied()
        .filter(|rack| matches!(rack.action, Action::ContinueRollback))
        .collect();
    let rack = match continuing.as_slice() {
        [] => return Err(SkipRefusal::NoRollbackToContinue),
        [rack] => *rack,
        several => {
            return Err(SkipRefusal::SeveralRollbacks(
                several.iter().map(|rack| rack.rack.clone()).collect(),
            ));
        }
    };
    let unreadable = |error: crate::cloud::CloudError| SkipRefusal::Unreadable {
        rack: rack.rack.clone(),
        error: error.to_string(),
    };
    let cloud = connector
        .cloud(&config.orgs[&rack.org], &rack.region)
        .await
        .map_err(unreadable)?;
    let live = cloud
        .stack_resources(&rack.name)
        .await
        .map_err(unreadable)?;
    decide(&rack.rack, &live, skip)
}

/// The named resources of `live`, or the ones that may not be skipped.
pub fn decide(rack: &str, live: &[StackResource], skip: &[String]) -> Result<Skips, SkipRefusal> {
    let mut resources = Vec::new();
    let mut refused = Vec::new();
    for name in skip {
        match live.iter().find(|resource| &resource.logical_id == name) {
            Some(resource) if resource.status.ends_with("_FAILED") => {
                if !resources.contains(resource) {
                    resources.push(resource.clone());
                }
            }
            Some(resource) => refused.push((name.clone(), Some(resource.status.clone()))),
            None => refused.push((name.clone(), None)),
        }
    }
    if !refused.is_empty() {
        return Err(SkipRefusal::NotFailed {
            rack: rack.to_string(),
            resources: refused,
        });
    }
    Ok(Skips {
        rack: rack.to_string(),
        resources,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resource(id: &str, status: &str) -> StackResource {
        StackResource {
            logical_id: id.into(),
            physical_id: Some(format!("{id}-1")),
            resource_type: "AWS::Lambda::Function".into(),
            status: status.into(),
        }
    }

    #[test]
    fn only_failed_resources_may_be_skipped_and_the_others_are_named() {
        let live = [
            resource("Fn", "UPDATE_FAILED"),
            resource("Vpc", "UPDATE_COMPLETE"),
        ];
        let skips = decide("personal/web", &live, &["Fn".into(), "Fn".into()]).unwrap();
        assert_eq!(skips.resources, [resource("Fn", "UPDATE_FAILED")]);
        assert_eq!(
            decide(
                "personal/web",
                &live,
                &["Fn".into(), "Vpc".into(), "Typo".into()]
            ),
            Err(SkipRefusal::NotFailed {
                rack: "personal/web".into(),
                resources: vec![
                    ("Vpc".into(), Some("UPDATE_COMPLETE".into())),
                    ("Typo".into(), None)
                ],
            })
        );
    }
}
