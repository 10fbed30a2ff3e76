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
//! range and a small `data` ([`LensData`]: a document number, the scenario's index and the
//! generation of the answer), and `codeLens/resolve` gives the title and the command of the few
//! the editor shows. The documents of the last answers are kept ([`LensCache`]), so a lens
//! resolves to the scenario it was answered for even after later edits; its status is the
//! latest. A client that does not resolve gets every lens complete.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::lsp_types::*;

use specls_core::model::Document;
use specls_core::testlinks::status::ScenarioStatus;

use super::commands;
use super::convert::{doc, range, Doc};
use crate::lsp::server::{blocking, internal, invalid_params, Backend};
use crate::lsp::state::{Snapshot, StateHandle};
use crate::lsp::testing::{status_text, Tally, TestView};

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

/// The `data` of an unresolved test lens: `[document, scenario, generation]`, where the
/// document is a number given by the [`LensCache`], the scenario an index into the spec's
/// scenarios as answered (-1: the spec's "Run all" lens), and the generation that of the answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LensData(pub u32, pub i64, pub u64);

/// How many answers per document are kept for resolving.
const ANSWERS_KEPT: usize = 2;
/// How many documents are numbered before the oldest are forgotten.
const DOCS_KEPT: usize = 64;

/// The documents unresolved lenses were answered for: a number per document (the `data` of a
/// lens names its document by number, a few bytes instead of its URI on each of thousands of
/// lenses), and the parsed documents of its last answers.
#[derive(Default)]
pub struct LensCache(Mutex<LensCacheInner>);

#[derive(Default)]
struct LensCacheInner {
    next: u32,
    /// Counts answers (for forgetting the document answered longest ago).
    clock: u64,
    by_key: HashMap<String, u32>,
    docs: HashMap<u32, Answered>,
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
    /// The document's number in unresolved lenses (`resolve`).
    number: Option<u32>,
    json: Arc<str>,
}

/// How many answers are kept as sent (one per document: the documents on screen).
const KEPT_ANSWERS: usize = 4;

struct Answered {
    key: String,
    uri: Uri,
    /// Newest last.
    answers: VecDeque<(u64, Arc<Document>)>,
    /// When this document was last answered (for forgetting the oldest).
    used: u64,
}

impl LensCache {
    fn inner(&self) -> std::sync::MutexGuard<'_, LensCacheInner> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Record an answer for the document `key` at `generation`: its number.
    pub fn answered(&self, key: &str, uri: &Uri, generation: u64, doc: Arc<Document>) -> u32 {
        let mut c = self.inner();
        c.clock += 1;
        let stamp = c.clock;
        let n = match c.by_key.get(key) {
            Some(n) => *n,
            None => {
                if c.docs.len() >= DOCS_KEPT {
                    if let Some((&old, _)) = c.docs.iter().min_by_key(|(_, a)| a.used) {
                        if let Some(a) = c.docs.remove(&old) {
                            c.by_key.remove(&a.key);
                        }
                    }
                }
                let n = c.next;
                c.next = c.next.wrapping_add(1);
                c.by_key.insert(key.to_string(), n);
                c.docs.insert(
                    n,
                    Answered {
                        key: key.to_string(),
                        uri: uri.clone(),
                        answers: VecDeque::new(),
                        used: 0,
                    },
                );
                n
            }
        };
        if let Some(a) = c.docs.get_mut(&n) {
            a.uri = uri.clone();
            a.used = stamp;
            if a.answers.back().is_none_or(|(g, _)| *g != generation) {
                a.answers.push_back((generation, doc));
                while a.answers.len() > ANSWERS_KEPT {
                    a.answers.pop_front();
                }
            }
        }
        n
    }

    /// The answer sent for this document at this generation, if it is kept. An answer is a
    /// pure function of the snapshot, the document and the client's URI for it, and every
    /// change to the snapshot bumps its generation: the same key, URI and generation give the
    /// same answer.
    /// With `resolve`, also the document's number its lenses carry.
    fn kept_answer(
        &self,
        key: &str,
        uri: &Uri,
        generation: u64,
        resolve: bool,
    ) -> Option<(Arc<str>, Option<u32>)> {
        let c = self.inner();
        c.kept
            .iter()
            .find(|k| {
                k.generation == generation
                    && k.resolve == resolve
                    && k.key == key
                    && k.uri == uri.as_str()
            })
            .map(|k| (k.json.clone(), k.number))
    }

    /// Keep an answer as sent (the oldest kept one is forgotten; one per document).
    fn keep_answer(&self, key: &str, uri: &Uri, generation: u64, resolve: bool, json: &str) {
        let mut c = self.inner();
        c.kept.retain(|k| k.key != key);
        if c.kept.len() >= KEPT_ANSWERS {
            c.kept.pop_front();
        }
        let number = if resolve {
            c.by_key.get(key).copied()
        } else {
            None
        };
        c.kept.push_back(Kept {
            key: key.to_string(),
            uri: uri.as_str().to_string(),
            generation,
            resolve,
            number,
            json: json.into(),
        });
    }

    /// The document numbered `n`: its key, URI, and the document answered at `generation`
    /// (None when that answer is no longer kept).
    fn get(&self, n: u32, generation: u64) -> Option<(String, Uri, Option<Arc<Document>>)> {
        let c = self.inner();
        let a = c.docs.get(&n)?;
        let doc = a
            .answers
            .iter()
            .find(|(g, _)| *g == generation)
            .map(|(_, d)| d.clone());
        Some((a.key.clone(), a.uri.clone(), doc))
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
    /// The answer to `textDocument/codeLens` as JSON text (an array, or `null` for a document
    /// that is not a spec), written straight from the snapshot: no `serde_json::Value` of
    /// thousands of lenses is built, serialised and freed. The answer for a document at a
    /// generation is kept and given again while nothing changed.
    pub async fn answer(self, params: Value) -> Result<String> {
        let params: CodeLensParams = serde_json::from_value(params)
            .map_err(|e| invalid_params(format!("textDocument/codeLens: {e}")))?;
        let t0 = std::time::Instant::now();
        let snap = self
            .state
            .snapshot()
            .await
            .ok_or_else(|| internal("specls: the state owner has stopped"))?;
        let waited = t0.elapsed();
        let uri = params.text_document.uri;
        let Some(d) = doc(&snap, &uri) else {
            return Ok("null".into());
        };
        let (resolve, cache) = (self.resolve, self.cache);
        blocking("textDocument/codeLens", move || {
            let g = snap.generation;
            if let Some((json, number)) = cache.kept_answer(&d.key, &uri, g, resolve) {
                // Unresolved lenses name their document by number: the answer holds while the
                // document keeps that number (answering it again also keeps it the newest).
                let holds = !resolve
                    || snap.file(&d.key).is_some_and(|f| {
                        Some(cache.answered(&d.key, &uri, g, f.doc.clone())) == number
                    });
                if holds {
                    return Ok(json.to_string());
                }
            }
            let t1 = std::time::Instant::now();
            let json = lenses_json(&snap, &d, &uri, resolve.then_some(&*cache))?;
            cache.keep_answer(&d.key, &uri, snap.generation, resolve, &json);
            tracing::debug!(
                "textDocument/codeLens: snapshot after {:.2} ms, blocking thread after {:.2} ms, lenses written in {:.2} ms",
                waited.as_secs_f64() * 1000.0,
                (t1 - t0).as_secs_f64() * 1000.0,
                t1.elapsed().as_secs_f64() * 1000.0
            );
            Ok(json)
        })
        .await?
    }
}

/// Every lens of a document as a JSON array: the providers' lenses in [`PROVIDERS`] order;
/// test lenses unresolved when `resolving` is given (the client resolves lenses).
pub fn lenses_json(
    snap: &Snapshot,
    d: &Doc,
    uri: &Uri,
    resolving: Option<&LensCache>,
) -> Result<String> {
    let mut out: Vec<u8> = Vec::with_capacity(64 * 1024);
    out.push(b'[');
    let mut first = true;
    for (name, provider) in PROVIDERS {
        if *name == "tests" {
            write_test_lenses(&mut out, &mut first, snap, d, uri, resolving)?;
        } else {
            for l in provider(snap, d, uri) {
                separate(&mut out, &mut first);
                serde_json::to_writer(&mut out, &l).map_err(|e| internal(e.to_string()))?;
            }
        }
    }
    out.push(b']');
    String::from_utf8(out).map_err(|e| internal(e.to_string()))
}

fn separate(out: &mut Vec<u8>, first: &mut bool) {
    if !std::mem::take(first) {
        out.push(b',');
    }
}

/// A lens as written: what `CodeLens` serialises to, from borrowed parts.
#[derive(Serialize)]
struct LensOut<'a> {
    range: Range,
    #[serde(skip_serializing_if = "Option::is_none")]
    command: Option<CommandOut<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    data: Option<LensData>,
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
/// items: the same lenses, the same order, the same text once parsed.
fn write_test_lenses(
    out: &mut Vec<u8>,
    first: &mut bool,
    snap: &Snapshot,
    d: &Doc,
    uri: &Uri,
    resolving: Option<&LensCache>,
) -> Result<()> {
    let Some(file) = snap.file(&d.key) else {
        return Ok(());
    };
    let doc = &file.doc;
    if doc.scenarios.is_empty() {
        return Ok(());
    }
    let at = |span: specls_core::Span| {
        let p = d.lines.position(&d.text, span.start, snap.encoding);
        Range::new(p, p)
    };
    let mut write = |out: &mut Vec<u8>, lens: &LensOut<'_>| -> Result<()> {
        separate(out, first);
        serde_json::to_writer(&mut *out, lens).map_err(|e| internal(e.to_string()))
    };
    if let Some(cache) = resolving {
        let g = snap.generation;
        let n = cache.answered(&d.key, uri, g, doc.clone());
        write(
            out,
            &LensOut {
                range: at(doc.name_span),
                command: None,
                data: Some(LensData(n, -1, g)),
            },
        )?;
        for (i, sc) in doc.scenarios.iter().enumerate() {
            write(
                out,
                &LensOut {
                    range: at(sc.name_span),
                    command: None,
                    data: Some(LensData(n, i as i64, g)),
                },
            )?;
        }
        return Ok(());
    }
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
            data: None,
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
                data: None,
            },
        )?;
    }
    Ok(())
}

/// `textDocument/codeLens` through the language server's own dispatch (the transport answers
/// it with [`Answerer::answer`] once the server is initialised).
pub async fn handle(backend: &Backend, params: CodeLensParams) -> Result<Option<Vec<CodeLens>>> {
    let params = serde_json::to_value(params).map_err(|e| internal(e.to_string()))?;
    let json = backend.lens_answerer().answer(params).await?;
    serde_json::from_str(&json).map_err(|e| internal(e.to_string()))
}

/// `codeLens/resolve`: the title and command of an unresolved test lens, from the scenario it
/// was answered for and the latest status. A lens that has its command is returned as it is.
pub async fn resolve(backend: &Backend, lens: CodeLens) -> Result<CodeLens> {
    if lens.command.is_some() {
        return Ok(lens);
    }
    let Some(LensData(n, index, generation)) = lens
        .data
        .as_ref()
        .and_then(|d| serde_json::from_value::<LensData>(d.clone()).ok())
    else {
        return Err(invalid_params("codeLens/resolve: not a lens of specls"));
    };
    let Some((key, uri, answered)) = backend.lenses.get(n, generation) else {
        return Err(invalid_params(
            "codeLens/resolve: the document of this lens is no longer known; ask for the lenses again",
        ));
    };
    let snap = backend.snapshot().await?;
    blocking("codeLens/resolve", move || {
        let current = snap.file(&key).map(|f| f.doc.clone());
        // The scenario as answered; without that answer (too old), the one at the same place now.
        let Some(doc) = answered.or_else(|| current.clone()) else {
            return Err(invalid_params(
                "codeLens/resolve: the document of this lens is gone",
            ));
        };
        let view = snap.test_view();
        let command = match usize::try_from(index) {
            Err(_) => run_all(&view, &key, current.as_deref(), &uri),
            Ok(i) => {
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
        Ok(CodeLens {
            range: lens.range,
            command: Some(command),
            data: lens.data,
        })
    })
    .await?
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

/// [`test_lenses`] unresolved: the same ranges, each with its [`LensData`] instead of a command.
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
    let g = snap.generation;
    let n = cache.answered(&d.key, uri, g, doc.clone());
    let data = |i: i64| Some(json!(LensData(n, i, g)));
    let mut out = Vec::with_capacity(doc.scenarios.len() + 1);
    out.push(CodeLens {
        range: at_start(snap, d, doc.name_span),
        command: None,
        data: data(-1),
    });
    for (i, sc) in doc.scenarios.iter().enumerate() {
        out.push(CodeLens {
            range: at_start(snap, d, sc.name_span),
            command: None,
            data: data(i as i64),
        });
    }
    out
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

    #[test]
    fn a_kept_answer_is_for_its_document_generation_and_client() {
        let cache = LensCache::default();
        let uri: Uri = "file:///w/a.spec.md".parse().unwrap();
        let other: Uri = "file:///w/A.spec.md".parse().unwrap();
        cache.keep_answer("a.spec.md", &uri, 3, false, "[1]");
        assert_eq!(
            cache.kept_answer("a.spec.md", &uri, 3, false).map(|k| k.0),
            Some(Arc::from("[1]"))
        );
        assert!(cache.kept_answer("a.spec.md", &uri, 4, false).is_none());
        assert!(cache.kept_answer("a.spec.md", &uri, 3, true).is_none());
        assert!(cache.kept_answer("a.spec.md", &other, 3, false).is_none());
        assert!(cache.kept_answer("b.spec.md", &uri, 3, false).is_none());
        // One answer per document; the oldest documents' are forgotten.
        cache.keep_answer("a.spec.md", &uri, 4, false, "[2]");
        assert!(cache.kept_answer("a.spec.md", &uri, 3, false).is_none());
        for i in 0..KEPT_ANSWERS {
            cache.keep_answer(&format!("d{i}"), &uri, 1, false, "[]");
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
        let n = cache.answered("a.spec.md", &uri, 1, doc.clone());
        assert_eq!(cache.answered("a.spec.md", &uri, 2, doc.clone()), n);
        assert!(cache.get(n, 1).unwrap().2.is_some());
        cache.answered("a.spec.md", &uri, 3, doc.clone());
        let (key, got_uri, old) = cache.get(n, 1).unwrap();
        assert_eq!(
            (key.as_str(), &got_uri, old.is_none()),
            ("a.spec.md", &uri, true)
        );
        assert!(cache.get(n, 3).unwrap().2.is_some());
        // More documents than are kept: the one answered longest ago is forgotten.
        for i in 0..DOCS_KEPT {
            let key = format!("d{i}.spec.md");
            cache.answered(&key, &uri, 1, doc.clone());
            if i == 0 {
                cache.answered("a.spec.md", &uri, 4, doc.clone());
            }
        }
        assert!(cache.get(n, 4).is_some(), "answered after d0");
        let d0 = cache.inner().by_key.get("d0.spec.md").copied();
        assert!(d0.is_none(), "d0 was answered longest ago");
    }
}
