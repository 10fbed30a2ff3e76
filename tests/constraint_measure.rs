//! Table-driven test of constraint phrasings: each line of
//! `tests/fixtures/constraint/phrasings.txt` is parsed with `parse_measure` and rendered on one
//! line; the whole table is one snapshot.
use specls_core::parse::constraint::{parse_measure, should_be_measurable, unmeasurable_message};

fn render(line: &str) -> String {
    match parse_measure(line, 0) {
        Some(m) => {
            let mut s = format!("{} ", m.metric);
            if let Some(p) = m.percentile {
                s.push_str(&format!("p{p} "));
            }
            s.push_str(&format!("{} {}", m.comparison.as_str(), m.value));
            if let Some(u) = &m.unit {
                s.push_str(&format!(" {u}"));
            }
            if let Some(p) = &m.per {
                s.push_str(&format!(" per {p}"));
            }
            if let Some(sc) = &m.scope {
                s.push_str(&format!(" | scope: {sc}"));
            }
            let value_text = m.value_span.slice(line);
            assert!(!value_text.is_empty(), "empty value span for {line:?}");
            s.push_str(&format!(" | value: `{value_text}`"));
            s
        }
        None => format!(
            "NONE (flag: {}) {}",
            should_be_measurable(None, line),
            unmeasurable_message(line)
        ),
    }
}

#[test]
fn phrasings() {
    let fixture = include_str!("fixtures/constraint/phrasings.txt");
    let mut out = String::new();
    let mut count = 0;
    for line in fixture.lines() {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        count += 1;
        out.push_str(&format!("{line}\n    => {}\n", render(line)));
    }
    assert!(
        count >= 40,
        "fixture should hold 40+ phrasings, has {count}"
    );
    insta::assert_snapshot!(out);
}

#[test]
fn spans_are_offset_by_base() {
    let text = "  requirement: p95 latency < 100ms";
    let at = text.find("p95").unwrap();
    let m = parse_measure(&text[at..], at).unwrap();
    assert_eq!(m.value_span.slice(text), "100ms");
}
