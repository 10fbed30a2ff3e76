//! Language server benchmark: drives the real server in-process (duplex pipe, as the tests do)
//! and prints, with a floor measured in the same run:
//! - keystroke -> fresh diagnostics on a file of 5,000 scenarios (Markdown and YAML): the time
//!   from sending a `didChange` to receiving the `publishDiagnostics` for that version, p50/p99;
//!   floor: `didChange` followed by `specls/debug/documentText` (transport + state owner, no
//!   analysis);
//! - indexing a workspace of 10,000 scenarios (200 files of 50): from `initialize` to the answer
//!   of a `workspace/symbol` request (which waits for the index); floor: the same on an empty
//!   workspace.
//!
//! Run: `cargo bench --bench lsp` (set `SPECLS_BENCH_EDITS` for more keystrokes).

#[path = "../tests/common/lsp_client.rs"]
mod lsp_client;

use std::path::Path;
use std::time::{Duration, Instant};

use lsp_client::{file_uri, TestClient};
use serde_json::json;

/// The name of scenario `k`: 0 and 1 share a name, so every file has one diagnostic from the
/// start (and the first publish can be awaited).
fn scenario_name(k: usize) -> String {
    format!("Scenario {:05}", if k == 1 { 0 } else { k })
}

fn markdown_spec(name: &str, n: usize, offset: usize) -> String {
    let mut s = format!("---\nname: {name}\ntype: bundle\n---\n\n# Behavior\n\n");
    for i in 0..n {
        let k = offset + i;
        s.push_str(&format!(
            "## Scenario: {}\n**Given** a list with {k} items\n**When** I add item number {k}\n**Then** the list has {} items\n\n",
            scenario_name(k),
            k + 1
        ));
    }
    s
}

/// Lines of the heading of scenario `i` in [`markdown_spec`] output (7 header lines, 5 per scenario).
fn markdown_heading_line(i: usize) -> usize {
    7 + 5 * i
}

fn yaml_spec(name: &str, n: usize, offset: usize) -> String {
    let mut s = format!("feature: {name}\nscenarios:\n");
    for i in 0..n {
        let k = offset + i;
        s.push_str(&format!(
            "  - name: {}\n    given: a list with {k} items\n    when: I add item number {k}\n    then: the list has {} items\n",
            scenario_name(k),
            k + 1
        ));
    }
    s
}

fn yaml_name_line(i: usize) -> usize {
    2 + 4 * i
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

async fn wait_version(c: &TestClient, uri: &str, version: i32) {
    c.wait_for("diagnostics", |ns| {
        ns.iter()
            .rev()
            .find(|n| {
                n["method"] == "textDocument/publishDiagnostics"
                    && n["params"]["uri"] == uri
                    && n["params"]["version"] == version
            })
            .map(|_| ())
    })
    .await
}

/// Keystrokes that alternately make scenario `i`'s name equal to scenario `i - 1`'s (a
/// duplicate-name error appears) and restore it (it disappears): every keystroke changes the
/// diagnostics, so every keystroke is answered by a publish.
async fn keystrokes(kind: &str, edits: usize) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    let (file, text, line_of, col): (&str, String, fn(usize) -> usize, usize) =
        if kind == "markdown" {
            (
                "big.spec.md",
                markdown_spec("big", 5000, 0),
                markdown_heading_line,
                26,
            )
        } else {
            (
                "big.spec.yaml",
                yaml_spec("big", 5000, 0),
                yaml_name_line,
                23,
            )
        };
    std::fs::write(root.join(file), &text).unwrap();
    let c = TestClient::start();
    c.initialize(
        Some(&root),
        json!({}),
        // Default settings but for the disk poller (the files are never changed on disk).
        json!({"pollInterval": 0}),
    )
    .await;
    let uri = file_uri(&root.join(file));
    c.open(&uri, &text).await;
    wait_version(&c, &uri, 1).await;
    let mut version = 1;
    let mut times = Vec::new();
    let mut floor = Vec::new();
    for e in 0..edits {
        // Scenario i (in the middle of the file, name ending in 1): '1' -> '0' (now a duplicate
        // of scenario i - 1) and back.
        let i = 2001 + 10 * (e / 2 % 250);
        let line = line_of(i);
        let new = if e % 2 == 0 { "0" } else { "1" };
        version += 1;
        let change = json!([{"range": {"start": {"line": line, "character": col}, "end": {"line": line, "character": col + 1}}, "text": new}]);
        let t0 = Instant::now();
        c.change(&uri, version, change).await;
        wait_version(&c, &uri, version).await;
        times.push(t0.elapsed());
        // Floor: a no-op change (same character) and a round trip through the state owner.
        version += 1;
        let same = json!([{"range": {"start": {"line": line, "character": col}, "end": {"line": line, "character": col + 1}}, "text": new}]);
        let t1 = Instant::now();
        c.change(&uri, version, same).await;
        let _ = c.text(&uri).await;
        floor.push(t1.elapsed());
        // Let the no-op change's diagnostics settle (they do not change: nothing is published).
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
    times.sort();
    floor.sort();
    let (p50, p99) = (percentile(&times, 0.5), percentile(&times, 0.99));
    let f50 = percentile(&floor, 0.5);
    println!(
        "keystroke -> diagnostics, {kind}, 5,000 scenarios ({:.1} MB), {edits} edits: p50 {:.2} ms, p99 {:.2} ms; floor (edit + documentText round trip) p50 {:.2} ms; ratio p50/floor {:.1}",
        text.len() as f64 / 1e6,
        ms(p50),
        ms(p99),
        ms(f50),
        ms(p50) / ms(f50).max(1e-6)
    );
    c.shutdown().await;
}

async fn index_time(root: &Path) -> Duration {
    let t0 = Instant::now();
    let c = TestClient::start();
    c.initialize(Some(root), json!({}), json!({"pollInterval": 0}))
        .await;
    let r = c
        .call("workspace/symbol", json!({"query": "Scenario 09999"}))
        .await;
    let d = t0.elapsed();
    assert!(r.is_array());
    c.shutdown().await;
    d
}

async fn indexing() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    std::fs::create_dir_all(root.join("specs")).unwrap();
    let mut bytes = 0;
    for f in 0..200 {
        let (name, text) = if f % 2 == 0 {
            (
                format!("specs/f{f:03}.spec.md"),
                markdown_spec(&format!("f{f:03}"), 50, f * 50),
            )
        } else {
            (
                format!("specs/f{f:03}.spec.yaml"),
                yaml_spec(&format!("f{f:03}"), 50, f * 50),
            )
        };
        bytes += text.len();
        std::fs::write(root.join(name), text).unwrap();
    }
    let empty = tempfile::tempdir().unwrap();
    let mut full = Vec::new();
    let mut floor = Vec::new();
    for _ in 0..5 {
        full.push(index_time(&root).await);
        floor.push(index_time(empty.path()).await);
    }
    full.sort();
    floor.sort();
    let (f, z) = (percentile(&full, 0.5), percentile(&floor, 0.5));
    println!(
        "index 10,000 scenarios (200 files, {:.1} MB), median of 5: {:.1} ms; floor (empty workspace) {:.1} ms; ratio {:.1}",
        bytes as f64 / 1e6,
        ms(f),
        ms(z),
        ms(f) / ms(z).max(1e-6)
    );
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` runs this too: keep it short there.
    let quick = !std::env::args().any(|a| a == "--bench");
    let edits = std::env::var("SPECLS_BENCH_EDITS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if quick { 4 } else { 200 });
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        keystrokes("markdown", edits).await;
        keystrokes("yaml", edits).await;
        indexing().await;
    });
}
