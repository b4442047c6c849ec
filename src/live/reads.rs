//! What was read for one rack, by what the planner does with it: `RackReads`, decided and assembled in one
//! place (`reads_of`) from the rack and its stack as swept. The planner plans the racks a `LiveState` holds
//! records for and takes each read it needs from the record, so a read it needs cannot be missing: a read
//! not made is a variant that says why (`UrlLiveTemplate::NotWanted`), never an absent key.
//!
//! `reads_of` asks an `Answers` for each read: `Reader` answers from AWS, `LiveStateBuilder` (tests and
//! benches) from recorded facts; both go through the same decisions.

use std::collections::BTreeMap;
use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;

use crate::cloud::{
    AlarmState, CloudError, Secret, SsmParameter, Stack, StackKey, StackState, TemplateSummary,
};
use crate::config::{Rack, Template};
use crate::convox::{Release, Releases};

/// Everything read for one rack.
#[derive(Debug, Clone)]
pub struct RackReads {
    pub rack: Rack,
    /// Where its stack is (the account its org's credentials belong to).
    pub key: StackKey,
    pub reads: Reads,
}

/// What was read for a rack, by what the planner does with it.
#[derive(Debug, Clone)]
pub enum Reads {
    /// `ensure = "absent"`.
    Uninstall(Box<UninstallReads>),
    /// Every other rack.
    Present(Box<PresentReads>),
}

/// A rack to uninstall: nothing but its live template, to name what its deletion leaves behind.
#[derive(Debug, Clone)]
pub enum UninstallReads {
    /// No stack of the rack's name: nothing to do.
    NoStack,
    /// CloudFormation is working on the stack: it is blocked until it settles, so nothing more was read.
    Moving(Stack),
    Installed {
        stack: Stack,
        live_template: Result<String, CloudError>,
    },
}

/// A rack that stays.
#[derive(Debug, Clone)]
pub struct PresentReads {
    /// Convox's release list, when the rack is built from Convox's published templates.
    pub releases: Option<Arc<Releases>>,
    /// Each of the rack's `[rollout] alarms`, as read in its account and region, in racks.toml's order.
    pub alarms: Vec<(String, AlarmRead)>,
    pub stack: PresentStack,
}

/// A rack that stays, by its stack.
#[derive(Debug, Clone)]
pub enum PresentStack {
    /// No stack of the rack's name: an install.
    NotInstalled(InstallReads),
    /// CloudFormation is working on the stack: it is blocked until it settles, so nothing more was read.
    Moving(Stack),
    /// An install that failed (`--recover` installs it again).
    FailedInstall { stack: Stack, install: InstallReads },
    /// Any other stack.
    Installed(InstalledReads),
}

/// What an install needs: the template's parameters and the password's source.
#[derive(Debug, Clone)]
pub struct InstallReads {
    pub summary: Result<TemplateSummary, CloudError>,
    pub password: PasswordRead,
}

/// What an update or an upgrade of a live rack needs.
#[derive(Debug, Clone)]
pub struct InstalledReads {
    pub stack: Stack,
    /// The parameters of the template racks.toml gives.
    pub summary: Result<TemplateSummary, CloudError>,
    pub live_template: LiveTemplate,
    /// From the live version to racks.toml's, by Convox's release list.
    pub route: Route,
    /// GetStackPolicy, read only when racks.toml manages the rack's `stack_policy`; `Ok(None)`: it has none.
    pub stack_policy: Option<Result<Option<String>, CloudError>>,
}

/// A live stack's template beside the rack's, by how racks.toml gives the rack's.
#[derive(Debug, Clone)]
pub enum LiveTemplate {
    /// A local file: the live template is read with everything else (or known from the template cache), so
    /// the plan can show how the file differs from it.
    OfFile {
        path: PathBuf,
        body: String,
        live: FileLiveTemplate,
    },
    /// A template URL: the live template is read only for the impact analysis of a change.
    OfUrl {
        url: String,
        pattern: String,
        live: UrlLiveTemplate,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileLiveTemplate {
    /// The template cache shows it to be the rack's own template file, unchanged: no GetTemplate was needed.
    UnchangedSinceCached,
    /// GetTemplate's answer.
    Read(Result<String, CloudError>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UrlLiveTemplate {
    /// Not read: the first read of a plan reads none, and the second reads only those of racks whose first
    /// plan has a change that reaches resources (`Reading::read_live_templates`).
    NotWanted,
    /// GetTemplate's answer.
    Read(Result<String, CloudError>),
}

/// What is known of a live template, whichever way the rack's template is given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KnownLiveTemplate<'a> {
    NotWanted,
    UnchangedSinceCached,
    Read(&'a Result<String, CloudError>),
}

impl LiveTemplate {
    pub fn known(&self) -> KnownLiveTemplate<'_> {
        match self {
            LiveTemplate::OfFile {
                live: FileLiveTemplate::UnchangedSinceCached,
                ..
            } => KnownLiveTemplate::UnchangedSinceCached,
            LiveTemplate::OfFile {
                live: FileLiveTemplate::Read(read),
                ..
            }
            | LiveTemplate::OfUrl {
                live: UrlLiveTemplate::Read(read),
                ..
            } => KnownLiveTemplate::Read(read),
            LiveTemplate::OfUrl {
                live: UrlLiveTemplate::NotWanted,
                ..
            } => KnownLiveTemplate::NotWanted,
        }
    }
}

/// How a live rack gets from its live version to racks.toml's (`Releases::route`); `Direct` for a rack not
/// built from Convox's published templates, or with no live version.
#[derive(Debug, Clone)]
pub enum Route {
    Stay,
    Direct,
    Steps(Steps),
    Downgrade,
    UnknownStart,
}

/// An upgrade through each required release between the live version and racks.toml's (`to`).
#[derive(Debug, Clone)]
pub struct Steps {
    pub through: Vec<SteppingStone>,
    pub to: Release,
}

/// A required release an upgrade passes through before racks.toml's version, with its template as read.
#[derive(Debug, Clone)]
pub struct SteppingStone {
    pub release: Release,
    /// The rack at that release (`Rack::passing_through`).
    pub rack: Rack,
    /// The release's template URL, and the pattern it follows.
    pub url: String,
    pub pattern: String,
    pub summary: Result<TemplateSummary, CloudError>,
}

/// Where an install's password comes from, as read at plan time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PasswordRead {
    /// `password_env`: the variable's value, `None` when it is unset or empty.
    Env {
        variable: String,
        value: Option<Secret>,
    },
    /// `password_ssm`: the parameter in the rack's account and region, `None` when it does not exist yet
    /// (apply creates it).
    Ssm {
        parameter: String,
        read: Result<Option<SsmParameter>, CloudError>,
    },
    /// Neither: apply generates one.
    Generate,
}

/// What is known of one alarm.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AlarmRead {
    State(AlarmState),
    /// DescribeAlarms answered without it: there is no alarm of that name there.
    Missing,
    Unreadable(CloudError),
}

impl RackReads {
    /// The rack's stack, when there is one.
    pub fn stack(&self) -> Option<&Stack> {
        match &self.reads {
            Reads::Uninstall(uninstall) => match &**uninstall {
                UninstallReads::NoStack => None,
                UninstallReads::Moving(stack) | UninstallReads::Installed { stack, .. } => {
                    Some(stack)
                }
            },
            Reads::Present(present) => match &present.stack {
                PresentStack::NotInstalled(_) => None,
                PresentStack::Moving(stack)
                | PresentStack::FailedInstall { stack, .. }
                | PresentStack::Installed(InstalledReads { stack, .. }) => Some(stack),
            },
        }
    }

    /// The stack's live template as known; `None` when the rack has no live stack whose template was read
    /// or wanted.
    pub fn live_template(&self) -> Option<KnownLiveTemplate<'_>> {
        match &self.reads {
            Reads::Uninstall(uninstall) => match &**uninstall {
                UninstallReads::Installed { live_template, .. } => {
                    Some(KnownLiveTemplate::Read(live_template))
                }
                UninstallReads::NoStack | UninstallReads::Moving(_) => None,
            },
            Reads::Present(present) => match &present.stack {
                PresentStack::Installed(installed) => Some(installed.live_template.known()),
                _ => None,
            },
        }
    }
}

/// What answers the reads `reads_of` decides a rack needs. `Place` is what a rack's reads need of where it
/// is beyond its key (the reader's open cloud).
pub(super) trait Answers: Sync {
    type Place: Sync;

    /// Convox's release list, when some rack is built from Convox's published templates.
    fn releases(&self) -> Option<Arc<Releases>>;

    /// The value of a `password_env` variable at plan time, when it is set and not empty.
    fn password_env(&self, variable: &str) -> Option<Secret>;

    /// Whether the template cache shows the stack's live template to be this template file.
    fn unchanged_since_cached(&self, key: &StackKey, body: &str, stack: &Stack) -> bool;

    /// The live template of a rack built from a template URL, in a plan's first read.
    fn url_live_template(&self, key: &StackKey) -> UrlLiveTemplate;

    /// The parameters of `rack`'s template as its account reads it.
    fn summary<'a>(
        &'a self,
        rack: &'a Rack,
        key: &'a StackKey,
        place: &'a Self::Place,
    ) -> impl Future<Output = Result<TemplateSummary, CloudError>> + Send + 'a;

    /// GetTemplate of the stack.
    fn stack_template<'a>(
        &'a self,
        key: &'a StackKey,
        place: &'a Self::Place,
    ) -> impl Future<Output = Result<String, CloudError>> + Send + 'a;

    /// GetStackPolicy of the rack's stack.
    fn stack_policy<'a>(
        &'a self,
        key: &'a StackKey,
        place: &'a Self::Place,
    ) -> impl Future<Output = Result<Option<String>, CloudError>> + Send + 'a;

    /// The SSM parameter `name` with the rack's org's credentials in its account and region.
    fn ssm_parameter<'a>(
        &'a self,
        rack: &'a Rack,
        key: &'a StackKey,
        name: &'a str,
    ) -> impl Future<Output = Result<Option<SsmParameter>, CloudError>> + Send + 'a;

    /// The state of each of `rack`'s alarms that exists in its account and region.
    fn alarms<'a>(
        &'a self,
        rack: &'a Rack,
        key: &'a StackKey,
    ) -> impl Future<Output = Result<BTreeMap<String, AlarmState>, CloudError>> + Send + 'a;
}

/// Decides what the planner will need for `rack`, whose stack as swept is `stack`, and reads it through
/// `answers`. The one place those decisions are made: a stack CloudFormation is working on is blocked, so
/// needs nothing more; a rack to uninstall needs its live template; a rack built from a local file needs
/// its live template to compare; an install needs the password's source; an upgrade across required
/// releases needs each release's template.
pub(super) async fn reads_of<A: Answers>(
    rack: &Rack,
    key: StackKey,
    stack: Option<Stack>,
    place: &A::Place,
    answers: &A,
) -> RackReads {
    let reads = if rack.absent {
        Reads::Uninstall(Box::new(match stack {
            None => UninstallReads::NoStack,
            Some(stack) if stack.status.is_moving() => UninstallReads::Moving(stack),
            Some(stack) => UninstallReads::Installed {
                live_template: answers.stack_template(&key, place).await,
                stack,
            },
        }))
    } else {
        let releases = answers.releases().filter(|_| rack.uses_convox_releases());
        let (alarms, stack) = futures::join!(
            alarm_reads(rack, &key, answers),
            present_stack(rack, &key, stack, releases.as_deref(), place, answers)
        );
        Reads::Present(Box::new(PresentReads {
            releases,
            alarms,
            stack,
        }))
    };
    RackReads {
        rack: rack.clone(),
        key,
        reads,
    }
}

async fn present_stack<A: Answers>(
    rack: &Rack,
    key: &StackKey,
    stack: Option<Stack>,
    releases: Option<&Releases>,
    place: &A::Place,
    answers: &A,
) -> PresentStack {
    let Some(stack) = stack else {
        return PresentStack::NotInstalled(install_reads(rack, key, place, answers).await);
    };
    if stack.status.is_moving() {
        return PresentStack::Moving(stack);
    }
    if stack.state() == StackState::FailedInstall {
        // A failed install may be installed again (`--recover`).
        let install = install_reads(rack, key, place, answers).await;
        return PresentStack::FailedInstall { stack, install };
    }
    let route = route_of(rack, &stack, releases);
    let stack_policy = async {
        match rack.stack_policy {
            Some(_) => Some(answers.stack_policy(key, place).await),
            None => None,
        }
    };
    let (summary, live_template, route, stack_policy) = futures::join!(
        answers.summary(rack, key, place),
        live_template(rack, key, &stack, place, answers),
        read_stepping_stones(route, key, place, answers),
        stack_policy
    );
    PresentStack::Installed(InstalledReads {
        stack,
        summary,
        live_template,
        route,
        stack_policy,
    })
}

async fn install_reads<A: Answers>(
    rack: &Rack,
    key: &StackKey,
    place: &A::Place,
    answers: &A,
) -> InstallReads {
    let password = async {
        match (&rack.password_env, &rack.password_ssm) {
            (Some(variable), _) => PasswordRead::Env {
                variable: variable.clone(),
                value: answers.password_env(variable),
            },
            (None, Some(parameter)) => PasswordRead::Ssm {
                parameter: parameter.clone(),
                read: answers.ssm_parameter(rack, key, parameter).await,
            },
            (None, None) => PasswordRead::Generate,
        }
    };
    let (summary, password) = futures::join!(answers.summary(rack, key, place), password);
    InstallReads { summary, password }
}

async fn live_template<A: Answers>(
    rack: &Rack,
    key: &StackKey,
    stack: &Stack,
    place: &A::Place,
    answers: &A,
) -> LiveTemplate {
    match &rack.template {
        Template::File { path, body } => LiveTemplate::OfFile {
            path: path.clone(),
            body: body.clone(),
            live: if answers.unchanged_since_cached(key, body, stack) {
                FileLiveTemplate::UnchangedSinceCached
            } else {
                FileLiveTemplate::Read(answers.stack_template(key, place).await)
            },
        },
        Template::Url { url, pattern } => LiveTemplate::OfUrl {
            url: url.clone(),
            pattern: pattern.clone(),
            live: answers.url_live_template(key),
        },
    }
}

/// A route whose stepping stones' templates are still to be read.
enum Planned {
    Stay,
    Direct,
    Steps {
        through: Vec<(Release, Rack, String, String)>,
        to: Release,
    },
    Downgrade,
    UnknownStart,
}

fn route_of(rack: &Rack, stack: &Stack, releases: Option<&Releases>) -> Planned {
    let (Some(releases), Some(live_version), Template::Url { pattern, .. }) =
        (releases, stack.parameters.get("Version"), &rack.template)
    else {
        return Planned::Direct;
    };
    match releases.route(live_version, &rack.version) {
        crate::convox::Route::Stay => Planned::Stay,
        crate::convox::Route::Direct => Planned::Direct,
        crate::convox::Route::Downgrade => Planned::Downgrade,
        crate::convox::Route::UnknownStart => Planned::UnknownStart,
        crate::convox::Route::Steps(steps) => match steps.split_last() {
            None => Planned::Direct,
            Some((to, through)) => Planned::Steps {
                through: through
                    .iter()
                    .map(|release| {
                        let stone = rack.passing_through(&release.version);
                        let url = pattern.replace("{version}", &release.version);
                        ((*release).clone(), stone, url, pattern.clone())
                    })
                    .collect(),
                to: (*to).clone(),
            },
        },
    }
}

async fn read_stepping_stones<A: Answers>(
    route: Planned,
    key: &StackKey,
    place: &A::Place,
    answers: &A,
) -> Route {
    match route {
        Planned::Stay => Route::Stay,
        Planned::Direct => Route::Direct,
        Planned::Downgrade => Route::Downgrade,
        Planned::UnknownStart => Route::UnknownStart,
        Planned::Steps { through, to } => {
            let through = futures::future::join_all(through.into_iter().map(
                |(release, rack, url, pattern)| async move {
                    let summary = answers.summary(&rack, key, place).await;
                    SteppingStone {
                        release,
                        rack,
                        url,
                        pattern,
                        summary,
                    }
                },
            ))
            .await;
            Route::Steps(Steps { through, to })
        }
    }
}

/// Each of a rack's alarms, read in its account and region (a rack with none reads nothing).
async fn alarm_reads<A: Answers>(
    rack: &Rack,
    key: &StackKey,
    answers: &A,
) -> Vec<(String, AlarmRead)> {
    if rack.alarms.is_empty() {
        return Vec::new();
    }
    let states = answers.alarms(rack, key).await;
    rack.alarms
        .iter()
        .map(|name| {
            let read = match &states {
                Err(error) => AlarmRead::Unreadable(error.clone()),
                Ok(states) => match states.get(name) {
                    Some(state) => AlarmRead::State(*state),
                    None => AlarmRead::Missing,
                },
            };
            (name.clone(), read)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::path::Path;

    use super::*;
    use crate::cloud::{RegionKey, TemplateSource};
    use crate::live::LiveStateBuilder;

    const ACCOUNT: &str = "123456789012";
    const REGION: &str = "us-east-1";
    const URL: &str = "https://example.com/rack.json";

    fn stack(name: &str, status: &str) -> Stack {
        Stack {
            stack_id: format!("arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/{name}/1"),
            name: name.into(),
            status: status.into(),
            status_reason: None,
            last_updated: "2026-11-01T00:00:00Z".into(),
            parameters: BTreeMap::from([("Version".to_string(), "1".to_string())]),
            tags: BTreeMap::new(),
            outputs: BTreeMap::new(),
            termination_protection: false,
            parent_id: None,
            resolved: BTreeMap::new(),
            role_arn: None,
            notification_arns: Vec::new(),
            rollback: None,
        }
    }

    #[test]
    fn each_rack_gets_the_reads_its_stack_calls_for_and_nothing_it_cannot_use() {
        let text = format!(
            "[defaults]\norg = \"personal\"\nregion = \"{REGION}\"\nversion = \"1\"\n\
             [org.personal]\naccount_id = \"{ACCOUNT}\"\n\
             [[rack]]\nname = \"new\"\npassword_ssm = \"/racks/new/password\"\n\
             [[rack]]\nname = \"busy\"\n\
             [[rack]]\nname = \"failed\"\npassword_env = \"PASSWORD\"\n\
             [[rack]]\nname = \"gone\"\nensure = \"absent\"\n\
             [[rack]]\nname = \"going\"\nensure = \"absent\"\n"
        )
        .replace(
            "[[rack]]\n",
            &format!("[[rack]]\ntemplate_url = \"{URL}\"\n"),
        );
        let config = crate::config::parse(Path::new("racks.toml"), text, String::new()).unwrap();
        let place = RegionKey::new(ACCOUNT, REGION);
        let mut facts = LiveStateBuilder::default();
        facts.record_account("personal", ACCOUNT);
        facts.record_stacks(
            place.clone(),
            [
                stack("busy", "UPDATE_IN_PROGRESS"),
                stack("failed", "ROLLBACK_COMPLETE"),
                stack("gone", "UPDATE_COMPLETE"),
                stack("going", "DELETE_IN_PROGRESS"),
            ],
        );
        facts.record_template(
            ACCOUNT,
            TemplateSource::Url(URL.into()),
            Ok(TemplateSummary::default()),
        );
        facts.record_ssm_parameter(place.clone(), "/racks/new/password", Ok(None));
        facts.record_password_env("PASSWORD", Secret::new("pw"));
        facts.record_live_template(place.stack("gone"), Ok("Resources: {}\n".into()));
        let state = facts.build(&config.racks);
        let reads: Vec<&Reads> = state.racks().iter().map(|record| &record.reads).collect();

        let Reads::Present(new) = reads[0] else {
            panic!("{:?}", reads[0]);
        };
        assert!(matches!(
            &new.stack,
            PresentStack::NotInstalled(InstallReads {
                summary: Ok(_),
                password: PasswordRead::Ssm { read: Ok(None), .. },
            })
        ));
        // A stack CloudFormation is working on is blocked: no template of any kind was wanted for it.
        let Reads::Present(busy) = reads[1] else {
            panic!("{:?}", reads[1]);
        };
        assert!(matches!(busy.stack, PresentStack::Moving(_)));
        let Reads::Present(failed) = reads[2] else {
            panic!("{:?}", reads[2]);
        };
        assert!(matches!(
            &failed.stack,
            PresentStack::FailedInstall {
                install: InstallReads {
                    password: PasswordRead::Env { value: Some(_), .. },
                    ..
                },
                ..
            }
        ));
        assert!(matches!(
            reads[3],
            Reads::Uninstall(gone) if matches!(**gone, UninstallReads::Installed { live_template: Ok(_), .. })
        ));
        assert!(matches!(
            reads[4],
            Reads::Uninstall(going) if matches!(**going, UninstallReads::Moving(_))
        ));
    }

    #[test]
    fn an_upgrade_across_a_required_release_reads_the_template_of_each_release_it_passes() {
        let pattern = crate::config::DEFAULT_TEMPLATE_URL;
        let text = format!(
            "[defaults]\norg = \"personal\"\nregion = \"{REGION}\"\n\
             [org.personal]\naccount_id = \"{ACCOUNT}\"\n\
             [[rack]]\nname = \"web\"\nversion = \"4\"\n"
        );
        let config = crate::config::parse(Path::new("racks.toml"), text, String::new()).unwrap();
        let mut facts = LiveStateBuilder::default();
        facts.record_account("personal", ACCOUNT);
        facts.record_stacks(
            RegionKey::new(ACCOUNT, REGION),
            [stack("web", "UPDATE_COMPLETE")],
        );
        facts.record_releases(Some(
            Releases::parse(
                r#"[{"version": "1", "published": true}, {"version": "2", "published": true, "required": true},
                    {"version": "3", "published": true, "required": true}, {"version": "4", "published": true}]"#,
            )
            .unwrap(),
        ));
        for version in ["2", "3", "4"] {
            let url = pattern.replace("{version}", version);
            facts.record_template(
                ACCOUNT,
                TemplateSource::Url(url),
                Ok(TemplateSummary::default()),
            );
        }
        let state = facts.build(&config.racks);
        let Reads::Present(web) = &state.racks()[0].reads else {
            panic!("{:?}", state.racks()[0].reads);
        };
        assert!(web.releases.is_some());
        let PresentStack::Installed(InstalledReads {
            route: Route::Steps(steps),
            ..
        }) = &web.stack
        else {
            panic!("not an upgrade in steps: {:?}", web.stack);
        };
        let through: Vec<(&str, &str, bool)> = steps
            .through
            .iter()
            .map(|stone| {
                (
                    stone.release.version.as_str(),
                    stone.rack.version.as_str(),
                    stone.summary.is_ok(),
                )
            })
            .collect();
        assert_eq!(through, [("2", "2", true), ("3", "3", true)]);
        assert_eq!(steps.to.version, "4");
        assert_eq!(steps.through[0].url, pattern.replace("{version}", "2"));
    }
}
