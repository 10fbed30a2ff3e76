//! `cargo bench -p specls-core --bench checks`: the checks on a generated workspace of 10,000
//! scenarios (200 YAML specs of 50 scenarios, with constraints, some duplicates and conflicts).
//! Reports, in one run: a full check, the first run of the incremental `Analysis`, and a recheck
//! after editing one file, with the ratio full / incremental. Parsing is not timed.

use std::fmt::Write as _;
use std::hint::black_box;
use std::time::{Duration, Instant};

use specls_core::checks::{check_workspace, Analysis, Env};
use specls_core::config::Config;
use specls_core::model::DocKind;
use specls_core::workspace::Workspace;

const FILES: usize = 200;
const PER_FILE: usize = 50;

fn spec(f: usize, variant: usize) -> String {
    let mut s =
        format!("feature: Feature {f}\ndescription: generated\n\nconstraints:\n  performance:\n");
    let _ = writeln!(
        s,
        "    - name: Latency {f}\n      requirement: p95 latency < {}ms for area {}",
        100 + (f % 3) * 50,
        f % 20
    );
    s.push_str("\nscenarios:\n");
    for i in 0..PER_FILE {
        let shared = i % 10 == 0; // every tenth scenario shares its steps across files
        let when = if shared {
            format!("the user runs shared action {i}")
        } else {
            format!("the user runs action {i} of feature {f}")
        };
        let then = if shared && f % 7 == 0 {
            format!("the status is \"v{}\"", variant)
        } else {
            format!("the result {i} is shown")
        };
        let _ = write!(
            s,
            "  - name: Scenario {i} of {f}\n    given:\n      - a user with {i} items\n      - the feature {f} is enabled\n    when: {when}\n    then:\n      - {then}\n      - an entry is logged\n"
        );
    }
    s
}

fn time<T>(runs: usize, mut f: impl FnMut() -> T) -> Duration {
    let mut best = Duration::MAX;
    for _ in 0..runs {
        let t = Instant::now();
        black_box(f());
        best = best.min(t.elapsed());
    }
    best
}

fn main() {
    let mut ws = Workspace::new();
    for f in 0..FILES {
        ws.upsert(
            &format!("specs/f{f}.spec.yaml"),
            &spec(f, 0),
            DocKind::YamlSpec,
        );
    }
    let scenarios: usize = ws.docs().map(|d| d.scenarios.len()).sum();
    let config = Config::default();
    let env = Env::default();

    let full = time(5, || check_workspace(&ws, &config));
    let mut analysis = Analysis::new();
    let first = time(1, || analysis.check(&ws, &config, &env));
    let mut variant = 0;
    let incremental = time(5, || {
        variant += 1;
        ws.upsert("specs/f7.spec.yaml", &spec(7, variant), DocKind::YamlSpec);
        analysis.check(&ws, &config, &env)
    });
    let findings: usize = check_workspace(&ws, &config).values().map(Vec::len).sum();
    println!("checks on {FILES} files, {scenarios} scenarios ({findings} findings)");
    println!("  full check:                 {full:>10.2?}");
    println!("  incremental, first run:     {first:>10.2?}");
    println!("  incremental, one file edit: {incremental:>10.2?} (includes reparsing that file)");
    println!(
        "  full / incremental edit:    {:>10.1}x",
        full.as_secs_f64() / incremental.as_secs_f64().max(1e-9)
    );
}
