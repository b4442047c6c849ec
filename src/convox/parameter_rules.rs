//! Convox's own rules for changing a parameter of a running rack, one entry per parameter, each with where
//! the rule comes from. The template-level analysis (which resources a change reaches) is separate; this
//! table is the Convox-specific layer on top of it: what Convox documents, learnt from its users' racks.

use serde::{Deserialize, Serialize};

/// What changing a parameter does to a running rack.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Effect {
    /// Cannot be changed after install: the rack is blocked.
    InstallOnly,
    /// Data is destroyed.
    DataLoss,
    /// Every instance is replaced, `InstanceUpdateBatchSize` at a time.
    RollingReplacement,
    /// Subnets (and what runs in them) can be recreated.
    RecreatesSubnets,
}

/// Which of the rules below a plan names (the six launch parameters share one, as do the subnets'):
/// what a plan keeps of a rule; the views word what it does to a running rack (`render::impact::rule_words`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    Private,
    HighAvailability,
    ExistingVpc,
    InternetGateway,
    VpcCidr,
    SharedEfsEncryption,
    /// The instances' launch configuration: InstanceType, Ami, Key, VolumeSize, EncryptEbs, Tenancy.
    InstanceLaunch,
    AvailabilityZones,
    SubnetCidr,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParameterRule {
    pub parameter: &'static str,
    pub rule: Rule,
    pub effect: Effect,
    /// Where Convox says so.
    pub source: &'static str,
}

const RACK_PARAMETERS_DOC: &str =
    "https://github.com/convox/docs/blob/master/docs/reference/rack-parameters.md";

/// The parameters of the instances' launch configuration: a change replaces every instance, a batch at a
/// time (AutoScalingRollingUpdate, `InstanceUpdateBatchSize`).
const fn rolling_replacement(parameter: &'static str) -> ParameterRule {
    ParameterRule {
        parameter,
        rule: Rule::InstanceLaunch,
        effect: Effect::RollingReplacement,
        source: RACK_PARAMETERS_DOC,
    }
}

pub const PARAMETER_RULES: &[ParameterRule] = &[
    ParameterRule {
        parameter: "Private",
        rule: Rule::Private,
        effect: Effect::InstallOnly,
        source: "Convox private networking docs (\"not currently possible to toggle a Rack between Public and Private\"); convox/rack#2975",
    },
    ParameterRule {
        parameter: "HighAvailability",
        rule: Rule::HighAvailability,
        effect: Effect::InstallOnly,
        source: "convox/rack cmd/convox rack params set (refuses HighAvailability on an installed rack)",
    },
    ParameterRule {
        parameter: "ExistingVpc",
        rule: Rule::ExistingVpc,
        effect: Effect::InstallOnly,
        source: "Convox docs, rack parameter ExistingVpc (install into an existing VPC)",
    },
    ParameterRule {
        parameter: "InternetGateway",
        rule: Rule::InternetGateway,
        effect: Effect::InstallOnly,
        source: "Convox docs, rack parameter InternetGateway (\"If installing rack on existing VPC\")",
    },
    ParameterRule {
        parameter: "VPCCIDR",
        rule: Rule::VpcCidr,
        effect: Effect::InstallOnly,
        source: RACK_PARAMETERS_DOC,
    },
    ParameterRule {
        parameter: "EnableSharedEFSVolumeEncryption",
        rule: Rule::SharedEfsEncryption,
        effect: Effect::DataLoss,
        source: "Convox docs, rack parameter EnableSharedEFSVolumeEncryption",
    },
    rolling_replacement("InstanceType"),
    rolling_replacement("Ami"),
    rolling_replacement("Key"),
    rolling_replacement("VolumeSize"),
    rolling_replacement("EncryptEbs"),
    rolling_replacement("Tenancy"),
    ParameterRule {
        parameter: "AvailabilityZones",
        rule: Rule::AvailabilityZones,
        effect: Effect::RecreatesSubnets,
        source: RACK_PARAMETERS_DOC,
    },
];

/// Subnet CIDR parameters share one rule; there are six of them in every release.
const SUBNET_RULE: ParameterRule = ParameterRule {
    parameter: "Subnet*CIDR",
    rule: Rule::SubnetCidr,
    effect: Effect::RecreatesSubnets,
    source: RACK_PARAMETERS_DOC,
};

/// Parameters Convox's autoscaler rewrites itself (UpdateStack with UsePreviousTemplate) while Autoscale
/// is Yes: InstanceCount, and NoHaInstanceCount when HighAvailability is false (convox/rack provider/aws
/// autoscale; convox-rack.md "Update").
pub const AUTOSCALED_PARAMETERS: [&str; 2] = ["InstanceCount", "NoHaInstanceCount"];

/// Convox's rule for changing `parameter` on a running rack, if it has one.
pub fn rule_for(parameter: &str) -> Option<&'static ParameterRule> {
    PARAMETER_RULES
        .iter()
        .find(|rule| rule.parameter == parameter)
        .or_else(|| {
            (parameter.starts_with("Subnet") && parameter.ends_with("CIDR")).then_some(&SUBNET_RULE)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_has_a_source_and_the_issue_table_is_covered() {
        for rule in PARAMETER_RULES {
            assert!(!rule.source.is_empty(), "{}", rule.parameter);
        }
        for name in [
            "Private",
            "HighAvailability",
            "ExistingVpc",
            "VPCCIDR",
            "InternetGateway",
        ] {
            assert_eq!(
                rule_for(name).unwrap().effect,
                Effect::InstallOnly,
                "{name}"
            );
        }
        assert_eq!(
            rule_for("EnableSharedEFSVolumeEncryption").unwrap().effect,
            Effect::DataLoss
        );
        for name in [
            "InstanceType",
            "Ami",
            "Key",
            "VolumeSize",
            "EncryptEbs",
            "Tenancy",
        ] {
            assert_eq!(
                rule_for(name).unwrap().effect,
                Effect::RollingReplacement,
                "{name}"
            );
        }
        assert_eq!(
            rule_for("SubnetPrivate2CIDR").unwrap().effect,
            Effect::RecreatesSubnets
        );
        assert_eq!(rule_for("ApiCount"), None);
    }
}
