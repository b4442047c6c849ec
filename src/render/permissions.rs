//! The policy a command needs, for a person: each statement's actions and resources, why `*` where it is,
//! and what the policy does not cover. `--json` prints the bare policy document instead.

use std::fmt::Write as _;

use crate::permissions::Policy;

pub fn permissions(policy: &Policy, command_name: &str, racks_file: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "rackfile {command_name} needs, for the racks of {racks_file} (`--json` prints the policy document):"
    );
    for statement in &policy.statements {
        let _ = writeln!(out, "\n  allow {}", statement.actions.join(", "));
        for resource in &statement.resources {
            let _ = writeln!(out, "    on {resource}");
        }
        if let Some(why) = statement.why_any {
            let _ = writeln!(out, "    (* because {why})");
        }
    }
    let _ = writeln!(
        out,
        "\nsts:GetCallerIdentity (the account guard) needs no permission: IAM allows it to every identity."
    );
    if command_name == "apply" {
        if !policy.with_service_role.is_empty() {
            let _ = writeln!(
                out,
                "With its CloudFormation service role (role_arn), CloudFormation creates and changes the \
                 resources of {} with that role: for them these credentials need only the actions above \
                 (iam:PassRole on the role included).",
                policy.with_service_role.join(", ")
            );
        }
        if !policy.without_service_role.is_empty() {
            let racks = if policy.with_service_role.is_empty() {
                String::new()
            } else {
                format!(" ({})", policy.without_service_role.join(", "))
            };
            let _ = writeln!(
                out,
                "Without a CloudFormation service role{racks}, CloudFormation creates and changes the rack's \
                 resources (VPC, ECS cluster, IAM roles, Lambda functions, ...) with these same credentials: \
                 they then need every permission the rack template's resources need too, which rackfile \
                 cannot narrow (in practice PowerUserAccess plus IAM role management, like Convox's own rack \
                 API role). Set `role_arn` to pass a service role instead."
            );
        }
    }
    out
}
