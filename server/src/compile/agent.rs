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
//! The rest of the workspace is watched by size and modification time (not copied: it can be
//! big): files the agent created, changed or deleted outside the output paths are reported
//! with the result — never recorded in the manifest as outputs, and not undone (specls keeps
//! no copy of them), so the user can review them. Git-ignored files, `.git/` and `.specls/`
//! are not looked at.

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

/// What an agent run changed (already undone on disk).
#[derive(Debug, Default)]
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

/// Files of the workspace outside the output paths, by size and modification time.
pub struct Outside {
    stamps: BTreeMap<String, (u64, Option<std::time::SystemTime>)>,
    /// False when the workspace has more than [`MAX_OUTSIDE_FILES`] files (the rest unwatched).
    complete: bool,
}

/// Files outside the output paths watched at most.
pub const MAX_OUTSIDE_FILES: usize = 200_000;

/// Stamp every file of the workspace outside the output paths (git-ignored files, `.git/` and
/// `.specls/` left out).
pub fn outside_stamps(root: &Path, targets: &Targets) -> Outside {
    let mut out = Outside {
        stamps: BTreeMap::new(),
        complete: true,
    };
    let mut builder = ignore::WalkBuilder::new(root);
    builder.hidden(false).require_git(false).filter_entry(|e| {
        !(e.depth() > 0
            && e.file_type().is_some_and(|t| t.is_dir())
            && matches!(e.file_name().to_str(), Some(".git" | fsutil::STATE_DIR)))
    });
    for entry in builder.build().flatten() {
        if !entry.file_type().is_some_and(|t| t.is_file()) {
            continue;
        }
        let rel = crate::files::rel_path(root, entry.path());
        if targets.allows(&rel) {
            continue;
        }
        if out.stamps.len() >= MAX_OUTSIDE_FILES {
            out.complete = false;
            break;
        }
        if let Ok(m) = entry.metadata() {
            out.stamps.insert(rel, (m.len(), m.modified().ok()));
        }
    }
    out
}

/// What changed outside the output paths since `before`.
pub fn outside_changes(root: &Path, targets: &Targets, before: &Outside) -> Vec<Outsider> {
    let after = outside_stamps(root, targets);
    let mut out = Vec::new();
    let mut add = |path: &String, what| {
        out.push(Outsider {
            path: path.clone(),
            what,
        })
    };
    for (rel, stamp) in &after.stamps {
        match before.stamps.get(rel) {
            None if before.complete => add(rel, "created"),
            Some(old) if old != stamp => add(rel, "changed"),
            _ => {}
        }
    }
    if after.complete {
        for rel in before.stamps.keys() {
            if !after.stamps.contains_key(rel) {
                add(rel, "deleted");
            }
        }
    }
    out.sort();
    out
}

/// The sentence reporting changes outside the output paths.
pub fn outside_note(outside: &[Outsider], allowed: &str) -> String {
    const SHOWN: usize = 20;
    let mut list: Vec<String> = outside.iter().take(SHOWN).map(|o| o.to_string()).collect();
    let more = outside.len().saturating_sub(SHOWN);
    let more = if more > 0 {
        format!(" and {more} more")
    } else {
        String::new()
    };
    list.sort();
    format!(
        "the agent also changed {} file(s) outside the output paths ({allowed}): {}{more}; specls did not record them and left them as the agent made them: review them",
        outside.len(),
        list.join(", ")
    )
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

/// Run the agent and return what it changed in the output folders (undone on disk).
pub async fn run(
    root: &Path,
    argv: &[String],
    targets: &Targets,
    timeout: Duration,
    cancel: &Cancel,
) -> Result<Changes, String> {
    let before = snapshot(root, targets)?;
    let before_outside = outside_stamps(root, targets);
    let mut cmd = tokio::process::Command::new(&argv[0]);
    cmd.args(&argv[1..])
        .current_dir(root)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    // Its own process group, so that stopping it stops what it started too.
    #[cfg(unix)]
    cmd.process_group(0);
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("cannot start the agent `{}`: {e}", argv[0]))?;
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
    let outside_msg = if outside.is_empty() {
        String::new()
    } else {
        format!("; {}", outside_note(&outside, &targets.describe()))
    };
    let status = outcome.map_err(|e| format!("{e}{outside_msg}"))?;
    let mut changes = changes.map_err(|e| format!("{e}{outside_msg}"))?;
    let printed = [stdout.as_str(), stderr.as_str()]
        .iter()
        .filter(|s| !s.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join("\n");
    if !status.success() {
        return Err(format!(
            "the agent exited with {status}; its changes to the output paths were undone{outside_msg}{}",
            if printed.is_empty() {
                String::new()
            } else {
                format!(":\n{printed}")
            }
        ));
    }
    changes.output = printed;
    changes.outside = outside;
    Ok(changes)
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
