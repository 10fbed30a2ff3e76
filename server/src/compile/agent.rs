//! The `command` backend: an agent CLI (`claude -p {prompt_file}`, `sp compile {name}`) that
//! writes files itself. The template is split into words and run without a shell (a spec name
//! cannot inject a command), in the workspace root, with the prompt in
//! `.specls/prompts/<spec>.md`.
//!
//! What the agent changed is found by comparing the output folders before and after; the
//! folders are then put back as they were and the changes handed to the same writing step as
//! a model's answer (paths checked, hand edits protected, atomic writes). So a failed,
//! cancelled or refused run leaves the output folders as they were.
//!
//! The rest of the workspace is recorded before the run: every file's size and modification
//! time (to find changes cheaply: the bytes are compared only when those moved) and, within a
//! budget ([`MAX_OUTSIDE_COPY_BYTES`], files up to [`MAX_OUTSIDE_COPY_FILE`]), its bytes.
//! Git-ignored files and `.git/`, `.specls/`, `target/`, `node_modules/` are not looked at.
//! When the run fails, is cancelled or times out, or the compile fails afterwards (a refused
//! path, a failed write), what the agent created, changed or deleted outside the output paths
//! is put back too (a file beyond the budget is named as not undone). When the compile
//! succeeds, those changes are kept — an agent CLI is a tool the user runs in their own
//! workspace and may rightly touch a lock file or a README — but never recorded in the
//! manifest as outputs, and listed by name in the result and the events for review.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use specls_core::compile::targets::Targets;
use specls_core::compile::{fill, split_command, MAX_ANSWER_BYTES};
use tokio::io::AsyncReadExt;

use super::Cancel;
use crate::fsutil;

/// Files of the output folders above this many are not snapshotted (the run is refused).
pub const MAX_SNAPSHOT_FILES: usize = 20_000;
/// Total bytes of the output folders snapshotted at most.
pub const MAX_SNAPSHOT_BYTES: usize = 256 * 1024 * 1024;
/// Output of the agent kept for messages (the end of it).
const MAX_OUTPUT_TAIL: usize = 4_000;

/// The output folders' files (workspace-relative path -> bytes) and folders.
#[derive(Default)]
pub struct Snapshot {
    files: BTreeMap<String, Vec<u8>>,
    dirs: BTreeSet<String>,
}

/// What an agent run changed (already undone on disk in the output paths).
#[derive(Default)]
pub struct Changes {
    /// New or modified files with their new contents.
    pub files: Vec<(String, Vec<u8>)>,
    /// Files the agent deleted (put back; specls never deletes).
    pub deleted: Vec<String>,
    /// The end of what the agent printed.
    pub output: String,
    /// Files outside the output paths the agent created, changed or deleted (left as they
    /// are), with what happened to them.
    pub outside: Vec<Outsider>,
    /// The workspace outside the output paths before the run, to undo `outside`.
    before_outside: Option<Outside>,
}

impl std::fmt::Debug for Changes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Changes")
            .field(
                "files",
                &self.files.iter().map(|(p, _)| p).collect::<Vec<_>>(),
            )
            .field("deleted", &self.deleted)
            .field("outside", &self.outside)
            .finish()
    }
}

/// A file outside the output paths the agent touched.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Outsider {
    pub path: String,
    /// `created`, `changed` or `deleted`.
    pub what: &'static str,
}

impl std::fmt::Display for Outsider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.path, self.what)
    }
}

/// A file of the workspace outside the output paths, as it was before the agent ran.
struct Kept {
    len: u64,
    modified: Option<std::time::SystemTime>,
    /// Its bytes, when within the copy budget (else a change to it cannot be undone).
    bytes: Option<Vec<u8>>,
}

/// The files of the workspace outside the output paths before an agent run: their size and
/// modification time (to find what changed cheaply) and, within [`MAX_OUTSIDE_COPY_BYTES`],
/// their bytes (to put back what the agent changed when the compile fails or is cancelled).
pub struct Outside {
    files: BTreeMap<String, Kept>,
    dirs: BTreeSet<String>,
    /// False when the workspace has more than [`MAX_OUTSIDE_FILES`] files (the rest unwatched).
    complete: bool,
}

/// Files outside the output paths watched at most.
pub const MAX_OUTSIDE_FILES: usize = 200_000;
/// Bytes of files outside the output paths copied at most (to undo a failed run).
pub const MAX_OUTSIDE_COPY_BYTES: usize = 128 * 1024 * 1024;
/// A file outside the output paths bigger than this is watched, not copied.
pub const MAX_OUTSIDE_COPY_FILE: u64 = 8 * 1024 * 1024;

/// Folders never looked at: version control, specls' state, build output, dependencies.
const UNWATCHED_DIRS: [&str; 4] = [".git", fsutil::STATE_DIR, "target", "node_modules"];

/// Walk the workspace outside the output paths (git-ignored files and [`UNWATCHED_DIRS`]
/// left out): files with their metadata, and folders.
fn walk_outside(
    root: &Path,
    targets: &Targets,
    mut on_file: impl FnMut(String, std::fs::Metadata) -> bool,
    mut on_dir: impl FnMut(String),
) {
    let mut builder = ignore::WalkBuilder::new(root);
    builder.hidden(false).require_git(false).filter_entry(|e| {
        !(e.depth() > 0
            && e.file_type().is_some_and(|t| t.is_dir())
            && e.file_name()
                .to_str()
                .is_some_and(|n| UNWATCHED_DIRS.contains(&n)))
    });
    for entry in builder.build().flatten() {
        let Some(t) = entry.file_type() else { continue };
        if entry.depth() == 0 {
            continue;
        }
        let rel = crate::files::rel_path(root, entry.path());
        if t.is_dir() {
            on_dir(rel);
            continue;
        }
        if !t.is_file() || targets.allows(&rel) {
            continue;
        }
        if let Ok(m) = entry.metadata() {
            if !on_file(rel, m) {
                break;
            }
        }
    }
}

/// Record every file of the workspace outside the output paths (and copy what fits the budget).
pub fn outside_stamps(root: &Path, targets: &Targets) -> Outside {
    let mut files = BTreeMap::new();
    let mut dirs = BTreeSet::new();
    let mut complete = true;
    let mut copied = 0usize;
    walk_outside(
        root,
        targets,
        |rel, m| {
            if files.len() >= MAX_OUTSIDE_FILES {
                complete = false;
                return false;
            }
            let bytes = if m.len() <= MAX_OUTSIDE_COPY_FILE
                && copied + m.len() as usize <= MAX_OUTSIDE_COPY_BYTES
            {
                std::fs::read(root.join(&rel)).ok()
            } else {
                None
            };
            copied += bytes.as_ref().map_or(0, Vec::len);
            files.insert(
                rel,
                Kept {
                    len: m.len(),
                    modified: m.modified().ok(),
                    bytes,
                },
            );
            true
        },
        |rel| {
            dirs.insert(rel);
        },
    );
    Outside {
        files,
        dirs,
        complete,
    }
}

/// What changed outside the output paths since `before`: a file whose size or modification
/// time moved counts as changed only when its bytes differ (when they were copied).
pub fn outside_changes(root: &Path, targets: &Targets, before: &Outside) -> Vec<Outsider> {
    let mut after: BTreeMap<String, (u64, Option<std::time::SystemTime>)> = BTreeMap::new();
    let mut complete = true;
    walk_outside(
        root,
        targets,
        |rel, m| {
            if after.len() >= MAX_OUTSIDE_FILES {
                complete = false;
                return false;
            }
            after.insert(rel, (m.len(), m.modified().ok()));
            true
        },
        |_| {},
    );
    let mut out = Vec::new();
    let mut add = |path: &String, what| {
        out.push(Outsider {
            path: path.clone(),
            what,
        })
    };
    for (rel, (len, modified)) in &after {
        match before.files.get(rel) {
            None if before.complete => add(rel, "created"),
            Some(old) if old.len != *len || old.modified != *modified => {
                let same = old
                    .bytes
                    .as_ref()
                    .is_some_and(|b| std::fs::read(root.join(rel)).is_ok_and(|now| now == *b));
                if !same {
                    add(rel, "changed");
                }
            }
            _ => {}
        }
    }
    if complete {
        for rel in before.files.keys() {
            if !after.contains_key(rel) {
                add(rel, "deleted");
            }
        }
    }
    out.sort();
    out
}

/// Put the files the agent touched outside the output paths back as they were: changed and
/// deleted files get their bytes (and modification time) back, created files and the folders
/// made for them are removed. Returns what could not be undone, with why.
pub fn undo_outside(root: &Path, before: &Outside, changes: &[Outsider]) -> Vec<String> {
    let mut errors = Vec::new();
    for o in changes {
        let path = root.join(&o.path);
        let r = match (o.what, before.files.get(&o.path)) {
            ("created", _) => std::fs::remove_file(&path).or_else(|e| {
                if e.kind() == std::io::ErrorKind::NotFound {
                    Ok(())
                } else {
                    Err(e)
                }
            }),
            (
                _,
                Some(Kept {
                    bytes: Some(b),
                    modified,
                    ..
                }),
            ) => fsutil::write_atomic(&path, b).and_then(|()| {
                if let Some(t) = modified {
                    std::fs::File::options()
                        .write(true)
                        .open(&path)
                        .and_then(|f| f.set_modified(*t))?;
                }
                Ok(())
            }),
            _ => {
                errors.push(format!(
                    "{}: specls kept no copy of it (bigger than {} MB, or over the copy budget)",
                    o.path,
                    MAX_OUTSIDE_COPY_FILE / (1024 * 1024)
                ));
                continue;
            }
        };
        if let Err(e) = r {
            errors.push(format!("{}: {}", o.path, fsutil::explain(&e)));
        }
    }
    // Folders made since, deepest first, when empty again.
    let mut made: Vec<String> = Vec::new();
    walk_outside(
        root,
        &Targets::default(),
        |_, _| true,
        |d| {
            if !before.dirs.contains(&d) {
                made.push(d);
            }
        },
    );
    made.sort_by_key(|d| std::cmp::Reverse(d.len()));
    for d in made {
        let _ = std::fs::remove_dir(root.join(d));
    }
    errors
}

/// The sentence reporting changes outside the output paths a successful run kept.
pub fn outside_note(outside: &[Outsider], allowed: &str) -> String {
    format!(
        "the agent also changed {} file(s) outside the output paths ({allowed}): {}; specls did not record them and left them as the agent made them: review them",
        outside.len(),
        outsider_list(outside)
    )
}

/// The sentence reporting changes outside the output paths a failed run undid.
pub fn outside_undone_note(outside: &[Outsider], allowed: &str, errors: &[String]) -> String {
    let mut s = format!(
        "the agent also changed {} file(s) outside the output paths ({allowed}): {}; ",
        outside.len(),
        outsider_list(outside)
    );
    if errors.is_empty() {
        s.push_str("they were put back as they were");
    } else {
        s.push_str(&format!(
            "they were put back as they were except {}",
            errors.join("; ")
        ));
    }
    s
}

fn outsider_list(outside: &[Outsider]) -> String {
    const SHOWN: usize = 20;
    let list: Vec<String> = outside.iter().take(SHOWN).map(|o| o.to_string()).collect();
    let more = outside.len().saturating_sub(SHOWN);
    let more = if more > 0 {
        format!(" and {more} more")
    } else {
        String::new()
    };
    format!("{}{more}", list.join(", "))
}

fn scan(root: &Path, targets: &Targets, snap: &mut Snapshot) -> Result<(), String> {
    let mut total = 0usize;
    let mut add = |rel: String, snap: &mut Snapshot| -> Result<(), String> {
        let path = root.join(&rel);
        if let Ok(bytes) = std::fs::read(&path) {
            total += bytes.len();
            if snap.files.len() >= MAX_SNAPSHOT_FILES || total > MAX_SNAPSHOT_BYTES {
                return Err(format!(
                    "the output folders hold more than {MAX_SNAPSHOT_FILES} files or {} MB; specls cannot keep a copy to undo an agent run there",
                    MAX_SNAPSHOT_BYTES / (1024 * 1024)
                ));
            }
            snap.files.insert(rel, bytes);
        }
        Ok(())
    };
    for (file, _) in &targets.files {
        if root.join(file).is_file() {
            add(file.clone(), snap)?;
        }
    }
    for folder in &targets.folders {
        let dir = root.join(folder);
        if !dir.is_dir() {
            continue;
        }
        let mut stack = vec![dir];
        while let Some(d) = stack.pop() {
            snap.dirs.insert(crate::files::rel_path(root, &d));
            let Ok(entries) = std::fs::read_dir(&d) else {
                continue;
            };
            for e in entries.flatten() {
                let Ok(t) = e.file_type() else { continue };
                let p = e.path();
                if t.is_dir() {
                    stack.push(p);
                } else if t.is_file() {
                    add(crate::files::rel_path(root, &p), snap)?;
                }
            }
        }
    }
    Ok(())
}

/// Copy the output folders.
pub fn snapshot(root: &Path, targets: &Targets) -> Result<Snapshot, String> {
    let mut s = Snapshot::default();
    scan(root, targets, &mut s)?;
    Ok(s)
}

/// Compare the folders with `before`, put them back as they were, return the differences.
pub fn diff_and_restore(
    root: &Path,
    targets: &Targets,
    before: &Snapshot,
) -> Result<Changes, String> {
    let mut after = Snapshot::default();
    // Scanning cannot fail on size here in a way we can recover from: take what we can read.
    let scanned = scan(root, targets, &mut after);
    let mut changes = Changes::default();
    for (rel, bytes) in &after.files {
        if before.files.get(rel) != Some(bytes) {
            changes.files.push((rel.clone(), bytes.clone()));
        }
    }
    for rel in before.files.keys() {
        if !after.files.contains_key(rel) {
            changes.deleted.push(rel.clone());
        }
    }
    restore(root, before, &after)?;
    scanned?;
    let total: usize = changes.files.iter().map(|(_, b)| b.len()).sum();
    if total > MAX_ANSWER_BYTES {
        return Err(format!(
            "the agent wrote {total} bytes, more than the {MAX_ANSWER_BYTES} bytes specls accepts from one compile; undone"
        ));
    }
    Ok(changes)
}

fn restore(root: &Path, before: &Snapshot, after: &Snapshot) -> Result<(), String> {
    let mut errors = Vec::new();
    for (rel, bytes) in &after.files {
        match before.files.get(rel) {
            Some(old) if old == bytes => {}
            Some(old) => {
                if let Err(e) = fsutil::write_atomic(&root.join(rel), old) {
                    errors.push(format!("{rel}: {e}"));
                }
            }
            None => {
                if let Err(e) = std::fs::remove_file(root.join(rel)) {
                    errors.push(format!("{rel}: {e}"));
                }
            }
        }
    }
    for (rel, old) in &before.files {
        if !after.files.contains_key(rel) {
            if let Err(e) = fsutil::write_atomic(&root.join(rel), old) {
                errors.push(format!("{rel}: {e}"));
            }
        }
    }
    // Folders the agent created, deepest first, when empty again.
    let mut new_dirs: Vec<&String> = after
        .dirs
        .iter()
        .filter(|d| !before.dirs.contains(*d))
        .collect();
    new_dirs.sort_by_key(|d| std::cmp::Reverse(d.len()));
    for d in new_dirs {
        let _ = std::fs::remove_dir(root.join(d));
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "could not undo the agent's changes to {}",
            errors.join("; ")
        ))
    }
}

/// Keep the last `MAX_OUTPUT_TAIL` bytes of a stream.
async fn tail(mut r: impl tokio::io::AsyncRead + Unpin) -> String {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        match r.read(&mut chunk).await {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                buf.extend_from_slice(&chunk[..n]);
                if buf.len() > 2 * MAX_OUTPUT_TAIL {
                    buf.drain(..buf.len() - MAX_OUTPUT_TAIL);
                }
            }
        }
    }
    if buf.len() > MAX_OUTPUT_TAIL {
        buf.drain(..buf.len() - MAX_OUTPUT_TAIL);
    }
    String::from_utf8_lossy(&buf).trim().to_string()
}

/// The command line the template gives for a spec (shown before it runs).
pub fn command_line(template: &str, values: &[(&str, &str)]) -> Result<Vec<String>, String> {
    let words = split_command(template)
        .ok_or_else(|| format!("the [llm] command `{template}` has an unterminated quote"))?;
    if words.is_empty() {
        return Err("the [llm] command is empty".into());
    }
    Ok(words.iter().map(|w| fill(w, values)).collect())
}

/// Run the agent and return what it changed in the output folders (undone on disk). On
/// failure, cancellation or timeout its changes outside the output paths are undone too; on
/// success they are left and listed in [`Changes::outside`], with what it takes to undo them
/// ([`Changes::undo_outside`]) should the compile fail later.
pub async fn run(
    root: &Path,
    argv: &[String],
    targets: &Targets,
    timeout: Duration,
    cancel: &Cancel,
) -> Result<Changes, String> {
    let before = snapshot(root, targets)?;
    // Reading the workspace can take a while: off the async threads.
    let before_outside = {
        let (root, targets) = (root.to_path_buf(), targets.clone());
        tokio::task::spawn_blocking(move || outside_stamps(&root, &targets))
            .await
            .map_err(|e| format!("cannot record the workspace before the agent runs: {e}"))?
    };
    let mut child = spawn_agent(argv, root)?;
    let out = tokio::spawn(tail(child.stdout.take().expect("piped")));
    let err = tokio::spawn(tail(child.stderr.take().expect("piped")));
    let status = tokio::select! {
        _ = cancel.cancelled() => None,
        r = tokio::time::timeout(timeout, child.wait()) => Some(r),
    };
    let stopped = status.as_ref().is_none_or(|s| s.is_err());
    if stopped {
        kill_group(&mut child).await;
    }
    let outcome = match status {
        None => Err("cancelled; the agent was stopped and its changes undone".to_string()),
        Some(Err(_)) => Err(format!(
            "the agent did not finish within {} s; stopped and its changes undone",
            timeout.as_secs()
        )),
        Some(Ok(Err(e))) => Err(format!("waiting for the agent failed: {e}")),
        Some(Ok(Ok(s))) => Ok(s),
    };
    let stdout = out.await.unwrap_or_default();
    let stderr = err.await.unwrap_or_default();
    let changes = diff_and_restore(root, targets, &before);
    let outside = outside_changes(root, targets, &before_outside);
    let printed = [stdout.as_str(), stderr.as_str()]
        .iter()
        .filter(|s| !s.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join("\n");
    let failure = match (&outcome, &changes) {
        (Err(e), _) => Some(e.clone()),
        (Ok(_), Err(e)) => Some(e.clone()),
        (Ok(s), Ok(_)) if !s.success() => Some(format!(
            "the agent exited with {s}; its changes to the output paths were undone"
        )),
        _ => None,
    };
    if let Some(msg) = failure {
        let mut msg = msg;
        if !outside.is_empty() {
            let errors = undo_outside(root, &before_outside, &outside);
            msg.push_str("; ");
            msg.push_str(&outside_undone_note(&outside, &targets.describe(), &errors));
        }
        if outcome.as_ref().is_ok_and(|s| !s.success()) && !printed.is_empty() {
            msg.push_str(":\n");
            msg.push_str(&printed);
        }
        return Err(msg);
    }
    let mut changes = changes.expect("checked above");
    changes.output = printed;
    changes.outside = outside;
    changes.before_outside = Some(before_outside);
    Ok(changes)
}

impl Changes {
    /// Undo the agent's changes outside the output paths (the compile failed after the agent
    /// succeeded); the sentence saying so, for the failure message. Empty when there were none.
    pub fn undo_outside(&mut self, root: &Path, allowed: &str) -> String {
        let Some(before) = self.before_outside.take() else {
            return String::new();
        };
        if self.outside.is_empty() {
            return String::new();
        }
        let errors = undo_outside(root, &before, &self.outside);
        outside_undone_note(&self.outside, allowed, &errors)
    }
}

/// Start an agent CLI (`argv` from [`command_line`]) in `root`: no stdin, stdout and stderr
/// piped, killed when dropped, in its own process group so that stopping it stops what it
/// started too.
pub(crate) fn spawn_agent(argv: &[String], root: &Path) -> Result<tokio::process::Child, String> {
    let mut cmd = tokio::process::Command::new(&argv[0]);
    cmd.args(&argv[1..])
        .current_dir(root)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    #[cfg(unix)]
    cmd.process_group(0);
    cmd.spawn()
        .map_err(|e| format!("cannot start the agent `{}`: {e}", argv[0]))
}

/// Stop the agent and everything it started (its process group).
pub(crate) async fn kill_group(child: &mut tokio::process::Child) {
    #[cfg(unix)]
    if let Some(pid) = child.id().and_then(|p| i32::try_from(p).ok()) {
        // SAFETY: kill(2) with a negative pid signals the process group the agent leads (it was
        // started with process_group(0)); no memory is shared.
        unsafe {
            libc::kill(-pid, libc::SIGKILL);
        }
    }
    let _ = child.kill().await;
}

/// Where the prompt for `spec_name` is written for the agent (no key is ever in it).
pub fn prompt_path(root: &Path, spec_name: &str) -> std::io::Result<PathBuf> {
    let dir = fsutil::state_dir(root)?.join("prompts");
    let safe: String = spec_name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .take(100)
        .collect();
    Ok(dir.join(format!(
        "{}.md",
        if safe.is_empty() { "spec" } else { &safe }
    )))
}
