//! The JSON Schema of racks.toml, generated from the file model. `schema/racks.schema.json` is this output,
//! checked in so editors (taplo, VS Code Even Better TOML) can complete and check racks.toml.

use serde_json::Value;

use super::model::RacksFile;

pub fn racks_schema_json() -> String {
    let mut schema = schemars::schema_for!(RacksFile).to_value();
    drop_null_alternatives(&mut schema);
    let mut text = serde_json::to_string_pretty(&schema).expect("a schema is always serialisable");
    text.push('\n');
    text
}

/// schemars describes `Option<T>` as "T or null", but TOML has no null: leaving a key out is how a setting
/// is left unset. Editors would otherwise offer `null` as a value.
fn drop_null_alternatives(value: &mut Value) {
    match value {
        Value::Object(object) => {
            if let Some(Value::Array(types)) = object.get_mut("type") {
                types.retain(|t| t != "null");
                if types.len() == 1 {
                    let only = types.remove(0);
                    object.insert("type".into(), only);
                }
            }
            if let Some(Value::Array(alternatives)) = object.get_mut("anyOf") {
                alternatives.retain(|a| a.get("type").is_none_or(|t| t != "null"));
                if alternatives.len() == 1
                    && alternatives[0].is_object()
                    && let Some(Value::Object(only)) = alternatives.pop()
                {
                    object.remove("anyOf");
                    object.extend(only);
                }
            }
            object.values_mut().for_each(drop_null_alternatives);
        }
        Value::Array(items) => items.iter_mut().for_each(drop_null_alternatives),
        _ => {}
    }
}
