//! Diagnostics for every spec of the workspace: computed by the core's `check_workspace` on a
//! snapshot, converted at the edge, and either pushed (`publishDiagnostics`, only for files whose
//! diagnostics changed) or kept for pull requests.
//!
//! Scheduling: an edit is checked at once, on the latest snapshot; edits that come while the
//! checks run are checked together next. The short debounce (`diagnosticsDelay`, default 30 ms)
//! is for bursts the checks cannot keep up with: when edits came while the last results were
//! computed and published, and those took at least `diagnosticsDelay`, the next check waits
//! until no edit has come for `diagnosticsDelay`. A client that waits for each publish before
//! it sends more (a test harness, an agent, an editor restoring a session one file at a time),
//! and a typist whose every keystroke is checked in a few milliseconds, never wait. Results
//! computed for a generation whose content is no longer the latest are dropped.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use serde_json::json;
use tower_lsp_server::lsp_types::{
    self as lsp, DiagnosticRelatedInformation, DiagnosticSeverity, Location, NumberOrString,
};
use tower_lsp_server::Client;
use tracing::{debug, warn};

use specls_core::checks::{Analysis, Env};
use specls_core::diag::{Diagnostic, Severity};

use super::position::LineIndex;
use super::state::{OpenDocs, OpenMeta, Snapshot, StateHandle};

/// Core diagnostics per document key, for one generation. A file's list is shared (`Arc`)
/// with the previous generation's when it did not change, so that what follows (publishing,
/// pull diagnostics) can skip it by pointer.
pub type Results = Arc<BTreeMap<String, Arc<Vec<Diagnostic>>>>;

/// Is `tool` an executable on PATH? A lookup only: nothing is run.
fn tool_exists(tool: &str) -> bool {
    let Some(path) = std::env::var_os("PATH") else {
        return false;
    };
    std::env::split_paths(&path).any(|dir| {
        let p = dir.join(tool);
        p.is_file() || (cfg!(windows) && p.with_extension("exe").is_file())
    })
}

/// Run the core checks, reusing `analysis` (per-file results of unchanged documents); a panic
/// in them is logged, the cache is reset, and there is no result.
pub fn compute(snap: &Snapshot, analysis: &mut Analysis) -> Option<Results> {
    compute_merging(snap, analysis, &mut Merged::default())
}

/// The diagnostics the checks do not make (tests, guardian, drift), per file, with the list
/// they were added to and the result, from the last computation: a file whose checks and extra
/// diagnostics are the same keeps its `Arc`.
#[derive(Default)]
pub struct Merged {
    files: HashMap<String, MergedFile>,
}

/// One file's list from the checks, what was added to it (in parts), and the result.
struct MergedFile {
    base: Arc<Vec<Diagnostic>>,
    extra: Vec<Arc<Vec<Diagnostic>>>,
    out: Arc<Vec<Diagnostic>>,
}

/// The same parts: each the same list (shared, as the test view's are from one generation to
/// the next when they did not change) or an equal one.
fn same_parts(a: &[Arc<Vec<Diagnostic>>], b: &[Arc<Vec<Diagnostic>>]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| Arc::ptr_eq(x, y) || x == y)
}

/// [`compute`], reusing the merged lists of `merged` where nothing changed.
pub fn compute_merging(
    snap: &Snapshot,
    analysis: &mut Analysis,
    merged: &mut Merged,
) -> Option<Results> {
    let roots = snap.roots.clone();
    let file_exists = move |rel: &str| roots.path_for_key(rel).is_some_and(|p| p.exists());
    let env = Env {
        tool_exists: Some(&tool_exists),
        file_exists: Some(&file_exists),
    };
    let ws = snap.ws.clone();
    let config = snap.settings.config.clone();
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        analysis.check_shared(&ws, &config, &env)
    })) {
        Ok(mut r) => {
            drop_later(Box::new(analysis.take_retired()));
            // What the checks do not make, per file, in parts (no part is empty).
            let mut extra: BTreeMap<String, Vec<Arc<Vec<Diagnostic>>>> = BTreeMap::new();
            // Scenarios and tests: untested and failed scenarios, unknown markers in tests.
            match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| snap.test_view())) {
                Ok(view) => {
                    for (key, diags) in &view.diagnostics {
                        extra.entry(key.clone()).or_default().push(diags.clone());
                    }
                }
                Err(_) => warn!("linking scenarios and tests panicked; test diagnostics left out"),
            }
            for (key, diags) in super::guardian::diagnostics(snap) {
                let parts = extra.entry(key).or_default();
                if !diags.is_empty() {
                    parts.push(Arc::new(diags));
                }
            }
            // Drift since the last compile (manifests and generated files read from disk).
            match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                crate::lsp::drift::workspace_drift(snap)
            })) {
                Ok(Some(d)) => {
                    for (key, diags) in specls_core::drift::diagnostics(&snap.ws, &d.drift) {
                        if let Some(f) = snap.ws.get(&key) {
                            let diags = specls_core::checks::finish(&f.doc, diags, &config);
                            let parts = extra.entry(key).or_default();
                            if !diags.is_empty() {
                                parts.push(Arc::new(diags));
                            }
                        }
                    }
                }
                Ok(None) => {}
                Err(_) => warn!("drift panicked; drift diagnostics left out"),
            }
            merged.files.retain(|k, _| extra.contains_key(k));
            for (key, more) in extra {
                let base = r.entry(key.clone()).or_default();
                if let Some(m) = merged.files.get(&key) {
                    let same_base =
                        Arc::ptr_eq(&m.base, base) || (m.base.is_empty() && base.is_empty());
                    if same_base && same_parts(&m.extra, &more) {
                        *base = m.out.clone();
                        continue;
                    }
                }
                let mut all = base.as_ref().clone();
                for part in &more {
                    all.extend(part.iter().cloned());
                }
                let out = Arc::new(all);
                let base = std::mem::replace(base, out.clone());
                merged.files.insert(
                    key,
                    MergedFile {
                        base,
                        extra: more,
                        out,
                    },
                );
            }
            // Problems in specls.toml are diagnostics of that file.
            if let Some(toml) = &snap.settings.toml {
                let diags = snap
                    .settings
                    .toml_issues
                    .iter()
                    .map(|i| i.to_diagnostic())
                    .collect();
                r.insert(toml.key.clone(), Arc::new(diags));
            }
            Some(Arc::new(r))
        }
        Err(_) => {
            analysis.clear();
            warn!("the checks panicked; diagnostics not updated");
            None
        }
    }
}

/// Drop `x` on a thread of its own: freeing the previous version of a big document (thousands
/// of scenarios) is not something a keystroke's diagnostics (or a request) should wait for.
/// Dropped here when that thread cannot be started.
pub(crate) fn drop_later(x: Box<dyn Send>) {
    static DROPPER: OnceLock<Option<std::sync::mpsc::Sender<Box<dyn Send>>>> = OnceLock::new();
    let tx = DROPPER.get_or_init(|| {
        let (tx, rx) = std::sync::mpsc::channel::<Box<dyn Send>>();
        std::thread::Builder::new()
            .name("specls-drop".into())
            .spawn(move || rx.into_iter().for_each(drop))
            .ok()
            .map(|_| tx)
    });
    if let Some(tx) = tx {
        let _ = tx.send(x);
    }
}

/// Line indexes built on demand, once per file per conversion pass.
#[derive(Default)]
pub struct Lines {
    cache: HashMap<String, LineIndex>,
    /// Whether a fix may write each file (see [`Lines::writable`]).
    writable: HashMap<String, bool>,
}

impl Lines {
    /// Whether a quick fix may edit or create the file `key`: it lies in a workspace folder
    /// after resolving `..` and symbolic links, and is not itself a link. A fix with an edit
    /// elsewhere (a hostile arrangement's test path, a link out of the workspace) is dropped.
    fn writable(&mut self, snap: &Snapshot, key: &str) -> bool {
        if let Some(ok) = self.writable.get(key) {
            return *ok;
        }
        let ok = snap.roots.path_for_key(key).is_some_and(|path| {
            snap.roots.folders.iter().any(|folder| {
                path.strip_prefix(folder).is_ok_and(|rel| {
                    crate::fsutil::confined(folder, &rel.to_string_lossy()).is_ok()
                })
            })
        });
        if !ok {
            debug!("a quick fix that writes {key} is not offered: it leaves the workspace");
        }
        self.writable.insert(key.to_string(), ok);
        ok
    }

    pub fn range(&mut self, snap: &Snapshot, key: &str, span: specls_core::Span) -> lsp::Range {
        let text = snap.text(key).unwrap_or_default();
        // An open spec's index comes with the snapshot: the owner keeps it for the buffer's
        // text, which is the text the snapshot's workspace holds for an open spec.
        let shared = snap.open.get(key).and_then(|m| m.lines.as_ref());
        if let (Some(lines), Some(_)) = (shared, snap.ws.get(key)) {
            if lines.text_len() == text.len() {
                return lines.range(&text, span, snap.encoding);
            }
        }
        let idx = self
            .cache
            .entry(key.to_string())
            .or_insert_with(|| LineIndex::new(&text));
        idx.range(&text, span, snap.encoding)
    }
}

fn severity(s: Severity) -> DiagnosticSeverity {
    match s {
        Severity::Error => DiagnosticSeverity::ERROR,
        Severity::Warning => DiagnosticSeverity::WARNING,
        Severity::Information => DiagnosticSeverity::INFORMATION,
        Severity::Hint => DiagnosticSeverity::HINT,
    }
}

/// One core diagnostic as LSP. Fixes travel in `data.fixes` with their edits already converted
/// (`uri`, `range`, `newText`), for the code action handler.
pub fn to_lsp(snap: &Snapshot, lines: &mut Lines, key: &str, d: &Diagnostic) -> lsp::Diagnostic {
    let range = lines.range(snap, key, d.span);
    let related: Vec<DiagnosticRelatedInformation> = d
        .related
        .iter()
        .filter_map(|r| {
            let path = if r.path.is_empty() { key } else { &r.path };
            Some(DiagnosticRelatedInformation {
                location: Location::new(snap.uri(path)?, lines.range(snap, path, r.span)),
                message: r.message.clone(),
            })
        })
        .collect();
    let offered: Vec<_> = d
        .fixes
        .iter()
        .filter(|f| {
            f.edits
                .iter()
                .all(|e| e.path.is_empty() || e.path == key || lines.writable(snap, &e.path))
        })
        .collect();
    let fixes: Vec<serde_json::Value> = offered
        .into_iter()
        .map(|f| {
            let edits: Vec<serde_json::Value> = f
                .edits
                .iter()
                .filter_map(|e| {
                    let path = if e.path.is_empty() { key } else { &e.path };
                    Some(json!({
                        "uri": snap.uri(path)?.as_str(),
                        "range": lines.range(snap, path, e.span),
                        "newText": e.new_text,
                    }))
                })
                .collect();
            json!({"title": f.title, "edits": edits})
        })
        .collect();
    lsp::Diagnostic {
        range,
        severity: Some(severity(d.severity)),
        code: Some(NumberOrString::String(d.code.to_string())),
        code_description: None,
        source: Some("specls".into()),
        message: d.message.clone(),
        related_information: (!related.is_empty()).then_some(related),
        tags: None,
        data: (!fixes.is_empty()).then(|| json!({ "fixes": fixes })),
    }
}

pub fn file_to_lsp(snap: &Snapshot, key: &str, diags: &[Diagnostic]) -> Vec<lsp::Diagnostic> {
    file_to_lsp_with(snap, &mut Lines::default(), key, diags)
}

/// [`file_to_lsp`] with the line indexes of `lines`, shared by the files converted together
/// (opening a workspace converts every file's diagnostics, whose related locations are in the
/// other files: each file's index is made once).
pub fn file_to_lsp_with(
    snap: &Snapshot,
    lines: &mut Lines,
    key: &str,
    diags: &[Diagnostic],
) -> Vec<lsp::Diagnostic> {
    diags.iter().map(|d| to_lsp(snap, lines, key, d)).collect()
}

/// A stable id for a list of LSP diagnostics (pull diagnostics' `resultId`): FNV-1a of their
/// JSON, the same on every machine and Rust version.
pub fn result_id(diags: &[lsp::Diagnostic]) -> String {
    let json = serde_json::to_string(diags).unwrap_or_default();
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in json.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}

/// What was last published, per key, and what it was made from.
#[derive(Default)]
struct Publishes {
    files: specls_core::fxhash::HashMap<String, Published>,
    last: Option<LastPublish>,
}

/// The results, workspace folders and open documents of the last publish.
struct LastPublish {
    results: Results,
    roots: Arc<super::paths::Roots>,
    open: Arc<OpenDocs>,
}
type FxHashSet<K> = specls_core::fxhash::HashSet<K>;

/// What was last published for one file (and where: a key names another file once the
/// workspace folders change).
struct Published {
    uri: lsp::Uri,
    /// The text the diagnostics were computed on (None: an open document the checks do not
    /// cover, published empty).
    text: Option<Arc<str>>,
    core: Arc<Vec<Diagnostic>>,
    lsp: Vec<lsp::Diagnostic>,
    /// The workspace folders the URI was made with.
    roots: Option<Arc<super::paths::Roots>>,
}

/// Results and the generation and content of the snapshot they were computed for.
struct Latest {
    generation: u64,
    content: u64,
    results: Results,
}

/// The latest results, shared with request handlers (pull diagnostics, code actions).
#[derive(Default)]
pub struct Cache {
    latest: Mutex<Option<Latest>>,
    /// Per-file check results, reused across generations (only taken on blocking threads).
    analysis: Arc<Mutex<(Analysis, Merged)>>,
    /// LSP diagnostics as last sent or answered, per key (code actions fall back to these when
    /// the client does not send `data` back).
    lsp: Mutex<HashMap<String, Vec<lsp::Diagnostic>>>,
}

impl Cache {
    /// Keep `results` as those of `snap` (unless later ones are kept already).
    pub fn store(&self, snap: &Snapshot, results: Results) {
        let mut g = self.latest.lock().unwrap_or_else(|e| e.into_inner());
        if g.as_ref().is_none_or(|l| l.generation <= snap.generation) {
            *g = Some(Latest {
                generation: snap.generation,
                content: snap.content,
                results,
            });
        }
    }
    /// The results kept for `snap`'s generation, or for another generation of the same
    /// content: one that differs only in the documents open, opened with the text the
    /// workspace holds, reads the same (everything else that changes what the checks, tests,
    /// drift and guardian read makes a new content).
    pub fn get(&self, snap: &Snapshot) -> Option<Results> {
        let g = self.latest.lock().unwrap_or_else(|e| e.into_inner());
        g.as_ref()
            .filter(|l| l.generation == snap.generation || l.content == snap.content)
            .map(|l| l.results.clone())
    }
    pub fn remember(&self, key: &str, diags: &[lsp::Diagnostic]) {
        let mut g = self.lsp.lock().unwrap_or_else(|e| e.into_inner());
        g.insert(key.to_string(), diags.to_vec());
    }
    pub fn remembered(&self, key: &str) -> Vec<lsp::Diagnostic> {
        let g = self.lsp.lock().unwrap_or_else(|e| e.into_inner());
        g.get(key).cloned().unwrap_or_default()
    }
    /// The remembered diagnostics of `key` that `keep` accepts (only those are cloned: a big
    /// spec can have thousands, and a code action wants the few under the cursor).
    pub fn remembered_where(
        &self,
        key: &str,
        keep: impl Fn(&lsp::Diagnostic) -> bool,
    ) -> Vec<lsp::Diagnostic> {
        let g = self.lsp.lock().unwrap_or_else(|e| e.into_inner());
        g.get(key)
            .map(|v| v.iter().filter(|d| keep(d)).cloned().collect())
            .unwrap_or_default()
    }
    /// Results for this snapshot, computing them (off the async threads) if needed.
    pub async fn results(&self, snap: &Snapshot) -> Option<Results> {
        if let Some(r) = self.get(snap) {
            return Some(r);
        }
        let s = snap.clone();
        let analysis = self.analysis.clone();
        let r = tokio::task::spawn_blocking(move || {
            let mut a = analysis.lock().unwrap_or_else(|e| e.into_inner());
            let (analysis, merged) = &mut *a;
            compute_merging(&s, analysis, merged)
        })
        .await
        .ok()
        .flatten()?;
        self.store(snap, r.clone());
        Some(r)
    }
}

pub enum Mode {
    Push,
    /// Pull: results are only cached; `refresh` when the client can be asked to re-pull.
    Pull {
        refresh: bool,
    },
}

/// The scheduler: runs until the state owner stops.
pub async fn run(client: Client, state: StateHandle, cache: Arc<Cache>, mode: Mode) {
    let mut changes = state.subscribe();
    let mut published: Publishes = Publishes::default();
    // Pull mode: the results and the open documents' versions the client last saw.
    let mut pulled_before: Option<(Results, HashMap<String, i32>)> = None;
    let mut delay = Duration::from_millis(30);
    // How long the last results took to compute.
    let mut cost = Duration::ZERO;
    loop {
        // Changes that came while the last results were computed and published: the client
        // did not wait for them (a burst of edits).
        let behind = changes.has_changed().unwrap_or(false);
        if changes.changed().await.is_err() {
            return;
        }
        let Some(mut snap) = state.snapshot().await else {
            return;
        };
        if behind && cost >= delay && !delay.is_zero() && cache.get(&snap).is_none() {
            // A burst of edits (not of documents opened with the text the workspace holds,
            // whose results are kept), and checks that cost more than the wait: wait until it
            // has been quiet for `delay` since the last change.
            let waited = Instant::now();
            while let Some(left) = delay.checked_sub(state.since_last_change()) {
                if left.is_zero() {
                    break;
                }
                match tokio::time::timeout(left, changes.changed()).await {
                    Ok(Ok(())) => {}
                    Ok(Err(_)) => return,
                    Err(_) => break,
                }
            }
            debug!(
                "a burst of edits after checks of {cost:?}: waited {:?} for quiet",
                waited.elapsed()
            );
            snap = match state.snapshot().await {
                Some(s) => s,
                None => return,
            };
        }
        delay = snap.settings.diagnostics_delay;
        let started = Instant::now();
        let Some(results) = cache.results(&snap).await else {
            continue;
        };
        let checked = started.elapsed();
        cost = checked;
        if state.generation() != snap.generation {
            // Documents opened meanwhile with the text already analysed (opening a workspace's
            // files while the first results are computed) leave the results as they are: they
            // are published for the documents open now.
            match state.snapshot().await {
                Some(now) if now.content == snap.content => {
                    cache.store(&now, results.clone());
                    snap = now;
                }
                Some(_) => {
                    debug!(
                        "diagnostics for generation {} are stale; dropped",
                        snap.generation
                    );
                    continue;
                }
                None => return,
            }
        }
        match mode {
            Mode::Push => publish(&client, &snap, &results, &mut published, &cache).await,
            Mode::Pull { refresh } => {
                let versions: HashMap<String, i32> = snap
                    .open
                    .iter()
                    .map(|(k, m)| (k.to_string(), m.version))
                    .collect();
                let changed = changed_without_edit(
                    pulled_before.as_ref().map(|(r, v)| (r, v)),
                    &results,
                    &versions,
                );
                pulled_before = Some((results.clone(), versions));
                if refresh && changed {
                    let c = client.clone();
                    tokio::spawn(async move {
                        let _ = c.workspace_diagnostic_refresh().await;
                    });
                }
            }
        }
        debug!(
            "diagnostics for generation {} in {:?} (results in {:?})",
            snap.generation,
            started.elapsed(),
            checked
        );
    }
}

/// Pull mode: must the client be asked to pull again? Yes when some file's diagnostics changed
/// without an edit of that file that the client pulls for anyway: a closed file, or an open
/// document whose version did not change (test results came in, another file changed, the
/// settings changed). The first results always ask.
pub fn changed_without_edit(
    before: Option<(&Results, &HashMap<String, i32>)>,
    results: &Results,
    open: &HashMap<String, i32>,
) -> bool {
    let Some((before, before_open)) = before else {
        return true;
    };
    let edited = |k: &String| open.get(k).is_some_and(|v| before_open.get(k) != Some(v));
    let empty = Arc::new(Vec::new());
    results
        .keys()
        .chain(before.keys())
        .filter(|k| !edited(k))
        .any(|k| results.get(k).unwrap_or(&empty) != before.get(k).unwrap_or(&empty))
}

/// One diagnostics list to send: URI, key, diagnostics, version.
type Out = Vec<(lsp::Uri, String, Vec<lsp::Diagnostic>, Option<i32>)>;

/// Push the diagnostics of the files whose diagnostics changed since they were last published.
/// Every open document gets one publish, an empty list when it has no problem, so the client
/// knows it was analysed (as rust-analyzer does); files only read from disk are published only
/// once they have problems. An empty list is never sent twice in a row for one file.
async fn publish(
    client: &Client,
    snap: &Snapshot,
    results: &Results,
    published: &mut Publishes,
    cache: &Cache,
) {
    // One set of line indexes for every file converted: a file's diagnostics point at other
    // files (duplicates, conflicts), each of whose index is then made once.
    let mut lines = Lines::default();
    let mut out: Out = Vec::new();
    match published.opened_since(snap, results) {
        // The same results for the same folders (documents opened with the text the workspace
        // holds, as when an editor opens a workspace's files one by one): only the documents
        // opened since are looked at, not every file of the workspace.
        Some(opened) => published.open_documents(snap, results, &mut lines, &mut out, opened),
        None => {
            // The open documents first: what the user looks at (and a client opening the
            // workspace's files one by one waits for) is sent before every other file's
            // diagnostics are converted; `all` then skips them as published.
            let open = snap.open.iter().map(|(k, m)| (&**k, &**m));
            published.open_documents(snap, results, &mut lines, &mut out, open);
            send(client, cache, std::mem::take(&mut out)).await;
            published.all(snap, results, &mut lines, &mut out)
        }
    }
    published.last = Some(LastPublish {
        results: results.clone(),
        roots: snap.roots.clone(),
        open: snap.open.clone(),
    });
    drop(lines);
    send(client, cache, out).await;
}

async fn send(client: &Client, cache: &Cache, out: Out) {
    for (uri, key, diags, version) in out {
        cache.remember(&key, &diags);
        client.publish_diagnostics(uri, diags, version).await;
    }
}

impl Publishes {
    /// The documents opened (or opened again) since the last publish, when that is all that
    /// changed: the same results (the same `Arc`: see [`Cache::results`]) for the same
    /// workspace folders, and no document closed. None otherwise.
    fn opened_since<'s>(
        &self,
        snap: &'s Snapshot,
        results: &Results,
    ) -> Option<Vec<(&'s str, &'s OpenMeta)>> {
        let last = self.last.as_ref()?;
        if !Arc::ptr_eq(&last.results, results) || !Arc::ptr_eq(&last.roots, &snap.roots) {
            return None;
        }
        if Arc::ptr_eq(&last.open, &snap.open) {
            return Some(Vec::new());
        }
        // Both maps are sorted: walked side by side. The owner copies the map it changes, so
        // both share the keys and entries that did not change: told by their pointers (this
        // runs for each document opened, over every open document).
        let mut before = last.open.iter().peekable();
        let mut opened = Vec::new();
        for (key, meta) in snap.open.iter() {
            if before
                .peek()
                .is_some_and(|(k, _)| !Arc::ptr_eq(k, key) && k[..] < key[..])
            {
                // Closed since (a close changes the results: not expected here).
                return None;
            }
            match before.next_if(|(k, _)| Arc::ptr_eq(k, key) || k[..] == key[..]) {
                Some((_, m))
                    if Arc::ptr_eq(m, meta) || (m.uri == meta.uri && m.version == meta.version) => {
                }
                _ => opened.push((&**key, &**meta)),
            }
        }
        before.peek().is_none().then_some(opened)
    }

    /// The open documents `docs`, each as [`Publishes::file`] publishes it, or as
    /// [`Publishes::uncovered`] when the checks do not cover it.
    fn open_documents<'a>(
        &mut self,
        snap: &Snapshot,
        results: &Results,
        lines: &mut Lines,
        out: &mut Out,
        docs: impl IntoIterator<Item = (&'a str, &'a OpenMeta)>,
    ) {
        for (key, meta) in docs {
            match (results.get(key), snap.text(key)) {
                (Some(diags), Some(text)) => {
                    self.file(snap, lines, out, key, diags, text, Some(meta))
                }
                (Some(_), None) => {}
                (None, _) => self.uncovered(out, key, meta),
            }
        }
    }

    /// Every file with results, every open document, and every file published before.
    fn all(&mut self, snap: &Snapshot, results: &Results, lines: &mut Lines, out: &mut Out) {
        // Every file of the workspace is looked at (most are skipped at once): the keys seen,
        // and the texts of the files, are found walking the sorted maps side by side rather
        // than by a lookup per file.
        let mut seen: FxHashSet<&str> = FxHashSet::default();
        seen.reserve(results.len() + snap.open.len());
        let mut files = snap.ws.files.iter().peekable();
        let mut opened = snap.open.iter().peekable();
        for (key, diags) in results.iter() {
            seen.insert(key.as_str());
            while files.next_if(|(k, _)| k.as_str() < key.as_str()).is_some() {}
            let text = match files.peek() {
                Some((k, f)) if *k == key => Some(f.text.clone()),
                _ => snap.text(key),
            };
            let Some(text) = text else { continue };
            while opened.next_if(|(k, _)| k[..] < key[..]).is_some() {}
            let meta = match opened.peek() {
                Some((k, m)) if k[..] == key[..] => Some(&***m),
                _ => None,
            };
            self.file(snap, lines, out, key, diags, text, meta);
        }
        // Open documents the checks do not cover (a test file without problems, a file that
        // is no spec): an empty list, once.
        for (key, meta) in snap.open.iter() {
            if seen.insert(key) {
                self.uncovered(out, key, meta);
            }
        }
        let gone: Vec<String> = self
            .files
            .keys()
            .filter(|k| !seen.contains(k.as_str()))
            .cloned()
            .collect();
        for key in gone {
            if let Some(p) = self.files.remove(&key) {
                if !p.lsp.is_empty() {
                    let version = snap.version(&key);
                    out.push((p.uri, key, Vec::new(), version));
                }
            }
        }
    }

    /// One file with results: published when its diagnostics (or its text, or its URI)
    /// changed since it was last published, or when it is open and was never published.
    #[allow(clippy::too_many_arguments)]
    fn file(
        &mut self,
        snap: &Snapshot,
        lines: &mut Lines,
        out: &mut Out,
        key: &str,
        diags: &Arc<Vec<Diagnostic>>,
        text: Arc<str>,
        meta: Option<&OpenMeta>,
    ) {
        // Unchanged since published (same text, same diagnostics, same URI): skipped without
        // comparing the lists or making the URI (most files on each keystroke).
        if let Some(p) = self.files.get(key) {
            let same_uri = match meta {
                Some(m) => m.uri == p.uri,
                None => p
                    .roots
                    .as_ref()
                    .is_some_and(|r| Arc::ptr_eq(r, &snap.roots)),
            };
            if same_uri
                && Arc::ptr_eq(&p.core, diags)
                && p.text.as_ref().is_some_and(|t| Arc::ptr_eq(t, &text))
            {
                return;
            }
        }
        let Some(uri) = snap.uri(key) else { return };
        let mut prev = self.files.get(key);
        if let Some(p) = prev.filter(|p| p.uri != uri) {
            // The key names another file now: clear the one it named.
            if !p.lsp.is_empty() {
                out.push((p.uri.clone(), key.to_string(), Vec::new(), None));
            }
            prev = None;
        }
        if let Some(p) = prev {
            if p.text.as_ref().is_some_and(|t| Arc::ptr_eq(t, &text)) && p.core == *diags {
                let p = self.files.get_mut(key).expect("published");
                p.core = diags.clone();
                p.roots = Some(snap.roots.clone());
                return;
            }
        } else if diags.is_empty() && meta.is_none() {
            self.files.remove(key);
            return;
        }
        let lsp_diags = file_to_lsp_with(snap, lines, key, diags);
        let same = prev.is_some_and(|p| p.lsp == lsp_diags);
        self.files.insert(
            key.to_string(),
            Published {
                uri: uri.clone(),
                text: Some(text),
                core: diags.clone(),
                lsp: lsp_diags.clone(),
                roots: Some(snap.roots.clone()),
            },
        );
        if !same {
            out.push((uri, key.to_string(), lsp_diags, meta.map(|m| m.version)));
        }
    }

    /// An open document the checks do not cover: an empty list, unless one was sent already.
    fn uncovered(&mut self, out: &mut Out, key: &str, meta: &OpenMeta) {
        let prev = self.files.get(key);
        if prev.is_some_and(|p| p.uri == meta.uri && p.lsp.is_empty()) {
            return;
        }
        if let Some(p) = prev.filter(|p| p.uri != meta.uri && !p.lsp.is_empty()) {
            out.push((p.uri.clone(), key.to_string(), Vec::new(), None));
        }
        self.files.insert(
            key.to_string(),
            Published {
                uri: meta.uri.clone(),
                text: None,
                core: Arc::new(Vec::new()),
                lsp: Vec::new(),
                roots: None,
            },
        );
        out.push((
            meta.uri.clone(),
            key.to_string(),
            Vec::new(),
            Some(meta.version),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use specls_core::span::Span;

    fn results(entries: &[(&str, &[&'static str])]) -> Results {
        Arc::new(
            entries
                .iter()
                .map(|(k, codes)| {
                    let diags = codes
                        .iter()
                        .map(|c| Diagnostic::new(c, Span::new(0, 1), "m"))
                        .collect();
                    (k.to_string(), Arc::new(diags))
                })
                .collect(),
        )
    }

    fn open(entries: &[(&str, i32)]) -> HashMap<String, i32> {
        entries.iter().map(|(k, v)| (k.to_string(), *v)).collect()
    }

    #[test]
    fn pull_refresh_only_for_changes_the_client_does_not_pull_for() {
        let failed = results(&[("a.spec.md", &["scenario-failed"]), ("b.spec.md", &[])]);
        let passed = results(&[("a.spec.md", &[]), ("b.spec.md", &[])]);
        let v1 = open(&[("a.spec.md", 1)]);
        let v2 = open(&[("a.spec.md", 2)]);
        // The first results: the client is asked.
        assert!(changed_without_edit(None, &failed, &v1));
        // Nothing changed.
        assert!(!changed_without_edit(Some((&failed, &v1)), &failed, &v1));
        // New test results change an open document that was not edited: ask (the client would
        // keep showing the old failure).
        assert!(changed_without_edit(Some((&failed, &v1)), &passed, &v1));
        // The same change from an edit of that document: the client pulls for it anyway.
        assert!(!changed_without_edit(Some((&failed, &v1)), &passed, &v2));
        // A closed document changed: ask.
        assert!(changed_without_edit(
            Some((&failed, &open(&[]))),
            &passed,
            &open(&[])
        ));
        // A document whose diagnostics vanished from the results entirely: ask.
        let gone = results(&[("b.spec.md", &[])]);
        assert!(changed_without_edit(Some((&failed, &v1)), &gone, &v1));
    }
}
