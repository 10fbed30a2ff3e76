//! Our own JSON-RPC transport loop around tower-lsp-server's `LspService`.
//!
//! The stock `Server::serve` stops reading for good after the first message it cannot decode
//! (its framed reader ends the stream after any decoder error), so one malformed JSON body or one
//! invalid UTF-8 byte would end the session. This loop answers such messages with a JSON-RPC
//! error and goes on.
//!
//! It is also where document order is guaranteed: the loop reads one message at a time, and
//! hands the notifications that change state (`didOpen`, `didChange`, `didClose`,
//! `didChangeWatchedFiles`, `didChangeConfiguration`) to the state owner synchronously, before
//! reading the next message. Requests are dispatched to the service and run concurrently; a
//! request's snapshot is asked for after every earlier notification has been queued.
//!
//! Every request future runs inside a panic guard: a panicking handler yields an internal-error
//! response and the server goes on.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures::{SinkExt, StreamExt};
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::sync::mpsc;
use tower::Service;
use tower_lsp_server::jsonrpc::{Error, ErrorCode, Id, Request, Response};
use tower_lsp_server::{ClientSocket, LspService};
use tracing::{debug, error, warn};

use super::server::Backend;

/// Messages larger than this are read and discarded with an error response.
pub const MAX_MESSAGE_BYTES: usize = 256 * 1024 * 1024;
const MAX_HEADER_LINE: usize = 8 * 1024;

/// How the session ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ended {
    /// `exit` after `shutdown`.
    Clean,
    /// `exit` without `shutdown`.
    ExitWithoutShutdown,
    /// The input closed.
    Eof,
}

/// Wraps a future, turning a panic while polling it into `Err(message)`.
struct CatchUnwind<F>(Pin<Box<F>>);

impl<F: Future> Future for CatchUnwind<F> {
    type Output = Result<F::Output, String>;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let fut = self.0.as_mut();
        match std::panic::catch_unwind(AssertUnwindSafe(|| fut.poll(cx))) {
            Ok(Poll::Ready(v)) => Poll::Ready(Ok(v)),
            Ok(Poll::Pending) => Poll::Pending,
            Err(p) => Poll::Ready(Err(panic_message(&p))),
        }
    }
}

pub fn panic_message(p: &Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = p.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = p.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic".to_string()
    }
}

fn error_response(id: Id, code: ErrorCode, message: impl Into<String>) -> Response {
    Response::from_error(
        id,
        Error {
            code,
            message: message.into().into(),
            data: None,
        },
    )
}

enum Frame {
    Body(Vec<u8>),
    /// A framing problem; the loop answers with an error and reads on.
    Bad(String),
    Eof,
}

async fn read_frame<R: AsyncRead + Unpin>(input: &mut BufReader<R>) -> std::io::Result<Frame> {
    let mut length: Option<usize> = None;
    let mut problem: Option<String> = None;
    let mut line = Vec::new();
    let mut any_header = false;
    loop {
        line.clear();
        let n = (&mut *input)
            .take(MAX_HEADER_LINE as u64)
            .read_until(b'\n', &mut line)
            .await?;
        if n == 0 {
            return Ok(if any_header {
                Frame::Bad("input ended inside a message header".into())
            } else {
                Frame::Eof
            });
        }
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_end_matches(['\r', '\n']);
        if text.is_empty() {
            if !any_header {
                continue; // stray blank line between messages
            }
            break;
        }
        any_header = true;
        match text.split_once(':') {
            Some((name, value)) if name.trim().eq_ignore_ascii_case("content-length") => {
                match value.trim().parse::<usize>() {
                    Ok(n) => length = Some(n),
                    Err(e) => problem = Some(format!("bad Content-Length `{}`: {e}", value.trim())),
                }
            }
            Some(_) => {} // Content-Type and unknown headers are ignored
            None => problem = Some(format!("malformed header line `{text}`")),
        }
    }
    if let Some(p) = problem {
        return Ok(Frame::Bad(p));
    }
    let Some(len) = length else {
        return Ok(Frame::Bad("message without a Content-Length header".into()));
    };
    if len > MAX_MESSAGE_BYTES {
        let mut skip = (&mut *input).take(len as u64);
        tokio::io::copy(&mut skip, &mut tokio::io::sink()).await?;
        return Ok(Frame::Bad(format!(
            "message of {len} bytes is over the limit of {MAX_MESSAGE_BYTES} bytes; ignored"
        )));
    }
    let mut body = vec![0; len];
    input.read_exact(&mut body).await?;
    Ok(Frame::Body(body))
}

enum Parsed {
    Request(Request),
    Response(Response),
    /// Not a usable message: the error to answer with (id if one could be read).
    Invalid(Id, ErrorCode, String),
}

/// `initialize`: the LSP 3.17 name of the workspace's diagnostic capabilities is
/// `workspace.diagnostics` (what VS Code and Neovim send), while `lsp-types` 0.97 reads
/// `workspace.diagnostic`, so `refreshSupport` would be lost and an open document's diagnostics
/// would never be pulled again after new test results. The spec's name is copied to the one the
/// types read.
fn spec_capability_names(msg: &mut Value) {
    if msg.get("method").and_then(Value::as_str) != Some("initialize") {
        return;
    }
    let Some(ws) = msg
        .pointer_mut("/params/capabilities/workspace")
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    if !ws.contains_key("diagnostic") {
        if let Some(d) = ws.get("diagnostics").cloned() {
            ws.insert("diagnostic".into(), d);
        }
    }
}

fn id_of(v: &Value) -> Id {
    v.get("id")
        .and_then(|id| serde_json::from_value::<Id>(id.clone()).ok())
        .unwrap_or(Id::Null)
}

fn parse(body: &[u8]) -> Parsed {
    let text = match std::str::from_utf8(body) {
        Ok(t) => t,
        Err(e) => {
            let lossy = String::from_utf8_lossy(body);
            let id = serde_json::from_str::<Value>(&lossy)
                .map(|v| id_of(&v))
                .unwrap_or(Id::Null);
            return Parsed::Invalid(
                id,
                ErrorCode::ParseError,
                format!(
                    "message is not valid UTF-8 (invalid byte at offset {}); ignored",
                    e.valid_up_to()
                ),
            );
        }
    };
    let value: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            return Parsed::Invalid(
                Id::Null,
                ErrorCode::ParseError,
                format!("malformed JSON: {e}; message ignored"),
            )
        }
    };
    if !value.is_object() {
        return Parsed::Invalid(
            Id::Null,
            ErrorCode::InvalidRequest,
            "a message must be a JSON object (batches are not supported)".into(),
        );
    }
    if value.get("method").is_some() {
        let id = id_of(&value);
        let mut value = value;
        spec_capability_names(&mut value);
        return match serde_json::from_value::<Request>(value) {
            Ok(r) => Parsed::Request(r),
            Err(e) => Parsed::Invalid(
                id,
                ErrorCode::InvalidRequest,
                format!("invalid request: {e}"),
            ),
        };
    }
    if value.get("id").is_some() && (value.get("result").is_some() || value.get("error").is_some())
    {
        let id = id_of(&value);
        return match serde_json::from_value::<Response>(value) {
            Ok(r) => Parsed::Response(r),
            Err(e) => Parsed::Invalid(
                id,
                ErrorCode::InvalidRequest,
                format!("invalid response: {e}"),
            ),
        };
    }
    Parsed::Invalid(
        id_of(&value),
        ErrorCode::InvalidRequest,
        "message is neither a request, a notification nor a response".into(),
    )
}

/// A message framed for the output (its `Content-Length` header and the JSON text), written
/// with one `write_all`.
pub enum Framed {
    Owned(Vec<u8>),
    /// The message from this index on, in a buffer that is also kept (a code lens answer,
    /// written once: see [`response_buffer`]).
    Shared(std::sync::Arc<Vec<u8>>, usize),
}

impl Framed {
    pub fn bytes(&self) -> &[u8] {
        match self {
            Framed::Owned(b) => b,
            Framed::Shared(b, start) => &b[*start..],
        }
    }
}

/// What a response's body starts with when its result follows.
const RESULT_HEAD: &str = "{\"jsonrpc\":\"2.0\",\"result\":";
/// Room for a header (`Content-Length: `, up to 20 digits, two line breaks).
const HEADER_ROOM: usize = 40;

/// A buffer to write a response into, result first (see [`finish_response`]): room for the
/// header, then the start of the body. The result goes from `buffer.len()` on.
pub fn response_buffer(capacity: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER_ROOM + RESULT_HEAD.len() + capacity + 32);
    out.resize(HEADER_ROOM, 0);
    out.extend_from_slice(RESULT_HEAD.as_bytes());
    out
}

/// End the response to `id` written into a [`response_buffer`] (its result written after it)
/// and put its header in the room before its body: where the framed message starts. No copy of
/// the result is made (a spec's lenses can be half a megabyte).
pub fn finish_response(out: &mut Vec<u8>, id: &Id) -> Option<usize> {
    let id = serde_json::to_string(id).ok()?;
    out.extend_from_slice(b",\"id\":");
    out.extend_from_slice(id.as_bytes());
    out.push(b'}');
    let header = format!("Content-Length: {}\r\n\r\n", out.len() - HEADER_ROOM);
    let start = HEADER_ROOM.checked_sub(header.len())?;
    out[start..HEADER_ROOM].copy_from_slice(header.as_bytes());
    Some(start)
}

/// A response whose result is JSON text already, framed: the header and the body in one
/// buffer, with one copy of the result.
pub fn raw_response(id: &Id, result: &[u8]) -> Option<Vec<u8>> {
    let id = serde_json::to_string(id).ok()?;
    const ID: &str = ",\"id\":";
    let len = RESULT_HEAD.len() + result.len() + ID.len() + id.len() + 1;
    let header = format!("Content-Length: {len}\r\n\r\n");
    let mut out = Vec::with_capacity(header.len() + len);
    for part in [
        header.as_bytes(),
        RESULT_HEAD.as_bytes(),
        result,
        ID.as_bytes(),
        id.as_bytes(),
        b"}",
    ] {
        out.extend_from_slice(part);
    }
    Some(out)
}

/// A message framed for the output: its `Content-Length` header and the JSON text.
pub fn frame(json: &str) -> Vec<u8> {
    let mut out = format!("Content-Length: {}\r\n\r\n", json.len()).into_bytes();
    out.extend_from_slice(json.as_bytes());
    out
}

/// Where framed messages go, each written with one `write_all`, in the order they were sent.
struct Writer {
    tx: mpsc::UnboundedSender<Framed>,
    /// Fires once everything sent before every sender was dropped is written (or writing
    /// failed).
    done: tokio::sync::oneshot::Receiver<()>,
}

/// A task writing to an async stream.
fn stream_writer<O: AsyncWrite + Unpin + Send + 'static>(output: O) -> Writer {
    let (tx, mut rx) = mpsc::unbounded_channel::<Framed>();
    let (done_tx, done) = tokio::sync::oneshot::channel();
    tokio::spawn(async move {
        let mut output = output;
        while let Some(framed) = rx.recv().await {
            if output.write_all(framed.bytes()).await.is_err() {
                break;
            }
            if rx.is_empty() && output.flush().await.is_err() {
                break;
            }
        }
        let _ = output.flush().await;
        let _ = done_tx.send(());
    });
    Writer { tx, done }
}

/// A thread of its own writing to standard output: a message handed to it is written with one
/// system call, by the thread it was handed to (tokio's `Stdout` copies each write and hands it
/// to a thread of its blocking pool: one more thread to wake per message, and on a busy
/// machine each wake-up can wait for a time slice).
#[cfg(unix)]
fn stdout_writer() -> std::io::Result<Writer> {
    use std::io::Write;
    use std::os::fd::AsFd;
    let mut out = std::fs::File::from(std::io::stdout().as_fd().try_clone_to_owned()?);
    let (tx, mut rx) = mpsc::unbounded_channel::<Framed>();
    let (done_tx, done) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
        .name("specls-out".into())
        .spawn(move || {
            while let Some(framed) = rx.blocking_recv() {
                if out.write_all(framed.bytes()).is_err() {
                    break;
                }
            }
            let _ = done_tx.send(());
        })?;
    Ok(Writer { tx, done })
}

/// Serve one session: read from `input`, write to `output`, until `exit` or end of input.
pub async fn serve<I, O>(
    input: I,
    output: O,
    service: LspService<Backend>,
    socket: ClientSocket,
) -> Ended
where
    I: AsyncRead + Unpin,
    O: AsyncWrite + Unpin + Send + 'static,
{
    serve_with(input, stream_writer(output), service, socket).await
}

/// [`serve`] to standard output (written by a thread of its own where it can be).
pub async fn serve_stdout<I>(input: I, service: LspService<Backend>, socket: ClientSocket) -> Ended
where
    I: AsyncRead + Unpin,
{
    #[cfg(unix)]
    match stdout_writer() {
        Ok(writer) => return serve_with(input, writer, service, socket).await,
        Err(e) => warn!("cannot start the output thread ({e}): writing through the runtime"),
    }
    serve(input, tokio::io::stdout(), service, socket).await
}

async fn serve_with<I>(
    input: I,
    writer: Writer,
    mut service: LspService<Backend>,
    socket: ClientSocket,
) -> Ended
where
    I: AsyncRead + Unpin,
{
    let Writer { tx: out_tx, done } = writer;
    let send = {
        let out_tx = out_tx.clone();
        move |resp: &Response| match serde_json::to_string(resp) {
            Ok(json) => {
                let _ = out_tx.send(Framed::Owned(frame(&json)));
            }
            Err(e) => error!("cannot serialise a response: {e}"),
        }
    };

    let (mut to_client, mut from_client) = socket.split();
    let forward = {
        let out_tx = out_tx.clone();
        tokio::spawn(async move {
            while let Some(req) = to_client.next().await {
                match serde_json::to_string(&req) {
                    Ok(json) => {
                        if out_tx.send(Framed::Owned(frame(&json))).is_err() {
                            break;
                        }
                    }
                    Err(e) => error!("cannot serialise a message to the client: {e}"),
                }
            }
        })
    };

    let mut input = BufReader::with_capacity(64 * 1024, input);
    let mut ended = Ended::Eof;
    loop {
        let body = match read_frame(&mut input).await {
            Ok(Frame::Body(b)) => b,
            Ok(Frame::Bad(problem)) => {
                warn!("bad message framing: {problem}");
                send(&error_response(Id::Null, ErrorCode::ParseError, problem));
                continue;
            }
            Ok(Frame::Eof) => break,
            Err(e) => {
                debug!("input closed: {e}");
                break;
            }
        };
        let req = match parse(&body) {
            Parsed::Request(r) => r,
            Parsed::Response(r) => {
                if from_client.send(r).await.is_err() {
                    debug!("response from the client after exit; dropped");
                }
                continue;
            }
            Parsed::Invalid(id, code, message) => {
                warn!("{message}");
                send(&error_response(id, code, message));
                continue;
            }
        };
        let method = req.method().to_string();
        if req.id().is_none() && Backend::is_ordered(&method) {
            let (_, _, params) = req.into_parts();
            service.inner().ordered_notification(&method, params);
            continue;
        }
        let ready = std::future::poll_fn(|cx| match service.poll_ready(cx) {
            // Only pending while `initialize` runs, and that is awaited below before reading on.
            Poll::Pending => Poll::Ready(Ok(())),
            other => other,
        })
        .await;
        if ready.is_err() {
            break;
        }
        let id = req.id().cloned();
        if method == "shutdown" && id.is_some() {
            // Marked in arrival order, so an `exit` read right after it exits cleanly even if
            // the shutdown handler has not run yet.
            service.inner().mark_shut_down();
        }
        if method == "initialize" {
            if let Some(params) = req.params() {
                service.inner().note_initialize(params);
            }
        }
        // Code lenses are answered here, straight to JSON text: a spec of 5,000 scenarios has
        // thousands of lenses, and the service would build a `Value` of them, serialise and
        // free it. One blocking thread takes the snapshot (directly when no change is on its
        // way to the state owner), writes the framed answer and hands it to the writer: no
        // task waits on it, so no other thread is woken in between.
        if method == "textDocument/codeLens" {
            if let (Some(id), Some(answerer)) = (id.clone(), service.inner().serving_lenses()) {
                let (_, _, params) = req.into_parts();
                let out_tx = out_tx.clone();
                tokio::task::spawn_blocking(move || {
                    let t0 = std::time::Instant::now();
                    let params = params.unwrap_or(Value::Null);
                    let answer = super::server::guarded("textDocument/codeLens", || {
                        answerer.respond(&id, params)
                    });
                    let framed = match answer.and_then(|a| a) {
                        Ok(framed) => Some(framed),
                        Err(e) => serde_json::to_string(&Response::from_error(id, e))
                            .ok()
                            .map(|j| Framed::Owned(frame(&j))),
                    };
                    if let Some(framed) = framed {
                        debug!(
                            "textDocument/codeLens: {} bytes in {:.2} ms",
                            framed.bytes().len(),
                            t0.elapsed().as_secs_f64() * 1000.0
                        );
                        let _ = out_tx.send(framed);
                    }
                });
                continue;
            }
        }
        let blocking = method == "initialize" || method == "exit";
        let is_exit = method == "exit";
        let fut = CatchUnwind(Box::pin(service.call(req)));
        let respond = {
            let send = send.clone();
            move |result: Result<Result<Option<Response>, _>, String>| match result {
                Ok(Ok(Some(resp))) => send(&resp),
                Ok(Ok(None)) => {}
                Ok(Err(e)) => debug!("service: {e}"),
                Err(panic) => {
                    error!("handler for {method} panicked: {panic}");
                    if let Some(id) = id {
                        send(&error_response(
                            id,
                            ErrorCode::InternalError,
                            format!("specls: internal error while handling {method}: {panic}"),
                        ));
                    }
                }
            }
        };
        if blocking {
            // `initialize` and `exit` run to completion before the next message is read.
            respond(fut.await);
            if is_exit {
                ended = if service.inner().was_shut_down() {
                    Ended::Clean
                } else {
                    Ended::ExitWithoutShutdown
                };
                break;
            }
            continue;
        }
        tokio::spawn(async move { respond(fut.await) });
    }
    drop(send);
    drop(out_tx);
    forward.abort();
    // Let in-flight responses (cancelled by `exit`) drain, but never hang on them.
    let _ = tokio::time::timeout(std::time::Duration::from_secs(2), done).await;
    ended
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A response written result first into a [`response_buffer`] and finished in place, and
    /// one framed from its result text, are the framed JSON-RPC response to that id.
    #[test]
    fn responses_framed_in_place_are_the_responses() {
        let ids = [
            Id::Number(7),
            Id::Number(i64::MIN),
            Id::String("a \"quoted\" é id".into()),
            Id::Null,
        ];
        for id in ids {
            for result in ["null", "[]", "[{\"range\":1,\"data\":2}]"] {
                let expected = Response::from_ok(id.clone(), serde_json::from_str(result).unwrap());
                let expected = serde_json::to_value(&expected).unwrap();
                let mut out = response_buffer(result.len());
                out.extend_from_slice(result.as_bytes());
                let start = finish_response(&mut out, &id).unwrap();
                let raw = raw_response(&id, result.as_bytes()).unwrap();
                for framed in [&out[start..], &raw[..]] {
                    let text = std::str::from_utf8(framed).unwrap();
                    let (header, body) = text.split_once("\r\n\r\n").unwrap();
                    assert_eq!(header, format!("Content-Length: {}", body.len()));
                    let body: Value = serde_json::from_str(body).unwrap();
                    assert_eq!(body, expected, "{text}");
                }
            }
        }
    }

    #[test]
    fn the_spec_name_of_workspace_diagnostic_capabilities_is_read() {
        let mut init = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "capabilities": {"workspace": {"diagnostics": {"refreshSupport": true}}}}});
        spec_capability_names(&mut init);
        assert_eq!(
            init["params"]["capabilities"]["workspace"]["diagnostic"],
            json!({"refreshSupport": true})
        );
        let Parsed::Request(r) = parse(init.to_string().as_bytes()) else {
            panic!("initialize parses");
        };
        let params: tower_lsp_server::lsp_types::InitializeParams =
            serde_json::from_value(r.params().cloned().unwrap()).unwrap();
        let ws = params.capabilities.workspace.unwrap();
        assert_eq!(ws.diagnostic.unwrap().refresh_support, Some(true));
        // A client that already says `diagnostic` keeps its value; other messages are untouched.
        let mut both = json!({"method": "initialize", "params": {"capabilities": {"workspace": {
            "diagnostic": {"refreshSupport": false}, "diagnostics": {"refreshSupport": true}}}}});
        spec_capability_names(&mut both);
        assert_eq!(
            both["params"]["capabilities"]["workspace"]["diagnostic"]["refreshSupport"],
            false
        );
        let mut other = json!({"method": "shutdown", "params": {"capabilities": {"workspace": {"diagnostics": {}}}}});
        let before = other.clone();
        spec_capability_names(&mut other);
        assert_eq!(other, before);
    }
}
