//! Constraints: thresholds that disagree across places (`constraint-conflict`), bounds that can
//! never bind (`constraint-dominated`: a p99 bound tighter than the p95 bound), a lower bound
//! above an upper bound (`constraint-impossible`), values that cannot be meant
//! (`constraint-invalid-value`: percentages over 100, zero or negative durations), rates without
//! a time unit (`constraint-rate-without-time`) and latencies without a unit
//! (`constraint-missing-unit`, with a fix adding `ms`). Constraints with nothing to measure are
//! reported by the parsers (`constraint-unmeasurable`).
//!
//! Constraints are compared when they have the same metric, percentile, scope (normalised) and
//! unit dimension; values are compared in a base unit (`1 s` = `1000 ms`).

use std::collections::BTreeMap;

use crate::fxhash::HashMap;

use crate::diag::{Diagnostic, TextEdit};
use crate::model::{Comparison, Document};

use super::summary::{num, ConstraintSummary, FileSummary};

const TIME_METRICS: &[&str] = &[
    "latency",
    "duration",
    "response_time",
    "response-time",
    "time",
    "timeout",
    "processing_time",
    "load_time",
    "ttfb",
];

/// Units that count events, so a bound on them is a rate and needs a time unit.
const RATE_NOUNS: &[&str] = &[
    "requests",
    "request",
    "req",
    "reqs",
    "calls",
    "call",
    "queries",
    "query",
    "messages",
    "events",
    "transactions",
    "operations",
    "ops",
    "invocations",
    "hits",
];

fn is_time_unit(u: &str) -> bool {
    matches!(
        u.to_ascii_lowercase().as_str(),
        "ms" | "s"
            | "sec"
            | "second"
            | "seconds"
            | "min"
            | "minute"
            | "minutes"
            | "h"
            | "hour"
            | "hours"
            | "day"
            | "days"
            | "millisecond"
            | "milliseconds"
    )
}

pub fn check_document(doc: &Document, text: &str, out: &mut Vec<Diagnostic>) {
    let _ = text;
    for c in &doc.constraints {
        let Some(m) = &c.measure else { continue };
        let metric = m.metric.to_ascii_lowercase();
        let unit = m.unit.as_deref().unwrap_or("");
        let space = if unit.chars().count() > 3 { " " } else { "" };
        let shown = format!("{}{space}{}", num(m.value), unit);
        if unit == "%" {
            let growth = ["growth", "increase", "improvement", "reduction", "change"]
                .iter()
                .any(|w| metric.contains(w));
            if m.value > 100.0 && !growth {
                out.push(Diagnostic::new(
                    "constraint-invalid-value",
                    m.value_span,
                    format!("invalid constraint value `{shown}`: a percentage of {metric} cannot exceed 100%"),
                ));
            } else if m.value < 0.0 {
                out.push(Diagnostic::new(
                    "constraint-invalid-value",
                    m.value_span,
                    format!("invalid constraint value `{shown}`: a negative percentage"),
                ));
            }
        }
        let is_time =
            is_time_unit(unit) || (unit.is_empty() && TIME_METRICS.contains(&metric.as_str()));
        if is_time && m.per.is_none() {
            let bad = match m.comparison {
                Comparison::Lt | Comparison::Le | Comparison::Eq => m.value <= 0.0,
                Comparison::Gt | Comparison::Ge => m.value < 0.0,
            };
            if bad {
                out.push(Diagnostic::new(
                    "constraint-invalid-value",
                    m.value_span,
                    format!(
                        "invalid constraint value: {metric} {} {shown} is a zero or negative duration",
                        m.comparison.as_str()
                    ),
                ));
            }
        }
        let rate_noun = RATE_NOUNS.contains(&unit.to_ascii_lowercase().as_str());
        let per_scope = m
            .scope
            .as_deref()
            .is_some_and(|s| s.trim_start().starts_with("per "));
        let rate_metric = matches!(metric.as_str(), "rate" | "throughput" | "request_rate");
        if m.per.is_none() && (rate_metric || (rate_noun && (metric == "count" || per_scope))) {
            let u = unit.to_ascii_lowercase();
            let implied =
                u.contains('/') || ["rps", "qps", "tps", "ops", "rpm", "rph"].contains(&u.as_str());
            if !implied {
                out.push(Diagnostic::new(
                    "constraint-rate-without-time",
                    m.value_span,
                    format!(
                        "rate `{shown}` has no time unit: say per second, per minute or per hour"
                    ),
                ));
            }
        }
        if unit.is_empty() && TIME_METRICS.contains(&metric.as_str()) && m.value > 0.0 {
            let at = crate::span::Span::empty(m.value_span.end);
            out.push(
                Diagnostic::new(
                    "constraint-missing-unit",
                    m.value_span,
                    format!("{metric} threshold `{shown}` has no unit: add one (ms, s)"),
                )
                .with_fix(
                    "Add the missing unit `ms`",
                    vec![TextEdit {
                        path: doc.path.clone(),
                        span: at,
                        new_text: "ms".into(),
                    }],
                ),
            );
        }
    }
}

fn describe(c: &ConstraintSummary) -> String {
    let p = c
        .percentile
        .map(|p| format!("p{} ", num(p)))
        .unwrap_or_default();
    format!("{p}{} {} {}", c.metric, c.comparison.as_str(), c.shown)
}

fn place(path: &str, other: &str) -> String {
    if path == other {
        "elsewhere in this spec".into()
    } else {
        format!("in {path}")
    }
}

fn same(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

fn direction(c: Comparison) -> u8 {
    match c {
        Comparison::Lt | Comparison::Le => 0,
        Comparison::Gt | Comparison::Ge => 1,
        Comparison::Eq => 2,
    }
}

type Key<'a> = (&'a str, Option<u64>, Option<&'a str>, &'a str);
type ScopeKey<'a> = (&'a str, Option<&'a str>, &'a str);

pub fn join(files: &[&FileSummary], out: &mut BTreeMap<String, Vec<Diagnostic>>) {
    let mut groups: HashMap<Key, Vec<(usize, usize)>> = HashMap::default();
    for (fi, f) in files.iter().enumerate() {
        for (ci, c) in f.constraints.iter().enumerate() {
            let key = (
                c.metric.as_str(),
                c.percentile.map(f64::to_bits),
                c.scope.as_deref(),
                c.dim.as_str(),
            );
            groups.entry(key).or_default().push((fi, ci));
        }
    }
    let get = |(fi, ci): (usize, usize)| (&files[fi].path, &files[fi].constraints[ci]);
    let mut keys: Vec<_> = groups.keys().copied().collect();
    keys.sort_by(|a, b| format!("{a:?}").cmp(&format!("{b:?}")));
    for key in &keys {
        let g = &groups[key];
        // Conflicting thresholds: same direction, different value.
        for &m in g {
            let (pm, cm) = get(m);
            let other = g.iter().copied().find(|&o| {
                let (_, co) = get(o);
                direction(co.comparison) == direction(cm.comparison) && !same(co.value, cm.value)
            });
            if let Some(o) = other {
                let (po, co) = get(o);
                super::push(
                    out,
                    pm,
                    Diagnostic::new(
                        "constraint-conflict",
                        cm.span,
                        format!(
                            "conflicting constraint: `{}` here but `{}` {} for the same metric and scope",
                            describe(cm),
                            describe(co),
                            place(po, pm)
                        ),
                    )
                    .with_related(po, co.span, format!("`{}`", describe(co))),
                );
            }
        }
        // Impossible: a lower bound above an upper bound.
        for &l in g {
            let (pl, cl) = get(l);
            if !matches!(
                cl.comparison,
                Comparison::Gt | Comparison::Ge | Comparison::Eq
            ) {
                continue;
            }
            for &u in g {
                let (pu, cu) = get(u);
                if !matches!(
                    cu.comparison,
                    Comparison::Lt | Comparison::Le | Comparison::Eq
                ) || (cl.comparison == Comparison::Eq && cu.comparison == Comparison::Eq)
                {
                    continue;
                }
                let strict = matches!(cl.comparison, Comparison::Gt)
                    || matches!(cu.comparison, Comparison::Lt);
                let impossible = cl.value > cu.value && !same(cl.value, cu.value)
                    || (same(cl.value, cu.value) && strict);
                if impossible {
                    super::push(
                        out,
                        pl,
                        Diagnostic::new(
                            "constraint-impossible",
                            cl.span,
                            format!(
                                "impossible constraint: `{}` cannot hold together with `{}` {}",
                                describe(cl),
                                describe(cu),
                                place(pu, pl)
                            ),
                        )
                        .with_related(
                            pu,
                            cu.span,
                            format!("upper bound `{}`", describe(cu)),
                        ),
                    );
                    break;
                }
            }
        }
    }
    // Dominated: an upper bound at a lower percentile that a higher percentile's tighter bound
    // already implies.
    let mut by_scope: HashMap<ScopeKey, Vec<(usize, usize)>> = HashMap::default();
    for (fi, f) in files.iter().enumerate() {
        for (ci, c) in f.constraints.iter().enumerate() {
            if c.percentile.is_some() && c.comparison.is_upper() {
                by_scope
                    .entry((c.metric.as_str(), c.scope.as_deref(), c.dim.as_str()))
                    .or_default()
                    .push((fi, ci));
            }
        }
    }
    let mut keys: Vec<_> = by_scope.keys().copied().collect();
    keys.sort();
    for key in keys {
        let g = &by_scope[&key];
        for &lo in g {
            let (plo, clo) = get(lo);
            let tighter = g.iter().copied().find(|&hi| {
                let (_, chi) = get(hi);
                chi.percentile > clo.percentile
                    && chi.value < clo.value
                    && !same(chi.value, clo.value)
            });
            if let Some(hi) = tighter {
                let (phi, chi) = get(hi);
                super::push(
                    out,
                    plo,
                    Diagnostic::new(
                        "constraint-dominated",
                        clo.span,
                        format!(
                            "`{}` can never bind: `{}` {} is tighter at a higher percentile",
                            describe(clo),
                            describe(chi),
                            place(phi, plo)
                        ),
                    )
                    .with_related(
                        phi,
                        chi.span,
                        format!("tighter bound `{}`", describe(chi)),
                    ),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::*;
    use crate::model::Comparison::*;

    #[test]
    fn conflicting_and_dominated_bounds() {
        let a = DocBuilder::new("a.spec.yaml", "a")
            .constraint(
                "p95 latency < 100ms",
                Some(measure("latency", Some(95.0), Lt, 100.0, Some("ms"), None)),
            )
            .constraint(
                "p99 latency < 80ms",
                Some(measure("latency", Some(99.0), Lt, 80.0, Some("ms"), None)),
            )
            .build();
        let b = DocBuilder::new("b.spec.yaml", "b")
            .constraint(
                "p95 latency < 0.2 s",
                Some(measure("latency", Some(95.0), Lt, 0.2, Some("s"), None)),
            )
            .constraint(
                "p95 latency < 100 ms for writes",
                Some(measure(
                    "latency",
                    Some(95.0),
                    Lt,
                    100.0,
                    Some("ms"),
                    Some("for writes"),
                )),
            )
            .build();
        let r = run(&[a, b]);
        let mut got: Vec<(&str, &str)> = r.iter().map(|(p, c, _)| (p.as_str(), *c)).collect();
        got.sort();
        assert_eq!(
            got,
            vec![
                ("a.spec.yaml", "constraint-conflict"),
                ("a.spec.yaml", "constraint-dominated"),
                ("b.spec.yaml", "constraint-conflict"),
                ("b.spec.yaml", "constraint-dominated"),
            ],
            "{r:#?}"
        );
        // Same value in another unit agrees.
        let c = DocBuilder::new("c.spec.yaml", "c")
            .constraint(
                "p95 latency < 1s",
                Some(measure("latency", Some(95.0), Lt, 1.0, Some("s"), None)),
            )
            .constraint(
                "p95 latency < 1000ms",
                Some(measure("latency", Some(95.0), Lt, 1000.0, Some("ms"), None)),
            )
            .build();
        assert!(codes(&[c]).is_empty());
    }

    #[test]
    fn impossible_invalid_rate_and_unit() {
        let a = DocBuilder::new("a.spec.yaml", "a")
            .constraint(
                "latency > 200ms",
                Some(measure("latency", None, Gt, 200.0, Some("ms"), None)),
            )
            .constraint(
                "latency < 100ms",
                Some(measure("latency", None, Lt, 100.0, Some("ms"), None)),
            )
            .constraint(
                "availability 120%",
                Some(measure("availability", None, Ge, 120.0, Some("%"), None)),
            )
            .constraint(
                "timeout < 0s",
                Some(measure("duration", None, Lt, 0.0, Some("s"), None)),
            )
            .constraint(
                "throughput 100 requests",
                Some(measure(
                    "throughput",
                    None,
                    Ge,
                    100.0,
                    Some("requests"),
                    None,
                )),
            )
            .constraint(
                "latency < 50",
                Some(measure("latency", None, Lt, 50.0, None, Some("for search"))),
            )
            .build();
        let r = run(&[a]);
        let mut got: Vec<&str> = r.iter().map(|x| x.1).collect();
        got.sort();
        assert_eq!(
            got,
            vec![
                "constraint-impossible",
                "constraint-invalid-value",
                "constraint-invalid-value",
                "constraint-missing-unit",
                "constraint-rate-without-time",
            ],
            "{r:#?}"
        );
    }
}
