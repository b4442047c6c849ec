//! What YAML allows and CloudFormation's template parser refuses, found in the text before anything is
//! planned from it: anchors and aliases (`&name`, `*name`), and with them merge keys (`<<: *base`).
//! serde_yaml_ng resolves an alias into a copy of its anchor's node, so the parsed value cannot tell; the
//! text is read here, line by line, at the places a YAML node can begin, skipping quoted text, comments
//! and block scalars (`|`, `>`), whose contents are plain text.

/// The first anchor, alias or merge key in `body`, as `line L column C: ...` (both from 1).
pub(super) fn refused_yaml(body: &str) -> Option<String> {
    let mut block_scalar_indent: Option<usize> = None;
    for (index, line) in body.lines().enumerate() {
        let indent = line.len() - line.trim_start_matches(' ').len();
        if let Some(parent) = block_scalar_indent {
            if line.trim().is_empty() || indent > parent {
                continue;
            }
            block_scalar_indent = None;
        }
        let (found, opens_block_scalar) = scan_line(line);
        if let Some((column, what)) = found {
            return Some(format!(
                "line {} column {}: {what}, which CloudFormation's templates do not allow; write the value out where it is used",
                index + 1,
                column + 1
            ));
        }
        if opens_block_scalar {
            block_scalar_indent = Some(indent);
        }
    }
    None
}

/// The byte column and kind of the first refused token of one line, and whether the line opens a block
/// scalar (its node ends in `|` or `>`, with optional chomping or indentation indicators).
fn scan_line(line: &str) -> (Option<(usize, &'static str)>, bool) {
    let bytes = line.as_bytes();
    let mut position = 0;
    // Where a node may begin: after indentation and sequence dashes, after a key's `: `, and after `[`,
    // `{` or `,` inside a flow collection.
    let mut node_start = true;
    let mut flow_depth = 0usize;
    let mut last_node_start = 0;
    while position < bytes.len() {
        let c = bytes[position];
        match c {
            b' ' | b'\t' => {}
            b'#' if position == 0 || matches!(bytes[position - 1], b' ' | b'\t') => break,
            b'"' | b'\'' if node_start || flow_depth > 0 => {
                position = end_of_quoted(bytes, position);
                node_start = false;
                continue;
            }
            b'-' if node_start && bytes.get(position + 1).is_none_or(|b| *b == b' ') => {}
            b'&' | b'*' if node_start && bytes.get(position + 1).is_some_and(|b| *b != b' ') => {
                let what = if c == b'&' {
                    "a YAML anchor"
                } else {
                    "a YAML alias"
                };
                return (Some((position, what)), false);
            }
            b'<' if node_start && line[position..].starts_with("<<:") => {
                return (Some((position, "a YAML merge key (<<)")), false);
            }
            b'!' if node_start => {
                // A tag (`!Ref`, `!Sub`) comes before the node it tags: the node starts after it.
                while position < bytes.len() && bytes[position] != b' ' {
                    position += 1;
                }
                continue;
            }
            b'[' | b'{' if node_start || flow_depth > 0 => {
                flow_depth += 1;
                node_start = true;
                position += 1;
                continue;
            }
            b']' | b'}' if flow_depth > 0 => {
                flow_depth -= 1;
                node_start = false;
            }
            b',' if flow_depth > 0 => node_start = true,
            b':' if bytes.get(position + 1).is_none_or(|b| *b == b' ') => {
                node_start = true;
                last_node_start = position + 1;
            }
            _ => {
                if node_start {
                    last_node_start = position;
                }
                node_start = false;
            }
        }
        position += 1;
    }
    let rest = line[last_node_start.min(line.len())..]
        .split(" #")
        .next()
        .unwrap_or_default()
        .trim();
    let opens = flow_depth == 0
        && (rest.starts_with('|') || rest.starts_with('>'))
        && rest[1..]
            .chars()
            .all(|c| matches!(c, '+' | '-') || c.is_ascii_digit());
    (None, opens)
}

/// The position just after the quoted scalar that starts at `start` (or the line's end).
fn end_of_quoted(bytes: &[u8], start: usize) -> usize {
    let quote = bytes[start];
    let mut position = start + 1;
    while position < bytes.len() {
        if bytes[position] == quote {
            // In single quotes, '' is a quote; in double quotes, \" is.
            if quote == b'\'' && bytes.get(position + 1) == Some(&b'\'') {
                position += 2;
                continue;
            }
            return position + 1;
        }
        if quote == b'"' && bytes[position] == b'\\' {
            position += 1;
        }
        position += 1;
    }
    position
}

#[cfg(test)]
mod tests {
    use super::refused_yaml;

    #[test]
    fn anchors_aliases_and_merge_keys_are_found_at_their_line_and_column() {
        for (body, says) in [
            (
                "Mappings:\n  Base: &base\n    A: 1\n",
                "line 2 column 9: a YAML anchor",
            ),
            (
                "Resources:\n  A:\n    Properties: *props\n",
                "line 3 column 17: a YAML alias",
            ),
            (
                "Resources:\n  A:\n    Properties:\n      <<: {Name: x}\n",
                "line 4 column 7: a YAML merge key (<<)",
            ),
            ("Outputs:\n  - *one\n", "line 2 column 5: a YAML alias"),
            ("Tags: [a, *b]\n", "line 1 column 11: a YAML alias"),
            ("Value: !Ref &r Vpc\n", "line 1 column 13: a YAML anchor"),
        ] {
            let found = refused_yaml(body).unwrap_or_else(|| panic!("nothing in {body:?}"));
            assert!(found.starts_with(says), "{body:?}: {found}");
        }
    }

    #[test]
    fn stars_and_ampersands_in_text_comments_quotes_and_block_scalars_are_text() {
        for body in [
            "Description: Uses a, *b & c\n",
            "Pattern: \"*.example\"\nOther: '&x'\n",
            "A: 1 # see *this & &that\n# *all\n",
            "UserData: |\n  echo *\n  x: &y\n  <<: z\nNext: 1\n",
            "Folded: >-\n  *a\nB: !Sub '${A}&*'\n",
            "Tags: [\"*\", 'a, *b']\n",
            "Key: a*b&c\n",
        ] {
            assert_eq!(refused_yaml(body), None, "{body:?}");
        }
        // The block scalar ends where the indentation does.
        assert!(refused_yaml("A: |\n  text\nB: *c\n").is_some());
    }
}
