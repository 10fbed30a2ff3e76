//! JUnit XML, read with a small tolerant scanner (no XML library: the subset runners write is
//! tags with attributes, text, CDATA, comments and the five entities plus character
//! references). One pass, linear in the input.
//!
//! Read: `testsuite` (`name`, nested suites), `testcase` (`name`, `classname`, `file`, `line`,
//! `time`, behave's `status`, node's `failure` attribute), `failure`/`error`/`skipped` (with
//! `message` and text), `system-out`/`system-err`. Everything else is skipped.

use std::borrow::Cow;

use super::{err, excerpt, first_line, push_capped, rust_panic, ParseError, Status, TestResult};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Capture {
    None,
    Problem,
    Output,
}

struct Case {
    result: TestResult,
    /// Failure/error/skip text.
    problem: String,
    out: String,
    offset: usize,
}

pub(super) fn parse(text: &str, errors: &mut Vec<ParseError>) -> Vec<TestResult> {
    let b = text.as_bytes();
    let n = b.len();
    let mut results = Vec::new();
    let mut suites: Vec<String> = Vec::new();
    let mut case: Option<Case> = None;
    let mut capture = Capture::None;
    let mut i = 0usize;
    let mut saw_root = false;
    let mut open_elements: Vec<(String, usize)> = Vec::new();

    while i < n {
        // Text up to the next tag.
        let next = memchr(b, i, b'<').unwrap_or(n);
        if next > i {
            if let Some(c) = case.as_mut().filter(|_| capture != Capture::None) {
                append(c, capture, &decode_cow(&text[i..next]));
            }
            i = next;
            if i >= n {
                break;
            }
        }
        // i at '<'
        let rest = &text[i..];
        if rest.starts_with("<!--") {
            match rest.find("-->") {
                Some(e) => i += e + 3,
                None => {
                    errors.push(err(
                        i,
                        "the report ends inside a comment (`<!--` without `-->`)",
                    ));
                    i = n;
                }
            }
            continue;
        }
        if rest.starts_with("<![CDATA[") {
            match rest.find("]]>") {
                Some(e) => {
                    if let Some(c) = case.as_mut() {
                        append(c, capture, &rest[9..e]);
                    }
                    i += e + 3;
                }
                None => {
                    if let Some(c) = case.as_mut() {
                        append(c, capture, rest.strip_prefix("<![CDATA[").unwrap_or(rest));
                    }
                    errors.push(err(
                        i,
                        "the report ends inside a CDATA section (`<![CDATA[` without `]]>`)",
                    ));
                    i = n;
                }
            }
            continue;
        }
        if rest.starts_with("<?") || rest.starts_with("<!") {
            match rest.find('>') {
                Some(e) => i += e + 1,
                None => {
                    errors.push(err(i, "the report ends inside a declaration"));
                    i = n;
                }
            }
            continue;
        }
        // A start or end tag: find its '>' outside quotes.
        let Some(end) = tag_end(b, i + 1) else {
            errors.push(err(
                i,
                format!("the report ends inside a tag (`{}`)", short(&text[i..])),
            ));
            break;
        };
        let inner = &text[i + 1..end];
        let tag_at = i;
        i = end + 1;
        if let Some(name) = inner.strip_prefix('/') {
            let name = name.trim();
            // End tag.
            match open_elements.iter().rposition(|(e, _)| e == name) {
                Some(p) => {
                    for (unclosed, at) in open_elements.drain(p + 1..) {
                        errors.push(err(
                            at,
                            format!("`<{unclosed}>` is not closed before `</{name}>`"),
                        ));
                    }
                    open_elements.pop();
                }
                None => {
                    errors.push(err(tag_at, format!("`</{name}>` closes nothing")));
                    continue;
                }
            }
            match name {
                "testsuite" => {
                    suites.pop();
                }
                "testcase" => {
                    if let Some(c) = case.take() {
                        results.push(finish(c));
                    }
                    capture = Capture::None;
                }
                "failure" | "error" | "skipped" | "system-out" | "system-err" | "rerunFailure"
                | "flakyFailure" => capture = Capture::None,
                _ => {}
            }
            continue;
        }
        let self_closing = inner.ends_with('/');
        let inner = inner.strip_suffix('/').unwrap_or(inner);
        let name_end = inner
            .find(|c: char| c.is_whitespace())
            .unwrap_or(inner.len());
        let name = &inner[..name_end];
        if name.is_empty() {
            errors.push(err(tag_at, "a `<` that starts no tag"));
            continue;
        }
        let attrs = Attrs::parse(&inner[name_end..], tag_at, errors);
        if !self_closing {
            open_elements.push((name.to_string(), tag_at));
            if open_elements.len() > 256 {
                errors.push(err(
                    tag_at,
                    "elements nested deeper than 256; the rest is not read",
                ));
                break;
            }
        }
        saw_root = true;
        match name {
            "testsuite" if !self_closing => {
                suites.push(attrs.get("name").unwrap_or_default());
            }
            "testcase" => {
                if let Some(c) = case.take() {
                    // A testcase inside a testcase: close the first one.
                    errors.push(err(
                        c.offset,
                        "`<testcase>` is not closed before the next one",
                    ));
                    results.push(finish(c));
                }
                let mut r = TestResult::new(attrs.get("name").unwrap_or_default());
                r.class = attrs.get("classname").filter(|s| !s.is_empty());
                r.suite = suites.last().cloned().filter(|s| !s.is_empty());
                r.file = attrs.get("file").filter(|s| !s.is_empty());
                r.line = attrs.value("line").and_then(|l| l.trim().parse().ok());
                r.duration_ms = attrs
                    .value("time")
                    .map(str::trim)
                    .and_then(|t| {
                        if t.contains(',') {
                            t.replace(',', "").parse::<f64>().ok()
                        } else {
                            t.parse::<f64>().ok()
                        }
                    })
                    .map(super::ms);
                match attrs.value("status") {
                    Some("skipped" | "untested" | "disabled") => r.status = Status::Skipped,
                    Some("failed") => r.status = Status::Failed,
                    Some("error") => r.status = Status::Error,
                    _ => {}
                }
                let c = Case {
                    result: r,
                    problem: String::new(),
                    out: String::new(),
                    offset: tag_at,
                };
                if self_closing {
                    results.push(finish(c));
                } else {
                    case = Some(c);
                    capture = Capture::None;
                }
            }
            "failure" | "error" | "skipped" => {
                if let Some(c) = case.as_mut() {
                    let status = match name {
                        "failure" => Status::Failed,
                        "error" => Status::Error,
                        _ => Status::Skipped,
                    };
                    // A failure wins over a skip; an error over a failure.
                    let rank = |s: Status| match s {
                        Status::Passed => 0,
                        Status::Skipped => 1,
                        Status::Failed => 2,
                        Status::Error => 3,
                    };
                    if rank(status) >= rank(c.result.status) {
                        c.result.status = status;
                    }
                    if let Some(m) = attrs.get("message").filter(|m| !m.trim().is_empty()) {
                        if c.result.message.is_none() || status != Status::Skipped {
                            c.result.message = Some(m);
                        }
                    }
                    if !self_closing {
                        capture = Capture::Problem;
                    }
                }
            }
            "system-out" | "system-err" if case.is_some() && !self_closing => {
                capture = Capture::Output;
            }
            _ => {}
        }
    }
    if let Some(mut c) = case.take() {
        errors.push(err(
            n,
            format!(
                "the report ends inside test case `{}`; its result is not known",
                c.result.name
            ),
        ));
        if c.result.status == Status::Passed {
            c.result.status = Status::Error;
            c.result.message = Some("the report ends before this test case's end".into());
        }
        results.push(finish(c));
    }
    if let Some((name, at)) = open_elements.first() {
        if !errors.iter().any(|e| e.offset == n) {
            errors.push(err(
                *at,
                format!("the report ends before `</{name}>`: it may be cut off"),
            ));
        }
    }
    if !saw_root {
        errors.push(err(0, "no XML elements found: not a JUnit report"));
    }
    results
}

fn append(c: &mut Case, capture: Capture, s: &str) {
    match capture {
        Capture::Problem => push_capped(&mut c.problem, s),
        Capture::Output => push_capped(&mut c.out, s),
        Capture::None => {}
    }
}

fn finish(c: Case) -> TestResult {
    let mut r = c.result;
    let problem = c.problem.trim_matches(['\n', '\r']);
    // Rust panics: the message is the line after "thread '...' panicked at ...".
    let panic = if r.status == Status::Failed || r.status == Status::Error {
        rust_panic(r.message.as_deref().unwrap_or(""))
            .filter(|(m, _, _)| !m.is_empty())
            .or_else(|| rust_panic(problem))
    } else {
        None
    };
    if let Some((msg, file, line)) = panic {
        if !msg.is_empty() {
            r.message = Some(msg);
        }
        if r.file.is_none() {
            r.file = file;
            r.line = r.line.or(line);
        }
    }
    r.message = r.message.as_deref().and_then(first_line).or_else(|| {
        if r.status != Status::Passed {
            first_line(problem)
        } else {
            None
        }
    });
    let mut output = String::new();
    if !problem.trim().is_empty() {
        output.push_str(problem);
    }
    let out = c.out.trim_matches(['\n', '\r']);
    if !out.trim().is_empty() {
        if !output.is_empty() {
            output.push_str("\n\n");
        }
        output.push_str(out);
    }
    r.output = (!output.is_empty()).then(|| excerpt(&output));
    r
}

fn short(s: &str) -> String {
    let mut t: String = s.chars().take(40).collect();
    if t.len() < s.len() {
        t.push('…');
    }
    t.replace('\n', " ")
}

fn memchr(b: &[u8], from: usize, c: u8) -> Option<usize> {
    b.get(from..)?
        .iter()
        .position(|&x| x == c)
        .map(|p| p + from)
}

/// The `>` ending a tag that starts before `from`, skipping quoted attribute values.
fn tag_end(b: &[u8], from: usize) -> Option<usize> {
    let mut quote: Option<u8> = None;
    let mut i = from;
    while i < b.len() {
        let c = b[i];
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == b'"' || c == b'\'' => quote = Some(c),
            None if c == b'>' => return Some(i),
            None => {}
        }
        i += 1;
    }
    None
}

/// The attributes of a tag: names and values borrowed from the report (values decoded only
/// when they hold an entity).
struct Attrs<'a> {
    items: Vec<(&'a str, Cow<'a, str>)>,
}

impl<'a> Attrs<'a> {
    fn parse(s: &'a str, at: usize, errors: &mut Vec<ParseError>) -> Attrs<'a> {
        let b = s.as_bytes();
        let mut items = Vec::new();
        let mut i = 0;
        while i < b.len() {
            while i < b.len() && b[i].is_ascii_whitespace() {
                i += 1;
            }
            let start = i;
            while i < b.len() && !b[i].is_ascii_whitespace() && b[i] != b'=' {
                i += 1;
            }
            if start == i {
                i += 1;
                continue;
            }
            let key = &s[start..i];
            while i < b.len() && b[i].is_ascii_whitespace() {
                i += 1;
            }
            if b.get(i) != Some(&b'=') {
                items.push((key, Cow::Borrowed("")));
                continue;
            }
            i += 1;
            while i < b.len() && b[i].is_ascii_whitespace() {
                i += 1;
            }
            match b.get(i) {
                Some(&q @ (b'"' | b'\'')) => {
                    let vs = i + 1;
                    let ve = memchr(b, vs, q).unwrap_or(b.len());
                    items.push((key, decode_cow(&s[vs..ve])));
                    i = ve + 1;
                }
                Some(_) => {
                    let vs = i;
                    while i < b.len() && !b[i].is_ascii_whitespace() {
                        i += 1;
                    }
                    errors.push(err(at, format!("attribute `{key}` has an unquoted value")));
                    items.push((key, decode_cow(&s[vs..i])));
                }
                None => {
                    errors.push(err(at, format!("attribute `{key}` has no value")));
                }
            }
        }
        Attrs { items }
    }

    /// The value of the last attribute named `key`.
    fn value(&self, key: &str) -> Option<&str> {
        self.items
            .iter()
            .rev()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.as_ref())
    }

    fn get(&self, key: &str) -> Option<String> {
        self.value(key).map(str::to_string)
    }
}

/// [`decode`], borrowing text without entities.
fn decode_cow(s: &str) -> Cow<'_, str> {
    if s.contains('&') {
        Cow::Owned(decode(s))
    } else {
        Cow::Borrowed(s)
    }
}

/// Decode the five XML entities and character references; unknown entities stay as written.
pub(crate) fn decode(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(p) = rest.find('&') {
        out.push_str(&rest[..p]);
        rest = &rest[p..];
        let end = rest.as_bytes()[..rest.len().min(12)]
            .iter()
            .position(|&c| c == b';');
        let decoded = end.and_then(|e| {
            let ent = &rest[1..e];
            let c = match ent {
                "lt" => Some('<'),
                "gt" => Some('>'),
                "amp" => Some('&'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                _ => {
                    let num = ent.strip_prefix('#')?;
                    let v = match num.strip_prefix(['x', 'X']) {
                        Some(h) => u32::from_str_radix(h, 16).ok()?,
                        None => num.parse().ok()?,
                    };
                    char::from_u32(v)
                }
            }?;
            Some((c, e + 1))
        });
        match decoded {
            Some((c, len)) => {
                out.push(c);
                rest = &rest[len..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entities() {
        assert_eq!(
            decode("a &lt;b&gt; &amp;&#10;&#x41;&bogus; &"),
            "a <b> &\nA&bogus; &"
        );
    }

    #[test]
    fn nested_suites_and_cut_off_cases() {
        let mut errors = Vec::new();
        let r = parse(
            "<testsuites><testsuite name=\"outer\"><testsuite name=\"inner\"><testcase name=\"a\"/></testsuite><testcase name=\"b\" time=\"0.5\"><failure message='m&apos;1\nmore'>text",
            &mut errors,
        );
        assert_eq!(r.len(), 2);
        assert_eq!(r[0].suite.as_deref(), Some("inner"));
        assert_eq!(r[1].suite.as_deref(), Some("outer"));
        assert_eq!(r[1].status, Status::Failed);
        assert_eq!(r[1].message.as_deref(), Some("m'1"));
        assert_eq!(r[1].duration_ms, Some(500.0));
        assert!(
            errors[0].message.contains("ends inside test case `b`"),
            "{errors:?}"
        );
    }
}
