//! Reading 100,000 JUnit test cases and mapping them to scenarios (issue 11's target: under
//! 1 s). Generates a workspace of 1,000 specs x 100 scenarios, 1,000 pytest files x 100 tests
//! (half linked by `@spec` markers, half by name) and a JUnit report of every test, then times
//! each stage and prints the figures.
//!
//! `cargo run --release -p specls-core --example results_bench [CASES]`

use std::fmt::Write as _;
use std::time::Instant;

use specls_core::testlinks::link::link;
use specls_core::testlinks::results;
use specls_core::testlinks::status::{map_results, scenario_status};
use specls_core::testlinks::{Language, TestIndex};
use specls_core::workspace::Workspace;

fn main() {
    let cases: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(100_000);
    let per_file = 100;
    let files = cases.div_ceil(per_file);

    let mut ws = Workspace::new();
    let mut tests = TestIndex::new();
    let mut report =
        String::from("<?xml version=\"1.0\"?>\n<testsuites>\n<testsuite name=\"pytest\">\n");
    for f in 0..files {
        let mut spec = format!("feature: feature {f}\nscenarios:\n");
        let mut py = String::from("import pytest\n\n");
        for s in 0..per_file {
            let _ = write!(
                spec,
                "  - id: f{f}-s{s}\n    name: Scenario {s} of feature {f}\n    when: I do thing {s}\n    then: thing {s} happened\n"
            );
            if s % 2 == 0 {
                let _ = write!(
                    py,
                    "# @spec f{f}-s{s}\ndef test_case_{s}():\n    assert True\n\n"
                );
            } else {
                let _ = write!(
                    py,
                    "def test_scenario_{s}_of_feature_{f}():\n    assert True\n\n"
                );
            }
            let name = if s % 2 == 0 {
                format!("test_case_{s}")
            } else {
                format!("test_scenario_{s}_of_feature_{f}")
            };
            let status = if s % 10 == 3 {
                "<failure message=\"AssertionError: boom\">assert False</failure>"
            } else {
                ""
            };
            let _ = writeln!(
                report,
                "<testcase classname=\"tests.test_f{f}\" name=\"{name}\" time=\"0.001\">{status}</testcase>"
            );
        }
        ws.upsert_bytes(&format!("specs/f{f}.spec.yaml"), spec.as_bytes());
        tests.upsert(&format!("tests/test_f{f}.py"), &py, Language::Python);
    }
    report.push_str("</testsuite>\n</testsuites>\n");

    let t = Instant::now();
    let links = link(&ws, &tests);
    let link_ms = t.elapsed().as_secs_f64() * 1000.0;

    let t = Instant::now();
    let parsed = results::parse(&report);
    let parse_ms = t.elapsed().as_secs_f64() * 1000.0;

    let t = Instant::now();
    let mapping = map_results(&tests, &parsed.results);
    let map_ms = t.elapsed().as_secs_f64() * 1000.0;

    let t = Instant::now();
    let statuses = scenario_status(&ws, &tests, &links, &parsed.results, &mapping);
    let status_ms = t.elapsed().as_secs_f64() * 1000.0;

    let failed = statuses
        .values()
        .filter(|s| {
            matches!(
                s,
                specls_core::testlinks::status::ScenarioStatus::Failed { .. }
            )
        })
        .count();
    println!(
        "{} JUnit cases ({:.1} MB), {} tests, {} scenarios ({} failed, {} unmatched results)",
        parsed.results.len(),
        report.len() as f64 / 1e6,
        tests.files.values().map(|f| f.tests.len()).sum::<usize>(),
        statuses.len(),
        failed,
        mapping.unmatched.len()
    );
    println!("link scenarios to tests: {link_ms:8.1} ms");
    println!("parse JUnit:             {parse_ms:8.1} ms");
    println!("map results to tests:    {map_ms:8.1} ms");
    println!("aggregate per scenario:  {status_ms:8.1} ms");
    println!(
        "read + map + aggregate:  {:8.1} ms (target: under 1000 ms)",
        parse_ms + map_ms + status_ms
    );
}
