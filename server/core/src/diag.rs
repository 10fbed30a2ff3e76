//! Diagnostics: what the core reports, with exact byte ranges, stable codes and optional fixes.
//!
//! Every code the core can emit is listed in [`CODES`] with its default severity and a one-line
//! summary; `docs/diagnostics.md` is generated from that table and a test keeps them in step.

use serde::{Deserialize, Serialize};

use crate::span::Span;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    Information,
    Hint,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Information => "information",
            Severity::Hint => "hint",
        }
    }
    pub fn parse(s: &str) -> Option<Severity> {
        match s.trim().to_ascii_lowercase().as_str() {
            "error" | "deny" => Some(Severity::Error),
            "warning" | "warn" => Some(Severity::Warning),
            "information" | "info" => Some(Severity::Information),
            "hint" => Some(Severity::Hint),
            _ => None,
        }
    }
    /// Rank for "at or above" comparisons: Error = 3 ... Hint = 0.
    pub fn rank(self) -> u8 {
        match self {
            Severity::Error => 3,
            Severity::Warning => 2,
            Severity::Information => 1,
            Severity::Hint => 0,
        }
    }
}

/// Another place involved in a finding (the other duplicate, the other constraint...).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Related {
    /// Path of the document, as the workspace names it. Empty means "the same document".
    pub path: String,
    pub span: Span,
    pub message: String,
}

/// A text replacement in one document. `path` empty means the diagnostic's own document.
///
/// Creating a file: an edit whose `path` names a file that does not exist yet, with the empty
/// span `0..0`, means "create this file with `new_text`" (front ends turn it into a
/// create-file operation followed by the insertion). Fixes use it only for paths that are not
/// in the workspace or test index; an existing file gets an ordinary insertion instead.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TextEdit {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub path: String,
    pub span: Span,
    pub new_text: String,
}

/// A quick fix: a title and the edits that carry it out.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fix {
    pub title: String,
    pub edits: Vec<TextEdit>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// Stable code, one of [`CODES`].
    pub code: &'static str,
    pub severity: Severity,
    pub span: Span,
    pub message: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub related: Vec<Related>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fixes: Vec<Fix>,
}

impl Diagnostic {
    /// Visit every span of this diagnostic that points into its own file: its range, the
    /// related places and fix edits whose path is empty or `path`. Readers that parse a piece of
    /// a file on its own use it to move what they found to the piece's place in the file.
    pub fn local_spans_mut(&mut self, path: &str, f: &mut dyn FnMut(&mut Span)) {
        f(&mut self.span);
        for r in &mut self.related {
            if r.path.is_empty() || r.path == path {
                f(&mut r.span);
            }
        }
        for fix in &mut self.fixes {
            for e in &mut fix.edits {
                if e.path.is_empty() || e.path == path {
                    f(&mut e.span);
                }
            }
        }
    }

    /// A diagnostic with the code's default severity.
    pub fn new(code: &'static str, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            code,
            severity: default_severity(code),
            span,
            message: message.into(),
            related: Vec::new(),
            fixes: Vec::new(),
        }
    }
    pub fn with_related(
        mut self,
        path: impl Into<String>,
        span: Span,
        message: impl Into<String>,
    ) -> Self {
        self.related.push(Related {
            path: path.into(),
            span,
            message: message.into(),
        });
        self
    }
    pub fn with_fix(mut self, title: impl Into<String>, edits: Vec<TextEdit>) -> Self {
        self.fixes.push(Fix {
            title: title.into(),
            edits,
        });
        self
    }
    pub fn with_severity(mut self, severity: Severity) -> Self {
        self.severity = severity;
        self
    }
}

/// One entry of the code registry.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct CodeInfo {
    pub code: &'static str,
    pub severity: Severity,
    /// Which area reports it: parse, duplicates, conflicts, constraints, completeness,
    /// dependencies, arrangement, blueprint, config, tests, drift.
    pub area: &'static str,
    pub summary: &'static str,
}

macro_rules! codes {
    ($( $code:literal, $sev:ident, $area:literal, $summary:literal; )*) => {
        /// Every diagnostic code specls reports. Codes are stable: never rename or reuse one.
        pub static CODES: &[CodeInfo] = &[
            $( CodeInfo { code: $code, severity: Severity::$sev, area: $area, summary: $summary }, )*
        ];
    };
}

codes! {
    // --- parse: reading files ---
    "file-too-large", Error, "parse", "The file is larger than specls reads; it is skipped.";
    "invalid-utf8", Error, "parse", "The file is not valid UTF-8; invalid bytes were replaced before reading.";
    "too-many-diagnostics", Warning, "parse", "More diagnostics than the per-file limit; the rest are not shown.";
    "yaml-syntax", Error, "parse", "YAML that cannot be read; the rest of the file is read as far as possible.";
    "yaml-indented-sibling", Error, "parse", "A key indented under a scalar value, meant as a sibling of the key above.";
    "yaml-scalar-mapping", Error, "parse", "A plain scalar containing ': ' that YAML reads as a nested mapping; quote it.";
    "yaml-duplicate-key", Error, "parse", "The same key twice in one YAML mapping; the later one wins.";
    "yaml-alias-limit", Error, "parse", "YAML aliases expand beyond the limit (an alias bomb); expansion stopped.";
    "yaml-depth-limit", Error, "parse", "Nesting deeper than the limit; deeper content is ignored.";
    "yaml-tab-indent", Error, "parse", "A tab used for indentation; YAML allows only spaces.";
    "front-matter-unclosed", Error, "parse", "Front matter opened with `---` at the start of the file but never closed.";
    "front-matter-invalid", Error, "parse", "Front matter that is not a YAML mapping.";
    "markdown-depth-limit", Warning, "parse", "Markdown lists or block quotes nested deeper than the limit; deeper content is not analysed.";
    "fence-unclosed", Warning, "parse", "A fenced code block that is never closed; it runs to the end of the file.";
    "unknown-key", Hint, "parse", "A key this format does not define; it is ignored.";
    "wrong-type", Error, "parse", "A value of the wrong shape (for example a mapping where a string or list is expected).";
    "invalid-value", Error, "parse", "A value outside the allowed set (for example an unknown spec `type`).";
    "scenario-missing-name", Error, "parse", "A scenario without a name.";
    "scenario-missing-steps", Warning, "parse", "A scenario without a `when` or without a `then`.";
    "step-outside-scenario", Warning, "parse", "A Given/When/Then line that belongs to no scenario.";
    "invalid-json", Error, "parse", "A block that must hold JSON does not parse.";
    "constraint-unmeasurable", Warning, "constraints", "A constraint with nothing to measure; add a percentile, a number, a unit or a load.";
    // --- duplicates ---
    "duplicate-scenario-name", Error, "duplicates", "Two scenarios with the same name in one spec (warning across specs of one feature).";
    "duplicate-scenario-id", Error, "duplicates", "Two scenarios with the same id in one spec (warning across specs of one feature).";
    "duplicate-scenario-steps", Warning, "duplicates", "Two scenarios whose Given, When and Then are the same after normalisation.";
    "duplicate-requirement-id", Error, "duplicates", "The same requirement id defined twice.";
    // --- conflicts ---
    "conflicting-scenarios", Error, "conflicts", "Two scenarios with the same Given and When whose Thens cannot both hold. A scenario lists its first 5 conflicts; the fifth says when there are more.";
    "conflicting-examples", Error, "conflicts", "Example rows that give the same input two different expected outputs.";
    // --- constraints ---
    "constraint-conflict", Error, "constraints", "The same metric and scope with different thresholds in different places.";
    "constraint-dominated", Warning, "constraints", "A bound that can never bind given another (a p99 bound tighter than the p95 bound).";
    "constraint-impossible", Error, "constraints", "A lower bound above an upper bound for the same metric and scope.";
    "constraint-invalid-value", Error, "constraints", "A percentage over 100, or a zero or negative duration.";
    "constraint-rate-without-time", Warning, "constraints", "A rate with no time unit (per second, per minute...).";
    "constraint-missing-unit", Warning, "constraints", "A latency or duration threshold without a unit; the fix adds `ms`.";
    // --- completeness ---
    "function-without-examples", Warning, "completeness", "A function with fewer than two example rows or scenarios.";
    "requirement-without-scenario", Warning, "completeness", "A requirement that no scenario or example exercises.";
    "untested-condition", Warning, "completeness", "A behaviour bullet stating a condition that no scenario or example exercises.";
    "missing-section", Warning, "completeness", "A spec type's required section is missing.";
    "requirement-without-keyword", Information, "completeness", "Requirement text without SHALL/MUST in a spec that uses that style.";
    "placeholder", Warning, "completeness", "A `[NEEDS CLARIFICATION]` or TODO placeholder left in the spec.";
    // --- dependencies ---
    "unknown-dependency", Error, "dependencies", "A dependency on a spec that does not exist.";
    "dependency-cycle", Error, "dependencies", "Specs that depend on each other in a cycle.";
    "workflow-unknown-output", Error, "dependencies", "A workflow step input refers to an output that does not exist.";
    "workflow-type-mismatch", Warning, "dependencies", "A workflow step input whose type does not match the output it refers to.";
    // --- arrangements and blueprints ---
    "arrangement-unknown-placeholder", Error, "arrangement", "An unknown `{placeholder}` in output paths or build commands.";
    "path-outside-workspace", Error, "arrangement", "An output path that leaves the workspace.";
    "tool-not-found", Warning, "arrangement", "A tool in `environment.tools` that is not on PATH.";
    "guardian-invalid", Error, "blueprint", "A guardian verification plan that is not valid JSON or not the expected shape.";
    "guardian-unknown-stage", Warning, "blueprint", "A guardian step with an unknown `stage`.";
    "guardian-unknown-expects", Warning, "blueprint", "A guardian step with an unknown `expects` value.";
    "blueprint-missing-test", Warning, "blueprint", "A `relevant_tests` entry that does not exist.";
    "guardian-step-failed", Error, "blueprint", "A guardian verification step whose last run (specls.runGuardian) did not give what its `expects` says.";
    // --- tests: scenario <-> test links and results ---
    "unknown-scenario-marker", Warning, "tests", "A `@spec` marker in a test whose id names no scenario or requirement.";
    "scenario-untested", Warning, "tests", "A scenario that no test is linked to (by marker or by name); the fix writes a test skeleton.";
    "spec-untested", Information, "tests", "A spec none of whose scenarios is linked to a test yet: one note on the spec instead of a warning per scenario.";
    "scenario-failed", Error, "tests", "A scenario whose linked tests failed in the last run.";
    "constraint-broken", Error, "tests", "A constraint whose measured value (k6, criterion, hyperfine or a JSON map of values) breaks its bound.";
    // --- drift: spec and generated code since the last compile (`specls check --drift`, editor) ---
    "spec-changed-since-compile", Warning, "drift", "The spec's text changed since its last compile; compile it to bring the code up to date.";
    "scenario-changed-since-compile", Information, "drift", "A scenario changed, was added or was removed since the spec's last compile.";
    "requirement-changed-since-compile", Information, "drift", "A requirement changed, was added or was removed since the spec's last compile.";
    "generated-file-edited", Warning, "drift", "A file the last compile wrote has changed since (edited by hand); a compile would overwrite it.";
    "generated-file-missing", Warning, "drift", "A file the last compile wrote no longer exists.";
    "dependency-changed-since-compile", Warning, "drift", "A dependency's text, or the list of dependencies, changed since this spec was compiled.";
    "never-compiled", Information, "drift", "A spec that an arrangement governs has never been compiled.";
    "manifest-invalid", Error, "drift", "A compile manifest that cannot be read (corrupt, or written by a newer specls); drift from it is not shown.";
    // --- configuration (specls.toml, editor settings) ---
    "config-invalid", Error, "config", "A setting in `specls.toml` that cannot be used (bad TOML, wrong type, bad glob, unknown level); the default is used.";
    "config-unknown-key", Warning, "config", "A setting or check code in `specls.toml` that specls does not know; it is ignored.";
}

/// Default severity for a code; unknown codes are warnings.
pub fn default_severity(code: &str) -> Severity {
    CODES
        .iter()
        .find(|c| c.code == code)
        .map(|c| c.severity)
        .unwrap_or(Severity::Warning)
}

pub fn code_info(code: &str) -> Option<&'static CodeInfo> {
    CODES.iter().find(|c| c.code == code)
}

/// Cap a diagnostic list at the per-file limit, replacing the overflow with one summary.
pub fn cap(diags: &mut Vec<Diagnostic>) {
    let max = crate::limits::MAX_DIAGNOSTICS_PER_FILE;
    if diags.len() > max {
        let dropped = diags.len() - max;
        let at = diags[max].span;
        diags.truncate(max);
        diags.push(Diagnostic::new(
            "too-many-diagnostics",
            Span::empty(at.start),
            format!("{dropped} more diagnostics in this file are not shown (limit {max} per file)"),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_kebab_case() {
        let mut seen = std::collections::HashSet::new();
        for c in CODES {
            assert!(seen.insert(c.code), "duplicate code {}", c.code);
            assert!(c
                .code
                .chars()
                .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '-'));
        }
    }
}
