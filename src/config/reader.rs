//! Reads the spanned TOML tree into the file model, collecting every syntax error, unknown key and wrong
//! type instead of stopping at the first (serde's derive would stop at the first).

use std::sync::LazyLock;

use schemars::JsonSchema;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::model::{
    Defaults, Ensure, FailureTolerance, Org, RackEntry, RacksFile, RolloutTable, Shared, Sp,
    StringTable,
};
use crate::diag::{Diagnostic, did_you_mean};

/// The keys a table accepts, read from the JSON Schema of its model type.
fn schema_keys<T: JsonSchema>() -> Vec<String> {
    let schema = schemars::schema_for!(T);
    schema
        .get("properties")
        .and_then(|properties| properties.as_object())
        .map(|properties| properties.keys().cloned().collect())
        .unwrap_or_default()
}

static FILE_KEYS: LazyLock<Vec<String>> = LazyLock::new(schema_keys::<RacksFile>);
static DEFAULTS_KEYS: LazyLock<Vec<String>> = LazyLock::new(schema_keys::<Defaults>);
static ORG_KEYS: LazyLock<Vec<String>> = LazyLock::new(schema_keys::<Org>);
static RACK_KEYS: LazyLock<Vec<String>> = LazyLock::new(schema_keys::<RackEntry>);
static ROLLOUT_KEYS: LazyLock<Vec<String>> = LazyLock::new(schema_keys::<RolloutTable>);

pub fn read(source: &str) -> (RacksFile, Vec<Diagnostic>) {
    let (document, errors) = DeTable::parse_recoverable(source);
    let mut diagnostics: Vec<Diagnostic> = errors
        .iter()
        .map(|error| {
            let span = error.span().unwrap_or(0..0);
            Diagnostic::error(
                format!("invalid TOML: {}", error.message().trim_end()),
                span,
            )
        })
        .collect();
    if !diagnostics.is_empty() {
        // A recovered tree after a syntax error mostly yields follow-on noise; the syntax errors are the news.
        return (RacksFile::default(), diagnostics);
    }
    let mut reader = Reader {
        diagnostics: &mut diagnostics,
    };
    let file = reader.file(document.get_ref());
    (file, diagnostics)
}

struct Reader<'d> {
    diagnostics: &'d mut Vec<Diagnostic>,
}

type Entry<'a, 'i> = (
    &'a Spanned<std::borrow::Cow<'i, str>>,
    &'a Spanned<DeValue<'i>>,
);

impl Reader<'_> {
    fn file(&mut self, table: &DeTable<'_>) -> RacksFile {
        let mut file = RacksFile::default();
        for (key, value) in self.known_entries(table, &FILE_KEYS, "the top level") {
            match key.get_ref().as_ref() {
                "defaults" => {
                    if let Some(table) = self.table(value, "[defaults]") {
                        file.defaults = Some(self.defaults(table));
                    }
                }
                "org" => {
                    if let Some(orgs) = self.table(value, "[org]") {
                        for (name, org) in orgs {
                            let what = format!("[org.{}]", name.get_ref());
                            if let Some(table) = self.table(org, &what) {
                                file.org
                                    .insert(name.get_ref().to_string(), self.org(table, &what));
                            }
                        }
                    }
                }
                "rack" => match value.get_ref() {
                    DeValue::Array(racks) => {
                        for rack in racks.iter() {
                            if let Some(table) = self.table(rack, "[[rack]]") {
                                file.rack.push(self.rack(table, rack.span()));
                            }
                        }
                    }
                    other => self.wrong_type(
                        value.span(),
                        "rack",
                        "an array of tables ([[rack]])",
                        other,
                    ),
                },
                "rollout" => {
                    if let Some(table) = self.table(value, "[rollout]") {
                        let mut rollout = self.rollout(table);
                        rollout.span = key.span();
                        file.rollout = Some(rollout);
                    }
                }
                other => self.not_read(other, key.span()),
            }
        }
        file
    }

    fn defaults(&mut self, table: &DeTable<'_>) -> Defaults {
        let mut defaults = Defaults::default();
        for (key, value) in self.known_entries(table, &DEFAULTS_KEYS, "[defaults]") {
            let name = key.get_ref().as_ref();
            if !self.shared(name, value, &mut defaults.shared) {
                self.not_read(name, key.span());
            }
        }
        defaults
    }

    /// A setting [defaults] and [[rack]] share, read into `shared`; false for any other key.
    fn shared(&mut self, name: &str, value: &Spanned<DeValue<'_>>, shared: &mut Shared) -> bool {
        match name {
            "org" => shared.org = self.string(name, value),
            "region" => shared.region = self.string(name, value),
            "version" => shared.version = self.string(name, value),
            "instance_type" => shared.instance_type = self.string(name, value),
            "instance_count" => shared.instance_count = self.integer(name, value),
            "private" => shared.private = self.boolean(name, value),
            "ignore_changes" => shared.ignore_changes = self.string_list(name, value),
            "refresh" => shared.refresh = self.string_list(name, value),
            "drift_ignore" => shared.drift_ignore = self.string_list(name, value),
            "password_ssm" => shared.password_ssm = self.string(name, value),
            "protect" => shared.protect = self.boolean(name, value),
            "role_arn" => shared.role_arn = self.string(name, value),
            "notification_arns" => {
                shared.notification_arns =
                    Some(Sp::new(self.string_list(name, value), value.span()));
            }
            "stack_policy" => shared.stack_policy = self.string(name, value),
            _ => return false,
        }
        true
    }

    fn org(&mut self, table: &DeTable<'_>, what: &str) -> Org {
        let mut org = Org::default();
        for (key, value) in self.known_entries(table, &ORG_KEYS, what) {
            let name = key.get_ref().as_ref();
            match name {
                "profile" => org.profile = self.string(name, value),
                "account_id" => org.account_id = self.string(name, value),
                "role_arn" => org.role_arn = self.string(name, value),
                other => self.not_read(other, key.span()),
            }
        }
        org
    }

    fn rack(&mut self, table: &DeTable<'_>, header: std::ops::Range<usize>) -> RackEntry {
        let mut rack = RackEntry::default();
        for (key, value) in self.known_entries(table, &RACK_KEYS, "[[rack]]") {
            let name = key.get_ref().as_ref();
            if self.shared(name, value, &mut rack.shared) {
                continue;
            }
            match name {
                "name" => rack.name = self.string(name, value),
                "template" => rack.template = self.string(name, value),
                "template_url" => rack.template_url = self.string(name, value),
                "password_env" => rack.password_env = self.string(name, value),
                "ensure" => rack.ensure = self.ensure(name, value),
                "parameters" => rack.parameters = self.string_table(value, "[rack.parameters]"),
                "tags" => rack.tags = self.string_table(value, "[rack.tags]"),
                other => self.not_read(other, key.span()),
            }
        }
        if rack.name.is_none() {
            let span = table
                .iter()
                .next()
                .map(|(key, _)| key.span())
                .unwrap_or(header);
            self.diagnostics.push(
                Diagnostic::error("a [[rack]] has no `name`", span)
                    .with_hint("every rack needs `name = \"...\"`, the CloudFormation stack name"),
            );
        }
        rack
    }

    fn rollout(&mut self, table: &DeTable<'_>) -> RolloutTable {
        let mut rollout = RolloutTable::default();
        for (key, value) in self.known_entries(table, &ROLLOUT_KEYS, "[rollout]") {
            let name = key.get_ref().as_ref();
            match name {
                "waves" => rollout.waves = self.waves(value),
                "max_concurrent" => rollout.max_concurrent = self.integer(name, value),
                "failure_tolerance" => rollout.failure_tolerance = self.failure_tolerance(value),
                "bake" => rollout.bake = self.string(name, value),
                "alarms" => rollout.alarms = self.string_list(name, value),
                "missing_data" => rollout.missing_data = self.string(name, value),
                "rollback_alarms" => rollout.rollback_alarms = self.boolean(name, value),
                "rollback_monitoring" => rollout.rollback_monitoring = self.string(name, value),
                other => self.not_read(other, key.span()),
            }
        }
        rollout
    }

    /// `waves`: an array of waves, each an array of globs.
    fn waves(&mut self, value: &Spanned<DeValue<'_>>) -> Vec<Sp<Vec<Sp<String>>>> {
        let DeValue::Array(waves) = value.get_ref() else {
            self.wrong_type(
                value.span(),
                "waves",
                "an array of waves, each an array of globs",
                value.get_ref(),
            );
            return Vec::new();
        };
        let mut read = Vec::new();
        for wave in waves.iter() {
            match wave.get_ref() {
                DeValue::Array(_) => {
                    read.push(Sp::new(self.string_list("wave", wave), wave.span()));
                }
                other => {
                    let mut diagnostic = Diagnostic::error(
                        format!("a wave must be an array of globs, not {}", describe(other)),
                        wave.span(),
                    );
                    if let DeValue::String(glob) = other {
                        diagnostic =
                            diagnostic.with_hint(format!("put it in brackets: [\"{glob}\"]"));
                    }
                    self.diagnostics.push(diagnostic);
                }
            }
        }
        read
    }

    /// `failure_tolerance`: a count, or a percentage written "N%".
    fn failure_tolerance(&mut self, value: &Spanned<DeValue<'_>>) -> Option<Sp<FailureTolerance>> {
        let span = value.span();
        let refuse = |reader: &mut Self, message: String| {
            reader
                .diagnostics
                .push(Diagnostic::error(message, span.clone()).with_hint(
                    "a count of racks (e.g. 1) or a percentage of a wave's racks (e.g. \"10%\")",
                ));
            None
        };
        match value.get_ref() {
            DeValue::Integer(_) => self
                .integer("failure_tolerance", value)
                .map(|count| Sp::new(FailureTolerance::Count(count.value), count.span)),
            DeValue::String(text) => {
                let digits = text.strip_suffix('%').unwrap_or_default();
                match digits.parse::<u64>() {
                    Ok(percent) if digits.bytes().all(|b| b.is_ascii_digit()) => {
                        Some(Sp::new(FailureTolerance::Percent(percent), span))
                    }
                    _ => refuse(
                        self,
                        format!(
                            "`failure_tolerance` must be a count or a percentage, not \"{text}\""
                        ),
                    ),
                }
            }
            other => refuse(
                self,
                format!(
                    "`failure_tolerance` must be a count or a percentage, not {}",
                    describe(other)
                ),
            ),
        }
    }

    /// A key the schema accepts but this reader has no arm for: a bug in rackfile, reported as an error at
    /// the key rather than a panic.
    fn not_read(&mut self, key: &str, span: std::ops::Range<usize>) {
        self.diagnostics.push(
            Diagnostic::error(format!("rackfile cannot read `{key}` yet"), span)
                .with_hint("this is a bug in rackfile: please report it"),
        );
    }

    /// The entries whose keys the table accepts; reports each other key with the closest accepted one.
    fn known_entries<'a, 'i>(
        &mut self,
        table: &'a DeTable<'i>,
        known: &[String],
        what: &str,
    ) -> Vec<Entry<'a, 'i>> {
        let mut entries = Vec::new();
        for (key, value) in table.iter() {
            if known.iter().any(|k| k == key.get_ref().as_ref()) {
                entries.push((key, value));
                continue;
            }
            let mut diagnostic = Diagnostic::error(
                format!("unknown key `{}` in {what}", key.get_ref()),
                key.span(),
            );
            let suggestion = did_you_mean(key.get_ref(), known.iter().map(String::as_str));
            diagnostic = match suggestion {
                Some(suggestion) => diagnostic.with_hint(format!("did you mean `{suggestion}`?")),
                None => diagnostic.with_hint(format!("{what} accepts: {}", known.join(", "))),
            };
            self.diagnostics.push(diagnostic);
        }
        entries
    }

    fn table<'a, 'i>(
        &mut self,
        value: &'a Spanned<DeValue<'i>>,
        what: &str,
    ) -> Option<&'a DeTable<'i>> {
        match value.get_ref() {
            DeValue::Table(table) => Some(table),
            other => {
                self.wrong_type(value.span(), what, "a table", other);
                None
            }
        }
    }

    fn string(&mut self, key: &str, value: &Spanned<DeValue<'_>>) -> Option<Sp<String>> {
        match value.get_ref() {
            DeValue::String(text) => Some(Sp::new(text.to_string(), value.span())),
            other => {
                self.wrong_type(value.span(), key, "a string", other);
                None
            }
        }
    }

    fn integer(&mut self, key: &str, value: &Spanned<DeValue<'_>>) -> Option<Sp<i64>> {
        let parsed = match value.get_ref() {
            DeValue::Integer(integer) => {
                i64::from_str_radix(integer.as_str(), integer.radix()).ok()
            }
            other => {
                self.wrong_type(value.span(), key, "an integer", other);
                return None;
            }
        };
        match parsed {
            Some(number) => Some(Sp::new(number, value.span())),
            None => {
                self.diagnostics.push(Diagnostic::error(
                    format!("`{key}` is too large"),
                    value.span(),
                ));
                None
            }
        }
    }

    fn boolean(&mut self, key: &str, value: &Spanned<DeValue<'_>>) -> Option<Sp<bool>> {
        match value.get_ref() {
            DeValue::Boolean(flag) => Some(Sp::new(*flag, value.span())),
            other => {
                self.wrong_type(value.span(), key, "true or false", other);
                None
            }
        }
    }

    fn ensure(&mut self, key: &str, value: &Spanned<DeValue<'_>>) -> Option<Sp<Ensure>> {
        let text = self.string(key, value)?;
        match text.value.as_str() {
            "present" => Some(Sp::new(Ensure::Present, text.span)),
            "absent" => Some(Sp::new(Ensure::Absent, text.span)),
            other => {
                self.diagnostics.push(
                    Diagnostic::error(
                        format!("`ensure` must be \"present\" or \"absent\", not {other:?}"),
                        text.span,
                    )
                    .with_hint("\"absent\" uninstalls the rack; leave `ensure` out to keep it"),
                );
                None
            }
        }
    }

    fn string_list(&mut self, key: &str, value: &Spanned<DeValue<'_>>) -> Vec<Sp<String>> {
        match value.get_ref() {
            DeValue::Array(items) => items
                .iter()
                .filter_map(|item| self.string(&format!("{key} entry"), item))
                .collect(),
            other => {
                self.wrong_type(value.span(), key, "an array of strings", other);
                Vec::new()
            }
        }
    }

    fn string_table(&mut self, value: &Spanned<DeValue<'_>>, what: &str) -> StringTable {
        let mut entries = Vec::new();
        if let Some(table) = self.table(value, what) {
            for (key, value) in table.iter() {
                let key_name = format!("{what} {}", key.get_ref());
                if let Some(text) = self.string(&key_name, value) {
                    entries.push((Sp::new(key.get_ref().to_string(), key.span()), text));
                }
            }
        }
        StringTable(entries)
    }

    fn wrong_type(
        &mut self,
        span: std::ops::Range<usize>,
        key: &str,
        expected: &str,
        found: &DeValue<'_>,
    ) {
        let mut diagnostic = Diagnostic::error(
            format!("`{key}` must be {expected}, not {}", describe(found)),
            span,
        );
        // Template parameters and versions are strings in CloudFormation, so a bare number is a common slip.
        if expected == "a string" {
            let bare = match found {
                DeValue::Integer(integer) => Some(integer.as_str().to_string()),
                DeValue::Float(float) => Some(float.as_str().to_string()),
                DeValue::Boolean(flag) => Some(flag.to_string()),
                _ => None,
            };
            if let Some(bare) = bare {
                diagnostic = diagnostic.with_hint(format!("quote it: \"{bare}\""));
            }
        }
        self.diagnostics.push(diagnostic);
    }
}

fn describe(value: &DeValue<'_>) -> &'static str {
    match value {
        DeValue::String(_) => "a string",
        DeValue::Integer(_) => "an integer",
        DeValue::Float(_) => "a float",
        DeValue::Boolean(_) => "a boolean",
        DeValue::Datetime(_) => "a date-time",
        DeValue::Array(_) => "an array",
        DeValue::Table(_) => "a table",
    }
}
