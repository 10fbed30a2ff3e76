//! Real test runners for end-to-end tests of test runs (`tests/test_runs.rs`,
//! `tests/lsp_test_runs.rs`): pytest from the machine or from a virtualenv created under the
//! target folder, vitest 3 installed with npm into a cache folder under the target folder
//! (reused between runs and between test binaries), go from PATH. A tool that cannot be had is
//! an `Err` with the reason; the caller skips its test and prints that reason.

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

/// Shared scratch space under the target folder (virtualenv, npm install, cargo target).
pub fn scratch() -> PathBuf {
    let p = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("e2e-test-runs");
    std::fs::create_dir_all(&p).unwrap();
    p
}

/// Say why an end-to-end test did not run (printed on purpose: never skip silently).
pub fn skip(reason: &str) {
    eprintln!("SKIPPED: {reason}");
}

/// Does `program arg` run and succeed?
pub fn has(program: &str, arg: &str) -> bool {
    Command::new(program)
        .arg(arg)
        .output()
        .is_ok_and(|o| o.status.success())
}

/// A folder whose `pytest` runs pytest: `None` when the machine's is on PATH, else a
/// virtualenv's `bin` (created once).
pub fn pytest_bin() -> Result<Option<PathBuf>, String> {
    static ONCE: OnceLock<Result<Option<PathBuf>, String>> = OnceLock::new();
    ONCE.get_or_init(|| {
        if has("pytest", "--version") {
            return Ok(None);
        }
        let venv = scratch().join("venv-pytest");
        let bin = venv.join("bin");
        if bin.join("pytest").is_file() && has(bin.join("pytest").to_str().unwrap(), "--version") {
            return Ok(Some(bin));
        }
        let ok = Command::new("python3")
            .args(["-m", "venv"])
            .arg(&venv)
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            return Err("python3 -m venv failed (is python3 installed?)".into());
        }
        let ok = Command::new(bin.join("pip"))
            .args([
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "pytest>=8,<10",
            ])
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            return Err("pip install pytest failed (no network?)".into());
        }
        Ok(Some(bin))
    })
    .clone()
}

/// `node_modules` with vitest 3, installed once under the target folder.
pub fn vitest_modules() -> Result<PathBuf, String> {
    static ONCE: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    ONCE.get_or_init(|| {
        if !has("npm", "--version") {
            return Err("npm is not installed".into());
        }
        let cache = scratch().join("node-vitest3");
        let modules = cache.join("node_modules");
        if modules.join(".bin/vitest").exists() {
            return Ok(modules);
        }
        std::fs::create_dir_all(&cache).unwrap();
        std::fs::write(cache.join("package.json"), "{\"private\": true}\n").unwrap();
        let out = Command::new("npm")
            .args([
                "install",
                "--no-audit",
                "--no-fund",
                "--loglevel=error",
                "vitest@3",
            ])
            .current_dir(&cache)
            .output()
            .map_err(|e| format!("npm: {e}"))?;
        if !out.status.success() || !modules.join(".bin/vitest").exists() {
            return Err(format!(
                "npm install vitest@3 failed (no network?): {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        Ok(modules)
    })
    .clone()
}
