//! `specls compile` as a command: progress on stderr, summary on stdout, exit codes, hand-edited
//! files skipped without a terminal unless a flag says otherwise.

#[path = "compile/scripted.rs"]
mod scripted;

use std::path::Path;
use std::process::Command;

use scripted::{openai_stream, sse};

const NAMES: &str = "```python path=src/names.py\ndef clean(name: str) -> str:\n    return name.strip().capitalize()\n```\n";

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dest = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), dest).unwrap();
        }
    }
}

async fn specls(root: &Path, args: &[&str]) -> (i32, String, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_specls"));
    cmd.arg("compile")
        .args(args)
        .current_dir(root)
        .env_remove("OPENAI_API_KEY");
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compile_skip_then_overwrite_hand_edits() {
    let server = scripted::start(vec![sse(openai_stream(NAMES, 8))]).await;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/compile/workspace"),
        root,
    );
    std::fs::write(
        root.join("specls.toml"),
        format!(
            "[llm]\nprovider = \"openai\"\nbase_url = \"{}\"\nmodel = \"m\"\n",
            server.base
        ),
    )
    .unwrap();
    std::fs::create_dir_all(root.join("src")).unwrap();
    std::fs::write(root.join("src/names.py"), "# mine\n").unwrap();

    let (code, stdout, stderr) = specls(root, &["names"]).await;
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(
        stderr.contains("specls compile: compiling 1 spec(s): specs/names.spec.md (0 up to date)"),
        "{stderr}"
    );
    assert!(stderr.contains("specls compile: specs/names.spec.md: not replacing files changed by hand (use --overwrite-edited or --keep-both):\n  src/names.py (exists and was not written by specls)"), "{stderr}");
    assert!(
        stderr.contains("specls compile: specs/names.spec.md: `compile` passed"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read_to_string(root.join("src/names.py")).unwrap(),
        "# mine\n"
    );
    assert!(
        stdout.ends_with("1 compiled, 0 up to date, 0 failed, 0 cancelled\n"),
        "{stdout}"
    );

    let (code, stdout, _) = specls(root, &["specs/names.spec.md"]).await;
    assert_eq!(code, 0);
    assert!(
        stdout.starts_with("up to date  specs/names.spec.md: up to date\n"),
        "{stdout}"
    );

    let (code, stdout, stderr) = specls(root, &["names", "--force", "--overwrite-edited"]).await;
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(std::fs::read_to_string(root.join("src/names.py"))
        .unwrap()
        .contains("capitalize()"));

    let (code, _, stderr) = specls(root, &["nosuch"]).await;
    assert_eq!(code, 2);
    assert!(
        stderr.contains("`nosuch` is neither a spec file nor the name of a spec"),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failures_exit_1_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/compile/workspace"),
        root,
    );
    std::fs::write(root.join("specls.toml"), "").unwrap();
    let (code, stdout, _) = specls(root, &[]).await;
    assert_eq!(code, 1);
    assert!(
        stdout.contains("FAILED      specs/names.spec.md: no compile backend configured"),
        "{stdout}"
    );
    // greet depends on names, which failed: not compiled against a stale interface.
    assert!(stdout.contains("FAILED      specs/greet.spec.md: not compiled: its dependency specs/names.spec.md failed"), "{stdout}");
}
