//! Diagnostics about racks.toml: what is wrong, where (byte spans into the file), and what to do.
//!
//! Validation collects every problem as a `Diagnostic`; `render` draws them the way compilers do, with
//! `file:line:column`, the source line and a caret under the offending text, so an operator can fix all
//! of them in one pass.

use std::fmt::Write as _;
use std::ops::Range;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub message: String,
    /// Byte range in the file; `None` for problems with the file as a whole.
    pub span: Option<Range<usize>>,
    /// Other places that explain the problem, e.g. the first of two duplicate racks.
    pub related: Vec<(Range<usize>, String)>,
    pub hint: Option<String>,
}

impl Diagnostic {
    pub fn error(message: impl Into<String>, span: Range<usize>) -> Self {
        Self {
            message: message.into(),
            span: Some(span),
            related: Vec::new(),
            hint: None,
        }
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    pub fn with_related(mut self, span: Range<usize>, label: impl Into<String>) -> Self {
        self.related.push((span, label.into()));
        self
    }
}

/// A 1-based line and column (in characters), as editors count them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Location {
    pub line: usize,
    pub column: usize,
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// Maps byte offsets in a source text to lines and columns.
pub struct SourceMap<'a> {
    source: &'a str,
    line_starts: Vec<usize>,
}

impl<'a> SourceMap<'a> {
    pub fn new(source: &'a str) -> Self {
        let line_starts = std::iter::once(0)
            .chain(source.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Self {
            source,
            line_starts,
        }
    }

    pub fn location(&self, offset: usize) -> Location {
        let offset = offset.min(self.source.len());
        let line_index = self.line_starts.partition_point(|&start| start <= offset) - 1;
        let line_start = self.line_starts[line_index];
        let column = self.source[line_start..floor_char_boundary(self.source, offset)]
            .chars()
            .count()
            + 1;
        Location {
            line: line_index + 1,
            column,
        }
    }

    fn line_text(&self, line: usize) -> &'a str {
        let start = self.line_starts[line - 1];
        let end = self
            .line_starts
            .get(line)
            .copied()
            .unwrap_or(self.source.len());
        self.source[start..end].trim_end_matches(['\n', '\r'])
    }
}

fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// Draws diagnostics against the file they are about. Output never has colour: it goes to logs as often
/// as to terminals, and tests compare it byte for byte.
/// The one way rackfile gives advice under an error: `   = help: ...` on a line of its own.
pub fn write_help(out: &mut String, hint: &str) {
    let _ = writeln!(out, "   = help: {hint}");
}

pub fn render(diagnostics: &[Diagnostic], file_name: &str, source: &str) -> String {
    let map = SourceMap::new(source);
    let mut out = String::new();
    for diagnostic in diagnostics {
        let _ = writeln!(out, "error: {}", diagnostic.message);
        match &diagnostic.span {
            Some(span) => {
                draw_snippet(&mut out, &map, file_name, span, None);
                for (related_span, related_label) in &diagnostic.related {
                    draw_snippet(&mut out, &map, file_name, related_span, Some(related_label));
                }
            }
            None => {
                let _ = writeln!(out, "  --> {file_name}");
            }
        }
        if let Some(hint) = &diagnostic.hint {
            write_help(&mut out, hint);
        }
        out.push('\n');
    }
    out
}

fn draw_snippet(
    out: &mut String,
    map: &SourceMap<'_>,
    file_name: &str,
    span: &Range<usize>,
    label: Option<&str>,
) {
    let start = map.location(span.start);
    let line_text = map.line_text(start.line);
    let gutter = start.line.to_string().len();
    let pad = " ".repeat(gutter);
    let _ = writeln!(out, "{pad}--> {file_name}:{start}");
    let _ = writeln!(out, "{pad} |");
    let _ = writeln!(out, "{} | {}", start.line, expand_tabs(line_text));
    // Carets go under the text as a terminal shows it: a tab as four columns, a wide character as two. A
    // span that runs past its first line is underlined to the end of that line.
    let line_start = map.line_starts[start.line - 1];
    let from = floor_char_boundary(
        line_text,
        span.start.saturating_sub(line_start).min(line_text.len()),
    );
    let to = floor_char_boundary(
        line_text,
        span.end.saturating_sub(line_start).min(line_text.len()),
    );
    let caret_pad = " ".repeat(display_width(&line_text[..from]));
    let carets = "^".repeat(display_width(&line_text[from..to.max(from)]).max(1));
    match label {
        Some(label) => {
            let _ = writeln!(out, "{pad} | {caret_pad}{carets} {label}");
        }
        None => {
            let _ = writeln!(out, "{pad} | {caret_pad}{carets}");
        }
    }
}

const TAB_WIDTH: usize = 4;

fn expand_tabs(text: &str) -> String {
    text.replace('\t', &" ".repeat(TAB_WIDTH))
}

/// The columns a terminal gives the text, with tabs expanded as `expand_tabs` does.
fn display_width(text: &str) -> usize {
    use unicode_width::UnicodeWidthChar;
    text.chars()
        .map(|c| match c {
            '\t' => TAB_WIDTH,
            c => c.width().unwrap_or(0),
        })
        .sum()
}

/// The closest candidate to `word`, if any is close enough to be a plausible typo.
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|candidate| (strsim::jaro_winkler(word, candidate), candidate))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, candidate)| candidate)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_count_lines_and_characters_from_one() {
        let map = SourceMap::new("a = 1\nbé = 2\n");
        assert_eq!(map.location(0), Location { line: 1, column: 1 });
        assert_eq!(map.location(6), Location { line: 2, column: 1 });
        // 'é' is two bytes but one column.
        assert_eq!(map.location(9), Location { line: 2, column: 3 });
    }

    #[test]
    fn renders_location_source_line_and_caret() {
        let source = "[[rack]]\nnmae = \"x\"\n";
        let diagnostic =
            Diagnostic::error("unknown key `nmae`", 9..13).with_hint("did you mean `name`?");
        assert_eq!(
            render(&[diagnostic], "racks.toml", source),
            "error: unknown key `nmae`\n --> racks.toml:2:1\n  |\n2 | nmae = \"x\"\n  | ^^^^\n   = help: did you mean `name`?\n\n"
        );
    }

    #[test]
    fn carets_stay_under_the_text_after_tabs_and_wide_characters() {
        let source = "[[rack]]\nname = \"\t日本\" # x\n";
        let start = source.find('#').unwrap();
        let rendered = render(
            &[Diagnostic::error("a comment", start..start + 3)],
            "racks.toml",
            source,
        );
        let lines: Vec<&str> = rendered.lines().collect();
        assert_eq!(lines[3], "2 | name = \"    日本\" # x");
        // `name = "` is 8 columns, the tab 4, each ideograph 2, then `" `: the caret is at column 18.
        assert_eq!(lines[4], format!("  | {}^^^", " ".repeat(18)));
        assert_eq!(
            lines[4].find('^'),
            Some("2 | name = \"    日本\" ".len() - "日本".len() + 4)
        );
    }

    #[test]
    fn suggests_only_close_words() {
        let keys = ["instance_type", "instance_count", "name"];
        assert_eq!(did_you_mean("instanse_type", keys), Some("instance_type"));
        assert_eq!(did_you_mean("zzz", keys), None);
    }
}
