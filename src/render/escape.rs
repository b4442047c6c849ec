//! Values from racks.toml and from AWS, made safe to print on a terminal: a newline, carriage return,
//! escape sequence or bidirectional override inside a value could otherwise forge a plan line
//! (`t2.small\n+ personal/fake (us-east-1) will be installed`), rewrite one, or recolour the screen.

use std::borrow::Cow;

/// `text` with every control and bidirectional-formatting character written as an escape (`\n`, `\u{1b}`).
pub fn escape(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if is_unsafe(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// `text` made inert for a Markdown view (a pull-request comment): escaped as `escape` does, then every
/// character that could start a link, emphasis, strikethrough, code, HTML or a table cell written as
/// literal text, and every `@` broken from what follows it, so `@everyone` or `@org/team` notifies no one.
/// GitHub's autolinks work on the rendered text, where a backslash or an entity is already gone, so they
/// are broken the same way, by a zero-width space: after `#` (`#123`, an issue reference), after a `:`
/// that something follows (`https://...`, `mailto:`, the emoji `:+1:`) and inside `www.`.
pub fn markdown(text: &str) -> String {
    const BREAK: &str = "&#8203;";
    let text = escape(text);
    let mut out = String::with_capacity(text.len() + 8);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            // GitHub links a mention or a reference only when the name or number follows at once.
            '@' | '#' => {
                out.push(c);
                out.push_str(BREAK);
            }
            ':' if chars.peek().is_some_and(|next| !next.is_whitespace()) => {
                out.push(':');
                out.push_str(BREAK);
            }
            '.' if out.len() >= 3
                && out.as_bytes()[out.len() - 3..].eq_ignore_ascii_case(b"www") =>
            {
                out.push_str(BREAK);
                out.push('.');
            }
            '\\' | '`' | '*' | '_' | '[' | ']' | '~' | '|' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

/// A tab is left alone: it cannot start a line or recolour one, and diagnostics align carets under it.
fn is_unsafe(c: char) -> bool {
    (c.is_control() && c != '\t')
        || matches!(c, '\u{200e}' | '\u{200f}' | '\u{061c}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn control_and_bidi_characters_are_shown_as_escapes() {
        assert_eq!(escape("t2.small"), "t2.small");
        assert_eq!(
            escape("t2.small\n+ personal/fake (us-east-1) will be installed"),
            "t2.small\\n+ personal/fake (us-east-1) will be installed"
        );
        assert_eq!(
            escape("a\r\x1b[31mb\u{202e}c"),
            "a\\r\\u{1b}[31mb\\u{202e}c"
        );
        assert_eq!(escape("café 日本\tx"), "café 日本\tx");
    }

    #[test]
    fn markdown_links_emphasis_html_and_mentions_are_made_inert() {
        use super::markdown;
        assert_eq!(markdown("t3.small (rolling)"), "t3.small (rolling)");
        assert_eq!(
            markdown("[click](https://evil.example) @everyone"),
            "\\[click\\](https:&#8203;//evil.example) @&#8203;everyone"
        );
        assert_eq!(
            markdown("*a* _b_ ~~c~~ `d` <img src=x> a|b \\"),
            "\\*a\\* \\_b\\_ \\~\\~c\\~\\~ \\`d\\` &lt;img src=x&gt; a\\|b \\\\"
        );
        // The newline escape's backslash is itself escaped, so the comment shows `\n`.
        assert_eq!(markdown("x\n@org/team"), "x\\\\n@&#8203;org/team");
    }

    /// GitHub autolinks bare URLs, `www.` hosts and e-mail addresses, links `#123` to an issue and draws
    /// `:+1:` as an emoji, all on the rendered text: each is broken by a zero-width space.
    #[test]
    fn markdown_bare_urls_references_and_emoji_are_made_inert() {
        use super::markdown;
        assert_eq!(
            markdown("see https://evil.example/x or WWW.evil.example, fixes #123 :+1:"),
            "see https:&#8203;//evil.example/x or WWW&#8203;.evil.example, fixes #&#8203;123 :&#8203;+1:"
        );
        assert_eq!(
            markdown("mailto:a@b.example"),
            "mailto:&#8203;a@&#8203;b.example"
        );
        // A colon before a space or at the end starts nothing, and stays as it is.
        assert_eq!(markdown("Reason: done:"), "Reason: done:");
    }
}
