//! `go test -json`: one JSON event per line (`run`, `output`, `pass`, `fail`, `skip`, `pause`,
//! `cont`, `start`, `bench`). A test's output lines are kept with it; the message of a failure
//! or skip is its first `file.go:N: ...` line. A package that fails without any test (a build
//! error) becomes one `error` result named after the package.

use std::collections::HashMap;

use serde::Deserialize;

use super::{err, excerpt, push_capped, ParseError, Status, TestResult};

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Event {
    #[serde(default)]
    action: String,
    #[serde(default)]
    package: Option<String>,
    #[serde(default)]
    test: Option<String>,
    #[serde(default)]
    elapsed: Option<f64>,
    #[serde(default)]
    output: Option<String>,
}

struct Running {
    index: usize,
    output: String,
    offset: usize,
}

pub(super) fn parse(text: &str, errors: &mut Vec<ParseError>) -> Vec<TestResult> {
    let mut results: Vec<TestResult> = Vec::new();
    // (package, test) -> the test's slot in `results` while it runs.
    let mut open: HashMap<(String, String), Running> = HashMap::new();
    // Package-level output and whether a package had tests.
    let mut package_out: HashMap<String, String> = HashMap::new();
    let mut package_tests: HashMap<String, usize> = HashMap::new();
    let mut offset = 0usize;
    let mut bad_lines = 0usize;
    for raw in text.split_inclusive('\n') {
        let at = offset;
        offset += raw.len();
        let line = raw.trim();
        if line.is_empty() {
            continue;
        }
        let ev: Event = match serde_json::from_str(line) {
            Ok(e) => e,
            Err(e) => {
                bad_lines += 1;
                if bad_lines <= 50 {
                    let what =
                        if line.starts_with('{') && offset == text.len() && !raw.ends_with('\n') {
                            "the last event is cut off".to_string()
                        } else if line.starts_with('{') {
                            format!("an event that is not valid JSON ({e})")
                        } else {
                            format!(
                                "a line that is not a `go test -json` event: `{}`",
                                short(line)
                            )
                        };
                    errors.push(err(at, what));
                }
                continue;
            }
        };
        let pkg = ev.package.unwrap_or_default();
        let Some(test) = ev.test else {
            match ev.action.as_str() {
                "output" => {
                    if let Some(o) = ev.output {
                        push_capped(package_out.entry(pkg).or_default(), &o);
                    }
                }
                "fail" | "skip" if package_tests.get(&pkg).copied().unwrap_or(0) == 0 => {
                    let mut r = TestResult::new(pkg.clone());
                    r.class = Some(pkg.clone());
                    r.status = if ev.action == "fail" {
                        Status::Error
                    } else {
                        Status::Skipped
                    };
                    r.duration_ms = ev.elapsed.map(super::ms);
                    let out = package_out.remove(&pkg).unwrap_or_default();
                    r.message = out
                        .lines()
                        .map(str::trim)
                        .find(|l| !l.is_empty() && !l.starts_with("FAIL") && !l.starts_with("ok "))
                        .map(str::to_string)
                        .or_else(|| (ev.action == "skip").then(|| "no test files".to_string()));
                    r.output = (!out.trim().is_empty()).then(|| excerpt(out.trim_end()));
                    results.push(r);
                }
                _ => {}
            }
            continue;
        };
        let key = (pkg.clone(), test.clone());
        match ev.action.as_str() {
            "run" => {
                *package_tests.entry(pkg.clone()).or_default() += 1;
                let mut r = TestResult::new(test);
                r.class = Some(pkg);
                r.status = Status::Error;
                results.push(r);
                open.insert(
                    key,
                    Running {
                        index: results.len() - 1,
                        output: String::new(),
                        offset: at,
                    },
                );
            }
            "output" => {
                let o = ev.output.unwrap_or_default();
                match open.get_mut(&key) {
                    Some(run) => push_capped(&mut run.output, &o),
                    None => {
                        // Output of a test that already ended (late `--- FAIL` lines): ignore.
                    }
                }
            }
            "pass" | "fail" | "skip" => {
                let run = match open.remove(&key) {
                    Some(r) => r,
                    None => {
                        // A result without a `run` event (older Go, or a cut-off start).
                        let mut r = TestResult::new(test);
                        r.class = Some(pkg.clone());
                        results.push(r);
                        *package_tests.entry(pkg).or_default() += 1;
                        Running {
                            index: results.len() - 1,
                            output: String::new(),
                            offset: at,
                        }
                    }
                };
                let r = &mut results[run.index];
                r.status = match ev.action.as_str() {
                    "pass" => Status::Passed,
                    "fail" => Status::Failed,
                    _ => Status::Skipped,
                };
                r.duration_ms = ev.elapsed.map(super::ms);
                finish(r, &run.output);
            }
            _ => {}
        }
    }
    // Tests that never ended: the stream was cut off (or the binary crashed).
    let mut unfinished: Vec<Running> = open.into_values().collect();
    unfinished.sort_by_key(|r| r.index);
    for run in unfinished {
        let r = &mut results[run.index];
        errors.push(err(
            run.offset,
            format!(
                "test `{}` started but the output ends before its result",
                r.name
            ),
        ));
        finish(r, &run.output);
        if r.message.is_none() {
            r.message = Some("the output ends before this test's result".into());
        }
    }
    if bad_lines > 50 {
        errors.push(err(
            text.len(),
            format!(
                "{} more lines that are not events were skipped",
                bad_lines - 50
            ),
        ));
    }
    results
}

/// Message and output from a test's output lines.
fn finish(r: &mut TestResult, output: &str) {
    let body: Vec<&str> = output
        .lines()
        .filter(|l| {
            let t = l.trim_start();
            !(t.starts_with("=== RUN")
                || t.starts_with("=== PAUSE")
                || t.starts_with("=== CONT")
                || t.starts_with("=== NAME")
                || t.starts_with("--- PASS")
                || t.starts_with("--- FAIL")
                || t.starts_with("--- SKIP"))
        })
        .collect();
    if r.status != Status::Passed {
        // The first `file_test.go:N: message` line, else the first line.
        let located = body.iter().map(|l| l.trim()).find(|l| is_go_location(l));
        r.message = located
            .or_else(|| body.iter().map(|l| l.trim()).find(|l| !l.is_empty()))
            .map(str::to_string);
    }
    let text = body.join("\n");
    r.output = (!text.trim().is_empty()).then(|| excerpt(text.trim_end()));
}

/// `name_test.go:18: ...`
fn is_go_location(l: &str) -> bool {
    match l.split_once(".go:") {
        Some((_, rest)) => rest
            .split_once(':')
            .is_some_and(|(n, _)| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit())),
        None => false,
    }
}

fn short(s: &str) -> String {
    let mut t: String = s.chars().take(60).collect();
    if t.len() < s.len() {
        t.push('…');
    }
    t
}
