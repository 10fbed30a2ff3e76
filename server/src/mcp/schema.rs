//! A JSON Schema checker for the subset our tool schemas use (type, properties, required,
//! additionalProperties, enum, items, minimum/maximum, minLength). Tool arguments are checked
//! against the tool's input schema before the tool runs, so a bad call gets a clear message.

use serde_json::Value;

/// Check `value` against `schema`; the first problem found, as text naming its JSON path.
pub fn validate(schema: &Value, value: &Value) -> Result<(), String> {
    check(schema, value, "arguments")
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn type_matches(expected: &str, v: &Value) -> bool {
    let actual = type_name(v);
    actual == expected || (expected == "number" && actual == "integer")
}

fn check(schema: &Value, value: &Value, path: &str) -> Result<(), String> {
    if let Some(t) = schema.get("type") {
        let ok = match t {
            Value::String(t) => type_matches(t, value),
            Value::Array(ts) => ts
                .iter()
                .filter_map(Value::as_str)
                .any(|t| type_matches(t, value)),
            _ => true,
        };
        if !ok {
            return Err(format!(
                "`{path}` must be of type {t}, not {}",
                type_name(value)
            ));
        }
    }
    if let Some(options) = schema.get("enum").and_then(Value::as_array) {
        if !options.contains(value) {
            let list: Vec<String> = options.iter().map(|o| o.to_string()).collect();
            return Err(format!(
                "`{path}` must be one of {}, not {value}",
                list.join(", ")
            ));
        }
    }
    if let (Some(min), Some(n)) = (
        schema.get("minimum").and_then(Value::as_f64),
        value.as_f64(),
    ) {
        if n < min {
            return Err(format!("`{path}` must be at least {min}"));
        }
    }
    if let (Some(max), Some(n)) = (
        schema.get("maximum").and_then(Value::as_f64),
        value.as_f64(),
    ) {
        if n > max {
            return Err(format!("`{path}` must be at most {max}"));
        }
    }
    if let (Some(min), Some(s)) = (
        schema.get("minLength").and_then(Value::as_u64),
        value.as_str(),
    ) {
        if (s.chars().count() as u64) < min {
            return Err(format!("`{path}` must not be empty"));
        }
    }
    if let Value::Object(map) = value {
        let props = schema.get("properties").and_then(Value::as_object);
        if let Some(required) = schema.get("required").and_then(Value::as_array) {
            for r in required.iter().filter_map(Value::as_str) {
                if !map.contains_key(r) {
                    return Err(format!("`{path}` is missing the required property `{r}`"));
                }
            }
        }
        for (k, v) in map {
            match props.and_then(|p| p.get(k)) {
                Some(s) => check(s, v, &format!("{path}.{k}"))?,
                None => {
                    if schema.get("additionalProperties") == Some(&Value::Bool(false)) {
                        let known: Vec<&str> = props
                            .map(|p| p.keys().map(String::as_str).collect())
                            .unwrap_or_default();
                        return Err(format!(
                            "`{path}` has an unknown property `{k}` (known: {})",
                            known.join(", ")
                        ));
                    }
                }
            }
        }
    }
    if let (Value::Array(items), Some(s)) = (value, schema.get("items")) {
        for (i, item) in items.iter().enumerate() {
            check(s, item, &format!("{path}[{i}]"))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn checks_the_subset() {
        let s = json!({"type": "object", "properties": {"spec": {"type": "string"}, "status": {"enum": ["a", "b"]}}, "required": ["spec"], "additionalProperties": false});
        assert!(validate(&s, &json!({"spec": "x"})).is_ok());
        assert_eq!(
            validate(&s, &json!({})).unwrap_err(),
            "`arguments` is missing the required property `spec`"
        );
        assert!(validate(&s, &json!({"spec": 1}))
            .unwrap_err()
            .contains("must be of type \"string\""));
        assert!(validate(&s, &json!({"spec": "x", "bogus": 1}))
            .unwrap_err()
            .contains("unknown property `bogus`"));
        assert!(validate(&s, &json!({"spec": "x", "status": "c"}))
            .unwrap_err()
            .contains("must be one of"));
        assert!(validate(&s, &json!([1])).is_err());
    }
}
