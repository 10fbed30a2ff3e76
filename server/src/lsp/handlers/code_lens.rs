//! `textDocument/codeLens` and `codeLens/resolve`: one handler, lenses from one small provider
//! per feature (tests, guardian, compile). A provider is a pure function of the snapshot and the
//! document; add yours to [`PROVIDERS`].
//!
//! Every lens carries a server command (see `COMMANDS` in `server.rs`), so that clients
//! without lenses reach the same action through code actions (`code_action.rs`). Lenses that
//! only show a status carry the empty command (`""`), which clients show as plain text.
//!
//! Test lenses: one per scenario, "▶ Run" with the scenario's last result in its title, and
//! "▶ Run all" with the tally above the spec. A spec of 5,000 scenarios has 5,001 of them, so
//! for a client that resolves lenses (see [`client_resolves`]) they are answered unresolved: a
//! range and, as `data`, one number ([`LensHandle`]), and `codeLens/resolve` gives the title and
//! the command of the few the editor shows. The handles of the last answers and the documents
//! they were answered for are kept ([`LensCache`]), so a lens resolves to the scenario it was
//! answered for even after later edits; its status is the latest. A client that does not
//! resolve gets every lens complete.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use serde::Serialize;
use serde_json::{json, Value};
use tower_lsp_server::jsonrpc::{Id, Result};
use tower_lsp_server::lsp_types::*;

use specls_core::model::Document;
use specls_core::testlinks::status::ScenarioStatus;

use super::commands;
use super::convert::{doc, range, Doc};
use crate::lsp::server::{blocking, guarded, internal, invalid_params, Backend};
use crate::lsp::state::{Snapshot, StateHandle};
use crate::lsp::testing::{status_text, Tally, TestView};
use crate::lsp::transport::{finish_response, raw_response, response_buffer, Framed};

/// A lens provider: the lenses of one feature for one document.
pub type Provider = fn(&Snapshot, &Doc, &Uri) -> Vec<CodeLens>;

/// Every provider, in the order their lenses are listed.
pub const PROVIDERS: &[(&str, Provider)] = &[
    ("tests", test_lenses),
    ("guardian", guardian_lenses),
    ("compile", crate::lsp::compile::compile_lenses),
];

/// Whether test lenses go to this client unresolved, to be completed by `codeLens/resolve`.
/// `declared`: its capabilities say it resolves (`textDocument.codeLens.resolveSupport` naming
/// `command`, LSP 3.18). Otherwise by its name: VS Code and its forks (vscode-languageclient
/// resolves only the lenses on screen, so a 5,000-scenario spec costs a handful of resolves).
/// Neovim 0.11 resolves too, but every unresolved lens of the buffer, one request each, at every
/// refresh: 5,000 requests cost it more than one complete answer, so it gets complete lenses,
/// as does any other client.
pub fn client_resolves(declared: bool, client: Option<&ClientInfo>) -> bool {
    if declared {
        return true;
    }
    let Some(name) = client.map(|c| c.name.to_ascii_lowercase()) else {
        return false;
    };
    const RESOLVING: &[&str] = &[
        "visual studio code",
        "vscode",
        "code - oss",
        "code-server",
        "vscodium",
        "cursor",
        "windsurf",
    ];
    RESOLVING.iter().any(|r| name.contains(r))
}

/// Whether `initialize` params declare `textDocument.codeLens.resolveSupport` with `command`
/// (read from the raw message: the protocol types in use predate the field).
pub fn declares_resolve_support(initialize_params: &Value) -> bool {
    initialize_params
        .pointer("/capabilities/textDocument/codeLens/resolveSupport/properties")
        .and_then(Value::as_array)
        .is_some_and(|p| p.iter().any(|v| v == "command"))
}

/// The `data` of an unresolved test lens: one number, a handle given by the [`LensCache`].
/// An answer of unresolved lenses takes `1 + scenarios` consecutive handles: the first for the
/// spec's "Run all" lens, then one per scenario, in order. One number is the smallest `data`
/// there is: a client parses it for each of thousands of lenses (an array of three numbers cost
/// a JavaScript client a third more time to parse the answer of a 5,000-scenario spec).
pub type LensHandle = u64;

/// Handles stay below 2^53: exact in every JSON reader (JavaScript's numbers are doubles).
const HANDLE_LIMIT: u64 = 1 << 53;
/// How many answers per document keep the document they were answered for (a lens resolves to
/// the scenario it was answered for, wherever it went).
const ANSWERS_KEPT: usize = 2;
/// How many answers per document keep their handles (older than [`ANSWERS_KEPT`], a lens
/// resolves to the scenario at the same place now).
const HANDLES_KEPT: usize = 16;
/// How many documents are kept before the one answered longest ago is forgotten.
const DOCS_KEPT: usize = 64;

/// The documents unresolved lenses were answered for: the handles each answer took, and the
/// parsed documents of the last answers.
#[derive(Default)]
pub struct LensCache(Mutex<LensCacheInner>);

#[derive(Default)]
struct LensCacheInner {
    /// The next free handle.
    next: LensHandle,
    /// Counts answers (for forgetting the document answered longest ago).
    clock: u64,
    docs: HashMap<String, Answered>,
    /// The last answers as sent, newest last (see [`LensCache::kept_answer`]).
    kept: VecDeque<Kept>,
}

/// An answer as sent: for a document (by key and the client's URI), at a generation, for a
/// client that resolves lenses or not.
struct Kept {
    key: String,
    uri: String,
    generation: u64,
    resolve: bool,
    /// The first handle of its unresolved lenses (`resolve`).
    base: Option<LensHandle>,
    json: Text,
}

/// JSON text in a shared buffer: `buf[at]` (an answer is kept in the buffer of the response
/// it was written into, see [`Answerer::respond`]).
#[derive(Clone)]
pub struct Text {
    buf: Arc<Vec<u8>>,
    at: std::ops::Range<usize>,
}

impl Text {
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf[self.at.clone()]
    }
}

impl From<Vec<u8>> for Text {
    fn from(buf: Vec<u8>) -> Text {
        Text {
            at: 0..buf.len(),
            buf: Arc::new(buf),
        }
    }
}

/// How many answers are kept as sent (one per document: the documents on screen).
const KEPT_ANSWERS: usize = 4;

struct Answered {
    uri: Uri,
    /// Newest last.
    answers: VecDeque<Answer>,
    /// When this document was last answered (for forgetting the oldest).
    used: u64,
}

/// The handles `base..base + count` of one answer, at a generation, and (for the last
/// [`ANSWERS_KEPT`] answers) the document answered.
struct Answer {
    base: LensHandle,
    count: u64,
    generation: u64,
    doc: Option<Arc<Document>>,
}

/// What a handle names: the document's key and URI, the index of the lens in its answer (0:
/// "Run all", `1 + i`: scenario `i`), and the document answered (None when that answer is too
/// old to be kept).
type Named = (String, Uri, u64, Option<Arc<Document>>);

impl LensCacheInner {
    /// [`LensCache::answered`]; the documents it no longer keeps go to `retired`.
    fn answer(
        &mut self,
        key: &str,
        uri: &Uri,
        generation: u64,
        doc: Arc<Document>,
        count: u64,
        retired: &mut Vec<Arc<Document>>,
    ) -> LensHandle {
        let c = self;
        c.clock += 1;
        let stamp = c.clock;
        if let Some(a) = c.docs.get_mut(key) {
            if let Some(last) = a
                .answers
                .back()
                .filter(|l| l.generation == generation && l.count == count)
            {
                let base = last.base;
                a.uri = uri.clone();
                a.used = stamp;
                return base;
            }
        }
        if c.next.saturating_add(count) >= HANDLE_LIMIT {
            // Never in practice (2^53 handles); were it reached, numbering starts again and
            // every handle given so far is forgotten rather than named twice.
            c.next = 1;
            for (_, a) in c.docs.drain() {
                retired.extend(a.answers.into_iter().filter_map(|x| x.doc));
            }
            c.kept.clear();
        }
        // Handles start at 1: a lens whose `data` is 0 is never resolved by VS Code's client
        // (it tests `data` for truth), and the first answer's "Run all" lens was one.
        let base = c.next.max(1);
        c.next = base + count;
        if !c.docs.contains_key(key) && c.docs.len() >= DOCS_KEPT {
            let oldest = c
                .docs
                .iter()
                .min_by_key(|(_, a)| a.used)
                .map(|(k, _)| k.clone());
            if let Some(old) = oldest {
                if let Some(a) = c.docs.remove(&old) {
                    retired.extend(a.answers.into_iter().filter_map(|x| x.doc));
                }
                c.kept.retain(|k| k.key != old);
            }
        }
        let a = c.docs.entry(key.to_string()).or_insert_with(|| Answered {
            uri: uri.clone(),
            answers: VecDeque::new(),
            used: 0,
        });
        a.uri = uri.clone();
        a.used = stamp;
        a.answers.push_back(Answer {
            base,
            count,
            generation,
            doc: Some(doc),
        });
        while a.answers.len() > HANDLES_KEPT {
            retired.extend(a.answers.pop_front().and_then(|x| x.doc));
        }
        let n = a.answers.len();
        for old in a.answers.iter_mut().take(n.saturating_sub(ANSWERS_KEPT)) {
            retired.extend(old.doc.take());
        }
        base
    }
}

impl LensCache {
    fn inner(&self) -> std::sync::MutexGuard<'_, LensCacheInner> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Record an answer of `count` unresolved lenses for the document `key` at `generation`:
    /// the first of its handles. The same document, generation and count as the document's
    /// last answer is the same answer, with the same handles.
    pub fn answered(
        &self,
        key: &str,
        uri: &Uri,
        generation: u64,
        doc: Arc<Document>,
        count: u64,
    ) -> LensHandle {
        let mut retired = Vec::new();
        let base = self
            .inner()
            .answer(key, uri, generation, doc, count, &mut retired);
        if !retired.is_empty() {
            // Often the last holder of an old version of a big document: freeing thousands of
            // scenarios is no part of answering (it took most of the time of an answer).
            crate::lsp::diagnostics::drop_later(Box::new(retired));
        }
        base
    }

    /// The answer sent for this document at this generation, if it is kept. An answer is a
    /// pure function of the snapshot, the document and the client's URI for it, and every
    /// change to the snapshot bumps its generation: the same key, URI and generation give the
    /// same answer.
    /// With `resolve`, also the first handle of its lenses.
    fn kept_answer(
        &self,
        key: &str,
        uri: &Uri,
        generation: u64,
        resolve: bool,
    ) -> Option<(Text, Option<LensHandle>)> {
        let c = self.inner();
        c.kept
            .iter()
            .find(|k| {
                k.generation == generation
                    && k.resolve == resolve
                    && k.key == key
                    && k.uri == uri.as_str()
            })
            .map(|k| (k.json.clone(), k.base))
    }

    /// Keep an answer as sent (the oldest kept one is forgotten; one per document). `base`: the
    /// first handle of its unresolved lenses.
    fn keep_answer(
        &self,
        key: &str,
        uri: &Uri,
        generation: u64,
        resolve: bool,
        base: Option<LensHandle>,
        json: Text,
    ) {
        let mut c = self.inner();
        // Answers are big: freed off the request's way, as documents are.
        let mut retired: Vec<Kept> = Vec::new();
        while let Some(i) = c.kept.iter().position(|k| k.key == key) {
            retired.extend(c.kept.remove(i));
        }
        if c.kept.len() >= KEPT_ANSWERS {
            retired.extend(c.kept.pop_front());
        }
        if !retired.is_empty() {
            crate::lsp::diagnostics::drop_later(Box::new(retired));
        }
        c.kept.push_back(Kept {
            key: key.to_string(),
            uri: uri.as_str().to_string(),
            generation,
            resolve,
            base,
            json,
        });
    }

    /// What the handle `h` names (None when no kept answer gave it).
    fn get(&self, h: LensHandle) -> Option<Named> {
        let c = self.inner();
        c.docs.iter().find_map(|(key, a)| {
            let answer = a
                .answers
                .iter()
                .find(|x| x.base <= h && h - x.base < x.count)?;
            Some((
                key.clone(),
                a.uri.clone(),
                h - answer.base,
                answer.doc.clone(),
            ))
        })
    }
}

/// What answering `textDocument/codeLens` needs, taken from the backend so that the transport
/// can answer the request itself, straight to JSON text (see [`Answerer::answer`]).
#[derive(Clone)]
pub struct Answerer {
    pub(crate) state: StateHandle,
    pub(crate) cache: Arc<LensCache>,
    /// The client resolves lenses (see [`client_resolves`]).
    pub(crate) resolve: bool,
}

impl Answerer {
    /// The framed response to the `textDocument/codeLens` request `id` (an array of lenses, or
    /// `null` for a document that is not a spec), written straight from the snapshot into the
    /// response's buffer: no `serde_json::Value` of thousands of lenses is built, serialised and
    /// freed, and the lenses are not copied again to frame them. The answer for a document at a
    /// generation is kept and given again while nothing changed. Blocks (for the snapshot when
    /// a change is on its way to the state owner): called on a blocking thread.
    pub fn respond(&self, id: &Id, params: Value) -> Result<Framed> {
        let params: CodeLensParams = serde_json::from_value(params)
            .map_err(|e| invalid_params(format!("textDocument/codeLens: {e}")))?;
        let t0 = std::time::Instant::now();
        let snap = self
            .state
            .snapshot_blocking()
            .ok_or_else(|| internal("specls: the state owner has stopped"))?;
        let waited = t0.elapsed();
        let answer = self.answer(&snap, id, &params.text_document.uri, waited);
        release(snap);
        answer
    }

    /// [`Answerer::respond`] from the snapshot `snap` (taken after `waited`).
    fn answer(
        &self,
        snap: &Snapshot,
        id: &Id,
        uri: &Uri,
        waited: std::time::Duration,
    ) -> Result<Framed> {
        let unframed = || internal("specls: cannot frame the textDocument/codeLens answer");
        let Some(d) = doc(snap, uri) else {
            return raw_response(id, b"null")
                .map(Framed::Owned)
                .ok_or_else(unframed);
        };
        let (resolve, cache) = (self.resolve, &*self.cache);
        let g = snap.generation;
        if let Some((json, base)) = cache.kept_answer(&d.key, uri, g, resolve) {
            // Unresolved lenses carry handles: the answer holds while its handles do
            // (answering it again also keeps its document the newest).
            let holds = base.is_none_or(|b| {
                snap.file(&d.key).is_some_and(|f| {
                    let count = f.doc.scenarios.len() as u64 + 1;
                    cache.answered(&d.key, uri, g, f.doc.clone(), count) == b
                })
            });
            if holds {
                return raw_response(id, json.as_bytes())
                    .map(Framed::Owned)
                    .ok_or_else(unframed);
            }
        }
        let t1 = std::time::Instant::now();
        let count = snap.file(&d.key).map_or(0, |f| f.doc.scenarios.len());
        let mut out = response_buffer(LENS_BYTES * (count + 1));
        let from = out.len();
        let base = write_lenses(&mut out, snap, &d, uri, resolve.then_some(cache))?;
        let at = from..out.len();
        let start = finish_response(&mut out, id).ok_or_else(unframed)?;
        let buf = Arc::new(out);
        cache.keep_answer(
            &d.key,
            uri,
            g,
            resolve,
            base,
            Text {
                buf: buf.clone(),
                at,
            },
        );
        tracing::debug!(
            "textDocument/codeLens: snapshot after {:.2} ms, lenses written in {:.2} ms",
            waited.as_secs_f64() * 1000.0,
            t1.elapsed().as_secs_f64() * 1000.0
        );
        Ok(Framed::Shared(buf, start))
    }
}

/// Let go of a snapshot after answering from it. The last holder of its workspace (a version
/// the state owner has replaced since) hands it to a thread of its own: freeing an old version
/// of a big document is no part of an answer.
fn release(snap: Snapshot) {
    if Arc::strong_count(&snap.ws) == 1 {
        crate::lsp::diagnostics::drop_later(Box::new(snap));
    }
}

/// Room for one unresolved lens (about 100 bytes with a five-digit line and a six-digit handle;
/// room not written to costs nothing).
const LENS_BYTES: usize = 128;

/// Every lens of a document as a JSON array: the providers' lenses in [`PROVIDERS`] order;
/// test lenses unresolved when `resolving` is given (the client resolves lenses).
pub fn lenses_json(
    snap: &Snapshot,
    d: &Doc,
    uri: &Uri,
    resolving: Option<&LensCache>,
) -> Result<String> {
    let mut out = Vec::new();
    write_lenses(&mut out, snap, d, uri, resolving)?;
    String::from_utf8(out).map_err(|e| internal(e.to_string()))
}

/// [`lenses_json`] appended to `out`; the first handle of the unresolved lenses in it.
fn write_lenses(
    out: &mut Vec<u8>,
    snap: &Snapshot,
    d: &Doc,
    uri: &Uri,
    resolving: Option<&LensCache>,
) -> Result<Option<LensHandle>> {
    out.push(b'[');
    let mut first = true;
    let mut base = None;
    for (name, provider) in PROVIDERS {
        if *name == "tests" {
            base = write_test_lenses(out, &mut first, snap, d, uri, resolving)?;
        } else {
            for l in provider(snap, d, uri) {
                separate(out, &mut first);
                serde_json::to_writer(&mut *out, &l).map_err(|e| internal(e.to_string()))?;
            }
        }
    }
    out.push(b']');
    Ok(base)
}

fn separate(out: &mut Vec<u8>, first: &mut bool) {
    if !std::mem::take(first) {
        out.push(b',');
    }
}

/// A complete lens as written: what `CodeLens` serialises to, from borrowed parts.
#[derive(Serialize)]
struct LensOut<'a> {
    range: Range,
    #[serde(skip_serializing_if = "Option::is_none")]
    command: Option<CommandOut<'a>>,
}

#[derive(Serialize)]
struct CommandOut<'a> {
    title: &'a str,
    command: &'a str,
    arguments: [RunArgs<'a>; 1],
}

/// The argument of `specls.runTests` (see [`run_scenario`] and [`run_all`]).
#[derive(Serialize)]
struct RunArgs<'a> {
    uri: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    scenarios: Option<[&'a str; 1]>,
}

/// [`test_lenses`] (or, with `resolving`, [`unresolved_test_lenses`]) written as JSON array
/// items: the same lenses, the same order, the same text once parsed. With `resolving`, the
/// first handle of the unresolved lenses.
fn write_test_lenses(
    out: &mut Vec<u8>,
    first: &mut bool,
    snap: &Snapshot,
    d: &Doc,
    uri: &Uri,
    resolving: Option<&LensCache>,
) -> Result<Option<LensHandle>> {
    let Some(file) = snap.file(&d.key) else {
        return Ok(None);
    };
    let doc = &file.doc;
    if doc.scenarios.is_empty() {
        return Ok(None);
    }
    // Scenarios come in the order of the text: their positions are found going forward.
    let mut cursor = d.lines.cursor(&d.text, snap.encoding);
    let mut at = |span: specls_core::Span| cursor.position(span.start);
    if let Some(cache) = resolving {
        // Written by hand: thousands of lenses of a fixed shape, numbers only.
        let count = doc.scenarios.len() as u64 + 1;
        let base = cache.answered(&d.key, uri, snap.generation, doc.clone(), count);
        out.reserve(LENS_BYTES * count as usize);
        let starts =
            std::iter::once(doc.name_span).chain(doc.scenarios.iter().map(|s| s.name_span));
        for (h, span) in (base..).zip(starts) {
            separate(out, first);
            write_unresolved(out, at(span), h);
        }
        return Ok(Some(base));
    }
    let mut write = |out: &mut Vec<u8>, lens: &LensOut<'_>| -> Result<()> {
        separate(out, first);
        serde_json::to_writer(&mut *out, lens).map_err(|e| internal(e.to_string()))
    };
    let mut at = |span: specls_core::Span| {
        let p = at(span);
        Range::new(p, p)
    };
    let view = snap.test_view();
    let statuses = view.statuses_of(&d.key, doc.scenarios.len());
    let mut tally = Tally::default();
    for s in statuses.iter().flatten() {
        tally.add(s);
    }
    let all = format!("▶ Run all · {}", tally.text());
    write(
        out,
        &LensOut {
            range: at(doc.name_span),
            command: Some(CommandOut {
                title: &all,
                command: commands::RUN_TESTS,
                arguments: [RunArgs {
                    uri: uri.as_str(),
                    scenarios: None,
                }],
            }),
        },
    )?;
    let mut title = String::new();
    for (sc, status) in doc.scenarios.iter().zip(&statuses) {
        title.clear();
        title.push_str("▶ Run");
        if let Some(s) = status {
            title.push_str(" · ");
            title.push_str(&status_text(s));
        }
        write(
            out,
            &LensOut {
                range: at(sc.name_span),
                command: Some(CommandOut {
                    title: &title,
                    command: commands::RUN_TESTS,
                    arguments: [RunArgs {
                        uri: uri.as_str(),
                        scenarios: Some([&sc.id]),
                    }],
                }),
            },
        )?;
    }
    Ok(None)
}

/// An unresolved lens at `p` (an empty range) with the handle `h` as its `data`, as
/// `serde_json` writes `CodeLens { range, command: None, data: Some(h) }`: put together on the
/// stack (pieces of fixed length, each number formatted once) and added to `out` at once.
fn write_unresolved(out: &mut Vec<u8>, p: Position, h: LensHandle) {
    const START: &[u8] = b"{\"range\":{\"start\":{\"line\":";
    const CHARACTER: &[u8] = b",\"character\":";
    const END: &[u8] = b"},\"end\":{\"line\":";
    const DATA: &[u8] = b"}},\"data\":";
    let line = Decimal::of(p.line.into());
    let character = Decimal::of(p.character.into());
    let handle = Decimal::of(h);
    // The fixed text is 78 bytes, and each of the five numbers takes at most 20.
    let mut buf = [0u8; 192];
    let mut n = 0;
    let mut put = |bytes: &[u8], len: usize| {
        buf[n..n + bytes.len()].copy_from_slice(bytes);
        n += len;
    };
    put(START, START.len());
    put(&line.digits, line.len);
    put(CHARACTER, CHARACTER.len());
    put(&character.digits, character.len);
    put(END, END.len());
    put(&line.digits, line.len);
    put(CHARACTER, CHARACTER.len());
    put(&character.digits, character.len);
    put(DATA, DATA.len());
    put(&handle.digits, handle.len);
    put(b"}", 1);
    out.extend_from_slice(&buf[..n]);
}

/// A number in decimal: its digits from the left of `digits`, `len` of them.
struct Decimal {
    digits: [u8; 20],
    len: usize,
}

/// "00", "01", ... "99": two digits per division.
const DIGIT_PAIRS: [u8; 200] = {
    let mut t = [0u8; 200];
    let mut i = 0;
    while i < 100 {
        t[2 * i] = b'0' + (i / 10) as u8;
        t[2 * i + 1] = b'0' + (i % 10) as u8;
        i += 1;
    }
    t
};

impl Decimal {
    fn of(mut n: u64) -> Decimal {
        let len = n.checked_ilog10().map_or(1, |l| l as usize + 1);
        let mut digits = [0u8; 20];
        let mut end = len;
        while end >= 2 {
            let pair = (n % 100) as usize * 2;
            n /= 100;
            digits[end - 2..end].copy_from_slice(&DIGIT_PAIRS[pair..pair + 2]);
            end -= 2;
        }
        if end == 1 {
            digits[0] = b'0' + n as u8;
        }
        Decimal { digits, len }
    }
}

/// `textDocument/codeLens` through the language server's own dispatch (the transport answers
/// it with [`Answerer::answer`] once the server is initialised).
pub async fn handle(backend: &Backend, params: CodeLensParams) -> Result<Option<Vec<CodeLens>>> {
    let params = serde_json::to_value(params).map_err(|e| internal(e.to_string()))?;
    let answerer = backend.lens_answerer();
    let framed = blocking("textDocument/codeLens", move || {
        answerer.respond(&Id::Null, params)
    })
    .await??;
    let bytes = framed.bytes();
    let body = bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|i| &bytes[i + 4..])
        .ok_or_else(|| internal("specls: a textDocument/codeLens answer without a header"))?;
    #[derive(serde::Deserialize)]
    struct Body {
        result: Option<Vec<CodeLens>>,
    }
    serde_json::from_slice::<Body>(body)
        .map(|b| b.result)
        .map_err(|e| internal(e.to_string()))
}

/// `codeLens/resolve`: the title and command of an unresolved test lens, from the scenario it
/// was answered for and the latest status. A lens that has its command is returned as it is.
pub async fn resolve(backend: &Backend, lens: CodeLens) -> Result<CodeLens> {
    if lens.command.is_some() {
        return Ok(lens);
    }
    let Some(handle) = lens.data.as_ref().and_then(Value::as_u64) else {
        return Err(invalid_params("codeLens/resolve: not a lens of specls"));
    };
    let Some((key, uri, index, answered)) = backend.lenses.get(handle) else {
        return Err(invalid_params(
            "codeLens/resolve: the answer of this lens is no longer known; ask for the lenses again",
        ));
    };
    let snap = backend.snapshot().await?;
    // A scenario's lens is a few lookups once the statuses of this generation are known (the
    // diagnostics computed them): resolved here, without waking a blocking thread for it. The
    // tally of "Run all", and statuses still to compute, take a blocking thread.
    let quick = index > 0 && snap.view.get().is_some();
    let work = move || {
        let current = snap.file(&key).map(|f| f.doc.clone());
        // The scenario as answered; without that answer (too old), the one at the same place now.
        let Some(doc) = answered.or_else(|| current.clone()) else {
            return Err(invalid_params(
                "codeLens/resolve: the document of this lens is gone",
            ));
        };
        let view = snap.test_view();
        let command = match index.checked_sub(1).and_then(|i| usize::try_from(i).ok()) {
            None => run_all(&view, &key, current.as_deref(), &uri),
            Some(i) => {
                let Some(sc) = doc.scenarios.get(i) else {
                    return Err(invalid_params(
                        "codeLens/resolve: no such scenario; ask for the lenses again",
                    ));
                };
                // Its index now: the same place, or wherever its id went.
                let now = current.as_deref().and_then(|c| {
                    if c.scenarios.get(i).is_some_and(|s| s.id == sc.id) {
                        Some(i)
                    } else {
                        c.scenarios.iter().position(|s| s.id == sc.id)
                    }
                });
                let status = now.and_then(|j| view.status(&key, j));
                run_scenario(&uri, &sc.id, status)
            }
        };
        if Arc::strong_count(&doc) == 1 {
            // The last holder of a document the cache let go of (thousands of scenarios, maybe):
            // freed off the request's way.
            crate::lsp::diagnostics::drop_later(Box::new(doc));
        }
        release(snap);
        Ok(CodeLens {
            range: lens.range,
            command: Some(command),
            data: lens.data,
        })
    };
    if quick {
        guarded("codeLens/resolve", work)?
    } else {
        blocking("codeLens/resolve", work).await?
    }
}

/// The command of a scenario's lens: run it; the title says its last result.
fn run_scenario(uri: &Uri, id: &str, status: Option<&ScenarioStatus>) -> Command {
    let title = match status {
        Some(s) => format!("▶ Run · {}", status_text(s)),
        None => "▶ Run".to_string(),
    };
    Command {
        title,
        command: commands::RUN_TESTS.to_string(),
        arguments: Some(vec![json!({"uri": uri.as_str(), "scenarios": [id]})]),
    }
}

/// The command of a spec's "Run all" lens, with the tally of its scenarios.
fn run_all(view: &TestView, key: &str, doc: Option<&Document>, uri: &Uri) -> Command {
    let mut tally = Tally::default();
    for i in 0..doc.map_or(0, |d| d.scenarios.len()) {
        if let Some(s) = view.status(key, i) {
            tally.add(s);
        }
    }
    Command {
        title: format!("▶ Run all · {}", tally.text()),
        command: commands::RUN_TESTS.to_string(),
        arguments: Some(vec![json!({"uri": uri.as_str()})]),
    }
}

/// A lens at `range` running `command` with one argument object.
pub fn lens(range: Range, title: String, command: &str, arg: Option<Value>) -> CodeLens {
    CodeLens {
        range,
        command: Some(Command {
            title,
            command: command.to_string(),
            arguments: arg.map(|a| vec![a]),
        }),
        data: None,
    }
}

/// A lens that only shows text.
pub fn label(range: Range, title: String) -> CodeLens {
    lens(range, title, "", None)
}

/// The empty range at the start of `span`, where a lens goes.
fn at_start(snap: &Snapshot, d: &Doc, span: specls_core::Span) -> Range {
    let r = range(snap, d, span);
    Range::new(r.start, r.start)
}

/// Tests: "▶ Run all" with the tally above the spec, and above each scenario "▶ Run" with the
/// last run's result.
pub fn test_lenses(snap: &Snapshot, d: &Doc, uri: &Uri) -> Vec<CodeLens> {
    let Some(file) = snap.file(&d.key) else {
        return Vec::new();
    };
    let doc = &file.doc;
    if doc.scenarios.is_empty() {
        return Vec::new();
    }
    let view = snap.test_view();
    let mut out = Vec::with_capacity(doc.scenarios.len() + 1);
    out.push(CodeLens {
        range: at_start(snap, d, doc.name_span),
        command: Some(run_all(&view, &d.key, Some(doc), uri)),
        data: None,
    });
    for (i, sc) in doc.scenarios.iter().enumerate() {
        out.push(CodeLens {
            range: at_start(snap, d, sc.name_span),
            command: Some(run_scenario(uri, &sc.id, view.status(&d.key, i))),
            data: None,
        });
    }
    out
}

/// [`test_lenses`] unresolved: the same ranges, each with its [`LensHandle`] instead of a command.
pub fn unresolved_test_lenses(
    snap: &Snapshot,
    d: &Doc,
    uri: &Uri,
    cache: &LensCache,
) -> Vec<CodeLens> {
    let Some(file) = snap.file(&d.key) else {
        return Vec::new();
    };
    let doc = &file.doc;
    if doc.scenarios.is_empty() {
        return Vec::new();
    }
    let count = doc.scenarios.len() as u64 + 1;
    let base = cache.answered(&d.key, uri, snap.generation, doc.clone(), count);
    let spans = std::iter::once(doc.name_span).chain(doc.scenarios.iter().map(|s| s.name_span));
    (base..)
        .zip(spans)
        .map(|(h, span)| CodeLens {
            range: at_start(snap, d, span),
            command: None,
            data: Some(json!(h)),
        })
        .collect()
}

/// Guardian plans of task blueprints: "▶ Run guardian plan" above the plan, and each step's
/// last result against its `expects` above the step.
pub fn guardian_lenses(snap: &Snapshot, d: &Doc, uri: &Uri) -> Vec<CodeLens> {
    let Some(bp) = snap.file(&d.key).and_then(|f| f.doc.blueprint.as_ref()) else {
        return Vec::new();
    };
    if bp.guardian.is_empty() {
        return Vec::new();
    }
    let results = crate::lsp::guardian::step_results(snap.guardian.get(&d.key), &bp.guardian);
    let at = |span: specls_core::Span| {
        let r = range(snap, d, span);
        Range::new(r.start, r.start)
    };
    let top = bp.guardian_span.unwrap_or(bp.guardian[0].span);
    let met = results.iter().any(Option::is_some).then(|| {
        results
            .iter()
            .flatten()
            .filter(|s| s.outcome.is_met())
            .count()
    });
    let title = match met {
        Some(m) => format!(
            "▶ Run guardian plan · {m} of {} steps met",
            bp.guardian.len()
        ),
        None => format!("▶ Run guardian plan ({} steps)", bp.guardian.len()),
    };
    let mut out = vec![lens(
        at(top),
        title,
        commands::RUN_GUARDIAN,
        Some(json!({"uri": uri.as_str()})),
    )];
    for (i, step) in bp.guardian.iter().enumerate() {
        let r = results[i];
        out.push(label(
            at(step.span),
            format!(
                "[{}] {}",
                step.stage,
                crate::lsp::guardian::step_text(&step.expects, r)
            ),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(json: &str) -> Text {
        Text::from(json.as_bytes().to_vec())
    }

    fn info(name: &str) -> ClientInfo {
        ClientInfo {
            name: name.into(),
            version: None,
        }
    }

    /// A snapshot of one YAML spec (a non-ASCII name before a scenario, for UTF-16 columns),
    /// a test file linking some of its scenarios, and results passing, failing and skipping.
    fn snapshot() -> (Snapshot, Doc, Uri) {
        use crate::lsp::position::Encoding;
        use specls_core::testlinks::Language;
        let spec = "feature: Todo ☑ list\nscenarios:\n  - name: Add an item\n    given: a list\n    when: I add \"x\"\n    then: it is there\n  - name: Remove an item\n    given: a list with ünïcode\n    when: I remove it\n    then: it is gone\n  - name: Skip me\n    given: a\n    when: b\n    then: c\n  - name: Never tested\n    given: a\n    when: b\n    then: c\n";
        let mut ws = specls_core::workspace::Workspace::new();
        ws.upsert_bytes("specs/todo.scenarios.yaml", spec.as_bytes());
        let test = "def test_add_an_item():\n    pass\n\ndef test_remove_an_item():\n    pass\n\ndef test_skip_me():\n    pass\n";
        let mut tests = crate::lsp::testing::TestFiles::default();
        tests.upsert("tests/test_todo.py", Arc::from(test), Language::Python);
        let junit = "<testsuite><testcase classname=\"tests.test_todo\" name=\"test_add_an_item\" time=\"0.25\"/><testcase classname=\"tests.test_todo\" name=\"test_remove_an_item\"><failure message=\"assert \u{201c}x\u{201d} == y\"/></testcase><testcase classname=\"tests.test_todo\" name=\"test_skip_me\"><skipped/></testcase></testsuite>";
        let run = crate::lsp::testing::merge_results(vec![(
            ".specls/results/junit.xml".into(),
            None,
            junit.into(),
        )]);
        let root = std::path::PathBuf::from("/nonexistent-specls-lens-test");
        let snap = Snapshot {
            generation: 7,
            content: 7,
            ws: Arc::new(ws),
            open: Arc::default(),
            roots: Arc::new(crate::lsp::paths::Roots::new(vec![root])),
            encoding: Encoding::Utf16,
            settings: Arc::default(),
            tests: Arc::new(tests),
            run: Arc::new(run),
            guardian: crate::lsp::guardian::empty(),
            view: Arc::default(),
            last_view: Arc::default(),
            drift: Arc::default(),
            drift_files: Arc::default(),
        };
        let uri: Uri = "file:///nonexistent-specls-lens-test/specs/todo.scenarios.yaml"
            .parse()
            .unwrap();
        let d = doc(&snap, &uri).expect("the spec is a document");
        (snap, d, uri)
    }

    /// The lenses as the providers give them, serialised as the service would.
    fn plain(snap: &Snapshot, d: &Doc, uri: &Uri, cache: Option<&LensCache>) -> Value {
        let mut all = Vec::new();
        for (name, provider) in PROVIDERS {
            match (cache, *name) {
                (Some(c), "tests") => all.extend(unresolved_test_lenses(snap, d, uri, c)),
                _ => all.extend(provider(snap, d, uri)),
            }
        }
        serde_json::to_value(all).unwrap()
    }

    #[test]
    fn lenses_written_as_json_are_the_providers_lenses() {
        let (snap, d, uri) = snapshot();
        let written = lenses_json(&snap, &d, &uri, None).unwrap();
        let written: Value = serde_json::from_str(&written).unwrap();
        assert_eq!(written, plain(&snap, &d, &uri, None));
        let titles: Vec<&str> = written
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["command"]["title"].as_str().unwrap())
            .collect();
        insta::assert_yaml_snapshot!(titles);
        // Unresolved: the same ranges and data, and each resolves to the complete lens.
        let cache = LensCache::default();
        let written = lenses_json(&snap, &d, &uri, Some(&cache)).unwrap();
        let written: Value = serde_json::from_str(&written).unwrap();
        assert_eq!(written, plain(&snap, &d, &uri, Some(&cache)));
        assert_eq!(written.as_array().unwrap().len(), 5);
    }

    /// Unresolved lenses written by hand are what `serde_json` writes, for numbers of every
    /// length.
    #[test]
    fn unresolved_lenses_are_written_as_serde_writes_them() {
        let numbers = [
            0u64,
            1,
            9,
            10,
            99,
            100,
            101,
            1_000,
            12_345,
            99_999,
            100_000,
            u32::MAX as u64,
        ];
        let handles = [1u64, 9, 10, 250_123, 1_234_567, HANDLE_LIMIT - 1, u64::MAX];
        for &line in &numbers {
            for &character in numbers.iter().rev() {
                for &h in &handles {
                    let p = Position::new(line as u32, character as u32);
                    let mut out = Vec::new();
                    write_unresolved(&mut out, p, h);
                    let expected = serde_json::to_string(&CodeLens {
                        range: Range::new(p, p),
                        command: None,
                        data: Some(json!(h)),
                    })
                    .unwrap();
                    assert_eq!(String::from_utf8(out).unwrap(), expected);
                }
            }
        }
    }

    #[test]
    fn a_kept_answer_is_for_its_document_generation_and_client() {
        let cache = LensCache::default();
        let uri: Uri = "file:///w/a.spec.md".parse().unwrap();
        let other: Uri = "file:///w/A.spec.md".parse().unwrap();
        cache.keep_answer("a.spec.md", &uri, 3, false, None, text("[1]"));
        assert_eq!(
            cache
                .kept_answer("a.spec.md", &uri, 3, false)
                .map(|k| k.0.as_bytes().to_vec()),
            Some(b"[1]".to_vec())
        );
        assert!(cache.kept_answer("a.spec.md", &uri, 4, false).is_none());
        assert!(cache.kept_answer("a.spec.md", &uri, 3, true).is_none());
        assert!(cache.kept_answer("a.spec.md", &other, 3, false).is_none());
        assert!(cache.kept_answer("b.spec.md", &uri, 3, false).is_none());
        // One answer per document; the oldest documents' are forgotten.
        cache.keep_answer("a.spec.md", &uri, 4, false, None, text("[2]"));
        assert!(cache.kept_answer("a.spec.md", &uri, 3, false).is_none());
        for i in 0..KEPT_ANSWERS {
            cache.keep_answer(&format!("d{i}"), &uri, 1, false, None, text("[]"));
        }
        assert!(cache.kept_answer("a.spec.md", &uri, 4, false).is_none());
        assert!(cache.kept_answer("d0", &uri, 1, false).is_some());
    }

    #[test]
    fn which_clients_get_unresolved_lenses() {
        let declared = json!({"capabilities": {"textDocument": {"codeLens": {"resolveSupport": {"properties": ["command"]}}}}});
        assert!(declares_resolve_support(&declared));
        let other = json!({"capabilities": {"textDocument": {"codeLens": {"resolveSupport": {"properties": ["title"]}}}}});
        assert!(!declares_resolve_support(&other));
        assert!(!declares_resolve_support(&json!({})));
        assert!(client_resolves(true, None));
        assert!(client_resolves(false, Some(&info("Visual Studio Code"))));
        assert!(client_resolves(false, Some(&info("code-server"))));
        assert!(!client_resolves(false, Some(&info("Neovim"))));
        assert!(!client_resolves(false, Some(&info("helix"))));
        assert!(!client_resolves(false, None));
    }

    #[test]
    fn the_cache_keeps_the_last_answers_of_the_last_documents() {
        let cache = LensCache::default();
        let uri: Uri = "file:///w/a.spec.md".parse().unwrap();
        let doc = Arc::new(Document::default());
        let first = cache.answered("a.spec.md", &uri, 1, doc.clone(), 3);
        // Never 0: VS Code's client drops a lens's `data` when it is falsy, and the lens could
        // not be resolved.
        assert_eq!(first, 1, "handles start at 1");
        // The same generation and count: the same answer, the same handles.
        assert_eq!(cache.answered("a.spec.md", &uri, 1, doc.clone(), 3), first);
        let second = cache.answered("a.spec.md", &uri, 2, doc.clone(), 3);
        assert_eq!(second, first + 3, "a new answer takes the next handles");
        let (key, got_uri, index, answered) = cache.get(first + 2).unwrap();
        assert_eq!(
            (key.as_str(), &got_uri, index, answered.is_some()),
            ("a.spec.md", &uri, 2, true)
        );
        assert!(cache.get(second + 3).is_none(), "not given yet");
        // A third answer: the first one's document is forgotten, its handles still name the
        // same places.
        cache.answered("a.spec.md", &uri, 3, doc.clone(), 3);
        let (_, _, index, answered) = cache.get(first + 1).unwrap();
        assert_eq!((index, answered.is_none()), (1, true));
        assert!(cache.get(second).unwrap().3.is_some());
        // After many more answers, the oldest handles are forgotten.
        for g in 4..4 + HANDLES_KEPT as u64 {
            cache.answered("a.spec.md", &uri, g, doc.clone(), 3);
        }
        assert!(cache.get(first).is_none());
        // More documents than are kept: the one answered longest ago is forgotten, with its
        // kept answer.
        let a = cache.answered("a.spec.md", &uri, 100, doc.clone(), 1);
        cache.keep_answer("a.spec.md", &uri, 100, true, Some(a), text("[]"));
        let mut d0 = None;
        for i in 0..DOCS_KEPT {
            let h = cache.answered(&format!("d{i}.spec.md"), &uri, 1, doc.clone(), 1);
            if i == 0 {
                d0 = Some(h);
                cache.answered("a.spec.md", &uri, 100, doc.clone(), 1);
            }
        }
        assert!(cache.get(a).is_some(), "answered after d0");
        assert!(cache.kept_answer("a.spec.md", &uri, 100, true).is_some());
        assert!(
            cache.get(d0.unwrap()).is_none(),
            "d0 was answered longest ago"
        );
    }
}
