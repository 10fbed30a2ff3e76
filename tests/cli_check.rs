//! `specls check` end to end: the real binary on the fixture workspaces in
//! `tests/fixtures/cli/`, each copied to a temporary folder (with an empty `.git` so that no
//! `specls.toml` above it is found), with stdout, stderr and the exit status snapshotted for
//! every output format.

use std::path::{Path, PathBuf};
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_specls");

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/cli")
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// A copy of fixture workspace `name` in a fresh temporary folder.
fn workspace(name: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&fixtures().join(name), dir.path());
    std::fs::create_dir_all(dir.path().join(".git")).unwrap();
    dir
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    /// Exit status, stdout and stderr, with machine-specific parts replaced.
    fn render(&self, tmp: &Path) -> String {
        let norm = |s: &str| {
            s.replace(&tmp.display().to_string(), "[TMP]")
                .replace(env!("CARGO_PKG_VERSION"), "[VERSION]")
        };
        format!(
            "exit: {}\n--- stdout\n{}--- stderr\n{}",
            self.code,
            norm(&self.stdout),
            norm(&self.stderr)
        )
    }
}

fn run(cwd: &Path, args: &[&str]) -> Run {
    let out = Command::new(BIN)
        .arg("check")
        .args(args)
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .env_remove("SPECLS_LOG")
        .env_remove("SPECLS_LOG_FILE")
        .output()
        .expect("run specls");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// SARIF with the rule table (the whole code registry, checked elsewhere) and rule indexes
/// left out, so that adding a code does not change every snapshot.
fn without_rules(stdout: &str) -> String {
    let Ok(mut v) = serde_json::from_str::<serde_json::Value>(stdout) else {
        return stdout.to_string();
    };
    let driver = &mut v["runs"][0]["tool"]["driver"];
    let n = driver["rules"].as_array().map_or(0, Vec::len);
    assert_eq!(n, specls_core::diag::CODES.len());
    driver["rules"] = serde_json::json!(format!("[{n} rules: diag::CODES]"));
    if let Some(results) = v["runs"][0]["results"].as_array_mut() {
        for r in results {
            if let Some(o) = r.as_object_mut() {
                o.remove("ruleIndex");
            }
        }
    }
    serde_json::to_string_pretty(&v).unwrap() + "\n"
}

/// Run `specls check ARGS` in a copy of `fixture`, snapshot as `name`, return the run.
fn check(name: &str, fixture: &str, args: &[&str]) -> Run {
    let dir = workspace(fixture);
    let mut r = run(dir.path(), args);
    let raw = r.stdout.clone();
    if args.contains(&"sarif") {
        r.stdout = without_rules(&r.stdout);
    }
    insta::assert_snapshot!(name, r.render(dir.path()));
    r.stdout = raw;
    r
}

fn json(r: &Run) -> serde_json::Value {
    serde_json::from_str(&r.stdout).expect("stdout is JSON")
}

#[test]
fn clean_workspace() {
    assert_eq!(check("clean_human", "clean", &[]).code, 0);
    let j = check("clean_json", "clean", &["--format", "json", "."]);
    assert_eq!(j.code, 0);
    assert_eq!(json(&j)["files"], 1);
    let s = check("clean_sarif", "clean", &["--format", "sarif"]);
    assert_eq!(s.code, 0);
    assert_eq!(json(&s)["runs"][0]["results"], serde_json::json!([]));
}

#[test]
fn workspace_with_findings() {
    let h = check("findings_human", "findings", &[]);
    assert_eq!(h.code, 1, "{}", h.stdout);
    assert!(h.stdout.contains("error[duplicate-scenario-name]"));
    let j = check("findings_json", "findings", &["--format", "json"]);
    assert_eq!(j.code, 1);
    let v = json(&j);
    let diags = v["diagnostics"].as_array().unwrap();
    // Sorted by path, then line, then column.
    let keys: Vec<(String, u64, u64)> = diags
        .iter()
        .map(|d| {
            (
                d["path"].as_str().unwrap().to_string(),
                d["range"]["start"]["line"].as_u64().unwrap(),
                d["range"]["start"]["column"].as_u64().unwrap(),
            )
        })
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
    let s = check("findings_sarif", "findings", &["--format", "sarif"]);
    assert_eq!(s.code, 1);
    let results = json(&s)["runs"][0]["results"].as_array().unwrap().len();
    assert_eq!(results, diags.len());
}

#[test]
fn deny_levels() {
    let dir = workspace("findings");
    // Errors fail by default; `none` never fails on findings.
    assert_eq!(run(dir.path(), &[]).code, 1);
    assert_eq!(run(dir.path(), &["--deny", "errors"]).code, 1);
    assert_eq!(run(dir.path(), &["--deny", "none"]).code, 0);
    // The configured workspace has only warnings: they fail only with --deny warnings.
    let dir = workspace("configured");
    assert_eq!(run(dir.path(), &[]).code, 0);
    assert_eq!(run(dir.path(), &["--deny", "warnings"]).code, 1);
    assert_eq!(run(dir.path(), &["--deny", "warning"]).code, 1);
    assert_eq!(run(dir.path(), &["--deny", "hints"]).code, 1);
}

#[test]
fn configuration_changes_severities_globs_and_checks() {
    let h = check("configured_human", "configured", &[]);
    assert_eq!(h.code, 0, "{}", h.stdout);
    let j = check("configured_json", "configured", &["--format", "json"]);
    let v = json(&j);
    let paths: Vec<&str> = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["path"].as_str().unwrap())
        .collect();
    assert!(
        !paths.iter().any(|p| p.starts_with("archive/")),
        "{paths:?}"
    );
    assert!(paths.contains(&"specls.toml"), "{paths:?}");
    assert!(!v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .any(|d| d["code"] == "fence-unclosed"));
    // orders.spec.yaml and the included behaviour/login.md; not the excluded archive.
    assert_eq!(v["files"], 2);
    check("configured_sarif", "configured", &["--format", "sarif"]);
}

#[test]
fn config_found_above_the_first_path_or_given() {
    let dir = workspace("configured");
    // From inside a sub-folder, the nearest specls.toml above the path is used.
    let r = run(&dir.path().join("behaviour"), &["--format", "json", "."]);
    let v = json(&r);
    assert_eq!(v["files"], 1, "{}", r.stdout);
    // An explicit --config: its folder is the root.
    let other = tempfile::tempdir().unwrap();
    let r = run(
        other.path(),
        &[
            "--format",
            "json",
            "--config",
            dir.path().join("specls.toml").to_str().unwrap(),
            dir.path().to_str().unwrap(),
        ],
    );
    assert_eq!(json(&r)["files"], 2, "{}", r.stdout);
    let r = run(dir.path(), &["--config", "nope.toml"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("nope.toml"), "{}", r.stderr);
}

#[test]
fn gitignored_specs_are_skipped() {
    let r = check("gitignored_human", "gitignored", &[]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    assert!(!r.stdout.contains("generated/"));
    // A file named explicitly is read even when ignored.
    let dir = workspace("gitignored");
    let r = run(dir.path(), &["generated/broken.spec.md"]);
    assert_eq!(r.code, 1, "{}", r.stdout);
}

#[test]
fn usage_and_io_errors_exit_2() {
    let r = check("missing_path", "clean", &["does/not/exist", "."]);
    assert_eq!(r.code, 2);
    assert!(r.stdout.is_empty());
    let r = check("bad_format", "clean", &["--format", "xml"]);
    assert_eq!(r.code, 2);
    let r = check("bad_deny", "clean", &["--deny", "sometimes"]);
    assert_eq!(r.code, 2);
}

#[cfg(unix)]
#[test]
fn unreadable_file_exits_2() {
    use std::os::unix::fs::PermissionsExt;
    let dir = workspace("clean");
    let file = dir.path().join("tasks.spec.yaml");
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o000)).unwrap();
    if std::fs::read(&file).is_ok() {
        // Running as root: permissions do not stop reading; nothing to test here.
        return;
    }
    let r = run(dir.path(), &[]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("cannot read tasks.spec.yaml"),
        "{}",
        r.stderr
    );
}

#[test]
fn cross_file_checks_see_the_whole_workspace() {
    // With a specls.toml marking the root, checking one folder still resolves dependencies on
    // specs outside it; only the folder's files are reported and counted.
    let r = check("crossfile_orders", "crossfile", &["specs/orders"]);
    assert!(!r.stdout.contains("unknown-dependency"), "{}", r.stdout);
    assert!(r.stdout.contains("in 1 file (1 scenario)"), "{}", r.stdout);
    // Without the dependency's spec, the dependency is unknown.
    let dir = workspace("crossfile");
    std::fs::remove_file(dir.path().join("specs/payments/payments.spec.md")).unwrap();
    let r = run(dir.path(), &["specs/orders"]);
    assert!(r.stdout.contains("unknown-dependency"), "{}", r.stdout);
}
