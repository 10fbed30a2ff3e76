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
use crate::lsp::server::{blocking, invalid_params, Backend};
use crate::lsp::state::Snapshot;
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
}

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

pub async fn handle(backend: &Backend, params: CodeLensParams) -> Result<Option<Vec<CodeLens>>> {
    let snap = backend.snapshot().await?;
    let uri = params.text_document.uri;
    let Some(d) = doc(&snap, &uri) else {
        return Ok(None);
    };
    let resolve = backend.flags().lens_resolve;
    let cache = backend.lenses.clone();
    blocking("textDocument/codeLens", move || {
        let mut out = Vec::new();
        for (name, provider) in PROVIDERS {
            if resolve && *name == "tests" {
                out.extend(unresolved_test_lenses(&snap, &d, &uri, &cache));
            } else {
                out.extend(provider(&snap, &d, &uri));
            }
        }
        Some(out)
    })
    .await
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
