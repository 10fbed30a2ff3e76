//! Settings: `specls.toml` at the workspace root, overridden by the editor's settings.
//! This module only interprets text and values; reading files is the front ends' job.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::diag::{Diagnostic, Severity};

/// A check's configured level: a severity, or off.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Level {
    Off,
    Set(Severity),
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
    pub run_on_save: bool,
    /// Per-code level overrides.
    pub checks: BTreeMap<String, Level>,
    pub llm: LlmConfig,
}

impl Config {
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
}
