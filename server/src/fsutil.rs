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
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.specls-{}.tmp", std::process::id()));
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
/// [`Transaction::commit`]). The file a write replaces is kept as a hard link beside it until
/// the commit, so putting it back is a rename and needs no free space (a full disk cannot stop
/// the rollback); folders the change created are removed again when empty.
#[derive(Default)]
pub struct Transaction {
    done: Vec<Done>,
    created_dirs: Vec<PathBuf>,
    finished: bool,
}

struct Done {
    path: PathBuf,
    before: Before,
}

enum Before {
    /// The file did not exist.
    Absent,
    /// A hard link to the replaced file.
    Link(PathBuf),
    /// Its bytes (the file system cannot link).
    Bytes(Vec<u8>),
}

impl Transaction {
    pub fn new() -> Transaction {
        Transaction::default()
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
        let before = match std::fs::symlink_metadata(path) {
            Ok(m) if m.is_file() => {
                let name = path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let link =
                    path.with_file_name(format!(".{name}.specls-{}.bak", std::process::id()));
                let _ = std::fs::remove_file(&link);
                match std::fs::hard_link(path, &link) {
                    Ok(()) => Before::Link(link),
                    Err(_) => Before::Bytes(std::fs::read(path)?),
                }
            }
            Ok(_) => Before::Absent,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Before::Absent,
            Err(e) => return Err(e),
        };
        match write_atomic(path, contents) {
            Ok(()) => {
                self.created_dirs.extend(missing);
                self.done.push(Done {
                    path: path.to_path_buf(),
                    before,
                });
                Ok(())
            }
            Err(e) => {
                if let Before::Link(l) = &before {
                    let _ = std::fs::remove_file(l);
                }
                for d in missing.iter().rev() {
                    let _ = std::fs::remove_dir(d);
                }
                Err(e)
            }
        }
    }

    /// Paths written so far.
    pub fn written(&self) -> impl Iterator<Item = &Path> {
        self.done.iter().map(|d| d.path.as_path())
    }

    /// Keep every write; forget what they replaced.
    pub fn commit(mut self) {
        self.finished = true;
        for d in &self.done {
            if let Before::Link(l) = &d.before {
                let _ = std::fs::remove_file(l);
            }
        }
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
            let r = match &d.before {
                Before::Absent => std::fs::remove_file(&d.path),
                Before::Link(l) => std::fs::rename(l, &d.path),
                Before::Bytes(b) => write_atomic(&d.path, b),
            };
            if let Err(e) = r {
                errors.push(format!("{}: {}", d.path.display(), explain(&e)));
            }
        }
        for dir in self.created_dirs.drain(..).rev() {
            let _ = std::fs::remove_dir(dir);
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
        tx.commit();
        assert_eq!(
            std::fs::read_to_string(root.join("keep.txt")).unwrap(),
            "committed"
        );
        assert_eq!(names(root), vec!["b.txt", "keep.txt"]);
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
