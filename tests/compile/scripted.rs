//! A small scripted HTTP server for compile tests: each connection gets the next scripted
//! response (the last one repeats); every request is recorded.
#![allow(dead_code)] // each test file uses a part of it

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

#[derive(Clone, Debug)]
pub enum Resp {
    /// A server-sent event stream: each item one `data:` payload (with an optional `event:`
    /// name), `delay` between them; `hang` keeps the connection open afterwards.
    Sse {
        events: Vec<(Option<String>, String)>,
        delay: Duration,
        hang: bool,
    },
    /// A plain response.
    Plain {
        status: u16,
        headers: Vec<(String, String)>,
        body: String,
    },
}

#[derive(Clone, Debug)]
pub struct Recorded {
    pub path: String,
    pub head: String,
    pub body: String,
}

pub struct Server {
    pub base: String,
    pub requests: Arc<Mutex<Vec<Recorded>>>,
}

impl Server {
    pub fn requests(&self) -> Vec<Recorded> {
        self.requests.lock().unwrap().clone()
    }
}

/// OpenAI chat-completion chunks carrying `text` in pieces of `piece` bytes.
pub fn openai_stream(text: &str, piece: usize) -> Vec<(Option<String>, String)> {
    let mut out = Vec::new();
    let chars: Vec<char> = text.chars().collect();
    for chunk in chars.chunks(piece.max(1)) {
        let s: String = chunk.iter().collect();
        out.push((
            None,
            serde_json::json!({"choices": [{"index": 0, "delta": {"content": s}}]}).to_string(),
        ));
    }
    out.push((
        None,
        serde_json::json!({"choices": [], "usage": {"prompt_tokens": 11, "completion_tokens": 22}})
            .to_string(),
    ));
    out.push((None, "[DONE]".into()));
    out
}

/// Anthropic Messages stream events carrying `text`.
pub fn anthropic_stream(text: &str, piece: usize) -> Vec<(Option<String>, String)> {
    let ev = |name: &str, v: serde_json::Value| (Some(name.to_string()), v.to_string());
    let mut out = vec![ev(
        "message_start",
        serde_json::json!({"type": "message_start", "message": {"usage": {"input_tokens": 7, "output_tokens": 0}}}),
    )];
    let chars: Vec<char> = text.chars().collect();
    for chunk in chars.chunks(piece.max(1)) {
        let s: String = chunk.iter().collect();
        out.push(ev(
            "content_block_delta",
            serde_json::json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": s}}),
        ));
    }
    out.push(ev(
        "message_delta",
        serde_json::json!({"type": "message_delta", "usage": {"output_tokens": 9}}),
    ));
    out.push(ev(
        "message_stop",
        serde_json::json!({"type": "message_stop"}),
    ));
    out
}

pub fn sse(events: Vec<(Option<String>, String)>) -> Resp {
    Resp::Sse {
        events,
        delay: Duration::from_millis(1),
        hang: false,
    }
}

pub fn status(code: u16, body: &str) -> Resp {
    Resp::Plain {
        status: code,
        headers: vec![("content-type".into(), "application/json".into())],
        body: body.into(),
    }
}

fn reason(code: u16) -> &'static str {
    match code {
        200 => "OK",
        401 => "Unauthorized",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Status",
    }
}

async fn read_request(sock: &mut tokio::net::TcpStream) -> Option<Recorded> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        let n = sock.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let len = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse::<usize>().ok())?
        })
        .unwrap_or(0);
    while buf.len() < head_end + len {
        let n = sock.read(&mut chunk).await.ok()?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let path = head.split_whitespace().nth(1).unwrap_or("").to_string();
    Some(Recorded {
        path,
        body: String::from_utf8_lossy(&buf[head_end..]).into_owned(),
        head,
    })
}

/// Start a server answering with `script`, in order.
pub async fn start(script: Vec<Resp>) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let requests = Arc::new(Mutex::new(Vec::new()));
    let recorded = requests.clone();
    tokio::spawn(async move {
        let mut i = 0usize;
        loop {
            let Ok((mut sock, _)) = listener.accept().await else {
                return;
            };
            let resp = script[i.min(script.len() - 1)].clone();
            i += 1;
            let recorded = recorded.clone();
            tokio::spawn(async move {
                let Some(req) = read_request(&mut sock).await else {
                    return;
                };
                recorded.lock().unwrap().push(req);
                match resp {
                    Resp::Plain {
                        status,
                        headers,
                        body,
                    } => {
                        let mut head = format!(
                            "HTTP/1.1 {status} {}\r\ncontent-length: {}\r\nconnection: close\r\n",
                            reason(status),
                            body.len()
                        );
                        for (k, v) in headers {
                            head.push_str(&format!("{k}: {v}\r\n"));
                        }
                        head.push_str("\r\n");
                        let _ = sock.write_all(head.as_bytes()).await;
                        let _ = sock.write_all(body.as_bytes()).await;
                    }
                    Resp::Sse {
                        events,
                        delay,
                        hang,
                    } => {
                        let head = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncache-control: no-cache\r\nconnection: close\r\n\r\n";
                        if sock.write_all(head.as_bytes()).await.is_err() {
                            return;
                        }
                        for (name, data) in events {
                            let mut e = String::new();
                            if let Some(n) = name {
                                e.push_str(&format!("event: {n}\n"));
                            }
                            e.push_str(&format!("data: {data}\n\n"));
                            if sock.write_all(e.as_bytes()).await.is_err() {
                                return;
                            }
                            let _ = sock.flush().await;
                            tokio::time::sleep(delay).await;
                        }
                        if hang {
                            tokio::time::sleep(Duration::from_secs(600)).await;
                        }
                    }
                }
                let _ = sock.shutdown().await;
            });
        }
    });
    Server {
        base: format!("http://{addr}/v1"),
        requests,
    }
}
