//! The floor for language server benchmarks: a server over stdio that does no work. It reads
//! every message (so it pays for framing and JSON like any server), answers `initialize` with
//! incremental sync, publishes empty diagnostics for every opened or changed document at once,
//! answers every other request with `null`, and exits on `exit`.
//!
//! With `--read DIR` it is instead the floor of `specls check`: it walks DIR, reads every file,
//! prints the number of files and bytes, and exits.
//!
//! Built by `cargo build --release --example lsp_floor`; driven by `examples/lsp_driver.rs`.

use std::io::{BufRead, BufReader, Write};

use serde_json::{json, Value};

fn read_message(input: &mut impl BufRead) -> Option<Value> {
    let mut len = None;
    loop {
        let mut line = String::new();
        if input.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some(v) = line.strip_prefix("Content-Length:") {
            len = v.trim().parse::<usize>().ok();
        }
    }
    let mut body = vec![0; len?];
    input.read_exact(&mut body).ok()?;
    Some(serde_json::from_slice(&body).unwrap_or(Value::Null))
}

fn send(out: &mut impl Write, msg: &Value) {
    let body = msg.to_string();
    let _ = write!(out, "Content-Length: {}\r\n\r\n{body}", body.len());
    let _ = out.flush();
}

/// Every file under `dir` (depth first), read whole: (files, bytes).
fn read_tree(dir: &std::path::Path) -> (usize, usize) {
    let mut todo = vec![dir.to_path_buf()];
    let (mut files, mut bytes) = (0, 0);
    while let Some(d) = todo.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                todo.push(p);
            } else if let Ok(b) = std::fs::read(&p) {
                files += 1;
                bytes += b.len();
            }
        }
    }
    (files, bytes)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let [_, flag, dir] = args.as_slice() {
        if flag == "--read" {
            let (files, bytes) = read_tree(std::path::Path::new(dir));
            println!("{files} files, {bytes} bytes");
            return;
        }
    }
    let stdin = std::io::stdin();
    let mut input = BufReader::new(stdin.lock());
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    while let Some(msg) = read_message(&mut input) {
        let method = msg["method"].as_str().unwrap_or("");
        let id = msg.get("id").cloned();
        match (method, id) {
            ("initialize", Some(id)) => send(
                &mut out,
                &json!({"jsonrpc": "2.0", "id": id, "result": {"capabilities": {"textDocumentSync": 2}}}),
            ),
            ("exit", _) => return,
            ("textDocument/didOpen" | "textDocument/didChange", None) => {
                let doc = &msg["params"]["textDocument"];
                send(
                    &mut out,
                    &json!({"jsonrpc": "2.0", "method": "textDocument/publishDiagnostics",
                        "params": {"uri": doc["uri"], "version": doc["version"], "diagnostics": []}}),
                );
            }
            (_, Some(id)) => send(
                &mut out,
                &json!({"jsonrpc": "2.0", "id": id, "result": null}),
            ),
            _ => {}
        }
    }
}
