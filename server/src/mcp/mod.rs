//! `specls mcp`: the Model Context Protocol over stdio (JSON-RPC 2.0, one message per line), a
//! thin front end over the analysis core so that coding agents see what a human sees in the
//! editor.
//!
//! Protocol versions: the handshake revisions the official SDKs negotiate through `initialize`
//! (2024-11-05, 2025-03-26, 2025-06-18, 2025-11-25). A client asking for another revision gets
//! the newest of these, as the specification says; `server/discover` (the stateless era) is
//! answered with "method not found" so SDKs fall back to the handshake.

pub mod schema;
mod status;
mod tools;

use std::io::{BufRead, Write};
use std::path::PathBuf;

use serde_json::{json, Value};

pub use tools::Server;

/// Handshake protocol revisions we speak, oldest to newest.
pub const PROTOCOL_VERSIONS: &[&str] = &["2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25"];

/// Maximum size of one incoming message; longer lines are rejected with a parse error.
pub const MAX_MESSAGE_BYTES: usize = 8 * 1024 * 1024;

#[derive(clap::Args, Debug)]
pub struct McpArgs {
    /// Workspace root (default: the current folder). Nothing outside it is read.
    #[arg(long)]
    pub root: Option<PathBuf>,
    /// Allow the `run_tests` tool to run the project's test command.
    #[arg(long)]
    pub allow_run: bool,
}

const PARSE_ERROR: i64 = -32700;
const INVALID_REQUEST: i64 = -32600;
const METHOD_NOT_FOUND: i64 = -32601;
const INVALID_PARAMS: i64 = -32602;

fn error(id: Value, code: i64, message: impl Into<String>) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "error": {"code": code, "message": message.into()}})
}

fn result(id: Value, result: Value) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "result": result})
}

/// Negotiate the protocol revision: the client's when we speak it, else our newest.
pub fn negotiate(requested: Option<&str>) -> &'static str {
    requested
        .and_then(|r| PROTOCOL_VERSIONS.iter().find(|v| **v == r))
        .copied()
        .unwrap_or(PROTOCOL_VERSIONS[PROTOCOL_VERSIONS.len() - 1])
}

/// Handle one incoming line; returns the response to write, if any.
pub fn handle_line(server: &mut Server, line: &str) -> Option<Value> {
    if line.trim().is_empty() {
        return None;
    }
    if line.len() > MAX_MESSAGE_BYTES {
        return Some(error(
            Value::Null,
            PARSE_ERROR,
            format!(
                "message of {} bytes is over the limit of {MAX_MESSAGE_BYTES}",
                line.len()
            ),
        ));
    }
    let msg: Value = match serde_json::from_str(line) {
        Ok(v) => v,
        Err(e) => {
            return Some(error(
                Value::Null,
                PARSE_ERROR,
                format!("invalid JSON: {e}"),
            ))
        }
    };
    if let Value::Array(batch) = &msg {
        // JSON-RPC batches (2025-03-26 allows them): answer each request, in order.
        let out: Vec<Value> = batch
            .iter()
            .filter_map(|m| handle_message(server, m))
            .collect();
        return if out.is_empty() {
            None
        } else {
            Some(Value::Array(out))
        };
    }
    handle_message(server, &msg)
}

fn handle_message(server: &mut Server, msg: &Value) -> Option<Value> {
    let Some(obj) = msg.as_object() else {
        return Some(error(
            Value::Null,
            INVALID_REQUEST,
            "a JSON-RPC message must be an object",
        ));
    };
    let id = obj.get("id").cloned();
    let Some(method) = obj.get("method").and_then(Value::as_str) else {
        // A response to a request we never send, or garbage: ignore responses, reject the rest.
        if obj.contains_key("result") || obj.contains_key("error") {
            return None;
        }
        return Some(error(
            id.unwrap_or(Value::Null),
            INVALID_REQUEST,
            "missing `method`",
        ));
    };
    let params = obj.get("params").cloned().unwrap_or(Value::Null);
    let Some(id) = id else {
        // Notifications: initialized, cancelled, roots changed... nothing to answer.
        tracing::debug!(method, "notification");
        return None;
    };
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        dispatch(server, method, &params)
    }));
    Some(match outcome {
        Ok(Ok(value)) => result(id, value),
        Ok(Err((code, message))) => error(id, code, message),
        Err(_) => error(
            id,
            -32603,
            format!("internal error while handling `{method}`; the server goes on"),
        ),
    })
}

fn dispatch(server: &mut Server, method: &str, params: &Value) -> Result<Value, (i64, String)> {
    match method {
        "initialize" => {
            let requested = params.get("protocolVersion").and_then(Value::as_str);
            let version = negotiate(requested);
            server.initialized = true;
            Ok(json!({
                "protocolVersion": version,
                "capabilities": {
                    "tools": {"listChanged": false},
                    "resources": {"subscribe": false, "listChanged": false}
                },
                "serverInfo": {"name": "specls", "version": env!("CARGO_PKG_VERSION")},
                "instructions": "specls knows every spec of this workspace: its scenarios, requirements, constraints and dependencies, and the findings of its deterministic checks (duplicates, conflicts, completeness). Call `validate_scenario` before writing a new scenario, and `check` after editing a spec."
            }))
        }
        "ping" => Ok(json!({})),
        "tools/list" => Ok(json!({"tools": tools::list()})),
        "tools/call" => {
            let name = params
                .get("name")
                .and_then(Value::as_str)
                .ok_or((INVALID_PARAMS, "tools/call needs a `name`".to_string()))?;
            let args = params.get("arguments").cloned().unwrap_or(json!({}));
            Ok(server.call(name, &args))
        }
        "resources/list" => Ok(json!({"resources": server.resources()})),
        "resources/templates/list" => Ok(json!({"resourceTemplates": []})),
        "resources/read" => {
            let uri = params
                .get("uri")
                .and_then(Value::as_str)
                .ok_or((INVALID_PARAMS, "resources/read needs a `uri`".to_string()))?;
            server.read_resource(uri).map_err(|m| (INVALID_PARAMS, m))
        }
        "prompts/list" => Ok(json!({"prompts": []})),
        "logging/setLevel" => Ok(json!({})),
        other => Err((METHOD_NOT_FOUND, format!("unknown method `{other}`"))),
    }
}

/// Serve MCP on stdin/stdout until stdin closes.
pub fn run(args: McpArgs) -> std::process::ExitCode {
    let root = args
        .root
        .clone()
        .unwrap_or_else(|| std::env::current_dir().unwrap_or_default());
    let root = match root.canonicalize() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("specls mcp: cannot open workspace {}: {e}", root.display());
            return std::process::ExitCode::from(2);
        }
    };
    let mut server = Server::new(root, args.allow_run);
    let stdin = std::io::stdin();
    let mut stdout = std::io::stdout().lock();
    let mut reader = stdin.lock();
    let mut buf = Vec::new();
    loop {
        buf.clear();
        match reader.read_until(b'\n', &mut buf) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) => {
                tracing::error!("reading stdin: {e}");
                break;
            }
        }
        let line = String::from_utf8_lossy(&buf);
        if let Some(response) = handle_line(&mut server, &line) {
            let mut text = response.to_string();
            text.push('\n');
            if stdout
                .write_all(text.as_bytes())
                .and_then(|_| stdout.flush())
                .is_err()
            {
                break;
            }
        }
    }
    std::process::ExitCode::SUCCESS
}
