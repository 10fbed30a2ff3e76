//! Writing a proposal in the file's own format, right after the scenario it derives from.

use crate::diag::TextEdit;
use crate::model::{Document, Scenario, ScenarioOrigin, StepKind};
use crate::span::Span;

use super::Draft;

/// Formats proposals can be written in.
pub fn supported(origin: ScenarioOrigin) -> bool {
    matches!(
        origin,
        ScenarioOrigin::Yaml
            | ScenarioOrigin::YamlNew
            | ScenarioOrigin::MarkdownHeading
            | ScenarioOrigin::MarkdownOneLine
    )
}

pub(super) fn line_start(text: &str, p: usize) -> usize {
    text[..p].rfind('\n').map_or(0, |i| i + 1)
}

/// Just after the newline ending the line that contains `p - 1` (the end of a span).
pub(super) fn after_line(text: &str, end: usize) -> usize {
    let trimmed = text[..end].trim_end().len();
    match text[trimmed..].find('\n') {
        Some(i) => trimmed + i + 1,
        None => text.len(),
    }
}

fn starts_with_blank_line(rest: &str) -> bool {
    match rest.find('\n') {
        Some(i) => rest[..i].trim().is_empty(),
        None => false,
    }
}

pub(super) fn insertion(
    _doc: &Document,
    text: &str,
    sc: &Scenario,
    name: &str,
    id: Option<&str>,
    d: &Draft,
) -> Option<TextEdit> {
    if sc.span.end > text.len() || sc.span.start > sc.span.end {
        return None;
    }
    match sc.origin {
        ScenarioOrigin::Yaml | ScenarioOrigin::YamlNew => yaml(text, sc, name, id, d),
        ScenarioOrigin::MarkdownHeading => markdown(text, sc, name, d),
        ScenarioOrigin::MarkdownOneLine => one_line(text, sc, d),
        _ => None,
    }
}

fn insert_at(text: &str, p: usize, body: String) -> TextEdit {
    let mut new_text = String::new();
    if p == text.len() && !text.is_empty() && !text.ends_with('\n') {
        new_text.push('\n');
    }
    new_text.push_str(&body);
    TextEdit {
        path: String::new(),
        span: Span::empty(p),
        new_text,
    }
}

/// A plain YAML scalar where that reads the same, else single-quoted.
pub fn yaml_scalar(s: &str) -> String {
    let plain = !s.is_empty()
        && s.trim() == s
        && !s.starts_with(|c: char| "[]{}&*!|>'\"%@`#,?:-~".contains(c))
        && !s.contains(": ")
        && !s.contains(" #")
        && !s.ends_with(':')
        && !s.contains(['\t', '\n', '\r'])
        && !matches!(
            s.to_lowercase().as_str(),
            "true" | "false" | "null" | "yes" | "no" | "on" | "off"
        )
        && s.parse::<f64>().is_err();
    if plain {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "''"))
    }
}

fn yaml(text: &str, sc: &Scenario, name: &str, id: Option<&str>, d: &Draft) -> Option<TextEdit> {
    let ls = line_start(text, sc.span.start);
    let line = &text[ls..];
    let indent = line.len() - line.trim_start_matches(' ').len();
    if !line[indent..].starts_with("- ") {
        return None;
    }
    let mut body = yaml_item(indent, name, id, d);
    let p = after_line(text, sc.span.end);
    if starts_with_blank_line(&text[p..]) {
        body.insert(0, '\n');
    }
    Some(insert_at(text, p, body))
}

/// A YAML scenario item at `indent`, tagged proposed.
pub(super) fn yaml_item(indent: usize, name: &str, id: Option<&str>, d: &Draft) -> String {
    let dash = " ".repeat(indent);
    let key = " ".repeat(indent + 2);
    let mut body = String::new();
    match id {
        Some(id) => {
            body.push_str(&format!("{dash}- id: {}\n", yaml_scalar(id)));
            body.push_str(&format!("{key}name: {}\n", yaml_scalar(name)));
        }
        None => body.push_str(&format!("{dash}- name: {}\n", yaml_scalar(name))),
    }
    body.push_str(&format!("{key}tags: [proposed]\n"));
    for (k, steps) in [("given", &d.given), ("when", &d.when), ("then", &d.then)] {
        match steps.len() {
            0 => {}
            1 => body.push_str(&format!("{key}{k}: {}\n", yaml_scalar(&steps[0]))),
            _ => {
                body.push_str(&format!("{key}{k}:\n"));
                for s in steps {
                    body.push_str(&format!("{key}  - {}\n", yaml_scalar(s)));
                }
            }
        }
    }
    body
}

/// A keyword in the file's style: `raw` is how the file writes one (`GIVEN`, `Given`).
fn keyword(raw: &str, word: &str) -> String {
    if raw.chars().any(char::is_alphabetic)
        && raw
            .chars()
            .filter(|c| c.is_alphabetic())
            .all(char::is_uppercase)
    {
        word.to_uppercase()
    } else {
        word.to_string()
    }
}

fn markdown(text: &str, sc: &Scenario, name: &str, d: &Draft) -> Option<TextEdit> {
    let first = sc.steps().min_by_key(|s| s.span.rel_start)?;
    let last_end = sc.steps().map(|s| sc.abs(s.span).end).max()?;
    if sc.name_span.start > text.len() || sc.name_span.is_empty() {
        return None;
    }
    let heading_prefix = &text[line_start(text, sc.name_span.start)..sc.name_span.start];
    if !heading_prefix.trim_start().starts_with('#') {
        return None;
    }
    let step_ls = line_start(text, sc.abs(first.span).start);
    let prefix = &text[step_ls..sc.abs(first.text_span).start];
    let raw: String = first
        .keyword
        .chars()
        .filter(|c| c.is_alphabetic())
        .collect();
    if raw.is_empty() || !prefix.contains(raw.as_str()) {
        return None;
    }
    let heading_end = after_line(text, sc.name_span.end);
    let sep = if text[heading_end.min(step_ls)..step_ls]
        .lines()
        .any(|l| l.trim().is_empty())
    {
        "\n"
    } else {
        ""
    };
    let mut body = String::from("\n");
    body.push_str(heading_prefix);
    body.push_str(name);
    body.push_str("\n@proposed\n");
    body.push_str(sep);
    for (kind, steps) in [
        (StepKind::Given, &d.given),
        (StepKind::When, &d.when),
        (StepKind::Then, &d.then),
    ] {
        for (i, s) in steps.iter().enumerate() {
            let word = match (i, kind) {
                (0, StepKind::Given) => "Given",
                (0, StepKind::When) => "When",
                (0, StepKind::Then) => "Then",
                _ => "And",
            };
            body.push_str(&prefix.replacen(raw.as_str(), &keyword(&raw, word), 1));
            body.push_str(s);
            body.push('\n');
        }
    }
    let p = after_line(text, last_end);
    let rest = &text[p..];
    if !rest.is_empty() && !starts_with_blank_line(rest) {
        body.push('\n');
    }
    Some(insert_at(text, p, body))
}

fn one_line(text: &str, sc: &Scenario, d: &Draft) -> Option<TextEdit> {
    let ls = line_start(text, sc.span.start);
    let first = sc.steps().min_by_key(|s| s.span.rel_start)?;
    let prefix = &text[ls..sc.abs(first.span).start];
    let kw_given = sc.given.first().map(|s| s.keyword.as_str());
    let style_bold = kw_given.unwrap_or(&first.keyword).starts_with("**");
    let kw = |w: &str| {
        if style_bold {
            format!("**{w}**")
        } else {
            w.to_string()
        }
    };
    // Keep the list marker; number the new item after the scenario's own.
    let trimmed = prefix.trim_start();
    let lead = &prefix[..prefix.len() - trimmed.len()];
    let digits: String = trimmed.chars().take_while(char::is_ascii_digit).collect();
    let marker = if !digits.is_empty() && trimmed[digits.len()..].starts_with(". ") {
        format!("{}. ", digits.parse::<u64>().ok()? + 1)
    } else if trimmed.starts_with("- ") || trimmed.starts_with("* ") {
        trimmed[..2].to_string()
    } else {
        String::new()
    };
    let mut parts = Vec::new();
    for (w, steps) in [("Given", &d.given), ("When", &d.when), ("Then", &d.then)] {
        if steps.is_empty() {
            continue;
        }
        parts.push(format!("{} {}", kw(w), steps.join(" and ")));
    }
    let mut body = format!("{lead}{marker}{} (proposed)\n", parts.join(", "));
    let p = after_line(text, sc.span.end);
    let _ = &mut body;
    Some(insert_at(text, p, body))
}
