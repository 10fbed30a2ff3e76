//! TAP (13/14): `ok N - description # SKIP|TODO reason`, `not ok ...`, plans, `Bail out!`,
//! YAML diagnostics blocks (`---` ... `...`) after a result, indented subtests with
//! `# Subtest: name` (node:test) or `{` ... `}` groups (vitest's `tap` reporter), and vitest's
//! `# time=1.5ms` directive. Groups (a line opening `{`, node results of `type: 'suite'`) are
//! not results themselves; their names become the results' `class`.

use super::{err, excerpt, split_location, ParseError, Status, TestResult};

/// `ok ...` / `not ok ...`
pub(super) fn is_result_line(l: &str) -> bool {
    let l = l.trim_start();
    let rest = l.strip_prefix("not ok").or_else(|| l.strip_prefix("ok"));
    rest.is_some_and(|r| r.is_empty() || r.starts_with([' ', '\t']))
}

/// `1..N`
pub(super) fn is_plan(l: &str) -> bool {
    let l = l.trim();
    l.split_once("..").is_some_and(|(a, b)| {
        !a.is_empty()
            && a.bytes().all(|c| c.is_ascii_digit())
            && b.split_whitespace()
                .next()
                .is_some_and(|n| n.bytes().all(|c| c.is_ascii_digit()))
    })
}

struct Pending {
    result: TestResult,
    indent: usize,
    yaml: Vec<String>,
    in_yaml: bool,
    yaml_indent: usize,
    is_group: bool,
}

pub(super) fn parse(text: &str, errors: &mut Vec<ParseError>) -> Vec<TestResult> {
    let mut results = Vec::new();
    // Group names: (indent, name) from `# Subtest:` lines and `{` results.
    let mut subtests: Vec<(usize, String)> = Vec::new();
    let mut groups: Vec<String> = Vec::new();
    let mut pending: Option<Pending> = None;
    let mut offset = 0usize;
    let mut plan: Option<(usize, usize)> = None; // (count, offset) of the top-level plan
    let mut top_level = 0usize;
    let mut bailed = false;

    for raw in text.split_inclusive('\n') {
        let at = offset;
        offset += raw.len();
        let line = raw.trim_end_matches(['\n', '\r']);
        let indent = line.len() - line.trim_start().len();
        let t = line.trim();

        // Inside a YAML block of the last result.
        if let Some(p) = pending.as_mut() {
            if p.in_yaml {
                if t == "..." && indent <= p.yaml_indent + 1 {
                    p.in_yaml = false;
                } else if p.yaml.len() < 400 {
                    p.yaml.push(
                        line.get(p.yaml_indent.min(indent)..)
                            .unwrap_or(line)
                            .to_string(),
                    );
                }
                continue;
            }
            if t == "---" && indent > p.indent {
                p.in_yaml = true;
                p.yaml_indent = indent;
                continue;
            }
        }
        if t.is_empty() {
            continue;
        }
        if let Some(name) = t.strip_prefix("# Subtest:") {
            flush(&mut pending, &mut results);
            subtests.retain(|(i, _)| *i < indent);
            subtests.push((indent, name.trim().to_string()));
            continue;
        }
        if t == "}" {
            flush(&mut pending, &mut results);
            groups.pop();
            continue;
        }
        if let Some(reason) = t.strip_prefix("Bail out!") {
            flush(&mut pending, &mut results);
            errors.push(err(at, format!("the run bailed out: {}", reason.trim())));
            bailed = true;
            continue;
        }
        if is_plan(t) {
            if indent == 0 && plan.is_none() {
                let n = t
                    .split("..")
                    .nth(1)
                    .and_then(|b| b.split_whitespace().next())
                    .and_then(|b| b.parse().ok())
                    .unwrap_or(0);
                plan = Some((n, at));
            }
            continue;
        }
        if is_result_line(t) {
            flush(&mut pending, &mut results);
            if indent == 0 {
                top_level += 1;
            }
            let ok = t.starts_with("ok");
            let rest = t
                .strip_prefix("not ok")
                .or_else(|| t.strip_prefix("ok"))
                .unwrap_or("");
            let mut rest = rest.trim_start();
            // The number.
            let num_len = rest.bytes().take_while(u8::is_ascii_digit).count();
            rest = rest[num_len..].trim_start();
            rest = rest.strip_prefix("- ").unwrap_or(rest);
            let opens_group = rest.trim_end().ends_with('{');
            let rest = rest.trim_end().trim_end_matches('{').trim_end();
            // Directives after an unescaped '#'.
            let (desc, directive) = split_directive(rest);
            let mut r = TestResult::new(desc.trim().to_string());
            r.status = if ok { Status::Passed } else { Status::Failed };
            if let Some(d) = directive {
                let lower = d.to_ascii_lowercase();
                if lower.starts_with("skip") || lower.starts_with("todo") {
                    r.status = Status::Skipped;
                    let reason = d
                        .get(4..)
                        .unwrap_or("")
                        .trim()
                        .trim_start_matches(':')
                        .trim();
                    r.message = Some(if reason.is_empty() {
                        lower[..4].to_string()
                    } else {
                        reason.to_string()
                    });
                }
                if let Some(time) = lower
                    .split_whitespace()
                    .find_map(|w| w.strip_prefix("time="))
                {
                    r.duration_ms = parse_ms(time);
                }
            }
            // Parents: `{` groups and `# Subtest:` names above this indentation.
            let mut parents: Vec<String> = groups.clone();
            parents.extend(
                subtests
                    .iter()
                    .filter(|(i, _)| *i < indent)
                    .map(|(_, n)| n.clone()),
            );
            if !parents.is_empty() {
                r.class = Some(parents.join(" > "));
            }
            subtests.retain(|(i, _)| *i < indent);
            if opens_group {
                groups.push(r.name.clone());
            }
            pending = Some(Pending {
                result: r,
                indent,
                yaml: Vec::new(),
                in_yaml: false,
                yaml_indent: 0,
                is_group: opens_group,
            });
            continue;
        }
        // Anything else (comments, console output) is ignored.
    }
    if pending.as_ref().is_some_and(|p| p.in_yaml) {
        errors.push(err(
            text.len(),
            "the report ends inside a YAML block (`---` without `...`)",
        ));
    }
    flush(&mut pending, &mut results);
    if !groups.is_empty() {
        errors.push(err(
            text.len(),
            format!(
                "the report ends inside group `{}` (no closing `}}`): it may be cut off",
                groups.join(" > ")
            ),
        ));
    }
    if let Some((n, at)) = plan {
        if top_level < n && !bailed {
            errors.push(err(at, format!("the plan says {n} tests but {top_level} results were read: the report may be cut off")));
        }
    } else if !bailed && !results.is_empty() && !text.contains("\n1..") && !text.starts_with("1..")
    {
        errors.push(err(
            text.len(),
            "the report has no plan (`1..N`): it may be cut off",
        ));
    }
    results
}

fn split_directive(s: &str) -> (&str, Option<&str>) {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'#' => return (&s[..i], Some(s[i + 1..].trim())),
            _ => i += 1,
        }
    }
    (s, None)
}

fn parse_ms(s: &str) -> Option<f64> {
    let s = s.trim();
    if let Some(v) = s.strip_suffix("ms") {
        return v.parse().ok();
    }
    if let Some(v) = s.strip_suffix('s') {
        return v.parse::<f64>().ok().map(|v| v * 1000.0);
    }
    s.parse().ok()
}

fn flush(pending: &mut Option<Pending>, results: &mut Vec<TestResult>) {
    let Some(p) = pending.take() else {
        return;
    };
    let mut r = p.result;
    let yaml = &p.yaml;
    let mut is_suite = p.is_group;
    let mut message: Option<String> = None;
    for (k, line) in yaml.iter().enumerate() {
        let t = line.trim();
        let Some((key, value)) = t.split_once(':') else {
            continue;
        };
        let value = value.trim();
        match key.trim() {
            "type" if unquote(value) == "suite" => is_suite = true,
            "duration_ms" if r.duration_ms.is_none() => {
                r.duration_ms = value.parse().ok();
            }
            "at" | "location" if r.file.is_none() => {
                let (f, l) = split_location(&unquote(value));
                r.file = f;
                r.line = l;
            }
            "message" if message.is_none() => {
                message = Some(unquote(value)).filter(|m| !m.is_empty());
            }
            "error" if message.is_none() => {
                if value.starts_with('|') || value.starts_with('>') {
                    // A block scalar: its first non-blank line.
                    message = yaml[k + 1..]
                        .iter()
                        .map(|l| l.trim())
                        .find(|l| !l.is_empty())
                        .map(str::to_string);
                } else if !value.is_empty() {
                    message = Some(unquote(value));
                }
            }
            _ => {}
        }
    }
    if is_suite {
        return;
    }
    if r.status != Status::Passed && r.status != Status::Skipped {
        r.message = message.and_then(|m| super::first_line(&m));
    } else if r.message.is_none() && r.status == Status::Skipped {
        r.message = message;
    }
    if !yaml.is_empty() && r.status != Status::Passed {
        r.output = Some(excerpt(yaml.join("\n").trim_end()));
    }
    results.push(r);
}

/// A YAML scalar without its quotes (double-quoted ones decoded as JSON strings).
fn unquote(v: &str) -> String {
    let v = v.trim();
    if v.len() >= 2 && v.starts_with('"') && v.ends_with('"') {
        if let Ok(s) = serde_json::from_str::<String>(v) {
            return s;
        }
        return v[1..v.len() - 1].to_string();
    }
    if v.len() >= 2 && v.starts_with('\'') && v.ends_with('\'') {
        return v[1..v.len() - 1].replace("''", "'");
    }
    v.to_string()
}
