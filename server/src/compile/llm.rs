//! HTTP backends: OpenAI-compatible `/v1/chat/completions` and Anthropic `/v1/messages`, both
//! streamed (server-sent events). A server that ignores `stream: true` and answers with one
//! JSON document is understood too.
//!
//! Failures are told apart ([`Failure`]): unreachable server, 401, 403, 429 (with
//! `Retry-After`), 5xx, other 4xx, nothing arriving for too long, an answer past
//! [`MAX_ANSWER_BYTES`], cancellation. Texts from the server are cut and masked (the key never
//! appears in them).

use std::time::Duration;

use eventsource_stream::Eventsource;
use futures::StreamExt;
use serde_json::{json, Value};
use specls_core::compile::backend::{Backend, Provider};
use specls_core::compile::prompt::{Prompt, Role};
use specls_core::compile::retry::Failure;
use specls_core::compile::MAX_ANSWER_BYTES;

use super::{mask, Cancel, Secret};

/// Output tokens asked for.
pub const MAX_TOKENS: u32 = 8_192;
/// Longest error text from a server kept in a message.
const MAX_DETAIL: usize = 300;

/// A complete answer.
#[derive(Clone, Debug, Default)]
pub struct Answer {
    pub text: String,
    pub tokens_in: Option<u64>,
    pub tokens_out: Option<u64>,
    /// Server-sent events received (0 when the server answered with one JSON document).
    pub events: usize,
}

/// The request body (no key: keys go in headers only).
pub fn body(backend: &Backend, prompt: &Prompt) -> Value {
    let role = |r: Role| match r {
        Role::User => "user",
        Role::Assistant => "assistant",
    };
    match backend.provider {
        Provider::Anthropic => json!({
            "model": backend.model,
            "max_tokens": MAX_TOKENS,
            "stream": true,
            "system": prompt.system,
            "messages": prompt.messages.iter().map(|m| json!({"role": role(m.role), "content": m.content})).collect::<Vec<_>>(),
        }),
        _ => {
            let mut messages = vec![json!({"role": "system", "content": prompt.system})];
            messages.extend(
                prompt
                    .messages
                    .iter()
                    .map(|m| json!({"role": role(m.role), "content": m.content})),
            );
            json!({
                "model": backend.model,
                "stream": true,
                "stream_options": {"include_usage": true},
                "max_tokens": MAX_TOKENS,
                "messages": messages,
            })
        }
    }
}

fn cut(s: &str) -> String {
    let s = s.trim();
    if s.len() <= MAX_DETAIL {
        return s.to_string();
    }
    let mut end = MAX_DETAIL;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

/// The error message inside a JSON error body (`{"error": {"message": ...}}`), else the text.
fn detail(body: &str) -> String {
    let v: Option<Value> = serde_json::from_str(body).ok();
    let msg = v.as_ref().and_then(|v| {
        v.pointer("/error/message")
            .or_else(|| v.get("message"))
            .or_else(|| v.get("error"))
            .and_then(Value::as_str)
            .map(String::from)
    });
    cut(&msg.unwrap_or_else(|| body.to_string()))
}

/// Describe a transport error with its causes (`connection refused`), masked.
fn network(e: &reqwest::Error, key: Option<&Secret>) -> Failure {
    let mut msg = if e.is_timeout() {
        "timed out".to_string()
    } else if e.is_connect() {
        "could not connect".to_string()
    } else {
        "the connection failed".to_string()
    };
    let mut source = std::error::Error::source(e);
    let mut seen = 0;
    while let Some(s) = source {
        let text = s.to_string();
        if !msg.contains(&text) {
            msg.push_str(": ");
            msg.push_str(&text);
        }
        source = s.source();
        seen += 1;
        if seen > 4 {
            break;
        }
    }
    // reqwest errors carry the URL, which may hold a key in a query string.
    Failure::Network(mask(key, &cut(&msg)))
}

fn retry_after(resp: &reqwest::Response) -> Option<Duration> {
    let v = resp.headers().get("retry-after")?.to_str().ok()?;
    v.trim().parse::<u64>().ok().map(Duration::from_secs)
}

/// Read at most 8 KB of an error body (bounded in time too).
async fn error_body(resp: reqwest::Response) -> String {
    let read = async {
        let mut out = Vec::new();
        let mut stream = resp.bytes_stream();
        while let Some(Ok(chunk)) = stream.next().await {
            out.extend_from_slice(&chunk);
            if out.len() > 8 * 1024 {
                break;
            }
        }
        String::from_utf8_lossy(&out).into_owned()
    };
    tokio::time::timeout(Duration::from_secs(5), read)
        .await
        .unwrap_or_default()
}

/// Send the prompt and read the streamed answer. `on_text` sees the answer so far after each
/// piece (for progress). Cancellation stops at once: the connection is dropped.
pub async fn ask(
    client: &reqwest::Client,
    backend: &Backend,
    key: Option<&Secret>,
    prompt: &Prompt,
    idle_timeout: Duration,
    cancel: &Cancel,
    on_text: &mut (dyn FnMut(&str) + Send),
) -> Result<Answer, Failure> {
    let body = body(backend, prompt);
    ask_body(client, backend, key, &body, idle_timeout, cancel, on_text).await
}

/// The request body asking for one JSON object in the answer: OpenAI-compatible servers get
/// `response_format` JSON mode (Anthropic has no such switch: the prompt asks for it).
pub fn json_body(backend: &Backend, prompt: &Prompt) -> Value {
    let mut b = body(backend, prompt);
    if backend.provider == Provider::OpenAi {
        b["response_format"] = json!({"type": "json_object"});
    }
    b
}

/// [`ask`] with a body of the caller's (from [`body`] or [`json_body`]).
pub async fn ask_body(
    client: &reqwest::Client,
    backend: &Backend,
    key: Option<&Secret>,
    body: &Value,
    idle_timeout: Duration,
    cancel: &Cancel,
    on_text: &mut (dyn FnMut(&str) + Send),
) -> Result<Answer, Failure> {
    let url = backend.endpoint();
    let mut req = client
        .post(&url)
        .header("content-type", "application/json")
        .header("accept", "text/event-stream")
        .body(serde_json::to_vec(body).unwrap_or_default());
    match backend.provider {
        Provider::Anthropic => {
            req = req.header("anthropic-version", "2023-06-01");
            if let Some(k) = key {
                req = req.header("x-api-key", k.expose());
            }
        }
        _ => {
            if let Some(k) = key {
                req = req.bearer_auth(k.expose());
            }
        }
    }
    let send = tokio::time::timeout(idle_timeout, req.send());
    let resp = tokio::select! {
        _ = cancel.cancelled() => return Err(Failure::Cancelled),
        r = send => match r {
            Err(_) => return Err(Failure::Timeout(idle_timeout)),
            Ok(Err(e)) => return Err(network(&e, key)),
            Ok(Ok(resp)) => resp,
        },
    };
    let status = resp.status().as_u16();
    if !(200..300).contains(&status) {
        let after = retry_after(&resp);
        let text = tokio::select! {
            _ = cancel.cancelled() => return Err(Failure::Cancelled),
            t = error_body(resp) => t,
        };
        let d = mask(key, &detail(&text));
        return Err(match status {
            401 => Failure::Unauthorized(d),
            403 => Failure::Forbidden(d),
            429 => Failure::RateLimited {
                retry_after: after,
                detail: d,
            },
            500..=599 => Failure::Server { status, detail: d },
            _ => Failure::Request { status, detail: d },
        });
    }
    let is_sse = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/event-stream"));
    if !is_sse {
        return whole_json(resp, backend, key, idle_timeout, cancel, on_text).await;
    }
    let mut events = resp.bytes_stream().eventsource();
    let mut answer = Answer::default();
    loop {
        let next = tokio::select! {
            _ = cancel.cancelled() => return Err(Failure::Cancelled),
            n = tokio::time::timeout(idle_timeout, events.next()) => n,
        };
        let event = match next {
            Err(_) => return Err(Failure::Timeout(idle_timeout)),
            Ok(None) => break,
            Ok(Some(Err(e))) => {
                return Err(Failure::Network(mask(
                    key,
                    &cut(&format!("the answer stream broke: {e}")),
                )))
            }
            Ok(Some(Ok(ev))) => ev,
        };
        answer.events += 1;
        if event.data.trim() == "[DONE]" {
            break;
        }
        let Ok(v) = serde_json::from_str::<Value>(&event.data) else {
            continue;
        };
        if let Some(err) = v.get("error").filter(|e| !e.is_null()) {
            let msg = err
                .get("message")
                .and_then(Value::as_str)
                .map(String::from)
                .unwrap_or_else(|| err.to_string());
            let kind = err.get("type").and_then(Value::as_str).unwrap_or("");
            let d = mask(key, &cut(&msg));
            return Err(match kind {
                "rate_limit_error" => Failure::RateLimited {
                    retry_after: None,
                    detail: d,
                },
                "authentication_error" => Failure::Unauthorized(d),
                "permission_error" => Failure::Forbidden(d),
                "invalid_request_error" | "not_found_error" => Failure::Request {
                    status: 400,
                    detail: d,
                },
                _ => Failure::Server {
                    status: if kind == "overloaded_error" { 529 } else { 500 },
                    detail: d,
                },
            });
        }
        let mut done = false;
        let piece = match backend.provider {
            Provider::Anthropic => match v.get("type").and_then(Value::as_str).unwrap_or("") {
                "message_start" => {
                    answer.tokens_in = v
                        .pointer("/message/usage/input_tokens")
                        .and_then(Value::as_u64);
                    None
                }
                "content_block_delta" => v
                    .pointer("/delta/text")
                    .and_then(Value::as_str)
                    .map(String::from),
                "message_delta" => {
                    if let Some(n) = v.pointer("/usage/output_tokens").and_then(Value::as_u64) {
                        answer.tokens_out = Some(n);
                    }
                    None
                }
                "message_stop" => {
                    done = true;
                    None
                }
                _ => None,
            },
            _ => {
                if let Some(u) = v.get("usage").filter(|u| u.is_object()) {
                    answer.tokens_in = u
                        .get("prompt_tokens")
                        .and_then(Value::as_u64)
                        .or(answer.tokens_in);
                    answer.tokens_out = u
                        .get("completion_tokens")
                        .and_then(Value::as_u64)
                        .or(answer.tokens_out);
                }
                v.pointer("/choices/0/delta/content")
                    .and_then(Value::as_str)
                    .map(String::from)
            }
        };
        if let Some(p) = piece {
            if answer.text.len() + p.len() > MAX_ANSWER_BYTES {
                return Err(Failure::TooLarge);
            }
            answer.text.push_str(&p);
            on_text(&answer.text);
        }
        if done {
            break;
        }
    }
    Ok(answer)
}

/// A server that answered with one JSON document instead of a stream.
async fn whole_json(
    resp: reqwest::Response,
    backend: &Backend,
    key: Option<&Secret>,
    idle_timeout: Duration,
    cancel: &Cancel,
    on_text: &mut (dyn FnMut(&str) + Send),
) -> Result<Answer, Failure> {
    let mut bytes = Vec::new();
    let mut stream = resp.bytes_stream();
    loop {
        let next = tokio::select! {
            _ = cancel.cancelled() => return Err(Failure::Cancelled),
            n = tokio::time::timeout(idle_timeout, stream.next()) => n,
        };
        match next {
            Err(_) => return Err(Failure::Timeout(idle_timeout)),
            Ok(None) => break,
            Ok(Some(Err(e))) => return Err(network(&e, key)),
            Ok(Some(Ok(chunk))) => {
                bytes.extend_from_slice(&chunk);
                if bytes.len() > 2 * MAX_ANSWER_BYTES {
                    return Err(Failure::TooLarge);
                }
            }
        }
    }
    let v: Value = serde_json::from_slice(&bytes).map_err(|e| {
        Failure::Malformed(format!(
            "the server's answer is neither an event stream nor JSON ({e})"
        ))
    })?;
    let text = match backend.provider {
        Provider::Anthropic => v.get("content").and_then(Value::as_array).map(|blocks| {
            blocks
                .iter()
                .filter_map(|b| b.get("text").and_then(Value::as_str))
                .collect::<String>()
        }),
        _ => v
            .pointer("/choices/0/message/content")
            .and_then(Value::as_str)
            .map(String::from),
    }
    .unwrap_or_default();
    if text.len() > MAX_ANSWER_BYTES {
        return Err(Failure::TooLarge);
    }
    on_text(&text);
    let usage = v.get("usage");
    Ok(Answer {
        tokens_in: usage
            .and_then(|u| u.get("prompt_tokens").or_else(|| u.get("input_tokens")))
            .and_then(Value::as_u64),
        tokens_out: usage
            .and_then(|u| {
                u.get("completion_tokens")
                    .or_else(|| u.get("output_tokens"))
            })
            .and_then(Value::as_u64),
        text,
        events: 0,
    })
}
