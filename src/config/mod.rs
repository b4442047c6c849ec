//! racks.toml: the file model, loading and validation, and the checked `Config` the rest of rackfile uses.
//!
//! Nothing outside this module sees raw TOML: `load` either returns a `Config` in which every rack is fully
//! specified (defaults applied, template resolved) or every problem in the file, each with its location.

mod checks;
pub mod model;
mod password_store;
mod reader;
mod resolve;
mod rollout;
pub mod schema;
mod service_role;
mod stack_options;
mod template_file;

pub use checks::is_region_name;
pub use rollout::{Rollout, Tolerance, WaveGlob, WaveRule};
pub use stack_options::{CONVOX_STATEFUL, MAX_ROLLBACK_TRIGGERS, StackPolicy};

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::diag::{self, Diagnostic, Location};

pub const DEFAULT_TEMPLATE_URL: &str =
    "https://convox.s3.amazonaws.com/release/{version}/formation.json";
/// CloudFormation's limit for a TemplateBody; larger templates must be hosted and passed by URL.
pub const MAX_TEMPLATE_BODY_BYTES: usize = 51_200;
/// racks.toml of 1,000 racks is about 150 KB; anything near this is not a racks file.
pub const MAX_RACKS_FILE_BYTES: usize = 16 * 1024 * 1024;
/// CloudFormation's limit for one parameter value.
pub const MAX_PARAMETER_VALUE_BYTES: usize = 4_096;

/// The bytes of a regular file of at most `limit` bytes. A FIFO, a device or a directory is refused before
/// it is opened (opening a FIFO blocks; a device never ends), and a larger file before it is read whole.
pub fn read_regular_file(path: &Path, limit: usize) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let metadata = std::fs::metadata(path)?;
    if !metadata.is_file() {
        return Err(std::io::Error::other("not a regular file"));
    }
    let too_large = || {
        std::io::Error::new(
            std::io::ErrorKind::FileTooLarge,
            format!("larger than {limit} bytes"),
        )
    };
    if metadata.len() > limit as u64 {
        return Err(too_large());
    }
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(limit as u64 + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() > limit {
        return Err(too_large());
    }
    Ok(bytes)
}

/// The template parameters rackfile sets from typed settings; `[rack.parameters]` may not set them too.
pub const TYPED_PARAMETERS: [(&str, &str); 4] = [
    ("InstanceType", "instance_type"),
    ("InstanceCount", "instance_count"),
    ("Private", "private"),
    ("Version", "version"),
];

/// Tags rackfile puts on every rack it installs, as Convox does.
pub const SYSTEM_TAGS: [(&str, &str); 2] = [("System", "convox"), ("Type", "rack")];

/// Tag keys whose values say what a stack is to Convox (`convox::ownership`): `[rack.tags]` may not set them,
/// or a rack could pass for an app of another rack (`Rack`), for no rack at all (`System`, `Type`), or
/// for another app (`Name`).
pub const RESERVED_TAG_KEYS: [&str; 4] = ["System", "Type", "Rack", "Name"];

/// A checked racks.toml.
#[derive(Debug, Clone)]
pub struct Config {
    pub path: PathBuf,
    /// SHA-256 of the file's bytes, so a saved plan can tell that the file changed.
    pub fingerprint: String,
    /// The file's text, so problems found later (against the templates) can point into it.
    pub source: String,
    pub orgs: BTreeMap<String, OrgSettings>,
    pub racks: Vec<Rack>,
    /// `[rollout]`; `None`: every rack is one wave, as if there were no waves.
    pub rollout: Option<Rollout>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgSettings {
    pub name: String,
    pub profile: Option<String>,
    pub account_id: Option<String>,
}

/// One fully-specified rack. A typed setting that is `None` is not managed: the template decides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rack {
    pub org: String,
    pub name: String,
    pub region: String,
    pub version: String,
    pub instance_type: Option<String>,
    pub instance_count: Option<u32>,
    pub private: Option<bool>,
    pub template: Template,
    pub password_env: Option<String>,
    /// The SSM parameter holding the API password, placeholders substituted.
    pub password_ssm: Option<String>,
    /// Extra template parameters, passed verbatim.
    pub parameters: BTreeMap<String, String>,
    /// `[rack.tags]` only; the system tags are added by `managed_tags`.
    pub tags: BTreeMap<String, String>,
    /// Parameters set at install only and never planned afterwards (the rack's and the defaults' lists).
    pub ignore_changes: BTreeSet<String>,
    /// SSM-typed parameters whose newer value in Parameter Store is an update of its own (`refresh`).
    pub refresh: BTreeSet<String>,
    /// `drift_ignore`: properties `drift` reports as managed outside CloudFormation, not as drift.
    pub drift_ignore: Vec<DriftIgnore>,
    /// `ensure = "absent"`: uninstall.
    pub absent: bool,
    /// Termination protection; `None`: not managed (the live setting stays).
    pub protect: Option<bool>,
    /// The CloudFormation service role passed as RoleARN on every write of the rack; `None`: not managed
    /// (CloudFormation keeps a live stack's role).
    pub role_arn: Option<String>,
    /// NotificationARNs; `None`: not managed (the live topics stay).
    pub notification_arns: Option<Vec<String>>,
    /// The stack policy; `None`: not managed (the live policy stays).
    pub stack_policy: Option<StackPolicy>,
    /// `[rollout] rollback_alarms = true`: `alarms` are passed as rollback triggers, watched this many
    /// minutes after each write.
    pub rollback_minutes: Option<u32>,
    /// The CloudWatch alarms `[rollout] alarms` names for this rack, in its account and region.
    pub alarms: Vec<String>,
    pub spans: RackSpans,
}

/// A `drift_ignore` entry: a resource's property, and everything under it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct DriftIgnore {
    pub logical_id: String,
    /// As a JSON pointer, the way CloudFormation's PropertyPath writes it: `/SecurityGroupIngress`.
    pub path: String,
}

impl DriftIgnore {
    /// `LogicalId.Property[.Sub...]`; why not, otherwise.
    pub fn parse(text: &str) -> Result<Self, String> {
        let (logical_id, path) = text.split_once('.').ok_or_else(|| {
            format!("`{text}` names no property: write LogicalId.PropertyPath, e.g. Instances.DesiredCapacity")
        })?;
        if logical_id.is_empty() || !logical_id.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(format!(
                "`{logical_id}` is not a logical id: CloudFormation's are letters and digits only"
            ));
        }
        if path.split('.').any(str::is_empty) {
            return Err(format!("`{text}` has an empty property name"));
        }
        Ok(Self {
            logical_id: logical_id.to_string(),
            path: format!("/{}", path.replace('.', "/")),
        })
    }

    /// Whether it covers the property at `path` of `logical_id` (the property itself or inside it).
    pub fn covers(&self, logical_id: &str, path: &str) -> bool {
        logical_id == self.logical_id
            && (path == self.path
                || path
                    .strip_prefix(&self.path)
                    .is_some_and(|rest| rest.starts_with('/')))
    }

    /// As racks.toml writes it.
    pub fn text(&self) -> String {
        format!("{}{}", self.logical_id, self.path.replace('/', "."))
    }
}

/// Where a rack's settings are written in racks.toml, so problems found against its template point at
/// the line that causes them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RackSpans {
    pub name: Range<usize>,
    /// Template parameter -> the value setting it (a typed setting, `[rack.parameters]` or `[defaults]`).
    pub parameters: BTreeMap<String, Range<usize>>,
    /// `[rack.parameters]` key -> where the key is written, for "no such parameter".
    pub parameter_keys: BTreeMap<String, Range<usize>>,
    /// Parameter -> its entry in `ignore_changes`.
    pub ignore_changes: BTreeMap<String, Range<usize>>,
    /// Parameter -> its entry in `refresh`.
    pub refresh: BTreeMap<String, Range<usize>>,
    pub password_env: Option<Range<usize>>,
    pub password_ssm: Option<Range<usize>>,
    pub ensure: Option<Range<usize>>,
    pub role_arn: Option<Range<usize>>,
    /// Alarm name -> the `[rollout] alarms` entry it comes from.
    pub alarms: BTreeMap<String, Range<usize>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Template {
    Url {
        /// `{version}` substituted.
        url: String,
        /// As written (or the default), so the URL of another version can be named.
        pattern: String,
    },
    /// A local file, read at load time.
    File { path: PathBuf, body: String },
}

/// A rack's `org/name`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RackId {
    pub org: String,
    pub name: String,
}

impl std::fmt::Display for RackId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.org, self.name)
    }
}

impl std::str::FromStr for RackId {
    /// Why the text is not `org/name`.
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        match text.split_once('/') {
            Some((org, name)) if !org.is_empty() && !name.is_empty() && !name.contains('/') => {
                Ok(RackId {
                    org: org.into(),
                    name: name.into(),
                })
            }
            _ => Err(format!("{text}: expected ORG/NAME")),
        }
    }
}

impl Template {
    /// How the template is named to people: its URL, or the file's path.
    pub fn describe(&self) -> String {
        match self {
            Template::Url { url, .. } => url.clone(),
            Template::File { path, .. } => path.display().to_string(),
        }
    }
}

impl Rack {
    /// `org/name`, how racks are named everywhere in rackfile's output and in `--target`.
    pub fn id(&self) -> String {
        format!("{}/{}", self.org, self.name)
    }

    /// Every template parameter rackfile manages for this rack, with the value it should have.
    pub fn managed_parameters(&self) -> BTreeMap<String, String> {
        let mut parameters = self.parameters.clone();
        if let Some(instance_type) = &self.instance_type {
            parameters.insert("InstanceType".into(), instance_type.clone());
        }
        if let Some(count) = self.instance_count {
            parameters.insert("InstanceCount".into(), count.to_string());
        }
        if let Some(private) = self.private {
            parameters.insert("Private".into(), yes_no(private).into());
        }
        parameters.insert("Version".into(), self.version.clone());
        parameters
    }

    /// Whether the rack is built from Convox's published templates (the default `template_url`), so its
    /// version is one of Convox's releases. A `template` or `template_url` of its own is not.
    pub fn uses_convox_releases(&self) -> bool {
        matches!(&self.template, Template::Url { pattern, .. } if pattern == DEFAULT_TEMPLATE_URL)
    }

    /// The rack at a release an upgrade passes through on its way to `version` of racks.toml: that
    /// release's template and Version, every other parameter, tag and setting left as the rack has them, so
    /// a step changes the release and nothing else.
    pub fn passing_through(&self, release: &str) -> Rack {
        let template = match &self.template {
            Template::Url { pattern, .. } => Template::Url {
                url: pattern.replace("{version}", release),
                pattern: pattern.clone(),
            },
            file @ Template::File { .. } => file.clone(),
        };
        Rack {
            version: release.to_string(),
            template,
            instance_type: None,
            instance_count: None,
            private: None,
            protect: None,
            parameters: BTreeMap::new(),
            tags: BTreeMap::new(),
            // A step is an update whatever `refresh` says, and its release may not declare those parameters.
            refresh: BTreeSet::new(),
            ..self.clone()
        }
    }

    /// The tags rackfile manages: the system tags plus `[rack.tags]`.
    pub fn managed_tags(&self) -> BTreeMap<String, String> {
        let mut tags = self.tags.clone();
        for (key, value) in SYSTEM_TAGS {
            tags.insert(key.into(), value.into());
        }
        tags
    }
}

/// A boolean as Convox's templates spell it.
pub fn yes_no(flag: bool) -> &'static str {
    if flag { "Yes" } else { "No" }
}

/// Why racks.toml could not be loaded. `Display` is one line; `render` gives the text an operator sees,
/// every diagnostic drawn under its line.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("cannot read {}: {error}", path.display())]
    Unreadable {
        path: PathBuf,
        #[source]
        error: std::io::Error,
    },
    #[error("{} is not UTF-8 text: invalid byte at {}:{location}", path.display(), path.display())]
    NotUtf8 { path: PathBuf, location: Location },
    #[error(
        "{} has {} {}",
        path.display(),
        diagnostics.len(),
        if diagnostics.len() == 1 { "error" } else { "errors" }
    )]
    Invalid {
        path: PathBuf,
        /// racks.toml's text, to draw each diagnostic under its line.
        text: String,
        diagnostics: Vec<Diagnostic>,
    },
}

impl LoadError {
    pub fn render(&self) -> String {
        match self {
            LoadError::Unreadable { path, error } => {
                let mut text = format!("error: cannot read {}: {error}\n", path.display());
                if error.kind() == std::io::ErrorKind::NotFound {
                    crate::diag::write_help(
                        &mut text,
                        "create it, or point at another file with -f FILE",
                    );
                    text.push('\n');
                }
                text
            }
            LoadError::NotUtf8 { path, location } => format!(
                "error: {} is not UTF-8 text: invalid byte at {}:{location}\n",
                path.display(),
                path.display()
            ),
            LoadError::Invalid {
                path,
                text: source,
                diagnostics,
            } => {
                let errors = diagnostics.len();
                let mut text = diag::render(diagnostics, &path.display().to_string(), source);
                text.push_str(&format!(
                    "error: {} has {errors} {}\n",
                    path.display(),
                    if errors == 1 { "error" } else { "errors" }
                ));
                text
            }
        }
    }
}

/// Reads, parses and checks racks.toml.
pub fn load(path: &Path) -> Result<Config, LoadError> {
    let bytes =
        read_regular_file(path, MAX_RACKS_FILE_BYTES).map_err(|error| LoadError::Unreadable {
            path: path.to_path_buf(),
            error,
        })?;
    let fingerprint = sha256_hex(&bytes);
    let source = String::from_utf8(bytes).map_err(|error| {
        let valid = &error.as_bytes()[..error.utf8_error().valid_up_to()];
        // `valid` is UTF-8 by construction, so the location of its end is where the bad byte is.
        let text = std::str::from_utf8(valid).unwrap_or_default();
        LoadError::NotUtf8 {
            path: path.to_path_buf(),
            location: diag::SourceMap::new(text).location(text.len()),
        }
    })?;
    parse(path, source, fingerprint)
}

/// Checks racks.toml text as if it had been read from `path` (relative templates resolve beside it).
pub fn parse(path: &Path, source: String, fingerprint: String) -> Result<Config, LoadError> {
    let (file, mut diagnostics) = reader::read(&source);
    let base_dir = path.parent().unwrap_or(Path::new("."));
    let resolved = resolve::resolve(&file, base_dir, &mut diagnostics);
    if !diagnostics.is_empty() {
        diagnostics.sort_by_key(|d| d.span.as_ref().map(|s| s.start));
        return Err(LoadError::Invalid {
            path: path.to_path_buf(),
            text: source,
            diagnostics,
        });
    }
    Ok(Config {
        path: path.to_path_buf(),
        fingerprint,
        source,
        orgs: resolved.orgs,
        racks: resolved.racks,
        rollout: resolved.rollout,
    })
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_load_error_says_itself_in_one_line_and_renders_every_diagnostic() {
        let error = parse(
            Path::new("racks.toml"),
            "[[rack]]\nnam = \"x\"\n".into(),
            String::new(),
        )
        .unwrap_err();
        let line = error.to_string();
        assert!(
            line.starts_with("racks.toml has ") && !line.contains('\n'),
            "{line}"
        );
        assert!(
            error.render().contains("racks.toml:2:1"),
            "{}",
            error.render()
        );
        let missing = load(Path::new("/nonexistent/racks.toml")).unwrap_err();
        assert!(
            missing
                .to_string()
                .starts_with("cannot read /nonexistent/racks.toml: "),
            "{missing}"
        );
        assert!(std::error::Error::source(&missing).is_some());
    }
}
