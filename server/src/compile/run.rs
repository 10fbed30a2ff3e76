//! One compile run: plan (dependencies first, only what changed unless forced), ask the backend
//! for files, check their paths, protect hand edits, write atomically, run the arrangement's
//! `compile`/`lint` commands, record the manifest. Front ends (CLI, language server) give a
//! [`Host`] for progress and for asking what to do with hand-edited files.
//!
//! Guarantees: nothing is written before the whole answer arrived and every path was checked;
//! a cancelled, refused or failed compile leaves the workspace as it was (a write that fails
//! half-way is rolled back); a file changed since specls wrote it (or not written by specls)
//! is only replaced when the user chose so.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::future::BoxFuture;
use serde::Serialize;
use specls_core::compile::backend::{self, Backend, Provider};
use specls_core::compile::prompt::{self, Prompt};
use specls_core::compile::retry::{Attempts, Decision, Failure, Policy};
use specls_core::compile::targets::{self, dir_of, Targets};
use specls_core::compile::{answer, fill, sha256_hex, shell_quote};
use specls_core::config::Config;
use specls_core::manifest::{self, CompileMeta, Manifest};
use specls_core::workspace::Workspace;

use super::{agent, llm, Cancel, Secret};
use crate::fsutil;

/// What to do with a target file that was edited by hand (or not written by specls).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OnEdited {
    /// Ask the host.
    Ask,
    Overwrite,
    Skip,
    KeepBoth,
}

/// The user's answer for the hand-edited files of one spec.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Choice {
    Overwrite,
    Skip,
    /// Keep the file, write the new version next to it as `<file>.specls-new`.
    KeepBoth,
}

/// Suffix of the new version written next to a kept hand-edited file.
pub const NEW_SUFFIX: &str = ".specls-new";

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EditedFile {
    pub path: String,
    /// "edited by hand since the last compile" / "exists and was not written by specls".
    pub why: String,
}

/// Progress of a run, for the host to show.
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "event", rename_all = "kebab-case")]
pub enum Event {
    Planned {
        order: Vec<String>,
        up_to_date: Vec<String>,
    },
    Started {
        spec: String,
        reason: String,
        backend: String,
    },
    /// A command about to run (agent CLI, build command), shown before it runs.
    Running {
        spec: String,
        command: String,
    },
    Received {
        spec: String,
        bytes: usize,
        files: usize,
    },
    Retrying {
        spec: String,
        why: String,
        wait_ms: u64,
    },
    Wrote {
        spec: String,
        files: Vec<String>,
    },
    Kept {
        spec: String,
        file: String,
        note: String,
    },
    Built {
        spec: String,
        key: String,
        ok: bool,
        output: String,
    },
    Finished {
        spec: String,
        status: Status,
        message: String,
    },
    /// An earlier compile stopped half-way (the process was killed); what was done about it.
    Recovered {
        note: String,
    },
}

/// Where progress goes and who answers questions.
pub trait Host: Send + Sync {
    fn event(&self, event: &Event);
    /// Choose what to do with hand-edited target files of `spec`.
    fn ask(&self, spec: &str, files: &[EditedFile]) -> BoxFuture<'static, Choice>;
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    Compiled,
    UpToDate,
    Skipped,
    Failed,
    Cancelled,
}

#[derive(Clone, Debug, Serialize)]
pub struct BuildResult {
    pub key: String,
    pub command: String,
    pub ok: bool,
    pub output: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct SpecResult {
    pub spec: String,
    pub status: Status,
    pub message: String,
    pub written: Vec<String>,
    pub kept: Vec<String>,
    pub build: Vec<BuildResult>,
    /// What the user should look at although the compile succeeded (an agent's changes
    /// outside the output paths); also in `message`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct Summary {
    pub results: Vec<SpecResult>,
}

impl Summary {
    /// True when nothing failed (and every build command passed).
    pub fn ok(&self) -> bool {
        self.results.iter().all(|r| {
            !matches!(r.status, Status::Failed | Status::Cancelled) && r.build.iter().all(|b| b.ok)
        })
    }

    pub fn count(&self, s: Status) -> usize {
        self.results.iter().filter(|r| r.status == s).count()
    }
}

pub struct Request {
    /// Workspace root (keys of `ws` are relative to it).
    pub root: PathBuf,
    pub ws: Arc<Workspace>,
    pub config: Config,
    /// Spec paths (workspace-relative); empty: every spec an arrangement applies to.
    pub specs: Vec<String>,
    pub force: bool,
    pub on_edited: OnEdited,
    pub policy: Policy,
    /// Longest wait for the next piece of an answer.
    pub idle_timeout: Duration,
    /// Longest run of an agent CLI.
    pub agent_timeout: Duration,
    /// Longest run of one build command.
    pub build_timeout: Duration,
}

impl Request {
    pub fn new(root: PathBuf, ws: Arc<Workspace>, config: Config) -> Request {
        Request {
            root,
            ws,
            config,
            specs: Vec::new(),
            force: false,
            on_edited: OnEdited::Ask,
            policy: Policy::default(),
            idle_timeout: Duration::from_secs(180),
            agent_timeout: Duration::from_secs(30 * 60),
            build_timeout: Duration::from_secs(10 * 60),
        }
    }
}

/// The manifest of a workspace; a missing one is empty, an unreadable one an error (so hand
/// edits stay protected and nothing is overwritten blindly).
pub fn load_manifest(root: &Path) -> Result<Manifest, String> {
    let path = root.join(manifest::MANIFEST_PATH);
    match std::fs::read_to_string(&path) {
        Ok(text) => Manifest::from_json(&text).map_err(|e| {
            format!(
                "the compile manifest {} cannot be read ({e}); move it away to compile again (specls will not guess which files it wrote)",
                manifest::MANIFEST_PATH
            )
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Manifest::new()),
        Err(e) => Err(format!("cannot read {}: {e}", manifest::MANIFEST_PATH)),
    }
}

fn now_unix() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Specs an arrangement applies to.
pub fn compilable(ws: &Workspace) -> Vec<String> {
    ws.files
        .iter()
        .filter(|(p, f)| manifest::is_spec(&f.doc) && targets::arrangement_for(ws, p).is_some())
        .map(|(p, _)| p.clone())
        .collect()
}

fn result(spec: &str, status: Status, message: impl Into<String>) -> SpecResult {
    SpecResult {
        spec: spec.to_string(),
        status,
        message: message.into(),
        written: Vec::new(),
        kept: Vec::new(),
        build: Vec::new(),
        warnings: Vec::new(),
    }
}

/// Compile what the request asks for.
pub async fn compile(req: Request, host: Arc<dyn Host>, cancel: Cancel) -> Summary {
    let mut summary = Summary::default();
    // A compile killed half-way left a journal: finish it (roll back or clean up) first.
    let recovered = fsutil::recover(&req.root);
    if !recovered.is_empty() {
        host.event(&Event::Recovered {
            note: recovered.describe(&req.root),
        });
    }
    let mut manifest = match load_manifest(&req.root) {
        Ok(m) => m,
        Err(e) => {
            let spec = req.specs.first().cloned().unwrap_or_default();
            summary.results.push(result(&spec, Status::Failed, e));
            return summary;
        }
    };
    let asked: Vec<String> = if req.specs.is_empty() {
        compilable(&req.ws)
    } else {
        req.specs.clone()
    };
    let order = manifest::compile_order(&req.ws, &asked);
    for u in &order.unknown {
        summary.results.push(result(
            u,
            Status::Failed,
            format!("{u} is not a spec of the workspace"),
        ));
    }
    for cycle in &order.cycles {
        for s in cycle {
            summary.results.push(result(
                s,
                Status::Failed,
                format!(
                    "{s} is in a dependency cycle ({}); not compiled",
                    cycle.join(" -> ")
                ),
            ));
        }
    }
    for s in &order.blocked {
        summary.results.push(result(
            s,
            Status::Failed,
            format!("{s} depends on a dependency cycle; not compiled"),
        ));
    }
    let mut todo = Vec::new();
    let mut up_to_date = Vec::new();
    for spec in &order.order {
        let explicit = asked.contains(spec);
        if targets::arrangement_for(&req.ws, spec).is_none() {
            if explicit {
                summary.results.push(result(
                    spec,
                    Status::Failed,
                    format!("no arrangement applies to {spec}: add an arrangement.yaml (target_language, output_paths) in its folder or above"),
                ));
            } else {
                summary.results.push(result(
                    spec,
                    Status::Skipped,
                    format!("{spec} has no arrangement; used as an interface only"),
                ));
            }
            continue;
        }
        let reason = manifest::needs_compile(&req.ws, &manifest, spec);
        if req.force || reason.needs_compile() {
            let why = if reason.needs_compile() {
                reason.describe()
            } else {
                "forced".to_string()
            };
            todo.push((spec.clone(), why));
        } else {
            up_to_date.push(spec.clone());
        }
    }
    host.event(&Event::Planned {
        order: todo.iter().map(|(s, _)| s.clone()).collect(),
        up_to_date: up_to_date.clone(),
    });
    for s in up_to_date {
        summary
            .results
            .push(result(&s, Status::UpToDate, "up to date"));
    }
    let mut failed_specs: Vec<String> = summary
        .results
        .iter()
        .filter(|r| r.status == Status::Failed)
        .map(|r| r.spec.clone())
        .collect();
    for (spec, why) in todo {
        if cancel.is_cancelled() {
            summary.results.push(result(
                &spec,
                Status::Cancelled,
                "cancelled before it started",
            ));
            continue;
        }
        // A spec whose dependency failed is not compiled against a stale interface.
        let failed_dep = order_deps(&req.ws, &spec)
            .into_iter()
            .find(|d| failed_specs.contains(d));
        let r = match failed_dep {
            Some(d) => result(
                &spec,
                Status::Failed,
                format!("not compiled: its dependency {d} failed"),
            ),
            None => compile_one(&req, &mut manifest, &spec, &why, &*host, &cancel).await,
        };
        if matches!(r.status, Status::Failed | Status::Cancelled) {
            failed_specs.push(spec.clone());
        }
        host.event(&Event::Finished {
            spec: spec.clone(),
            status: r.status,
            message: r.message.clone(),
        });
        summary.results.push(r);
    }
    summary
}

fn order_deps(ws: &Workspace, spec: &str) -> Vec<String> {
    let index = manifest::spec_index(ws);
    ws.get(spec)
        .map(|f| {
            manifest::current_dependencies(ws, &index, &f.doc)
                .into_iter()
                .filter_map(|d| d.path)
                .collect()
        })
        .unwrap_or_default()
}

enum Proposal {
    /// The files to write, the model's answer (token counts), notes for the result (what an
    /// agent changed outside the output paths), and what the agent changed (to undo outside
    /// the output paths when the compile fails after all).
    Files(
        Vec<(String, Vec<u8>)>,
        Option<llm::Answer>,
        Vec<String>,
        Option<agent::Changes>,
    ),
}

async fn compile_one(
    req: &Request,
    manifest: &mut Manifest,
    spec: &str,
    why: &str,
    host: &dyn Host,
    cancel: &Cancel,
) -> SpecResult {
    let started = Instant::now();
    let ws = &req.ws;
    let Some(file) = ws.get(spec) else {
        return result(
            spec,
            Status::Failed,
            format!("{spec} is not in the workspace"),
        );
    };
    let Some((arr_path, arr_file)) = targets::arrangement_for(ws, spec) else {
        return result(
            spec,
            Status::Failed,
            format!("no arrangement applies to {spec}"),
        );
    };
    let Some(arr) = arr_file.doc.arrangement.as_ref() else {
        return result(
            spec,
            Status::Failed,
            format!("{arr_path} is not an arrangement"),
        );
    };
    let targets = match targets::targets(arr_path, arr, &file.doc) {
        Ok(t) => t,
        Err(e) => {
            return result(
                spec,
                Status::Failed,
                format!("refused: an output path of {arr_path} is unsafe: {e}; nothing written"),
            )
        }
    };
    if targets.files.is_empty() {
        return result(
            spec,
            Status::Failed,
            format!("{arr_path} has no output_paths for {spec}: nothing to compile into"),
        );
    }
    let backend = match backend::resolve(&req.config.llm, arr.model.as_deref()) {
        Ok(b) => b,
        Err(e) => return result(spec, Status::Failed, e),
    };
    host.event(&Event::Started {
        spec: spec.to_string(),
        reason: why.to_string(),
        backend: backend.describe(),
    });
    let index = manifest::spec_index(ws);
    let deps: Vec<prompt::Dependency> = manifest::current_dependencies(ws, &index, &file.doc)
        .into_iter()
        .filter_map(|d| d.path)
        .filter_map(|p| ws.get(&p))
        .map(|f| prompt::Dependency {
            doc: &f.doc,
            text: &f.text,
        })
        .collect();
    let prompt = prompt::build(&prompt::Input {
        spec: &file.doc,
        spec_text: &file.text,
        arrangement: arr,
        targets: &targets,
        dependencies: deps,
    });
    let proposal = match backend.provider {
        Provider::Command => {
            from_agent(
                req,
                &backend,
                &targets,
                spec,
                &targets::file_name(&file.doc.name, spec),
                &prompt,
                host,
                cancel,
            )
            .await
        }
        _ => from_model(req, &backend, &targets, spec, &prompt, host, cancel).await,
    };
    let (files, answer, notes, mut agent_changes) = match proposal {
        Ok(Proposal::Files(f, a, n, c)) => (f, a, n, c),
        Err((status, msg)) => return result(spec, status, msg),
    };
    // From here on every failure also undoes an agent's changes outside the output paths.
    let mut r = async {
    if cancel.is_cancelled() {
        return result(spec, Status::Cancelled, "cancelled; nothing written");
    }
    // Hand edits.
    let recorded: BTreeMap<String, String> = manifest
        .get(spec)
        .map(|e| {
            e.outputs
                .iter()
                .filter_map(|o| o.hash.clone().map(|h| (o.path.clone(), h)))
                .collect()
        })
        .unwrap_or_default();
    let mut writes: Vec<(String, Vec<u8>)> = Vec::new();
    let mut unchanged: Vec<(String, String)> = Vec::new();
    let mut edited: Vec<(EditedFile, Vec<u8>)> = Vec::new();
    for (path, bytes) in files {
        if let Err(e) = fsutil::confined(&req.root, &path) {
            return result(spec, Status::Failed, e);
        }
        if ws.get(&path).is_some() {
            return result(
                spec,
                Status::Failed,
                format!("refused: {path} is a spec or arrangement of the workspace; a compile never writes those; nothing written"),
            );
        }
        match std::fs::read(req.root.join(&path)) {
            Ok(cur) if cur == bytes => unchanged.push((path, sha256_hex(&bytes))),
            Ok(cur) => match recorded.get(&path) {
                Some(h) if *h == sha256_hex(&cur) => writes.push((path, bytes)),
                Some(_) => edited.push((
                    EditedFile {
                        path,
                        why: "edited by hand since the last compile".into(),
                    },
                    bytes,
                )),
                None => edited.push((
                    EditedFile {
                        path,
                        why: "exists and was not written by specls".into(),
                    },
                    bytes,
                )),
            },
            // Not there (or a file stands where its folder should be: writing will say so).
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory
                ) =>
            {
                writes.push((path, bytes))
            }
            Err(e) => {
                return result(
                    spec,
                    Status::Failed,
                    format!("cannot read {path}: {e}; nothing written"),
                )
            }
        }
    }
    let mut kept = Vec::new();
    let mut keep_hashes: Vec<(String, String)> = Vec::new();
    if !edited.is_empty() {
        let list: Vec<EditedFile> = edited.iter().map(|(f, _)| f.clone()).collect();
        let choice = match req.on_edited {
            OnEdited::Overwrite => Choice::Overwrite,
            OnEdited::Skip => Choice::Skip,
            OnEdited::KeepBoth => Choice::KeepBoth,
            OnEdited::Ask => {
                tokio::select! {
                    c = host.ask(spec, &list) => c,
                    _ = cancel.cancelled() => return result(spec, Status::Cancelled, "cancelled; nothing written"),
                }
            }
        };
        for (f, bytes) in edited {
            match choice {
                Choice::Overwrite => writes.push((f.path, bytes)),
                Choice::Skip | Choice::KeepBoth => {
                    let note = if choice == Choice::Skip {
                        format!(
                            "{} {}: kept as it is, the new version was not written",
                            f.path, f.why
                        )
                    } else {
                        format!(
                            "{} {}: kept; the new version is in {}{NEW_SUFFIX}",
                            f.path, f.why, f.path
                        )
                    };
                    if choice == Choice::KeepBoth {
                        writes.push((format!("{}{NEW_SUFFIX}", f.path), bytes));
                    }
                    if let Some(h) = recorded.get(&f.path) {
                        keep_hashes.push((f.path.clone(), h.clone()));
                    }
                    host.event(&Event::Kept {
                        spec: spec.to_string(),
                        file: f.path.clone(),
                        note,
                    });
                    kept.push(f.path);
                }
            }
        }
    }
    if cancel.is_cancelled() {
        return result(spec, Status::Cancelled, "cancelled; nothing written");
    }
    // Write every file, then record them; a failure on the way (disk full, read-only, a file
    // where a folder should be) puts every file back as it was.
    let journal = match fsutil::journal_path(&req.root) {
        Ok(j) => j,
        Err(e) => {
            return result(
                spec,
                Status::Failed,
                format!(
                    "cannot create the state folder {}: {}; nothing written",
                    fsutil::STATE_DIR,
                    fsutil::explain(&e)
                ),
            )
        }
    };
    let mut tx = fsutil::Transaction::journaled(journal);
    for (rel, bytes) in &writes {
        if let Err(e) = tx.write(&req.root.join(rel), bytes) {
            let undo = tx.rollback();
            return result(
                spec,
                Status::Failed,
                format!(
                    "cannot write {rel}: {}; {}",
                    fsutil::explain(&e),
                    put_back(&undo)
                ),
            );
        }
    }
    let written: Vec<String> = writes.iter().map(|(p, _)| p.clone()).collect();
    // Record before any build command runs, so the manifest and the files agree.
    let mut outs: Vec<(String, String)> = writes
        .iter()
        .filter(|(p, _)| !p.ends_with(NEW_SUFFIX))
        .map(|(p, b)| (p.clone(), sha256_hex(b)))
        .collect();
    outs.extend(unchanged.iter().cloned());
    outs.extend(keep_hashes);
    let meta = CompileMeta {
        backend: Some(backend.provider.as_str().to_string()),
        model: match backend.provider {
            Provider::Command => backend.command.clone(),
            _ => backend.model.clone(),
        },
        compiled_at: Some(manifest::rfc3339_utc(now_unix())),
        duration_ms: Some(started.elapsed().as_millis() as u64),
        tokens_in: answer.as_ref().and_then(|a| a.tokens_in),
        tokens_out: answer.as_ref().and_then(|a| a.tokens_out),
    };
    if let Some(entry) = manifest::record(ws, spec, &outs, &meta) {
        let mut next = manifest.clone();
        next.insert(spec.to_string(), entry);
        // Through the transaction: a crash before the commit puts the manifest back too.
        if let Err(e) = tx.write(&req.root.join(manifest::MANIFEST_PATH), next.to_json().as_bytes()) {
            let undo = tx.rollback();
            return result(
                spec,
                Status::Failed,
                format!(
                    "cannot write the compile manifest {}: {}; {}",
                    manifest::MANIFEST_PATH,
                    fsutil::explain(&e),
                    put_back(&undo)
                ),
            );
        }
        *manifest = next;
    }
    if let Err(e) = tx.commit() {
        *manifest = load_manifest(&req.root).unwrap_or_default();
        return result(
            spec,
            Status::Failed,
            format!(
                "cannot record the end of the compile in {}: {}; every file was put back as it was",
                fsutil::STATE_DIR,
                fsutil::explain(&e)
            ),
        );
    }
    host.event(&Event::Wrote {
        spec: spec.to_string(),
        files: written.clone(),
    });
    // Build commands.
    let mut build = Vec::new();
    let outputs: Vec<String> = writes
        .iter()
        .filter(|(p, _)| !p.ends_with(NEW_SUFFIX))
        .map(|(p, _)| p.clone())
        .chain(unchanged.iter().map(|(p, _)| p.clone()))
        .collect();
    let arr_dir = dir_of(arr_path);
    for key in ["compile", "lint"] {
        let Some(cmd) = arr.build_command(key) else {
            continue;
        };
        if cmd.value.trim().is_empty() {
            continue;
        }
        if cancel.is_cancelled() {
            break;
        }
        let rel_to_arr = |p: &str| -> String {
            if arr_dir.is_empty() {
                p.to_string()
            } else {
                p.strip_prefix(&format!("{arr_dir}/"))
                    .unwrap_or(p)
                    .to_string()
            }
        };
        let implementation = targets
            .files
            .iter()
            .find(|(_, k)| k == "implementation")
            .map(|(p, _)| rel_to_arr(p))
            .unwrap_or_default();
        let files: Vec<String> = outputs
            .iter()
            .map(|p| shell_quote(&rel_to_arr(p)))
            .collect();
        let values = targets::placeholders(arr_path, arr, &file.doc);
        let mut vals: Vec<(&str, String)> =
            values.iter().map(|(k, v)| (*k, shell_quote(v))).collect();
        vals.push(("file", shell_quote(&implementation)));
        vals.push(("files", files.join(" ")));
        let vals: Vec<(&str, &str)> = vals.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let line = fill(cmd.value.trim(), &vals);
        host.event(&Event::Running {
            spec: spec.to_string(),
            command: line.clone(),
        });
        let (ok, output) =
            run_build(&req.root.join(arr_dir), &line, req.build_timeout, cancel).await;
        host.event(&Event::Built {
            spec: spec.to_string(),
            key: key.to_string(),
            ok,
            output: output.clone(),
        });
        build.push(BuildResult {
            key: key.to_string(),
            command: line,
            ok,
            output,
        });
    }
    let mut message = format!(
        "compiled: {} file(s) written{}",
        written.len(),
        if kept.is_empty() {
            String::new()
        } else {
            format!(", {} hand-edited file(s) kept", kept.len())
        }
    );
    for b in build.iter().filter(|b| !b.ok) {
        message.push_str(&format!("; `{}` failed", b.key));
    }
    for n in &notes {
        message.push_str(&format!("; {n}"));
    }
    SpecResult {
        spec: spec.to_string(),
        status: Status::Compiled,
        message,
        written,
        kept,
        build,
        warnings: notes,
    }
    }
    .await;
    if matches!(r.status, Status::Failed | Status::Cancelled) {
        if let Some(c) = agent_changes.as_mut() {
            let note = c.undo_outside(&req.root, &targets.describe());
            if !note.is_empty() {
                r.message.push_str(&format!("; {note}"));
            }
        }
    }
    r
}

/// How a rollback went, for the message of a failed write.
fn put_back(undo: &[String]) -> String {
    if undo.is_empty() {
        "every file was put back as it was; nothing changed".to_string()
    } else {
        format!(
            "and these files could not be put back as they were: {}",
            undo.join("; ")
        )
    }
}

async fn run_build(dir: &Path, line: &str, timeout: Duration, cancel: &Cancel) -> (bool, String) {
    let child = tokio::process::Command::new("sh")
        .arg("-c")
        .arg(line)
        .current_dir(dir)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn();
    let child = match child {
        Ok(c) => c,
        Err(e) => return (false, format!("cannot start `sh -c {line}`: {e}")),
    };
    let out = tokio::select! {
        _ = cancel.cancelled() => return (false, "cancelled".into()),
        r = tokio::time::timeout(timeout, child.wait_with_output()) => r,
    };
    match out {
        Err(_) => (
            false,
            format!("did not finish within {} s; stopped", timeout.as_secs()),
        ),
        Ok(Err(e)) => (false, e.to_string()),
        Ok(Ok(o)) => {
            let mut text = String::from_utf8_lossy(&o.stdout).into_owned();
            text.push_str(&String::from_utf8_lossy(&o.stderr));
            let text = text.trim();
            let tail = if text.len() > 4000 {
                let mut start = text.len() - 4000;
                while !text.is_char_boundary(start) {
                    start += 1;
                }
                &text[start..]
            } else {
                text
            };
            (o.status.success(), tail.to_string())
        }
    }
}

type Refusal = (Status, String);

enum Unusable {
    Malformed(String),
    Refused(String),
}

fn check_answer(text: &str, targets: &Targets) -> Result<Vec<(String, Vec<u8>)>, Unusable> {
    let blocks = answer::parse(text).map_err(|e| Unusable::Malformed(e.to_string()))?;
    let mut out: Vec<(String, Vec<u8>)> = Vec::new();
    for b in blocks {
        let path = targets.check(&b.path).map_err(|e| {
            Unusable::Refused(format!(
                "refused: the model returned a file outside the output paths: {e}; nothing written"
            ))
        })?;
        if out.iter().any(|(p, _)| *p == path) {
            return Err(Unusable::Malformed(format!(
                "the answer contains two blocks for `{path}`; give each file exactly once"
            )));
        }
        out.push((path, b.content.into_bytes()));
    }
    Ok(out)
}

async fn from_model(
    req: &Request,
    backend: &Backend,
    targets: &Targets,
    spec: &str,
    prompt: &Prompt,
    host: &dyn Host,
    cancel: &Cancel,
) -> Result<Proposal, Refusal> {
    let key = match &backend.api_key_env {
        Some(name) => match Secret::from_env(name) {
            Some(k) => Some(k),
            None if backend.key_required => {
                return Err((
                    Status::Failed,
                    format!("the environment variable {name} (named by [llm] api_key_env) is not set; specls reads API keys only from the environment"),
                ))
            }
            None => None,
        },
        None => None,
    };
    let client = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(15))
        .build()
        .map_err(|e| (Status::Failed, format!("cannot set up HTTP: {e}")))?;
    let what = backend.describe();
    let mut attempts = Attempts::default();
    let mut current = prompt.clone();
    loop {
        let mut last_report = Instant::now() - Duration::from_secs(1);
        let mut last_files = 0;
        let spec_s = spec.to_string();
        let mut on_text = |text: &str| {
            let files = answer::complete_blocks(text);
            if files != last_files || last_report.elapsed() >= Duration::from_millis(200) {
                last_report = Instant::now();
                last_files = files;
                host.event(&Event::Received {
                    spec: spec_s.clone(),
                    bytes: text.len(),
                    files,
                });
            }
        };
        let got = llm::ask(
            &client,
            backend,
            key.as_ref(),
            &current,
            req.idle_timeout,
            cancel,
            &mut on_text,
        )
        .await;
        let (failure, text) = match got {
            Ok(ans) => {
                host.event(&Event::Received {
                    spec: spec.to_string(),
                    bytes: ans.text.len(),
                    files: answer::complete_blocks(&ans.text),
                });
                match check_answer(&ans.text, targets) {
                    Ok(files) => return Ok(Proposal::Files(files, Some(ans), Vec::new(), None)),
                    Err(Unusable::Refused(m)) => return Err((Status::Failed, m)),
                    Err(Unusable::Malformed(m)) => (Failure::Malformed(m), ans.text),
                }
            }
            Err(f) => (f, String::new()),
        };
        if failure == Failure::Cancelled {
            return Err((Status::Cancelled, "cancelled; nothing written".into()));
        }
        match req.policy.decide(&failure, &mut attempts, &what) {
            Decision::RetryAfter(wait) => {
                host.event(&Event::Retrying {
                    spec: spec.to_string(),
                    why: failure_phrase(&failure),
                    wait_ms: wait.as_millis() as u64,
                });
                tokio::select! {
                    _ = tokio::time::sleep(wait) => {}
                    _ = cancel.cancelled() => return Err((Status::Cancelled, "cancelled; nothing written".into())),
                }
            }
            Decision::RetryWithFeedback(why) => {
                host.event(&Event::Retrying {
                    spec: spec.to_string(),
                    why: why.clone(),
                    wait_ms: 0,
                });
                current = prompt.with_feedback(&text, &why);
            }
            Decision::Fail(msg) => {
                let msg = super::mask(key.as_ref(), &msg);
                return Err((Status::Failed, format!("{msg}; nothing written")));
            }
        }
    }
}

fn failure_phrase(f: &Failure) -> String {
    match f {
        Failure::RateLimited { .. } => "429 Too Many Requests (rate limit)".into(),
        Failure::Server { status, .. } => format!("server error {status}"),
        Failure::Timeout(d) => format!("nothing arrived for {} s", d.as_secs()),
        other => format!("{other:?}"),
    }
}

#[allow(clippy::too_many_arguments)]
async fn from_agent(
    req: &Request,
    backend: &Backend,
    targets: &Targets,
    spec: &str,
    name: &str,
    prompt: &Prompt,
    host: &dyn Host,
    cancel: &Cancel,
) -> Result<Proposal, Refusal> {
    let failed = |m: String| (Status::Failed, m);
    let template = backend.command.clone().unwrap_or_default();
    let prompt_file = agent::prompt_path(&req.root, name)
        .map_err(|e| failed(format!("cannot create the prompt file: {e}")))?;
    fsutil::write_atomic(&prompt_file, prompt.to_text().as_bytes())
        .map_err(|e| failed(format!("cannot write the prompt file: {e}")))?;
    let pf = prompt_file.to_string_lossy().into_owned();
    let spec_abs = req.root.join(spec).to_string_lossy().into_owned();
    let root_s = req.root.to_string_lossy().into_owned();
    let argv = agent::command_line(
        &template,
        &[
            ("prompt_file", &pf),
            ("name", name),
            ("spec", &spec_abs),
            ("root", &root_s),
        ],
    )
    .map_err(failed)?;
    host.event(&Event::Running {
        spec: spec.to_string(),
        command: argv
            .iter()
            .map(|w| shell_quote(w))
            .collect::<Vec<_>>()
            .join(" "),
    });
    let mut changes = match agent::run(&req.root, &argv, targets, req.agent_timeout, cancel).await {
        Ok(c) => c,
        Err(e) if cancel.is_cancelled() => return Err((Status::Cancelled, e)),
        Err(e) => return Err(failed(e)),
    };
    for d in &changes.deleted {
        host.event(&Event::Kept {
            spec: spec.to_string(),
            file: d.clone(),
            note: format!("the agent deleted {d}; specls never deletes files, it was put back"),
        });
    }
    let allowed = targets.describe();
    let mut notes = Vec::new();
    if !changes.outside.is_empty() {
        notes.push(agent::outside_note(&changes.outside, &allowed));
    }
    if changes.files.is_empty() {
        let undone = changes.undo_outside(&req.root, &allowed);
        return Err(failed(format!(
            "the agent changed no file in the output paths ({allowed}){}{}",
            if undone.is_empty() {
                String::new()
            } else {
                format!("; {undone}")
            },
            if changes.output.is_empty() {
                String::new()
            } else {
                format!("; it printed:\n{}", changes.output)
            }
        )));
    }
    let mut files = Vec::new();
    for (p, b) in std::mem::take(&mut changes.files) {
        match targets.check(&p) {
            Ok(p) => files.push((p, b)),
            Err(e) => {
                let undone = changes.undo_outside(&req.root, &allowed);
                return Err(failed(format!(
                    "refused: {e}; nothing written{}",
                    if undone.is_empty() {
                        String::new()
                    } else {
                        format!("; {undone}")
                    }
                )));
            }
        }
    }
    for o in &changes.outside {
        host.event(&Event::Kept {
            spec: spec.to_string(),
            file: o.path.clone(),
            note: format!(
                "the agent {} {} outside the output paths; not recorded, left as it is",
                o.what, o.path
            ),
        });
    }
    let total: usize = files.iter().map(|(_, b)| b.len()).sum();
    host.event(&Event::Received {
        spec: spec.to_string(),
        bytes: total,
        files: files.len(),
    });
    Ok(Proposal::Files(files, None, notes, Some(changes)))
}
