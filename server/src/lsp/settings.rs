//! Server settings, from (lowest to highest priority) `specls.toml` at the workspace root, the
//! client's `initializationOptions`, and `workspace/configuration` / `didChangeConfiguration`.
//!
//! The analysis settings (spec globs, excludes, checks, tests, LLM) are the core's
//! [`Config`], read by `Config::merge_toml` / `Config::merge_json`. Editor settings are JSON
//! objects, either the settings themselves or `{"specls": {...}}`, and may also carry these
//! server-only keys (camelCase): `diagnosticsDelay` (ms of quiet before diagnostics are
//! recomputed after a burst of edits the checks cannot keep up with, default 30), `pollInterval` (ms between disk scans when the
//! client cannot watch files, default 2000, 0 = off), `pullDiagnostics` (answer pull requests
//! instead of pushing when the client supports them, default true), `configurationTimeout` (ms to
//! wait for `workspace/configuration`, default 2000).

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use specls_core::config::{Config, ConfigIssue};

/// Keys only the server reads (not handed to the core configuration).
const SERVER_KEYS: &[&str] = &[
    "diagnosticsDelay",
    "pollInterval",
    "pullDiagnostics",
    "configurationTimeout",
];

/// The shape of an editor setting's value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SettingKind {
    Bool,
    /// A number (milliseconds, or seconds for `tests.timeout`).
    Number,
    String,
    /// A list of globs.
    Globs,
    /// Diagnostic code or area -> level (`off`, `error`, `warning`, `information`, `hint`).
    Levels,
}

/// Every key the server reads from editor settings (camelCase; a dot is a nested object:
/// `llm.baseUrl` is `{"llm": {"baseUrl": ...}}`). Editors' setting schemas (the VS Code
/// extension's `package.json`) are checked against this list by a test, so they cannot diverge.
pub const EDITOR_SETTINGS: &[(&str, SettingKind)] = &[
    ("specs.include", SettingKind::Globs),
    ("specs.exclude", SettingKind::Globs),
    ("tests.include", SettingKind::Globs),
    ("tests.command", SettingKind::String),
    ("tests.results", SettingKind::Globs),
    ("tests.runner", SettingKind::String),
    ("tests.timeout", SettingKind::Number),
    ("measurements", SettingKind::Globs),
    ("runOnSave", SettingKind::Bool),
    ("checks", SettingKind::Levels),
    ("llm.provider", SettingKind::String),
    ("llm.baseUrl", SettingKind::String),
    ("llm.model", SettingKind::String),
    ("llm.apiKeyEnv", SettingKind::String),
    ("llm.command", SettingKind::String),
    ("diagnosticsDelay", SettingKind::Number),
    ("pollInterval", SettingKind::Number),
    ("pullDiagnostics", SettingKind::Bool),
    ("configurationTimeout", SettingKind::Number),
];

/// `specls.toml` as read from disk.
#[derive(Clone, Debug, PartialEq)]
pub struct TomlFile {
    /// Its document key.
    pub key: String,
    pub text: Arc<str>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Settings {
    pub diagnostics_delay: Duration,
    pub poll_interval: Option<Duration>,
    pub pull_diagnostics: bool,
    pub configuration_timeout: Duration,
    /// The analysis configuration handed to the core.
    pub config: Config,
    /// `specls.toml` and what is wrong in it (reported as its diagnostics).
    pub toml: Option<TomlFile>,
    pub toml_issues: Vec<ConfigIssue>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            // Only waited for in bursts the checks cannot keep up with (see `diagnostics`).
            diagnostics_delay: Duration::from_millis(30),
            poll_interval: Some(Duration::from_millis(2000)),
            pull_diagnostics: true,
            configuration_timeout: Duration::from_millis(2000),
            config: Config::default(),
            toml: None,
            toml_issues: Vec::new(),
        }
    }
}

impl Settings {
    /// True when files must be classified again (spec globs or excludes changed).
    pub fn classification_differs(&self, other: &Settings) -> bool {
        self.config.spec_globs != other.config.spec_globs
            || self.config.exclude != other.config.exclude
    }
}

/// The settings sources the server has seen; settings are recomputed from all of them whenever
/// one changes.
#[derive(Clone, Debug, Default)]
pub struct Layers {
    pub toml: Option<TomlFile>,
    pub init_options: Option<Value>,
    pub client: Option<Value>,
}

/// `{"specls": {...}}` -> `{...}`; anything else as is.
pub fn unwrap_section(v: &Value) -> &Value {
    v.get("specls").unwrap_or(v)
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
    /// The effective settings and warnings about editor settings that were not understood
    /// (problems in `specls.toml` are in `Settings::toml_issues`).
    pub fn settings(&self) -> (Settings, Vec<String>) {
        let mut warnings = Vec::new();
        let mut s = Settings::default();
        if let Some(toml) = &self.toml {
            s.toml_issues = s.config.merge_toml(&toml.text);
            s.toml = Some(toml.clone());
        }
        for layer in [&self.init_options, &self.client].into_iter().flatten() {
            let json = unwrap_section(layer);
            if !json.is_object() {
                if !json.is_null() {
                    warnings.push(format!("settings must be a JSON object, got {json}"));
                }
                continue;
            }
            if let Some(n) = millis(json, "diagnosticsDelay", &mut warnings) {
                s.diagnostics_delay = Duration::from_millis(n);
            }
            if let Some(n) = millis(json, "pollInterval", &mut warnings) {
                s.poll_interval = (n > 0).then(|| Duration::from_millis(n.max(100)));
            }
            if let Some(n) = millis(json, "configurationTimeout", &mut warnings) {
                s.configuration_timeout = Duration::from_millis(n);
            }
            match json.get("pullDiagnostics") {
                None => {}
                Some(Value::Bool(b)) => s.pull_diagnostics = *b,
                Some(x) => warnings.push(format!(
                    "setting `pullDiagnostics` must be true or false, got {x}"
                )),
            }
            let mut core = json.clone();
            if let Some(o) = core.as_object_mut() {
                for k in SERVER_KEYS {
                    o.remove(*k);
                }
            }
            warnings.extend(s.config.merge_json(&core).iter().map(|i| i.to_string()));
        }
        (s, warnings)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use specls_core::config::Level;
    use specls_core::Severity;

    /// `{"a": {"b": v}}` for `a.b`.
    fn nested(key: &str, v: serde_json::Value) -> serde_json::Value {
        key.rsplit('.').fold(v, |acc, part| json!({ part: acc }))
    }

    #[test]
    fn every_editor_setting_is_read_without_warnings_and_changes_something() {
        for (key, kind) in EDITOR_SETTINGS {
            let samples: Vec<serde_json::Value> = match (key, kind) {
                (&"llm.provider", _) => vec![json!("anthropic")],
                (&"llm.apiKeyEnv", _) => vec![json!("MY_KEY")],
                (&"tests.runner", _) => vec![json!("pytest")],
                (_, SettingKind::Bool) => vec![json!(true), json!(false)],
                (_, SettingKind::Number) => vec![json!(1234)],
                (_, SettingKind::String) => vec![json!("x {files}")],
                (_, SettingKind::Globs) => vec![json!(["contracts/**/*.yaml"])],
                (_, SettingKind::Levels) => vec![json!({"conflicts": "hint"})],
            };
            let mut changed = false;
            for v in samples {
                let layers = Layers {
                    client: Some(json!({ "specls": nested(key, v.clone()) })),
                    ..Layers::default()
                };
                let (s, warnings) = layers.settings();
                assert!(warnings.is_empty(), "{key} = {v}: {warnings:?}");
                changed |= s != Settings::default();
            }
            assert!(changed, "setting {key} has no effect");
        }
        // And an unknown key is reported (the check above can fail).
        let layers = Layers {
            client: Some(json!({"llm": {"baseURL": "x"}})),
            ..Layers::default()
        };
        assert_eq!(layers.settings().1.len(), 1);
    }

    /// The keys listed in an "unknown setting" warning for `probe` (None: no such list).
    fn known_keys(probe: serde_json::Value) -> Option<Vec<String>> {
        let (_, warnings) = Layers {
            client: Some(probe),
            ..Layers::default()
        }
        .settings();
        let w = warnings.iter().find_map(|w| w.split_once("(known: "))?.1;
        Some(
            w.trim_end_matches(')')
                .split(", ")
                .map(|k| k.trim_matches('`').to_string())
                .collect(),
        )
    }

    fn camel(snake: &str) -> String {
        let mut out = String::new();
        let mut up = false;
        for c in snake.chars() {
            if c == '_' {
                up = true;
            } else if up {
                out.push(c.to_ascii_uppercase());
                up = false;
            } else {
                out.push(c);
            }
        }
        out
    }

    /// The other direction: every key the core and the server accept is in EDITOR_SETTINGS
    /// (read from the "known" lists of the unknown-key warnings, so a new core setting fails
    /// this test until editors can set it).
    #[test]
    fn editor_settings_cover_every_accepted_key() {
        const PROBE: &str = "zzzzzzzzzzzzzzzz";
        let root = known_keys(json!({ PROBE: 1 })).expect("root keys listed");
        let mut accepted: Vec<String> = SERVER_KEYS.iter().map(|k| k.to_string()).collect();
        for key in root {
            match known_keys(json!({ key.clone(): { PROBE: 1 } })) {
                Some(sub) => {
                    accepted.extend(sub.iter().map(|s| format!("{}.{}", camel(&key), camel(s))))
                }
                None => accepted.push(camel(&key)),
            }
        }
        // Aliases editors need not offer: `[tests] run_on_save` is `run_on_save`.
        accepted.retain(|k| k != "tests.runOnSave");
        accepted.sort();
        let mut listed: Vec<String> = EDITOR_SETTINGS.iter().map(|(k, _)| k.to_string()).collect();
        listed.sort();
        assert_eq!(accepted, listed);
    }

    #[test]
    fn layers_merge_in_order() {
        let layers = Layers {
            toml: Some(TomlFile {
                key: "specls.toml".into(),
                text: "[checks]\nplaceholder = \"off\"\nunknown-key = \"error\"\nbogus = 1\n"
                    .into(),
            }),
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
        // The editor's bad level is reported, and the toml's unknown key is an issue of the file.
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(warnings[0].contains("missing-section"), "{warnings:?}");
        assert_eq!(s.toml_issues.len(), 1, "{:?}", s.toml_issues);
    }
}
