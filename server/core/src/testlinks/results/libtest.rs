//! libtest's plain output (`cargo test`): `Running <target> (<binary>)` sections, `running N
//! tests`, `test name ... ok|FAILED|ignored[, reason]`, the failures section
//! (`---- name stdout ----` and the panic), and `test result:` summaries.

use std::collections::HashMap;

use super::{err, excerpt, push_capped, rust_panic, ParseError, Status, TestResult};

pub(super) fn parse(text: &str, errors: &mut Vec<ParseError>) -> Vec<TestResult> {
    let mut results: Vec<TestResult> = Vec::new();
    let mut section: Option<String> = None;
    // Results of the current `running` block, by name.
    let mut by_name: HashMap<String, usize> = HashMap::new();
    let mut expected: Option<(usize, usize, usize)> = None; // (count, first result, offset)
    let mut capturing: Option<(usize, String)> = None; // (result, text)
    let mut in_failures = false;
    let mut offset = 0usize;

    let flush = |capturing: &mut Option<(usize, String)>, results: &mut Vec<TestResult>| {
        if let Some((idx, out)) = capturing.take() {
            attach(&mut results[idx], &out);
        }
    };

    for raw in text.split_inclusive('\n') {
        let at = offset;
        offset += raw.len();
        let line = raw.trim_end_matches(['\n', '\r']);
        let t = line.trim_start();

        if let Some(rest) = t.strip_prefix("Running ") {
            flush(&mut capturing, &mut results);
            in_failures = false;
            // `Running unittests src/lib.rs (target/...)` / `Running tests/cli.rs (target/...)`
            let target = rest.split(" (").next().unwrap_or(rest);
            let target = target.strip_prefix("unittests ").unwrap_or(target);
            section = Some(target.trim().to_string());
            continue;
        }
        if let Some(rest) = t.strip_prefix("running ") {
            if let Some(n) = rest
                .strip_suffix(" tests")
                .or_else(|| rest.strip_suffix(" test"))
                .and_then(|n| n.trim().parse::<usize>().ok())
            {
                flush(&mut capturing, &mut results);
                check_count(&expected, &results, errors);
                expected = Some((n, results.len(), at));
                by_name.clear();
                in_failures = false;
                continue;
            }
        }
        if t.starts_with("test result:") {
            flush(&mut capturing, &mut results);
            check_count(&expected, &results, errors);
            expected = None;
            in_failures = false;
            continue;
        }
        if line == "failures:" {
            flush(&mut capturing, &mut results);
            in_failures = true;
            continue;
        }
        if in_failures {
            if let Some(name) = line
                .strip_prefix("---- ")
                .and_then(|r| r.strip_suffix(" ----"))
            {
                flush(&mut capturing, &mut results);
                let name = name
                    .strip_suffix(" stdout")
                    .or_else(|| name.strip_suffix(" stderr"))
                    .unwrap_or(name);
                if let Some(&idx) = by_name.get(name) {
                    capturing = Some((idx, String::new()));
                }
                continue;
            }
            if let Some((_, out)) = capturing.as_mut() {
                push_capped(out, raw);
                continue;
            }
            continue;
        }
        if let Some(rest) = line.strip_prefix("test ") {
            if let Some((name, status)) = rest.rsplit_once(" ... ") {
                let name = name.strip_suffix(" - should panic").unwrap_or(name).trim();
                let (status, reason) = match status.trim() {
                    "ok" => (Status::Passed, None),
                    "FAILED" => (Status::Failed, None),
                    s if s.starts_with("ignored") => (
                        Status::Skipped,
                        s.strip_prefix("ignored, ").map(str::to_string),
                    ),
                    s if s.starts_with("bench:") => (Status::Passed, None),
                    "" => {
                        errors.push(err(
                            at,
                            format!("test `{name}` has no result: the output may be cut off"),
                        ));
                        (
                            Status::Error,
                            Some("the output ends before this test's result".into()),
                        )
                    }
                    other => {
                        errors.push(err(
                            at,
                            format!("test `{name}` has an unknown result `{other}`"),
                        ));
                        (Status::Error, Some(format!("unknown result `{other}`")))
                    }
                };
                let mut r = TestResult::new(name.to_string());
                r.class = section.clone();
                r.status = status;
                r.message = reason;
                by_name.insert(r.name.clone(), results.len());
                results.push(r);
                continue;
            }
            if let Some(name) = rest.strip_suffix(" ...") {
                let name = name.trim();
                errors.push(err(
                    at,
                    format!("test `{name}` has no result: the output may be cut off"),
                ));
                let mut r = TestResult::new(name.to_string());
                r.class = section.clone();
                r.status = Status::Error;
                r.message = Some("the output ends before this test's result".into());
                by_name.insert(r.name.clone(), results.len());
                results.push(r);
            }
        }
    }
    flush(&mut capturing, &mut results);
    if let Some((n, first, at)) = expected {
        let read = results.len() - first;
        errors.push(err(
            at,
            format!(
                "`running {n} tests` has no `test result:` line: the output ends early ({read} of {n} results read)"
            ),
        ));
    }
    results
}

fn check_count(
    expected: &Option<(usize, usize, usize)>,
    results: &[TestResult],
    errors: &mut Vec<ParseError>,
) {
    if let Some((n, first, at)) = *expected {
        let read = results.len() - first;
        if read < n {
            errors.push(err(
                at,
                format!("`running {n} tests` but {read} results were read"),
            ));
        }
    }
}

/// The failure text of a test: its panic message and location.
fn attach(r: &mut TestResult, out: &str) {
    let out = out.trim_matches(['\n', '\r']);
    if let Some((msg, file, line)) = rust_panic(out) {
        if !msg.is_empty() {
            r.message = Some(msg);
        }
        r.file = file;
        r.line = line;
    } else if r.message.is_none() {
        r.message = super::first_line(out);
    }
    if !out.trim().is_empty() {
        r.output = Some(excerpt(out));
    }
}
