//! Small text helpers: quoted values, numbers with their unit word, and stated limits.

use crate::model::Document;

/// Lower-case words (letters, digits, `'`, `-`).
pub fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !(c.is_alphanumeric() || c == '\'' || c == '-'))
        .filter(|w| !w.is_empty())
        .map(|w| w.to_lowercase())
        .collect()
}

/// The text with quoted values and numbers removed (what the step does, not with what).
pub fn strip_values(text: &str) -> String {
    let mut s = text.to_string();
    for q in quoted(text).into_iter().rev() {
        s.replace_range(q.start..q.end, " ");
    }
    s.chars()
        .map(|c| if c.is_ascii_digit() { ' ' } else { c })
        .collect()
}

/// A quoted value in a step: `"x"`, `` `x` `` or `“x”`.
#[derive(Clone, Debug)]
pub struct Quoted {
    pub value: String,
    pub open: &'static str,
    pub close: &'static str,
    /// Byte range of the whole quoted value including the quotes.
    pub start: usize,
    pub end: usize,
}

pub fn quoted(text: &str) -> Vec<Quoted> {
    let mut out = Vec::new();
    let pairs: [(&'static str, &'static str); 3] =
        [("\"", "\""), ("`", "`"), ("\u{201c}", "\u{201d}")];
    let mut i = 0;
    while i < text.len() {
        let rest = &text[i..];
        let found = pairs.iter().find(|(o, _)| rest.starts_with(o));
        if let Some((o, c)) = found {
            let from = i + o.len();
            if let Some(len) = text[from..].find(c) {
                out.push(Quoted {
                    value: text[from..from + len].to_string(),
                    open: o,
                    close: c,
                    start: i,
                    end: from + len + c.len(),
                });
                i = from + len + c.len();
                continue;
            }
            break;
        }
        i += rest.chars().next().map_or(1, char::len_utf8);
    }
    out
}

impl Quoted {
    /// Free text (not a number, date, time, url or identifier-like token).
    pub fn is_text(&self) -> bool {
        let v = self.value.trim();
        if v.is_empty() || v.len() > 200 {
            return false;
        }
        if v.chars().all(|c| c.is_ascii_digit() || ".:-/ ".contains(c)) {
            return false;
        }
        if v.starts_with("http") || v.starts_with('/') || v.contains("://") {
            return false;
        }
        // Identifiers in code style (`snake_case`, `CamelCase`) are names, not inputs.
        if self.open == "`" && !v.contains(' ') && !v.contains('@') {
            return false;
        }
        true
    }

    /// `text` with this quoted value replaced by `value` (same quotes).
    pub fn replace_in(&self, text: &str, value: &str) -> String {
        format!(
            "{}{}{value}{}{}",
            &text[..self.start],
            self.open,
            self.close,
            &text[self.end..]
        )
    }

    /// `text` with the quoted value (quotes included) replaced by `with`.
    pub fn replace_quoted_with(&self, text: &str, with: &str) -> String {
        let before = text[..self.start].trim_end();
        format!("{before} {with}{}", &text[self.end..])
    }

    /// Every occurrence of this quoted value in `text` replaced by `value`.
    pub fn replace_value_everywhere(&self, text: &str, value: &str) -> String {
        let from = format!("{}{}{}", self.open, self.value, self.close);
        let to = format!("{}{value}{}", self.open, self.close);
        text.replace(&from, &to)
    }
}

/// A number in a step, with the word after it (its unit: `characters`, `people`).
#[derive(Clone, Debug)]
pub struct NumberAt {
    pub value: f64,
    pub unit: Option<String>,
    pub start: usize,
    pub end: usize,
    pub raw: String,
}

impl NumberAt {
    pub fn replace(&self, text: &str, v: &str) -> String {
        format!("{}{v}{}", &text[..self.start], &text[self.end..])
    }
    /// `t` with this number (followed by the same unit) replaced by `v`.
    pub fn replace_value_in(&self, t: &str, v: &str) -> String {
        match &self.unit {
            Some(u) => t.replace(&format!("{} {u}", self.raw), &format!("{v} {u}")),
            None => t.to_string(),
        }
    }
}

/// Numbers outside quotes that are quantities: not part of dates, times, ids or versions.
pub fn numbers(text: &str) -> Vec<NumberAt> {
    let q = quoted(text);
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if !b[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len()
            && (b[i].is_ascii_digit()
                || (b[i] == b'.' && i + 1 < b.len() && b[i + 1].is_ascii_digit()))
        {
            i += 1;
        }
        let end = i;
        if q.iter().any(|q| q.start <= start && start < q.end) {
            continue;
        }
        let prev = text[..start].chars().next_back();
        let next = text[end..].chars().next();
        let glued =
            |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || "-:/_#.@".contains(c));
        if glued(prev) || glued(next) && next != Some('.') {
            continue;
        }
        if next == Some('.') && text[end + 1..].starts_with(|c: char| c.is_alphanumeric()) {
            continue;
        }
        let before = words(&text[..start]);
        if before.last().is_some_and(|w| {
            matches!(
                w.as_str(),
                "id" | "task"
                    | "order"
                    | "number"
                    | "no"
                    | "version"
                    | "room"
                    | "step"
                    | "item"
                    | "page"
                    | "issue"
                    | "ticket"
            )
        }) {
            continue;
        }
        let raw = text[start..end].to_string();
        let Ok(value) = raw.parse::<f64>() else {
            continue;
        };
        let unit = words(&text[end..])
            .into_iter()
            .next()
            .filter(|w| w.chars().all(char::is_alphabetic));
        out.push(NumberAt {
            value,
            unit,
            start,
            end,
            raw,
        });
    }
    out
}

pub fn fmt_num(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

/// A limit the spec states: "at most 200 characters", `maximum: 20` in a `yaml:schema`.
#[derive(Clone, Debug)]
pub struct Limit {
    pub value: f64,
    pub unit: Option<String>,
    /// An upper bound (`at most`, `maximum`) rather than a lower one.
    pub upper: bool,
    /// Where it was stated, quoted for the rationale.
    pub source: String,
    /// The schema property it bounds (`n` for `maximum: 20` under `n:`), for schema limits.
    pub prop: Option<String>,
}

const UPPER: &[&str] = &[
    "at most",
    "up to",
    "no more than",
    "maximum of",
    "maximum",
    "max",
    "longer than",
    "more than",
    "over",
    "exceeds",
    "exceed",
];
const LOWER: &[&str] = &[
    "at least",
    "minimum of",
    "minimum",
    "min",
    "fewer than",
    "less than",
    "shorter than",
];

pub fn limits(doc: &Document, text: &str) -> Vec<Limit> {
    let mut out = Vec::new();
    let mut texts: Vec<&str> = Vec::new();
    for s in &doc.scenarios {
        texts.push(&s.name);
        texts.extend(s.steps().map(|st| st.text.as_str()));
    }
    texts.extend(doc.requirements.iter().map(|r| r.text.as_str()));
    texts.extend(doc.behaviors.iter().map(|b| b.text.as_str()));
    for t in texts {
        // A limit quoted in a step ("at most 500 euros per card") is still a limit.
        let l = t
            .to_lowercase()
            .replace(['"', '`', '\u{201c}', '\u{201d}'], " ");
        for n in numbers(&l) {
            let before = l[..n.start].trim_end();
            let upper = UPPER.iter().any(|p| before.ends_with(p));
            let lower = LOWER.iter().any(|p| before.ends_with(p));
            if !(upper || lower) || n.unit.is_none() {
                continue;
            }
            // "longer than 200" / "more than 200" state the limit 200 too.
            let lim = Limit {
                value: n.value,
                unit: n.unit.clone(),
                upper,
                source: format!("\"{}\"", t.trim()),
                prop: None,
            };
            if !out
                .iter()
                .any(|o: &Limit| o.value == lim.value && o.unit == lim.unit && o.upper == lim.upper)
            {
                out.push(lim);
            }
        }
    }
    // `yaml:schema` blocks: `maxLength: N` (characters), `maximum: N` (the property's name).
    for b in doc
        .blocks
        .iter()
        .filter(|b| b.info.starts_with("yaml:schema") || b.info == "yaml schema")
    {
        let Some(content) = text.get(b.content_span.start..b.content_span.end) else {
            continue;
        };
        let mut stack: Vec<(usize, String)> = Vec::new();
        for line in content.lines() {
            let indent = line.len() - line.trim_start().len();
            let Some((k, v)) = line.trim().split_once(':') else {
                continue;
            };
            let k = k.trim().trim_start_matches("- ").to_string();
            let v = v.trim();
            while stack.last().is_some_and(|(i, _)| *i >= indent) {
                stack.pop();
            }
            let prop = stack.iter().rev().map(|(_, k)| k.as_str()).find(|k| {
                !matches!(
                    *k,
                    "properties" | "items" | "inputs" | "outputs" | "type" | "schema"
                )
            });
            if let (Ok(value), Some(prop)) = (v.parse::<f64>(), prop) {
                let (unit, upper) = match k.as_str() {
                    "maxLength" | "max_length" => (Some("characters".to_string()), true),
                    "minLength" | "min_length" => (Some("characters".to_string()), false),
                    "maximum" | "max" | "maxItems" => (Some(prop.replace('_', " ")), true),
                    "minimum" | "min" | "minItems" => (Some(prop.replace('_', " ")), false),
                    _ => (None, false),
                };
                if unit.is_some() {
                    out.push(Limit {
                        value,
                        unit,
                        upper,
                        source: format!("`{k}: {v}` of `{prop}` in the schema"),
                        prop: Some(prop.to_string()),
                    });
                }
            }
            if v.is_empty() {
                stack.push((indent, k));
            }
        }
    }
    out
}
