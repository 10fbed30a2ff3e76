//! Which arrangement builds a spec, the files a compile of it may write, and checking a path a
//! model or an agent returned against them.
//!
//! Output paths are templates relative to the arrangement's folder (`src/{name}.py`); a spec's
//! targets are those templates filled in for it (with `output_paths.overrides.<spec>` taking
//! the place of the defaults). A returned path is accepted when it is one of the targets or lies
//! in the folder of one (`src/` for `src/{name}.py`), never in the arrangement's own folder
//! when a target sits at its top, never in `.git/` or `.specls/`, never above the workspace.
//! Symlinks are the front end's business (it resolves them before writing).

use crate::model::{Arrangement, Document};
use crate::workspace::{SourceFile, Workspace};

/// What a compile of one spec may write.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Targets {
    /// Workspace-relative path of the arrangement.
    pub arrangement: String,
    /// Files named by the output paths (workspace-relative, `/` separators), with their key
    /// (`implementation`, `tests`, ...).
    pub files: Vec<(String, String)>,
    /// Folders (workspace-relative, no trailing `/`) a returned file may also lie in.
    pub folders: Vec<String>,
}

/// Why a path is refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PathError {
    #[error("`{0}` is an absolute path")]
    Absolute(String),
    #[error("`{0}` goes above the workspace root")]
    Escapes(String),
    #[error("`{0}` is empty")]
    Empty(String),
    #[error("`{0}` is inside a folder specls never writes (`.git`, `.specls`)")]
    Reserved(String),
    #[error("`{path}` is not inside the arrangement's output paths ({allowed})")]
    NotInOutputs { path: String, allowed: String },
}

/// Folder of a workspace-relative path (`""` at the root).
pub fn dir_of(path: &str) -> &str {
    path.rsplit_once('/').map(|(d, _)| d).unwrap_or("")
}

/// `rel` joined to `base` with `.` and `..` resolved; None when it goes above the root or is
/// absolute.
pub fn join_normalized(base: &str, rel: &str) -> Option<String> {
    let rel = rel.trim();
    let drive = rel.len() > 1 && rel.as_bytes()[1] == b':';
    if rel.starts_with('/') || rel.starts_with('\\') || rel.starts_with('~') || drive {
        return None;
    }
    let mut parts: Vec<&str> = base.split('/').filter(|p| !p.is_empty()).collect();
    for p in rel.split(['/', '\\']) {
        match p {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            other => parts.push(other),
        }
    }
    Some(parts.join("/"))
}

/// The arrangement that builds the spec at `spec_path` ([`crate::manifest::arrangement_for`]:
/// the nearest one above the spec whose `specs_path` contains it), with its workspace path.
pub fn arrangement_for<'w>(
    ws: &'w Workspace,
    spec_path: &str,
) -> Option<(&'w str, &'w SourceFile)> {
    let doc = crate::manifest::arrangement_for(ws, spec_path)?;
    ws.files
        .get_key_value(&doc.path)
        .map(|(p, f)| (p.as_str(), f))
}

/// What `{name}` stands for in every template specls fills for a spec (output paths, the test
/// path of a new test, the agent command line, the prompt file): the spec's name when it can be
/// part of a file name (SpecSoloist names: `todo`, `invoice_item`), else the spec file's stem (a
/// YAML spec's `feature: Task Management System` in `tasks.spec.yaml` gives `tasks`), else the
/// name in snake case. The one definition; compile and test links both call it.
pub fn file_name(spec_name: &str, spec_path: &str) -> String {
    let usable = !spec_name.is_empty()
        && spec_name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if usable {
        return spec_name.to_string();
    }
    let file = spec_path.rsplit(['/', '\\']).next().unwrap_or(spec_path);
    let stem = file.split('.').next().unwrap_or(file);
    if stem.is_empty() {
        crate::model::slug(spec_name).replace('-', "_")
    } else {
        stem.to_string()
    }
}

/// The key prefix of the spec's `output_paths.overrides` (`overrides.<name>.`): by the spec's
/// name, else by its [`file_name`] (SpecSoloist keys overrides by name; a YAML spec is more
/// easily named by its file).
pub fn override_prefix(arr: &Arrangement, spec: &Document) -> String {
    let by_name = format!("overrides.{}.", spec.name);
    if arr.output_paths.iter().any(|f| f.key.starts_with(&by_name)) {
        return by_name;
    }
    format!("overrides.{}.", file_name(&spec.name, &spec.path))
}

/// Placeholder values of `spec` for templates of the arrangement at `arr_path`: `name` (see
/// [`file_name`]), `path` (the spec's folder below `specs_path`, `""` when at its top) and
/// `language`.
pub fn placeholders(
    arr_path: &str,
    arr: &Arrangement,
    spec: &Document,
) -> Vec<(&'static str, String)> {
    let arr_dir = dir_of(arr_path);
    let specs_dir = arr
        .specs_path
        .as_deref()
        .and_then(|s| join_normalized(arr_dir, s))
        .unwrap_or_else(|| arr_dir.to_string());
    let spec_dir = dir_of(&spec.path);
    let sub = if specs_dir.is_empty() {
        spec_dir
    } else {
        spec_dir
            .strip_prefix(specs_dir.as_str())
            .map(|r| r.trim_start_matches('/'))
            .unwrap_or("")
    };
    vec![
        ("name", file_name(&spec.name, &spec.path)),
        ("path", sub.to_string()),
        ("language", arr.target_language.clone().unwrap_or_default()),
    ]
}

/// The files and folders a compile of `spec` may write. Errors name the output path that
/// leaves the workspace.
pub fn targets(arr_path: &str, arr: &Arrangement, spec: &Document) -> Result<Targets, PathError> {
    let arr_dir = dir_of(arr_path);
    let values = placeholders(arr_path, arr, spec);
    let values: Vec<(&str, &str)> = values.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let prefix = override_prefix(arr, spec);
    let overridden: Vec<&str> = arr
        .output_paths
        .iter()
        .filter_map(|f| f.key.strip_prefix(prefix.as_str()))
        .collect();
    let mut out = Targets {
        arrangement: arr_path.to_string(),
        ..Default::default()
    };
    for f in &arr.output_paths {
        let key = if let Some(k) = f.key.strip_prefix(prefix.as_str()) {
            k
        } else if f.key.starts_with("overrides.") || overridden.contains(&f.key.as_str()) {
            continue;
        } else {
            f.key.as_str()
        };
        let template = f.value.trim();
        if template.is_empty() {
            continue;
        }
        let filled = crate::compile::fill(template, &values);
        let Some(path) = join_normalized(arr_dir, &filled) else {
            return Err(if filled.trim_start().starts_with(['/', '\\', '~']) {
                PathError::Absolute(filled)
            } else {
                PathError::Escapes(filled)
            });
        };
        if path.is_empty() || path == arr_dir {
            continue;
        }
        check_reserved(&path)?;
        let folder = dir_of(&path).to_string();
        // A file at the top of the arrangement's folder allows only itself.
        if folder != arr_dir && !out.folders.contains(&folder) {
            out.folders.push(folder);
        }
        if !out.files.iter().any(|(p, _)| *p == path) {
            out.files.push((path, key.to_string()));
        }
    }
    Ok(out)
}

fn check_reserved(path: &str) -> Result<(), PathError> {
    if path
        .split('/')
        .any(|c| c == ".git" || c == crate::compile::STATE_DIR_NAME)
    {
        return Err(PathError::Reserved(path.to_string()));
    }
    Ok(())
}

impl Targets {
    /// Check a path returned by a model or agent (relative to the workspace root, or to the
    /// arrangement's folder when it is not found as given); returns it workspace-relative.
    pub fn check(&self, returned: &str) -> Result<String, PathError> {
        let raw = returned.trim();
        if raw.is_empty() {
            return Err(PathError::Empty(returned.to_string()));
        }
        let drive = raw.len() > 1 && raw.as_bytes()[1] == b':';
        if raw.starts_with('/') || raw.starts_with('\\') || raw.starts_with('~') || drive {
            return Err(PathError::Absolute(raw.to_string()));
        }
        let arr_dir = dir_of(&self.arrangement);
        let as_given =
            join_normalized("", raw).ok_or_else(|| PathError::Escapes(raw.to_string()))?;
        let from_arr = join_normalized(arr_dir, raw);
        for candidate in std::iter::once(Some(as_given.clone())).chain([from_arr]) {
            let Some(c) = candidate else { continue };
            if self.allows(&c) {
                check_reserved(&c)?;
                return Ok(c);
            }
        }
        if as_given.is_empty() {
            return Err(PathError::Empty(returned.to_string()));
        }
        check_reserved(&as_given)?;
        Err(PathError::NotInOutputs {
            path: raw.to_string(),
            allowed: self.describe(),
        })
    }

    /// True when the workspace-relative `path` is one of the targets or lies in a target
    /// folder (as given: no resolution relative to the arrangement).
    pub fn allows(&self, path: &str) -> bool {
        if self.files.iter().any(|(p, _)| p == path) {
            return true;
        }
        self.folders.iter().any(|f| {
            path.strip_prefix(f.as_str())
                .is_some_and(|r| r.starts_with('/') && r.len() > 1)
        })
    }

    /// `src/tasks.py, tests/test_tasks.py and files under src/, tests/`.
    pub fn describe(&self) -> String {
        let files: Vec<&str> = self.files.iter().map(|(p, _)| p.as_str()).collect();
        let mut s = files.join(", ");
        if !self.folders.is_empty() {
            let folders: Vec<String> = self.folders.iter().map(|f| format!("{f}/")).collect();
            if !s.is_empty() {
                s.push_str(" and ");
            }
            s.push_str("files under ");
            s.push_str(&folders.join(", "));
        }
        if s.is_empty() {
            s.push_str("none: the arrangement has no output_paths");
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Field;

    fn arr(paths: &[(&str, &str)]) -> Arrangement {
        Arrangement {
            target_language: Some("python".into()),
            specs_path: Some("specs/".into()),
            output_paths: paths
                .iter()
                .map(|(k, v)| Field {
                    key: k.to_string(),
                    value: v.to_string(),
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        }
    }

    fn spec(path: &str, name: &str) -> Document {
        Document {
            path: path.into(),
            name: name.into(),
            ..Default::default()
        }
    }

    #[test]
    fn targets_fill_templates_relative_to_the_arrangement() {
        let a = arr(&[
            ("implementation", "src/{path}/{name}.py"),
            ("tests", "tests/test_{name}.py"),
            ("overrides.core.implementation", "lib/core.py"),
        ]);
        let t = targets(
            "proj/arrangement.yaml",
            &a,
            &spec("proj/specs/util/todo.spec.md", "todo"),
        )
        .unwrap();
        assert_eq!(
            t.files,
            vec![
                (
                    "proj/src/util/todo.py".to_string(),
                    "implementation".to_string()
                ),
                ("proj/tests/test_todo.py".to_string(), "tests".to_string())
            ]
        );
        assert_eq!(t.folders, vec!["proj/src/util", "proj/tests"]);
        let core = targets(
            "proj/arrangement.yaml",
            &a,
            &spec("proj/specs/core.spec.md", "core"),
        )
        .unwrap();
        let files: Vec<&str> = core.files.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(files, vec!["proj/tests/test_core.py", "proj/lib/core.py"]);
    }

    /// `{name}` is the same in the files a compile writes and in the test path test links
    /// propose for a new test (one function, [`file_name`]).
    #[test]
    fn name_placeholder_is_the_same_for_compile_and_test_paths() {
        let a = arr(&[
            ("implementation", "src/{name}.py"),
            ("tests", "tests/test_{name}.py"),
        ]);
        let config = crate::config::Config::default();
        let mut table = String::new();
        for (path, name) in [
            ("specs/todo.spec.md", "todo"),
            ("specs/invoice_item.spec.md", "invoice_item"),
            ("specs/tasks.spec.yaml", "Task Management System"),
            ("specs/sub/orders.feature.yaml", "Orders: place & cancel"),
            ("specs/.spec.md", "Odd name!"),
        ] {
            let t = targets("arrangement.yaml", &a, &spec(path, name)).unwrap();
            let compiled = t
                .files
                .iter()
                .find(|(_, k)| k == "tests")
                .map(|(p, _)| p.clone())
                .unwrap();
            let linked = crate::testlinks::test_path_for(
                name,
                path,
                crate::testlinks::Language::Python,
                &config,
                &[&a],
            );
            assert_eq!(compiled, linked, "{path} ({name})");
            let values = placeholders("arrangement.yaml", &a, &spec(path, name));
            table.push_str(&format!(
                "{path} | {name} | {{name}} = {} | tests = {compiled}\n",
                values[0].1
            ));
        }
        insta::assert_snapshot!(table);
    }

    /// An arrangement below the workspace root (`proj/`), with `specs_path` and `{path}`: the
    /// test file a compile writes, the test path test links give a spec (where the untested
    /// scenario's quick fix creates its test) and the file they link by convention are one.
    #[test]
    fn path_placeholder_agrees_when_the_arrangement_is_not_at_the_root() {
        use crate::testlinks::{self, Language, TestIndex};
        let mut ws = crate::workspace::Workspace::new();
        ws.upsert_bytes(
            "proj/arrangement.yaml",
            b"target_language: python\nspecs_path: specs/\noutput_paths:\n  implementation: src/{path}/{name}.py\n  tests: tests/{path}/test_{name}.py\n",
        );
        let spec = "---\nname: todo\ntype: module\n---\n# Todo\n\n### Scenario: add an item\n- **Given** an empty list\n- **When** an item is added\n- **Then** the list has one item\n\n### Scenario: remove an item\n- **Given** a list with one item\n- **When** the item is removed\n- **Then** the list is empty\n";
        ws.upsert_bytes("proj/specs/util/todo.spec.md", spec.as_bytes());
        // A spec right in the arrangement's specs_path: `{path}` is empty.
        ws.upsert_bytes(
            "proj/specs/misc.spec.md",
            spec.replace("todo", "misc").as_bytes(),
        );
        let config = crate::config::Config::default();
        let mut table = String::new();
        for path in ["proj/specs/util/todo.spec.md", "proj/specs/misc.spec.md"] {
            let (arr_path, arr) = arrangement_for(&ws, path).unwrap();
            let doc = &ws.get(path).unwrap().doc;
            let t = targets(arr_path, arr.doc.arrangement.as_ref().unwrap(), doc).unwrap();
            let compiled = t
                .files
                .iter()
                .find(|(_, k)| k == "tests")
                .unwrap()
                .0
                .clone();
            let arrangements = vec![arr.doc.arrangement.as_ref().unwrap()];
            let linked = testlinks::test_path_in(
                &ws,
                &doc.name,
                path,
                Language::Python,
                &config,
                &arrangements,
            );
            assert_eq!(compiled, linked, "{path}");
            table.push_str(&format!("{path} -> {compiled}\n"));
        }
        insta::assert_snapshot!(table, @r"
        proj/specs/util/todo.spec.md -> proj/tests/util/test_todo.py
        proj/specs/misc.spec.md -> proj/tests/test_misc.py
        ");
        // The untested scenario's quick fix creates that file.
        let mut tests = TestIndex::new();
        tests.upsert(
            "proj/tests/elsewhere/test_x.py",
            "def test_remove_an_item():\n    pass\n",
            Language::Python,
        );
        let links = testlinks::link(&ws, &tests);
        let mapping = testlinks::status::map_results(&tests, &[]);
        let statuses = testlinks::status::scenario_status(&ws, &tests, &links, &[], &mapping);
        let diags = testlinks::status::scenario_diagnostics(&ws, &tests, &statuses, &config);
        let d = &diags["proj/specs/util/todo.spec.md"];
        assert_eq!(d.len(), 1, "{d:#?}");
        assert_eq!(d[0].fixes.len(), 1, "{d:#?}");
        let fix = d[0].fixes[0].edits[0].path.clone();
        assert_eq!(fix, "proj/tests/util/test_todo.py");
    }

    #[test]
    fn paths_are_checked() {
        let a = arr(&[
            ("implementation", "src/{name}.py"),
            ("tests", "test_{name}.py"),
        ]);
        let t = targets("p/arrangement.yaml", &a, &spec("p/specs/x.spec.md", "x")).unwrap();
        assert_eq!(t.folders, vec!["p/src"]);
        assert_eq!(t.check("p/src/x.py").unwrap(), "p/src/x.py");
        assert_eq!(t.check("src/helpers/y.py").unwrap(), "p/src/helpers/y.py");
        assert_eq!(t.check("./src/./x.py").unwrap(), "p/src/x.py");
        assert_eq!(t.check("test_x.py").unwrap(), "p/test_x.py");
        assert!(matches!(
            t.check("other.py"),
            Err(PathError::NotInOutputs { .. })
        ));
        assert!(matches!(
            t.check("specs/x.spec.md"),
            Err(PathError::NotInOutputs { .. })
        ));
        assert!(matches!(
            t.check("/etc/passwd"),
            Err(PathError::Absolute(_))
        ));
        assert!(matches!(t.check("~/.bashrc"), Err(PathError::Absolute(_))));
        assert!(matches!(t.check("../../x.py"), Err(PathError::Escapes(_))));
        assert!(matches!(
            t.check("src/../../x.py"),
            Err(PathError::Escapes(_))
        ));
        assert!(matches!(
            t.check("src/../x.py"),
            Err(PathError::NotInOutputs { .. })
        ));
        assert!(matches!(t.check(""), Err(PathError::Empty(_))));
        assert!(matches!(
            t.check("src"),
            Err(PathError::NotInOutputs { .. })
        ));
        let e = t.check("elsewhere/a.py").unwrap_err().to_string();
        assert_eq!(
            e,
            "`elsewhere/a.py` is not inside the arrangement's output paths (p/src/x.py, p/test_x.py and files under p/src/)"
        );
    }

    #[test]
    fn reserved_and_escaping_templates() {
        let a = arr(&[("implementation", "../{name}.py")]);
        assert!(matches!(
            targets("arrangement.yaml", &a, &spec("x.spec.md", "x")),
            Err(PathError::Escapes(_))
        ));
        let a = arr(&[("implementation", "/tmp/{name}.py")]);
        assert!(matches!(
            targets("arrangement.yaml", &a, &spec("x.spec.md", "x")),
            Err(PathError::Absolute(_))
        ));
        let a = arr(&[("implementation", ".git/hooks/{name}")]);
        assert!(matches!(
            targets("arrangement.yaml", &a, &spec("x.spec.md", "x")),
            Err(PathError::Reserved(_))
        ));
        let a = arr(&[("implementation", "src/{name}.py")]);
        let t = targets("arrangement.yaml", &a, &spec("x.spec.md", "x")).unwrap();
        assert!(matches!(
            t.check("src/.specls/manifest.json"),
            Err(PathError::Reserved(_))
        ));
    }

    #[test]
    fn nearest_arrangement_wins() {
        use crate::model::DocKind;
        let mut ws = Workspace::new();
        ws.upsert(
            "arrangement.yaml",
            "target_language: go\n",
            DocKind::Arrangement,
        );
        ws.upsert(
            "a/py.arrangement.yaml",
            "target_language: python\n",
            DocKind::Arrangement,
        );
        ws.upsert(
            "a/arrangement.yaml",
            "target_language: rust\n",
            DocKind::Arrangement,
        );
        assert_eq!(
            arrangement_for(&ws, "a/b/x.spec.md").unwrap().0,
            "a/arrangement.yaml"
        );
        assert_eq!(
            arrangement_for(&ws, "ab/x.spec.md").unwrap().0,
            "arrangement.yaml"
        );
        assert_eq!(
            arrangement_for(&ws, "x.spec.md").unwrap().0,
            "arrangement.yaml"
        );
        let mut empty = Workspace::new();
        empty.upsert("a/arrangement.yaml", "x: 1\n", DocKind::Arrangement);
        assert!(arrangement_for(&empty, "b/x.spec.md").is_none());
    }
}
