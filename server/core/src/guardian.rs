//! Guardian verification plans of task blueprints: whether a step's result meets its
//! `expects` (the values [`crate::checks::arrangement::EXPECTS`] lists, `exit_code_<n>`, and the
//! `contains:` / `matches:` prefixes). Pure: the front end runs the commands and passes the
//! exit code and output in.

use serde::{Deserialize, Serialize};

/// What running one step gave, against its `expects`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "outcome")]
pub enum StepOutcome {
    Met {
        detail: String,
    },
    NotMet {
        detail: String,
    },
    /// Not run: an earlier stage failed, or the run was cancelled.
    Skipped {
        reason: String,
    },
}

impl StepOutcome {
    pub fn is_met(&self) -> bool {
        matches!(self, StepOutcome::Met { .. })
    }
}

fn exit_text(code: Option<i32>) -> String {
    match code {
        Some(c) => format!("exit code {c}"),
        None => "no exit code (ended by a signal, a timeout or a cancel)".into(),
    }
}

fn lines(output: &str) -> usize {
    output.lines().filter(|l| !l.trim().is_empty()).count()
}

/// Does a step's result (`exit_code`, None when it did not exit by itself; its merged
/// output) meet `expects`? An empty `expects` means success (exit code 0).
pub fn evaluate(expects: &str, exit_code: Option<i32>, output: &str) -> StepOutcome {
    let ex = expects.trim();
    let verdict = |ok: bool, detail: String| {
        if ok {
            StepOutcome::Met { detail }
        } else {
            StepOutcome::NotMet { detail }
        }
    };
    let lower = ex.to_ascii_lowercase();
    for p in ["exit_code_", "exit_", "exit_code:", "exit_code="] {
        if let Some(n) = lower.strip_prefix(p) {
            if let Ok(want) = n.trim().parse::<i32>() {
                return verdict(
                    exit_code == Some(want),
                    format!("expected exit code {want}, got {}", exit_text(exit_code)),
                );
            }
        }
    }
    for p in ["contains:", "output_contains:"] {
        if let Some(needle) = ex.strip_prefix(p) {
            let needle = needle.trim();
            return verdict(
                output.contains(needle),
                format!(
                    "expected the output to contain `{needle}`; {}",
                    if output.contains(needle) {
                        "it does"
                    } else {
                        "it does not"
                    }
                ),
            );
        }
    }
    for p in ["matches:", "regex:"] {
        if let Some(pattern) = ex.strip_prefix(p) {
            // No regular-expression engine in the core: a pattern without metacharacters is
            // matched literally; others are compared line by line after removing `^`/`$`.
            let pat = pattern.trim().trim_start_matches('^').trim_end_matches('$');
            let found = output.lines().any(|l| l.contains(pat));
            return verdict(
                found,
                format!(
                    "expected an output line matching `{}`; {}",
                    pattern.trim(),
                    if found { "found" } else { "none found" }
                ),
            );
        }
    }
    match lower.as_str() {
        "" | "success" | "pass" | "passes" => verdict(
            exit_code == Some(0),
            format!("expected success, got {}", exit_text(exit_code)),
        ),
        "fail" | "fails" | "failure" => verdict(
            exit_code.is_some_and(|c| c != 0),
            format!("expected a failure, got {}", exit_text(exit_code)),
        ),
        "no_output" => verdict(
            output.trim().is_empty(),
            format!("expected no output, got {} line(s)", lines(output)),
        ),
        "non_empty" => verdict(
            !output.trim().is_empty(),
            format!("expected output, got {} line(s)", lines(output)),
        ),
        "no_errors" | "no_warnings" => {
            let word = if lower == "no_errors" {
                "error"
            } else {
                "warning"
            };
            let hits = output
                .lines()
                .filter(|l| l.to_ascii_lowercase().contains(word))
                .count();
            verdict(
                hits == 0 && exit_code == Some(0),
                format!(
                    "expected no {word}s: {hits} line(s) mention one, {}",
                    exit_text(exit_code)
                ),
            )
        }
        other => StepOutcome::NotMet {
            detail: format!("unknown expectation `{other}`"),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expectations() {
        let met = |e: &str, c: Option<i32>, o: &str| evaluate(e, c, o).is_met();
        assert!(met("exit_code_0", Some(0), ""));
        assert!(!met("exit_code_0", Some(1), ""));
        assert!(met("exit_2", Some(2), ""));
        assert!(met("success", Some(0), "x"));
        assert!(!met("success", None, ""));
        assert!(met("fails", Some(3), ""));
        assert!(met("no_output", Some(0), "  \n"));
        assert!(!met("no_output", Some(0), "warning: x\n"));
        assert!(met("contains: 3 passed", Some(0), "== 3 passed in 0.1s =="));
        assert!(met("matches:^ok", Some(0), "ok 1\n"));
        assert!(!met("no_warnings", Some(0), "Warning: deprecated\n"));
        assert!(!met("sometimes", Some(0), ""));
        assert_eq!(
            evaluate("no_output", Some(0), "a\nb\n"),
            StepOutcome::NotMet {
                detail: "expected no output, got 2 line(s)".into()
            }
        );
    }
}
