//! Load cases for constraints: a constraint measured under a load ("p95 latency < 100ms",
//! measured "under load of 1000 requests/second") gets two scenarios, one at the stated load
//! (the constraint holds) and one just above it (excess load is refused or queued, never
//! dropped silently, and the bound holds again once the load is back).

use crate::model::{Constraint, Document};

use super::{text, Draft, EdgeKind};

/// A load stated in a constraint: `1000 requests/second`, `500 rps`, `10,000 concurrent users`.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Load {
    pub value: f64,
    /// The unit as written (`requests/second`, `requests per minute per user`, `rps`).
    pub unit: String,
    /// The constraint bounds the load itself (`Max 100 requests per minute`).
    pub own: bool,
}

const TIME: &[&str] = &[
    "s", "sec", "second", "seconds", "min", "minute", "minutes", "h", "hour", "hours",
];
const SHORT: &[&str] = &["rps", "qps", "tps", "rpm", "req/s", "ops/s"];

/// The first load in `s`: a number (commas allowed) followed by a rate unit or by users.
pub(super) fn find_load(s: &str) -> Option<(f64, String)> {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if !b[i].is_ascii_digit()
            || (i > 0 && (b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'.'))
        {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len()
            && (b[i].is_ascii_digit()
                || (matches!(b[i], b',' | b'.') && b.get(i + 1).is_some_and(u8::is_ascii_digit)))
        {
            i += 1;
        }
        let num = s[start..i].replace(',', "");
        let Ok(value) = num.parse::<f64>() else {
            continue;
        };
        let rest = &s[i..];
        let words: Vec<&str> = rest.split_whitespace().take(5).collect();
        let Some(first) = words.first() else {
            continue;
        };
        let first = first.trim_end_matches([',', ';', '.', ')']);
        let lower = first.to_lowercase();
        let unit = if SHORT.contains(&lower.as_str()) {
            Some(first.to_string())
        } else if let Some((_, per)) = lower.split_once('/') {
            TIME.contains(&per).then(|| first.to_string())
        } else if words.get(1).is_some_and(|w| *w == "per")
            && words.get(2).is_some_and(|w| {
                TIME.contains(&w.trim_end_matches([',', ';', '.']).to_lowercase().as_str())
            })
        {
            let mut u = format!("{first} per {}", words[2].trim_end_matches([',', ';', '.']));
            if words.get(3) == Some(&"per") {
                if let Some(w) = words.get(4) {
                    u.push_str(&format!(" per {}", w.trim_end_matches([',', ';', '.'])));
                }
            }
            Some(u)
        } else if matches!(lower.as_str(), "concurrent" | "simultaneous")
            && words.get(1).is_some_and(|w| w.starts_with("user"))
        {
            Some(format!(
                "{first} {}",
                words[1].trim_end_matches([',', ';', '.'])
            ))
        } else {
            None
        };
        if let Some(u) = unit {
            return Some((value, u));
        }
    }
    None
}

/// The load a constraint is stated at: in its text (then it bounds the load itself when its
/// metric is a rate or a number of users), else in its measurement or verification.
pub(super) fn load(c: &Constraint) -> Option<Load> {
    // "Max 100 requests per minute": the constraint caps the load itself.
    let own_metric = c.measure.as_ref().is_some_and(|m| {
        matches!(
            m.metric.as_str(),
            "rate" | "throughput" | "concurrent_users" | "requests"
        ) && m.comparison.is_upper()
    });
    if let Some((value, unit)) = find_load(&c.text) {
        return Some(Load {
            value,
            unit,
            own: own_metric,
        });
    }
    [&c.measurement, &c.verification]
        .into_iter()
        .flatten()
        .find_map(|t| find_load(t))
        .map(|(value, unit)| Load {
            value,
            unit,
            own: false,
        })
}

/// Just above a load: one more for a load the constraint bounds itself (the 101st request),
/// else 10% more, rounded.
fn above(l: &Load) -> f64 {
    if l.own {
        l.value + 1.0
    } else {
        (l.value * 1.1).round().max(l.value + 1.0)
    }
}

fn name_of(c: &Constraint) -> String {
    c.name.clone().unwrap_or_else(|| {
        let t: String = c.text.chars().take(60).collect();
        t.trim().to_string()
    })
}

/// The two load drafts of a constraint, each with the name it should carry. Those an existing
/// scenario already states (its text names the same load) are left out.
pub(super) fn drafts(doc: &Document, c: &Constraint) -> Vec<(String, Draft)> {
    let Some(l) = load(c) else {
        return Vec::new();
    };
    let at = text::fmt_num(l.value);
    let over = text::fmt_num(above(&l));
    let unit = &l.unit;
    let name = name_of(c);
    let stated: Vec<String> = doc
        .scenarios
        .iter()
        .map(|s| {
            s.steps()
                .map(|x| x.text.to_lowercase().replace(',', ""))
                .collect::<Vec<_>>()
                .join("\n")
        })
        .collect();
    let mentions = |v: &str| {
        let needle = format!("{v} {}", unit.to_lowercase());
        stated.iter().any(|t| t.contains(&needle))
    };
    let rule = c.text.trim().trim_end_matches('.');
    let mut out = Vec::new();
    if !mentions(&at) {
        out.push((
            format!("{name} at the stated load"),
            Draft {
                kind: EdgeKind::Load,
                qualifier: String::new(),
                rationale: format!(
                    "The constraint \"{rule}\" is stated at {at} {unit}; a scenario at exactly that load makes it testable."
                ),
                given: vec![format!("a steady load of {at} {unit}")],
                when: vec!["the load is held for one measurement window".into()],
                then: vec![rule.to_string()],
            },
        ));
    }
    if !mentions(&over) {
        let mut then = vec![format!(
            "the load beyond {at} {unit} is queued or refused with a clear error (HTTP 429 or 503), never dropped silently"
        )];
        if l.own {
            then.push(format!("the load up to {at} {unit} is still served"));
        } else {
            then.push(format!(
                "once the load is back to {at} {unit}, this holds again: {rule}"
            ));
        }
        out.push((
            format!("{name} just above the stated load"),
            Draft {
                kind: EdgeKind::Load,
                qualifier: String::new(),
                rationale: format!(
                    "The constraint \"{rule}\" is stated at {at} {unit}; just above it ({over} {unit}) the spec should say how the system degrades."
                ),
                given: vec![format!("a steady load of {over} {unit}, just above the stated {at}")],
                when: vec!["the load is held for one measurement window".into()],
                then,
            },
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loads_in_text() {
        let f = |s: &str| find_load(s).map(|(v, u)| format!("{v} {u}"));
        assert_eq!(
            f("p95 latency < 100ms at 500 rps").as_deref(),
            Some("500 rps")
        );
        assert_eq!(
            f("Under load of 1000 requests/second of reads").as_deref(),
            Some("1000 requests/second")
        );
        assert_eq!(
            f("Max 100 requests per minute per user").as_deref(),
            Some("100 requests per minute per user")
        );
        assert_eq!(
            f("Support 10,000 concurrent users").as_deref(),
            Some("10000 concurrent users")
        );
        assert_eq!(f("p95 latency < 100ms for all reads"), None);
        assert_eq!(f("99.9% availability per calendar month"), None);
    }
}
