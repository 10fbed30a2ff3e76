//! `cargo bench -p specls-core --bench core`: the core's hot paths on the generated corpus
//! (`specls_core::corpus`), each against a floor measured in the same run:
//!
//! - full parse of the 5,000-scenario file in every format; floor: one pass over its bytes
//!   (counting lines), the least any reader does;
//! - incremental reparse after a one-line edit in the middle of that file (a scenario name
//!   changed); against the full parse of the edited text, which it must equal;
//! - result ingestion: a JUnit report of 100,000 test cases parsed and mapped to the tests and
//!   scenarios of a 600-file workspace; floor: counting the report's `<testcase` elements.
//!
//! Each figure is the median of several runs. `SPECLS_BENCH_QUICK=1` uses a small corpus.

mod common;
use common::median;

use std::time::Duration;

use specls_core::corpus::{Corpus, Format, Shape, TestRun};
use specls_core::parse::incremental;
use specls_core::testlinks::status::{map_results, scenario_status};
use specls_core::testlinks::{link, results, Language, TestIndex};
use specls_core::workspace::Workspace;

fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1000.0)
}

fn ratio(a: Duration, b: Duration) -> String {
    format!("{:.1}x", a.as_secs_f64() / b.as_secs_f64().max(1e-9))
}

fn main() {
    let quick = std::env::var_os("SPECLS_BENCH_QUICK").is_some();
    let (big, files, per, cases, runs) = if quick {
        (500, 20, 50, 5_000, 3)
    } else {
        (5_000, 600, 50, 100_000, 11)
    };
    println!("specls-core benchmarks (median of {runs} runs; ratios to the floor of each row)\n");
    println!("| what | format | time | floor | ratio | note |\n|---|---|---|---|---|---|");
    for format in Format::SPECLS {
        let c = Corpus::generate(format, Shape::new(1, big, 1));
        let f = &c.files[0];
        let bytes = f.text.as_bytes();
        let floor = median(runs, || bytes.iter().filter(|&&b| b == b'\n').count());
        let full = median(runs, || specls_core::parse::parse_bytes(&f.path, bytes));
        println!(
            "| full parse, {big} scenarios | {} | {} | {} | {} | {:.1} MB/s |",
            format.name(),
            ms(full),
            ms(floor),
            ratio(full, floor),
            f.text.len() as f64 / 1e6 / full.as_secs_f64()
        );
        // One scenario name in the middle changed.
        let (_, old) = specls_core::parse::parse_bytes(&f.path, bytes).expect("a spec");
        let mid = big / 2 + 1;
        let needle = format!(" number {mid}\n");
        let at = f.text.find(&needle).expect("scenario name");
        let mut new_text = f.text.clone();
        new_text.replace_range(at..at + needle.len() - 1, &format!(" number {mid}x"));
        let inc = median(runs, || incremental::reparse(&old, &f.text, &new_text));
        let full_new = median(runs, || {
            specls_core::parse::parse_bytes(&f.path, new_text.as_bytes())
        });
        let same = incremental::reparse(&old, &f.text, &new_text)
            == specls_core::parse::parse_bytes(&f.path, new_text.as_bytes())
                .expect("a spec")
                .1;
        println!(
            "| incremental reparse after a one-line edit | {} | {} | {} (full parse) | {} | {} |",
            format.name(),
            ms(inc),
            ms(full_new),
            ratio(inc, full_new),
            if same {
                "equals the full parse"
            } else {
                "DIFFERS from the full parse"
            }
        );
    }

    // Result ingestion.
    let c = Corpus::generate(Format::Yaml, Shape::new(files, per, 1));
    let mut ws = Workspace::new();
    for f in &c.files {
        ws.upsert_bytes(&f.path, f.text.as_bytes());
    }
    let specs: Vec<(String, Vec<String>)> = c
        .files
        .iter()
        .map(|f| {
            let doc = &ws.get(&f.path).expect("parsed").doc;
            (
                f.path.clone(),
                doc.scenarios.iter().map(|s| s.id.clone()).collect(),
            )
        })
        .collect();
    let run = TestRun::generate(&specs, cases);
    let mut tests = TestIndex::new();
    for f in &run.files {
        tests.upsert(&f.path, &f.text, Language::Python);
    }
    let links = link(&ws, &tests);
    let floor = median(runs, || run.junit.matches("<testcase").count());
    let mut unmatched = 0;
    let ingest = median(runs, || {
        let parsed = results::parse(&run.junit);
        let mapping = map_results(&tests, &parsed.results);
        unmatched = mapping.unmatched.len();
        scenario_status(&ws, &tests, &links, &parsed.results, &mapping)
    });
    println!(
        "| JUnit report of {} cases ({:.1} MB): parse + map to tests and {} scenarios | yaml | {} | {} | {} | {} unmatched |",
        run.cases,
        run.junit.len() as f64 / 1e6,
        files * per,
        ms(ingest),
        ms(floor),
        ratio(ingest, floor),
        unmatched
    );
}
