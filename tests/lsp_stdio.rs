//! The real binary over real stdio: `specls lsp` answers, writes nothing but framed protocol
//! messages on stdout, and exits 0 after `shutdown` + `exit` (1 after a bare `exit`).

use std::io::{Read, Write};
use std::process::{Command, Stdio};

fn frame(v: &serde_json::Value) -> Vec<u8> {
    let body = v.to_string();
    format!("Content-Length: {}\r\n\r\n{body}", body.len()).into_bytes()
}

/// Split stdout into messages; panics on anything that is not a framed JSON message.
fn messages(mut out: &[u8]) -> Vec<serde_json::Value> {
    let mut msgs = Vec::new();
    while !out.is_empty() {
        let text = std::str::from_utf8(out).expect("stdout is not UTF-8");
        let header_end = text
            .find("\r\n\r\n")
            .expect("stdout holds something that is not a message");
        let len: usize = text[..header_end]
            .strip_prefix("Content-Length: ")
            .expect("unexpected header on stdout")
            .parse()
            .unwrap();
        let body = &out[header_end + 4..header_end + 4 + len];
        msgs.push(serde_json::from_slice(body).expect("a message body is not JSON"));
        out = &out[header_end + 4 + len..];
    }
    msgs
}

fn run(input: &[serde_json::Value]) -> (Option<i32>, Vec<serde_json::Value>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_specls"))
        .arg("lsp")
        .env("SPECLS_LOG", "debug")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    for m in input {
        stdin.write_all(&frame(m)).unwrap();
    }
    stdin.flush().unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut out = Vec::new();
        stdout.read_to_end(&mut out).unwrap();
        out
    });
    let status = child.wait().unwrap();
    drop(stdin);
    let out = reader.join().unwrap();
    (status.code(), messages(&out))
}

#[test]
fn stdio_session_exits_cleanly() {
    let (code, msgs) = run(&[
        serde_json::json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"capabilities": {}}}),
        serde_json::json!({"jsonrpc": "2.0", "method": "initialized", "params": {}}),
        serde_json::json!({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": {"uri": "file:///tmp/x.spec.md", "languageId": "markdown", "version": 1, "text": "# X\n"}}}),
        serde_json::json!({"jsonrpc": "2.0", "id": 2, "method": "shutdown"}),
        serde_json::json!({"jsonrpc": "2.0", "method": "exit"}),
    ]);
    assert_eq!(code, Some(0));
    assert!(msgs
        .iter()
        .any(|m| m["id"] == 1 && m["result"]["capabilities"].is_object()));
    assert!(msgs.iter().any(|m| m["id"] == 2 && m["result"].is_null()));
}

#[test]
fn exit_without_shutdown_is_exit_code_1() {
    let (code, msgs) = run(&[
        serde_json::json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"capabilities": {}}}),
        serde_json::json!({"jsonrpc": "2.0", "method": "exit"}),
    ]);
    assert_eq!(code, Some(1));
    assert_eq!(msgs.len(), 1);
}
