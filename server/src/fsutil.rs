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

    #[test]
    fn state_dir_is_git_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let state = state_dir(dir.path()).unwrap();
        assert!(state.ends_with(STATE_DIR));
        let ignore = std::fs::read_to_string(state.join(".gitignore")).unwrap();
        assert!(ignore.lines().any(|l| l == "*"));
    }
}
