//! The views of `rackfile status`: a table like `convox racks`, and JSON.

use std::fmt::Write as _;

use super::escape;
use crate::status::RackStatus;

const HEADERS: [&str; 8] = [
    "RACK", "STATUS", "VERSION", "LATEST", "REGION", "COUNT", "TYPE", "ENDPOINT",
];

/// The table; ENDPOINT is `-` where the stack has no endpoint output; LATEST (Convox's latest published release) is `-` for racks with a template of their own.
pub fn table(rows: &[RackStatus]) -> String {
    let cells: Vec<[String; 8]> = rows
        .iter()
        .map(|row| {
            let or_dash = |value: &Option<String>| {
                value
                    .as_deref()
                    .map_or_else(|| "-".into(), |v| escape(v).into_owned())
            };
            [
                row.rack.clone(),
                escape(&status_words(row)).into_owned(),
                or_dash(&row.version),
                or_dash(&row.latest),
                row.region.clone(),
                or_dash(&row.count),
                or_dash(&row.instance_type),
                or_dash(&row.endpoint),
            ]
        })
        .collect();
    let mut widths = HEADERS.map(str::len);
    for row in &cells {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let mut line = |cells: &[&str]| {
        let mut text = String::new();
        for (index, (cell, width)) in cells.iter().zip(widths).enumerate() {
            if index + 1 == cells.len() {
                text.push_str(cell);
            } else {
                let _ = write!(text, "{cell:<width$}  ");
            }
        }
        out.push_str(text.trim_end());
        out.push('\n');
    };
    line(&HEADERS);
    for row in &cells {
        line(&row.each_ref().map(String::as_str));
    }
    out
}

/// The STATUS cell: Convox's word, and where the last operation failed, where to find out why.
fn status_words(row: &RackStatus) -> String {
    match (row.last_operation_failed, row.status.as_str()) {
        (false, word) => word.to_string(),
        // UPDATE_ROLLBACK_COMPLETE: Convox says running, and it does, as before the update.
        (true, "running") => "running, last update rolled back: see rackfile events".to_string(),
        (true, word) => format!("{word}: see rackfile events"),
    }
}

pub fn json(rows: &[RackStatus]) -> String {
    let value = serde_json::json!({
        "format_version": crate::plan::FORMAT_VERSION,
        "racks": rows,
    });
    let mut text = serde_json::to_string_pretty(&value).expect("status rows serialise");
    text.push('\n');
    text
}
