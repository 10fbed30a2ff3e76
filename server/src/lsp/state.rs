//! The single owner of mutable server state.
//!
//! One dedicated thread owns the open documents, the workspace and the settings. Everything
//! that changes them is a [`Msg`] on one channel, so changes apply in the order they were sent:
//! the transport sends `didOpen`/`didChange`/`didClose` (and watched-file and configuration
//! notifications) synchronously from its read loop, in the order they arrived on the wire,
//! before anything is awaited (see `transport.rs`). Readers ask for a [`Snapshot`] through the
//! same channel, so a snapshot reflects every edit that arrived before the request asking for it;
//! snapshots are cheap (`Arc`s) and immutable, so no lock is ever held across an `.await`. While
//! no change is on its way to the owner, a reader takes the last snapshot the owner built without
//! asking it (see [`StateHandle::latest`]): the same snapshot the channel would give.
//!
//! Edits only splice text; parsing is deferred until someone needs a snapshot, so a burst of
//! keystrokes costs one parse. Closed files come from disk through the loader thread; open
//! buffers always win over disk contents.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, OnceLock};

use tokio::sync::{oneshot, watch};
use tower_lsp_server::lsp_types::{TextDocumentContentChangeEvent, Uri};
use tracing::{debug, info, warn};

use specls_core::config::Config;
use specls_core::parse::incremental::Edit;
use specls_core::testlinks::{Language, TestFile, TestFileMatcher};
use specls_core::workspace::{SourceFile, Workspace};

use super::paths::Roots;
use super::position::{Encoding, LineIndex};
use super::settings::{Layers, Settings, TomlFile};
use super::testing::{self, RunResults, TestFiles, TestView};

/// An open document as the server knows it.
#[derive(Clone, Debug)]
pub struct OpenMeta {
    pub uri: Uri,
    pub version: i32,
    /// The line index of the document's text (the text the workspace holds for it in the
    /// same snapshot), shared so that converting its diagnostics does not index it again.
    pub lines: Option<Arc<LineIndex>>,
}

/// The open documents by key. Keys and entries are shared: the owner changes one entry per
/// open or edit, and a map still held by a snapshot (or by the last publish) is copied first,
/// which then costs a count per entry rather than a string and a URI.
pub type OpenDocs = BTreeMap<Arc<str>, Arc<OpenMeta>>;

/// An immutable view of the state at one generation.
#[derive(Clone, Debug)]
pub struct Snapshot {
    pub generation: u64,
    /// Bumped by every change that can alter analysis results (not by opening a document whose
    /// text was analysed already): results of an older generation with the same `content` are
    /// still this snapshot's results.
    pub content: u64,
    pub ws: Arc<Workspace>,
    /// Open documents by key.
    pub open: Arc<OpenDocs>,
    pub roots: Arc<Roots>,
    pub encoding: Encoding,
    pub settings: Arc<Settings>,
    /// Indexed test files (and their texts).
    pub tests: Arc<TestFiles>,
    /// The results of the last runs.
    pub run: Arc<RunResults>,
    /// Results of the last guardian plan runs, per blueprint.
    pub guardian: Arc<super::guardian::GuardianResults>,
    /// Links and statuses of this generation, computed by the first reader that needs them.
    pub view: Arc<OnceLock<Arc<TestView>>>,
    /// The test view computed last (of any generation): the next one keeps what did not
    /// change from it (see [`TestView::compute_after`]).
    pub last_view: Arc<LastView>,
    /// Drift of this generation (manifests and generated files read from disk), computed by the
    /// first reader that needs it (see `lsp/drift.rs`).
    pub drift: Arc<OnceLock<Option<Arc<super::drift::DiskDrift>>>>,
    /// The files drift last read, to tell which changes on disk concern it.
    pub drift_files: Arc<super::drift::DriftFiles>,
}

impl Snapshot {
    /// Links, result mapping and scenario statuses of this snapshot (computed once per
    /// generation; may take a while on a big workspace: call it off the async threads).
    pub fn test_view(&self) -> Arc<TestView> {
        self.view
            .get_or_init(|| {
                let prev = self.last_view.get();
                let view = Arc::new(TestView::compute_after(
                    prev.as_deref(),
                    &self.ws,
                    &self.tests,
                    &self.run,
                    &self.settings.config,
                ));
                self.last_view.set(view.clone());
                // The one it replaces is freed off this thread.
                super::diagnostics::drop_later(Box::new(prev));
                view
            })
            .clone()
    }

    pub fn key(&self, uri: &Uri) -> String {
        self.roots.key_for_uri(uri)
    }
    /// The URI of a document key: the client's own URI for open documents.
    pub fn uri(&self, key: &str) -> Option<Uri> {
        match self.open.get(key) {
            Some(m) => Some(m.uri.clone()),
            None => self.roots.uri_for_key(key),
        }
    }
    pub fn version(&self, key: &str) -> Option<i32> {
        self.open.get(key).map(|m| m.version)
    }
    pub fn file(&self, key: &str) -> Option<&SourceFile> {
        self.ws.get(key)
    }
    /// The text of a document the server reports on: a spec, or `specls.toml`.
    pub fn text(&self, key: &str) -> Option<Arc<str>> {
        if let Some(f) = self.ws.get(key) {
            return Some(f.text.clone());
        }
        if let Some(t) = self.tests.texts.get(key) {
            return Some(t.clone());
        }
        self.settings
            .toml
            .as_ref()
            .filter(|t| t.key == key)
            .map(|t| t.text.clone())
    }
}

/// The test view computed last, shared by the owner and every snapshot.
#[derive(Debug, Default)]
pub struct LastView(std::sync::Mutex<Option<Arc<TestView>>>);

impl LastView {
    fn get(&self) -> Option<Arc<TestView>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
    fn set(&self, view: Arc<TestView>) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = Some(view);
    }
}

/// Files read from disk: key and parsed file, or None when the file is gone or not a spec.
pub type Loaded = Vec<(String, Option<SourceFile>)>;

/// Files in a test language read from disk: key and (text, indexed file), or None when gone
/// or too big. The owner keeps those its test-file matcher accepts.
pub type LoadedTests = Vec<(String, Option<(Arc<str>, TestFile)>)>;

pub enum Msg {
    Init {
        roots: Roots,
        encoding: Encoding,
        layers: Layers,
    },
    Open {
        uri: Uri,
        version: i32,
        text: String,
    },
    Change {
        uri: Uri,
        version: i32,
        changes: Vec<TextDocumentContentChangeEvent>,
    },
    Close {
        uri: Uri,
    },
    /// The whole workspace as read from disk (initial index or re-index) from `folders`
    /// (dropped when the folders changed since).
    Indexed {
        folders: Vec<PathBuf>,
        files: Loaded,
        toml: Option<TomlFile>,
        tests: LoadedTests,
    },
    /// Some files re-read from disk, keyed for `folders` (dropped when the folders changed since).
    Disk {
        folders: Vec<PathBuf>,
        files: Loaded,
        tests: LoadedTests,
    },
    /// Result files re-read.
    Results(Arc<RunResults>),
    /// A guardian plan ran.
    Guardian {
        key: String,
        results: Vec<super::guardian::StepResult>,
    },
    /// The workspace folders changed (`workspace/didChangeWorkspaceFolders`).
    Roots(Roots),
    /// A folder was deleted: forget the closed files under this key.
    ForgetUnder(String),
    /// A compile manifest or a generated file changed on disk: drift must be read again.
    DriftChanged,
    /// `specls.toml` re-read (None: no such file).
    Toml(Option<TomlFile>),
    /// Settings from the client (`workspace/configuration` or `didChangeConfiguration`).
    ClientSettings(serde_json::Value),
    Snapshot(oneshot::Sender<Snapshot>),
    /// The text and version the server holds for an open document (tests and debugging).
    DocumentText {
        uri: Uri,
        reply: oneshot::Sender<Option<(i32, String)>>,
    },
}

impl Msg {
    /// Whether the owner's state may change with this message (every message but the
    /// questions).
    fn changes_state(&self) -> bool {
        !matches!(self, Msg::Snapshot(_) | Msg::DocumentText { .. })
    }
}

/// The owner's last snapshot, for readers to take without a round trip through the owner
/// while no change is on its way to it (see [`StateHandle::latest`]).
#[derive(Default)]
struct Latest {
    /// State-changing messages sent to the owner, counted before each is sent.
    sent: AtomicU64,
    /// The last snapshot the owner built, with the count of state-changing messages it had
    /// taken then; emptied as the owner takes the next one.
    built: Mutex<Option<(u64, Snapshot)>>,
}

impl Latest {
    fn built(&self) -> std::sync::MutexGuard<'_, Option<(u64, Snapshot)>> {
        self.built.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Send `msg` to the owner, counted when it changes state.
    fn post(&self, tx: &mpsc::Sender<Msg>, msg: Msg) -> bool {
        if msg.changes_state() {
            self.sent.fetch_add(1, Ordering::SeqCst);
        }
        tx.send(msg).is_ok()
    }
}

/// A job for the loader thread.
pub enum Load {
    Files {
        roots: Arc<Roots>,
        paths: Vec<PathBuf>,
    },
    Toml {
        roots: Arc<Roots>,
        path: PathBuf,
    },
    /// Read every result file again.
    Results {
        roots: Arc<Roots>,
    },
}

/// The settings sources and the settings in force (readable without waiting for the owner).
#[derive(Clone, Debug, Default)]
pub struct Current {
    pub layers: Layers,
    pub settings: Arc<Settings>,
}

impl Current {
    /// The configured result and measurement globs, compiled.
    pub fn result_globs(&self) -> specls_core::config::Globs {
        let c = &self.settings.config;
        let mut globs = c.result_globs.clone();
        globs.extend(c.measurement_globs.iter().cloned());
        specls_core::config::Globs::new(&globs)
    }
}

/// Senders into the state owner, cheap to clone.
#[derive(Clone)]
pub struct StateHandle {
    tx: mpsc::Sender<Msg>,
    loader: mpsc::Sender<Load>,
    generation: Arc<AtomicU64>,
    changes: watch::Receiver<u64>,
    /// When the last batch of changes was announced on `changes` (see [`clock`]).
    changed_at: Arc<AtomicU64>,
    current: watch::Receiver<Current>,
    reindex: watch::Receiver<u64>,
    drift_files: Arc<super::drift::DriftFiles>,
    latest: Arc<Latest>,
}

impl StateHandle {
    /// The files drift last read.
    pub fn drift_files(&self) -> Arc<super::drift::DriftFiles> {
        self.drift_files.clone()
    }
    /// The settings in force now.
    pub fn current(&self) -> Current {
        self.current.borrow().clone()
    }
    /// Fires when the spec globs or excludes changed, so the workspace must be read again.
    pub fn reindex_requests(&self) -> watch::Receiver<u64> {
        self.reindex.clone()
    }
    pub fn send(&self, msg: Msg) {
        if !self.latest.post(&self.tx, msg) {
            warn!("state owner has stopped; message dropped");
        }
    }
    pub fn load(&self, job: Load) {
        if self.loader.send(job).is_err() {
            warn!("loader has stopped; job dropped");
        }
    }
    /// The latest generation (bumped by every change that can alter analysis results).
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }
    /// Fires after each batch of changes.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.changes.clone()
    }
    /// How long ago the last batch of changes was announced.
    pub fn since_last_change(&self) -> std::time::Duration {
        let at = self.changed_at.load(Ordering::Acquire);
        std::time::Duration::from_micros(clock().saturating_sub(at))
    }
    /// A snapshot reflecting every message sent before this call. Waits for the initial index.
    pub async fn snapshot(&self) -> Option<Snapshot> {
        if let Some(s) = self.latest() {
            return Some(s);
        }
        let (tx, rx) = oneshot::channel();
        self.send(Msg::Snapshot(tx));
        rx.await.ok()
    }
    /// [`StateHandle::snapshot`] for a thread that may block (not an async task).
    pub fn snapshot_blocking(&self) -> Option<Snapshot> {
        if let Some(s) = self.latest() {
            return Some(s);
        }
        let (tx, rx) = oneshot::channel();
        self.send(Msg::Snapshot(tx));
        rx.blocking_recv().ok()
    }
    /// The owner's last snapshot, when it reflects every message sent before this call: no
    /// change is queued or being applied since it was built (the owner empties it as it takes
    /// each change, and counts the changes it took against those sent). Most requests come
    /// after the snapshot their document's diagnostics were built from, and take it here
    /// instead of waking the owner and waiting for its answer.
    pub fn latest(&self) -> Option<Snapshot> {
        // Every change sent before this call was counted before it was sent. A snapshot built
        // after the owner took as many changes as were sent reflects them all: the owner takes
        // them in the order they were sent, and any sent after this call come after them.
        let sent = self.latest.sent.load(Ordering::SeqCst);
        match &*self.latest.built() {
            Some((taken, snap)) if *taken == sent => Some(snap.clone()),
            _ => None,
        }
    }
    pub async fn document_text(&self, uri: Uri) -> Option<(i32, String)> {
        let (tx, rx) = oneshot::channel();
        self.send(Msg::DocumentText { uri, reply: tx });
        rx.await.ok().flatten()
    }
}

/// Microseconds since the first call (a monotonic clock that fits an atomic).
fn clock() -> u64 {
    static BASE: OnceLock<std::time::Instant> = OnceLock::new();
    BASE.get_or_init(std::time::Instant::now)
        .elapsed()
        .as_micros() as u64
}

/// Start the owner and loader threads.
pub fn start() -> StateHandle {
    let (tx, rx) = mpsc::channel();
    let (loader_tx, loader_rx) = mpsc::channel::<Load>();
    let generation = Arc::new(AtomicU64::new(0));
    let changed_at = Arc::new(AtomicU64::new(0));
    let (changes_tx, changes_rx) = watch::channel(0);
    let (current_tx, current_rx) = watch::channel(Current::default());
    let (reindex_tx, reindex_rx) = watch::channel(0);
    let drift_files = Arc::new(super::drift::DriftFiles::default());
    let latest = Arc::new(Latest::default());
    let owner = Owner {
        latest: latest.clone(),
        taken: 0,
        current: current_tx,
        reindex: reindex_tx,
        ws: Arc::new(Workspace::new()),
        open: HashMap::new(),
        open_meta: Arc::new(BTreeMap::new()),
        roots: Arc::new(Roots::default()),
        encoding: Encoding::Utf16,
        layers: Layers::default(),
        settings: Arc::new(Settings::default()),
        initialised: false,
        indexed: false,
        waiting: Vec::new(),
        generation: generation.clone(),
        content: 0,
        changes: changes_tx,
        changed_at: changed_at.clone(),
        changed: false,
        loader: loader_tx.clone(),
        tests: Arc::new(TestFiles::default()),
        run: Arc::new(RunResults::default()),
        guardian: super::guardian::empty(),
        view: Arc::new(OnceLock::new()),
        last_view: Arc::new(LastView::default()),
        drift: Arc::new(OnceLock::new()),
        drift_files: drift_files.clone(),
        matcher: None,
    };
    let spawned = std::thread::Builder::new()
        .name("specls-state".into())
        .spawn(move || owner.run(rx));
    if let Err(e) = spawned {
        warn!("cannot start the state thread: {e}");
    }
    let owner_tx = tx.clone();
    let loader_current = current_rx.clone();
    let loader_latest = latest.clone();
    let spawned = std::thread::Builder::new()
        .name("specls-loader".into())
        .spawn(move || loader(loader_rx, owner_tx, loader_latest, loader_current));
    if let Err(e) = spawned {
        warn!("cannot start the loader thread: {e}");
    }
    StateHandle {
        tx,
        loader: loader_tx,
        generation,
        changes: changes_rx,
        changed_at,
        current: current_rx,
        reindex: reindex_rx,
        drift_files,
        latest,
    }
}

struct OpenDoc {
    uri: Uri,
    version: i32,
    /// Shared with the workspace once parsed (the same allocation, not a copy).
    text: Arc<str>,
    /// Built by the first edit (most open documents are never edited); shared with snapshots.
    lines: Option<Arc<LineIndex>>,
    /// Text changed since the workspace last parsed it.
    dirty: bool,
    /// How the text differs from the workspace's (for a dirty document).
    since: Since,
}

/// How an open document's text differs from the text the workspace parsed for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Since {
    /// The same text (or no text parsed yet that the edits apply to).
    Unknown,
    /// The workspace's text with this edit applied (every byte outside it unchanged): the
    /// reparse compares nothing outside it.
    Edited(Edit),
}

struct Owner {
    /// The last snapshot built, for readers (see [`StateHandle::latest`]).
    latest: Arc<Latest>,
    /// State-changing messages taken.
    taken: u64,
    current: watch::Sender<Current>,
    reindex: watch::Sender<u64>,
    ws: Arc<Workspace>,
    open: HashMap<String, OpenDoc>,
    open_meta: Arc<OpenDocs>,
    roots: Arc<Roots>,
    encoding: Encoding,
    layers: Layers,
    settings: Arc<Settings>,
    initialised: bool,
    indexed: bool,
    waiting: Vec<oneshot::Sender<Snapshot>>,
    generation: Arc<AtomicU64>,
    /// See [`Snapshot::content`].
    content: u64,
    changes: watch::Sender<u64>,
    changed_at: Arc<AtomicU64>,
    changed: bool,
    loader: mpsc::Sender<Load>,
    tests: Arc<TestFiles>,
    run: Arc<RunResults>,
    guardian: Arc<super::guardian::GuardianResults>,
    view: Arc<OnceLock<Arc<TestView>>>,
    last_view: Arc<LastView>,
    drift: Arc<OnceLock<Option<Arc<super::drift::DiskDrift>>>>,
    drift_files: Arc<super::drift::DriftFiles>,
    /// Which files are test files, and the fingerprint it was built from.
    matcher: Option<(String, TestFileMatcher)>,
}

impl Owner {
    fn run(mut self, rx: mpsc::Receiver<Msg>) {
        while let Ok(first) = rx.recv() {
            self.handle(first);
            // Apply everything already queued before telling anyone: a burst of edits is one
            // generation for the diagnostics scheduler.
            while let Ok(next) = rx.try_recv() {
                self.handle(next);
            }
            if self.changed {
                self.changed = false;
                self.changed_at.store(clock(), Ordering::Release);
                self.changes
                    .send_replace(self.generation.load(Ordering::Acquire));
            }
        }
        debug!("state owner stopped");
    }

    fn bump(&mut self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        self.content += 1;
        self.changed = true;
        // The previous generation's test view (statuses of every scenario) is freed off this
        // thread, which applies the next keystroke.
        let view = std::mem::replace(&mut self.view, Arc::new(OnceLock::new()));
        super::diagnostics::drop_later(Box::new(view));
        self.drift = Arc::new(OnceLock::new());
    }

    /// A new generation for a change of the open documents only (a document opened with the
    /// text the workspace holds): what the checks read is unchanged.
    fn bump_open(&mut self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        self.changed = true;
    }

    /// The test-file matcher for the current workspace and settings; true when it changed
    /// since it was last built (not counting the first build).
    fn refresh_matcher(&mut self) -> bool {
        let key = testing::matcher_key(&self.ws, &self.settings.config);
        match &self.matcher {
            Some((k, _)) if *k == key => false,
            prev => {
                let had = prev.is_some();
                let m = testing::matcher(&self.ws, &self.settings.config);
                self.matcher = Some((key, m));
                had
            }
        }
    }

    /// The language of a test file (by the test-file rules, or by its text: see
    /// [`specls_core::testlinks::TestFileMatcher::language_of`]).
    fn test_language(&self, key: &str, text: &str) -> Option<Language> {
        self.matcher.as_ref()?.1.language_of(key, text)
    }

    /// Keep (or drop) test files read from disk; open buffers win. True when anything changed.
    fn apply_tests(&mut self, loaded: LoadedTests) -> bool {
        let mut any = false;
        for (key, file) in loaded {
            if self.open.contains_key(&key) {
                continue;
            }
            match file {
                Some((text, tf)) if self.test_language(&key, &text).is_some() => {
                    let t = Arc::make_mut(&mut self.tests);
                    t.index.files.insert(key.clone(), tf);
                    t.texts.insert(key, text);
                    any = true;
                }
                _ => {
                    if self.tests.texts.contains_key(&key) {
                        Arc::make_mut(&mut self.tests).remove(&key);
                        any = true;
                    }
                }
            }
        }
        any
    }

    fn handle(&mut self, msg: Msg) {
        if msg.changes_state() {
            self.taken += 1;
            // The last snapshot no longer reflects every change sent (and holds no reference
            // to what this change may alter in place).
            let old = self.latest.built().take();
            drop(old);
        }
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.apply(msg)));
        if result.is_err() {
            warn!("state owner: a message handler panicked; state kept as it was before it");
        }
    }

    fn apply(&mut self, msg: Msg) {
        match msg {
            Msg::Init {
                roots,
                encoding,
                layers,
            } => {
                self.roots = Arc::new(roots);
                self.encoding = encoding;
                self.layers = layers;
                self.initialised = true;
                self.refresh_settings();
            }
            Msg::Open { uri, version, text } => self.open(uri, version, text),
            Msg::Change {
                uri,
                version,
                changes,
            } => self.change(uri, version, changes),
            Msg::Close { uri } => self.close(uri),
            Msg::Indexed { folders, .. } | Msg::Disk { folders, .. }
                if folders != self.roots.folders =>
            {
                debug!("files read for other workspace folders: dropped");
            }
            Msg::Roots(roots) => self.set_roots(roots),
            Msg::Indexed {
                files, toml, tests, ..
            } => {
                // The settings first: the files were read with those of this `specls.toml`.
                self.layers.toml = toml;
                self.refresh_settings();
                let old = std::mem::take(&mut self.ws);
                let mut fresh = Workspace::new();
                for (key, file) in files {
                    if let Some(f) = file {
                        fresh.files.insert(key, f);
                    }
                }
                let config = &self.settings.config;
                for (key, doc) in self.open.iter_mut() {
                    let disk = fresh.files.remove(key);
                    if let Some(f) = old.files.get(key) {
                        // Parsed from the buffer already.
                        fresh.files.insert(key.clone(), f.clone());
                    } else if let Some(f) =
                        disk.filter(|f| doc.dirty && same_parse(f, key, &doc.text, config))
                    {
                        // The buffer holds what was read from disk: that parse is the buffer's
                        // (opening a workspace's files parses each of them once).
                        doc.text = f.text.clone();
                        doc.dirty = false;
                        doc.since = Since::Unknown;
                        fresh.files.insert(key.clone(), f);
                    }
                }
                self.ws = Arc::new(fresh);
                self.refresh_matcher();
                let open_tests: Vec<(String, Arc<str>)> = self
                    .tests
                    .texts
                    .iter()
                    .filter(|(k, _)| self.open.contains_key(*k))
                    .map(|(k, t)| (k.clone(), t.clone()))
                    .collect();
                let mut fresh_tests = TestFiles::default();
                for (k, t) in open_tests {
                    if let Some(lang) = self.test_language(&k, &t) {
                        fresh_tests.upsert(&k, t, lang);
                    }
                }
                self.tests = Arc::new(fresh_tests);
                self.apply_tests(tests);
                self.indexed = true;
                self.bump();
                let waiting = std::mem::take(&mut self.waiting);
                if !waiting.is_empty() {
                    let snap = self.snapshot();
                    for w in waiting {
                        let _ = w.send(snap.clone());
                    }
                }
            }
            Msg::Disk { files, tests, .. } => {
                let mut any = false;
                for (key, file) in files {
                    if self.open.contains_key(&key) {
                        continue; // open buffers win
                    }
                    let ws = Arc::make_mut(&mut self.ws);
                    match file {
                        Some(f) => {
                            ws.files.insert(key, f);
                            any = true;
                        }
                        None => any |= ws.files.remove(&key).is_some(),
                    }
                }
                if any && self.refresh_matcher() && self.indexed {
                    // An arrangement now names other test files: read the workspace again.
                    self.reindex.send_modify(|n| *n += 1);
                }
                any |= self.apply_tests(tests);
                if any {
                    self.bump();
                }
            }
            Msg::Guardian { key, results } => {
                Arc::make_mut(&mut self.guardian).insert(key, results);
                self.bump();
            }
            Msg::Results(run) => {
                // Kept guardian results fill in blueprints this session has not run.
                let mut changed = false;
                for (key, results) in &run.guardian {
                    if !self.guardian.contains_key(key) {
                        Arc::make_mut(&mut self.guardian).insert(key.clone(), results.clone());
                        changed = true;
                    }
                }
                if *self.run != *run {
                    self.run = run;
                    changed = true;
                }
                if changed {
                    self.bump();
                }
            }
            Msg::ForgetUnder(prefix) => {
                let prefix = format!("{}/", prefix.trim_end_matches('/'));
                let gone: Vec<String> = self
                    .ws
                    .files
                    .keys()
                    .filter(|k| k.starts_with(&prefix) && !self.open.contains_key(*k))
                    .cloned()
                    .collect();
                let gone_tests: Vec<String> = self
                    .tests
                    .texts
                    .keys()
                    .filter(|k| k.starts_with(&prefix) && !self.open.contains_key(*k))
                    .cloned()
                    .collect();
                if !gone.is_empty() || !gone_tests.is_empty() {
                    let ws = Arc::make_mut(&mut self.ws);
                    for k in gone {
                        ws.files.remove(&k);
                    }
                    let t = Arc::make_mut(&mut self.tests);
                    for k in gone_tests {
                        t.remove(&k);
                    }
                    self.bump();
                }
            }
            Msg::DriftChanged => self.bump(),
            Msg::Toml(text) => {
                self.layers.toml = text;
                self.refresh_settings();
            }
            Msg::ClientSettings(v) => {
                self.layers.client = Some(v);
                self.refresh_settings();
            }
            Msg::Snapshot(reply) => {
                if self.indexed {
                    let _ = reply.send(self.snapshot());
                } else {
                    self.waiting.push(reply);
                }
            }
            Msg::DocumentText { uri, reply } => {
                let key = self.roots.key_for_uri(&uri);
                let _ = reply.send(self.open.get(&key).map(|d| (d.version, d.text.to_string())));
            }
        }
    }

    fn refresh_settings(&mut self) {
        let (settings, warnings) = self.layers.settings();
        for w in warnings {
            warn!("settings: {w}");
        }
        if *self.settings != settings {
            let reclassify = self.settings.classification_differs(&settings);
            self.settings = Arc::new(settings);
            if reclassify {
                // Open documents are classified again at the next snapshot; files on disk
                // need a new index.
                for doc in self.open.values_mut() {
                    doc.dirty = true;
                }
                if self.indexed {
                    self.reindex.send_modify(|n| *n += 1);
                }
            }
            self.bump();
        }
        self.current.send_replace(Current {
            layers: self.layers.clone(),
            settings: self.settings.clone(),
        });
    }

    fn snapshot(&mut self) -> Snapshot {
        let dirty: Vec<String> = self
            .open
            .iter()
            .filter(|(_, d)| d.dirty)
            .map(|(k, _)| k.clone())
            .collect();
        if !dirty.is_empty() {
            // Parsed on every core (opening many documents at once parses each of them).
            type Job = (String, Arc<str>, Option<SourceFile>, Option<Edit>);
            let jobs: Vec<Job> = dirty
                .into_iter()
                .filter_map(|key| {
                    let doc = self.open.get_mut(&key)?;
                    doc.dirty = false;
                    let old = self.ws.get(&key).cloned();
                    let edit = match std::mem::replace(&mut doc.since, Since::Unknown) {
                        Since::Edited(e) if old.is_some() => Some(e),
                        _ => None,
                    };
                    Some((key, doc.text.clone(), old, edit))
                })
                .collect();
            let config = &self.settings.config;
            let parsed = specls_core::par::map(&jobs, |(key, text, old, edit)| {
                SourceFile::parse_text_edited(key, text, old.as_ref(), config, *edit)
            });
            let ws = Arc::make_mut(&mut self.ws);
            let mut not_specs = Vec::new();
            for ((key, _, _, _), file) in jobs.into_iter().zip(parsed) {
                match file {
                    Some(f) => {
                        ws.files.insert(key, f);
                    }
                    None => {
                        ws.files.remove(&key);
                        not_specs.push(key);
                    }
                }
            }
            if self.refresh_matcher() && self.indexed {
                self.reindex.send_modify(|n| *n += 1);
            }
            for key in not_specs {
                let Some(doc) = self.open.get(&key) else {
                    continue;
                };
                let lang = self.test_language(&key, &doc.text);
                match lang {
                    Some(lang) => {
                        let text = doc.text.clone();
                        Arc::make_mut(&mut self.tests).upsert(&key, text, lang);
                    }
                    None => {
                        if self.tests.texts.contains_key(&key) {
                            Arc::make_mut(&mut self.tests).remove(&key);
                        }
                    }
                }
            }
        }
        let snap = Snapshot {
            generation: self.generation.load(Ordering::Acquire),
            content: self.content,
            ws: self.ws.clone(),
            open: self.open_meta.clone(),
            roots: self.roots.clone(),
            encoding: self.encoding,
            settings: self.settings.clone(),
            tests: self.tests.clone(),
            run: self.run.clone(),
            guardian: self.guardian.clone(),
            view: self.view.clone(),
            last_view: self.last_view.clone(),
            drift: self.drift.clone(),
            drift_files: self.drift_files.clone(),
        };
        *self.latest.built() = Some((self.taken, snap.clone()));
        snap
    }

    fn set_meta(&mut self, key: &str) {
        let meta = Arc::make_mut(&mut self.open_meta);
        match self.open.get(key) {
            Some(d) => {
                let m = Arc::new(OpenMeta {
                    uri: d.uri.clone(),
                    version: d.version,
                    lines: d.lines.clone(),
                });
                match meta.get_mut(key) {
                    Some(e) => *e = m,
                    None => {
                        meta.insert(Arc::from(key), m);
                    }
                }
            }
            None => {
                meta.remove(key);
            }
        }
    }

    /// New workspace folders: keys are relative to their base, so open documents are keyed
    /// again (and parsed again at the next snapshot); what was read from disk is dropped, and
    /// snapshots wait for the index of the new folders (the caller starts it).
    fn set_roots(&mut self, roots: Roots) {
        self.roots = Arc::new(roots);
        let docs: Vec<OpenDoc> = self.open.drain().map(|(_, d)| d).collect();
        for mut d in docs {
            d.dirty = true;
            d.since = Since::Unknown;
            let key = self.roots.key_for_uri(&d.uri);
            self.open.insert(key, d);
        }
        self.open_meta = Arc::new(BTreeMap::new());
        let keys: Vec<String> = self.open.keys().cloned().collect();
        for key in &keys {
            self.set_meta(key);
        }
        self.ws = Arc::new(Workspace::new());
        self.tests = Arc::new(TestFiles::default());
        self.guardian = super::guardian::empty();
        self.indexed = false;
        self.bump();
    }

    fn open(&mut self, uri: Uri, version: i32, text: String) {
        if !self.initialised {
            warn!("didOpen before initialize for {}: ignored", uri.as_str());
            return;
        }
        let key = self.roots.key_for_uri(&uri);
        if self.open.contains_key(&key) {
            info!(
                "didOpen for {} which is already open: replacing its text",
                uri.as_str()
            );
        }
        // The text the workspace holds already (read from disk, or an earlier buffer) is not
        // parsed again: the document opened is the one indexed.
        let known = self
            .ws
            .get(&key)
            .filter(|f| self.indexed && same_parse(f, &key, &text, &self.settings.config));
        let (text, dirty) = match known {
            Some(f) => (f.text.clone(), false),
            None => (Arc::from(text), true),
        };
        self.open.insert(
            key.clone(),
            OpenDoc {
                uri,
                version,
                text,
                lines: None,
                dirty,
                since: Since::Unknown,
            },
        );
        self.set_meta(&key);
        if dirty {
            self.bump();
        } else {
            self.bump_open();
        }
    }

    fn change(&mut self, uri: Uri, version: i32, changes: Vec<TextDocumentContentChangeEvent>) {
        let key = self.roots.key_for_uri(&uri);
        let encoding = self.encoding;
        let Some(doc) = self.open.get_mut(&key) else {
            warn!(
                "didChange for {} which is not open: ignored (send didOpen first)",
                uri.as_str()
            );
            return;
        };
        if version <= doc.version {
            warn!(
                "didChange for {} with version {version}, not newer than {}: stale, ignored",
                uri.as_str(),
                doc.version
            );
            return;
        }
        let lines = doc
            .lines
            .get_or_insert_with(|| Arc::new(LineIndex::new(&doc.text)));
        match apply_changes(&doc.text, lines, &changes, encoding) {
            Ok(Some((text, lines, edit))) => {
                doc.text = text.into();
                doc.lines = Some(Arc::new(lines));
                // Edits since the last parse compose into one, unless the workspace's text
                // is not the one they started from (nothing parsed since the document opened
                // with other text).
                doc.since = match doc.since {
                    Since::Edited(e) => Since::Edited(e.then(edit)),
                    Since::Unknown if !doc.dirty => Since::Edited(edit),
                    Since::Unknown => Since::Unknown,
                };
            }
            Ok(None) => {}
            Err(e) => {
                warn!(
                    "didChange for {} (version {version}) rejected, document left unchanged: {e}",
                    uri.as_str()
                );
                return;
            }
        }
        doc.version = version;
        doc.dirty = true;
        self.set_meta(&key);
        self.bump();
    }

    fn close(&mut self, uri: Uri) {
        let key = self.roots.key_for_uri(&uri);
        if self.open.remove(&key).is_none() {
            warn!("didClose for {} which is not open: ignored", uri.as_str());
            return;
        }
        self.set_meta(&key);
        // The file reverts to what is on disk (or disappears); until the loader answers, the
        // last buffer contents stay in the workspace.
        // A file outside the workspace folders leaves the workspace with its buffer.
        let outside = |p: &std::path::Path| {
            !self.roots.folders.is_empty() && !self.roots.folders.iter().any(|f| p.starts_with(f))
        };
        match self.roots.path_for_key(&key).filter(|p| !outside(p)) {
            Some(path) => {
                let _ = self.loader.send(Load::Files {
                    roots: self.roots.clone(),
                    paths: vec![path],
                });
            }
            None => {
                Arc::make_mut(&mut self.ws).remove(&key);
                if self.tests.texts.contains_key(&key) {
                    Arc::make_mut(&mut self.tests).remove(&key);
                }
            }
        }
        self.bump();
    }
}

/// Whether `file` (in the workspace) is what parsing `text` at `key` with `config` gives.
fn same_parse(file: &SourceFile, key: &str, text: &str, config: &Config) -> bool {
    // Cheap tests first: most texts differ in length when they differ.
    file.text.len() == text.len()
        && config
            .classify(key, text)
            .is_some_and(|kind| file.same_parse(kind, text))
}

/// Apply LSP content changes in order: the new text, its line index and one edit of `text`
/// that covers them all. `Ok(None)` when there were none. All or nothing: on an out-of-range
/// position the original text is kept.
pub fn apply_changes(
    text: &str,
    lines: &LineIndex,
    changes: &[TextDocumentContentChangeEvent],
    enc: Encoding,
) -> Result<Option<(String, LineIndex, Edit)>, String> {
    if changes.is_empty() {
        return Ok(None);
    }
    let mut cur: Option<(String, LineIndex, Edit)> = None;
    for (i, c) in changes.iter().enumerate() {
        let (t, l) = match &cur {
            Some((t, l, _)) => (t.as_str(), l),
            None => (text, lines),
        };
        let (next, idx, edit) = match c.range {
            // The whole text (as a client that does not send ranges does on every keystroke):
            // the edit is the part between what the old and new texts have in common at either
            // end, so that only what it touches is parsed again.
            None => {
                let edit = specls_core::parse::incremental::diff(t, &c.text);
                let idx = l.edited(
                    &c.text,
                    specls_core::Span::new(edit.start, edit.old_end),
                    edit.new_end - edit.start,
                );
                (c.text.clone(), idx, edit)
            }
            Some(range) => {
                let span = l
                    .span(t, range, enc)
                    .map_err(|e| format!("change {}: {e}", i + 1))?;
                let mut s = String::with_capacity(t.len() - span.len() + c.text.len());
                s.push_str(&t[..span.start]);
                s.push_str(&c.text);
                s.push_str(&t[span.end..]);
                let idx = l.edited(&s, span, c.text.len());
                let edit = Edit {
                    start: span.start,
                    old_end: span.end,
                    new_end: span.start + c.text.len(),
                };
                (s, idx, edit)
            }
        };
        let edit = match &cur {
            Some((_, _, before)) => before.then(edit),
            None => edit,
        };
        cur = Some((next, idx, edit));
    }
    Ok(cur)
}

/// Spec file extensions worth reading (everything the kind detector can claim).
pub fn maybe_spec(path: &std::path::Path) -> bool {
    crate::files::may_be_spec(&path.to_string_lossy())
}

/// A file in a language whose tests specls reads (outside `node_modules`).
pub fn maybe_test(path: &std::path::Path) -> bool {
    let p = path.to_string_lossy();
    Language::from_path(&p).is_some() && !p.split(['/', '\\']).any(|s| s == "node_modules")
}

/// Read and index a file in a test language (by its extension); None when gone or too big.
pub fn load_test_file(key: &str, path: &std::path::Path) -> Option<(Arc<str>, TestFile)> {
    load_test_file_if(key, path, |_| true)
}

/// [`load_test_file`], when `accept` takes the file's text (checked before it is indexed).
pub fn load_test_file_if(
    key: &str,
    path: &std::path::Path,
    accept: impl Fn(&str) -> bool,
) -> Option<(Arc<str>, TestFile)> {
    let lang = Language::from_path(key)?;
    let meta = std::fs::metadata(path).ok()?;
    if !meta.is_file() || meta.len() > testing::MAX_TEST_FILE {
        return None;
    }
    let bytes = std::fs::read(path).ok()?;
    let text: Arc<str> = String::from_utf8_lossy(&bytes).into_owned().into();
    if !accept(&text) {
        return None;
    }
    let file = specls_core::testlinks::index_file(key, &text, lang);
    Some((text, file))
}

/// Read and parse one file from disk (None: gone, excluded, or not a spec).
pub fn load_file(key: &str, path: &std::path::Path, config: &Config) -> Option<SourceFile> {
    if !maybe_spec(path) || config.is_excluded(key) {
        return None;
    }
    let bytes = std::fs::read(path).ok()?;
    let (text, doc) = specls_core::parse::parse_vec_config(key, bytes, config)?;
    Some(SourceFile {
        text: text.into(),
        doc: Arc::new(doc),
    })
}

/// Read `specls.toml`.
pub fn read_toml(roots: &Roots, path: &std::path::Path) -> Option<TomlFile> {
    let text = std::fs::read_to_string(path).ok()?;
    Some(TomlFile {
        key: roots.key_for_path(path),
        text: text.into(),
    })
}

fn loader(
    rx: mpsc::Receiver<Load>,
    owner: mpsc::Sender<Msg>,
    latest: Arc<Latest>,
    current: watch::Receiver<Current>,
) {
    while let Ok(job) = rx.recv() {
        let msg = match job {
            Load::Files { roots, paths } => {
                let config = current.borrow().settings.config.clone();
                let files = paths
                    .iter()
                    .filter(|p| maybe_spec(p))
                    .map(|p| {
                        let key = roots.key_for_path(p);
                        let file = std::panic::catch_unwind(|| load_file(&key, p, &config))
                            .unwrap_or(None);
                        (key, file)
                    })
                    .collect();
                let tests = paths
                    .iter()
                    .filter(|p| maybe_test(p))
                    .map(|p| {
                        let key = roots.key_for_path(p);
                        let file =
                            std::panic::catch_unwind(|| load_test_file(&key, p)).unwrap_or(None);
                        (key, file)
                    })
                    .collect();
                Msg::Disk {
                    folders: roots.folders.clone(),
                    files,
                    tests,
                }
            }
            Load::Results { roots } => {
                let config = current.borrow().settings.config.clone();
                let run = std::panic::catch_unwind(|| testing::read_results(&roots, &config))
                    .unwrap_or_default();
                Msg::Results(Arc::new(run))
            }
            Load::Toml { roots, path } => Msg::Toml(read_toml(&roots, &path)),
        };
        if !latest.post(&owner, msg) {
            break;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC: &str = "---\nname: cart\n---\n\n# Behavior\n\n## Scenario: Add to cart\n**Given** an empty cart\n**When** I add a book\n**Then** the cart holds one book\n";

    fn started() -> (StateHandle, Roots, Uri) {
        let state = start();
        let roots = Roots::new(vec![PathBuf::from("/ws")]);
        let uri =
            super::super::paths::path_to_uri(std::path::Path::new("/ws/specs/a.spec.md")).unwrap();
        state.send(Msg::Init {
            roots: roots.clone(),
            encoding: Encoding::Utf16,
            layers: Layers::default(),
        });
        (state, roots, uri)
    }

    /// `a.spec.md` as the initial index reads it from disk.
    fn indexed(state: &StateHandle, roots: &Roots, text: &str) -> SourceFile {
        let config = Config::default();
        let file = load_parsed("specs/a.spec.md", text, &config);
        state.send(Msg::Indexed {
            folders: roots.folders.clone(),
            files: vec![("specs/a.spec.md".into(), Some(file.clone()))],
            toml: None,
            tests: Vec::new(),
        });
        file
    }

    fn load_parsed(key: &str, text: &str, config: &Config) -> SourceFile {
        let (t, doc) =
            specls_core::parse::parse_bytes_config(key, text.as_bytes(), config).unwrap();
        SourceFile {
            text: t.into(),
            doc: Arc::new(doc),
        }
    }

    fn open(state: &StateHandle, uri: &Uri, text: &str) {
        state.send(Msg::Open {
            uri: uri.clone(),
            version: 1,
            text: text.to_string(),
        });
    }

    #[tokio::test]
    async fn opening_the_text_on_disk_reuses_its_parse() {
        // Opened after the index: the indexed file is the document (same allocations).
        let (state, roots, uri) = started();
        let disk = indexed(&state, &roots, SPEC);
        open(&state, &uri, SPEC);
        let snap = state.snapshot().await.unwrap();
        let f = snap.file("specs/a.spec.md").unwrap();
        assert!(Arc::ptr_eq(&f.doc, &disk.doc));
        assert!(Arc::ptr_eq(&f.text, &disk.text));
        assert_eq!(snap.version("specs/a.spec.md"), Some(1));

        // Opened before the index came in: the same.
        let (state, roots, uri) = started();
        open(&state, &uri, SPEC);
        let disk = indexed(&state, &roots, SPEC);
        let snap = state.snapshot().await.unwrap();
        let f = snap.file("specs/a.spec.md").unwrap();
        assert!(Arc::ptr_eq(&f.doc, &disk.doc));
        let (version, text) = state.document_text(uri.clone()).await.unwrap();
        assert_eq!((version, text.as_str()), (1, SPEC));
    }

    #[tokio::test]
    async fn opening_the_analysed_text_changes_the_generation_but_not_the_content() {
        let (state, roots, uri) = started();
        indexed(&state, &roots, SPEC);
        let before = state.snapshot().await.unwrap();
        open(&state, &uri, SPEC);
        let same = state.snapshot().await.unwrap();
        assert!(same.generation > before.generation);
        assert_eq!(same.content, before.content);
        assert!(Arc::ptr_eq(&same.view, &before.view));
        // Another text is another content.
        let other =
            super::super::paths::path_to_uri(std::path::Path::new("/ws/specs/b.spec.md")).unwrap();
        open(&state, &other, SPEC);
        let changed = state.snapshot().await.unwrap();
        assert!(changed.content > same.content);
    }

    #[tokio::test]
    async fn results_are_reused_while_only_the_open_documents_change() {
        // The diagnostics' cache answers a later generation of the same content (a document
        // opened with the text on disk) with the results it has, without checking again.
        let (state, roots, uri) = started();
        indexed(&state, &roots, SPEC);
        let cache = super::super::diagnostics::Cache::default();
        let before = state.snapshot().await.unwrap();
        let first = cache.results(&before).await.unwrap();
        open(&state, &uri, SPEC);
        let opened = state.snapshot().await.unwrap();
        assert!(opened.generation > before.generation);
        assert!(Arc::ptr_eq(&cache.results(&opened).await.unwrap(), &first));
        // An edit is another content: checked again.
        state.send(Msg::Change {
            uri: uri.clone(),
            version: 2,
            changes: vec![TextDocumentContentChangeEvent {
                range: None,
                range_length: None,
                text: SPEC.replace("a book", "a pen"),
            }],
        });
        let edited = state.snapshot().await.unwrap();
        assert!(edited.content > opened.content);
        assert!(!Arc::ptr_eq(&cache.results(&edited).await.unwrap(), &first));
    }

    #[tokio::test]
    async fn an_open_buffer_that_differs_from_the_disk_is_parsed() {
        let buffer = SPEC.replace("a book", "a pen");
        for before_index in [false, true] {
            let (state, roots, uri) = started();
            if before_index {
                open(&state, &uri, &buffer);
            }
            let disk = indexed(&state, &roots, SPEC);
            if !before_index {
                open(&state, &uri, &buffer);
            }
            let snap = state.snapshot().await.unwrap();
            let f = snap.file("specs/a.spec.md").unwrap();
            assert!(!Arc::ptr_eq(&f.doc, &disk.doc));
            assert_eq!(&*f.text, buffer.as_str());
            let fresh = load_parsed("specs/a.spec.md", &buffer, &Config::default());
            assert_eq!(*f.doc, *fresh.doc);
        }
    }

    #[tokio::test]
    async fn invalid_utf8_on_disk_is_not_the_buffer_parse() {
        // On disk, a byte that is not UTF-8 (read as U+FFFD, with a diagnostic); the editor
        // holds the same text, which is valid: its document has no such diagnostic.
        let (state, roots, uri) = started();
        let bytes = SPEC.replace("a book", "a b\u{fffd}ok");
        let mut raw = SPEC.replace("a book", "a b\u{1}ok").into_bytes();
        let at = raw.iter().position(|&b| b == 1).unwrap();
        raw[at] = 0xff;
        let (t, doc) =
            specls_core::parse::parse_bytes_config("specs/a.spec.md", &raw, &Config::default())
                .unwrap();
        assert_eq!(t, bytes);
        assert!(doc.diagnostics.iter().any(|d| d.code == "invalid-utf8"));
        state.send(Msg::Indexed {
            folders: roots.folders.clone(),
            files: vec![(
                "specs/a.spec.md".into(),
                Some(SourceFile {
                    text: t.into(),
                    doc: Arc::new(doc),
                }),
            )],
            toml: None,
            tests: Vec::new(),
        });
        open(&state, &uri, &bytes);
        let snap = state.snapshot().await.unwrap();
        let f = snap.file("specs/a.spec.md").unwrap();
        assert!(!f.doc.diagnostics.iter().any(|d| d.code == "invalid-utf8"));
    }

    /// The owner's last snapshot is taken directly only while it reflects every change sent:
    /// never after a change it has not built a snapshot for, whether it has taken that change
    /// yet or not; questions (snapshots, document texts) leave it as it is.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_last_snapshot_is_taken_directly_only_while_no_change_is_pending() {
        let (state, roots, uri) = started();
        indexed(&state, &roots, SPEC);
        open(&state, &uri, SPEC);
        assert!(
            state.latest().is_none(),
            "changes sent since the last snapshot"
        );
        let first = state.snapshot().await.unwrap();
        let direct = state
            .latest()
            .expect("nothing sent since the last snapshot");
        assert_eq!(direct.generation, first.generation);
        assert!(Arc::ptr_eq(&direct.ws, &first.ws));
        let mut text = SPEC.to_string();
        for version in 2..60 {
            text = text.replace("**Then**", "**Then** then");
            state.send(Msg::Change {
                uri: uri.clone(),
                version,
                changes: vec![TextDocumentContentChangeEvent {
                    range: None,
                    range_length: None,
                    text: text.clone(),
                }],
            });
            assert!(state.latest().is_none(), "version {version}: a change sent");
            let snap = if version % 2 == 0 {
                state.snapshot().await.unwrap()
            } else {
                let s = state.clone();
                tokio::task::spawn_blocking(move || s.snapshot_blocking())
                    .await
                    .unwrap()
                    .unwrap()
            };
            assert_eq!(snap.version("specs/a.spec.md"), Some(version));
            assert_eq!(&*snap.file("specs/a.spec.md").unwrap().text, text.as_str());
            let direct = state.latest().expect("nothing sent since");
            assert_eq!(direct.generation, snap.generation);
            assert_eq!(direct.version("specs/a.spec.md"), Some(version));
            let (v, t) = state.document_text(uri.clone()).await.unwrap();
            assert_eq!((v, t.as_str()), (version, text.as_str()));
            assert!(state.latest().is_some(), "a question changes nothing");
        }
        // A change from disk as well (the loader's messages are counted the same way).
        state.send(Msg::Close { uri: uri.clone() });
        let closed = state.snapshot().await.unwrap();
        assert!(closed.version("specs/a.spec.md").is_none());
        state.send(Msg::Disk {
            folders: roots.folders.clone(),
            files: vec![("specs/a.spec.md".into(), None)],
            tests: Vec::new(),
        });
        assert!(state.latest().is_none(), "a change from disk sent");
        let gone = state.snapshot().await.unwrap();
        assert!(gone.file("specs/a.spec.md").is_none());
    }

    /// Edits sent as the editor sends them (several changes per message, several messages
    /// between snapshots, the reparse told the edits by the owner): every snapshot's document
    /// is what a full parse of the buffer gives.
    #[tokio::test]
    async fn documents_reparsed_from_edits_equal_a_full_parse() {
        use specls_core::corpus::{Corpus, Format, Shape};
        use tower_lsp_server::lsp_types::Range;
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = move |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n.max(1) as u64) as usize
        };
        for (format, file) in [
            (Format::Markdown, "a.spec.md"),
            (Format::Yaml, "a.spec.yaml"),
        ] {
            let corpus = Corpus::generate(format, Shape::new(1, 30, 3));
            let mut text = corpus.files[0].text.clone();
            let key = format!("specs/{file}");
            let (state, roots, _) = started();
            let uri = super::super::paths::path_to_uri(&PathBuf::from("/ws").join(&key)).unwrap();
            state.send(Msg::Indexed {
                folders: roots.folders.clone(),
                files: Vec::new(),
                toml: None,
                tests: Vec::new(),
            });
            open(&state, &uri, &text);
            let mut version = 1;
            let pieces = [
                "x",
                "\n",
                " ",
                "é",
                "given: a\n",
                "## Scenario: N\n",
                ": ",
                "- ",
            ];
            for round in 0..60 {
                for _ in 0..1 + next(3) {
                    let mut changes = Vec::new();
                    for _ in 0..1 + next(3) {
                        // A line-sized region around a random place, replaced.
                        let mut s = next(text.len());
                        while !text.is_char_boundary(s) {
                            s -= 1;
                        }
                        let mut e = (s + next(8)).min(text.len());
                        while !text.is_char_boundary(e) {
                            e += 1;
                        }
                        let ins = if next(3) == 0 {
                            String::new()
                        } else {
                            pieces[next(pieces.len())].to_string()
                        };
                        let lines = LineIndex::new(&text);
                        let range = Range::new(
                            lines.position(&text, s, Encoding::Utf16),
                            lines.position(&text, e, Encoding::Utf16),
                        );
                        text.replace_range(s..e, &ins);
                        // One change in four is the whole text, as clients without ranges
                        // send it.
                        let whole = next(4) == 0;
                        changes.push(TextDocumentContentChangeEvent {
                            range: (!whole).then_some(range),
                            range_length: None,
                            text: if whole { text.clone() } else { ins },
                        });
                    }
                    version += 1;
                    state.send(Msg::Change {
                        uri: uri.clone(),
                        version,
                        changes,
                    });
                }
                let snap = state.snapshot().await.unwrap();
                let f = snap.file(&key).unwrap();
                assert_eq!(&*f.text, text.as_str(), "{format:?} round {round}");
                let full = load_parsed(&key, &text, &Config::default());
                assert_eq!(*f.doc, *full.doc, "{format:?} round {round}");
            }
        }
    }
}
