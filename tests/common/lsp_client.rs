//! A small LSP client for in-process end-to-end tests: it runs the real server
//! (`specls::lsp::serve`) over in-memory duplex pipes, sends requests and notifications, awaits
//! responses, keeps every notification the server sends, and answers the server's own requests
//! (`workspace/configuration`, `client/registerCapability`, ...) through a configurable responder.
#![allow(dead_code)]

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader, DuplexStream};
use tokio::sync::{oneshot, Notify};
use tokio::task::JoinHandle;

use specls::lsp::Ended;

/// How the test client answers a request from the server.
pub enum Reply {
    Result(Value),
    Error(i64, String),
    /// Never answer (clients that ignore `workspace/configuration`).
    Never,
}

pub type Responder = Arc<dyn Fn(&str, &Value) -> Reply + Send + Sync>;

/// The default answers: null for everything, `[null]`-shaped for configuration.
pub fn default_responder() -> Responder {
    Arc::new(|method, params| match method {
        "workspace/configuration" => {
            let n = params["items"].as_array().map_or(1, Vec::len);
            Reply::Result(Value::Array(vec![Value::Null; n]))
        }
        _ => Reply::Result(Value::Null),
    })
}

#[derive(Default)]
struct Inbox {
    notifications: Vec<Value>,
    server_requests: Vec<Value>,
    /// Responses with a null id (framing / parse errors).
    null_id: Vec<Value>,
}

pub struct TestClient {
    writer: Arc<tokio::sync::Mutex<DuplexStream>>,
    next_id: AtomicI64,
    pending: Arc<Mutex<HashMap<i64, oneshot::Sender<Value>>>>,
    inbox: Arc<Mutex<Inbox>>,
    changed: Arc<Notify>,
    server: Option<JoinHandle<Ended>>,
    reader: JoinHandle<()>,
    pub timeout: Duration,
}

pub fn frame(body: &[u8]) -> Vec<u8> {
    let mut out = format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes();
    out.extend_from_slice(body);
    out
}

async fn read_message(r: &mut BufReader<DuplexStream>) -> Option<Value> {
    let mut len = None;
    loop {
        let mut line = String::new();
        if r.read_line(&mut line).await.ok()? == 0 {
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
    r.read_exact(&mut body).await.ok()?;
    Some(serde_json::from_slice(&body).expect("server sent invalid JSON"))
}

impl TestClient {
    pub fn start() -> TestClient {
        TestClient::start_with(default_responder())
    }

    pub fn start_with(responder: Responder) -> TestClient {
        let (client_out, server_in) = tokio::io::duplex(1 << 16);
        let (server_out, client_in) = tokio::io::duplex(1 << 16);
        let server = tokio::spawn(specls::lsp::serve(server_in, server_out));
        let writer = Arc::new(tokio::sync::Mutex::new(client_out));
        let pending: Arc<Mutex<HashMap<i64, oneshot::Sender<Value>>>> = Default::default();
        let inbox: Arc<Mutex<Inbox>> = Default::default();
        let changed = Arc::new(Notify::new());
        let reader = {
            let (writer, pending, inbox, changed) = (
                writer.clone(),
                pending.clone(),
                inbox.clone(),
                changed.clone(),
            );
            tokio::spawn(async move {
                let mut r = BufReader::new(client_in);
                while let Some(msg) = read_message(&mut r).await {
                    let has_method = msg.get("method").is_some();
                    let id = msg.get("id").cloned();
                    match (has_method, id) {
                        (true, Some(id)) => {
                            let method = msg["method"].as_str().unwrap_or("").to_string();
                            inbox.lock().unwrap().server_requests.push(msg.clone());
                            let reply = responder(&method, &msg["params"]);
                            let body = match reply {
                                Reply::Result(v) => {
                                    json!({"jsonrpc": "2.0", "id": id, "result": v})
                                }
                                Reply::Error(code, m) => {
                                    json!({"jsonrpc": "2.0", "id": id, "error": {"code": code, "message": m}})
                                }
                                Reply::Never => continue,
                            };
                            let bytes = frame(body.to_string().as_bytes());
                            let _ = writer.lock().await.write_all(&bytes).await;
                        }
                        (true, None) => inbox.lock().unwrap().notifications.push(msg),
                        (false, Some(Value::Number(n))) => {
                            let tx = pending.lock().unwrap().remove(&n.as_i64().unwrap_or(-1));
                            if let Some(tx) = tx {
                                let _ = tx.send(msg);
                            }
                        }
                        (false, _) => inbox.lock().unwrap().null_id.push(msg),
                    }
                    changed.notify_waiters();
                }
            })
        };
        TestClient {
            writer,
            next_id: AtomicI64::new(1),
            pending,
            inbox,
            changed,
            server: Some(server),
            reader,
            timeout: Duration::from_secs(20),
        }
    }

    pub async fn send_raw(&self, bytes: &[u8]) {
        let mut w = self.writer.lock().await;
        w.write_all(bytes).await.expect("server input closed");
        w.flush().await.unwrap();
    }

    pub async fn send_json(&self, v: &Value) {
        self.send_raw(&frame(v.to_string().as_bytes())).await;
    }

    pub async fn notify(&self, method: &str, params: Value) {
        self.send_json(&json!({"jsonrpc": "2.0", "method": method, "params": params}))
            .await;
    }

    /// Send a request; returns its id and a receiver for the whole response message.
    pub async fn start_request(
        &self,
        method: &str,
        params: Value,
    ) -> (i64, oneshot::Receiver<Value>) {
        let id = self.next_id.fetch_add(1, Ordering::SeqCst);
        let (tx, rx) = oneshot::channel();
        self.pending.lock().unwrap().insert(id, tx);
        self.send_json(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}))
            .await;
        (id, rx)
    }

    /// Send a request and wait for the whole response message (`result` or `error`).
    pub async fn request(&self, method: &str, params: Value) -> Value {
        let (_, rx) = self.start_request(method, params).await;
        tokio::time::timeout(self.timeout, rx)
            .await
            .unwrap_or_else(|_| panic!("no response to {method}"))
            .expect("reader stopped")
    }

    /// Send a request and return its result; panics on an error response.
    pub async fn call(&self, method: &str, params: Value) -> Value {
        let resp = self.request(method, params).await;
        if let Some(e) = resp.get("error") {
            panic!("{method} failed: {e}");
        }
        resp["result"].clone()
    }

    /// `initialize` + `initialized`. `caps` are the client capabilities.
    pub async fn initialize(&self, root: Option<&Path>, caps: Value, options: Value) -> Value {
        let folders = root.map(|r| json!([{"uri": file_uri(r), "name": "root"}]));
        let result = self
            .call(
                "initialize",
                json!({
                    "processId": null,
                    "rootUri": root.map(file_uri),
                    "workspaceFolders": folders,
                    "capabilities": caps,
                    "initializationOptions": options,
                }),
            )
            .await;
        self.notify("initialized", json!({})).await;
        result
    }

    pub async fn open(&self, uri: &str, text: &str) {
        self.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": uri, "languageId": "markdown", "version": 1, "text": text}}),
        )
        .await;
    }

    pub async fn change(&self, uri: &str, version: i32, changes: Value) {
        self.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri, "version": version}, "contentChanges": changes}),
        )
        .await;
    }

    /// The server's text of an open document (`specls/debug/documentText`).
    pub async fn text(&self, uri: &str) -> Value {
        self.request(
            "specls/debug/documentText",
            json!({"textDocument": {"uri": uri}}),
        )
        .await
    }

    pub fn notifications(&self) -> Vec<Value> {
        self.inbox.lock().unwrap().notifications.clone()
    }

    pub fn server_requests(&self) -> Vec<Value> {
        self.inbox.lock().unwrap().server_requests.clone()
    }

    pub fn null_id_responses(&self) -> Vec<Value> {
        self.inbox.lock().unwrap().null_id.clone()
    }

    /// Wait until `f` finds what it looks for in the notifications received so far.
    pub async fn wait_for<T>(&self, what: &str, mut f: impl FnMut(&[Value]) -> Option<T>) -> T {
        let deadline = tokio::time::Instant::now() + self.timeout;
        loop {
            let notified = self.changed.notified();
            let seen = self.notifications();
            if let Some(t) = f(&seen) {
                return t;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                panic!(
                    "timed out waiting for {what}; notifications: {:#?}",
                    self.notifications()
                );
            }
        }
    }

    /// The latest `publishDiagnostics` for `uri`, if any.
    pub fn latest_diagnostics(&self, uri: &str) -> Option<Value> {
        self.inbox
            .lock()
            .unwrap()
            .notifications
            .iter()
            .rev()
            .find(|n| n["method"] == "textDocument/publishDiagnostics" && n["params"]["uri"] == uri)
            .map(|n| n["params"].clone())
    }

    /// Wait for a `publishDiagnostics` for `uri` whose params satisfy `pred`.
    pub async fn wait_diagnostics(&self, uri: &str, pred: impl Fn(&Value) -> bool) -> Value {
        self.wait_for(&format!("diagnostics for {uri}"), |ns| {
            ns.iter()
                .rev()
                .find(|n| {
                    n["method"] == "textDocument/publishDiagnostics" && n["params"]["uri"] == uri
                })
                .filter(|n| pred(&n["params"]))
                .map(|n| n["params"].clone())
        })
        .await
    }

    pub fn clear_notifications(&self) {
        self.inbox.lock().unwrap().notifications.clear();
    }

    /// `shutdown` + `exit`; returns how the server session ended.
    pub async fn shutdown(mut self) -> Ended {
        let r = self.request("shutdown", Value::Null).await;
        assert!(r.get("error").is_none(), "shutdown failed: {r}");
        self.notify("exit", Value::Null).await;
        let server = self.server.take().unwrap();
        let ended = tokio::time::timeout(self.timeout, server)
            .await
            .expect("server did not stop after exit")
            .expect("server task panicked");
        self.reader.abort();
        ended
    }

    /// Wait for the server session to end by itself.
    pub async fn ended(mut self) -> Ended {
        let server = self.server.take().unwrap();
        tokio::time::timeout(self.timeout, server)
            .await
            .expect("server did not stop")
            .expect("server task panicked")
    }
}

pub fn file_uri(p: &Path) -> String {
    let p = p.canonicalize().unwrap_or_else(|_| p.to_path_buf());
    tower_lsp_server::lsp_types::Uri::from_file_path(&p)
        .map(|u| u.as_str().to_string())
        .unwrap_or_else(|| format!("file://{}", p.display()))
}

use tower_lsp_server::UriExt as _;
