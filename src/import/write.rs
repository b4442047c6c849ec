//! Renders imported racks as racks.toml: the most common settings factored into `[defaults]`, each rack
//! carrying only what differs from them.

use std::fmt::Write as _;

use super::ImportedRack;

/// Where the racks were read.
pub struct Origin<'a> {
    pub org: &'a str,
    pub profile: Option<&'a str>,
    pub account_id: &'a str,
    pub regions: &'a [String],
}

pub fn racks_toml(origin: &Origin, racks: &[ImportedRack]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Imported by `rackfile import` from account {} (org {}): {}.",
        origin.account_id,
        origin.org,
        origin.regions.join(", ")
    );
    out.push_str(
        "# Each rack uses Convox's published template for its version; set `template_url` or `template` if it\n\
         # was built from another. Passwords are never imported: updates keep the live one.\n\n",
    );

    let region = most_common(racks.iter().map(|r| &r.region));
    let version = most_common(racks.iter().map(|r| &r.version));
    // A typed setting goes into [defaults] only when every rack has the same value: a rack that leaves it
    // to its template could not say so under a default.
    let instance_type = shared(racks.iter().map(|r| &r.instance_type));
    let instance_count = shared(racks.iter().map(|r| &r.instance_count));
    let private = shared(racks.iter().map(|r| &r.private));

    out.push_str("[defaults]\n");
    let _ = writeln!(out, "org = {}", quote(origin.org));
    if let Some(region) = region {
        let _ = writeln!(out, "region = {}", quote(region));
    }
    if let Some(version) = version {
        let _ = writeln!(out, "version = {}", quote(version));
    }
    if let Some(Some(instance_type)) = instance_type {
        let _ = writeln!(out, "instance_type = {}", quote(instance_type));
    }
    if let Some(Some(count)) = instance_count {
        let _ = writeln!(out, "instance_count = {count}");
    }
    if let Some(Some(private)) = private {
        let _ = writeln!(out, "private = {private}");
    }

    let _ = writeln!(out, "\n[org.{}]", key(origin.org));
    if let Some(profile) = origin.profile {
        let _ = writeln!(out, "profile = {}", quote(profile));
    }
    let _ = writeln!(out, "account_id = {}", quote(origin.account_id));

    for rack in racks {
        out.push('\n');
        if rack.untagged {
            out.push_str(
                "# A 2016 rack without Convox's tags: the first apply tags it System=convox, Type=rack.\n",
            );
        }
        out.push_str("[[rack]]\n");
        let _ = writeln!(out, "name = {}", quote(&rack.name));
        if Some(&rack.region) != region {
            let _ = writeln!(out, "region = {}", quote(&rack.region));
        }
        if Some(&rack.version) != version {
            let _ = writeln!(out, "version = {}", quote(&rack.version));
        }
        if instance_type.is_none()
            && let Some(instance_type) = &rack.instance_type
        {
            let _ = writeln!(out, "instance_type = {}", quote(instance_type));
        }
        if instance_count.is_none()
            && let Some(count) = rack.instance_count
        {
            let _ = writeln!(out, "instance_count = {count}");
        }
        if private.is_none()
            && let Some(private) = rack.private
        {
            let _ = writeln!(out, "private = {private}");
        }
        if rack.protected {
            out.push_str("protect = true\n");
        }
        for (table, entries) in [("parameters", &rack.parameters), ("tags", &rack.tags)] {
            if !entries.is_empty() {
                let _ = writeln!(out, "\n[rack.{table}]");
                for (name, value) in entries {
                    let _ = writeln!(out, "{} = {}", key(name), quote(value));
                }
            }
        }
    }
    out
}

/// The value every rack has, if they all have the same one (and there is at least one rack).
fn shared<T: PartialEq>(mut values: impl Iterator<Item = T>) -> Option<T> {
    let first = values.next()?;
    values.all(|value| value == first).then_some(first)
}

/// The value most racks share; on a tie, the one seen first.
fn most_common<T: PartialEq>(values: impl Iterator<Item = T>) -> Option<T> {
    let mut counts: Vec<(T, usize)> = Vec::new();
    for value in values {
        match counts.iter_mut().find(|(seen, _)| *seen == value) {
            Some((_, count)) => *count += 1,
            None => counts.push((value, 1)),
        }
    }
    let best = counts.iter().map(|(_, count)| *count).max()?;
    counts
        .into_iter()
        .find(|(_, count)| *count == best)
        .map(|(value, _)| value)
}

fn quote(text: &str) -> String {
    toml::Value::String(text.to_string()).to_string()
}

/// A TOML key: bare when TOML allows it, quoted otherwise (tag keys may hold spaces, `:` or `/`).
fn key(text: &str) -> String {
    let bare = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if bare { text.to_string() } else { quote(text) }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::path::Path;

    use super::*;

    fn rack(name: &str, region: &str, count: u32) -> ImportedRack {
        ImportedRack {
            name: name.into(),
            region: region.into(),
            version: "20161102160040".into(),
            instance_type: None,
            instance_count: Some(count),
            private: None,
            parameters: BTreeMap::new(),
            tags: BTreeMap::new(),
            untagged: false,
            protected: false,
        }
    }

    #[test]
    fn factors_out_the_most_common_settings_and_the_result_validates() {
        let mut odd = rack("odd", "eu-west-1", 5);
        odd.private = Some(true);
        odd.parameters.insert("Autoscale".into(), "Yes".into());
        odd.tags
            .insert("cost center".into(), "platform \"core\"".into());
        odd.untagged = true;
        odd.protected = true;
        let racks = [rack("a", "us-east-1", 4), rack("b", "us-east-1", 4), odd];
        let regions = ["us-east-1".to_string(), "eu-west-1".to_string()];
        let origin = Origin {
            org: "personal",
            profile: Some("personal"),
            account_id: "123456789012",
            regions: &regions,
        };
        let text = racks_toml(&origin, &racks);
        insta::with_settings!({snapshot_path => "../../snapshots", prepend_module_to_snapshot => false}, {
            insta::assert_snapshot!("import_factored_racks_toml", text);
        });
        let config = crate::config::parse(Path::new("racks.toml"), text, String::new())
            .unwrap_or_else(|e| panic!("{}", e.render()));
        assert_eq!(config.racks.len(), 3);
        let odd = &config.racks[2];
        assert_eq!((odd.instance_count, odd.private), (Some(5), Some(true)));
        assert_eq!(odd.protect, Some(true), "a protected rack stays protected");
        assert_eq!(
            config.racks[0].protect, None,
            "an unprotected one is left unmanaged"
        );
        assert!(config.racks.iter().all(|rack| !rack.absent));
        assert_eq!(odd.tags["cost center"], "platform \"core\"");
        assert_eq!(config.racks[0].instance_count, Some(4));
        assert_eq!(config.racks[0].instance_type, None, "left to the template");
    }

    #[test]
    fn an_account_without_racks_gives_a_valid_file_with_none() {
        let regions = ["us-east-1".to_string()];
        let origin = Origin {
            org: "team name",
            profile: None,
            account_id: "123456789012",
            regions: &regions,
        };
        let text = racks_toml(&origin, &[]);
        assert!(text.contains("[org.\"team name\"]\n"), "{text}");
        let config = crate::config::parse(Path::new("racks.toml"), text, String::new())
            .unwrap_or_else(|e| panic!("{}", e.render()));
        assert!(config.racks.is_empty());
    }
}
