//! File-system helpers shared by every front end that writes: atomic writes and the workspace's
//! state folder (`.specls/`). The analysis core never touches the disk; these live at the edge.

use std::io::Write;
use std::path::{Path, PathBuf};

/// Name of the state folder under the workspace root (results, manifest, ...).
pub const STATE_DIR: &str = ".specls";

/// Write `contents` to `path` through a temporary file in the same folder and a rename, so a
/// failure (disk full, read-only, killed process) leaves the original untouched and no
/// half-written file behind. Creates missing parent folders. Keeps the permissions of the file it
/// replaces.
pub fn write_atomic(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let fault = faults::check(path);
    if fault == Some(faults::Fault::ReadOnly) {
        return Err(faults::read_only());
    }
    let dir = path.parent().unwrap_or(Path::new("."));
    if !dir.as_os_str().is_empty() {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = temp_path(path, std::process::id());
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        if fault == Some(faults::Fault::DiskFull) {
            // Half the bytes reach the disk, then it is full.
            f.write_all(&contents[..contents.len() / 2])?;
            return Err(faults::disk_full());
        }
        f.write_all(contents)?;
        f.sync_all()?;
        if let Ok(meta) = std::fs::metadata(path) {
            std::fs::set_permissions(&tmp, meta.permissions())?;
        }
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// A plain account of a failed write for messages: what it means for the user first ("the disk
/// is full", "the file system is read-only", "permission denied"), then the system's words.
pub fn explain(e: &std::io::Error) -> String {
    use std::io::ErrorKind as K;
    let plain = match e.kind() {
        K::StorageFull => Some("the disk is full"),
        K::ReadOnlyFilesystem => Some("the file system is read-only"),
        K::PermissionDenied => Some("permission denied"),
        K::NotADirectory => Some("a file stands where a folder is needed"),
        K::QuotaExceeded => Some("the disk quota is exceeded"),
        _ => None,
    };
    match plain {
        Some(p) => format!("{p} ({e})"),
        None => e.to_string(),
    }
}

/// Several files written as one change: each atomically, and all put back as they were when
/// one fails or when the change is abandoned ([`Transaction::rollback`], or dropping it without
/// [`Transaction::commit`]). The file a write replaces is kept as a hard link beside it
/// (`.<name>.specls-<pid>.bak`; a copy where the file system cannot link) until the commit, so
/// putting it back is a rename and needs no free space (a full disk cannot stop the rollback);
/// folders the change created are removed again when empty.
///
/// Crash safety: a transaction made with [`Transaction::journaled`] first records, in a
/// journal file, each write it is about to make (the file, its backup, the folders it creates)
/// and, at the commit, that it committed. When the process is killed half-way, the journal
/// outlives it and [`recover`] finishes the job the next time: an uncommitted change is rolled
/// back (backups renamed over the files, new files and folders removed), a committed one has
/// its leftover backups removed; temporary files of interrupted writes are removed either way.
#[derive(Default)]
pub struct Transaction {
    done: Vec<Done>,
    created_dirs: Vec<PathBuf>,
    finished: bool,
    journal: Option<PathBuf>,
}

struct Done {
    path: PathBuf,
    /// The replaced file (a link or copy), or None when the file did not exist.
    backup: Option<PathBuf>,
}

/// What a journal holds (JSON).
#[derive(serde::Serialize, serde::Deserialize, Default)]
struct Journal {
    pid: u32,
    committed: bool,
    writes: Vec<JournalWrite>,
    dirs: Vec<PathBuf>,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct JournalWrite {
    path: PathBuf,
    backup: Option<PathBuf>,
    /// The temporary file [`write_atomic`] writes first.
    temp: PathBuf,
}

/// Prefix of journal files in the state folder (`.specls/journal-<pid>-<n>.json`).
pub const JOURNAL_PREFIX: &str = "journal-";

/// A new journal path (one per transaction) under the state folder of `root`:
/// `.specls/journal-<pid>-<n>.json`.
pub fn journal_path(root: &Path) -> std::io::Result<PathBuf> {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    Ok(state_dir(root)?.join(format!("{JOURNAL_PREFIX}{}-{n}.json", std::process::id())))
}

fn backup_path(path: &Path, pid: u32) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.specls-{pid}.bak"))
}

fn temp_path(path: &Path, pid: u32) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.specls-{pid}.tmp"))
}

impl Transaction {
    pub fn new() -> Transaction {
        Transaction::default()
    }

    /// A transaction that keeps a journal at `journal` (see [`journal_path`]) so that a crash
    /// half-way can be undone by [`recover`].
    pub fn journaled(journal: PathBuf) -> Transaction {
        Transaction {
            done: Vec::new(),
            created_dirs: Vec::new(),
            finished: false,
            journal: Some(journal),
        }
    }

    fn save_journal(
        &self,
        committed: bool,
        pending: Option<(&Path, Option<&Path>, &[PathBuf])>,
    ) -> std::io::Result<()> {
        let Some(j) = &self.journal else {
            return Ok(());
        };
        let mut journal = Journal {
            pid: std::process::id(),
            committed,
            writes: self
                .done
                .iter()
                .map(|d| JournalWrite {
                    path: d.path.clone(),
                    backup: d.backup.clone(),
                    temp: temp_path(&d.path, std::process::id()),
                })
                .collect(),
            dirs: self.created_dirs.clone(),
        };
        if let Some((path, backup, dirs)) = pending {
            journal.writes.push(JournalWrite {
                path: path.to_path_buf(),
                backup: backup.map(Path::to_path_buf),
                temp: temp_path(path, std::process::id()),
            });
            journal.dirs.extend(dirs.iter().cloned());
        }
        let text = serde_json::to_vec_pretty(&journal).map_err(std::io::Error::other)?;
        write_atomic(j, &text)
    }

    /// Write `contents` to `path` atomically, keeping what it replaces for a rollback.
    pub fn write(&mut self, path: &Path, contents: &[u8]) -> std::io::Result<()> {
        // Folders this write will create, outermost first.
        let mut missing = Vec::new();
        let mut dir = path.parent();
        while let Some(d) = dir {
            if d.as_os_str().is_empty() || d.exists() {
                break;
            }
            missing.push(d.to_path_buf());
            dir = d.parent();
        }
        missing.reverse();
        let backup = match std::fs::symlink_metadata(path) {
            Ok(m) if m.is_file() => {
                let link = backup_path(path, std::process::id());
                let _ = std::fs::remove_file(&link);
                if std::fs::hard_link(path, &link).is_err() {
                    if let Err(e) = std::fs::copy(path, &link) {
                        let _ = std::fs::remove_file(&link);
                        return Err(e);
                    }
                }
                Some(link)
            }
            Ok(_) => None,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(e),
        };
        let forget_backup = |backup: &Option<PathBuf>| {
            if let Some(l) = backup {
                let _ = std::fs::remove_file(l);
            }
        };
        // The journal names the write before it happens.
        if let Err(e) = self.save_journal(false, Some((path, backup.as_deref(), &missing))) {
            forget_backup(&backup);
            return Err(e);
        }
        match write_atomic(path, contents) {
            Ok(()) => {
                self.created_dirs.extend(missing);
                self.done.push(Done {
                    path: path.to_path_buf(),
                    backup,
                });
                Ok(())
            }
            Err(e) => {
                forget_backup(&backup);
                for d in missing.iter().rev() {
                    let _ = std::fs::remove_dir(d);
                }
                let _ = self.save_journal(false, None);
                Err(e)
            }
        }
    }

    /// Paths written so far.
    pub fn written(&self) -> impl Iterator<Item = &Path> {
        self.done.iter().map(|d| d.path.as_path())
    }

    /// Keep every write; forget what they replaced. With a journal: the commit is recorded
    /// first (if that fails, the change is rolled back and the error returned), then the
    /// backups and the journal are removed.
    pub fn commit(mut self) -> std::io::Result<()> {
        if let Err(e) = self.save_journal(true, None) {
            let _ = self.undo();
            return Err(e);
        }
        self.finished = true;
        for d in &self.done {
            if let Some(l) = &d.backup {
                let _ = std::fs::remove_file(l);
            }
        }
        if let Some(j) = &self.journal {
            let _ = std::fs::remove_file(j);
        }
        Ok(())
    }

    /// Put every file back as it was, newest first. Returns the files that could not be put
    /// back, with why.
    pub fn rollback(mut self) -> Vec<String> {
        self.undo()
    }

    fn undo(&mut self) -> Vec<String> {
        self.finished = true;
        let mut errors = Vec::new();
        for d in self.done.drain(..).rev() {
            let r = match &d.backup {
                None => std::fs::remove_file(&d.path),
                Some(l) => std::fs::rename(l, &d.path),
            };
            if let Err(e) = r {
                errors.push(format!("{}: {}", d.path.display(), explain(&e)));
            }
        }
        for dir in self.created_dirs.drain(..).rev() {
            let _ = std::fs::remove_dir(dir);
        }
        // A journal stays when something could not be put back: the next recovery tries again.
        if let (Some(j), true) = (&self.journal, errors.is_empty()) {
            let _ = std::fs::remove_file(j);
        }
        errors
    }
}

impl Drop for Transaction {
    fn drop(&mut self) {
        if !self.finished {
            let _ = self.undo();
        }
    }
}

/// What [`recover`] did with the journals of interrupted transactions.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Recovered {
    /// Files put back as they were before an interrupted, uncommitted change.
    pub restored: Vec<PathBuf>,
    /// Files an interrupted change had created, removed.
    pub removed: Vec<PathBuf>,
    /// Backups and temporary files left behind, removed.
    pub cleaned: Vec<PathBuf>,
    /// What could not be done, with why.
    pub errors: Vec<String>,
}

impl Recovered {
    pub fn is_empty(&self) -> bool {
        self.restored.is_empty()
            && self.removed.is_empty()
            && self.cleaned.is_empty()
            && self.errors.is_empty()
    }

    /// One sentence for the user, paths relative to `root`.
    pub fn describe(&self, root: &Path) -> String {
        let rel = |v: &[PathBuf]| -> String {
            v.iter()
                .map(|p| {
                    p.strip_prefix(root)
                        .unwrap_or(p)
                        .to_string_lossy()
                        .replace('\\', "/")
                })
                .collect::<Vec<_>>()
                .join(", ")
        };
        let mut parts = Vec::new();
        if !self.restored.is_empty() {
            parts.push(format!("put back {}", rel(&self.restored)));
        }
        if !self.removed.is_empty() {
            parts.push(format!("removed the new {}", rel(&self.removed)));
        }
        if !self.cleaned.is_empty() {
            parts.push(format!(
                "removed {} leftover backup or temporary file(s)",
                self.cleaned.len()
            ));
        }
        if !self.errors.is_empty() {
            parts.push(format!("could not recover {}", self.errors.join("; ")));
        }
        format!(
            "an earlier compile was interrupted (the process stopped while writing); specls {}",
            parts.join("; ")
        )
    }
}

/// Is the process `pid` still running (so its journal belongs to a live transaction)?
fn alive(pid: u32) -> bool {
    if pid == std::process::id() {
        return true;
    }
    #[cfg(unix)]
    {
        let Ok(pid) = i32::try_from(pid) else {
            return false;
        };
        // SAFETY: kill(2) with signal 0 only checks that the process exists; nothing is sent.
        let r = unsafe { libc::kill(pid, 0) };
        r == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
    }
    #[cfg(not(unix))]
    {
        false
    }
}

/// Finish the transactions of processes that stopped half-way under the workspace `root`:
/// every `.specls/journal-*.json` whose process is gone is rolled back (uncommitted) or
/// cleaned up (committed), then removed. Journals of running processes are left alone.
pub fn recover(root: &Path) -> Recovered {
    let mut out = Recovered::default();
    let Ok(entries) = std::fs::read_dir(root.join(STATE_DIR)) else {
        return out;
    };
    let mut journals: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(JOURNAL_PREFIX) && n.ends_with(".json"))
        })
        .collect();
    journals.sort();
    for path in journals {
        let journal: Journal = match std::fs::read(&path)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
        {
            Some(j) => j,
            None => {
                out.errors.push(format!(
                    "{}: unreadable journal, left in place",
                    path.display()
                ));
                continue;
            }
        };
        if alive(journal.pid) && !faults::crashed(&path) {
            continue;
        }
        let before = out.errors.len();
        for w in journal.writes.iter().rev() {
            if w.temp.exists() && std::fs::remove_file(&w.temp).is_ok() {
                out.cleaned.push(w.temp.clone());
            }
            match (&w.backup, journal.committed) {
                (Some(b), false) => {
                    if b.exists() {
                        match std::fs::rename(b, &w.path) {
                            Ok(()) => {
                                // Renaming a hard link onto its own file does nothing.
                                let _ = std::fs::remove_file(b);
                                out.restored.push(w.path.clone())
                            }
                            Err(e) => {
                                out.errors
                                    .push(format!("{}: {}", w.path.display(), explain(&e)))
                            }
                        }
                    }
                }
                (None, false) => match std::fs::remove_file(&w.path) {
                    Ok(()) => out.removed.push(w.path.clone()),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => out
                        .errors
                        .push(format!("{}: {}", w.path.display(), explain(&e))),
                },
                (Some(b), true) => {
                    if b.exists() && std::fs::remove_file(b).is_ok() {
                        out.cleaned.push(b.clone());
                    }
                }
                (None, true) => {}
            }
        }
        if !journal.committed {
            for d in journal.dirs.iter().rev() {
                let _ = std::fs::remove_dir(d);
            }
        }
        if out.errors.len() == before {
            let _ = std::fs::remove_file(&path);
        }
    }
    out.restored.sort();
    out.removed.sort();
    out.cleaned.sort();
    out
}

/// Fault injection for tests (disk full, read-only file system) in [`write_atomic`], for
/// writes under a given path. Tests often run as root, where a read-only folder made with
/// `chmod` does not stop a write; this does. Nothing is injected unless a test asks.
#[doc(hidden)]
pub mod faults {
    use std::path::{Path, PathBuf};
    use std::sync::Mutex;

    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub enum Fault {
        /// The write fails half-way: no space left.
        DiskFull,
        /// The file cannot be created.
        ReadOnly,
    }

    static FAULTS: Mutex<Vec<(u64, PathBuf, Fault)>> = Mutex::new(Vec::new());
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

    /// Removes its fault when dropped.
    pub struct Injected(u64);

    impl Drop for Injected {
        fn drop(&mut self) {
            FAULTS
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .retain(|(id, _, _)| *id != self.0);
        }
    }

    /// Make every write to `path`, or under it when it is a folder, fail with `fault`.
    pub fn inject(path: &Path, fault: Fault) -> Injected {
        let id = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        FAULTS
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push((id, path.to_path_buf(), fault));
        Injected(id)
    }

    static CRASHED: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

    /// Leave `tx` as a process killed half-way would: neither rolled back nor committed, its
    /// journal (if any) on disk; [`super::recover`] then treats that journal as one whose
    /// process is gone.
    pub fn crash(tx: super::Transaction) {
        if let Some(j) = &tx.journal {
            CRASHED
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(j.clone());
        }
        std::mem::forget(tx);
    }

    pub(super) fn crashed(journal: &Path) -> bool {
        CRASHED
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .any(|j| j == journal)
    }

    pub(super) fn check(path: &Path) -> Option<Fault> {
        let faults = FAULTS.lock().unwrap_or_else(|p| p.into_inner());
        faults
            .iter()
            .find(|(_, p, _)| path.starts_with(p))
            .map(|(_, _, f)| *f)
    }

    pub(super) fn disk_full() -> std::io::Error {
        #[cfg(unix)]
        return std::io::Error::from_raw_os_error(libc::ENOSPC);
        #[cfg(not(unix))]
        return std::io::Error::new(std::io::ErrorKind::StorageFull, "no space left on device");
    }

    pub(super) fn read_only() -> std::io::Error {
        #[cfg(unix)]
        return std::io::Error::from_raw_os_error(libc::EROFS);
        #[cfg(not(unix))]
        return std::io::Error::new(
            std::io::ErrorKind::ReadOnlyFilesystem,
            "read-only file system",
        );
    }
}

/// The workspace's state folder, created on first use with a `.gitignore` that keeps it out of
/// version control.
pub fn state_dir(root: &Path) -> std::io::Result<PathBuf> {
    let dir = root.join(STATE_DIR);
    std::fs::create_dir_all(&dir)?;
    let ignore = dir.join(".gitignore");
    if !ignore.exists() {
        write_atomic(
            &ignore,
            b"# written by specls: local state, not for version control\n*\n",
        )?;
    }
    Ok(dir)
}

/// `root.join(rel)` when writing there stays inside the workspace `root`: after resolving
/// `..` and the symbolic links of the folders that exist, the path is under `root`, and the
/// file itself is not a symbolic link (specls never writes through links). Else a message that
/// says why the write is refused.
pub fn confined(root: &Path, rel: &str) -> Result<PathBuf, String> {
    let path = root.join(rel);
    if std::fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_symlink()) {
        return Err(format!(
            "refused: {rel} is a symbolic link; specls does not write through links"
        ));
    }
    let real_root = root
        .canonicalize()
        .map_err(|e| format!("cannot resolve the workspace root: {e}"))?;
    let mut probe = path.parent().map(Path::to_path_buf);
    while let Some(p) = probe {
        if p.exists() {
            let real = p
                .canonicalize()
                .map_err(|e| format!("cannot resolve {}: {e}", p.display()))?;
            if !real.starts_with(&real_root) {
                let how = if Path::new(rel).is_absolute() {
                    "is an absolute path"
                } else if Path::new(rel)
                    .components()
                    .any(|c| c == std::path::Component::ParentDir)
                {
                    "resolves outside the workspace (through `..`)"
                } else {
                    "resolves outside the workspace (through a symbolic link)"
                };
                return Err(format!("refused: {rel} {how}; nothing written"));
            }
            break;
        }
        probe = p.parent().map(Path::to_path_buf);
    }
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn confined_refuses_what_leaves_the_workspace() {
        let outer = tempfile::tempdir().unwrap();
        let root = outer.path().join("ws");
        std::fs::create_dir_all(root.join("tests")).unwrap();
        std::fs::create_dir_all(outer.path().join("elsewhere")).unwrap();
        assert!(confined(&root, "tests/test_a.py").is_ok());
        assert!(confined(&root, "new/folder/test_a.py").is_ok());
        assert!(confined(&root, "../elsewhere/x.py").is_err());
        assert!(confined(&root, "tests/../../elsewhere/x.py").is_err());
        assert!(confined(&root, "/etc/x.py").is_err());
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(outer.path().join("elsewhere"), root.join("out")).unwrap();
            let e = confined(&root, "out/deeper/x.py").unwrap_err();
            assert!(e.contains("outside the workspace"), "{e}");
            std::os::unix::fs::symlink(
                outer.path().join("elsewhere/x.py"),
                root.join("tests/l.py"),
            )
            .unwrap();
            let e = confined(&root, "tests/l.py").unwrap_err();
            assert!(e.contains("symbolic link"), "{e}");
        }
    }

    #[test]
    fn atomic_write_replaces_and_leaves_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub").join("a.txt");
        write_atomic(&path, b"one").unwrap();
        write_atomic(&path, b"two").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "two");
        let names: Vec<_> = std::fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("a.txt")]);
    }

    #[test]
    fn atomic_write_into_a_missing_read_only_place_fails_cleanly() {
        let dir = tempfile::tempdir().unwrap();
        // A file where a folder should be: creating the parent fails, nothing is written.
        let blocker = dir.path().join("blocker");
        std::fs::write(&blocker, "x").unwrap();
        assert!(write_atomic(&blocker.join("a.txt"), b"x").is_err());
        assert_eq!(std::fs::read_to_string(&blocker).unwrap(), "x");
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn injected_faults_fail_cleanly_and_keep_the_original() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.txt");
        write_atomic(&path, b"original").unwrap();
        {
            let _f = faults::inject(&path, faults::Fault::DiskFull);
            let e = write_atomic(&path, b"replacement bytes").unwrap_err();
            assert_eq!(e.kind(), std::io::ErrorKind::StorageFull);
            assert!(
                explain(&e).starts_with("the disk is full ("),
                "{}",
                explain(&e)
            );
        }
        {
            let _f = faults::inject(dir.path(), faults::Fault::ReadOnly);
            let e = write_atomic(&path, b"replacement").unwrap_err();
            assert_eq!(e.kind(), std::io::ErrorKind::ReadOnlyFilesystem);
            assert!(explain(&e).starts_with("the file system is read-only ("));
        }
        // The fault is gone with its guard; nothing half-written is left.
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "original");
        assert_eq!(names(dir.path()), vec!["a.txt"]);
        write_atomic(&path, b"new").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new");
    }

    #[test]
    fn a_transaction_rolls_back_every_write_even_on_a_full_disk() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write_atomic(&root.join("keep.txt"), b"kept").unwrap();
        let mut tx = Transaction::new();
        tx.write(&root.join("keep.txt"), b"replaced").unwrap();
        tx.write(&root.join("new/deep/file.txt"), b"new").unwrap();
        let e = {
            // Everything else fails now (the disk is full): the rollback needs no space.
            let _f = faults::inject(root, faults::Fault::DiskFull);
            let e = tx.write(&root.join("third.txt"), b"third").unwrap_err();
            assert!(tx.rollback().is_empty());
            e
        };
        assert_eq!(e.kind(), std::io::ErrorKind::StorageFull);
        assert_eq!(
            std::fs::read_to_string(root.join("keep.txt")).unwrap(),
            "kept"
        );
        assert_eq!(names(root), vec!["keep.txt"]);

        // Dropped without a commit: rolled back too. Committed: kept, no backup left.
        {
            let mut tx = Transaction::new();
            tx.write(&root.join("keep.txt"), b"dropped").unwrap();
        }
        assert_eq!(
            std::fs::read_to_string(root.join("keep.txt")).unwrap(),
            "kept"
        );
        let mut tx = Transaction::new();
        tx.write(&root.join("keep.txt"), b"committed").unwrap();
        tx.write(&root.join("b.txt"), b"b").unwrap();
        assert_eq!(tx.written().count(), 2);
        tx.commit().unwrap();
        assert_eq!(
            std::fs::read_to_string(root.join("keep.txt")).unwrap(),
            "committed"
        );
        assert_eq!(names(root), vec!["b.txt", "keep.txt"]);
    }

    #[test]
    fn a_transaction_killed_half_way_is_rolled_back_by_recover() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write_atomic(&root.join("src/a.py"), b"old a").unwrap();
        write_atomic(&root.join("keep.txt"), b"kept").unwrap();
        let mut tx = Transaction::journaled(journal_path(root).unwrap());
        tx.write(&root.join("src/a.py"), b"new a").unwrap();
        tx.write(&root.join("src/new/b.py"), b"new b").unwrap();
        // The disk fills on the third file (its half-written temporary is cleaned at once).
        {
            let _f = faults::inject(&root.join("c.py"), faults::Fault::DiskFull);
            assert!(tx.write(&root.join("c.py"), b"ccc").is_err());
        }
        faults::crash(tx);
        // A temporary file of a write the kill interrupted.
        std::fs::write(
            temp_path(&root.join("src/a.py"), std::process::id()),
            b"half",
        )
        .unwrap();
        // Killed: the new bytes are on disk, with a backup and a journal beside them.
        assert_eq!(std::fs::read(root.join("src/a.py")).unwrap(), b"new a");
        assert_eq!(
            names(&root.join("src")).len(),
            4,
            "{:?}",
            names(&root.join("src"))
        );
        let r = recover(root);
        assert_eq!(r.restored, vec![root.join("src/a.py")]);
        assert_eq!(r.removed, vec![root.join("src/new/b.py")]);
        assert_eq!(r.cleaned.len(), 1, "{r:?}");
        assert!(r.errors.is_empty());
        assert!(
            r.describe(root).contains("put back src/a.py"),
            "{}",
            r.describe(root)
        );
        assert_eq!(std::fs::read(root.join("src/a.py")).unwrap(), b"old a");
        assert_eq!(names(&root.join("src")), vec!["a.py"]);
        assert_eq!(names(&root.join(STATE_DIR)), vec![".gitignore"]);
        // Nothing left to do the second time.
        assert!(recover(root).is_empty());
    }

    #[test]
    fn a_transaction_killed_after_its_commit_keeps_its_files_and_loses_its_backups() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write_atomic(&root.join("a.py"), b"old a").unwrap();
        let mut tx = Transaction::journaled(journal_path(root).unwrap());
        tx.write(&root.join("a.py"), b"new a").unwrap();
        tx.write(&root.join("b.py"), b"new b").unwrap();
        tx.save_journal(true, None).unwrap();
        faults::crash(tx);
        let r = recover(root);
        assert!(r.restored.is_empty() && r.removed.is_empty(), "{r:?}");
        assert_eq!(r.cleaned.len(), 1);
        assert_eq!(std::fs::read(root.join("a.py")).unwrap(), b"new a");
        assert_eq!(names(root), vec![".specls", "a.py", "b.py"]);
        assert_eq!(names(&root.join(STATE_DIR)), vec![".gitignore"]);
    }

    #[test]
    fn a_live_transaction_is_not_recovered_and_a_finished_one_leaves_no_journal() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let mut tx = Transaction::journaled(journal_path(root).unwrap());
        tx.write(&root.join("a.py"), b"a").unwrap();
        // Its journal belongs to this (running) process.
        assert!(recover(root).is_empty());
        assert_eq!(std::fs::read(root.join("a.py")).unwrap(), b"a");
        tx.commit().unwrap();
        assert_eq!(names(&root.join(STATE_DIR)), vec![".gitignore"]);
        let mut tx = Transaction::journaled(journal_path(root).unwrap());
        tx.write(&root.join("a.py"), b"b").unwrap();
        assert!(tx.rollback().is_empty());
        assert_eq!(names(&root.join(STATE_DIR)), vec![".gitignore"]);
        assert_eq!(names(root), vec![".specls", "a.py"]);
        // The journal cannot be written (the state folder is read-only): nothing is written.
        let _ro = faults::inject(&root.join(STATE_DIR), faults::Fault::ReadOnly);
        let mut tx = Transaction::journaled(journal_path(root).unwrap());
        assert!(tx.write(&root.join("a.py"), b"c").is_err());
        assert_eq!(std::fs::read(root.join("a.py")).unwrap(), b"a");
        assert_eq!(names(root), vec![".specls", "a.py"]);
    }

    #[test]
    fn state_dir_is_git_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let state = state_dir(dir.path()).unwrap();
        assert!(state.ends_with(STATE_DIR));
        let ignore = std::fs::read_to_string(state.join(".gitignore")).unwrap();
        assert!(ignore.lines().any(|l| l == "*"));
    }
}
