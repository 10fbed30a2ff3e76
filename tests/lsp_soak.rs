//! Soak test: a scripted client opens every example workspace and, for a bounded time, sends
//! random edits (multi-byte text, UTF-16 positions), requests of every kind, cancellations and
//! close/reopen cycles, while files change, appear and disappear on disk underneath. At the end:
//! the server's text of every open document equals the client's, every request was answered
//! (a result, an error or "cancelled"), the server still answers, and its memory has come back
//! near the baseline measured after the first indexing.
//!
//! Length: `SPECLS_SOAK_SECS` (default 12 s in the normal suite; run it longer by hand, e.g.
//! `SPECLS_SOAK_SECS=600 cargo test --release --test lsp_soak -- --nocapture`).

mod common;

#[path = "common/lsp_client.rs"]
mod lsp_client;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use lsp_client::{file_uri, TestClient};
use serde_json::{json, Value};
use specls::lsp::Ended;
use tokio::sync::oneshot;

/// Deterministic random numbers (xorshift64*), seeded from `SPECLS_SOAK_SEED` or a constant, so
/// that a failing run can be replayed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const PIECES: &[&str] = &[
    "x",
    " ",
    "é",
    "日本",
    "😀",
    "\n",
    "\r\n",
    "  - name: ",
    "Given ",
    "\"",
    ":",
    "#",
    "`",
    "|",
    "- **Then** ",
    "p95 latency < 100ms",
    "",
];

const REQUESTS: &[&str] = &[
    "textDocument/hover",
    "textDocument/documentSymbol",
    "textDocument/completion",
    "textDocument/codeAction",
    "textDocument/semanticTokens/full",
    "textDocument/foldingRange",
    "textDocument/definition",
    "textDocument/references",
    "textDocument/selectionRange",
    "textDocument/formatting",
    "workspace/symbol",
];

/// An answer is a result or an expected error (cancelled, content modified, invalid params).
fn check_answer(method: &str, resp: &Value) {
    assert!(
        resp.get("result").is_some() || resp.get("error").is_some(),
        "{method}: {resp}"
    );
    if let Some(code) = resp["error"]["code"].as_i64() {
        assert!(
            [-32800, -32801, -32602].contains(&code),
            "{method}: unexpected error {resp}"
        );
    }
}

fn rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

fn spec_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            spec_files(&p, out);
        } else if p
            .to_str()
            .is_some_and(|s| s.ends_with(".md") || s.ends_with(".yaml"))
        {
            out.push(p);
        }
    }
}

/// UTF-16 position of byte offset `at` in `text` (lines end at `\n`, `\r\n` or `\r`).
fn position(text: &str, at: usize) -> Value {
    let before = &text[..at];
    let mut line = 0;
    let mut start = 0;
    let bytes = before.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\n' => {
                line += 1;
                start = i + 1;
            }
            b'\r' if bytes.get(i + 1) != Some(&b'\n') => {
                line += 1;
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    json!({"line": line, "character": before[start..].encode_utf16().count()})
}

/// A random byte offset on a char boundary that is not between `\r` and `\n`.
fn boundary(rng: &mut Rng, text: &str) -> usize {
    loop {
        let mut at = rng.below(text.len() + 1);
        while !text.is_char_boundary(at) {
            at -= 1;
        }
        if at == 0
            || at == text.len()
            || !(text.as_bytes()[at - 1] == b'\r' && text.as_bytes()[at] == b'\n')
        {
            return at;
        }
    }
}

struct Doc {
    text: String,
    version: i32,
    open: bool,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_edits_requests_cancellations_and_disk_changes() {
    let secs: u64 = std::env::var("SPECLS_SOAK_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(12);
    let seed: u64 = std::env::var("SPECLS_SOAK_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5EED_0F5B_EC15);
    let mut rng = Rng(seed | 1);

    let dir = tempfile::tempdir().unwrap();
    common::fs::copy_tree(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("specs/examples"),
        dir.path(),
    );
    let mut files = Vec::new();
    spec_files(dir.path(), &mut files);
    files.sort();
    assert!(files.len() > 20, "{} files", files.len());

    let c = TestClient::start();
    c.initialize(Some(dir.path()), json!({}), Value::Null).await;
    let mut docs: BTreeMap<String, Doc> = BTreeMap::new();
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        let uri = file_uri(f);
        c.open(&uri, &text).await;
        docs.insert(
            uri,
            Doc {
                text,
                version: 1,
                open: true,
            },
        );
    }
    // Every document is in (the state owner applies notifications in order) and indexing has
    // answered a workspace-wide request.
    let last = docs.keys().last().unwrap().clone();
    assert_eq!(c.text(&last).await["result"]["version"], 1);
    let symbols = c.request("workspace/symbol", json!({"query": ""})).await;
    assert!(
        symbols["result"].as_array().is_some_and(|a| !a.is_empty()),
        "{symbols}"
    );
    c.clear_notifications();
    let baseline = rss_kib();

    let uris: Vec<String> = docs.keys().cloned().collect();
    let (mut edits, mut requests, mut cancels, mut disk, mut reopens) = (0, 0, 0, 0, 0);
    let mut answered = 0;
    let mut after_phase: Vec<u64> = Vec::new();
    let mut steps_per_phase = 0usize;
    const PHASES: u64 = 3;
    for phase in 0..PHASES {
        for (uri, doc) in docs.iter_mut() {
            if !doc.open {
                c.open(uri, &doc.text).await;
                doc.open = true;
                doc.version = 1;
            }
        }
        let mut pending = Vec::new();
        let started = Instant::now();
        // Phase 0 runs for its share of the time; later phases do exactly as many steps, so
        // that their memory is compared after the same work whatever the machine's load.
        let mut steps = 0usize;
        while if phase == 0 {
            started.elapsed() < Duration::from_secs(secs) / PHASES as u32
        } else {
            steps < steps_per_phase
        } {
            steps += 1;
            let uri = &uris[rng.below(uris.len())];
            let roll = rng.below(100);
            let doc = docs.get_mut(uri).unwrap();
            if !doc.open {
                c.open(uri, &doc.text).await;
                doc.open = true;
                doc.version = 1;
                reopens += 1;
                continue;
            }
            match roll {
                0..=59 => {
                    // One to three edits in one didChange, applied in order.
                    let mut changes = Vec::new();
                    for _ in 0..1 + rng.below(3) {
                        let a = boundary(&mut rng, &doc.text);
                        let b = boundary(&mut rng, &doc.text);
                        let (a, b) = (a.min(b), a.max(b));
                        let b = if b - a > 200 { a } else { b };
                        let piece: String = (0..rng.below(4))
                            .map(|_| PIECES[rng.below(PIECES.len())])
                            .collect();
                        changes.push(json!({
                        "range": {"start": position(&doc.text, a), "end": position(&doc.text, b)},
                        "text": piece,
                    }));
                        doc.text.replace_range(a..b, &piece);
                    }
                    doc.version += 1;
                    c.change(uri, doc.version, Value::Array(changes)).await;
                    edits += 1;
                }
                60..=79 => {
                    let method = REQUESTS[rng.below(REQUESTS.len())];
                    let at = boundary(&mut rng, &doc.text);
                    let pos = position(&doc.text, at);
                    let params = match method {
                        "workspace/symbol" => json!({"query": PIECES[rng.below(PIECES.len())]}),
                        "textDocument/codeAction" => json!({
                            "textDocument": {"uri": uri},
                            "range": {"start": pos, "end": pos},
                            "context": {"diagnostics": []},
                        }),
                        "textDocument/formatting" => json!({
                            "textDocument": {"uri": uri},
                            "options": {"tabSize": 2, "insertSpaces": true},
                        }),
                        "textDocument/references" => json!({
                            "textDocument": {"uri": uri}, "position": pos,
                            "context": {"includeDeclaration": true},
                        }),
                        "textDocument/selectionRange" => json!({
                            "textDocument": {"uri": uri}, "positions": [pos],
                        }),
                        "textDocument/documentSymbol"
                        | "textDocument/semanticTokens/full"
                        | "textDocument/foldingRange" => json!({"textDocument": {"uri": uri}}),
                        _ => json!({"textDocument": {"uri": uri}, "position": pos}),
                    };
                    let (id, rx) = c.start_request(method, params).await;
                    if rng.below(4) == 0 {
                        c.notify("$/cancelRequest", json!({"id": id})).await;
                        cancels += 1;
                    }
                    pending.push((method, rx));
                    requests += 1;
                }
                80..=91 => {
                    // The disk changes underneath: rewrite a spec, add one, delete an added one.
                    let target = dir
                        .path()
                        .join(format!("soak/extra-{}.spec.yaml", rng.below(5)));
                    let change = if target.exists() && rng.below(2) == 0 {
                        std::fs::remove_file(&target).unwrap();
                        3
                    } else {
                        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
                        std::fs::write(
                        &target,
                        format!(
                            "feature: Extra {n}\nscenarios:\n  - name: Extra {n}\n    given: {n} items\n    when: I count them\n    then: I see {n}\n",
                            n = rng.below(1000)
                        ),
                    )
                    .unwrap();
                        1
                    };
                    c.notify(
                        "workspace/didChangeWatchedFiles",
                        json!({"changes": [{"uri": file_uri(&target), "type": change}]}),
                    )
                    .await;
                    disk += 1;
                }
                _ => {
                    c.notify(
                        "textDocument/didClose",
                        json!({"textDocument": {"uri": uri}}),
                    )
                    .await;
                    doc.open = false;
                }
            }
            if edits % 500 == 0 {
                c.clear_notifications();
                // Answers are checked as they come, not all kept to the end of the phase: the
                // memory measured is the server's, not that of the client's queue (a fast
                // build sends tens of thousands of requests per phase).
                pending.retain_mut(|(method, rx)| match rx.try_recv() {
                    Ok(resp) => {
                        check_answer(method, &resp);
                        answered += 1;
                        false
                    }
                    Err(oneshot::error::TryRecvError::Empty) => true,
                    Err(oneshot::error::TryRecvError::Closed) => {
                        panic!("{method}: client reader stopped")
                    }
                });
            }
        }

        if phase == 0 {
            steps_per_phase = steps;
        }
        // Every request was answered: a result, an error (e.g. cancelled), never silence.
        for (method, rx) in pending {
            let resp = tokio::time::timeout(Duration::from_secs(30), rx)
                .await
                .unwrap_or_else(|_| panic!("no answer to {method}"))
                .expect("client reader stopped");
            check_answer(method, &resp);
            answered += 1;
        }
        // The server's text is the client's text.
        for (uri, doc) in &docs {
            if doc.open {
                let t = c.text(uri).await;
                assert_eq!(
                    t["result"]["text"].as_str(),
                    Some(doc.text.as_str()),
                    "{uri}"
                );
                assert_eq!(t["result"]["version"], doc.version, "{uri}");
            }
        }
        // Close everything and let the server settle before reading the memory.
        for (uri, doc) in docs.iter_mut() {
            if doc.open {
                c.notify(
                    "textDocument/didClose",
                    json!({"textDocument": {"uri": uri}}),
                )
                .await;
                doc.open = false;
            }
        }
        let symbols = c
            .request("workspace/symbol", json!({"query": "task"}))
            .await;
        assert!(symbols.get("result").is_some(), "phase {phase}: {symbols}");
        tokio::time::sleep(Duration::from_millis(300)).await;
        c.clear_notifications();
        if let Some(rss) = rss_kib() {
            after_phase.push(rss);
        }
    }
    eprintln!(
        "soak: {secs}s seed {seed}: {edits} edits, {requests} requests ({cancels} cancelled, {answered} answered), {disk} disk changes, {reopens} reopens"
    );
    assert!(edits > 100 && requests > 20, "too little happened");
    // Memory: the first phase warms every cache and the allocator; later phases must not grow
    // it further (a leak grows with the work done), and nothing may balloon past the baseline.
    if let Some(before) = baseline {
        eprintln!("soak: RSS {before} KiB after indexing, after each phase: {after_phase:?} KiB");
        let warm = after_phase[0];
        for (i, &rss) in after_phase.iter().enumerate().skip(1) {
            assert!(
                rss <= warm + 24 * 1024,
                "memory grows with work: phase {i} {rss} KiB vs {warm} KiB after phase 0"
            );
        }
        assert!(
            warm <= before * 4 + 64 * 1024,
            "memory balloons: {before} KiB -> {warm} KiB"
        );
    }
    assert_eq!(c.shutdown().await, Ended::Clean);
}
