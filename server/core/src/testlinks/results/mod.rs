//! Test-runner output: JUnit XML (pytest `--junitxml`, cargo-nextest, vitest/jest/node junit
//! reporters, go-junit-report, behave), `go test -json`, libtest's plain output (`cargo test`)
//! and TAP (vitest, node:test, tap producers).
//!
//! Pure functions from text to [`Results`]: they never panic and never fail. Malformed or
//! truncated input gives every result read up to the problem (a test cut off mid-way is kept,
//! with status `error` and a message saying so) plus [`ParseError`]s with the line and a clear
//! message.

mod gojson;
mod junit;
mod libtest;
mod tap;

use serde::{Deserialize, Serialize};

/// Output excerpts kept per result, in bytes (the start and the end are kept).
pub const MAX_OUTPUT: usize = 4096;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Passed,
    Failed,
    Skipped,
    /// The test could not run or its result is not known (setup error, crash, cut-off report).
    Error,
}

/// One test case's result.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TestResult {
    /// The class or module: JUnit `classname`, Go package, libtest binary (`Running` line),
    /// TAP parent names joined by ` > `.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub class: Option<String>,
    /// The innermost JUnit `testsuite` name, where there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suite: Option<String>,
    /// As reported: `test_add[1-2]`, `tests::adds_an_item`, `TestRemove/Remove_an_item`,
    /// `todo > removal > removes an item`.
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// 1-based.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    pub status: Status,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<f64>,
    /// The first line of the failure, error or skip message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Failure text and captured output, capped at [`MAX_OUTPUT`] bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<String>,
}

impl TestResult {
    fn new(name: String) -> TestResult {
        TestResult {
            class: None,
            suite: None,
            name,
            file: None,
            line: None,
            status: Status::Passed,
            duration_ms: None,
            message: None,
            output: None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    Junit,
    GoJson,
    Libtest,
    Tap,
}

/// Something in the input that could not be read; what came before it is in the results.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParseError {
    /// Byte offset in the input.
    pub offset: usize,
    /// 1-based line of `offset`.
    pub line: u32,
    pub message: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Results {
    /// None when the format could not be recognised.
    pub format: Option<Format>,
    pub results: Vec<TestResult>,
    pub errors: Vec<ParseError>,
}

/// Recognise the format of a report.
pub fn detect(text: &str) -> Option<Format> {
    let t = text.trim_start_matches('\u{feff}').trim_start();
    if t.starts_with('<') {
        return Some(Format::Junit);
    }
    if t.starts_with('{') && t.lines().next().is_some_and(|l| l.contains("\"Action\"")) {
        return Some(Format::GoJson);
    }
    let mut libtest = false;
    for line in t.lines().take(2000) {
        let l = line.trim_start();
        if l.starts_with("TAP version") || tap::is_result_line(l) || tap::is_plan(l) {
            return Some(Format::Tap);
        }
        if l.starts_with("running ") && (l.ends_with(" tests") || l.ends_with(" test"))
            || (l.starts_with("test ") && l.contains(" ... "))
        {
            libtest = true;
            break;
        }
    }
    libtest.then_some(Format::Libtest)
}

/// Parse a report of any known format.
pub fn parse(text: &str) -> Results {
    match detect(text) {
        Some(f) => parse_as(text, f),
        None => Results {
            format: None,
            results: Vec::new(),
            errors: vec![ParseError {
                offset: 0,
                line: 1,
                message: if text.trim().is_empty() {
                    "the report is empty".to_string()
                } else {
                    "not a test report specls reads (JUnit XML, `go test -json`, libtest output or TAP)"
                        .to_string()
                },
            }],
        },
    }
}

/// Parse a report of a known format.
pub fn parse_as(text: &str, format: Format) -> Results {
    let mut errors = Vec::new();
    let results = match format {
        Format::Junit => junit::parse(text, &mut errors),
        Format::GoJson => gojson::parse(text, &mut errors),
        Format::Libtest => libtest::parse(text, &mut errors),
        Format::Tap => tap::parse(text, &mut errors),
    };
    // Line numbers for the errors, in one pass.
    let mut errors: Vec<ParseError> = errors;
    errors.sort_by_key(|e| e.offset);
    let mut line = 1u32;
    let mut at = 0usize;
    let bytes = text.as_bytes();
    for e in &mut errors {
        let end = e.offset.min(bytes.len());
        if end > at {
            line += bytes[at..end].iter().filter(|&&b| b == b'\n').count() as u32;
            at = end;
        }
        e.line = line;
    }
    Results {
        format: Some(format),
        results,
        errors,
    }
}

/// Seconds to milliseconds, rounded to the microsecond.
pub(crate) fn ms(seconds: f64) -> f64 {
    (seconds * 1_000_000.0).round() / 1000.0
}

pub(crate) fn err(offset: usize, message: impl Into<String>) -> ParseError {
    ParseError {
        offset,
        line: 0,
        message: message.into(),
    }
}

/// The first non-blank line, trimmed.
pub(crate) fn first_line(s: &str) -> Option<String> {
    s.lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .map(str::to_string)
}

/// Cap `s` at [`MAX_OUTPUT`] bytes, keeping its start and end.
pub(crate) fn excerpt(s: &str) -> String {
    if s.len() <= MAX_OUTPUT {
        return s.to_string();
    }
    let half = MAX_OUTPUT / 2;
    let mut a = half;
    while !s.is_char_boundary(a) {
        a -= 1;
    }
    let mut b = s.len() - half;
    while !s.is_char_boundary(b) {
        b += 1;
    }
    format!("{}\n… ({} bytes left out) …\n{}", &s[..a], b - a, &s[b..])
}

/// Append to an output buffer, keeping it bounded (the start and the last part are kept).
pub(crate) fn push_capped(buf: &mut String, s: &str) {
    const HARD: usize = 4 * MAX_OUTPUT;
    if buf.len() + s.len() <= HARD {
        buf.push_str(s);
        return;
    }
    buf.push_str(s);
    // Keep the first MAX_OUTPUT/2 bytes and the last MAX_OUTPUT bytes.
    let keep_head = MAX_OUTPUT / 2;
    let mut a = keep_head.min(buf.len());
    while !buf.is_char_boundary(a) {
        a -= 1;
    }
    let mut b = buf.len().saturating_sub(2 * MAX_OUTPUT).max(a);
    while !buf.is_char_boundary(b) {
        b += 1;
    }
    let tail = buf[b..].to_string();
    buf.truncate(a);
    buf.push_str("\n…\n");
    buf.push_str(&tail);
}

/// A Rust panic report (`thread 'x' panicked at src/lib.rs:20:9:` then the message, or the
/// older `thread 'x' panicked at 'message', src/lib.rs:20:9`): (message, file, line).
pub(crate) fn rust_panic(text: &str) -> Option<(String, Option<String>, Option<u32>)> {
    let mut lines = text.lines();
    while let Some(l) = lines.next() {
        let l = l.trim();
        let Some(p) = l.find("panicked at ") else {
            continue;
        };
        if !l.starts_with("thread '") {
            continue;
        }
        let rest = &l[p + "panicked at ".len()..];
        let location_form = rest.strip_suffix(':').or_else(|| {
            (!rest.starts_with('\'') && split_location(rest).0.is_some()).then_some(rest)
        });
        if let Some(loc) = location_form {
            let msg = lines
                .map(str::trim)
                .find(|x| !x.is_empty())
                .unwrap_or("")
                .to_string();
            let (file, line) = split_location(loc);
            return Some((msg, file, line));
        }
        // Old form: 'message', file:line:col
        if let Some(q) = rest.strip_prefix('\'') {
            if let Some(end) = q.rfind("', ") {
                let (file, line) = split_location(&q[end + 3..]);
                return Some((q[..end].to_string(), file, line));
            }
        }
        return Some((rest.to_string(), None, None));
    }
    None
}

/// `path:line[:col]` -> (path, line).
pub(crate) fn split_location(loc: &str) -> (Option<String>, Option<u32>) {
    let loc = loc.trim().trim_matches(['"', '\'']);
    let loc = loc.strip_prefix("file://").unwrap_or(loc);
    let mut parts = loc.rsplitn(3, ':');
    let last = parts.next();
    let mid = parts.next();
    let first = parts.next();
    match (first, mid, last) {
        (Some(f), Some(l), Some(c)) if l.parse::<u32>().is_ok() && c.parse::<u32>().is_ok() => {
            (Some(f.to_string()), l.parse().ok())
        }
        (_, Some(_), Some(l)) if l.parse::<u32>().is_ok() => {
            let f = loc.rsplit_once(':').map(|(f, _)| f.to_string());
            (f, l.parse().ok())
        }
        _ => (None, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_are_recognised() {
        assert_eq!(
            detect("<?xml version=\"1.0\"?><testsuites/>"),
            Some(Format::Junit)
        );
        assert_eq!(detect("{\"Action\":\"run\"}\n"), Some(Format::GoJson));
        assert_eq!(detect("TAP version 13\nok 1 - a\n"), Some(Format::Tap));
        assert_eq!(
            detect("\nrunning 2 tests\ntest a ... ok\n"),
            Some(Format::Libtest)
        );
        assert_eq!(detect("hello"), None);
        let r = parse("");
        assert_eq!(r.errors[0].message, "the report is empty");
    }

    #[test]
    fn panics_and_locations() {
        let (m, f, l) = rust_panic("thread 'a' (12) panicked at src/lib.rs:20:9:\nboom\n").unwrap();
        assert_eq!(
            (m.as_str(), f.as_deref(), l),
            ("boom", Some("src/lib.rs"), Some(20))
        );
        let (m, f, l) = rust_panic("thread 'a' panicked at 'x, y', tests/a.rs:3:5").unwrap();
        assert_eq!(
            (m.as_str(), f.as_deref(), l),
            ("x, y", Some("tests/a.rs"), Some(3))
        );
        assert_eq!(
            split_location("\"/tmp/a.ts:16:50\""),
            (Some("/tmp/a.ts".into()), Some(16))
        );
        assert_eq!(
            split_location("a_test.go:18"),
            (Some("a_test.go".into()), Some(18))
        );
    }

    #[test]
    fn excerpts_keep_both_ends() {
        let s = "é".repeat(5000);
        let e = excerpt(&s);
        assert!(e.len() < s.len() && e.starts_with('é') && e.ends_with('é'));
        let mut buf = String::new();
        for _ in 0..10_000 {
            push_capped(&mut buf, "line of output\n");
        }
        assert!(buf.len() <= 5 * MAX_OUTPUT);
    }
}
