//! The words of what a plan tells a person beside its changes: each note and warning of a rack, why an
//! SSM-typed parameter's value is not known, and why an update's impact could not be analysed. Unescaped:
//! the human view escapes them, the JSON view keeps them as the saved plan's words.

use crate::plan::{Note, SsmUnknown, TemplateUnknown, Warning};

pub fn note_words(note: &Note) -> String {
    match note {
        Note::SummaryOnly { template } => format!(
            "{template} is neither a local file nor in S3, so only parameter types and AllowedValues were checked (not AllowedPattern, lengths or bounds)"
        ),
        Note::LaterPublished {
            version,
            latest,
            ahead,
        } => format!(
            "Convox's latest published release is {latest} ({ahead} published release{} after {version})",
            if *ahead == 1 { "" } else { "s" }
        ),
        Note::UnknownLiveVersion { live, declared } => format!(
            "the live version {live} is not in Convox's release list, so which required releases lie between it and {declared} is unknown: planned as one update"
        ),
        Note::NewerSsmValue {
            parameter,
            ssm_name,
            before,
            after,
        } => format!(
            "{parameter} (SSM {ssm_name}): {} -> {} in Parameter Store, resolved at the rack's next update (list it in `refresh` to update now)",
            before.as_deref().unwrap_or("(unknown)"),
            after.as_deref().unwrap_or("(unknown)"),
        ),
        Note::SsmUnresolved { parameter, why } => format!(
            "{parameter}: {}; what CloudFormation resolves it to at the update is unknown, so what it reaches may change",
            ssm_unknown_words(why)
        ),
        Note::AlarmNotYet {
            alarm,
            account_id,
            region,
        } => format!(
            "alarm {alarm} does not exist yet in account {account_id} ({region}): it is not watched while this new rack's wave bakes"
        ),
        Note::ChangeSetNoChanges => {
            "CloudFormation's change set says the update changes nothing (\"didn't contain changes\")"
                .into()
        }
    }
}

pub fn warning_words(warning: &Warning) -> String {
    match warning {
        Warning::UnpublishedRelease { version } => format!(
            "version {version} is a Convox release that is not published (Convox publishes a release once it is tested)"
        ),
    }
}

pub fn ssm_unknown_words(why: &SsmUnknown) -> String {
    match why {
        SsmUnknown::Missing { name, region } => {
            format!("SSM parameter {name} does not exist in {region}")
        }
        SsmUnknown::Unreadable { name, error } => {
            format!("cannot read SSM parameter {name}: {error}")
        }
    }
}

pub fn template_unknown_words(why: &TemplateUnknown) -> String {
    match why {
        TemplateUnknown::LiveNotRead => "the live template was not read".into(),
        TemplateUnknown::LiveUnreadable { error } => {
            format!("cannot read the live template: {error}")
        }
        TemplateUnknown::LiveUnparsable { error } => {
            format!("the live template cannot be parsed: {error}")
        }
        TemplateUnknown::SummaryOnly { template } => format!(
            "{template} is read through GetTemplateSummary, which does not return its resources"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_note_in_words() {
        let cases = [
            (
                Note::SummaryOnly {
                    template: "https://example.com/rack.json".into(),
                },
                "https://example.com/rack.json is neither a local file nor in S3, so only parameter types and AllowedValues were checked (not AllowedPattern, lengths or bounds)",
            ),
            (
                Note::LaterPublished {
                    version: "2".into(),
                    latest: "4".into(),
                    ahead: 2,
                },
                "Convox's latest published release is 4 (2 published releases after 2)",
            ),
            (
                Note::LaterPublished {
                    version: "3".into(),
                    latest: "4".into(),
                    ahead: 1,
                },
                "Convox's latest published release is 4 (1 published release after 3)",
            ),
            (
                Note::UnknownLiveVersion {
                    live: "1".into(),
                    declared: "3".into(),
                },
                "the live version 1 is not in Convox's release list, so which required releases lie between it and 3 is unknown: planned as one update",
            ),
            (
                Note::NewerSsmValue {
                    parameter: "DefaultAmi".into(),
                    ssm_name: "/aws/ami".into(),
                    before: Some("ami-0aaa".into()),
                    after: Some("ami-0bbb".into()),
                },
                "DefaultAmi (SSM /aws/ami): ami-0aaa -> ami-0bbb in Parameter Store, resolved at the rack's next update (list it in `refresh` to update now)",
            ),
            (
                Note::NewerSsmValue {
                    parameter: "DefaultAmi".into(),
                    ssm_name: "/aws/ami".into(),
                    before: None,
                    after: Some("ami-0bbb".into()),
                },
                "DefaultAmi (SSM /aws/ami): (unknown) -> ami-0bbb in Parameter Store, resolved at the rack's next update (list it in `refresh` to update now)",
            ),
            (
                Note::SsmUnresolved {
                    parameter: "DefaultAmi".into(),
                    why: SsmUnknown::Unreadable {
                        name: "/aws/ami".into(),
                        error: "AccessDenied: no".into(),
                    },
                },
                "DefaultAmi: cannot read SSM parameter /aws/ami: AccessDenied: no; what CloudFormation resolves it to at the update is unknown, so what it reaches may change",
            ),
            (
                Note::AlarmNotYet {
                    alarm: "rack-fresh-5xx".into(),
                    account_id: "123456789012".into(),
                    region: "us-east-1".into(),
                },
                "alarm rack-fresh-5xx does not exist yet in account 123456789012 (us-east-1): it is not watched while this new rack's wave bakes",
            ),
            (
                Note::ChangeSetNoChanges,
                "CloudFormation's change set says the update changes nothing (\"didn't contain changes\")",
            ),
        ];
        for (note, words) in cases {
            assert_eq!(note_words(&note), words);
        }
    }

    #[test]
    fn an_unpublished_release_is_warned_of() {
        assert_eq!(
            warning_words(&Warning::UnpublishedRelease {
                version: "5".into()
            }),
            "version 5 is a Convox release that is not published (Convox publishes a release once it is tested)"
        );
    }

    #[test]
    fn why_an_ssm_value_or_a_template_is_unknown() {
        assert_eq!(
            ssm_unknown_words(&SsmUnknown::Missing {
                name: "/aws/ami".into(),
                region: "eu-west-1".into()
            }),
            "SSM parameter /aws/ami does not exist in eu-west-1"
        );
        let cases = [
            (
                TemplateUnknown::LiveNotRead,
                "the live template was not read",
            ),
            (
                TemplateUnknown::LiveUnreadable {
                    error: "Throttling: slow down".into(),
                },
                "cannot read the live template: Throttling: slow down",
            ),
            (
                TemplateUnknown::LiveUnparsable {
                    error: "not a valid JSON template: EOF".into(),
                },
                "the live template cannot be parsed: not a valid JSON template: EOF",
            ),
            (
                TemplateUnknown::SummaryOnly {
                    template: "https://example.com/rack.json".into(),
                },
                "https://example.com/rack.json is read through GetTemplateSummary, which does not return its resources",
            ),
        ];
        for (why, words) in cases {
            assert_eq!(template_unknown_words(&why), words);
        }
    }
}
