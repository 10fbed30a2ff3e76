//! Document URIs to workspace keys and back.
//!
//! The core names documents by a key: the path relative to the workspace base (the one
//! workspace folder, or the common ancestor of several) with `/` separators. Files outside the
//! base are keyed by their absolute path; documents that are not files (`untitled:`) by their URI.

use std::path::{Component, Path, PathBuf};
use std::str::FromStr;

use tower_lsp_server::lsp_types::Uri;
use tower_lsp_server::UriExt;

#[derive(Clone, Debug, Default)]
pub struct Roots {
    /// The workspace folders (absolute, normalised).
    pub folders: Vec<PathBuf>,
    /// Keys are relative to this folder.
    pub base: Option<PathBuf>,
}

/// Lexically normalise a path (`a/./b/../c` -> `a/c`), without touching the disk.
pub fn normalise(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

fn common_ancestor(a: &Path, b: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for (x, y) in a.components().zip(b.components()) {
        if x != y {
            break;
        }
        out.push(x.as_os_str());
    }
    out
}

/// The local path of a `file:` URI.
pub fn uri_to_path(uri: &Uri) -> Option<PathBuf> {
    if !uri
        .scheme()
        .is_some_and(|s| s.as_str().eq_ignore_ascii_case("file"))
    {
        return None;
    }
    uri.to_file_path().map(|p| normalise(&p))
}

pub fn path_to_uri(path: &Path) -> Option<Uri> {
    Uri::from_file_path(path)
}

impl Roots {
    pub fn new(folders: Vec<PathBuf>) -> Roots {
        let folders: Vec<PathBuf> = folders.iter().map(|f| normalise(f)).collect();
        let base = folders
            .iter()
            .skip(1)
            .fold(folders.first().cloned(), |acc, f| {
                acc.map(|a| common_ancestor(&a, f))
            });
        Roots { folders, base }
    }

    pub fn key_for_path(&self, path: &Path) -> String {
        let path = normalise(path);
        let rel = match &self.base {
            Some(base) if !base.as_os_str().is_empty() => {
                path.strip_prefix(base).map(Path::to_path_buf).ok()
            }
            _ => None,
        };
        rel.unwrap_or(path).to_string_lossy().replace('\\', "/")
    }

    pub fn key_for_uri(&self, uri: &Uri) -> String {
        match uri_to_path(uri) {
            Some(p) => self.key_for_path(&p),
            None => uri.as_str().to_string(),
        }
    }

    /// The file a key names (None for non-file documents).
    pub fn path_for_key(&self, key: &str) -> Option<PathBuf> {
        let p = Path::new(key);
        if p.is_absolute() {
            return Some(p.to_path_buf());
        }
        if key.contains(':') && Uri::from_str(key).is_ok() && !key.contains('/') {
            return None;
        }
        self.base.as_ref().map(|b| b.join(p))
    }

    pub fn uri_for_key(&self, key: &str) -> Option<Uri> {
        if let Some(p) = self.path_for_key(key) {
            if let Some(u) = path_to_uri(&p) {
                return Some(u);
            }
        }
        Uri::from_str(key).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip() {
        let roots = Roots::new(vec![PathBuf::from("/w/a"), PathBuf::from("/w/b/")]);
        assert_eq!(roots.base.as_deref(), Some(Path::new("/w")));
        let uri = Uri::from_str("file:///w/a/specs/t%C3%A9.spec.md").unwrap();
        let key = roots.key_for_uri(&uri);
        assert_eq!(key, "a/specs/té.spec.md");
        assert_eq!(roots.uri_for_key(&key).unwrap().as_str(), uri.as_str());
        let outside = Uri::from_str("file:///tmp/x.spec.md").unwrap();
        assert_eq!(roots.key_for_uri(&outside), "/tmp/x.spec.md");
        assert_eq!(
            roots.uri_for_key("/tmp/x.spec.md").unwrap().as_str(),
            "file:///tmp/x.spec.md"
        );
        let untitled = Uri::from_str("untitled:Untitled-1").unwrap();
        assert_eq!(roots.key_for_uri(&untitled), "untitled:Untitled-1");
        assert_eq!(
            roots.uri_for_key("untitled:Untitled-1").unwrap().as_str(),
            "untitled:Untitled-1"
        );
        let dotted = Uri::from_str("file:///w/a/./x/../y.spec.md").unwrap();
        assert_eq!(roots.key_for_uri(&dotted), "a/y.spec.md");
    }
}
