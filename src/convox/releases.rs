//! Convox's release list (`release/versions.json` in its bucket): which versions exist, which are published,
//! and which are *required*, releases every rack must pass through in order ("Lesser versions will first
//! update to this version"). Racks that jumped over one ended UPDATE_ROLLBACK_FAILED (convox/rack#2209,
//! #2142), so an upgrade is planned through each required release between where a rack is and where
//! racks.toml puts it.

use std::cmp::Ordering;

use serde::{Deserialize, Serialize};

/// Where Convox publishes the list, beside its templates (the default `template_url`).
pub const RELEASES_URL: &str = "https://convox.s3.amazonaws.com/release/versions.json";
/// The S3 key of the list in Convox's bucket.
pub const RELEASES_KEY: &str = "release/versions.json";
/// Convox's list holds a few thousand releases at about 150 bytes each; anything near this is not it.
pub const MAX_RELEASES_BYTES: usize = 16 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Release {
    pub version: String,
    #[serde(default)]
    pub description: String,
    /// A new release starts unpublished; `latest` and `stable` mean the last published one.
    #[serde(default)]
    pub published: bool,
    #[serde(default)]
    pub required: bool,
}

/// The list, in release order (Convox appends; it never sorts).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Releases {
    releases: Vec<Release>,
    /// SHA-256 of the list as read, so a saved plan can tell that Convox published something since.
    pub sha256: String,
}

/// Where an upgrade from one version to another goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route<'a> {
    /// The same version.
    Stay,
    /// Straight to the target: no required release lies between.
    Direct,
    /// Through each required release between, in order, then to the target (the last step).
    Steps(Vec<&'a Release>),
    /// The target is an earlier release than the live one.
    Downgrade,
    /// The live version is not in the list, so which required releases lie between is unknown.
    UnknownStart,
}

impl Releases {
    /// Parses versions.json; the error says what is wrong and where (line and column of the JSON).
    pub fn parse(text: &str) -> Result<Self, String> {
        let releases: Vec<Release> = serde_json::from_str(text).map_err(|error| {
            format!(
                "not Convox's release list (a JSON array of {{\"version\", \"published\", \"required\"}}): {error}"
            )
        })?;
        if let Some(empty) = releases.iter().position(|r| r.version.trim().is_empty()) {
            return Err(format!(
                "not Convox's release list: entry {} has an empty version",
                empty + 1
            ));
        }
        // A version becomes an upgrade step, a `Version` parameter value, a plan line and part of a template
        // URL (`release/{version}/formation.json`): one that could leave its path segment or forge a line
        // refuses the whole list, whatever the rest holds.
        if let Some((index, bad)) = releases
            .iter()
            .enumerate()
            .find(|(_, r)| !is_release_id(&r.version))
        {
            return Err(format!(
                "not Convox's release list: entry {} has the version {:?}, which is not a release id \
                 (Convox's are timestamps like 20161102160040: letters, digits, `.`, `-` and `_`, at most {MAX_VERSION_CHARS} characters)",
                index + 1,
                bad.version
            ));
        }
        let mut seen = std::collections::HashSet::new();
        if let Some(twice) = releases.iter().find(|r| !seen.insert(r.version.as_str())) {
            return Err(format!(
                "not Convox's release list: version {} is listed twice",
                twice.version
            ));
        }
        Ok(Self {
            releases,
            sha256: crate::config::sha256_hex(text.as_bytes()),
        })
    }

    pub fn len(&self) -> usize {
        self.releases.len()
    }

    pub fn is_empty(&self) -> bool {
        self.releases.is_empty()
    }

    fn position(&self, version: &str) -> Option<usize> {
        self.releases.iter().position(|r| r.version == version)
    }

    pub fn get(&self, version: &str) -> Option<&Release> {
        self.position(version).map(|index| &self.releases[index])
    }

    /// The last published release: what Convox calls `latest` (and `stable`).
    pub fn latest_published(&self) -> Option<&Release> {
        self.releases.iter().rev().find(|r| r.published)
    }

    /// How many published releases come after `version` (which must be in the list).
    pub fn published_after(&self, version: &str) -> usize {
        self.position(version).map_or(0, |index| {
            self.releases[index + 1..]
                .iter()
                .filter(|r| r.published)
                .count()
        })
    }

    /// For a version not in the list: the nearest listed versions before and after it, by version order
    /// (Convox's versions are timestamps, `20161102160040`; digit runs compare as numbers).
    pub fn closest(&self, version: &str) -> (Option<&Release>, Option<&Release>) {
        let before = self
            .releases
            .iter()
            .filter(|r| version_order(&r.version, version) == Ordering::Less)
            .max_by(|a, b| version_order(&a.version, &b.version));
        let after = self
            .releases
            .iter()
            .filter(|r| version_order(&r.version, version) == Ordering::Greater)
            .min_by(|a, b| version_order(&a.version, &b.version));
        (before, after)
    }

    /// What to say of a version that is not in the list: the nearest releases, or the latest published one
    /// for Convox's own aliases.
    pub fn suggestion_for(&self, version: &str) -> Option<String> {
        let latest = self.latest_published().map(|r| r.version.as_str());
        if matches!(version, "latest" | "stable") {
            return latest.map(|latest| {
                format!("rackfile pins racks to a release: the latest published one is {latest}")
            });
        }
        match self.closest(version) {
            (Some(before), Some(after)) => Some(format!(
                "the nearest releases are {} (before) and {} (after)",
                before.version, after.version
            )),
            (Some(before), None) => Some(format!(
                "the last release is {}{}",
                before.version,
                latest
                    .filter(|latest| *latest != before.version)
                    .map(|latest| format!("; the latest published one is {latest}"))
                    .unwrap_or_default()
            )),
            (None, Some(after)) => Some(format!("the first release is {}", after.version)),
            (None, None) => None,
        }
    }

    /// The way from `live` to `target` (which must be in the list): the published required releases
    /// strictly between them, in release order, then the target. An unpublished required release is not a
    /// step: Convox's own CLI only ever moves to published ones.
    pub fn route(&self, live: &str, target: &str) -> Route<'_> {
        let Some(to) = self.position(target) else {
            return Route::UnknownStart;
        };
        let Some(from) = self.position(live) else {
            return Route::UnknownStart;
        };
        match from.cmp(&to) {
            Ordering::Equal => Route::Stay,
            Ordering::Greater => Route::Downgrade,
            Ordering::Less => {
                let required: Vec<&Release> = self.releases[from + 1..to]
                    .iter()
                    .filter(|r| r.required && r.published)
                    .collect();
                if required.is_empty() {
                    Route::Direct
                } else {
                    let mut steps = required;
                    steps.push(&self.releases[to]);
                    Route::Steps(steps)
                }
            }
        }
    }

    /// The required releases an upgrade from `live` to `target` passes through before `target`, in order:
    /// none unless its route goes in steps.
    pub fn passed(&self, live: &str, target: &str) -> Vec<&Release> {
        match self.route(live, target) {
            Route::Steps(mut steps) => {
                steps.pop();
                steps
            }
            Route::Stay | Route::Direct | Route::Downgrade | Route::UnknownStart => Vec::new(),
        }
    }
}

/// The longest version a release list may hold; Convox's are 14 characters.
pub const MAX_VERSION_CHARS: usize = 64;

/// Whether `version` is plausibly a Convox release id: ASCII letters, digits, `.`, `-` and `_`, starting
/// with a letter or digit, no `..`. Nothing that leaves a URL path segment, or a line.
pub fn is_release_id(version: &str) -> bool {
    version.len() <= MAX_VERSION_CHARS
        && version.starts_with(|c: char| c.is_ascii_alphanumeric())
        && version
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
        && !version.contains("..")
}

/// Orders version strings as people read them: runs of digits as numbers, anything else as text.
pub fn version_order(a: &str, b: &str) -> Ordering {
    let (mut a, mut b) = (chunks(a), chunks(b));
    loop {
        match (a.next(), b.next()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) => {
                let order = match (is_number(x), is_number(y)) {
                    (true, true) => {
                        let (x, y) = (x.trim_start_matches('0'), y.trim_start_matches('0'));
                        x.len().cmp(&y.len()).then_with(|| x.cmp(y))
                    }
                    _ => x.cmp(y),
                };
                if order != Ordering::Equal {
                    return order;
                }
            }
        }
    }
}

fn is_number(chunk: &str) -> bool {
    chunk.bytes().all(|b| b.is_ascii_digit())
}

/// A version split into runs of digits and runs of anything else.
fn chunks(version: &str) -> impl Iterator<Item = &str> {
    let mut rest = version;
    std::iter::from_fn(move || {
        let first = rest.chars().next()?;
        let digits = first.is_ascii_digit();
        let end = rest
            .find(|c: char| c.is_ascii_digit() != digits)
            .unwrap_or(rest.len());
        let (chunk, tail) = rest.split_at(end);
        rest = tail;
        Some(chunk)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(entries: &[(&str, bool, bool)]) -> Releases {
        let json: Vec<serde_json::Value> = entries
            .iter()
            .map(|(version, published, required)| {
                serde_json::json!({"version": version, "description": "", "published": published, "required": required})
            })
            .collect();
        Releases::parse(&serde_json::to_string(&json).unwrap()).unwrap()
    }

    fn versions(route: Route<'_>) -> Vec<&str> {
        match route {
            Route::Steps(steps) => steps.iter().map(|r| r.version.as_str()).collect(),
            other => panic!("not steps: {other:?}"),
        }
    }

    #[test]
    fn an_upgrade_passes_through_each_published_required_release_between() {
        let releases = list(&[
            ("1", true, false),
            ("2", true, true),
            ("3", false, true),
            ("4", true, false),
            ("5", true, true),
            ("6", true, false),
        ]);
        assert_eq!(versions(releases.route("1", "6")), ["2", "5", "6"]);
        // A required target is the last step, not a step before itself.
        assert_eq!(versions(releases.route("1", "5")), ["2", "5"]);
        assert_eq!(releases.route("2", "4"), Route::Direct);
        assert_eq!(releases.route("4", "4"), Route::Stay);
        assert_eq!(releases.route("5", "4"), Route::Downgrade);
        assert_eq!(releases.route("0", "4"), Route::UnknownStart);
    }

    #[test]
    fn the_closest_versions_are_the_nearest_before_and_after_in_version_order() {
        let releases = list(&[
            ("20161102160040", true, false),
            ("20170101000000", true, true),
            ("20180101000000", true, false),
        ]);
        let (before, after) = releases.closest("20170601000000");
        assert_eq!(before.unwrap().version, "20170101000000");
        assert_eq!(after.unwrap().version, "20180101000000");
        let (before, after) = releases.closest("2099");
        assert_eq!(
            (before, after.map(|r| r.version.as_str())),
            (None, Some("20161102160040"))
        );
    }

    #[test]
    fn versions_order_by_their_numbers() {
        assert_eq!(version_order("3.10.0", "3.9.1"), Ordering::Greater);
        assert_eq!(
            version_order("20161102160040", "20170101000000"),
            Ordering::Less
        );
        assert_eq!(version_order("3.1", "3.1.0"), Ordering::Less);
        assert_eq!(version_order("007", "7"), Ordering::Equal);
    }

    #[test]
    fn the_latest_published_release_skips_unpublished_ones() {
        let releases = list(&[("1", true, false), ("2", true, false), ("3", false, false)]);
        assert_eq!(releases.latest_published().unwrap().version, "2");
        assert_eq!(releases.published_after("1"), 1);
        assert_eq!(releases.published_after("2"), 0);
    }

    #[test]
    fn a_malformed_list_says_what_is_wrong() {
        let error = Releases::parse("{\"version\": \"1\"}").unwrap_err();
        assert!(error.contains("expected a sequence"), "{error}");
        let error = Releases::parse("[{\"version\": \"1\"}, {\"version\": \"1\"}]").unwrap_err();
        assert!(error.contains("listed twice"), "{error}");
        for evil in [
            "../../bucket/evil",
            "1\n+ personal/fake will be installed",
            "a/b",
            "1 2",
            ".x",
            "1..2",
        ] {
            let json = serde_json::json!([{"version": "20161102160040"}, {"version": evil}]);
            let error = Releases::parse(&json.to_string()).unwrap_err();
            assert!(
                error.starts_with(&format!(
                    "not Convox's release list: entry 2 has the version {evil:?}, which is not a release id"
                )),
                "{error}"
            );
            assert!(!error.contains('\n'), "{error}");
        }
        for fine in ["20161102160040", "3.10.0", "2.5", "not-a-release", "v1_rc"] {
            assert!(is_release_id(fine), "{fine}");
        }
        let error = Releases::parse("[{\"published\": true}]").unwrap_err();
        assert!(error.contains("missing field `version`"), "{error}");
    }
}
