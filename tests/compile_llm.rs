//! Compile against a REAL small model (SmolLM2-135M-Instruct, Q4_1) served by llama.cpp's server
//! (xllamacpp) on loopback, through both HTTP protocols. Run by the `llm_tests` suite of
//! `tests/run-all`, which installs xllamacpp in a venv, fetches and verifies the model, and sets
//! SPECLS_LLM_PYTHON and SPECLS_LLM_MODEL. Without them this test says so and passes, unless
//! SPECLS_LLM_REQUIRED=1 (set by the suite), then it fails.
//!
//! The model's answers are not reliable, so the assertions are on the protocol (requests sent,
//! events streamed, tokens counted), the parsing and the files: either the answer held valid
//! blocks (files written inside the output paths, manifest recorded) or it did not (a clear
//! failure after exactly one retry, nothing written).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::future::BoxFuture;
use specls::compile::run::{self, Choice, EditedFile, Event, Host, OnEdited, Request, Status};
use specls::compile::{llm, Cancel};
use specls_core::compile::backend;
use specls_core::compile::prompt::{Message, Prompt, Role};
use specls_core::config::{Config, LlmConfig};

struct ModelServer {
    child: Child,
    base: String,
}

impl Drop for ModelServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_model() -> Option<ModelServer> {
    let python = std::env::var("SPECLS_LLM_PYTHON").ok();
    let model = std::env::var("SPECLS_LLM_MODEL").ok();
    let (Some(python), Some(model)) = (python, model) else {
        if std::env::var("SPECLS_LLM_REQUIRED").as_deref() == Ok("1") {
            panic!("SPECLS_LLM_PYTHON and SPECLS_LLM_MODEL must be set (tests/run-all llm_tests sets them)");
        }
        eprintln!("compile_llm: SPECLS_LLM_PYTHON/SPECLS_LLM_MODEL not set; run `tests/run-all llm_tests` for the real-model tests");
        return None;
    };
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/llm/serve.py");
    let mut child = Command::new(python)
        .arg(script)
        .arg(model)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the model server");
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(addr) = line.strip_prefix("LISTENING ") {
                let _ = tx.send(addr.trim().to_string());
            }
        }
    });
    let base = match rx.recv_timeout(Duration::from_secs(180)) {
        Ok(b) => b,
        Err(_) => {
            let _ = child.kill();
            panic!("the model server did not start within 180 s");
        }
    };
    Some(ModelServer { child, base })
}

struct Recorder(Mutex<Vec<Event>>);

impl Host for Recorder {
    fn event(&self, e: &Event) {
        self.0.lock().unwrap().push(e.clone());
    }
    fn ask(&self, _: &str, _: &[EditedFile]) -> BoxFuture<'static, Choice> {
        Box::pin(async { Choice::Skip })
    }
}

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

fn files_under(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            if e.file_type().unwrap().is_dir() {
                if e.file_name() != ".specls" {
                    stack.push(e.path());
                }
            } else {
                out.push(e.path().strip_prefix(root).unwrap().to_path_buf());
            }
        }
    }
    out.sort();
    out
}

async fn protocol(base: &str, provider: &str) {
    let llm_config = LlmConfig {
        provider: Some(provider.into()),
        base_url: Some(if provider == "openai" {
            format!("{base}/v1")
        } else {
            base.to_string()
        }),
        model: Some("smollm2".into()),
        api_key_env: None,
        command: None,
    };
    let b = backend::resolve(&llm_config, None).unwrap();
    let prompt = Prompt {
        system: "You are a helpful assistant.".into(),
        messages: vec![Message {
            role: Role::User,
            content: "Write a Python function that adds two numbers, in one fenced code block."
                .into(),
        }],
    };
    let client = reqwest::Client::new();
    let mut seen = Vec::new();
    let answer = llm::ask(
        &client,
        &b,
        None,
        &prompt,
        Duration::from_secs(120),
        &Cancel::new(),
        &mut |t: &str| seen.push(t.len()),
    )
    .await
    .unwrap_or_else(|f| panic!("{provider}: {f:?}"));
    assert!(!answer.text.is_empty(), "{provider}: empty answer");
    assert!(
        answer.events > 2,
        "{provider}: not streamed ({} events)",
        answer.events
    );
    assert!(
        seen.len() > 1,
        "{provider}: the answer arrived in one piece"
    );
    assert!(seen.windows(2).all(|w| w[0] <= w[1]));
    assert!(
        answer.tokens_out.unwrap_or(0) > 0,
        "{provider}: no token count"
    );
}

async fn end_to_end(base: &str, provider: &str) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/compile/workspace"),
        &root,
    );
    let url = if provider == "openai" {
        format!("{base}/v1")
    } else {
        base.to_string()
    };
    let toml =
        format!("[llm]\nprovider = \"{provider}\"\nbase_url = \"{url}\"\nmodel = \"smollm2\"\n");
    std::fs::write(root.join("specls.toml"), &toml).unwrap();
    let before = files_under(&root);
    let config = Config::from_toml(&toml).0;
    let (ws, _) = specls::files::load_with(&root, std::slice::from_ref(&root), &config);
    let mut req = Request::new(root.clone(), Arc::new(ws), config);
    req.specs = vec!["specs/names.spec.md".into()];
    req.on_edited = OnEdited::Skip;
    req.idle_timeout = Duration::from_secs(120);
    let host = Arc::new(Recorder(Mutex::new(Vec::new())));
    let summary = run::compile(req, host.clone(), Cancel::new()).await;
    let r = &summary.results[0];
    let events = host.0.lock().unwrap().clone();
    let received = events
        .iter()
        .filter(|e| matches!(e, Event::Received { .. }))
        .count();
    assert!(received >= 1, "{provider}: nothing arrived: {events:?}");
    eprintln!("compile_llm {provider}: {:?}: {}", r.status, r.message);
    match r.status {
        Status::Compiled => {
            assert!(!r.written.is_empty() || !r.kept.is_empty());
            for f in &r.written {
                assert!(f.starts_with("src/") || f.starts_with("tests/"), "{f}");
                assert!(root.join(f).is_file());
            }
            let m: serde_json::Value = serde_json::from_str(
                &std::fs::read_to_string(root.join(".specls/manifest.json")).unwrap(),
            )
            .unwrap();
            assert_eq!(m["specs"]["specs/names.spec.md"]["backend"], provider);
        }
        Status::Failed => {
            // Malformed twice (exactly one retry) or a path outside the outputs (refused).
            let retried = events
                .iter()
                .filter(|e| matches!(e, Event::Retrying { wait_ms: 0, .. }))
                .count();
            assert!(
                (r.message.contains("also after 1 retry") && retried == 1)
                    || r.message.starts_with("refused:"),
                "{provider}: unexpected failure: {}",
                r.message
            );
            assert_eq!(
                files_under(&root),
                before,
                "{provider}: a failed compile changed the workspace"
            );
            assert!(!root.join(".specls/manifest.json").exists());
        }
        other => panic!("{provider}: {other:?}: {}", r.message),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_model_over_both_protocols() {
    let Some(server) = start_model() else { return };
    for provider in ["openai", "anthropic"] {
        protocol(&server.base, provider).await;
        end_to_end(&server.base, provider).await;
    }
    drop(server);
}
