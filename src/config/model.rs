//! The racks.toml file as written: every field optional and carrying its span, so validation can point at
//! it. These types are also the source of the JSON Schema (`rackfile schema`); their doc comments become the
//! schema's descriptions, and the keys the loader accepts are read from that schema, so the two cannot drift.

use std::collections::BTreeMap;
use std::ops::Range;

use schemars::JsonSchema;

/// A value and where it was written in racks.toml.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sp<T> {
    pub value: T,
    pub span: Range<usize>,
}

impl<T> Sp<T> {
    pub fn new(value: T, span: Range<usize>) -> Self {
        Self { value, span }
    }
}

impl<T: JsonSchema> JsonSchema for Sp<T> {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        T::schema_name()
    }

    fn schema_id() -> std::borrow::Cow<'static, str> {
        T::schema_id()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        T::json_schema(generator)
    }

    fn inline_schema() -> bool {
        T::inline_schema()
    }
}

/// A racks.toml file: shared defaults, the AWS organisations racks live in, and the racks.
#[derive(Debug, Default, JsonSchema)]
#[schemars(deny_unknown_fields, title = "racks.toml")]
pub struct RacksFile {
    /// Settings every rack inherits unless it sets its own.
    pub defaults: Option<Defaults>,
    /// Where racks live. A rack's `org` must name one of these; credentials never go in this file.
    #[schemars(default)]
    pub org: BTreeMap<String, Org>,
    /// The racks, one CloudFormation stack each.
    #[schemars(default)]
    pub rack: Vec<RackEntry>,
    /// How apply rolls a change out across the racks: in waves, a canary first. Without it, every rack is
    /// one wave.
    pub rollout: Option<RolloutTable>,
}

/// `[rollout]`: waves of racks applied one after another, each run to completion, then baked while its
/// racks' alarms are watched, before the next starts.
#[derive(Debug, Default, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct RolloutTable {
    /// Where `[rollout]` is written.
    #[schemars(skip)]
    pub span: Range<usize>,
    /// The waves, in order, each a list of globs over `org/name` (`*` any text, `/` included; `?` one
    /// character; `[abc]` one of these). A rack joins the first wave one of whose globs matches it; every
    /// rack must match one, e.g. [["personal/canary"], ["*/staging*"], ["*"]].
    #[schemars(default)]
    pub waves: Vec<Sp<Vec<Sp<String>>>>,
    /// Racks changing at once within a wave. Default: apply's `--parallelism`.
    #[schemars(range(min = 1))]
    pub max_concurrent: Option<Sp<i64>>,
    /// Failed racks a wave may have before the rollout stops: a count, or a percentage of the wave's racks
    /// to change, rounded down as CloudFormation StackSets does ("10%"). Default 0.
    pub failure_tolerance: Option<Sp<FailureTolerance>>,
    /// How long to wait after a wave completes before the next starts, watching the alarms, e.g. "30m",
    /// "1h 30m". Default: no wait.
    pub bake: Option<Sp<String>>,
    /// CloudWatch alarm names, `{org}`, `{name}` and `{region}` substituted, read in each rack's own account
    /// and region with its org's credentials: a wave fails when one of its racks' alarms is in ALARM during
    /// its bake. Each must exist when planned, e.g. "rack-{name}-5xx".
    #[schemars(default)]
    pub alarms: Vec<Sp<String>>,
    /// What an alarm in INSUFFICIENT_DATA means before a later wave starts: "hold" (the default: no data
    /// proves nothing about the earlier wave, so the later one does not start) or "ok".
    #[schemars(extend("enum" = ["hold", "ok"]))]
    pub missing_data: Option<Sp<String>>,
    /// Pass each rack's `alarms` to CloudFormation as rollback triggers (RollbackConfiguration, at most 5
    /// per rack): CloudFormation itself rolls back an update during which, or during `rollback_monitoring`
    /// after which, one of them goes to ALARM. Default false.
    pub rollback_alarms: Option<Sp<bool>>,
    /// How long CloudFormation keeps watching the rollback triggers after an update, in whole minutes up to
    /// 3h, e.g. "10m". Default "0m" (during the update only).
    pub rollback_monitoring: Option<Sp<String>>,
}

/// How many failed racks a wave tolerates, as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureTolerance {
    Count(i64),
    /// "N%": of the racks the wave changes.
    Percent(u64),
}

impl JsonSchema for FailureTolerance {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "FailureTolerance".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "anyOf": [
                { "type": "integer", "minimum": 0 },
                { "type": "string", "pattern": "^[0-9]+%$" }
            ]
        })
    }

    fn inline_schema() -> bool {
        true
    }
}

/// Settings every rack inherits unless it sets its own.
#[derive(Debug, Default, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Defaults {
    #[serde(flatten)]
    pub shared: Shared,
}

/// The settings [defaults] and [[rack]] share. One struct, so a new setting is accepted in both tables and
/// `Shared::over` must say how a rack inherits it.
#[derive(Debug, Default, Clone, JsonSchema)]
pub struct Shared {
    /// The org racks belong to: one of the `[org.NAME]` tables.
    pub org: Option<Sp<String>>,
    /// AWS region, e.g. "us-east-1".
    pub region: Option<Sp<String>>,
    /// Convox release, e.g. "20161102160040". Required, in [defaults] or per rack.
    pub version: Option<Sp<String>>,
    /// EC2 instance type (template parameter InstanceType). Unset: the template's default at install, the
    /// live value afterwards.
    pub instance_type: Option<Sp<String>>,
    /// Number of instances (template parameter InstanceCount), checked against the template's MinValue at
    /// plan time. Applied at install only while the rack's Autoscale is Yes.
    #[schemars(range(min = 1))]
    pub instance_count: Option<Sp<i64>>,
    /// Private subnets (template parameter Private, Yes/No). Install-only: a live rack cannot switch.
    pub private: Option<Sp<bool>>,
    /// Template parameters set at install and never planned afterwards (something else manages them); a
    /// rack's list adds to the one in [defaults].
    #[schemars(default)]
    pub ignore_changes: Vec<Sp<String>>,
    /// SSM-typed template parameters (`AWS::SSM::Parameter::Value<...>`, e.g. Convox's `DefaultAmi`) whose
    /// newer value in Parameter Store makes an otherwise unchanged rack an update (CloudFormation resolves
    /// them again at every update). A rack's list adds to the one in [defaults].
    #[schemars(default)]
    pub refresh: Vec<Sp<String>>,
    /// What `rackfile drift` reports as "managed outside CloudFormation" rather than drift, beside what
    /// Convox itself changes: "LogicalId.PropertyPath" entries, e.g. "Instances.DesiredCapacity" or
    /// "RackSecurityGroup.SecurityGroupIngress" (a property and everything under it). A rack's list adds to
    /// the one in [defaults].
    #[schemars(default)]
    pub drift_ignore: Vec<Sp<String>>,
    /// SSM Parameter Store name of the API password (SecureString in the rack's account and region), `{org}`,
    /// `{name}` and `{region}` substituted, e.g. "/racks/{org}/{name}/password": read at install if it
    /// exists, else generated and stored there before the install starts; never printed. A rack's own
    /// `password_env` takes its place.
    pub password_ssm: Option<Sp<String>>,
    /// CloudFormation termination protection: set at install, changed on a live rack by UpdateTermination-
    /// Protection. Unset: the live setting is left as it is. A protected rack cannot be uninstalled or
    /// reinstalled until `protect = false` has been applied.
    pub protect: Option<Sp<bool>>,
    /// The CloudFormation service role (`arn:aws:iam::ACCOUNT:role/NAME`, in the org's account) passed as
    /// RoleARN on every write of the rack, so CloudFormation acts with it rather than the caller's
    /// credentials. Over the org's `role_arn`. Unset everywhere: a live stack's role is left as it is.
    pub role_arn: Option<Sp<String>>,
    /// SNS topic ARNs (in the rack's region) CloudFormation sends the stack's events to (NotificationARNs).
    /// Unset: the live topics stay; `[]` removes them.
    pub notification_arns: Option<Sp<Vec<Sp<String>>>>,
    /// The stack policy: a JSON file relative to racks.toml, or "convox-stateful" (built in: denies
    /// Update:Replace and Update:Delete on the rack's DynamoDB tables, S3 buckets, EFS file system and log
    /// groups, as its template declares them). Unset: the live policy stays.
    pub stack_policy: Option<Sp<String>>,
}

impl Shared {
    /// A rack's settings over [defaults]': its own value wins, and `ignore_changes` is both lists.
    /// Destructured, so that a new setting breaks the build here until someone decides how it inherits.
    pub fn over(&self, defaults: &Shared) -> Shared {
        let Shared {
            org,
            region,
            version,
            instance_type,
            instance_count,
            private,
            ignore_changes,
            refresh,
            drift_ignore,
            password_ssm,
            protect,
            role_arn,
            notification_arns,
            stack_policy,
        } = self;
        Shared {
            org: org.clone().or_else(|| defaults.org.clone()),
            region: region.clone().or_else(|| defaults.region.clone()),
            version: version.clone().or_else(|| defaults.version.clone()),
            instance_type: instance_type
                .clone()
                .or_else(|| defaults.instance_type.clone()),
            instance_count: instance_count
                .clone()
                .or_else(|| defaults.instance_count.clone()),
            private: private.clone().or_else(|| defaults.private.clone()),
            ignore_changes: defaults
                .ignore_changes
                .iter()
                .chain(ignore_changes)
                .cloned()
                .collect(),
            refresh: defaults.refresh.iter().chain(refresh).cloned().collect(),
            drift_ignore: defaults
                .drift_ignore
                .iter()
                .chain(drift_ignore)
                .cloned()
                .collect(),
            password_ssm: password_ssm
                .clone()
                .or_else(|| defaults.password_ssm.clone()),
            protect: protect.clone().or_else(|| defaults.protect.clone()),
            role_arn: role_arn.clone().or_else(|| defaults.role_arn.clone()),
            notification_arns: notification_arns
                .clone()
                .or_else(|| defaults.notification_arns.clone()),
            stack_policy: stack_policy
                .clone()
                .or_else(|| defaults.stack_policy.clone()),
        }
    }
}

/// Whether a rack should exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq, JsonSchema)]
#[schemars(rename_all = "lowercase")]
pub enum Ensure {
    /// Installed and kept as racks.toml says (the default).
    Present,
    /// Uninstalled: its Convox app stacks, then the rack. Apply needs `--allow-uninstall`.
    Absent,
}

/// An AWS account and how to reach it.
#[derive(Debug, Default, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Org {
    /// AWS profile to use; without one, the default credential chain.
    pub profile: Option<Sp<String>>,
    /// Guard: refuse to read or write any account but this one (12 digits).
    #[schemars(regex(pattern = r"^[0-9]{12}$"))]
    pub account_id: Option<Sp<String>>,
    /// The CloudFormation service role of the org's racks (`arn:aws:iam::ACCOUNT:role/NAME`); `[defaults]`
    /// and a rack's own `role_arn` take its place.
    pub role_arn: Option<Sp<String>>,
}

/// One rack: a CloudFormation stack built from the Convox rack template.
#[derive(Debug, Default, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct RackEntry {
    /// The settings it shares with [defaults], each defaulting to [defaults]' value.
    #[serde(flatten)]
    pub shared: Shared,
    /// The CloudFormation stack name.
    #[schemars(regex(pattern = r"^[a-zA-Z][-a-zA-Z0-9]*$"), length(max = 128))]
    pub name: Option<Sp<String>>,
    /// A local template file, relative to racks.toml, used instead of `template_url` (at most 51,200 bytes).
    pub template: Option<Sp<String>>,
    /// Template URL; `{version}` is replaced by the version. Default
    /// https://convox.s3.amazonaws.com/release/{version}/formation.json
    pub template_url: Option<Sp<String>>,
    /// Name of the environment variable that holds the API password at install. Never the password itself.
    pub password_env: Option<Sp<String>>,
    /// "present" (the default) or "absent": uninstall the rack (its Convox app stacks first); apply refuses
    /// without `--allow-uninstall`.
    pub ensure: Option<Sp<Ensure>>,
    /// Any other template parameter, passed verbatim.
    #[schemars(default)]
    pub parameters: StringTable,
    /// Stack tags, added to System=convox and Type=rack.
    #[schemars(default)]
    pub tags: StringTable,
}

/// A table of string keys to string values, each key and value with its span, in file order.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct StringTable(pub Vec<(Sp<String>, Sp<String>)>);

impl StringTable {
    pub fn to_map(&self) -> BTreeMap<String, String> {
        self.0
            .iter()
            .map(|(key, value)| (key.value.clone(), value.value.clone()))
            .collect()
    }
}

impl JsonSchema for StringTable {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "StringTable".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "object",
            "additionalProperties": { "type": "string" }
        })
    }

    fn inline_schema() -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn every_setting(text: &str, at: usize) -> Shared {
        let sp = |value: &str| Some(Sp::new(value.to_string(), at..at + 1));
        Shared {
            org: sp(text),
            region: sp(text),
            version: sp(text),
            instance_type: sp(text),
            instance_count: Some(Sp::new(at as i64, at..at + 1)),
            private: Some(Sp::new(at.is_multiple_of(2), at..at + 1)),
            ignore_changes: vec![Sp::new(text.to_string(), at..at + 1)],
            refresh: vec![Sp::new(text.to_string(), at..at + 1)],
            drift_ignore: vec![Sp::new(text.to_string(), at..at + 1)],
            password_ssm: sp(text),
            protect: Some(Sp::new(at.is_multiple_of(2), at..at + 1)),
            role_arn: sp(text),
            notification_arns: None,
            stack_policy: sp(text),
        }
    }

    #[test]
    fn a_rack_inherits_every_shared_setting_it_leaves_unset_and_its_own_win() {
        let defaults = every_setting("default", 2);
        let inherited = Shared::default().over(&defaults);
        assert_eq!(format!("{inherited:?}"), format!("{defaults:?}"));

        let own = every_setting("own", 7);
        let mine = own.over(&defaults);
        let mut expected = own.clone();
        expected.ignore_changes = vec![
            Sp::new("default".to_string(), 2..3),
            Sp::new("own".to_string(), 7..8),
        ];
        expected.refresh = expected.ignore_changes.clone();
        expected.drift_ignore = expected.ignore_changes.clone();
        assert_eq!(format!("{mine:?}"), format!("{expected:?}"));
    }
}
