//! `specls compile` backends against a scripted HTTP server (OpenAI-compatible and Anthropic
//! streams, malformed answers, 401, 429, 5xx, a stalled stream cancelled, paths outside the
//! output folders), an agent CLI stand-in script, and hand-edited files. Every failure must
//! leave the workspace exactly as it was.

#[path = "compile/cycle.rs"]
mod cycle;
#[path = "compile/scripted.rs"]
mod scripted;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::future::BoxFuture;
use scripted::{anthropic_stream, openai_stream, sse, status, Resp};
use specls::compile::run::{
    self, Choice, EditedFile, Event, Host, OnEdited, Request, Status, Summary,
};
use specls::compile::Cancel;
use specls_core::compile::retry::Policy;
use specls_core::config::Config;

const KEY_VAR: &str = "SPECLS_TEST_COMPILE_KEY";
const KEY: &str = "sk-test-0123456789-very-secret";

const GOOD: &str = "Here are the files.\n\n```python path=src/greet.py\ndef greet(name: str) -> str:\n    return f\"Hello, {name}!\"\n```\n\n```python path=tests/test_greet.py\nfrom src.greet import greet\n\ndef test_greet():\n    assert greet(\"Ada\") == \"Hello, Ada!\"\n```\n";
const GOOD_NAMES: &str = "```python path=src/names.py\ndef clean(name: str) -> str:\n    return name.strip().capitalize()\n```\n";

/// Records events; answers questions with a fixed choice.
struct Recorder {
    events: Mutex<Vec<Event>>,
    choice: Choice,
    asked: Mutex<Vec<Vec<EditedFile>>>,
    cancel_on_receive: Option<Cancel>,
}

impl Recorder {
    fn new(choice: Choice) -> Arc<Recorder> {
        Arc::new(Recorder {
            events: Mutex::new(Vec::new()),
            choice,
            asked: Mutex::new(Vec::new()),
            cancel_on_receive: None,
        })
    }
    fn events_json(&self) -> String {
        serde_json::to_string(&*self.events.lock().unwrap()).unwrap()
    }
}

impl Host for Recorder {
    fn event(&self, e: &Event) {
        if let (Some(c), Event::Received { bytes, .. }) = (&self.cancel_on_receive, e) {
            if *bytes > 0 {
                c.cancel();
            }
        }
        self.events.lock().unwrap().push(e.clone());
    }
    fn ask(&self, _spec: &str, files: &[EditedFile]) -> BoxFuture<'static, Choice> {
        self.asked.lock().unwrap().push(files.to_vec());
        let c = self.choice;
        Box::pin(async move { c })
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

/// Every file of the workspace outside `.specls/` with its bytes.
fn tree(root: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            let p = e.path();
            let rel = p
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            if rel == ".specls" {
                continue;
            }
            if e.file_type().unwrap().is_dir() {
                stack.push(p);
            } else {
                out.insert(
                    rel,
                    String::from_utf8_lossy(&std::fs::read(&p).unwrap()).into_owned(),
                );
            }
        }
    }
    out
}

struct Ws {
    _dir: tempfile::TempDir,
    root: PathBuf,
}

fn workspace(toml: &str) -> Ws {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/compile/workspace"),
        &root,
    );
    std::fs::write(root.join("specls.toml"), toml).unwrap();
    Ws { _dir: dir, root }
}

fn openai_toml(base: &str) -> String {
    format!("[llm]\nprovider = \"openai\"\nbase_url = \"{base}\"\nmodel = \"test-model\"\napi_key_env = \"{KEY_VAR}\"\n")
}

fn request(ws: &Ws, specs: &[&str], on_edited: OnEdited) -> Request {
    let text = std::fs::read_to_string(ws.root.join("specls.toml")).unwrap();
    let config = Config::from_toml(&text).0;
    let (w, errors) = specls::files::load_with(&ws.root, std::slice::from_ref(&ws.root), &config);
    assert!(errors.is_empty(), "{errors:?}");
    let mut req = Request::new(ws.root.clone(), Arc::new(w), config);
    req.specs = specs.iter().map(|s| s.to_string()).collect();
    req.on_edited = on_edited;
    req.policy = Policy {
        base_delay: Duration::from_millis(20),
        max_delay: Duration::from_millis(200),
        ..Policy::default()
    };
    req.idle_timeout = Duration::from_secs(20);
    req
}

async fn compile(ws: &Ws, specs: &[&str], on_edited: OnEdited, host: Arc<Recorder>) -> Summary {
    std::env::set_var(KEY_VAR, KEY);
    run::compile(request(ws, specs, on_edited), host, Cancel::new()).await
}

fn statuses(s: &Summary) -> Vec<(String, Status)> {
    s.results
        .iter()
        .map(|r| (r.spec.clone(), r.status))
        .collect()
}

fn manifest(ws: &Ws) -> serde_json::Value {
    let text = std::fs::read_to_string(ws.root.join(".specls/manifest.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// The key must appear nowhere: events, messages, manifest, prompt files.
fn assert_no_key(ws: &Ws, host: &Recorder, summary: &Summary) {
    assert!(!host.events_json().contains(KEY), "key in events");
    assert!(
        !serde_json::to_string(summary).unwrap().contains(KEY),
        "key in summary"
    );
    let mut stack = vec![ws.root.clone()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            if e.file_type().unwrap().is_dir() {
                stack.push(e.path());
            } else {
                let bytes = std::fs::read(e.path()).unwrap();
                assert!(
                    !String::from_utf8_lossy(&bytes).contains(KEY),
                    "key written to {}",
                    e.path().display()
                );
            }
        }
    }
}

// @spec compile-dependencies-first
#[tokio::test]
async fn openai_stream_writes_files_dependencies_first_and_records_the_manifest() {
    let server = scripted::start(vec![
        sse(openai_stream(GOOD_NAMES, 7)),
        sse(openai_stream(GOOD, 5)),
    ])
    .await;
    let ws = workspace(&openai_toml(&server.base));
    let host = Recorder::new(Choice::Skip);
    let s = compile(&ws, &["specs/greet.spec.md"], OnEdited::Ask, host.clone()).await;
    assert_eq!(
        statuses(&s),
        vec![
            ("specs/names.spec.md".into(), Status::Compiled),
            ("specs/greet.spec.md".into(), Status::Compiled)
        ],
        "{s:#?}"
    );
    assert!(s.ok(), "{s:#?}");
    assert_eq!(
        std::fs::read_to_string(ws.root.join("src/greet.py")).unwrap(),
        "def greet(name: str) -> str:\n    return f\"Hello, {name}!\"\n"
    );
    assert!(ws.root.join("tests/test_greet.py").is_file());
    assert!(ws.root.join("src/names.py").is_file());
    // The build command ran and passed.
    let greet = &s.results[1];
    assert_eq!(greet.build.len(), 1);
    assert!(greet.build[0].ok, "{:?}", greet.build);
    assert_eq!(greet.build[0].command, "test -s src/greet.py");
    // The HTTP exchange: path, key in the header only, streaming asked, prompt content.
    let reqs = server.requests();
    assert_eq!(reqs.len(), 2);
    assert_eq!(reqs[1].path, "/v1/chat/completions");
    assert!(reqs[1].head.to_ascii_lowercase().contains(&format!(
        "authorization: bearer {}",
        KEY.to_ascii_lowercase()
    )));
    let body: serde_json::Value = serde_json::from_str(&reqs[1].body).unwrap();
    assert_eq!(body["stream"], true);
    assert_eq!(body["model"], "test-model");
    let user = body["messages"][1]["content"].as_str().unwrap();
    assert!(
        user.contains("Returns a greeting for the name"),
        "spec text in prompt"
    );
    assert!(
        user.contains("### names (specs/names.spec.md)"),
        "dependency interface in prompt"
    );
    assert!(
        user.contains("- src/greet.py (implementation)"),
        "targets in prompt"
    );
    assert!(!reqs[1].body.contains(KEY));
    // Progress reported bytes and files as they arrived.
    let received: Vec<(usize, usize)> = host
        .events
        .lock()
        .unwrap()
        .iter()
        .filter_map(|e| match e {
            Event::Received { spec, bytes, files } if spec == "specs/greet.spec.md" => {
                Some((*bytes, *files))
            }
            _ => None,
        })
        .collect();
    assert!(received.len() >= 2, "{received:?}");
    assert_eq!(received.last().unwrap(), &(GOOD.len(), 2));
    // The manifest.
    let m = manifest(&ws);
    let entry = &m["specs"]["specs/greet.spec.md"];
    assert_eq!(entry["backend"], "openai");
    assert_eq!(entry["model"], "test-model");
    assert_eq!(entry["tokens_in"], 11);
    assert_eq!(entry["tokens_out"], 22);
    let outs: Vec<&str> = entry["outputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["path"].as_str().unwrap())
        .collect();
    assert_eq!(outs, vec!["src/greet.py", "tests/test_greet.py"]);
    assert_eq!(
        entry["outputs"][0]["hash"],
        specls_core::compile::sha256_hex(&std::fs::read(ws.root.join("src/greet.py")).unwrap())
    );
    assert_no_key(&ws, &host, &s);
    // Nothing changed: nothing compiled, no request.
    let again = compile(
        &ws,
        &["specs/greet.spec.md"],
        OnEdited::Ask,
        Recorder::new(Choice::Skip),
    )
    .await;
    assert!(
        again.results.iter().all(|r| r.status == Status::UpToDate),
        "{again:#?}"
    );
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test]
async fn anthropic_messages_stream() {
    let server = scripted::start(vec![sse(anthropic_stream(GOOD_NAMES, 4))]).await;
    let toml = format!(
        "[llm]\nprovider = \"anthropic\"\nbase_url = \"{}\"\nmodel = \"claude-test\"\napi_key_env = \"{KEY_VAR}\"\n",
        server.base.trim_end_matches("/v1")
    );
    let ws = workspace(&toml);
    let host = Recorder::new(Choice::Skip);
    let s = compile(&ws, &["specs/names.spec.md"], OnEdited::Ask, host.clone()).await;
    assert_eq!(
        statuses(&s),
        vec![("specs/names.spec.md".into(), Status::Compiled)],
        "{s:#?}"
    );
    let reqs = server.requests();
    assert_eq!(reqs[0].path, "/v1/messages");
    let head = reqs[0].head.to_ascii_lowercase();
    assert!(head.contains(&format!("x-api-key: {}", KEY.to_ascii_lowercase())));
    assert!(head.contains("anthropic-version: 2023-06-01"));
    let body: serde_json::Value = serde_json::from_str(&reqs[0].body).unwrap();
    assert!(body["system"].as_str().unwrap().contains("path="));
    assert_eq!(body["messages"][0]["role"], "user");
    let m = manifest(&ws);
    assert_eq!(m["specs"]["specs/names.spec.md"]["tokens_in"], 7);
    assert_eq!(m["specs"]["specs/names.spec.md"]["tokens_out"], 9);
    assert_no_key(&ws, &host, &s);
}

// @spec compile-malformed-retry-once
#[tokio::test]
async fn malformed_answer_gets_one_retry_with_the_error_explained() {
    let server = scripted::start(vec![
        sse(openai_stream("Sure! def clean(n): return n", 8)),
        sse(openai_stream(GOOD_NAMES, 8)),
    ])
    .await;
    let ws = workspace(&openai_toml(&server.base));
    let s = compile(
        &ws,
        &["specs/names.spec.md"],
        OnEdited::Ask,
        Recorder::new(Choice::Skip),
    )
    .await;
    assert_eq!(
        statuses(&s),
        vec![("specs/names.spec.md".into(), Status::Compiled)],
        "{s:#?}"
    );
    let reqs = server.requests();
    assert_eq!(reqs.len(), 2);
    let body: serde_json::Value = serde_json::from_str(&reqs[1].body).unwrap();
    let msgs = body["messages"].as_array().unwrap();
    assert_eq!(msgs.len(), 4);
    assert_eq!(msgs[2]["role"], "assistant");
    assert_eq!(msgs[2]["content"], "Sure! def clean(n): return n");
    assert!(msgs[3]["content"]
        .as_str()
        .unwrap()
        .contains("no fenced code block tagged with a file path"));
}

#[tokio::test]
async fn malformed_twice_fails_clearly_and_writes_nothing() {
    let server = scripted::start(vec![sse(openai_stream(
        "```python path=src/names.py\nunclosed\n",
        8,
    ))])
    .await;
    let ws = workspace(&openai_toml(&server.base));
    let before = tree(&ws.root);
    let s = compile(
        &ws,
        &["specs/names.spec.md"],
        OnEdited::Ask,
        Recorder::new(Choice::Skip),
    )
    .await;
    assert_eq!(
        statuses(&s),
        vec![("specs/names.spec.md".into(), Status::Failed)]
    );
    let msg = &s.results[0].message;
    assert!(
        msg.contains("also after 1 retry") && msg.contains("never closed"),
        "{msg}"
    );
    assert_eq!(server.requests().len(), 2);
    assert_eq!(tree(&ws.root), before);
    assert!(!ws.root.join(".specls/manifest.json").exists());
}

// @spec compile-key-never-leaks
#[tokio::test]
async fn unauthorized_is_told_apart_without_the_key() {
    // The server echoes the key back: it must be masked.
    let server = scripted::start(vec![status(
        401,
        &format!("{{\"error\": {{\"message\": \"Incorrect API key provided: {KEY}\"}}}}"),
    )])
    .await;
    let ws = workspace(&openai_toml(&server.base));
    let before = tree(&ws.root);
    let host = Recorder::new(Choice::Skip);
    let s = compile(&ws, &["specs/names.spec.md"], OnEdited::Ask, host.clone()).await;
    let r = &s.results[0];
    assert_eq!(r.status, Status::Failed);
    assert!(r.message.contains("401 Unauthorized"), "{}", r.message);
    assert!(
        r.message.contains("Incorrect API key provided: ***"),
        "{}",
        r.message
    );
    assert_eq!(server.requests().len(), 1, "401 is not retried");
    assert_eq!(tree(&ws.root), before);
    assert_no_key(&ws, &host, &s);
}

// @spec compile-rate-limit-backoff
#[tokio::test]
async fn rate_limit_backs_off_then_succeeds() {
    let server = scripted::start(vec![
        Resp::Plain {
            status: 429,
            headers: vec![("retry-after".into(), "0".into())],
            body: "{\"error\": {\"message\": \"slow down\"}}".into(),
        },
        sse(openai_stream(GOOD_NAMES, 8)),
    ])
    .await;
    let ws = workspace(&openai_toml(&server.base));
    let host = Recorder::new(Choice::Skip);
    let s = compile(&ws, &["specs/names.spec.md"], OnEdited::Ask, host.clone()).await;
    assert_eq!(
        statuses(&s),
        vec![("specs/names.spec.md".into(), Status::Compiled)],
        "{s:#?}"
    );
    assert_eq!(server.requests().len(), 2);
    let retried = host
        .events
        .lock()
        .unwrap()
        .iter()
        .any(|e| matches!(e, Event::Retrying { why, .. } if why.contains("429")));
    assert!(retried);
}

#[tokio::test]
async fn server_errors_back_off_then_fail() {
    let server = scripted::start(vec![status(
        503,
        "{\"error\": {\"message\": \"overloaded\"}}",
    )])
    .await;
    let ws = workspace(&openai_toml(&server.base));
    let before = tree(&ws.root);
    let s = compile(
        &ws,
        &["specs/names.spec.md"],
        OnEdited::Ask,
        Recorder::new(Choice::Skip),
    )
    .await;
    let r = &s.results[0];
    assert_eq!(r.status, Status::Failed);
    assert!(
        r.message
            .contains("server error 503 after 3 retries: overloaded"),
        "{}",
        r.message
    );
    assert_eq!(server.requests().len(), 4);
    assert_eq!(tree(&ws.root), before);
}

#[tokio::test]
async fn unreachable_server_is_a_network_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let ws = workspace(&openai_toml(&format!("http://127.0.0.1:{port}/v1")));
    let s = compile(
        &ws,
        &["specs/names.spec.md"],
        OnEdited::Ask,
        Recorder::new(Choice::Skip),
    )
    .await;
    let r = &s.results[0];
    assert_eq!(r.status, Status::Failed);
    assert!(
        r.message
            .starts_with("cannot reach openai model `test-model` at http://127.0.0.1:"),
        "{}",
        r.message
    );
}

// @spec compile-cancel-writes-nothing
#[tokio::test]
async fn slow_stream_cancelled_writes_nothing() {
    let server = scripted::start(vec![Resp::Sse {
        events: openai_stream(GOOD_NAMES, 3),
        delay: Duration::from_millis(300),
        hang: true,
    }])
    .await;
    let ws = workspace(&openai_toml(&server.base));
    let before = tree(&ws.root);
    let cancel = Cancel::new();
    let host = Arc::new(Recorder {
        events: Mutex::new(Vec::new()),
        choice: Choice::Overwrite,
        asked: Mutex::new(Vec::new()),
        cancel_on_receive: Some(cancel.clone()),
    });
    std::env::set_var(KEY_VAR, KEY);
    let started = std::time::Instant::now();
    let s = run::compile(
        request(&ws, &["specs/names.spec.md"], OnEdited::Overwrite),
        host,
        cancel,
    )
    .await;
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(
        statuses(&s),
        vec![("specs/names.spec.md".into(), Status::Cancelled)],
        "{s:#?}"
    );
    assert_eq!(s.results[0].message, "cancelled; nothing written");
    assert_eq!(tree(&ws.root), before);
    assert!(!ws.root.join(".specls/manifest.json").exists());
}

// @spec compile-path-outside-refused
#[tokio::test]
async fn a_path_outside_the_output_folders_refuses_the_whole_compile() {
    let evil = format!("{GOOD_NAMES}\n```sh path=../outside.sh\nrm -rf /\n```\n");
    let server = scripted::start(vec![sse(openai_stream(&evil, 16))]).await;
    let ws = workspace(&openai_toml(&server.base));
    let before = tree(&ws.root);
    let s = compile(
        &ws,
        &["specs/names.spec.md"],
        OnEdited::Ask,
        Recorder::new(Choice::Skip),
    )
    .await;
    let r = &s.results[0];
    assert_eq!(r.status, Status::Failed);
    assert!(r.message.starts_with("refused: the model returned a file outside the output paths: `../outside.sh` goes above the workspace root"), "{}", r.message);
    assert_eq!(server.requests().len(), 1, "a refusal is not retried");
    assert_eq!(tree(&ws.root), before);
    let server = scripted::start(vec![sse(openai_stream(
        "```python path=src/names.py\nx\n```\n```yaml path=specs/names.spec.md\nhijacked\n```\n",
        16,
    ))])
    .await;
    let ws = workspace(&openai_toml(&server.base));
    let before = tree(&ws.root);
    let s = compile(
        &ws,
        &["specs/names.spec.md"],
        OnEdited::Ask,
        Recorder::new(Choice::Skip),
    )
    .await;
    assert!(s.results[0].message.contains("`specs/names.spec.md` is not inside the arrangement's output paths (src/names.py, tests/test_names.py and files under src/, tests/)"), "{}", s.results[0].message);
    assert_eq!(tree(&ws.root), before);
}

#[tokio::test]
async fn missing_key_variable_is_a_clear_error() {
    let ws = workspace("[llm]\nprovider = \"openai\"\nbase_url = \"http://127.0.0.1:9/v1\"\nmodel = \"m\"\napi_key_env = \"SPECLS_TEST_UNSET_KEY_VAR\"\n");
    std::env::remove_var("SPECLS_TEST_UNSET_KEY_VAR");
    let s = run::compile(
        request(&ws, &["specs/names.spec.md"], OnEdited::Ask),
        Recorder::new(Choice::Skip),
        Cancel::new(),
    )
    .await;
    assert_eq!(
        s.results[0].message,
        "the environment variable SPECLS_TEST_UNSET_KEY_VAR (named by [llm] api_key_env) is not set; specls reads API keys only from the environment"
    );
}

// @spec compile-hand-edit-kept
#[tokio::test]
async fn hand_edited_files_survive_unless_overwrite_is_chosen() {
    let v2 = GOOD_NAMES.replace("capitalize()", "title()");
    let server = scripted::start(vec![
        sse(openai_stream(GOOD_NAMES, 16)),
        sse(openai_stream(&v2, 16)),
    ])
    .await;
    let ws = workspace(&openai_toml(&server.base));
    let s = compile(
        &ws,
        &["specs/names.spec.md"],
        OnEdited::Ask,
        Recorder::new(Choice::Skip),
    )
    .await;
    assert_eq!(s.results[0].status, Status::Compiled);
    let edited = "def clean(name):\n    return 'mine'\n";
    std::fs::write(ws.root.join("src/names.py"), edited).unwrap();
    let force = |on: OnEdited, choice: Choice| {
        let ws = &ws;
        async move {
            let host = Recorder::new(choice);
            let mut req = request(ws, &["specs/names.spec.md"], on);
            req.force = true;
            std::env::set_var(KEY_VAR, KEY);
            let s = run::compile(req, host.clone(), Cancel::new()).await;
            (s, host)
        }
    };
    // Asked: skip.
    let (s, host) = force(OnEdited::Ask, Choice::Skip).await;
    assert_eq!(s.results[0].status, Status::Compiled, "{s:#?}");
    assert_eq!(s.results[0].kept, vec!["src/names.py"]);
    assert_eq!(
        host.asked.lock().unwrap().clone(),
        vec![vec![EditedFile {
            path: "src/names.py".into(),
            why: "edited by hand since the last compile".into()
        }]]
    );
    assert_eq!(
        std::fs::read_to_string(ws.root.join("src/names.py")).unwrap(),
        edited
    );
    // Still shown as edited (the manifest keeps the hash specls wrote).
    let (s, _) = force(OnEdited::KeepBoth, Choice::Skip).await;
    assert_eq!(s.results[0].kept, vec!["src/names.py"]);
    assert_eq!(
        std::fs::read_to_string(ws.root.join("src/names.py")).unwrap(),
        edited
    );
    assert_eq!(
        std::fs::read_to_string(ws.root.join("src/names.py.specls-new")).unwrap(),
        "def clean(name: str) -> str:\n    return name.strip().title()\n"
    );
    // Overwrite chosen.
    let (s, _) = force(OnEdited::Ask, Choice::Overwrite).await;
    assert_eq!(s.results[0].written, vec!["src/names.py"]);
    assert!(std::fs::read_to_string(ws.root.join("src/names.py"))
        .unwrap()
        .contains("title()"));
    // A file that exists but was never written by specls is protected too.
    let server = scripted::start(vec![sse(openai_stream(GOOD_NAMES, 16))]).await;
    let ws2 = workspace(&openai_toml(&server.base));
    std::fs::create_dir_all(ws2.root.join("src")).unwrap();
    std::fs::write(ws2.root.join("src/names.py"), "# mine\n").unwrap();
    let host = Recorder::new(Choice::Skip);
    let s = compile(&ws2, &["specs/names.spec.md"], OnEdited::Skip, host).await;
    assert_eq!(s.results[0].kept, vec!["src/names.py"]);
    assert_eq!(
        std::fs::read_to_string(ws2.root.join("src/names.py")).unwrap(),
        "# mine\n"
    );
}

#[cfg(unix)]
fn agent_script(ws: &Ws, body: &str) -> String {
    use std::os::unix::fs::PermissionsExt;
    let path = ws.root.join("fake-agent.sh");
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path.to_string_lossy().into_owned()
}

#[cfg(unix)]
#[tokio::test]
async fn command_backend_records_what_the_agent_wrote() {
    let ws = workspace("");
    let script = agent_script(
        &ws,
        "# stands in for an agent CLI: reads the prompt, writes the implementation\n\
         grep -q 'Cleans up person names' \"$1\" || { echo 'prompt without the spec' >&2; exit 3; }\n\
         mkdir -p src && printf 'def clean(name):\\n    return name.strip()\\n' > src/names.py\n\
         echo \"compiled $2\"",
    );
    std::fs::write(
        ws.root.join("specls.toml"),
        format!("[llm]\nprovider = \"command\"\ncommand = \"{script} {{prompt_file}} {{name}}\"\n"),
    )
    .unwrap();
    let host = Recorder::new(Choice::Skip);
    let s = compile(&ws, &["specs/names.spec.md"], OnEdited::Ask, host.clone()).await;
    assert_eq!(
        statuses(&s),
        vec![("specs/names.spec.md".into(), Status::Compiled)],
        "{s:#?}"
    );
    assert_eq!(s.results[0].written, vec!["src/names.py"]);
    let shown = host.events.lock().unwrap().iter().any(|e| {
        matches!(e, Event::Running { command, .. } if command.contains("fake-agent.sh") && command.ends_with(" names"))
    });
    assert!(shown, "the command is shown before it runs");
    let m = manifest(&ws);
    let e = &m["specs"]["specs/names.spec.md"];
    assert_eq!(e["backend"], "command");
    assert_eq!(e["outputs"][0]["path"], "src/names.py");
    assert!(ws.root.join(".specls/prompts/names.md").is_file());
}

/// An agent that writes more than asked: every file it changed inside the output paths is
/// written and recorded (nested folders included); what it created, changed or deleted outside
/// them is reported by name in the result and the events, never recorded as an output, and
/// left as the agent made it (git-ignored files are not looked at).
#[cfg(unix)]
#[tokio::test]
async fn command_backend_reports_changes_outside_the_output_paths() {
    let ws = workspace("");
    std::fs::write(ws.root.join("README.md"), "# names\n").unwrap();
    std::fs::create_dir_all(ws.root.join("docs")).unwrap();
    std::fs::write(ws.root.join("docs/old.md"), "old\n").unwrap();
    std::fs::write(ws.root.join(".gitignore"), "*.log\n").unwrap();
    let script = agent_script(
        &ws,
        "mkdir -p src/helpers notes\n\
         printf 'def clean(name):\\n    return name.strip()\\n' > src/names.py\n\
         printf 'def trim(s):\\n    return s.strip()\\n' > src/helpers/trim.py\n\
         echo '# names, compiled' > README.md\n\
         echo 'todo' > notes/new.txt\n\
         rm docs/old.md\n\
         echo 'noise' > agent.log",
    );
    std::fs::write(
        ws.root.join("specls.toml"),
        format!("[llm]\nprovider = \"command\"\ncommand = \"{script}\"\n"),
    )
    .unwrap();
    let host = Recorder::new(Choice::Skip);
    let s = compile(&ws, &["specs/names.spec.md"], OnEdited::Ask, host.clone()).await;
    let r = &s.results[0];
    assert_eq!(r.status, Status::Compiled, "{r:#?}");
    assert_eq!(r.warnings.len(), 1, "{r:#?}");
    assert!(r.message.ends_with(&r.warnings[0]));
    let kept: Vec<String> = host
        .events
        .lock()
        .unwrap()
        .iter()
        .filter_map(|e| match e {
            Event::Kept { file, note, .. } => Some(format!("{file}: {note}")),
            _ => None,
        })
        .collect();
    let outputs: Vec<String> = manifest(&ws)["specs"]["specs/names.spec.md"]["outputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["path"].as_str().unwrap().to_string())
        .collect();
    insta::assert_yaml_snapshot!(
        "agent_outside_changes",
        serde_json::json!({
            "written": r.written,
            "recorded": outputs,
            "message": r.message,
            "events": kept,
        })
    );
    // Outside files are left as the agent made them.
    assert_eq!(
        std::fs::read_to_string(ws.root.join("README.md")).unwrap(),
        "# names, compiled\n"
    );
    assert!(!ws.root.join("docs/old.md").exists());

    // A failing agent: its output-path changes are undone, the outside ones reported.
    let failing = agent_script(
        &ws,
        "echo half > src/names.py\necho again >> README.md\necho 'no credits' >&2; exit 2",
    );
    std::fs::write(
        ws.root.join("specls.toml"),
        format!("[llm]\nprovider = \"command\"\ncommand = \"{failing}\"\n"),
    )
    .unwrap();
    let names_before = std::fs::read_to_string(ws.root.join("src/names.py")).unwrap();
    let mut req = request(&ws, &["specs/names.spec.md"], OnEdited::Overwrite);
    req.force = true;
    let s = run::compile(req, Recorder::new(Choice::Skip), Cancel::new()).await;
    let r = &s.results[0];
    assert_eq!(r.status, Status::Failed);
    insta::assert_snapshot!("agent_outside_changes_failed", r.message);
    assert_eq!(
        std::fs::read_to_string(ws.root.join("src/names.py")).unwrap(),
        names_before
    );
    // ... and its change outside them put back too.
    assert_eq!(
        std::fs::read_to_string(ws.root.join("README.md")).unwrap(),
        "# names, compiled\n"
    );
}

/// Every way an agent run can fail — it exits non-zero, it is cancelled, it changes nothing in
/// the output paths, or the write after it fails — puts back what it created, changed or
/// deleted outside the output paths too (folders it made removed, modification times restored),
/// so the workspace is exactly as it was. Files under `target/`, `node_modules/` and git-ignored
/// files are not looked at (an agent's build output there is not undone nor reported).
// @spec compile-agent-outside-undone
#[cfg(unix)]
#[tokio::test]
async fn failed_agent_runs_put_back_what_they_changed_outside_the_output_paths() {
    use specls::fsutil::faults::{inject, Fault};
    let ws = workspace("");
    std::fs::write(ws.root.join("README.md"), "# names\n").unwrap();
    std::fs::create_dir_all(ws.root.join("docs")).unwrap();
    std::fs::write(ws.root.join("docs/old.md"), "old\n").unwrap();
    std::fs::write(ws.root.join(".gitignore"), "*.log\n").unwrap();
    let readme_mtime = || {
        std::fs::metadata(ws.root.join("README.md"))
            .unwrap()
            .modified()
            .unwrap()
    };
    let script = agent_script(
        &ws,
        "sleep 0.05\n\
         echo '# names, rewritten' > README.md\n\
         mkdir -p notes/deep && echo todo > notes/deep/new.txt\n\
         rm docs/old.md\n\
         mkdir -p target && echo build > target/out.txt\n\
         echo noise > agent.log\n\
         case \"$1\" in\n\
           fail) echo half > src/names.py; exit 3;;\n\
           slow) sleep 30;;\n\
           nothing) exit 0;;\n\
           *) mkdir -p src && echo 'def clean(n): return n' > src/names.py;;\n\
         esac",
    );
    let mut messages = Vec::new();
    for mode in ["fail", "slow", "nothing", "write-fails"] {
        std::fs::write(
            ws.root.join("specls.toml"),
            format!("[llm]\nprovider = \"command\"\ncommand = \"{script} {mode}\"\n"),
        )
        .unwrap();
        let mut before = tree(&ws.root);
        let mtime = readme_mtime();
        let cancel = Cancel::new();
        if mode == "slow" {
            let c = cancel.clone();
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(600)).await;
                c.cancel();
            });
        }
        let _ro = (mode == "write-fails").then(|| inject(&ws.root.join("src"), Fault::ReadOnly));
        let s = run::compile(
            request(&ws, &["specs/names.spec.md"], OnEdited::Overwrite),
            Recorder::new(Choice::Skip),
            cancel,
        )
        .await;
        let r = &s.results[0];
        let expected = if mode == "slow" {
            Status::Cancelled
        } else {
            Status::Failed
        };
        assert_eq!(r.status, expected, "{mode}: {r:#?}");
        // What specls does not look at stays as the agent left it.
        let after = tree(&ws.root);
        assert_eq!(
            after.get("target/out.txt").map(String::as_str),
            Some("build\n")
        );
        assert_eq!(after.get("agent.log").map(String::as_str), Some("noise\n"));
        before.insert("target/out.txt".into(), "build\n".into());
        before.insert("agent.log".into(), "noise\n".into());
        assert_eq!(after, before, "{mode}: the workspace changed");
        assert!(!ws.root.join("notes").exists(), "{mode}: folder left");
        assert_eq!(
            readme_mtime(),
            mtime,
            "{mode}: modification time not restored"
        );
        messages.push(format!("{mode}: {}", r.message.replace(&script, "[AGENT]")));
    }
    insta::assert_snapshot!("agent_outside_undone", messages.join("\n"));
}

// @spec compile-agent-undone
#[cfg(unix)]
#[tokio::test]
async fn failing_or_cancelled_agent_leaves_the_workspace_as_it_was() {
    let ws = workspace("");
    std::fs::create_dir_all(ws.root.join("src")).unwrap();
    std::fs::write(ws.root.join("src/keep.py"), "original\n").unwrap();
    let script = agent_script(
        &ws,
        "mkdir -p src/new && echo half > src/new/half.py && echo changed > src/keep.py && rm -f src/gone.py\n\
         if [ \"$1\" = slow ]; then sleep 30; fi\n\
         echo 'agent failed: out of credits' >&2; exit 4",
    );
    for arg in ["fast", "slow"] {
        std::fs::write(
            ws.root.join("specls.toml"),
            format!("[llm]\nprovider = \"command\"\ncommand = \"{script} {arg}\"\n"),
        )
        .unwrap();
        let before = tree(&ws.root);
        let cancel = Cancel::new();
        let c = cancel.clone();
        if arg == "slow" {
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(500)).await;
                c.cancel();
            });
        }
        std::env::set_var(KEY_VAR, KEY);
        let s = run::compile(
            request(&ws, &["specs/names.spec.md"], OnEdited::Overwrite),
            Recorder::new(Choice::Skip),
            cancel,
        )
        .await;
        let r = &s.results[0];
        if arg == "fast" {
            assert_eq!(r.status, Status::Failed);
            assert!(
                r.message.contains("exited with exit status: 4")
                    && r.message.contains("out of credits"),
                "{}",
                r.message
            );
        } else {
            assert_eq!(r.status, Status::Cancelled, "{r:#?}");
        }
        assert_eq!(tree(&ws.root), before, "{arg}");
        assert!(
            !ws.root.join("src/new").exists(),
            "{arg}: folder made by the agent removed"
        );
    }
}

#[cfg(unix)]
#[tokio::test]
async fn output_folder_linked_outside_the_workspace_is_refused() {
    let server = scripted::start(vec![sse(openai_stream(GOOD_NAMES, 16))]).await;
    let ws = workspace(&openai_toml(&server.base));
    let outside = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(outside.path(), ws.root.join("src")).unwrap();
    let s = compile(
        &ws,
        &["specs/names.spec.md"],
        OnEdited::Overwrite,
        Recorder::new(Choice::Skip),
    )
    .await;
    let r = &s.results[0];
    assert_eq!(r.status, Status::Failed);
    assert_eq!(
        r.message,
        "refused: src/names.py resolves outside the workspace (through a symbolic link); nothing written"
    );
    assert_eq!(std::fs::read_dir(outside.path()).unwrap().count(), 0);
}

#[tokio::test]
async fn a_corrupt_manifest_stops_the_compile_before_anything_is_written() {
    let server = scripted::start(vec![sse(openai_stream(GOOD_NAMES, 16))]).await;
    let ws = workspace(&openai_toml(&server.base));
    std::fs::create_dir_all(ws.root.join(".specls")).unwrap();
    std::fs::write(
        ws.root.join(".specls/manifest.json"),
        "{\"version\": 1, \"specs\": [tru",
    )
    .unwrap();
    let before = tree(&ws.root);
    let s = compile(
        &ws,
        &["specs/names.spec.md"],
        OnEdited::Overwrite,
        Recorder::new(Choice::Skip),
    )
    .await;
    let r = &s.results[0];
    assert_eq!(r.status, Status::Failed);
    assert!(
        r.message
            .starts_with("the compile manifest .specls/manifest.json cannot be read ("),
        "{}",
        r.message
    );
    assert!(r
        .message
        .ends_with("move it away to compile again (specls will not guess which files it wrote)"));
    assert_eq!(server.requests().len(), 0);
    assert_eq!(tree(&ws.root), before);
    assert_eq!(
        std::fs::read_to_string(ws.root.join(".specls/manifest.json")).unwrap(),
        "{\"version\": 1, \"specs\": [tru"
    );
}

#[tokio::test]
async fn a_failing_build_command_is_reported() {
    let server = scripted::start(vec![sse(openai_stream(GOOD_NAMES, 16))]).await;
    let ws = workspace(&openai_toml(&server.base));
    let arr = std::fs::read_to_string(ws.root.join("arrangement.yaml")).unwrap();
    std::fs::write(
        ws.root.join("arrangement.yaml"),
        arr.replace(
            "  compile: test -s {file}\n",
            "  compile: test -s {file}\n  lint: echo lint says no >&2; exit 7\n",
        ),
    )
    .unwrap();
    let s = compile(
        &ws,
        &["specs/names.spec.md"],
        OnEdited::Overwrite,
        Recorder::new(Choice::Skip),
    )
    .await;
    let r = &s.results[0];
    assert_eq!(r.status, Status::Compiled);
    assert!(!s.ok());
    let builds: Vec<(&str, bool, &str)> = r
        .build
        .iter()
        .map(|b| (b.key.as_str(), b.ok, b.output.as_str()))
        .collect();
    assert_eq!(
        builds,
        vec![("compile", true, ""), ("lint", false, "lint says no")]
    );
    assert!(r.message.ends_with("; `lint` failed"), "{}", r.message);
}

/// Writing fails half-way (a file where a folder is needed, the disk full, the manifest on a
/// read-only file system, a read-only folder): the compile fails with a message that says what
/// happened, and every generated file and the manifest are as they were before it — the
/// files it already wrote are put back (restored from a link kept beside them, which needs no
/// free space), the folders it made removed. Tests may run as root, where a read-only folder
/// does not stop a write: the disk-full and read-only cases use specls's fault injection.
#[tokio::test]
async fn write_failures_leave_generated_files_and_manifest_as_they_were() {
    use specls::fsutil::faults::{inject, Fault};
    let good2 = GOOD
        .replace("Hello", "Hi")
        .replace("def test_greet", "def test_hi");
    let server = scripted::start(vec![
        sse(openai_stream(GOOD_NAMES, 16)),
        sse(openai_stream(GOOD, 16)),
        sse(openai_stream(GOOD, 16)),
        sse(openai_stream(&good2, 16)),
        sse(openai_stream(&good2, 16)),
        sse(openai_stream(&good2, 16)),
    ])
    .await;
    let ws = workspace(&openai_toml(&server.base));
    let root = ws.root.clone();
    // Each call changes the greet spec a little, so that it (and not its dependency) is
    // compiled again.
    let greet = || {
        let spec = ws.root.join("specs/greet.spec.md");
        let text = std::fs::read_to_string(&spec).unwrap();
        std::fs::write(&spec, format!("{text}\n")).unwrap();
        let req = request(&ws, &["specs/greet.spec.md"], OnEdited::Overwrite);
        std::env::set_var(KEY_VAR, KEY);
        run::compile(req, Recorder::new(Choice::Skip), Cancel::new())
    };
    let compiled = compile(
        &ws,
        &["specs/names.spec.md"],
        OnEdited::Overwrite,
        Recorder::new(Choice::Skip),
    )
    .await;
    assert!(compiled.ok(), "{compiled:#?}");
    // The workspace without the spec the test keeps editing.
    let state = |root: &Path| {
        let mut files = tree(root);
        files.remove("specs/greet.spec.md");
        (
            files,
            std::fs::read_to_string(root.join(".specls/manifest.json")).unwrap(),
        )
    };
    let mut messages = Vec::new();
    let mut failed = |s: &Summary, what: &str, before: &(BTreeMap<String, String>, String)| {
        let r = s.results.last().unwrap();
        assert_eq!(r.status, Status::Failed, "{what}: {r:#?}");
        assert_eq!(&state(&root), before, "{what}: workspace changed");
        messages.push(format!(
            "{what}: {}",
            r.message
                .replace(&root.to_string_lossy().into_owned(), "[ROOT]")
        ));
    };

    // A file where the tests folder should be: nothing written, src/greet.py not left behind.
    std::fs::write(root.join("tests"), "not a folder\n").unwrap();
    let before = state(&root);
    failed(&greet().await, "tests is a file", &before);
    std::fs::remove_file(root.join("tests")).unwrap();

    let ok = greet().await;
    assert!(ok.ok(), "{ok:#?}");
    let first = std::fs::read_to_string(root.join("src/greet.py")).unwrap();

    // The disk fills while the second file is written: the first is restored.
    let before = state(&root);
    {
        let _full = inject(&root.join("tests"), Fault::DiskFull);
        failed(&greet().await, "disk full", &before);
    }
    assert_eq!(
        std::fs::read_to_string(root.join("src/greet.py")).unwrap(),
        first
    );

    // The manifest cannot be written: both files are restored.
    {
        let _ro = inject(&root.join(".specls/manifest.json"), Fault::ReadOnly);
        failed(&greet().await, "manifest read-only", &before);
    }

    // No temporary or backup file is left anywhere.
    let leftovers: Vec<String> = tree(&root)
        .into_keys()
        .filter(|k| k.contains(".specls-"))
        .collect();
    assert_eq!(leftovers, Vec::<String>::new());
    let state_files: Vec<String> = std::fs::read_dir(root.join(".specls"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".tmp") || n.contains(".bak"))
        .collect();
    assert_eq!(state_files, Vec::<String>::new());

    // A read-only folder, where permissions hold (not as root).
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        // SAFETY: geteuid has no preconditions and touches no memory.
        if unsafe { libc::geteuid() } != 0 {
            let src = root.join("src");
            std::fs::set_permissions(&src, std::fs::Permissions::from_mode(0o555)).unwrap();
            let s = greet().await;
            std::fs::set_permissions(&src, std::fs::Permissions::from_mode(0o755)).unwrap();
            let r = s.results.last().unwrap();
            assert_eq!(r.status, Status::Failed, "{r:#?}");
            assert!(r.message.contains("permission denied"), "{}", r.message);
            assert_eq!(state(&root), before, "read-only folder");
        }
    }
    insta::assert_snapshot!("write_failures", messages.join("\n"));
}

/// specls is killed while it writes a compile's files (simulated with the fault helpers: the
/// transaction is abandoned with its journal on disk, a generated file half-replaced, a
/// keep-both `.specls-new` file and a broken manifest written). The next compile first finishes
/// the interrupted one — the files and the manifest are put back as they were, the backups and
/// the new files removed — says so, and then plans as usual (here: up to date).
// @spec compile-killed-recovered
#[tokio::test]
async fn a_compile_killed_while_writing_is_rolled_back_by_the_next_one() {
    use specls::fsutil::{self, faults};
    let server = scripted::start(vec![sse(openai_stream(GOOD_NAMES, 16))]).await;
    let ws = workspace(&openai_toml(&server.base));
    let s = compile(
        &ws,
        &["specs/names.spec.md"],
        OnEdited::Ask,
        Recorder::new(Choice::Skip),
    )
    .await;
    assert!(s.ok(), "{s:#?}");
    let before = tree(&ws.root);
    let manifest_before = std::fs::read_to_string(ws.root.join(".specls/manifest.json")).unwrap();

    let mut tx = fsutil::Transaction::journaled(fsutil::journal_path(&ws.root).unwrap());
    tx.write(&ws.root.join("src/names.py"), b"def clean(")
        .unwrap();
    tx.write(&ws.root.join("src/names.py.specls-new"), b"new")
        .unwrap();
    tx.write(&ws.root.join(".specls/manifest.json"), b"{ broken")
        .unwrap();
    faults::crash(tx);
    assert_ne!(tree(&ws.root), before);

    let host = Recorder::new(Choice::Skip);
    let s = compile(&ws, &["specs/names.spec.md"], OnEdited::Ask, host.clone()).await;
    assert_eq!(
        statuses(&s),
        vec![("specs/names.spec.md".into(), Status::UpToDate)],
        "{s:#?}"
    );
    let notes: Vec<String> = host
        .events
        .lock()
        .unwrap()
        .iter()
        .filter_map(|e| match e {
            Event::Recovered { note } => Some(note.replace(&*ws.root.to_string_lossy(), "[ROOT]")),
            _ => None,
        })
        .collect();
    insta::assert_yaml_snapshot!("killed_compile_recovered", notes);
    assert_eq!(tree(&ws.root), before);
    assert_eq!(
        std::fs::read_to_string(ws.root.join(".specls/manifest.json")).unwrap(),
        manifest_before
    );
    let state: Vec<String> = std::fs::read_dir(ws.root.join(".specls"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != "prompts")
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    assert_eq!(state, vec![".gitignore", "manifest.json"]);
}

/// End to end through each backend — OpenAI-compatible and Anthropic streams from a scripted
/// server, an agent CLI stand-in for `command` — the same cycle (`tests/compile/cycle.rs`):
/// the greet workspace is compiled (dependency first), the manifest agrees with the disk, and
/// editing a scenario, a generated file and a dependency each give exactly their drift; the
/// hand-edited file survives a compile unless overwrite is chosen.
// @spec compile-drift-every-backend
#[tokio::test]
async fn every_backend_compiles_and_drifts_as_specified() {
    let names2 = GOOD_NAMES.replace("strip()", "strip() ");
    for backend in ["openai", "anthropic", "command"] {
        let answers = [GOOD_NAMES, GOOD, &names2, &names2];
        let server = scripted::start(
            answers
                .iter()
                .map(|a| {
                    sse(if backend == "anthropic" {
                        anthropic_stream(a, 16)
                    } else {
                        openai_stream(a, 16)
                    })
                })
                .collect(),
        )
        .await;
        let ws = workspace("");
        let toml = match backend {
            "openai" => openai_toml(&server.base),
            "anthropic" => format!(
                "[llm]\nprovider = \"anthropic\"\nbase_url = \"{}\"\nmodel = \"claude-test\"\napi_key_env = \"{KEY_VAR}\"\n",
                server.base.trim_end_matches("/v1")
            ),
            _ => {
                #[cfg(not(unix))]
                continue;
                #[cfg(unix)]
                {
                    // Stands in for an agent CLI: writes the files of the spec it is given,
                    // a little differently on each run.
                    let script = agent_script(
                        &ws,
                        "n=$(cat .specls/runs 2>/dev/null || echo 0); n=$((n+1)); echo $n > .specls/runs\n\
                         mkdir -p src tests\n\
                         case \"$1\" in\n\
                           names) printf 'def clean(name: str) -> str:\\n    return name.strip().capitalize()  # run %s\\n' $n > src/names.py;;\n\
                           greet) printf 'from src.names import clean\\n\\ndef greet(name):\\n    return f\"Hello, {clean(name)}!\"\\n' > src/greet.py\n\
                                  printf 'from src.greet import greet\\n\\ndef test_greet():\\n    assert greet(\"ada\") == \"Hello, Ada!\"\\n' > tests/test_greet.py;;\n\
                         esac",
                    );
                    format!("[llm]\nprovider = \"command\"\ncommand = \"{script} {{name}}\"\n")
                }
            }
        };
        std::fs::write(ws.root.join("specls.toml"), toml).unwrap();
        let root = ws.root.clone();
        let checked = cycle::run(&root, backend, true, |specs, on_edited, force| {
            let specs: Vec<&str> = specs.iter().map(String::as_str).collect();
            let mut req = request(&ws, &specs, on_edited);
            req.force = force;
            std::env::set_var(KEY_VAR, KEY);
            run::compile(req, Recorder::new(Choice::Skip), Cancel::new())
        })
        .await;
        assert!(checked, "{backend}");
        if backend != "command" {
            assert_eq!(server.requests().len(), 4, "{backend}");
        }
    }
}
