//! The language server: lifecycle, state-changing notifications, and the request handlers
//! (each a small function in `handlers/`: from_proto -> pure core function -> to_proto).

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock, RwLock};
use std::time::Duration;

use serde_json::Value;
use tokio::sync::watch;
use tower_lsp_server::jsonrpc::{Error, ErrorCode, Result};
use tower_lsp_server::lsp_types::{self as lsp, *};
use tower_lsp_server::{Client, LanguageServer};
use tracing::{debug, info, warn};

use super::diagnostics::{self, Cache};
use super::handlers;
use super::index;
use super::paths::{uri_to_path, Roots};
use super::position::Encoding;
use super::settings::Layers;
use super::state::{self, Load, Msg, Snapshot, StateHandle};
use super::testing;

/// The workspace folders in force, shared by the backend, the indexer and the disk poller
/// (they change with `workspace/didChangeWorkspaceFolders`). Never held across `.await`.
#[derive(Clone, Default)]
pub(crate) struct SharedRoots(Arc<RwLock<Arc<Roots>>>);

impl SharedRoots {
    pub(crate) fn get(&self) -> Arc<Roots> {
        match self.0.read() {
            Ok(r) => r.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }
    fn set(&self, roots: Arc<Roots>) {
        match self.0.write() {
            Ok(mut r) => *r = roots,
            Err(poisoned) => *poisoned.into_inner() = roots,
        }
    }
}

/// What the client said it can do (from `initialize`).
#[derive(Clone, Debug, Default)]
pub struct ClientFlags {
    pub pull_diagnostics: bool,
    pub diagnostic_refresh: bool,
    pub dynamic_watch: bool,
    /// The client takes relative glob patterns in file watchers.
    pub relative_watch: bool,
    pub configuration: bool,
    pub work_done_progress: bool,
    pub definition_links: bool,
    pub code_lens_refresh: bool,
    /// It resolves code lenses without a command (`codeLens/resolve`): test lenses are answered
    /// unresolved (see `handlers/code_lens.rs`).
    pub lens_resolve: bool,
}

pub struct Backend {
    pub(crate) client: Client,
    pub(crate) state: StateHandle,
    pub(crate) cache: Arc<Cache>,
    /// The compile in progress (`specls.compile`).
    pub(crate) compiles: Arc<super::compile::Compiles>,
    pub(crate) runs: Arc<super::run::Runs>,
    /// The documents unresolved code lenses were answered for.
    pub(crate) lenses: Arc<handlers::code_lens::LensCache>,
    /// The raw `initialize` params declared `codeLens.resolveSupport` (see
    /// [`Backend::note_initialize`]).
    lens_resolve_declared: AtomicBool,
    /// Edge cases being proposed by a model (`specls.proposeEdgeCases` with `llm`).
    pub(crate) proposing: Arc<handlers::edge_cases::Proposing>,
    initialized: AtomicBool,
    shut_down: AtomicBool,
    flags: OnceLock<ClientFlags>,
    roots: SharedRoots,
    indexer: OnceLock<Indexer>,
    /// Set once the client has sent `initialized` (requests to the client are allowed from then).
    ready: watch::Sender<bool>,
}

/// Commands the server executes (`workspace/executeCommand`).
pub const COMMANDS: &[&str] = &[
    handlers::commands::REINDEX,
    handlers::commands::VERSION,
    handlers::commands::PROPOSE_EDGE_CASES,
    handlers::commands::RUN_TESTS,
    handlers::commands::CANCEL_RUN,
    handlers::commands::RUN_GUARDIAN,
    handlers::commands::WORKSPACE_HEALTH,
    handlers::commands::SHOW_DRIFT,
    handlers::commands::COMPILE,
    handlers::commands::CANCEL_COMPILE,
];

pub fn internal(message: impl Into<String>) -> Error {
    Error {
        code: ErrorCode::InternalError,
        message: message.into().into(),
        data: None,
    }
}

pub fn invalid_params(message: impl Into<String>) -> Error {
    Error {
        code: ErrorCode::InvalidParams,
        message: message.into().into(),
        data: None,
    }
}

/// Run a pure function, turning a panic into an error response (the server goes on).
pub fn guarded<T>(what: &str, f: impl FnOnce() -> T) -> Result<T> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).map_err(|p| {
        let msg = super::transport::panic_message(&p);
        tracing::error!("{what} panicked: {msg}");
        internal(format!("specls: internal error in {what}: {msg}"))
    })
}

/// Like [`guarded`], on a blocking thread (for work that may take long: whole-workspace
/// searches, big documents). Dropping the returned future (request cancelled) abandons the work.
pub async fn blocking<T: Send + 'static>(
    what: &'static str,
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T> {
    tokio::task::spawn_blocking(move || guarded(what, f))
        .await
        .map_err(|e| internal(format!("specls: {what} failed: {e}")))?
}

fn workspace_folders(params: &InitializeParams) -> Vec<PathBuf> {
    if let Some(folders) = &params.workspace_folders {
        return folders.iter().filter_map(|f| uri_to_path(&f.uri)).collect();
    }
    #[allow(deprecated)]
    if let Some(uri) = &params.root_uri {
        return uri_to_path(uri).into_iter().collect();
    }
    #[allow(deprecated)]
    if let Some(path) = &params.root_path {
        return vec![PathBuf::from(path)];
    }
    Vec::new()
}

fn negotiate_encoding(caps: &ClientCapabilities) -> Encoding {
    let offered = caps
        .general
        .as_ref()
        .and_then(|g| g.position_encodings.as_ref());
    match offered {
        Some(list) if list.contains(&PositionEncodingKind::UTF8) => Encoding::Utf8,
        _ => Encoding::Utf16,
    }
}

fn client_flags(caps: &ClientCapabilities) -> ClientFlags {
    let ws = caps.workspace.as_ref();
    ClientFlags {
        pull_diagnostics: caps
            .text_document
            .as_ref()
            .is_some_and(|t| t.diagnostic.is_some()),
        diagnostic_refresh: ws
            .and_then(|w| w.diagnostic.as_ref())
            .and_then(|d| d.refresh_support)
            .unwrap_or(false),
        dynamic_watch: ws
            .and_then(|w| w.did_change_watched_files.as_ref())
            .and_then(|d| d.dynamic_registration)
            .unwrap_or(false),
        relative_watch: ws
            .and_then(|w| w.did_change_watched_files.as_ref())
            .and_then(|d| d.relative_pattern_support)
            .unwrap_or(false),
        configuration: ws.and_then(|w| w.configuration).unwrap_or(false),
        work_done_progress: caps
            .window
            .as_ref()
            .and_then(|w| w.work_done_progress)
            .unwrap_or(false),
        code_lens_refresh: ws
            .and_then(|w| w.code_lens.as_ref())
            .and_then(|c| c.refresh_support)
            .unwrap_or(false),
        lens_resolve: false,
        definition_links: caps
            .text_document
            .as_ref()
            .and_then(|t| t.definition.as_ref())
            .and_then(|d| d.link_support)
            .unwrap_or(false),
    }
}

impl Backend {
    pub fn new(client: Client) -> Backend {
        let (ready, _) = watch::channel(false);
        Backend {
            client,
            state: state::start(),
            cache: Arc::new(Cache::default()),
            compiles: Arc::default(),
            proposing: Arc::default(),
            runs: Arc::new(super::run::Runs::default()),
            lenses: Arc::default(),
            lens_resolve_declared: AtomicBool::new(false),
            initialized: AtomicBool::new(false),
            shut_down: AtomicBool::new(false),
            flags: OnceLock::new(),
            roots: SharedRoots::default(),
            indexer: OnceLock::new(),
            ready,
        }
    }

    /// Called by the transport with the raw params of `initialize`, before it is handled: what
    /// the protocol types in use cannot carry (`textDocument.codeLens.resolveSupport`).
    pub fn note_initialize(&self, params: &Value) {
        if handlers::code_lens::declares_resolve_support(params) {
            self.lens_resolve_declared.store(true, Ordering::Release);
        }
    }

    /// Called by the transport when a `shutdown` request arrives (after `initialize`).
    pub fn mark_shut_down(&self) {
        if self.initialized.load(Ordering::Acquire) {
            self.shut_down.store(true, Ordering::Release);
        }
    }

    pub fn was_shut_down(&self) -> bool {
        self.shut_down.load(Ordering::Acquire)
    }

    pub(crate) fn flags(&self) -> ClientFlags {
        self.flags.get().cloned().unwrap_or_default()
    }

    /// What a spawned test run needs.
    pub(crate) fn run_start(&self) -> super::run::Start {
        let flags = self.flags();
        super::run::Start {
            client: self.client.clone(),
            state: self.state.clone(),
            runs: self.runs.clone(),
            progress: flags.work_done_progress,
            lens_refresh: flags.code_lens_refresh,
        }
    }

    pub(crate) fn roots(&self) -> Arc<Roots> {
        self.roots.get()
    }

    /// What answering `textDocument/codeLens` needs (see [`handlers::code_lens::Answerer`]).
    pub(crate) fn lens_answerer(&self) -> handlers::code_lens::Answerer {
        handlers::code_lens::Answerer {
            state: self.state.clone(),
            cache: self.lenses.clone(),
            resolve: self.flags().lens_resolve,
        }
    }

    /// [`Backend::lens_answerer`] for the transport, while requests are served (after
    /// `initialize`, before `shutdown`; otherwise the service gives the protocol's errors).
    pub fn serving_lenses(&self) -> Option<handlers::code_lens::Answerer> {
        (self.initialized.load(Ordering::Acquire) && !self.was_shut_down())
            .then(|| self.lens_answerer())
    }

    /// A snapshot reflecting every edit received before the calling request.
    pub(crate) async fn snapshot(&self) -> Result<Snapshot> {
        self.state
            .snapshot()
            .await
            .ok_or_else(|| internal("specls: the state owner has stopped"))
    }

    /// Notifications that change state, called by the transport in arrival order before it reads
    /// the next message. Returns false for any other method (dispatched normally).
    pub fn is_ordered(method: &str) -> bool {
        const ORDERED: &[&str] = &[
            "textDocument/didOpen",
            "textDocument/didChange",
            "textDocument/didClose",
            "workspace/didChangeWatchedFiles",
            "workspace/didChangeConfiguration",
            "workspace/didChangeWorkspaceFolders",
            "window/workDoneProgress/cancel",
        ];
        ORDERED.contains(&method)
    }

    /// Handle one of the [`Backend::is_ordered`] notifications (see `transport.rs`).
    pub fn ordered_notification(&self, method: &str, params: Option<Value>) -> bool {
        if !Self::is_ordered(method) {
            return false;
        }
        if !self.initialized.load(Ordering::Acquire) {
            warn!("{method} before initialize: ignored");
            return true;
        }
        if self.was_shut_down() {
            warn!("{method} after shutdown: ignored");
            return true;
        }
        let params = params.unwrap_or(Value::Null);
        let bad = |e: serde_json::Error| warn!("{method} with invalid params ignored: {e}");
        match method {
            "textDocument/didOpen" => {
                match serde_json::from_value::<DidOpenTextDocumentParams>(params) {
                    Ok(p) => self.state.send(Msg::Open {
                        uri: p.text_document.uri,
                        version: p.text_document.version,
                        text: p.text_document.text,
                    }),
                    Err(e) => bad(e),
                }
            }
            "textDocument/didChange" => {
                match serde_json::from_value::<DidChangeTextDocumentParams>(params) {
                    Ok(p) => self.state.send(Msg::Change {
                        uri: p.text_document.uri,
                        version: p.text_document.version,
                        changes: p.content_changes,
                    }),
                    Err(e) => bad(e),
                }
            }
            "textDocument/didClose" => {
                match serde_json::from_value::<DidCloseTextDocumentParams>(params) {
                    Ok(p) => self.state.send(Msg::Close {
                        uri: p.text_document.uri,
                    }),
                    Err(e) => bad(e),
                }
            }
            "window/workDoneProgress/cancel" => {
                match serde_json::from_value::<WorkDoneProgressCancelParams>(params) {
                    Ok(p) => {
                        if self.compiles.cancel_token(&p.token) {
                            info!("compile cancelled from the progress UI");
                        }
                        if self.proposing.cancel_token(&p.token) {
                            info!("edge-case proposals cancelled from the progress UI");
                        }
                        let token = match p.token {
                            NumberOrString::String(s) => s,
                            NumberOrString::Number(n) => n.to_string(),
                        };
                        if self.runs.cancel_token(&token) {
                            info!("test run {token} cancelled from the progress UI");
                        }
                    }
                    Err(e) => bad(e),
                }
            }
            "workspace/didChangeWatchedFiles" => {
                match serde_json::from_value::<DidChangeWatchedFilesParams>(params) {
                    Ok(p) => self.watched_files(p.changes),
                    Err(e) => bad(e),
                }
            }
            "workspace/didChangeWorkspaceFolders" => {
                match serde_json::from_value::<DidChangeWorkspaceFoldersParams>(params) {
                    Ok(p) => self.folders_changed(p.event),
                    Err(e) => bad(e),
                }
            }
            _ => match serde_json::from_value::<DidChangeConfigurationParams>(params) {
                Ok(p) => self.configuration_changed(p.settings),
                Err(e) => bad(e),
            },
        }
        true
    }

    fn watched_files(&self, changes: Vec<FileEvent>) {
        let roots = self.roots();
        let mut paths = Vec::new();
        let mut results = false;
        let mut drift = false;
        for change in changes {
            let Some(path) = uri_to_path(&change.uri) else {
                continue;
            };
            let key = roots.key_for_path(&path);
            // A manifest or a generated file (which may also be a test file, below).
            drift |= super::drift::affects_drift(&self.state, &key, &path);
            if path.file_name().is_some_and(|n| n == index::CONFIG_FILE) {
                self.state.load(Load::Toml {
                    roots: roots.clone(),
                    path,
                });
            } else if testing::is_result_key(&key, &self.state.current().result_globs()) {
                results = true;
            } else if state::maybe_spec(&path) || state::maybe_test(&path) {
                paths.push(path);
            } else if change.typ == FileChangeType::DELETED {
                // A deleted folder: forget what was under it.
                self.state.send(Msg::ForgetUnder(roots.key_for_path(&path)));
            }
        }
        if !paths.is_empty() {
            self.state.load(Load::Files {
                roots: roots.clone(),
                paths,
            });
        }
        if results {
            self.state.load(Load::Results { roots });
        }
        if drift {
            super::drift::changed_on_disk(
                &self.state,
                &self.client,
                self.flags().code_lens_refresh,
            );
        }
    }

    /// Folders added or removed: the state owner takes the new roots (open documents are keyed
    /// again; what it had read from disk waits for the new index), then the workspace is read
    /// again from the folders now in force. Results read with the old folders are dropped.
    fn folders_changed(&self, event: WorkspaceFoldersChangeEvent) {
        let old = self.roots();
        let removed: Vec<PathBuf> = event
            .removed
            .iter()
            .filter_map(|f| uri_to_path(&f.uri))
            .collect();
        let mut folders: Vec<PathBuf> = old
            .folders
            .iter()
            .filter(|f| !removed.contains(f))
            .cloned()
            .collect();
        for f in event.added.iter().filter_map(|f| uri_to_path(&f.uri)) {
            if !folders.contains(&f) {
                folders.push(f);
            }
        }
        if folders == old.folders {
            debug!("workspace folders unchanged");
            return;
        }
        info!(
            "workspace folders changed: {} added, {} removed, {} now",
            event.added.len(),
            event.removed.len(),
            folders.len()
        );
        let roots = Arc::new(Roots::new(folders));
        self.roots.set(roots.clone());
        self.state.send(Msg::Roots((*roots).clone()));
        let was_empty = old.folders.is_empty();
        let poll = was_empty && !roots.folders.is_empty() && !self.flags().dynamic_watch;
        if let Some(ix) = self.indexer.get() {
            ix.spawn(poll, None);
        }
        if was_empty {
            self.start_watching();
        }
    }

    fn configuration_changed(&self, settings: Value) {
        let has_settings = match &settings {
            Value::Object(m) => !m.is_empty(),
            Value::Null => false,
            _ => true,
        };
        if has_settings {
            self.state.send(Msg::ClientSettings(settings));
        } else if self.flags().configuration {
            self.spawn_pull_configuration();
        }
    }

    /// Ask the client for the `specls` section, without blocking anything: clients that never
    /// answer only delay nothing.
    fn spawn_pull_configuration(&self) {
        let client = self.client.clone();
        let state = self.state.clone();
        tokio::spawn(async move {
            let timeout = match state.snapshot().await {
                Some(s) => s.settings.configuration_timeout,
                None => return,
            };
            let item = ConfigurationItem {
                scope_uri: None,
                section: Some("specls".into()),
            };
            match tokio::time::timeout(timeout, client.configuration(vec![item])).await {
                Ok(Ok(mut values)) if !values.is_empty() => {
                    let v = values.swap_remove(0);
                    if !v.is_null() {
                        state.send(Msg::ClientSettings(v));
                    }
                }
                Ok(Ok(_)) => {}
                Ok(Err(e)) => info!("workspace/configuration failed: {e}"),
                Err(_) => info!(
                    "workspace/configuration not answered within {timeout:?}; using other settings"
                ),
            }
        });
    }

    /// Re-read the workspace from disk (open buffers are kept).
    pub(crate) fn spawn_index(&self, poll: bool) {
        if let Some(ix) = self.indexer.get() {
            ix.spawn(poll, None);
        }
    }

    /// Register file watching with the client, or poll the disk when it cannot watch.
    fn start_watching(&self) {
        let roots = self.roots();
        if roots.folders.is_empty() {
            return;
        }
        if self.flags().dynamic_watch {
            // Without it, the poller started with the initial index watches the disk.
            tokio::spawn(super::drift::watch_outputs(
                self.client.clone(),
                self.state.clone(),
                self.flags().relative_watch,
            ));
            let client = self.client.clone();
            tokio::spawn(async move {
                let watchers = [
                    "**/*.md",
                    "**/*.markdown",
                    "**/*.yaml",
                    "**/*.yml",
                    "**/specls.toml",
                    // Test files, and test reports (`.specls/results/`, CI artifacts).
                    "**/*.{py,rs,ts,tsx,mts,cts,js,jsx,mjs,cjs,go}",
                    "**/*.{xml,json,tap,txt,log}",
                    "**/.specls/results/**",
                    "**/.specls/measurements/**",
                    // Compile manifests (drift); generated files are watched one by one
                    // (`lsp/drift.rs`, registered as the manifest names them).
                    "**/.specls/manifest.json",
                    "**/.specsoloist-manifest.json",
                ]
                .iter()
                .map(|g| FileSystemWatcher {
                    glob_pattern: GlobPattern::String((*g).to_string()),
                    kind: None,
                })
                .collect();
                let options = DidChangeWatchedFilesRegistrationOptions { watchers };
                let reg = Registration {
                    id: "specls-watch".into(),
                    method: "workspace/didChangeWatchedFiles".into(),
                    register_options: serde_json::to_value(options).ok(),
                };
                match tokio::time::timeout(Duration::from_secs(5), client.register_capability(vec![reg])).await {
                    Ok(Ok(())) => debug!("file watching registered"),
                    Ok(Err(e)) => warn!("client refused file watching ({e}); files changed on disk are seen when opened"),
                    Err(_) => warn!("client did not answer client/registerCapability"),
                }
            });
        }
    }

    fn capabilities(&self, encoding: Encoding, pull: bool) -> ServerCapabilities {
        ServerCapabilities {
            position_encoding: Some(match encoding {
                Encoding::Utf8 => PositionEncodingKind::UTF8,
                Encoding::Utf16 => PositionEncodingKind::UTF16,
            }),
            text_document_sync: Some(TextDocumentSyncCapability::Options(
                TextDocumentSyncOptions {
                    open_close: Some(true),
                    change: Some(TextDocumentSyncKind::INCREMENTAL),
                    will_save: None,
                    will_save_wait_until: None,
                    save: Some(TextDocumentSyncSaveOptions::Supported(true)),
                },
            )),
            code_action_provider: Some(CodeActionProviderCapability::Options(CodeActionOptions {
                code_action_kinds: Some(vec![
                    CodeActionKind::QUICKFIX,
                    CodeActionKind::SOURCE,
                    handlers::code_action::command_kind(),
                ]),
                work_done_progress_options: Default::default(),
                resolve_provider: None,
            })),
            execute_command_provider: Some(ExecuteCommandOptions {
                commands: COMMANDS.iter().map(|c| c.to_string()).collect(),
                work_done_progress_options: Default::default(),
            }),
            diagnostic_provider: pull.then(|| {
                DiagnosticServerCapabilities::Options(DiagnosticOptions {
                    identifier: Some("specls".into()),
                    inter_file_dependencies: true,
                    workspace_diagnostics: true,
                    work_done_progress_options: Default::default(),
                })
            }),
            document_symbol_provider: Some(OneOf::Left(true)),
            workspace_symbol_provider: Some(OneOf::Left(true)),
            hover_provider: Some(HoverProviderCapability::Simple(true)),
            definition_provider: Some(OneOf::Left(true)),
            references_provider: Some(OneOf::Left(true)),
            completion_provider: Some(CompletionOptions::default()),
            semantic_tokens_provider: Some(
                SemanticTokensServerCapabilities::SemanticTokensOptions(SemanticTokensOptions {
                    work_done_progress_options: Default::default(),
                    legend: handlers::semantic_tokens::legend(),
                    range: None,
                    full: Some(SemanticTokensFullOptions::Bool(true)),
                }),
            ),
            folding_range_provider: Some(FoldingRangeProviderCapability::Simple(true)),
            selection_range_provider: Some(SelectionRangeProviderCapability::Simple(true)),
            rename_provider: Some(OneOf::Right(RenameOptions {
                prepare_provider: Some(true),
                work_done_progress_options: Default::default(),
            })),
            document_formatting_provider: Some(OneOf::Left(true)),
            inlay_hint_provider: Some(OneOf::Left(true)),
            code_lens_provider: Some(CodeLensOptions {
                resolve_provider: Some(true),
            }),
            workspace: Some(WorkspaceServerCapabilities {
                workspace_folders: Some(WorkspaceFoldersServerCapabilities {
                    supported: Some(true),
                    change_notifications: Some(OneOf::Left(true)),
                }),
                file_operations: None,
            }),
            ..Default::default()
        }
    }
}

impl LanguageServer for Backend {
    async fn initialize(&self, params: InitializeParams) -> Result<InitializeResult> {
        let encoding = negotiate_encoding(&params.capabilities);
        let mut flags = client_flags(&params.capabilities);
        flags.lens_resolve = handlers::code_lens::client_resolves(
            self.lens_resolve_declared.load(Ordering::Acquire),
            params.client_info.as_ref(),
        );
        let roots = Arc::new(Roots::new(workspace_folders(&params)));
        let layers = Layers {
            toml: None,
            init_options: params.initialization_options.clone(),
            client: None,
        };
        let (settings, _) = layers.settings();
        let pull = flags.pull_diagnostics && settings.pull_diagnostics;
        let _ = self.flags.set(flags.clone());
        self.roots.set(roots.clone());
        self.state.send(Msg::Init {
            roots: (*roots).clone(),
            encoding,
            layers: layers.clone(),
        });
        info!(
            "initialize: {} folder(s), {encoding:?} positions, {} diagnostics",
            roots.folders.len(),
            if pull { "pull" } else { "push" }
        );
        let indexer = Indexer {
            roots: self.roots.clone(),
            state: self.state.clone(),
            client: self.client.clone(),
            progress: flags.work_done_progress,
            lens_refresh: flags.code_lens_refresh,
            ready: self.ready.subscribe(),
        };
        indexer.spawn(
            !flags.dynamic_watch && !roots.folders.is_empty(),
            Some(layers),
        );
        // New spec globs or excludes: read the workspace again.
        let mut reindex = self.state.reindex_requests();
        let ix = indexer.clone();
        tokio::spawn(async move {
            while reindex.changed().await.is_ok() {
                ix.spawn(false, None);
            }
        });
        let _ = self.indexer.set(indexer);
        let mode = if pull {
            diagnostics::Mode::Pull {
                refresh: flags.diagnostic_refresh,
            }
        } else {
            diagnostics::Mode::Push
        };
        tokio::spawn(diagnostics::run(
            self.client.clone(),
            self.state.clone(),
            self.cache.clone(),
            mode,
        ));
        self.initialized.store(true, Ordering::Release);
        Ok(InitializeResult {
            capabilities: self.capabilities(encoding, pull),
            server_info: Some(ServerInfo {
                name: "specls".into(),
                version: Some(env!("CARGO_PKG_VERSION").into()),
            }),
        })
    }

    async fn initialized(&self, _: InitializedParams) {
        self.ready.send_replace(true);
        if self.flags().configuration {
            self.spawn_pull_configuration();
        }
        self.start_watching();
    }

    async fn shutdown(&self) -> Result<()> {
        info!("shutdown");
        self.shut_down.store(true, Ordering::Release);
        Ok(())
    }

    // The state-changing notifications arrive through `ordered_notification`; these only run
    // when the service is driven by another transport.
    async fn did_open(&self, params: DidOpenTextDocumentParams) {
        let v = serde_json::to_value(params).ok();
        self.ordered_notification("textDocument/didOpen", v);
    }
    async fn did_change(&self, params: DidChangeTextDocumentParams) {
        let v = serde_json::to_value(params).ok();
        self.ordered_notification("textDocument/didChange", v);
    }
    async fn did_close(&self, params: DidCloseTextDocumentParams) {
        let v = serde_json::to_value(params).ok();
        self.ordered_notification("textDocument/didClose", v);
    }
    async fn did_save(&self, params: DidSaveTextDocumentParams) {
        self.run_on_save(params.text_document.uri).await;
    }
    async fn did_change_watched_files(&self, params: DidChangeWatchedFilesParams) {
        self.watched_files(params.changes);
    }
    async fn did_change_configuration(&self, params: DidChangeConfigurationParams) {
        self.configuration_changed(params.settings);
    }

    async fn document_symbol(
        &self,
        params: DocumentSymbolParams,
    ) -> Result<Option<DocumentSymbolResponse>> {
        handlers::symbols::document(self, params).await
    }

    async fn symbol(
        &self,
        params: WorkspaceSymbolParams,
    ) -> Result<Option<OneOf<Vec<SymbolInformation>, Vec<lsp::WorkspaceSymbol>>>> {
        handlers::symbols::workspace(self, params).await
    }

    async fn hover(&self, params: HoverParams) -> Result<Option<Hover>> {
        handlers::hover::handle(self, params).await
    }

    async fn goto_definition(
        &self,
        params: GotoDefinitionParams,
    ) -> Result<Option<GotoDefinitionResponse>> {
        handlers::navigation::definition(self, params).await
    }

    async fn references(&self, params: ReferenceParams) -> Result<Option<Vec<Location>>> {
        handlers::navigation::references(self, params).await
    }

    async fn completion(&self, params: CompletionParams) -> Result<Option<CompletionResponse>> {
        handlers::completion::handle(self, params).await
    }

    async fn semantic_tokens_full(
        &self,
        params: SemanticTokensParams,
    ) -> Result<Option<SemanticTokensResult>> {
        handlers::semantic_tokens::full(self, params).await
    }

    async fn folding_range(&self, params: FoldingRangeParams) -> Result<Option<Vec<FoldingRange>>> {
        handlers::ranges::folding(self, params).await
    }

    async fn selection_range(
        &self,
        params: SelectionRangeParams,
    ) -> Result<Option<Vec<SelectionRange>>> {
        handlers::ranges::selection(self, params).await
    }

    async fn prepare_rename(
        &self,
        params: TextDocumentPositionParams,
    ) -> Result<Option<PrepareRenameResponse>> {
        handlers::rename::prepare(self, params).await
    }

    async fn rename(&self, params: RenameParams) -> Result<Option<WorkspaceEdit>> {
        handlers::rename::rename(self, params).await
    }

    async fn formatting(&self, params: DocumentFormattingParams) -> Result<Option<Vec<TextEdit>>> {
        handlers::formatting::handle(self, params).await
    }

    async fn code_action(&self, params: CodeActionParams) -> Result<Option<CodeActionResponse>> {
        handlers::code_action::handle(self, params).await
    }

    async fn inlay_hint(&self, params: InlayHintParams) -> Result<Option<Vec<InlayHint>>> {
        handlers::inlay_hints::handle(self, params).await
    }

    async fn code_lens(&self, params: CodeLensParams) -> Result<Option<Vec<CodeLens>>> {
        handlers::code_lens::handle(self, params).await
    }

    async fn code_lens_resolve(&self, params: CodeLens) -> Result<CodeLens> {
        handlers::code_lens::resolve(self, params).await
    }

    async fn execute_command(&self, params: ExecuteCommandParams) -> Result<Option<Value>> {
        handlers::commands::handle(self, params).await
    }

    async fn diagnostic(
        &self,
        params: DocumentDiagnosticParams,
    ) -> Result<DocumentDiagnosticReportResult> {
        handlers::pull::document(self, params).await
    }

    async fn workspace_diagnostic(
        &self,
        params: WorkspaceDiagnosticParams,
    ) -> Result<WorkspaceDiagnosticReportResult> {
        handlers::pull::workspace(self, params).await
    }
}

impl Backend {
    /// Run-on-save (only when the user switched `run_on_save` on): a saved spec runs its
    /// scenarios' tests, a saved test file the scenarios its tests are linked to.
    async fn run_on_save(&self, uri: Uri) {
        let Ok(snap) = self.snapshot().await else {
            return;
        };
        if !snap.settings.config.run_on_save {
            return;
        }
        let key = snap.key(&uri);
        let args = if snap.file(&key).is_some_and(|f| !f.doc.scenarios.is_empty()) {
            super::run::RunArgs {
                uri: Some(uri),
                ..Default::default()
            }
        } else if snap.tests.index.get(&key).is_some() {
            let s = snap.clone();
            let ids = tokio::task::spawn_blocking(move || {
                let view = s.test_view();
                let mut ids: Vec<String> = Vec::new();
                for test in 0..f_len(&s, &key) {
                    let t = specls_core::testlinks::TestRef {
                        path: key.clone(),
                        test,
                    };
                    for r in view.links.scenarios_of(&t) {
                        if let Some(sc) = s.file(&r.path).and_then(|f| f.doc.scenarios.get(r.index))
                        {
                            if !ids.contains(&sc.id) {
                                ids.push(sc.id.clone());
                            }
                        }
                    }
                }
                ids
            })
            .await
            .unwrap_or_default();
            if ids.is_empty() {
                return;
            }
            super::run::RunArgs {
                uri: None,
                scenarios: ids,
                all: false,
            }
        } else {
            return;
        };
        if let Err(e) = super::run::start(self.run_start(), snap, args).await {
            info!("run on save: nothing run: {e}");
        }
    }
}

fn f_len(snap: &Snapshot, key: &str) -> usize {
    snap.tests.index.get(key).map_or(0, |f| f.tests.len())
}

/// Reads the whole workspace from disk (initial index, `specls.reindex`, new spec globs).
#[derive(Clone)]
pub(crate) struct Indexer {
    roots: SharedRoots,
    state: StateHandle,
    client: Client,
    progress: bool,
    lens_refresh: bool,
    ready: watch::Receiver<bool>,
}

impl Indexer {
    /// Index the workspace in the background; progress is reported when there are many files.
    /// With `poll`, a disk poller starts after the index; its baseline is taken before the
    /// files are read, so nothing written meanwhile is missed.
    /// `layers`: the settings sources to read the workspace with (None: the ones in force).
    pub(crate) fn spawn(&self, poll: bool, layers: Option<Layers>) {
        let shared = self.roots.clone();
        let roots = shared.get();
        let state = self.state.clone();
        let client = self.client.clone();
        let progress = self.progress;
        let lens_refresh = self.lens_refresh;
        let mut ready = self.ready.clone();
        let layers = layers.unwrap_or_else(|| state.current().layers);
        tokio::spawn(async move {
            let (count_tx, count_rx) = tokio::sync::oneshot::channel();
            let r = roots.clone();
            let job = tokio::task::spawn_blocking(move || {
                let poller = poll.then(|| {
                    let mut p = index::Poller::default();
                    let mut l = layers.clone();
                    l.toml = index::config_path(&r).and_then(|p| state::read_toml(&r, &p));
                    let _ = p.scan(&r, &l.settings().0.config, &[]);
                    p
                });
                let idx = index::index(&r, layers, |n| {
                    let _ = count_tx.send(n);
                });
                (idx, poller)
            });
            let reporter = async {
                let Ok(n) = count_rx.await else { return None };
                if !progress || n < 500 {
                    return None;
                }
                // Requests to the client are only allowed once it has sent `initialized`.
                let _ = tokio::time::timeout(Duration::from_secs(2), ready.wait_for(|r| *r)).await;
                let token = NumberOrString::String(format!("specls-index-{}", std::process::id()));
                if !super::progress::create(&client, &token, Duration::from_secs(1)).await {
                    return None;
                }
                let p = client
                    .progress(token, "Indexing specs")
                    .with_message(format!("{n} files"))
                    .begin()
                    .await;
                Some(p)
            };
            let (result, ongoing) = tokio::join!(job, reporter);
            let poller = match result {
                Ok((idx, poller)) => {
                    state.send(Msg::Indexed {
                        folders: roots.folders.clone(),
                        files: idx.files,
                        toml: idx.toml,
                        tests: idx.tests,
                    });
                    poller
                }
                Err(e) => {
                    warn!("indexing failed: {e}");
                    state.send(Msg::Indexed {
                        folders: roots.folders.clone(),
                        files: Vec::new(),
                        toml: None,
                        tests: Vec::new(),
                    });
                    None
                }
            };
            // The last runs' results, with the settings the index just read (once the owner
            // has applied them: the loader reads the settings in force).
            let _ = state.snapshot().await;
            state.load(Load::Results {
                roots: roots.clone(),
            });
            if let Some(p) = ongoing {
                p.finish_with_message("done").await;
            }
            if let Some(poller) = poller {
                poll_disk(state, shared, poller, client, lens_refresh).await;
            }
        });
    }
}

/// Poll the disk for changed specs (clients that cannot watch files).
async fn poll_disk(
    state: StateHandle,
    shared: SharedRoots,
    mut poller: index::Poller,
    client: Client,
    lens_refresh: bool,
) {
    loop {
        let Some(snap) = state.snapshot().await else {
            return;
        };
        let Some(interval) = snap.settings.poll_interval else {
            tokio::time::sleep(Duration::from_secs(5)).await;
            continue;
        };
        drop(snap);
        tokio::time::sleep(interval).await;
        // The folders in force now: files of a removed folder are not seen again.
        let roots = shared.get();
        let r = roots.clone();
        let config = state.current().settings.config.clone();
        // The manifests and generated files drift read last.
        let extra = super::drift::polled_paths(&state, &roots);
        let Ok((p, changed)) = tokio::task::spawn_blocking(move || {
            let changed = poller.scan(&r, &config, &extra);
            (poller, changed)
        })
        .await
        else {
            return;
        };
        poller = p;
        if changed
            .iter()
            .any(|p| super::drift::affects_drift(&state, &roots.key_for_path(p), p))
        {
            debug!("a compile manifest or generated file changed on disk");
            super::drift::changed_on_disk(&state, &client, lens_refresh);
        }
        // Specs, tests and results of the folders in force now: a removed folder's files are not
        // read again.
        let changed: Vec<PathBuf> = changed
            .into_iter()
            .filter(|p| roots.folders.iter().any(|f| p.starts_with(f)))
            .collect();
        let globs = state.current().result_globs();
        let (results, changed): (Vec<PathBuf>, Vec<PathBuf>) = changed
            .into_iter()
            .partition(|p| testing::is_result_key(&roots.key_for_path(p), &globs));
        if !results.is_empty() {
            debug!("{} result files changed on disk", results.len());
            state.load(Load::Results {
                roots: roots.clone(),
            });
        }
        let (toml, files): (Vec<PathBuf>, Vec<PathBuf>) = changed
            .into_iter()
            .partition(|p| p.file_name().is_some_and(|n| n == index::CONFIG_FILE));
        for path in toml {
            state.load(Load::Toml {
                roots: roots.clone(),
                path,
            });
        }
        if !files.is_empty() {
            debug!("{} files changed on disk", files.len());
            state.load(Load::Files {
                roots: roots.clone(),
                paths: files,
            });
        }
    }
}

/// Parameters of `specls/debug/documentText`.
#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DocumentTextParams {
    pub text_document: TextDocumentIdentifier,
}

#[derive(serde::Serialize)]
pub struct DocumentTextResult {
    pub version: i32,
    pub text: String,
}

#[derive(serde::Deserialize)]
pub struct SleepParams {
    pub ms: u64,
}

impl Backend {
    /// `specls/debug/documentText`: the text the server holds for an open document.
    pub async fn debug_document_text(&self, p: DocumentTextParams) -> Result<DocumentTextResult> {
        match self.state.document_text(p.text_document.uri.clone()).await {
            Some((version, text)) => Ok(DocumentTextResult { version, text }),
            None => Err(invalid_params(format!(
                "{} is not open",
                p.text_document.uri.as_str()
            ))),
        }
    }

    /// `specls/debug/sleep`: answers after `ms` milliseconds (to exercise cancellation).
    pub async fn debug_sleep(&self, p: SleepParams) -> Result<Value> {
        tokio::time::sleep(Duration::from_millis(p.ms.min(60_000))).await;
        Ok(Value::Null)
    }

    /// `specls/scenarios`: see [`handlers::scenarios`].
    pub async fn scenarios_request(
        &self,
        p: handlers::scenarios::ScenariosParams,
    ) -> Result<handlers::scenarios::ScenariosResult> {
        handlers::scenarios::handle(self, p).await
    }

    /// `specls/debug/panic`: a handler whose pure part panics (to exercise the panic guard).
    pub async fn debug_panic(&self) -> Result<Value> {
        guarded("specls/debug/panic", || -> Value {
            panic!("deliberate panic requested by specls/debug/panic")
        })
    }
}

pub fn lsp_range_overlaps(a: &lsp::Range, b: &lsp::Range) -> bool {
    !(a.end < b.start || b.end < a.start)
}
