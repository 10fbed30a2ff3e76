//! Measurement files (k6 summaries in both shapes, criterion `estimates.json`, hyperfine JSON,
//! a plain JSON map, and damaged files) read by the core and matched to the constraints of
//! `tests/fixtures/measurements/perf.spec.yaml`; everything is snapshotted.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use specls_core::config::Config;
use specls_core::measurements::{self, Format};
use specls_core::workspace::Workspace;

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/measurements")
}

/// Every JSON file under the fixture folder, as (workspace-relative path, text).
fn files() -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut stack = vec![dir()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "json") {
                let rel = p
                    .strip_prefix(dir())
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                out.push((rel, std::fs::read_to_string(&p).unwrap()));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn every_measurement_file() {
    let mut report = String::new();
    for (path, text) in files() {
        let parsed = measurements::parse(&path, &text);
        let broken = ["truncated", "garbage", "array"]
            .iter()
            .any(|b| path.contains(b));
        assert_eq!(parsed.measurements.is_empty(), broken, "{path}: {parsed:?}");
        writeln!(report, "## {path} ({:?})", parsed.format).unwrap();
        for m in &parsed.measurements {
            writeln!(
                report,
                "{} {} = {} {}",
                m.name,
                m.stat.label(),
                (m.value * 1000.0).round() / 1000.0,
                m.unit.as_deref().unwrap_or("")
            )
            .unwrap();
        }
        for e in &parsed.errors {
            writeln!(report, "error: {e}").unwrap();
        }
    }
    insta::assert_snapshot!("measurement_files", report);
}

#[test]
fn measurements_match_constraints() {
    let text = std::fs::read_to_string(dir().join("perf.spec.yaml")).unwrap();
    let mut ws = Workspace::new();
    assert!(ws.upsert_bytes("perf.spec.yaml", text.as_bytes()));
    // Both k6 shapes at once would compete; take the summary export, the benchmarks and the map.
    let mut all = Vec::new();
    for (path, text) in files() {
        if path.contains("handle-summary") {
            continue;
        }
        all.extend(measurements::parse(&path, &text).measurements);
    }
    let measured = measurements::match_constraints(&ws, &all);
    let doc = &ws.get("perf.spec.yaml").unwrap().doc;
    let mut report = String::new();
    for (i, c) in doc.constraints.iter().enumerate() {
        let r = measurements::ConstraintRef {
            path: "perf.spec.yaml".into(),
            index: i,
        };
        match measured.get(&r) {
            Some(m) => writeln!(
                report,
                "{}: {} [{:?} {}]",
                c.text,
                m.label(),
                m.measurement.format,
                m.measurement.name
            ),
            None => writeln!(report, "{}: not measured", c.text),
        }
        .unwrap();
    }
    let diags = measurements::diagnostics(&ws, &measured, &Config::default());
    for d in diags.values().flatten() {
        writeln!(
            report,
            "{}: {} ({:?})",
            d.code,
            d.message,
            d.span.slice(&text)
        )
        .unwrap();
    }
    insta::assert_snapshot!("measurements_matched", report);

    // The handleSummary shape matches the same way.
    let k6 = std::fs::read_to_string(dir().join("k6-handle-summary.json")).unwrap();
    let parsed = measurements::parse("k6-handle-summary.json", &k6);
    assert_eq!(parsed.format, Some(Format::K6));
    let measured = measurements::match_constraints(&ws, &parsed.measurements);
    let labels: Vec<(String, String)> = measured
        .iter()
        .map(|(r, m)| (doc.constraints[r.index].name.clone().unwrap(), m.label()))
        .collect();
    // Without the criterion file, "Parse time" (scoped to a benchmark, not to requests) takes
    // no k6 value: k6's usual metrics stand only for constraints on HTTP requests.
    assert_eq!(
        labels,
        [
            ("API response time", "p95 = 97.6 ms, limit 100 ms"),
            ("Slow tail", "p99 = 171.9 ms, over the limit 150 ms"),
            ("Errors", "rate = 1.25%, over the limit 1%"),
            ("Search endpoint", "p95 = 97.6 ms, limit 200 ms"),
            ("Checkout", "p90 = 88.1 ms, limit 100 ms"),
        ]
        .map(|(a, b)| (a.to_string(), b.to_string()))
    );
}
