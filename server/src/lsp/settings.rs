//! Server settings, from (lowest to highest priority) `specls.toml` at the workspace root, the
//! client's `initializationOptions`, and `workspace/configuration` / `didChangeConfiguration`.
//!
//! Editor settings are JSON objects, either the settings themselves or `{"specls": {...}}`.
//! Server-only keys (camelCase): `diagnosticsDelay` (ms of quiet before diagnostics are
//! recomputed after a burst of edits, default 30), `pollInterval` (ms between disk scans when the
//! client cannot watch files, default 2000, 0 = off), `pullDiagnostics` (answer pull requests
//! instead of pushing when the client supports them, default true), `configurationTimeout` (ms to
//! wait for `workspace/configuration`, default 2000). `checks` maps diagnostic codes to `off` or a
//! severity.

use std::time::Duration;

use serde_json::Value;
use specls_core::config::{Config, Level};
use specls_core::Severity;

#[derive(Clone, Debug, PartialEq)]
pub struct Settings {
    pub diagnostics_delay: Duration,
    pub poll_interval: Option<Duration>,
    pub pull_diagnostics: bool,
    pub configuration_timeout: Duration,
    /// The analysis configuration handed to the core.
    pub config: Config,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            diagnostics_delay: Duration::from_millis(30),
            poll_interval: Some(Duration::from_millis(2000)),
            pull_diagnostics: true,
            configuration_timeout: Duration::from_millis(2000),
            config: Config::default(),
        }
    }
}

/// The settings sources the server has seen; settings are recomputed from all of them whenever
/// one changes.
#[derive(Clone, Debug, Default)]
pub struct Layers {
    /// `specls.toml` text, if the workspace has one.
    pub toml: Option<String>,
    pub init_options: Option<Value>,
    pub client: Option<Value>,
}

/// `{"specls": {...}}` -> `{...}`; anything else as is.
pub fn unwrap_section(v: &Value) -> &Value {
    v.get("specls").unwrap_or(v)
}

/// Deep-merge `top` over `base` (objects merge key by key; anything else replaces).
pub fn merge(base: &mut Value, top: &Value) {
    match (base, top) {
        (Value::Object(b), Value::Object(t)) => {
            for (k, v) in t {
                merge(b.entry(k.clone()).or_insert(Value::Null), v);
            }
        }
        (b, t) if !t.is_null() => *b = t.clone(),
        _ => {}
    }
}

fn millis(v: &Value, key: &str, warnings: &mut Vec<String>) -> Option<u64> {
    let x = v.get(key)?;
    match x.as_u64() {
        Some(n) => Some(n.min(600_000)),
        None => {
            warnings.push(format!(
                "setting `{key}` must be a number of milliseconds, got {x}"
            ));
            None
        }
    }
}

impl Layers {
    /// The effective settings and any warnings about values that were not understood.
    pub fn settings(&self) -> (Settings, Vec<String>) {
        let mut warnings = Vec::new();
        let mut s = Settings::default();
        if let Some(toml) = &self.toml {
            apply_toml(&mut s.config, toml, &mut warnings);
        }
        let mut json = Value::Object(Default::default());
        for layer in [&self.init_options, &self.client].into_iter().flatten() {
            merge(&mut json, unwrap_section(layer));
        }
        if let Some(n) = millis(&json, "diagnosticsDelay", &mut warnings) {
            s.diagnostics_delay = Duration::from_millis(n);
        }
        if let Some(n) = millis(&json, "pollInterval", &mut warnings) {
            s.poll_interval = (n > 0).then(|| Duration::from_millis(n.max(100)));
        }
        if let Some(n) = millis(&json, "configurationTimeout", &mut warnings) {
            s.configuration_timeout = Duration::from_millis(n);
        }
        match json.get("pullDiagnostics") {
            None => {}
            Some(Value::Bool(b)) => s.pull_diagnostics = *b,
            Some(x) => warnings.push(format!(
                "setting `pullDiagnostics` must be true or false, got {x}"
            )),
        }
        apply_json(&mut s.config, &json, &mut warnings);
        (s, warnings)
    }
}

fn level(v: &str) -> Option<Level> {
    if v.trim().eq_ignore_ascii_case("off") || v.trim().eq_ignore_ascii_case("allow") {
        return Some(Level::Off);
    }
    Severity::parse(v).map(Level::Set)
}

/// Editor settings understood by the core configuration.
fn apply_json(config: &mut Config, json: &Value, warnings: &mut Vec<String>) {
    if let Some(checks) = json.get("checks") {
        match checks.as_object() {
            Some(map) => {
                for (code, v) in map {
                    match v.as_str().and_then(level) {
                        Some(l) => {
                            config.checks.insert(code.clone(), l);
                        }
                        None => warnings.push(format!(
                            "setting `checks.{code}` must be off, error, warning, information or hint, got {v}"
                        )),
                    }
                }
            }
            None => warnings.push(format!("setting `checks` must be an object, got {checks}")),
        }
    }
    for (key, field) in [
        ("specGlobs", &mut config.spec_globs),
        ("exclude", &mut config.exclude),
        ("testGlobs", &mut config.test_globs),
    ] {
        if let Some(v) = json.get(key) {
            match v.as_array() {
                Some(items) if items.iter().all(Value::is_string) => {
                    *field = items
                        .iter()
                        .filter_map(|i| i.as_str().map(str::to_string))
                        .collect();
                }
                _ => warnings.push(format!("setting `{key}` must be a list of globs, got {v}")),
            }
        }
    }
    if let Some(v) = json.get("testCommand") {
        match v.as_str() {
            Some(c) => config.test_command = Some(c.to_string()),
            None => warnings.push(format!("setting `testCommand` must be a string, got {v}")),
        }
    }
    if let Some(v) = json.get("runOnSave") {
        match v.as_bool() {
            Some(b) => config.run_on_save = b,
            None => warnings.push(format!(
                "setting `runOnSave` must be true or false, got {v}"
            )),
        }
    }
}

/// `specls.toml`: the `[checks]` table (`code = "off" | severity`) and top-level globs. Reading
/// the full file format is the core's job; this reads the keys the server acts on.
fn apply_toml(config: &mut Config, text: &str, warnings: &mut Vec<String>) {
    let mut table = String::new();
    for (n, raw) in text.lines().enumerate() {
        let line = raw.split_once(" #").map_or(raw, |(a, _)| a).trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            table = name.trim().to_string();
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            warnings.push(format!("specls.toml:{}: expected `key = value`", n + 1));
            continue;
        };
        let key = key.trim().trim_matches('"');
        let value = value.trim();
        let unquote = |v: &str| v.trim().trim_matches('"').trim_matches('\'').to_string();
        if table == "checks" {
            match level(&unquote(value)) {
                Some(l) => {
                    config.checks.insert(key.to_string(), l);
                }
                None => warnings.push(format!(
                    "specls.toml:{}: `{key}` must be off, error, warning, information or hint",
                    n + 1
                )),
            }
        } else if table.is_empty() {
            let list = || -> Vec<String> {
                value
                    .trim_start_matches('[')
                    .trim_end_matches(']')
                    .split(',')
                    .map(unquote)
                    .filter(|s| !s.is_empty())
                    .collect()
            };
            match key {
                "spec_globs" | "specs" => config.spec_globs = list(),
                "exclude" => config.exclude = list(),
                "test_globs" | "tests" => config.test_globs = list(),
                "test_command" => config.test_command = Some(unquote(value)),
                "run_on_save" => config.run_on_save = value == "true",
                _ => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn layers_merge_in_order() {
        let layers = Layers {
            toml: Some("[checks]\nplaceholder = \"off\"\nunknown-key = \"error\"\n".into()),
            init_options: Some(
                json!({"specls": {"diagnosticsDelay": 5, "checks": {"unknown-key": "hint"}}}),
            ),
            client: Some(json!({"pollInterval": 0, "checks": {"missing-section": "bogus"}})),
        };
        let (s, warnings) = layers.settings();
        assert_eq!(s.diagnostics_delay, Duration::from_millis(5));
        assert_eq!(s.poll_interval, None);
        assert_eq!(s.config.checks.get("placeholder"), Some(&Level::Off));
        assert_eq!(
            s.config.checks.get("unknown-key"),
            Some(&Level::Set(Severity::Hint))
        );
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(warnings[0].contains("checks.missing-section"));
    }
}
