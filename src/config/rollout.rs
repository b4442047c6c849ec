//! `[rollout]`, checked: each wave's globs compiled, the failure tolerance, the bake and the alarm name
//! patterns, every problem at its line. Which wave each rack joins is decided by the planner
//! (`plan::rollout`); this file only says whether a glob matches a rack.

use std::collections::BTreeMap;
use std::ops::Range;
use std::time::Duration;

use super::Rack;
use super::model::{FailureTolerance, RolloutTable, Sp};
use crate::diag::{Diagnostic, did_you_mean};

/// CloudWatch's limit on an alarm name.
const MAX_ALARM_NAME_CHARS: usize = 255;

/// The longest `bake`: a canary watched for more than a week is a typo (a CI job is cancelled long before,
/// and the next apply serves the bake anyway), and a longer one would overflow the clock it is added to.
pub const MAX_BAKE: Duration = Duration::from_secs(7 * 24 * 3600);

/// The placeholders an alarm name may use.
const ALARM_PLACEHOLDERS: [&str; 3] = ["org", "name", "region"];

/// A checked `[rollout]`.
#[derive(Debug, Clone)]
pub struct Rollout {
    /// In order; never empty (no `waves` is one wave of every rack).
    pub waves: Vec<WaveRule>,
    /// Racks changing at once within a wave; `None`: apply's `--parallelism`.
    pub max_concurrent: Option<usize>,
    pub failure_tolerance: Tolerance,
    /// `Duration::ZERO`: no bake.
    pub bake: Duration,
    /// Where `waves` is written (or `[rollout]` itself when it has none), for a rack no wave takes.
    pub waves_span: Range<usize>,
    /// `missing_data = "ok"`: an alarm in INSUFFICIENT_DATA does not hold a later wave.
    pub missing_data_ok: bool,
    /// `rollback_alarms = true`: the monitoring minutes of the racks' rollback triggers.
    pub rollback_minutes: Option<u32>,
}

/// One wave as racks.toml defines it.
#[derive(Debug, Clone)]
pub struct WaveRule {
    pub globs: Vec<WaveGlob>,
}

/// A glob over `org/name`.
#[derive(Debug, Clone)]
pub struct WaveGlob {
    /// As written.
    pub text: String,
    pub span: Range<usize>,
    matcher: globset::GlobMatcher,
}

impl WaveGlob {
    pub fn new(text: &str, span: Range<usize>) -> Result<Self, String> {
        if text.trim().is_empty() {
            return Err("a glob is empty".into());
        }
        // `*` crosses the `/` between org and name, so "*" takes every rack and "*/staging*" every org's.
        let glob = globset::GlobBuilder::new(text)
            .literal_separator(false)
            .build()
            .map_err(|error| error.kind().to_string())?;
        Ok(Self {
            text: text.to_string(),
            span,
            matcher: glob.compile_matcher(),
        })
    }

    /// Whether the rack `org/name` matches.
    pub fn matches(&self, rack: &str) -> bool {
        self.matcher.is_match(rack)
    }
}

impl WaveRule {
    pub fn matches(&self, rack: &str) -> bool {
        self.globs.iter().any(|glob| glob.matches(rack))
    }
}

/// How many failed racks a wave tolerates before the rollout stops.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tolerance {
    Count(usize),
    /// Of the racks the wave changes, from 0 to 100.
    Percent(u8),
}

impl Tolerance {
    /// The count for a wave that changes `racks` racks: a percentage rounds down, as CloudFormation
    /// StackSets' FailureTolerancePercentage does (10% of 4 racks tolerates none).
    pub fn count_of(self, racks: usize) -> usize {
        match self {
            Tolerance::Count(count) => count,
            Tolerance::Percent(percent) => racks * usize::from(percent) / 100,
        }
    }
}

/// `[rollout]` checked against the racks of the file: `None` when there is none, or it has errors (which
/// are in `diagnostics`).
pub(super) fn resolve_rollout(
    table: &RolloutTable,
    table_span: Range<usize>,
    racks: &[Rack],
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<Rollout> {
    let errors_before = diagnostics.len();
    let waves = resolve_waves(table, table_span.clone(), racks, diagnostics);
    let max_concurrent =
        table
            .max_concurrent
            .as_ref()
            .and_then(|count| match usize::try_from(count.value) {
                Ok(count) if count >= 1 => Some(count),
                _ => {
                    diagnostics.push(
                        Diagnostic::error(
                            format!("`max_concurrent` must be at least 1, not {}", count.value),
                            count.span.clone(),
                        )
                        .with_hint("leave it out to use apply's --parallelism"),
                    );
                    None
                }
            });
    // Each setting checked whatever the others hold, so one run reports every problem.
    let failure_tolerance = match &table.failure_tolerance {
        None => Some(Tolerance::Count(0)),
        Some(tolerance) => resolve_tolerance(tolerance, diagnostics),
    };
    let bake = match &table.bake {
        None => Some(Duration::ZERO),
        Some(bake) => resolve_bake(bake, diagnostics),
    };
    for pattern in &table.alarms {
        check_alarm_pattern(pattern, diagnostics);
    }
    let missing_data_ok = match &table.missing_data {
        None => false,
        Some(value) if value.value == "hold" => false,
        Some(value) if value.value == "ok" => true,
        Some(value) => {
            diagnostics.push(
                Diagnostic::error(
                    format!(
                        "`missing_data` must be \"hold\" or \"ok\", not \"{}\"",
                        value.value.escape_debug()
                    ),
                    value.span.clone(),
                )
                .with_hint("\"hold\" (the default): an alarm in INSUFFICIENT_DATA holds the next wave; \"ok\": it does not"),
            );
            false
        }
    };
    let rollback_minutes = super::stack_options::resolve_rollback(table, diagnostics);
    if diagnostics.len() > errors_before {
        return None;
    }
    let (failure_tolerance, bake) = (failure_tolerance?, bake?);
    let waves_span = table
        .waves
        .first()
        .map(|first| first.span.clone())
        .unwrap_or(table_span);
    Some(Rollout {
        waves,
        max_concurrent,
        failure_tolerance,
        bake,
        waves_span,
        missing_data_ok,
        rollback_minutes,
    })
}

fn resolve_waves(
    table: &RolloutTable,
    table_span: Range<usize>,
    racks: &[Rack],
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<WaveRule> {
    if table.waves.is_empty() {
        // `[rollout]` for its tolerance or concurrency alone: every rack is one wave.
        let every_rack = WaveGlob::new("*", table_span).expect("`*` is a glob");
        return vec![WaveRule {
            globs: vec![every_rack],
        }];
    }
    let ids: Vec<String> = racks.iter().map(Rack::id).collect();
    let mut waves = Vec::new();
    // Each kept wave's number (a wave without globs is reported and left out).
    let mut numbers = Vec::new();
    for (index, wave) in table.waves.iter().enumerate() {
        if wave.value.is_empty() {
            diagnostics.push(
                Diagnostic::error(
                    format!("wave {} has no globs", index + 1),
                    wave.span.clone(),
                )
                .with_hint("a wave lists globs over org/name, e.g. [\"personal/canary\"]"),
            );
            continue;
        }
        let mut globs = Vec::new();
        for glob in &wave.value {
            match WaveGlob::new(&glob.value, glob.span.clone()) {
                Ok(compiled) => {
                    if !ids.iter().any(|id| compiled.matches(id)) {
                        // A misspelt canary would silently leave its wave empty, and the next wave
                        // would take the canary's place.
                        let hint = match did_you_mean(&glob.value, ids.iter().map(String::as_str)) {
                            Some(close) => format!("did you mean `{close}`?"),
                            None => {
                                "globs match `org/name`, e.g. \"personal/canary\" or \"*/staging*\""
                                    .into()
                            }
                        };
                        diagnostics.push(
                            Diagnostic::error(
                                format!(
                                    "wave {}: `{}` matches no rack of this file",
                                    index + 1,
                                    glob.value
                                ),
                                glob.span.clone(),
                            )
                            .with_hint(hint),
                        );
                    }
                    globs.push(compiled);
                }
                Err(why) => diagnostics.push(
                    Diagnostic::error(
                        format!("wave {}: invalid glob \"{}\": {why}", index + 1, glob.value),
                        glob.span.clone(),
                    )
                    .with_hint("`*` matches any text, `?` one character, `[abc]` one of these"),
                ),
            }
        }
        let wave_rule = WaveRule { globs };
        // A wave whose racks all join an earlier one (a rack joins its first matching wave) can never run:
        // `[["*"], ["personal/canary"]]` would send the release everywhere before its canary.
        let matched: Vec<&String> = ids.iter().filter(|id| wave_rule.matches(id)).collect();
        if let Some(first) = matched.first()
            && matched
                .iter()
                .all(|id| waves.iter().any(|earlier: &WaveRule| earlier.matches(id)))
        {
            let taken_by = waves
                .iter()
                .position(|earlier| earlier.matches(first))
                .map_or(0, |position| numbers[position]);
            diagnostics.push(
                Diagnostic::error(
                    format!(
                        "wave {} can never get a rack: every rack it matches joins an earlier wave (`{first}` joins wave {taken_by})",
                        index + 1
                    ),
                    wave.span.clone(),
                )
                .with_hint("a rack joins its first matching wave: put the narrower wave first, e.g. [[\"personal/canary\"], [\"*\"]]"),
            );
        }
        waves.push(wave_rule);
        numbers.push(index + 1);
    }
    let waves_span = table.waves[0].span.start..table.waves[table.waves.len() - 1].span.end;
    for rack in racks {
        let id = rack.id();
        if !waves.iter().any(|wave| wave.matches(&id)) {
            diagnostics.push(
                Diagnostic::error(
                    format!("rack `{id}` is in no wave of [rollout]"),
                    rack.spans.name.clone(),
                )
                .with_related(waves_span.clone(), "the waves")
                .with_hint(
                    "add a glob that matches it, or a last wave of every other rack: [\"*\"]",
                ),
            );
        }
    }
    waves
}

fn resolve_tolerance(
    tolerance: &Sp<FailureTolerance>,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<Tolerance> {
    let refuse = |message: String, diagnostics: &mut Vec<Diagnostic>| {
        diagnostics.push(
            Diagnostic::error(message, tolerance.span.clone()).with_hint(
                "a count of racks (e.g. 1) or a percentage of a wave's racks (e.g. \"10%\")",
            ),
        );
        None
    };
    match tolerance.value {
        FailureTolerance::Count(count) => match usize::try_from(count) {
            Ok(count) => Some(Tolerance::Count(count)),
            Err(_) => refuse(
                format!("`failure_tolerance` must not be negative, not {count}"),
                diagnostics,
            ),
        },
        FailureTolerance::Percent(percent) => match u8::try_from(percent) {
            Ok(percent) if percent <= 100 => Some(Tolerance::Percent(percent)),
            _ => refuse(
                format!("`failure_tolerance` is {percent}%: a percentage is at most 100%"),
                diagnostics,
            ),
        },
    }
}

fn resolve_bake(bake: &Sp<String>, diagnostics: &mut Vec<Diagnostic>) -> Option<Duration> {
    match humantime::parse_duration(&bake.value) {
        Ok(duration) if duration > MAX_BAKE => {
            diagnostics.push(
                Diagnostic::error(
                    format!(
                        "`bake` \"{}\" is longer than a week, the longest bake",
                        bake.value
                    ),
                    bake.span.clone(),
                )
                .with_hint(
                    "a bake watches a wave's alarms for minutes or hours, e.g. \"30m\", \"4h\"",
                ),
            );
            None
        }
        Ok(duration) if duration.subsec_nanos() == 0 => Some(duration),
        Ok(_) => {
            diagnostics.push(
                Diagnostic::error(
                    format!("`bake` \"{}\" is not a whole number of seconds", bake.value),
                    bake.span.clone(),
                )
                .with_hint("e.g. \"30s\", \"30m\", \"1h 30m\""),
            );
            None
        }
        Err(error) => {
            diagnostics.push(
                Diagnostic::error(
                    format!("`bake` \"{}\" is not a duration: {error}", bake.value),
                    bake.span.clone(),
                )
                .with_hint("e.g. \"30s\", \"30m\", \"1h 30m\""),
            );
            None
        }
    }
}

/// An alarm name pattern's own problems: empty, an unknown or unclosed placeholder, control characters.
fn check_alarm_pattern(pattern: &Sp<String>, diagnostics: &mut Vec<Diagnostic>) {
    let problem = if pattern.value.trim().is_empty() {
        Some("an alarm name is empty".to_string())
    } else if pattern.value.chars().any(char::is_control) {
        Some(format!(
            "alarm \"{}\" has a control character, which CloudWatch does not allow",
            pattern.value.escape_default()
        ))
    } else {
        match substitute(&pattern.value, &[]) {
            Err(Placeholder::Unclosed) => Some(format!(
                "alarm \"{}\" has a `{{` that is never closed",
                pattern.value
            )),
            Err(Placeholder::Unknown(name)) => Some(format!(
                "alarm \"{}\" has an unknown placeholder `{{{name}}}`",
                pattern.value
            )),
            Ok(_) => None,
        }
    };
    if let Some(problem) = problem {
        diagnostics.push(Diagnostic::error(problem, pattern.span.clone()).with_hint(
            "the placeholders are {org}, {name} and {region}, e.g. \"rack-{name}-5xx\"",
        ));
    }
}

/// The alarm names of one rack, each with where its pattern is written; a name over CloudWatch's limit is
/// an error at its pattern. Patterns with problems of their own were reported once and are left out.
pub(super) fn rack_alarms(
    patterns: &[Sp<String>],
    org: &str,
    name: &str,
    region: &str,
    diagnostics: &mut Vec<Diagnostic>,
) -> BTreeMap<String, Range<usize>> {
    let values = [("org", org), ("name", name), ("region", region)];
    let mut alarms = BTreeMap::new();
    for pattern in patterns {
        let Ok(alarm) = substitute(&pattern.value, &values) else {
            continue;
        };
        if alarm.trim().is_empty() || alarm.chars().any(char::is_control) {
            continue;
        }
        if alarm.chars().count() > MAX_ALARM_NAME_CHARS {
            diagnostics.push(Diagnostic::error(
                format!(
                    "the alarm of rack `{org}/{name}` would be named \"{alarm}\", longer than CloudWatch's {MAX_ALARM_NAME_CHARS} characters"
                ),
                pattern.span.clone(),
            ));
            continue;
        }
        alarms.entry(alarm).or_insert_with(|| pattern.span.clone());
    }
    alarms
}

enum Placeholder {
    Unclosed,
    Unknown(String),
}

/// `pattern` with each `{placeholder}` replaced by its value; with no values, only checked (each known
/// placeholder is left as it is).
fn substitute(pattern: &str, values: &[(&str, &str)]) -> Result<String, Placeholder> {
    let mut out = String::new();
    let mut rest = pattern;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let close = rest[open..].find('}').ok_or(Placeholder::Unclosed)?;
        let placeholder = &rest[open + 1..open + close];
        if !ALARM_PLACEHOLDERS.contains(&placeholder) {
            return Err(Placeholder::Unknown(placeholder.to_string()));
        }
        match values.iter().find(|(key, _)| *key == placeholder) {
            Some((_, value)) => out.push_str(value),
            None => out.push_str(&rest[open..=open + close]),
        }
        rest = &rest[open + close + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_star_crosses_the_slash_and_a_class_takes_one_character() {
        let every = WaveGlob::new("*", 0..0).unwrap();
        assert!(every.matches("personal/canary"));
        let staging = WaveGlob::new("*/staging*", 0..0).unwrap();
        assert!(staging.matches("work/staging-eu"));
        assert!(!staging.matches("work/prod-staging"));
        let class = WaveGlob::new("work/web-[ab]", 0..0).unwrap();
        assert!(class.matches("work/web-a"));
        assert!(!class.matches("work/web-c"));
        assert!(WaveGlob::new("work/[web", 0..0).is_err());
        assert!(WaveGlob::new(" ", 0..0).is_err());
    }

    #[test]
    fn a_percentage_rounds_down_as_stacksets_does() {
        assert_eq!(Tolerance::Percent(10).count_of(4), 0);
        assert_eq!(Tolerance::Percent(25).count_of(4), 1);
        assert_eq!(Tolerance::Percent(50).count_of(5), 2);
        assert_eq!(Tolerance::Percent(100).count_of(7), 7);
        assert_eq!(Tolerance::Count(2).count_of(1), 2);
    }

    #[test]
    fn alarm_names_take_the_racks_org_name_and_region() {
        let patterns = vec![
            Sp::new("rack-{name}-5xx".to_string(), 3..10),
            Sp::new("{org}/{region}/{name}".to_string(), 12..20),
        ];
        let mut diagnostics = Vec::new();
        let alarms = rack_alarms(&patterns, "work", "web", "eu-west-1", &mut diagnostics);
        assert!(diagnostics.is_empty());
        assert_eq!(
            alarms.into_iter().collect::<Vec<_>>(),
            vec![
                ("rack-web-5xx".to_string(), 3..10),
                ("work/eu-west-1/web".to_string(), 12..20)
            ]
        );
        let long = vec![Sp::new(format!("{}{{name}}", "x".repeat(253)), 0..5)];
        assert!(rack_alarms(&long, "o", "abc", "r", &mut diagnostics).is_empty());
        assert!(
            diagnostics[0]
                .message
                .contains("longer than CloudWatch's 255")
        );
    }

    #[test]
    fn a_bake_past_a_week_is_refused_at_its_line_and_a_week_is_taken() {
        for (text, refused) in [
            ("500000000000y", true),
            ("7days 1s", true),
            ("7days", false),
        ] {
            let mut diagnostics = Vec::new();
            let bake = resolve_bake(&Sp::new(text.to_string(), 4..9), &mut diagnostics);
            assert_eq!(bake.is_none(), refused, "{text}");
            if refused {
                assert!(
                    diagnostics[0].message.contains("longer than a week"),
                    "{text}: {}",
                    diagnostics[0].message
                );
                assert_eq!(diagnostics[0].span, Some(4..9));
            }
        }
    }

    #[test]
    fn a_bad_placeholder_is_named() {
        for (pattern, says) in [
            ("rack-{rack}-5xx", "unknown placeholder `{rack}`"),
            ("rack-{name", "never closed"),
            ("", "empty"),
        ] {
            let mut diagnostics = Vec::new();
            check_alarm_pattern(&Sp::new(pattern.to_string(), 0..1), &mut diagnostics);
            assert!(
                diagnostics[0].message.contains(says),
                "{pattern}: {}",
                diagnostics[0].message
            );
        }
    }
}
