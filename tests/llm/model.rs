//! The real small model for the `llm_tests` suite, shared by `tests/compile_llm.rs` and
//! `tests/edge_cases_real_model.rs` (each includes this file with `#[path]`).

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// llama.cpp's server (xllamacpp, `tests/llm/serve.py`) serving the real model on loopback;
/// killed when dropped.
pub struct ModelServer {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
}

impl Drop for ModelServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Start the model server from SPECLS_LLM_PYTHON and SPECLS_LLM_MODEL (set by `tests/run-all
/// llm_tests`). Without them: None, after saying so, unless SPECLS_LLM_REQUIRED=1 (a panic).
/// `test` names the calling test in that message.
pub fn start_model(test: &str) -> Option<ModelServer> {
    let python = std::env::var("SPECLS_LLM_PYTHON").ok();
    let model = std::env::var("SPECLS_LLM_MODEL").ok();
    let (Some(python), Some(model)) = (python, model) else {
        if std::env::var("SPECLS_LLM_REQUIRED").as_deref() == Ok("1") {
            panic!("SPECLS_LLM_PYTHON and SPECLS_LLM_MODEL must be set (tests/run-all llm_tests sets them)");
        }
        eprintln!("{test}: SPECLS_LLM_PYTHON/SPECLS_LLM_MODEL not set; run `tests/run-all llm_tests` for the real-model tests");
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
