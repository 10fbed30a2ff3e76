//! Settings: `specls.toml` at the workspace root, overridden by the editor's settings.
//! This module only interprets text and values; reading files is the front ends' job.
//!
//! ```toml
//! run_on_save = false            # also accepted as [tests] run_on_save
//! measurements = ["bench/**/*.json"]  # measured values for constraints (k6, criterion...)
//!
//! [specs]
//! include = ["contracts/**/*.yaml", "docs/behaviour/*.md"]   # more spec files
//! exclude = ["specs/archive/", "**/*.draft.md"]              # never read
//!
//! [tests]
//! include = ["tests/**/*.py"]
//! command = "pytest {files} -k {filter}"
//! results = ["**/junit*.xml"]    # test reports to show besides .specls/results/
//!
//! [checks]
//! duplicate-scenario-steps = "off"     # one code: off | error | warning | info | hint
//! conflicts = "warning"                # an area: every code of that area
//!
//! [llm]
//! provider = "openai"                  # openai | anthropic | command
//! base_url = "http://localhost:11434/v1"
//! model = "qwen2.5-coder"
//! api_key_env = "OPENAI_API_KEY"       # the variable's name; never the key itself
//! command = "claude -p {prompt_file}"  # for provider = "command"
//! ```
//!
//! Parsing never fails: unknown keys and bad values become [`ConfigIssue`]s with exact ranges
//! (and line/column), and everything that could be understood is kept.

use crate::suggest::edit_distance;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use serde::{Deserialize, Serialize};

use crate::diag::{self, Diagnostic, Severity};
use crate::model::DocKind;
use crate::span::{LineIndex, Span};

/// The name of the configuration file at a workspace root.
pub const CONFIG_FILE: &str = "specls.toml";

/// LLM providers `[llm] provider` accepts.
pub const LLM_PROVIDERS: &[&str] = &["openai", "anthropic", "command"];

/// A check's configured level: a severity, or off.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Level {
    Off,
    Set(Severity),
}

impl Level {
    /// `off`, `error`, `warning`/`warn`, `information`/`info`, `hint`.
    pub fn parse(s: &str) -> Option<Level> {
        match s.trim().to_ascii_lowercase().as_str() {
            "off" | "none" | "allow" => Some(Level::Off),
            other => Severity::parse(other).map(Level::Set),
        }
    }
}

/// LLM backend settings (used by compile and edge cases). The key is never stored: only the
/// name of the environment variable that holds it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LlmConfig {
    /// `openai`, `anthropic` or `command`.
    pub provider: Option<String>,
    pub base_url: Option<String>,
    pub model: Option<String>,
    pub api_key_env: Option<String>,
    /// For `command`: the agent CLI template (`claude -p {prompt_file}`).
    pub command: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Config {
    /// Extra globs of spec files (beyond `*.spec.md`, `*.spec.yaml` and spec folders).
    pub spec_globs: Vec<String>,
    /// Globs of files never read.
    pub exclude: Vec<String>,
    /// Globs of test files (for scenario links).
    pub test_globs: Vec<String>,
    /// Test command template (`pytest {files} -k {filter}`), overriding presets.
    pub test_command: Option<String>,
    /// `[tests] runner`: the preset to use (`pytest`, `cargo`, `nextest`, `vitest`, `jest`,
    /// `go`) instead of detecting it; also tells how to read a configured command's report.
    #[serde(default)]
    pub test_runner: Option<String>,
    /// `[tests] timeout`: seconds a test run may take before it is ended (None: the default,
    /// [`crate::testlinks::plan::DEFAULT_TIMEOUT_SECS`]).
    #[serde(default)]
    pub test_timeout_secs: Option<u64>,
    pub run_on_save: bool,
    /// Globs of test report files to show results from (`[tests] results`, e.g. CI artifacts
    /// `**/junit*.xml`), besides `.specls/results/`.
    #[serde(default)]
    pub result_globs: Vec<String>,
    /// Globs of measurement files for constraints (`measurements`: k6 summaries, criterion
    /// `estimates.json`, hyperfine JSON, plain JSON maps), besides `.specls/measurements/`.
    #[serde(default)]
    pub measurement_globs: Vec<String>,
    /// Per-code level overrides (area names are expanded into their codes when read).
    pub checks: BTreeMap<String, Level>,
    pub llm: LlmConfig,
    /// Compiled globs, rebuilt whenever the glob lists above change (an internal cache, public
    /// only so that `Config { .., ..Default::default() }` works outside this module).
    #[serde(skip)]
    #[doc(hidden)]
    pub matchers: GlobCache,
}

/// Something wrong in the settings: an unknown key, a value of the wrong type, a bad glob.
/// The setting is ignored (the default or the previous value stays); nothing else is lost.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ConfigIssue {
    /// `config-invalid` or `config-unknown-key` (see [`crate::diag::CODES`]).
    pub code: &'static str,
    pub severity: Severity,
    pub message: String,
    /// Dotted path of the offending key (`checks.conflicts`), empty for syntax errors.
    pub key: String,
    /// Byte range in the TOML text; None for settings that came as JSON.
    pub span: Option<Span>,
    /// 1-based line and column (in characters) of `span.start`; None without a span.
    pub line: Option<u32>,
    pub column: Option<u32>,
}

impl ConfigIssue {
    /// As a diagnostic of the configuration file (for `specls check` and the editor).
    pub fn to_diagnostic(&self) -> Diagnostic {
        Diagnostic::new(
            self.code,
            self.span.unwrap_or_default(),
            self.message.clone(),
        )
        .with_severity(self.severity)
    }
}

impl std::fmt::Display for ConfigIssue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let (Some(l), Some(c)) = (self.line, self.column) {
            write!(f, "{l}:{c}: ")?;
        }
        write!(f, "{}: {}", self.severity.as_str(), self.message)
    }
}

impl Config {
    /// Parse `specls.toml` text over the defaults.
    pub fn from_toml(text: &str) -> (Config, Vec<ConfigIssue>) {
        let mut config = Config::default();
        let issues = config.merge_toml(text);
        (config, issues)
    }

    /// Apply `specls.toml` text over this configuration: keys present replace the values here.
    /// A syntax error leaves the configuration unchanged.
    pub fn merge_toml(&mut self, text: &str) -> Vec<ConfigIssue> {
        let mut sink = Sink::new(Some(text));
        match toml_edit::ImDocument::parse(text) {
            Ok(doc) => {
                let root = from_toml_item(doc.as_item(), 0);
                self.merge_node(&root, &mut sink, false);
            }
            Err(e) => {
                let span = e
                    .span()
                    .map(|r| Span::new(r.start, r.end))
                    .unwrap_or_default();
                let msg = e
                    .message()
                    .lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .collect::<Vec<_>>()
                    .join(", ");
                sink.error(
                    "",
                    Some(span),
                    format!("specls.toml is not valid TOML: {msg}; the defaults are used"),
                );
            }
        }
        sink.issues
    }

    /// Apply editor settings (`initializationOptions`, `workspace/configuration`): the same keys
    /// as `specls.toml`, in snake_case or camelCase, optionally wrapped in `{"specls": {...}}`
    /// (then only that object is read).
    /// Keys present replace the values here; `null` values are ignored.
    pub fn merge_json(&mut self, value: &serde_json::Value) -> Vec<ConfigIssue> {
        let mut sink = Sink::new(None);
        let mut value = value;
        if let Some(inner) = value
            .as_object()
            .and_then(|o| o.get("specls"))
            .filter(|v| v.is_object())
        {
            value = inner;
        }
        if value.is_null() {
            return Vec::new();
        }
        let root = from_json(value, 0);
        self.merge_node(&root, &mut sink, true);
        sink.issues
    }

    /// The diagnostic with its configured severity, or None when its check is switched off.
    pub fn apply(&self, mut d: Diagnostic) -> Option<Diagnostic> {
        match self.checks.get(d.code) {
            Some(Level::Off) => None,
            Some(Level::Set(s)) => {
                d.severity = *s;
                Some(d)
            }
            None => Some(d),
        }
    }

    /// The configured level of a code (its default severity when not configured).
    pub fn level(&self, code: &str) -> Level {
        self.checks
            .get(code)
            .copied()
            .unwrap_or_else(|| Level::Set(diag::default_severity(code)))
    }

    /// True when `path` (workspace-relative, `/` separators) matches an `exclude` glob.
    pub fn is_excluded(&self, path: &str) -> bool {
        if self.exclude.is_empty() {
            return false;
        }
        self.compiled().exclude.is_match(normalise_path(path))
    }

    /// True when `path` matches a `[tests] include` glob.
    pub fn is_test_file(&self, path: &str) -> bool {
        if self.test_globs.is_empty() {
            return false;
        }
        self.compiled().tests.is_match(normalise_path(path))
    }

    /// What a file is, with this configuration: excluded files are nothing; files that
    /// [`crate::kind::detect`] recognises keep its answer; files matching a `[specs] include`
    /// glob are specs by extension (YAML still needs spec keys unless the glob is the file's
    /// literal path).
    pub fn classify(&self, path: &str, text: &str) -> Option<DocKind> {
        if self.is_excluded(path) {
            return None;
        }
        if let Some(kind) = crate::kind::detect(path, text) {
            return Some(kind);
        }
        if self.spec_globs.is_empty() {
            return None;
        }
        let m = self.compiled();
        let norm = normalise_path(path);
        let hits = m.include.matches(norm);
        if hits.is_empty() {
            return None;
        }
        let explicit = hits.iter().any(|&i| m.include_literal[i]);
        crate::kind::detect_included(path, text, explicit)
    }

    fn compiled(&self) -> Arc<Matchers> {
        let key = (
            self.spec_globs.clone(),
            self.exclude.clone(),
            self.test_globs.clone(),
        );
        let mut guard = self
            .matchers
            .0
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        if let Some((k, m)) = guard.as_ref() {
            if *k == key {
                return m.clone();
            }
        }
        let m = Arc::new(Matchers::new(&key.0, &key.1, &key.2));
        *guard = Some((key, m.clone()));
        m
    }

    fn merge_node(&mut self, root: &Node, sink: &mut Sink, json: bool) {
        let Some(entries) = root.as_table(sink, "", "the settings") else {
            return;
        };
        for (key, key_span, node) in entries {
            let name = normalise_key(key, json);
            match name.as_str() {
                "specs" => self.merge_specs(node, sink, json),
                "tests" => self.merge_tests(node, sink, json),
                "checks" => self.merge_checks(node, sink),
                "llm" => self.merge_llm(node, sink, json),
                "run_on_save" => {
                    if let Some(b) = node.as_bool(sink, "run_on_save") {
                        self.run_on_save = b;
                    }
                }
                "measurements" => {
                    if let Some(globs) = node.as_globs(sink, "measurements") {
                        self.measurement_globs = globs;
                    }
                }
                _ => sink.unknown(
                    key,
                    *key_span,
                    &[
                        "specs",
                        "tests",
                        "checks",
                        "llm",
                        "run_on_save",
                        "measurements",
                    ],
                ),
            }
        }
    }

    fn merge_specs(&mut self, node: &Node, sink: &mut Sink, json: bool) {
        let Some(entries) = node.as_table(sink, "specs", "`specs`") else {
            return;
        };
        for (key, key_span, value) in entries {
            let path = format!("specs.{key}");
            match normalise_key(key, json).as_str() {
                "include" => {
                    if let Some(globs) = value.as_globs(sink, &path) {
                        self.spec_globs = globs;
                    }
                }
                "exclude" => {
                    if let Some(globs) = value.as_globs(sink, &path) {
                        self.exclude = globs;
                    }
                }
                _ => sink.unknown(&path, *key_span, &["include", "exclude"]),
            }
        }
    }

    fn merge_tests(&mut self, node: &Node, sink: &mut Sink, json: bool) {
        let Some(entries) = node.as_table(sink, "tests", "`tests`") else {
            return;
        };
        for (key, key_span, value) in entries {
            let path = format!("tests.{key}");
            match normalise_key(key, json).as_str() {
                "include" => {
                    if let Some(globs) = value.as_globs(sink, &path) {
                        self.test_globs = globs;
                    }
                }
                "command" => {
                    if let Some(s) = value.as_str(sink, &path) {
                        self.test_command = non_empty(s);
                    }
                }
                "run_on_save" => {
                    if let Some(b) = value.as_bool(sink, &path) {
                        self.run_on_save = b;
                    }
                }
                "runner" => {
                    if let Some(s) = value.as_str(sink, &path) {
                        if crate::testlinks::plan::Runner::parse(s).is_some() {
                            self.test_runner = non_empty(s);
                        } else {
                            sink.error(
                                &path,
                                value.span,
                                format!(
                                    "`{path}` must be one of pytest, cargo, nextest, vitest, jest, go; found `{s}`"
                                ),
                            );
                        }
                    }
                }
                "timeout" => {
                    if let Some(secs) = value.as_seconds(sink, &path) {
                        self.test_timeout_secs = Some(secs);
                    }
                }
                "results" => {
                    if let Some(globs) = value.as_globs(sink, &path) {
                        self.result_globs = globs;
                    }
                }
                _ => sink.unknown(
                    &path,
                    *key_span,
                    &[
                        "include",
                        "command",
                        "run_on_save",
                        "runner",
                        "timeout",
                        "results",
                    ],
                ),
            }
        }
    }

    fn merge_checks(&mut self, node: &Node, sink: &mut Sink) {
        let Some(entries) = node.as_table(sink, "checks", "`checks`") else {
            return;
        };
        // Areas first, then single codes, so that a code's own setting wins over its area's
        // whatever the order in the file.
        let mut codes = Vec::new();
        for (key, key_span, value) in entries {
            let path = format!("checks.{key}");
            let is_area = diag::CODES.iter().any(|c| c.area == key.as_str());
            if is_area {
                if let Some(level) = value.as_level(sink, &path) {
                    for c in diag::CODES.iter().filter(|c| c.area == key.as_str()) {
                        self.checks
                            .insert(c.code.to_string(), resolve(level, c.code));
                    }
                }
            } else if diag::code_info(key).is_some() {
                codes.push((key, value, path));
            } else {
                let mut known: Vec<&str> = diag::CODES.iter().map(|c| c.code).collect();
                known.extend(diag::CODES.iter().map(|c| c.area));
                sink.unknown_check(&path, key, *key_span, &known);
            }
        }
        for (key, value, path) in codes {
            if let Some(level) = value.as_level(sink, &path) {
                self.checks.insert(key.clone(), resolve(level, key));
            }
        }
    }

    fn merge_llm(&mut self, node: &Node, sink: &mut Sink, json: bool) {
        let Some(entries) = node.as_table(sink, "llm", "`llm`") else {
            return;
        };
        for (key, key_span, value) in entries {
            let path = format!("llm.{key}");
            let name = normalise_key(key, json);
            let slot = match name.as_str() {
                "provider" => &mut self.llm.provider,
                "base_url" => &mut self.llm.base_url,
                "model" => &mut self.llm.model,
                "api_key_env" => &mut self.llm.api_key_env,
                "command" => &mut self.llm.command,
                "api_key" => {
                    // Never echo the value: it is a secret.
                    sink.error(
                        &path,
                        *key_span,
                        "`llm.api_key` is not read: keep the key in an environment variable \
                         and name that variable with `llm.api_key_env`"
                            .to_string(),
                    );
                    continue;
                }
                _ => {
                    sink.unknown(
                        &path,
                        *key_span,
                        &["provider", "base_url", "model", "api_key_env", "command"],
                    );
                    continue;
                }
            };
            let Some(s) = value.as_str(sink, &path) else {
                continue;
            };
            if name == "provider" && !LLM_PROVIDERS.contains(&s.trim()) {
                sink.error(
                    &path,
                    value.span,
                    format!(
                        "unknown LLM provider `{s}`; expected one of {}",
                        quote_list(LLM_PROVIDERS)
                    ),
                );
                continue;
            }
            if name == "api_key_env" && !is_env_var_name(s.trim()) {
                sink.error(
                    &path,
                    value.span,
                    "`llm.api_key_env` must be the name of an environment variable \
                     (letters, digits and `_`), not the key itself"
                        .to_string(),
                );
                continue;
            }
            *slot = non_empty(s.trim());
        }
    }
}

fn resolve(setting: LevelSetting, code: &str) -> Level {
    match setting {
        LevelSetting::Level(l) => l,
        LevelSetting::Default => Level::Set(diag::default_severity(code)),
    }
}

fn non_empty(s: &str) -> Option<String> {
    if s.is_empty() {
        None
    } else {
        Some(s.to_string())
    }
}

fn is_env_var_name(s: &str) -> bool {
    !s.is_empty()
        && !s.starts_with(|c: char| c.is_ascii_digit())
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn quote_list(items: &[&str]) -> String {
    items
        .iter()
        .map(|s| format!("`{s}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `runOnSave` / `run-on-save` -> `run_on_save` for settings keys (never for check codes).
fn normalise_key(key: &str, json: bool) -> String {
    let mut out = String::with_capacity(key.len() + 4);
    for ch in key.chars() {
        if json && ch.is_ascii_uppercase() {
            out.push('_');
            out.push(ch.to_ascii_lowercase());
        } else if ch == '-' {
            out.push('_');
        } else {
            out.push(ch);
        }
    }
    out
}

fn normalise_path(path: &str) -> &str {
    let p = path.trim_start_matches("./");
    p.trim_start_matches('/')
}

fn suggest<'a>(key: &str, known: &[&'a str]) -> Option<&'a str> {
    if key.chars().count() > 64 {
        return None;
    }
    let max = (key.chars().count() / 3).max(1);
    known
        .iter()
        .map(|k| (edit_distance(key, k), *k))
        .filter(|(d, _)| *d <= max)
        .min()
        .map(|(_, k)| k)
}

// --- a small value tree shared by the TOML and JSON readers ---

#[derive(Debug)]
enum Value {
    Str(String),
    Bool(bool),
    Int(i64),
    Float,
    Other(&'static str),
    List(Vec<Node>),
    /// Key, span of the key, value.
    Table(Vec<(String, Option<Span>, Node)>),
}

#[derive(Debug)]
struct Node {
    value: Value,
    span: Option<Span>,
}

/// Deeper than any valid configuration; bounds recursion on hostile input.
const MAX_DEPTH: usize = 32;

fn range_span(r: Option<std::ops::Range<usize>>) -> Option<Span> {
    r.map(|r| Span::new(r.start, r.end))
}

fn from_toml_item(item: &toml_edit::Item, depth: usize) -> Node {
    match item {
        toml_edit::Item::None => Node {
            value: Value::Other("nothing"),
            span: None,
        },
        toml_edit::Item::Value(v) => from_toml_value(v, depth),
        toml_edit::Item::Table(t) => Node {
            value: toml_table(t.iter().map(|(k, _)| k), |k| t.get_key_value(k), depth),
            span: range_span(t.span()),
        },
        toml_edit::Item::ArrayOfTables(a) => Node {
            value: if depth >= MAX_DEPTH {
                Value::Other("a too deeply nested value")
            } else {
                Value::List(
                    a.iter()
                        .map(|t| Node {
                            value: toml_table(
                                t.iter().map(|(k, _)| k),
                                |k| t.get_key_value(k),
                                depth + 1,
                            ),
                            span: range_span(t.span()),
                        })
                        .collect(),
                )
            },
            span: range_span(a.span()),
        },
    }
}

fn toml_table<'a>(
    keys: impl Iterator<Item = &'a str>,
    get: impl Fn(&str) -> Option<(&'a toml_edit::Key, &'a toml_edit::Item)>,
    depth: usize,
) -> Value {
    if depth >= MAX_DEPTH {
        return Value::Other("a too deeply nested value");
    }
    let mut out = Vec::new();
    for k in keys {
        if let Some((key, item)) = get(k) {
            out.push((
                key.get().to_string(),
                range_span(key.span()),
                from_toml_item(item, depth + 1),
            ));
        }
    }
    Value::Table(out)
}

fn from_toml_value(v: &toml_edit::Value, depth: usize) -> Node {
    let span = range_span(v.span());
    let value = match v {
        toml_edit::Value::String(s) => Value::Str(s.value().clone()),
        toml_edit::Value::Integer(i) => Value::Int(*i.value()),
        toml_edit::Value::Float(_) => Value::Float,
        toml_edit::Value::Boolean(b) => Value::Bool(*b.value()),
        toml_edit::Value::Datetime(_) => Value::Other("a date"),
        toml_edit::Value::Array(a) => {
            if depth >= MAX_DEPTH {
                Value::Other("a too deeply nested value")
            } else {
                Value::List(a.iter().map(|v| from_toml_value(v, depth + 1)).collect())
            }
        }
        toml_edit::Value::InlineTable(t) => {
            toml_table(t.iter().map(|(k, _)| k), |k| t.get_key_value(k), depth)
        }
    };
    Node { value, span }
}

fn from_json(v: &serde_json::Value, depth: usize) -> Node {
    let value = match v {
        serde_json::Value::Null => Value::Other("null"),
        serde_json::Value::Bool(b) => Value::Bool(*b),
        serde_json::Value::Number(n) if n.is_f64() => Value::Float,
        serde_json::Value::Number(n) => Value::Int(n.as_i64().unwrap_or(i64::MAX)),
        serde_json::Value::String(s) => Value::Str(s.clone()),
        _ if depth >= MAX_DEPTH => Value::Other("a too deeply nested value"),
        serde_json::Value::Array(a) => {
            Value::List(a.iter().map(|v| from_json(v, depth + 1)).collect())
        }
        serde_json::Value::Object(o) => Value::Table(
            o.iter()
                // null means "not set" in editor settings.
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), None, from_json(v, depth + 1)))
                .collect(),
        ),
    };
    Node { value, span: None }
}

impl Value {
    fn describe(&self) -> &'static str {
        match self {
            Value::Str(_) => "a string",
            Value::Bool(_) => "a boolean",
            Value::Int(_) => "an integer",
            Value::Float => "a number",
            Value::Other(what) => what,
            Value::List(_) => "a list",
            Value::Table(_) => "a table",
        }
    }
}

impl Node {
    fn wrong(&self, sink: &mut Sink, key: &str, expected: &str) {
        sink.error(
            key,
            self.span,
            format!(
                "`{key}` must be {expected}, found {}",
                self.value.describe()
            ),
        );
    }

    fn as_table(
        &self,
        sink: &mut Sink,
        key: &str,
        what: &str,
    ) -> Option<&Vec<(String, Option<Span>, Node)>> {
        match &self.value {
            Value::Table(t) => Some(t),
            other => {
                sink.error(
                    key,
                    self.span,
                    format!("{what} must be a table, found {}", other.describe()),
                );
                None
            }
        }
    }

    fn as_bool(&self, sink: &mut Sink, key: &str) -> Option<bool> {
        match &self.value {
            Value::Bool(b) => Some(*b),
            _ => {
                self.wrong(sink, key, "`true` or `false`");
                None
            }
        }
    }

    /// A duration in whole seconds: an integer, or a string `90`, `90s`, `10m`, `1h`.
    fn as_seconds(&self, sink: &mut Sink, key: &str) -> Option<u64> {
        let secs = match &self.value {
            Value::Int(n) => u64::try_from(*n).ok(),
            Value::Str(s) => {
                let t = s.trim();
                let (num, mult) = match t.char_indices().last() {
                    Some((i, 's')) => (&t[..i], 1),
                    Some((i, 'm')) => (&t[..i], 60),
                    Some((i, 'h')) => (&t[..i], 3600),
                    _ => (t, 1),
                };
                num.trim()
                    .parse::<u64>()
                    .ok()
                    .and_then(|n| n.checked_mul(mult))
            }
            _ => None,
        };
        match secs {
            Some(n) if n > 0 => Some(n),
            _ => {
                self.wrong(
                    sink,
                    key,
                    "a positive number of seconds (or a string such as \"90s\", \"10m\", \"1h\")",
                );
                None
            }
        }
    }

    fn as_str<'a>(&'a self, sink: &mut Sink, key: &str) -> Option<&'a str> {
        match &self.value {
            Value::Str(s) => Some(s),
            _ => {
                self.wrong(sink, key, "a string");
                None
            }
        }
    }

    /// A list of glob strings (a single string counts as a list of one). Invalid globs are
    /// reported and left out.
    fn as_globs(&self, sink: &mut Sink, key: &str) -> Option<Vec<String>> {
        let items: Vec<&Node> = match &self.value {
            Value::Str(_) => vec![self],
            Value::List(l) => l.iter().collect(),
            _ => {
                self.wrong(sink, key, "a list of glob strings");
                return None;
            }
        };
        let mut out = Vec::new();
        for item in items {
            let Value::Str(s) = &item.value else {
                item.wrong(sink, key, "a list of glob strings");
                continue;
            };
            let trimmed = s.trim();
            if trimmed.is_empty() {
                sink.error(key, item.span, format!("`{key}` holds an empty glob"));
                continue;
            }
            match compile_glob(trimmed) {
                Ok(_) => out.push(trimmed.to_string()),
                Err(e) => sink.error(key, item.span, format!("invalid glob `{trimmed}`: {e}")),
            }
        }
        Some(out)
    }

    /// A check level: `"off"`, a severity name, or a boolean (`false` = off, `true` = the
    /// code's default severity).
    fn as_level(&self, sink: &mut Sink, key: &str) -> Option<LevelSetting> {
        match &self.value {
            Value::Str(s) => match Level::parse(s) {
                Some(l) => Some(LevelSetting::Level(l)),
                None => {
                    sink.error(
                        key,
                        self.span,
                        format!(
                            "unknown level `{s}` for `{key}`; expected one of `off`, `error`, \
                             `warning`, `info`, `hint`"
                        ),
                    );
                    None
                }
            },
            Value::Bool(false) => Some(LevelSetting::Level(Level::Off)),
            Value::Bool(true) => Some(LevelSetting::Default),
            _ => {
                self.wrong(
                    sink,
                    key,
                    "one of `\"off\"`, `\"error\"`, `\"warning\"`, `\"info\"`, `\"hint\"`",
                );
                None
            }
        }
    }
}

/// What a `[checks]` entry asks for.
#[derive(Clone, Copy, Debug)]
enum LevelSetting {
    Level(Level),
    /// `true`: the code's default severity.
    Default,
}

/// Collects issues, with line/column when the TOML text is known.
struct Sink<'t> {
    index: Option<(LineIndex, &'t str)>,
    issues: Vec<ConfigIssue>,
}

impl<'t> Sink<'t> {
    fn new(text: Option<&'t str>) -> Sink<'t> {
        Sink {
            index: text.map(|t| (LineIndex::new(t), t)),
            issues: Vec::new(),
        }
    }

    fn push(&mut self, code: &'static str, key: &str, span: Option<Span>, message: String) {
        let (line, column) = match (&self.index, span) {
            (Some((index, text)), Some(span)) => {
                let lc = index.line_col(span.start);
                let line_start = index.line_start(lc.line as usize).unwrap_or(0);
                let col = text
                    .get(line_start..span.start.min(text.len()))
                    .map(|s| s.chars().count())
                    .unwrap_or(lc.col as usize);
                (Some(lc.line + 1), Some(col as u32 + 1))
            }
            _ => (None, None),
        };
        let span = if self.index.is_some() { span } else { None };
        self.issues.push(ConfigIssue {
            code,
            severity: diag::default_severity(code),
            message,
            key: key.to_string(),
            span,
            line,
            column,
        });
    }

    fn error(&mut self, key: &str, span: Option<Span>, message: String) {
        self.push("config-invalid", key, span, message);
    }

    fn unknown(&mut self, key: &str, span: Option<Span>, known: &[&str]) {
        let last = key.rsplit('.').next().unwrap_or(key);
        let mut message = format!("unknown setting `{key}`; it is ignored");
        if let Some(s) = suggest(&normalise_key(last, true), known) {
            message.push_str(&format!(" (did you mean `{s}`?)"));
        } else {
            message.push_str(&format!(" (known: {})", quote_list(known)));
        }
        self.push("config-unknown-key", key, span, message);
    }

    fn unknown_check(&mut self, key: &str, code: &str, span: Option<Span>, known: &[&str]) {
        let mut message = format!("unknown check `{code}`; it is ignored");
        if let Some(s) = suggest(code, known) {
            message.push_str(&format!(" (did you mean `{s}`?)"));
        } else {
            message.push_str(" (see docs/diagnostics.md for every code and area)");
        }
        self.push("config-unknown-key", key, span, message);
    }
}

// --- globs ---

/// Compile one configured glob: `/`-less globs match a file name anywhere (`*.spec.txt`);
/// others match the workspace-relative path (`specs/**/*.yaml`); a trailing `/` or a glob that
/// names a folder also matches everything under it.
/// Globs matched the way every glob of the settings is (workspace-relative paths; a pattern
/// without `/` matches at any depth); invalid patterns are skipped (reported when read).
#[derive(Clone, Debug)]
pub struct Globs {
    set: GlobSet,
    empty: bool,
}

impl Globs {
    pub fn new(patterns: &[String]) -> Globs {
        Globs {
            set: build_set(patterns).0,
            empty: patterns.is_empty(),
        }
    }
    pub fn is_empty(&self) -> bool {
        self.empty
    }
    /// Does the workspace-relative `path` match (`./` and a leading `/` ignored)?
    pub fn is_match(&self, path: &str) -> bool {
        !self.empty && self.set.is_match(normalise_path(path))
    }
}

fn compile_glob(pattern: &str) -> Result<Vec<globset::Glob>, globset::Error> {
    let p = normalise_path(pattern.trim());
    let p = p.strip_suffix('/').unwrap_or(p);
    let base = if p.contains('/') {
        p.to_string()
    } else {
        format!("**/{p}")
    };
    let build = |s: &str| {
        GlobBuilder::new(s)
            .literal_separator(true)
            .backslash_escape(true)
            .build()
    };
    Ok(vec![build(&base)?, build(&format!("{base}/**"))?])
}

fn is_literal(pattern: &str) -> bool {
    !pattern.contains(['*', '?', '[', ']', '{', '}'])
}

#[derive(Debug)]
struct Matchers {
    include: GlobSet,
    /// Per glob of `include` (in set order): true when its pattern has no wildcard.
    include_literal: Vec<bool>,
    exclude: GlobSet,
    tests: GlobSet,
}

impl Matchers {
    fn new(include: &[String], exclude: &[String], tests: &[String]) -> Matchers {
        let (include, include_literal) = build_set(include);
        Matchers {
            include,
            include_literal,
            exclude: build_set(exclude).0,
            tests: build_set(tests).0,
        }
    }
}

fn build_set(patterns: &[String]) -> (GlobSet, Vec<bool>) {
    let mut builder = GlobSetBuilder::new();
    let mut literal = Vec::new();
    for p in patterns {
        // Invalid globs were reported when read; settings set in code are skipped the same way.
        if let Ok(globs) = compile_glob(p) {
            for g in globs {
                builder.add(g);
                literal.push(is_literal(p));
            }
        }
    }
    let set = builder.build().unwrap_or_else(|_| GlobSet::empty());
    (set, literal)
}

/// Cache of the compiled globs; compares equal always so `Config` equality is about settings.
#[derive(Default)]
pub struct GlobCache(Mutex<Option<CacheEntry>>);

type CacheEntry = ((Vec<String>, Vec<String>, Vec<String>), Arc<Matchers>);

impl Clone for GlobCache {
    fn clone(&self) -> Self {
        let inner = self
            .0
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
            .clone();
        GlobCache(Mutex::new(inner))
    }
}

impl std::fmt::Debug for GlobCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("GlobCache")
    }
}

impl PartialEq for GlobCache {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn issues_text(text: &str, issues: &[ConfigIssue]) -> String {
        issues
            .iter()
            .map(|i| {
                let at = i.span.map(|s| s.slice(text)).unwrap_or("");
                format!("{} [{}] {} `{at}`", i, i.code, i.key)
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn full_file_is_read() {
        let text = r#"
run_on_save = true

[specs]
include = ["contracts/**/*.yaml", "docs/*.md"]
exclude = ["specs/archive/"]

[tests]
include = ["tests/**/*.py"]
command = "pytest {files} -k {filter}"

[checks]
conflicts = "warning"
conflicting-examples = "off"
duplicate-scenario-steps = "hint"
placeholder = false

[llm]
provider = "openai"
base_url = "http://localhost:11434/v1"
model = "qwen2.5-coder"
api_key_env = "OPENAI_API_KEY"
"#;
        let (c, issues) = Config::from_toml(text);
        assert_eq!(issues, vec![]);
        assert!(c.run_on_save);
        assert_eq!(c.spec_globs, ["contracts/**/*.yaml", "docs/*.md"]);
        assert_eq!(c.exclude, ["specs/archive/"]);
        assert_eq!(c.test_globs, ["tests/**/*.py"]);
        assert_eq!(
            c.test_command.as_deref(),
            Some("pytest {files} -k {filter}")
        );
        // The code's own setting wins over its area's, whatever the order.
        assert_eq!(
            c.level("conflicting-scenarios"),
            Level::Set(Severity::Warning)
        );
        assert_eq!(c.level("conflicting-examples"), Level::Off);
        assert_eq!(
            c.level("duplicate-scenario-steps"),
            Level::Set(Severity::Hint)
        );
        assert_eq!(c.level("placeholder"), Level::Off);
        assert_eq!(c.level("yaml-syntax"), Level::Set(Severity::Error));
        assert_eq!(c.llm.provider.as_deref(), Some("openai"));
        assert_eq!(c.llm.base_url.as_deref(), Some("http://localhost:11434/v1"));
        assert_eq!(c.llm.model.as_deref(), Some("qwen2.5-coder"));
        assert_eq!(c.llm.api_key_env.as_deref(), Some("OPENAI_API_KEY"));
    }

    #[test]
    fn area_after_code_does_not_override_code() {
        let (c, issues) =
            Config::from_toml("[checks]\nconflicting-examples = \"off\"\nconflicts = \"hint\"\n");
        assert!(issues.is_empty());
        assert_eq!(c.level("conflicting-examples"), Level::Off);
        assert_eq!(c.level("conflicting-scenarios"), Level::Set(Severity::Hint));
    }

    #[test]
    fn apply_changes_severity_or_drops() {
        let (c, _) =
            Config::from_toml("[checks]\nyaml-syntax = \"info\"\nfence-unclosed = \"off\"\n");
        let d = Diagnostic::new("yaml-syntax", Span::new(0, 1), "x");
        assert_eq!(c.apply(d).unwrap().severity, Severity::Information);
        let d = Diagnostic::new("fence-unclosed", Span::new(0, 1), "x");
        assert!(c.apply(d).is_none());
        let d = Diagnostic::new("yaml-tab-indent", Span::new(0, 1), "x");
        assert_eq!(c.apply(d).unwrap().severity, Severity::Error);
    }

    #[test]
    fn bad_values_are_reported_with_positions_and_the_rest_is_kept() {
        let text = r#"run_on_save = "yes"
colour = 1

[specs]
include = ["ok/*.md", "bad/[.md", 3]
exclud = ["x"]

[checks]
conflicts = "loud"
duplicate-scenario-nme = "off"
zzzzzzzzzzzzzzzzzz = "off"
placeholder = 1
yaml-syntax = "warning"

[llm]
provider = "skynet"
api_key = "sk-secret-value"
api_key_env = "sk-1234"
model = "m"

[tests]
command = ["pytest"]
"#;
        let (c, issues) = Config::from_toml(text);
        assert_eq!(c.spec_globs, ["ok/*.md"]);
        assert_eq!(c.level("yaml-syntax"), Level::Set(Severity::Warning));
        assert_eq!(c.llm.model.as_deref(), Some("m"));
        assert_eq!(c.llm.provider, None);
        assert_eq!(c.llm.api_key_env, None);
        assert!(!c.run_on_save);
        let rendered = issues_text(text, &issues);
        assert!(!rendered.contains("sk-secret-value"));
        insta::assert_snapshot!(rendered);
    }

    #[test]
    fn syntax_error_keeps_defaults() {
        let text = "[specs]\ninclude = [\"a\"\n[checks\n";
        let (c, issues) = Config::from_toml(text);
        assert_eq!(c, Config::default());
        assert_eq!(issues.len(), 1);
        assert_eq!(issues[0].code, "config-invalid");
        assert!(issues[0].line.is_some());
        insta::assert_snapshot!(issues_text(text, &issues));
    }

    #[test]
    fn wrong_shapes_never_panic() {
        for text in [
            "specs = 1",
            "specs = [1, 2]",
            "[[specs]]\ninclude = 1",
            "checks = \"off\"",
            "[checks]\nconflicts = { a = 1 }",
            "llm = 2020-01-01",
            "[llm]\nprovider = [\"openai\"]",
            "a.b.c.d.e.f = 1",
            "",
            "\u{feff}",
        ] {
            let (_, issues) = Config::from_toml(text);
            if !text.trim().is_empty() && text != "\u{feff}" {
                assert!(!issues.is_empty(), "no issue for {text:?}");
            }
        }
        let deep = format!("x = {}{}", "[".repeat(500), "]".repeat(500));
        let _ = Config::from_toml(&deep);
    }

    #[test]
    fn columns_count_characters() {
        let text = "[checks]\n\"é-x\" = \"off\"\n";
        let (_, issues) = Config::from_toml(text);
        assert_eq!(issues.len(), 1);
        assert_eq!((issues[0].line, issues[0].column), (Some(2), Some(1)));
        let text = "[llm]\nmodel = \"é\"\nprovider = \"ü\"\n";
        let (_, issues) = Config::from_toml(text);
        assert_eq!((issues[0].line, issues[0].column), (Some(3), Some(12)));
    }

    #[test]
    fn json_settings_merge_over_toml() {
        let (mut c, _) = Config::from_toml(
            "[specs]\ninclude = [\"a/*.md\"]\n[checks]\nconflicts = \"off\"\n[llm]\nmodel = \"m1\"\n",
        );
        let issues = c.merge_json(&serde_json::json!({
            "specls": {
                "specs": {"exclude": ["b/"]},
                "tests": {"include": ["t/*.rs"], "runOnSave": true},
                "checks": {"conflicting-scenarios": "error", "placeholder": "off"},
                "llm": {"baseUrl": "http://x", "apiKeyEnv": "KEY", "model": null},
                "unknownThing": 1
            }
        }));
        assert_eq!(c.spec_globs, ["a/*.md"]);
        assert_eq!(c.exclude, ["b/"]);
        assert_eq!(c.test_globs, ["t/*.rs"]);
        assert!(c.run_on_save);
        assert_eq!(
            c.level("conflicting-scenarios"),
            Level::Set(Severity::Error)
        );
        assert_eq!(c.level("conflicting-examples"), Level::Off);
        assert_eq!(c.level("placeholder"), Level::Off);
        assert_eq!(c.llm.base_url.as_deref(), Some("http://x"));
        assert_eq!(c.llm.api_key_env.as_deref(), Some("KEY"));
        assert_eq!(c.llm.model.as_deref(), Some("m1"));
        assert_eq!(issues.len(), 1);
        assert_eq!(issues[0].code, "config-unknown-key");
        assert_eq!(issues[0].key, "unknownThing");
        assert_eq!(issues[0].span, None);
        assert_eq!(issues[0].line, None);

        // snake_case keys and no wrapper work the same; null and non-objects are harmless.
        let mut c2 = Config::default();
        assert!(c2
            .merge_json(&serde_json::json!({"run_on_save": true, "llm": {"api_key_env": "K"}}))
            .is_empty());
        assert!(c2.run_on_save);
        assert!(c2.merge_json(&serde_json::Value::Null).is_empty());
        // Under a `specls` key, only that object is read.
        let mut c3 = Config::default();
        let issues = c3.merge_json(&serde_json::json!({
            "specls": {"runOnSave": true},
            "otherTool": {"x": 1}
        }));
        assert!(issues.is_empty() && c3.run_on_save);
        assert_eq!(c2.merge_json(&serde_json::json!([1])).len(), 1);
    }

    #[test]
    fn classify_with_globs() {
        let (c, issues) = Config::from_toml(
            r#"[specs]
include = ["contracts/**/*.yaml", "behaviour/*.md", "api/orders.yaml", "*.scenarios.yml"]
exclude = ["specs/archive", "**/*.draft.spec.md"]
"#,
        );
        assert!(issues.is_empty());
        let spec_yaml = "feature: Orders\nscenarios: []\n";
        let other_yaml = "openapi: 3.0.0\n";
        // Included YAML needs spec keys...
        assert_eq!(
            c.classify("contracts/v1/orders.yaml", spec_yaml),
            Some(DocKind::YamlSpec)
        );
        assert_eq!(c.classify("contracts/v1/orders.yaml", other_yaml), None);
        // ...unless the glob names the file.
        assert_eq!(
            c.classify("api/orders.yaml", other_yaml),
            Some(DocKind::YamlSpec)
        );
        assert_eq!(c.classify("api/other.yaml", spec_yaml), None);
        // Globs without `/` match file names anywhere.
        assert_eq!(
            c.classify("x/y/checkout.scenarios.yml", spec_yaml),
            Some(DocKind::YamlSpec)
        );
        // Markdown is a spec by extension.
        assert_eq!(
            c.classify("behaviour/login.md", "# Login\n"),
            Some(DocKind::MarkdownSpec)
        );
        assert_eq!(c.classify("behaviour/deep/login.md", "# Login\n"), None);
        // Excluded folders and files are nothing, even when named as specs.
        assert_eq!(c.classify("specs/archive/old.spec.md", ""), None);
        assert_eq!(c.classify("specs/archive/a/b.spec.yaml", ""), None);
        assert_eq!(c.classify("specs/cart.draft.spec.md", ""), None);
        assert_eq!(
            c.classify("specs/cart.spec.md", ""),
            Some(DocKind::MarkdownSpec)
        );
        assert_eq!(c.classify("./specs/archive/old.spec.md", ""), None);
        // Without globs, classify is kind::detect.
        let d = Config::default();
        assert_eq!(d.classify("README.md", "# Hello\n"), None);
        assert_eq!(d.classify("a.spec.md", ""), Some(DocKind::MarkdownSpec));
        assert!(!d.is_excluded("a.spec.md"));
        // The compiled globs follow changes to the lists.
        let mut c2 = c.clone();
        c2.exclude.clear();
        assert_eq!(
            c2.classify("specs/archive/old.spec.md", ""),
            Some(DocKind::MarkdownSpec)
        );
        assert_eq!(c.classify("specs/archive/old.spec.md", ""), None);
    }

    #[test]
    fn test_globs() {
        let (c, _) = Config::from_toml("[tests]\ninclude = [\"tests/**/*.py\", \"*_test.go\"]\n");
        assert!(c.is_test_file("tests/unit/test_a.py"));
        assert!(c.is_test_file("pkg/x/a_test.go"));
        assert!(!c.is_test_file("src/a.py"));
    }

    #[test]
    fn suggestions() {
        assert_eq!(suggest("exclud", &["include", "exclude"]), Some("exclude"));
        assert_eq!(suggest("zzzz", &["include", "exclude"]), None);
    }
}
