//! Measured values for constraints: k6 summary JSON (`--summary-export` and `handleSummary`
//! data), criterion `estimates.json`, hyperfine `--export-json`, and a plain JSON map
//! `{ "<constraint name or id>": {"value": 83, "unit": "ms"} }`; and the matching of those
//! values to the workspace's constraints.
//!
//! Pure functions: callers pass file paths and texts in. Parsing never panics; a file that is
//! not one of these formats, or is damaged, gives what could be read plus clear errors.
//!
//! # Matching
//! - Plain map: the key is a constraint's id, name or text (case-insensitive).
//! - k6: a constraint written in k6's own form (`http_req_duration: p(95)<500`) takes that
//!   metric; otherwise latency constraints take `http_req_duration`, error-rate constraints
//!   `http_req_failed`, throughput constraints `http_reqs` — but only constraints on HTTP
//!   requests: the constraint's `measurement` names k6 (or a load test, HTTP, requests), or its
//!   name, text or scope speaks of requests, responses, an API, endpoints, pages, operations...,
//!   or it has no scope at all ("p95 latency < 100ms"). A constraint scoped to something else
//!   ("mean latency < 40ms for parse/5000 scenarios"), one that names a benchmark of the
//!   measurements, and one whose `measurement` names another tool take no k6 value. The
//!   statistic follows the constraint's percentile (`p(95)`), else `avg` (or `rate`).
//! - criterion and hyperfine: the benchmark id or command must appear in the constraint's
//!   name, text or scope (or the constraint's name in it); the statistic is the percentile's
//!   (`median` for p50, p95 computed from hyperfine's `times`), else the mean.
//!
//! Values compare in base units (durations in ms; see [`crate::parse::constraint::base_value`]).

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use crate::model::{Comparison, Constraint, Measure};
use crate::parse::constraint::base_value;
use crate::workspace::Workspace;

/// Largest measurement file read, in bytes.
pub const MAX_FILE: usize = 16 << 20;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    K6,
    Criterion,
    Hyperfine,
    Plain,
}

/// Which statistic a value is.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind", content = "value")]
pub enum Stat {
    Percentile(f64),
    Mean,
    Median,
    Min,
    Max,
    /// A rate: per second for counts, a fraction (shown as %) for k6 rate metrics.
    Rate,
    Count,
    /// A plain map's value (no statistic given).
    Value,
}

impl Stat {
    pub fn label(&self) -> String {
        match self {
            Stat::Percentile(p) => format!("p{}", trim_num(*p)),
            Stat::Mean => "mean".into(),
            Stat::Median => "median".into(),
            Stat::Min => "min".into(),
            Stat::Max => "max".into(),
            Stat::Rate => "rate".into(),
            Stat::Count => "count".into(),
            Stat::Value => "value".into(),
        }
    }
}

/// One measured value.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Measurement {
    /// The file it came from (workspace-relative).
    pub source: String,
    pub format: Format,
    /// k6 metric, criterion benchmark id, hyperfine command, or the plain map's key.
    pub name: String,
    pub stat: Stat,
    pub value: f64,
    /// `ms`, `s`, `ns`, `%`, `/s`... (None: a bare number).
    pub unit: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Parsed {
    pub format: Option<Format>,
    pub measurements: Vec<Measurement>,
    /// What could not be read, with the reason.
    pub errors: Vec<String>,
}

fn trim_num(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        let s = format!("{v:.2}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// Read a measurement file. `path` (workspace-relative) names criterion benchmarks
/// (`target/criterion/<id>/new/estimates.json`).
pub fn parse(path: &str, text: &str) -> Parsed {
    let mut out = Parsed::default();
    if text.len() > MAX_FILE {
        out.errors.push(format!(
            "file too big ({} bytes; at most {MAX_FILE} are read)",
            text.len()
        ));
        return out;
    }
    let v: Value = match serde_json::from_str(text.trim_start_matches('\u{feff}')) {
        Ok(v) => v,
        Err(e) => {
            out.errors.push(format!(
                "not valid JSON (line {}, column {}): {e}",
                e.line(),
                e.column()
            ));
            return out;
        }
    };
    let Some(obj) = v.as_object() else {
        out.errors
            .push("expected a JSON object (k6 summary, criterion estimates, hyperfine results or a map of constraint to value)".into());
        return out;
    };
    if let Some(metrics) = obj.get("metrics") {
        out.format = Some(Format::K6);
        k6(path, metrics, &mut out);
    } else if obj.contains_key("mean")
        && obj
            .get("mean")
            .is_some_and(|m| m.get("point_estimate").is_some())
    {
        out.format = Some(Format::Criterion);
        criterion(path, obj, &mut out);
    } else if let Some(results) = obj.get("results").filter(|r| r.is_array()) {
        out.format = Some(Format::Hyperfine);
        hyperfine(path, results, &mut out);
    } else {
        out.format = Some(Format::Plain);
        plain(path, obj, &mut out);
    }
    out
}

fn num(v: &Value) -> Option<f64> {
    v.as_f64().filter(|f| f.is_finite())
}

/// k6 statistic keys: `avg`, `med`, `min`, `max`, `p(90)`, `p(95)`, `rate`, `count`, `value`.
fn k6_stat(key: &str) -> Option<Stat> {
    Some(match key {
        "avg" => Stat::Mean,
        "med" => Stat::Median,
        "min" => Stat::Min,
        "max" => Stat::Max,
        "rate" => Stat::Rate,
        "count" => Stat::Count,
        "value" => Stat::Value,
        _ => {
            let p = key.strip_prefix("p(")?.strip_suffix(')')?;
            Stat::Percentile(
                p.trim()
                    .parse()
                    .ok()
                    .filter(|p: &f64| (0.0..=100.0).contains(p))?,
            )
        }
    })
}

fn k6(path: &str, metrics: &Value, out: &mut Parsed) {
    let Some(metrics) = metrics.as_object() else {
        out.errors
            .push("k6 summary: `metrics` is not an object".into());
        return;
    };
    for (name, m) in metrics {
        // `handleSummary` data nests the statistics under `values`; `--summary-export` does not.
        let values = m.get("values").unwrap_or(m);
        let Some(values) = values.as_object() else {
            out.errors
                .push(format!("k6 summary: metric `{name}` has no statistics"));
            continue;
        };
        let time = m.get("contains").and_then(Value::as_str) == Some("time")
            || name.contains("duration")
            || name.contains("waiting")
            || name.contains("_time");
        let is_rate_metric = m.get("type").and_then(Value::as_str) == Some("rate")
            || name.ends_with("_failed")
            || (values.contains_key("passes") && values.contains_key("fails"));
        for (key, v) in values {
            let Some(mut stat) = k6_stat(key) else {
                continue;
            };
            if is_rate_metric && stat == Stat::Value {
                // `--summary-export` gives a rate metric's rate as its `value`.
                stat = Stat::Rate;
            }
            let Some(mut value) = num(v) else {
                continue;
            };
            let unit = match stat {
                Stat::Rate if is_rate_metric => {
                    value *= 100.0;
                    Some("%".to_string())
                }
                Stat::Rate => Some("/s".to_string()),
                Stat::Count => None,
                _ if time => Some("ms".to_string()),
                _ => None,
            };
            out.measurements.push(Measurement {
                source: path.to_string(),
                format: Format::K6,
                name: name.clone(),
                stat,
                value,
                unit,
            });
        }
    }
}

/// The benchmark id of a criterion file: the folders between `criterion/` and `new|base|change`.
fn criterion_id(path: &str) -> String {
    let parts: Vec<&str> = path.split('/').collect();
    let start = parts
        .iter()
        .rposition(|p| *p == "criterion")
        .map(|i| i + 1)
        .unwrap_or(0);
    let end = parts
        .iter()
        .rposition(|p| matches!(*p, "new" | "base" | "change"))
        .unwrap_or(parts.len().saturating_sub(1));
    if end > start {
        parts[start..end].join("/")
    } else {
        path.rsplit('/').nth(1).unwrap_or(path).to_string()
    }
}

fn criterion(path: &str, obj: &serde_json::Map<String, Value>, out: &mut Parsed) {
    let id = criterion_id(path);
    for (key, stat) in [("mean", Stat::Mean), ("median", Stat::Median)] {
        match obj.get(key).map(|e| e.get("point_estimate").and_then(num)) {
            Some(Some(ns)) => out.measurements.push(Measurement {
                source: path.to_string(),
                format: Format::Criterion,
                name: id.clone(),
                stat,
                // Criterion's estimates are in nanoseconds.
                value: ns / 1_000_000.0,
                unit: Some("ms".into()),
            }),
            Some(None) => out.errors.push(format!(
                "criterion estimates: `{key}.point_estimate` is missing or not a number"
            )),
            None => {}
        }
    }
}

fn percentile_of(times: &[f64], p: f64) -> Option<f64> {
    if times.is_empty() {
        return None;
    }
    let mut t = times.to_vec();
    t.sort_by(|a, b| a.total_cmp(b));
    // Nearest rank.
    let rank = ((p / 100.0) * t.len() as f64).ceil().max(1.0) as usize;
    t.get(rank.min(t.len()) - 1).copied()
}

fn hyperfine(path: &str, results: &Value, out: &mut Parsed) {
    for (i, r) in results.as_array().into_iter().flatten().enumerate() {
        let Some(command) = r.get("command").and_then(Value::as_str) else {
            out.errors.push(format!(
                "hyperfine results: result {} has no `command`",
                i + 1
            ));
            continue;
        };
        let mut push = |stat: Stat, secs: f64| {
            out.measurements.push(Measurement {
                source: path.to_string(),
                format: Format::Hyperfine,
                name: command.to_string(),
                stat,
                // hyperfine reports seconds.
                value: secs * 1000.0,
                unit: Some("ms".into()),
            })
        };
        for (key, stat) in [
            ("mean", Stat::Mean),
            ("median", Stat::Median),
            ("min", Stat::Min),
            ("max", Stat::Max),
        ] {
            if let Some(v) = r.get(key).and_then(num) {
                push(stat, v);
            }
        }
        let times: Vec<f64> = r
            .get("times")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(num).collect())
            .unwrap_or_default();
        for p in [90.0, 95.0, 99.0] {
            if let Some(v) = percentile_of(&times, p) {
                push(Stat::Percentile(p), v);
            }
        }
    }
}

fn plain(path: &str, obj: &serde_json::Map<String, Value>, out: &mut Parsed) {
    for (key, entry) in obj {
        let (value, unit, stat) = match entry {
            Value::Number(_) => (num(entry), None, Stat::Value),
            Value::Object(o) => {
                let stat = o
                    .get("stat")
                    .and_then(Value::as_str)
                    .and_then(|s| {
                        let s = s.trim().to_ascii_lowercase();
                        if let Some(p) = s.strip_prefix('p') {
                            let p = p.trim_start_matches('(').trim_end_matches(')');
                            return p.parse().ok().map(Stat::Percentile);
                        }
                        k6_stat(&s).or(match s.as_str() {
                            "mean" | "average" => Some(Stat::Mean),
                            "median" => Some(Stat::Median),
                            _ => None,
                        })
                    })
                    .unwrap_or(Stat::Value);
                (
                    o.get("value").and_then(num),
                    o.get("unit")
                        .and_then(Value::as_str)
                        .map(|u| u.trim().to_string())
                        .filter(|u| !u.is_empty()),
                    stat,
                )
            }
            _ => (None, None, Stat::Value),
        };
        let Some(value) = value else {
            out.errors.push(format!(
                "`{key}`: expected a number or {{\"value\": <number>, \"unit\": \"ms\"}}"
            ));
            continue;
        };
        out.measurements.push(Measurement {
            source: path.to_string(),
            format: Format::Plain,
            name: key.clone(),
            stat,
            value,
            unit,
        });
    }
}

/// A constraint of the workspace: its spec's path and its index in `Document::constraints`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct ConstraintRef {
    pub path: String,
    pub index: usize,
}

/// A constraint with the value measured for it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Measured {
    pub measurement: Measurement,
    /// Measured value in the constraint's base unit.
    pub value: f64,
    /// The bound in the same unit.
    pub limit: f64,
    /// The base unit (`ms`, `%`, `/s`...; empty for bare numbers).
    pub unit: String,
    pub comparison: Comparison,
    /// True when the measured value breaks the bound.
    pub broken: bool,
}

impl Measured {
    fn with_unit(&self, v: f64) -> String {
        if self.unit.is_empty() {
            trim_num(v)
        } else if self.unit == "%" {
            format!("{}%", trim_num(v))
        } else {
            format!("{} {}", trim_num(v), self.unit)
        }
    }

    /// `p95 = 83 ms`, or `measured 1400 ms` for a plain value.
    pub fn value_text(&self) -> String {
        match self.measurement.stat {
            Stat::Value => format!("measured {}", self.with_unit(self.value)),
            s => format!("{} = {}", s.label(), self.with_unit(self.value)),
        }
    }

    /// `p95 = 83 ms, limit 100 ms`; `p99 = 171.9 ms, over the limit 150 ms` when broken.
    pub fn label(&self) -> String {
        let bound = self.with_unit(self.limit);
        let what = match (self.comparison, self.broken) {
            (Comparison::Lt | Comparison::Le, false) => format!("limit {bound}"),
            (Comparison::Lt | Comparison::Le, true) => format!("over the limit {bound}"),
            (Comparison::Gt | Comparison::Ge, false) => format!("minimum {bound}"),
            (Comparison::Gt | Comparison::Ge, true) => format!("under the minimum {bound}"),
            (Comparison::Eq, false) => format!("expected {bound}"),
            (Comparison::Eq, true) => format!("expected {bound}, not met"),
        };
        format!("{}, {what}", self.value_text())
    }
}

/// A unit written in a measurement, normalised like constraint units.
fn measurement_base(m: &Measurement) -> (f64, String) {
    let unit = m.unit.as_deref().map(|u| match u.trim() {
        "ns" => "ns",
        "us" | "µs" | "μs" => "us",
        "ms" | "millisecond" | "milliseconds" => "ms",
        "s" | "sec" | "secs" | "second" | "seconds" => "s",
        "%" | "percent" => "%",
        "/s" | "rps" | "req/s" | "requests/s" | "per second" => "/s",
        other => other,
    });
    match unit {
        Some("ns") => (m.value / 1_000_000.0, "ms".into()),
        Some("us") => (m.value / 1000.0, "ms".into()),
        Some("ms") => (m.value, "ms".into()),
        Some("s") => (m.value * 1000.0, "ms".into()),
        Some(u) => (m.value, u.to_string()),
        None => (m.value, String::new()),
    }
}

fn lower(s: &str) -> String {
    s.trim().to_lowercase()
}

/// The statistic a constraint asks for.
fn wanted(measure: &Measure) -> Option<Stat> {
    measure.percentile.map(Stat::Percentile)
}

fn stat_matches(want: Option<Stat>, have: Stat, mean_default: bool) -> bool {
    match (want, have) {
        (Some(Stat::Percentile(a)), Stat::Percentile(b)) => (a - b).abs() < 1e-9,
        (Some(Stat::Percentile(a)), Stat::Median) => (a - 50.0).abs() < 1e-9,
        (None, Stat::Mean) => mean_default,
        _ => false,
    }
}

/// Does this constraint name this benchmark (criterion id, hyperfine command)?
fn names_benchmark(c: &Constraint, bench: &str) -> bool {
    let b = lower(bench);
    if b.is_empty() {
        return false;
    }
    let mut hay = vec![lower(&c.text)];
    if let Some(n) = &c.name {
        let n = lower(n);
        if !n.is_empty() && b.contains(&n) {
            return true;
        }
        hay.push(n);
    }
    if let Some(s) = c.measure.as_ref().and_then(|m| m.scope.as_ref()) {
        hay.push(lower(s));
    }
    if let Some(m) = &c.measurement {
        hay.push(lower(m));
    }
    hay.iter().any(|h| h.contains(&b))
}

/// Words (as word starts) that make a constraint one on HTTP requests.
const REQUEST_WORDS: &[&str] = &[
    "request",
    "http",
    "api",
    "endpoint",
    "response",
    "route",
    "page",
    "operation",
    "k6",
    "traffic",
    "server",
    "service",
    "url",
    "rps",
];

/// Does some word of `text` start with one of [`REQUEST_WORDS`]?
fn speaks_of_requests(text: &str) -> bool {
    lower(text)
        .split(|ch: char| !ch.is_alphanumeric())
        .any(|w| w == "req" || (!w.is_empty() && REQUEST_WORDS.iter().any(|r| w.starts_with(r))))
}

/// May k6's usual metrics (`http_req_duration`, `http_req_failed`, `http_reqs`) stand for this
/// constraint? Only when it is about HTTP requests (see the module documentation).
fn on_http_requests(c: &Constraint, ms: &[Measurement]) -> bool {
    // Its `measurement` says how it is measured: k6 or a load test, or not.
    if let Some(m) = c.measurement.as_deref().filter(|m| !m.trim().is_empty()) {
        let m = lower(m);
        return m.contains("k6") || m.contains("load") || speaks_of_requests(&m);
    }
    // It names one of the benchmarks: that is its measurement (with another statistic).
    if ms
        .iter()
        .filter(|m| matches!(m.format, Format::Criterion | Format::Hyperfine))
        .any(|m| names_benchmark(c, &m.name))
    {
        return false;
    }
    let scope = c.measure.as_ref().and_then(|m| m.scope.as_deref());
    if [Some(c.text.as_str()), c.name.as_deref(), scope]
        .into_iter()
        .flatten()
        .any(speaks_of_requests)
    {
        return true;
    }
    scope.is_none_or(|s| s.trim().is_empty())
}

/// Which measurement (if any) is for this constraint.
fn pick<'m>(c: &Constraint, ms: &'m [Measurement]) -> Option<&'m Measurement> {
    let keys = [
        Some(lower(&c.id)),
        c.name.as_deref().map(lower),
        Some(lower(&c.text)),
    ];
    // Plain maps: by id, name or text (the newest file first: callers order `ms`).
    if let Some(m) = ms
        .iter()
        .find(|m| m.format == Format::Plain && keys.iter().flatten().any(|k| *k == lower(&m.name)))
    {
        return Some(m);
    }
    let measure = c.measure.as_ref()?;
    let want = wanted(measure);
    let text = lower(&c.text);
    // k6: the metric the constraint names in k6's form, else the usual metric for its kind.
    let k6_named = ms
        .iter()
        .filter(|m| m.format == Format::K6)
        .filter(|m| text.starts_with(&format!("{}:", lower(&m.name))))
        .find(|m| match want {
            Some(_) => stat_matches(want, m.stat, false),
            None => matches!(m.stat, Stat::Rate | Stat::Value | Stat::Mean),
        });
    if k6_named.is_some() {
        return k6_named;
    }
    // Benchmarks named by the constraint.
    let bench = ms
        .iter()
        .filter(|m| matches!(m.format, Format::Criterion | Format::Hyperfine))
        .filter(|m| names_benchmark(c, &m.name))
        .find(|m| stat_matches(want, m.stat, true));
    if bench.is_some() {
        return bench;
    }
    // A constraint in k6's form names its metric: no other metric stands in for it.
    let k6_form = text
        .split_once(':')
        .is_some_and(|(w, _)| w.contains('_') && !w.contains(char::is_whitespace));
    if k6_form {
        return None;
    }
    if !on_http_requests(c, ms) {
        return None;
    }
    let usual = match measure.metric.as_str() {
        "latency" | "response_time" => Some(("http_req_duration", want.or(Some(Stat::Mean)))),
        "error_rate" => Some(("http_req_failed", Some(Stat::Rate))),
        "throughput" | "rate" => Some(("http_reqs", Some(Stat::Rate))),
        _ => None,
    };
    if let Some((metric, stat)) = usual {
        let found = ms.iter().find(|m| {
            m.format == Format::K6
                && m.name == metric
                && match (stat, m.stat) {
                    (Some(Stat::Mean), Stat::Mean) | (Some(Stat::Rate), Stat::Rate) => true,
                    (s, have) => stat_matches(s, have, false),
                }
        });
        if found.is_some() {
            return found;
        }
    }
    None
}

/// The measured value of every constraint some measurement is for. `measurements` newest file
/// first (the first match wins).
pub fn match_constraints(
    ws: &Workspace,
    measurements: &[Measurement],
) -> BTreeMap<ConstraintRef, Measured> {
    let mut out = BTreeMap::new();
    if measurements.is_empty() {
        return out;
    }
    for (path, f) in &ws.files {
        for (index, c) in f.doc.constraints.iter().enumerate() {
            let Some(measure) = c.measure.as_ref() else {
                continue;
            };
            let Some(m) = pick(c, measurements) else {
                continue;
            };
            let (limit, limit_unit) = base_value(measure);
            let (value, unit) = measurement_base(m);
            // A bare measured number takes the constraint's unit; otherwise the units must
            // be of one kind.
            let unit = if unit.is_empty() || unit == limit_unit || limit_unit.is_empty() {
                if limit_unit.is_empty() {
                    unit
                } else {
                    limit_unit
                }
            } else {
                continue;
            };
            let broken = match measure.comparison {
                Comparison::Lt => value >= limit,
                Comparison::Le => value > limit,
                Comparison::Gt => value <= limit,
                Comparison::Ge => value < limit,
                Comparison::Eq => (value - limit).abs() > f64::EPSILON * limit.abs().max(1.0),
            };
            out.insert(
                ConstraintRef {
                    path: path.clone(),
                    index,
                },
                Measured {
                    measurement: m.clone(),
                    value,
                    limit,
                    unit,
                    comparison: measure.comparison,
                    broken,
                },
            );
        }
    }
    out
}

/// `constraint-broken` diagnostics: a measured value breaks its constraint's bound.
pub fn diagnostics(
    ws: &Workspace,
    measured: &BTreeMap<ConstraintRef, Measured>,
    config: &crate::config::Config,
) -> BTreeMap<String, Vec<crate::diag::Diagnostic>> {
    let mut out: BTreeMap<String, Vec<crate::diag::Diagnostic>> = BTreeMap::new();
    for (r, m) in measured {
        if !m.broken {
            continue;
        }
        let Some(c) = ws.get(&r.path).and_then(|f| f.doc.constraints.get(r.index)) else {
            continue;
        };
        let span = c
            .measure
            .as_ref()
            .map(|x| x.value_span)
            .unwrap_or(c.text_span);
        let d = crate::diag::Diagnostic::new(
            "constraint-broken",
            span,
            format!(
                "constraint `{}` is broken: {} ({} in {})",
                c.text.trim(),
                m.label(),
                m.measurement.name,
                m.measurement.source
            ),
        )
        .with_related(
            m.measurement.source.clone(),
            crate::span::Span::empty(0),
            format!("measured here ({:?} file)", m.measurement.format).to_lowercase(),
        );
        if let Some(d) = config.apply(d) {
            out.entry(r.path.clone()).or_default().push(d);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_by_nearest_rank() {
        let t: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile_of(&t, 95.0), Some(95.0));
        assert_eq!(percentile_of(&[3.0], 99.0), Some(3.0));
        assert_eq!(percentile_of(&[], 50.0), None);
    }

    #[test]
    fn criterion_ids_from_paths() {
        assert_eq!(
            criterion_id("target/criterion/parse/5000 scenarios/new/estimates.json"),
            "parse/5000 scenarios"
        );
        assert_eq!(criterion_id("bench/estimates.json"), "bench");
    }

    #[test]
    fn stat_labels() {
        assert_eq!(Stat::Percentile(95.0).label(), "p95");
        assert_eq!(Stat::Percentile(99.9).label(), "p99.9");
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 200, ..Default::default() })]
        #[test]
        fn never_panics(text in "[{}\\[\\]\":,0-9a-z_().\\- ]{0,120}") {
            let p = parse("target/criterion/x/new/estimates.json", &text);
            for m in &p.measurements {
                proptest::prop_assert!(m.value.is_finite());
            }
        }
    }
}
