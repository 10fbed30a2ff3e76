//! Benchmark driver: runs language servers over stdio as an editor does and reports, in one run,
//! each server's figures and their ratio to a server that does no work (the floor,
//! `examples/lsp_floor.rs`), on the same generated corpus (`specls_core::corpus`) in each
//! server's own format.
//!
//! - open: `initialize` on a workspace of N files, `didOpen` every file, until the last
//!   `publishDiagnostics` (every file had one, or none came for 2 s: specls publishes nothing
//!   for a file without problems);
//! - keystroke: on one file of 5,000 scenarios, edits that alternately make a scenario's name a
//!   duplicate of the one before it and restore it, each timed from `didChange` to the
//!   `publishDiagnostics` for that version (p50/p99);
//! - code lenses and code actions on that file (p50/p99);
//! - memory: peak resident set (VmHWM from /proc) after opening, and resident set before and
//!   after typing.
//!
//! Usage (release build; see `benches/run`):
//! `lsp_driver [--quick] [--out FILE] [--peers DIR] [--formats yaml,markdown,...]`
//! `--quick`: 20 files of 50 and a file of 500 scenarios, 20 keystrokes (the CI smoke run).
//! `--peers DIR`: where `benches/run` installed the Cucumber and YAML language servers.

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use specls_core::corpus::{Corpus, Format, Shape};

fn file_uri(p: &Path) -> String {
    format!("file://{}", p.display())
}

fn read_message(input: &mut impl BufRead) -> Option<Value> {
    let mut len = None;
    loop {
        let mut line = String::new();
        if input.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            if len.is_some() {
                break;
            }
            continue;
        }
        if let Some(v) = line.strip_prefix("Content-Length:") {
            len = v.trim().parse::<usize>().ok();
        }
    }
    let mut body = vec![0; len?];
    input.read_exact(&mut body).ok()?;
    serde_json::from_slice(&body).ok()
}

fn write_message(out: &Mutex<ChildStdin>, msg: &Value) {
    let body = msg.to_string();
    let mut o = out.lock().unwrap();
    let _ = write!(o, "Content-Length: {}\r\n\r\n{body}", body.len());
    let _ = o.flush();
}

/// What the server is told when it asks for settings.
#[derive(Clone)]
struct Settings(Value);

struct Server {
    child: Child,
    stdin: Arc<Mutex<ChildStdin>>,
    rx: Receiver<Value>,
    next_id: i64,
}

impl Server {
    fn start(cmd: &[String], cwd: &Path, settings: Settings) -> Server {
        let mut child = Command::new(&cmd[0])
            .args(&cmd[1..])
            .current_dir(cwd)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {cmd:?}: {e}"));
        let stdin = Arc::new(Mutex::new(child.stdin.take().unwrap()));
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        let replies = stdin.clone();
        std::thread::spawn(move || {
            let mut input = BufReader::new(stdout);
            while let Some(msg) = read_message(&mut input) {
                // Requests from the server are answered here, at once.
                if let (Some(id), Some(method)) = (msg.get("id"), msg["method"].as_str()) {
                    let result = match method {
                        "workspace/configuration" => {
                            let items = msg["params"]["items"].as_array().cloned();
                            let n = items.as_ref().map_or(0, Vec::len);
                            Value::Array(
                                (0..n)
                                    .map(|i| {
                                        let section = items.as_ref().unwrap()[i]["section"]
                                            .as_str()
                                            .unwrap_or("");
                                        settings.0.get(section).cloned().unwrap_or(Value::Null)
                                    })
                                    .collect(),
                            )
                        }
                        _ => Value::Null,
                    };
                    write_message(
                        &replies,
                        &json!({"jsonrpc": "2.0", "id": id, "result": result}),
                    );
                    continue;
                }
                if tx.send(msg).is_err() {
                    break;
                }
            }
        });
        Server {
            child,
            stdin,
            rx,
            next_id: 0,
        }
    }

    fn notify(&self, method: &str, params: Value) {
        write_message(
            &self.stdin,
            &json!({"jsonrpc": "2.0", "method": method, "params": params}),
        );
    }

    /// Send a request and wait for its answer (notifications meanwhile go to `seen`).
    fn request(
        &mut self,
        method: &str,
        params: Value,
        seen: &mut Vec<Value>,
        timeout: Duration,
    ) -> Option<Value> {
        self.next_id += 1;
        let id = self.next_id;
        write_message(
            &self.stdin,
            &json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}),
        );
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.checked_duration_since(Instant::now())?;
            match self.rx.recv_timeout(left) {
                Ok(m) if m["id"] == json!(id) => return Some(m["result"].clone()),
                Ok(m) => seen.push(m),
                Err(_) => return None,
            }
        }
    }

    /// Wait for a notification matching `pred`; false on timeout.
    fn wait(&self, timeout: Duration, mut pred: impl FnMut(&Value) -> bool) -> bool {
        let deadline = Instant::now() + timeout;
        loop {
            let Some(left) = deadline.checked_duration_since(Instant::now()) else {
                return false;
            };
            match self.rx.recv_timeout(left) {
                Ok(m) => {
                    if pred(&m) {
                        return true;
                    }
                }
                Err(RecvTimeoutError::Timeout) => return false,
                Err(RecvTimeoutError::Disconnected) => return false,
            }
        }
    }

    /// (VmRSS, VmHWM) in MB.
    fn memory(&self) -> (f64, f64) {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_default();
        let field = |name: &str| {
            status
                .lines()
                .find(|l| l.starts_with(name))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<f64>().ok())
                .map_or(0.0, |kb| kb / 1024.0)
        };
        (field("VmRSS:"), field("VmHWM:"))
    }

    fn initialize(&mut self, root: &Path, options: Value) {
        let mut seen = Vec::new();
        let caps = json!({
            "general": {"positionEncodings": ["utf-16"]},
            "textDocument": {
                "synchronization": {"didSave": true},
                "publishDiagnostics": {"relatedInformation": true, "versionSupport": true},
                "codeAction": {"codeActionLiteralSupport": {"codeActionKind": {"valueSet": ["quickfix", "source"]}}}
            },
            "workspace": {"configuration": true, "workspaceFolders": true}
        });
        let r = self.request(
            "initialize",
            json!({
                "processId": std::process::id(),
                "rootUri": file_uri(root),
                "workspaceFolders": [{"uri": file_uri(root), "name": "bench"}],
                "capabilities": caps,
                "initializationOptions": options,
            }),
            &mut seen,
            Duration::from_secs(60),
        );
        assert!(r.is_some(), "no answer to initialize");
        self.notify("initialized", json!({}));
    }

    fn stop(mut self) {
        let mut seen = Vec::new();
        let _ = self.request("shutdown", Value::Null, &mut seen, Duration::from_secs(5));
        self.notify("exit", Value::Null);
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A server to measure.
#[derive(Clone)]
struct Subject {
    label: String,
    cmd: Vec<String>,
    /// The format of corpus it reads.
    format: Format,
    language: &'static str,
    options: Value,
    settings: Settings,
    /// Whether it answers code lenses and code actions worth timing.
    lenses: bool,
    /// A peer: slow enough that fewer keystrokes are timed (`--peer-edits`).
    peer: bool,
}

fn language(format: Format) -> &'static str {
    match format {
        Format::Yaml => "yaml",
        Format::Feature => "cucumber",
        _ => "markdown",
    }
}

#[derive(Default, Clone)]
struct Figures {
    open: Option<Duration>,
    open_files: (usize, usize),
    open_hwm: f64,
    key_p50: Option<Duration>,
    key_p99: Option<Duration>,
    key_missed: usize,
    rss_before: f64,
    rss_after: f64,
    key_hwm: f64,
    lens_p99: Option<Duration>,
    action_p99: Option<Duration>,
}

fn percentile(v: &mut [Duration], p: f64) -> Option<Duration> {
    if v.is_empty() {
        return None;
    }
    v.sort();
    Some(v[((v.len() as f64 - 1.0) * p).round() as usize])
}

fn open_all(s: &Subject, root: &Path, corpus: &Corpus, timeout: Duration) -> Figures {
    let mut server = Server::start(&s.cmd, root, s.settings.clone());
    server.initialize(root, s.options.clone());
    let uris: Vec<String> = corpus
        .files
        .iter()
        .map(|f| file_uri(&root.join(&f.path)))
        .collect();
    let t0 = Instant::now();
    for (f, uri) in corpus.files.iter().zip(&uris) {
        server.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": uri, "languageId": s.language, "version": 1, "text": f.text}}),
        );
    }
    // Done when every file has had a publish, or (for a server that publishes nothing for a
    // file without problems) when no publish has come for `SETTLE` after the last one; the time
    // is that of the last publish.
    const SETTLE: Duration = Duration::from_secs(2);
    let mut missing: HashSet<&str> = uris.iter().map(String::as_str).collect();
    let deadline = t0 + timeout;
    let mut last: Option<Instant> = None;
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        let wait = match last {
            Some(t) => match (t + SETTLE).checked_duration_since(Instant::now()) {
                Some(w) => w.min(left),
                None => break,
            },
            None => left,
        };
        match server.rx.recv_timeout(wait) {
            Ok(m) => {
                if m["method"] == "textDocument/publishDiagnostics" {
                    if let Some(u) = m["params"]["uri"].as_str() {
                        missing.remove(u);
                    }
                    last = Some(Instant::now());
                    if missing.is_empty() {
                        break;
                    }
                }
            }
            Err(RecvTimeoutError::Timeout) if last.is_some() => break,
            Err(_) => break,
        }
    }
    let elapsed = last.map(|t| t.duration_since(t0));
    let (_, hwm) = server.memory();
    server.stop();
    Figures {
        open: elapsed,
        open_files: (uris.len() - missing.len(), uris.len()),
        open_hwm: hwm,
        ..Default::default()
    }
}

/// Line and column (UTF-16; the corpus is ASCII) of byte `at`.
fn position(text: &str, at: usize) -> Value {
    let line = text[..at].matches('\n').count();
    let col = at - text[..at].rfind('\n').map_or(0, |i| i + 1);
    json!({"line": line, "character": col})
}

fn typing(s: &Subject, root: &Path, corpus: &Corpus, edits: usize, f: &mut Figures) {
    let file = &corpus.files[0];
    let uri = file_uri(&root.join(&file.path));
    let mut server = Server::start(&s.cmd, root, s.settings.clone());
    server.initialize(root, s.options.clone());
    server.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri, "languageId": s.language, "version": 1, "text": file.text}}),
    );
    let first = server.wait(Duration::from_secs(300), |m| {
        m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == json!(uri)
    });
    if !first {
        server.stop();
        return;
    }
    let (rss, _) = server.memory();
    f.rss_before = rss;
    // Scenario names in the middle of the file, each made equal to the name before it and back.
    let scenarios = corpus.shape.per_file;
    let mut text = file.text.clone();
    let mut version = 1;
    let mut times = Vec::new();
    // The name (from after `: ` to the end of the line) of the scenario numbered `g`.
    let name_at = |text: &str, g: usize| -> Option<(usize, usize)> {
        let end = text.find(&format!(" number {g}\n"))? + format!(" number {g}").len();
        let start = text[..end].rfind(": ")? + 2;
        Some((start, end))
    };
    for e in 0..edits.div_ceil(2) {
        let g = scenarios / 2 + 2 * (e % (scenarios / 4).max(1)) + 1;
        let (Some((s0, e0)), Some((p0, p1))) = (name_at(&text, g), name_at(&text, g - 1)) else {
            break;
        };
        let own = text[s0..e0].to_string();
        let previous = text[p0..p1].to_string();
        // Make it a duplicate of the scenario before it, then restore it: both change the
        // diagnostics, so both are answered by a publish.
        for new in [previous, own] {
            let (start, end) = (position(&text, s0), position(&text, s0 + (e0 - s0)));
            let old_len = text[s0..].find('\n').unwrap_or(0);
            let end = if old_len != e0 - s0 {
                position(&text, s0 + old_len)
            } else {
                end
            };
            text.replace_range(s0..s0 + old_len, &new);
            version += 1;
            let t0 = Instant::now();
            server.notify(
                "textDocument/didChange",
                json!({"textDocument": {"uri": uri, "version": version},
                       "contentChanges": [{"range": {"start": start, "end": end}, "text": new}]}),
            );
            let ok = server.wait(Duration::from_secs(60), |m| {
                m["method"] == "textDocument/publishDiagnostics"
                    && m["params"]["uri"] == json!(uri)
                    && (m["params"]["version"].is_null()
                        || m["params"]["version"] == json!(version))
            });
            if ok {
                times.push(t0.elapsed());
            } else {
                f.key_missed += 1;
            }
        }
    }
    f.key_p50 = percentile(&mut times, 0.5);
    f.key_p99 = percentile(&mut times, 0.99);
    let (rss, hwm) = server.memory();
    f.rss_after = rss;
    f.key_hwm = hwm;
    if s.lenses {
        let mut lens = Vec::new();
        let mut action = Vec::new();
        let mut seen = Vec::new();
        for i in 0..edits.max(20) {
            let t0 = Instant::now();
            if server
                .request(
                    "textDocument/codeLens",
                    json!({"textDocument": {"uri": uri}}),
                    &mut seen,
                    Duration::from_secs(30),
                )
                .is_some()
            {
                lens.push(t0.elapsed());
            }
            let line = (i * 97) % text.lines().count().max(1);
            let t0 = Instant::now();
            if server
                .request(
                    "textDocument/codeAction",
                    json!({"textDocument": {"uri": uri},
                           "range": {"start": {"line": line, "character": 0}, "end": {"line": line, "character": 0}},
                           "context": {"diagnostics": []}}),
                    &mut seen,
                    Duration::from_secs(30),
                )
                .is_some()
            {
                action.push(t0.elapsed());
            }
        }
        f.lens_p99 = percentile(&mut lens, 0.99);
        f.action_p99 = percentile(&mut action, 0.99);
    }
    server.stop();
}

fn ms(d: Option<Duration>) -> String {
    match d {
        Some(d) if d.as_secs_f64() >= 1.0 => format!("{:.2} s", d.as_secs_f64()),
        Some(d) => format!("{:.2} ms", d.as_secs_f64() * 1000.0),
        None => "—".into(),
    }
}

fn ratio(a: Option<Duration>, floor: Option<Duration>) -> String {
    match (a, floor) {
        (Some(a), Some(f)) if f.as_secs_f64() > 0.0 => {
            format!("{:.1}x", a.as_secs_f64() / f.as_secs_f64())
        }
        _ => "—".into(),
    }
}

struct Args {
    quick: bool,
    out: Option<PathBuf>,
    peers: Option<PathBuf>,
    formats: Vec<Format>,
    work: PathBuf,
    peer_edits: usize,
}

fn args() -> Args {
    let mut a = Args {
        quick: false,
        out: None,
        peers: None,
        formats: vec![Format::Yaml, Format::Markdown],
        work: std::env::temp_dir().join(format!("specls-bench-{}", std::process::id())),
        peer_edits: 10,
    };
    let mut it = std::env::args().skip(1);
    while let Some(x) = it.next() {
        match x.as_str() {
            "--quick" => a.quick = true,
            "--out" => a.out = it.next().map(PathBuf::from),
            "--peers" => a.peers = it.next().map(PathBuf::from),
            "--peer-edits" => a.peer_edits = it.next().and_then(|v| v.parse().ok()).unwrap_or(10),
            "--work" => a.work = it.next().map(PathBuf::from).unwrap(),
            "--formats" => {
                a.formats = it
                    .next()
                    .unwrap_or_default()
                    .split(',')
                    .filter_map(Format::from_name)
                    .collect()
            }
            other => panic!("unknown argument {other}"),
        }
    }
    a
}

/// A JSON Schema of the YAML scenario format, for yaml-language-server.
const SCHEMA: &str = r#"{"$schema":"http://json-schema.org/draft-07/schema#","type":"object","required":["feature","scenarios"],"properties":{"feature":{"type":"string"},"description":{"type":"string"},"scenarios":{"type":"array","items":{"type":"object","required":["name","given","when","then"],"additionalProperties":false,"properties":{"name":{"type":"string"},"id":{"type":"string"},"tags":{"type":"array","items":{"type":"string"}},"given":{"anyOf":[{"type":"string"},{"type":"array","items":{"type":"string"}}]},"when":{"anyOf":[{"type":"string"},{"type":"array","items":{"type":"string"}}]},"then":{"anyOf":[{"type":"string"},{"type":"array","items":{"type":"string"}}]}}}}}}"#;

fn main() {
    let a = args();
    let exe = std::env::current_exe().unwrap();
    let examples = exe.parent().unwrap().to_path_buf();
    let bin = examples.parent().unwrap().to_path_buf();
    let specls = bin.join("specls").display().to_string();
    let floor = examples.join("lsp_floor").display().to_string();
    let (files, per, big, edits) = if a.quick {
        (20, 50, 500, 20)
    } else {
        (600, 50, 5000, 200)
    };
    let _ = std::fs::remove_dir_all(&a.work);
    std::fs::create_dir_all(&a.work).unwrap();
    let schema = a.work.join("scenario.schema.json");
    std::fs::write(&schema, SCHEMA).unwrap();

    let mut subjects: Vec<Subject> = Vec::new();
    for &format in &a.formats {
        let lang = language(format);
        subjects.push(Subject {
            label: "floor (does nothing)".into(),
            cmd: vec![floor.clone()],
            format,
            language: lang,
            options: json!({}),
            settings: Settings(json!({})),
            lenses: true,
            peer: false,
        });
        if format != Format::Feature {
            subjects.push(Subject {
                label: "specls".into(),
                cmd: vec![specls.clone(), "lsp".into()],
                format,
                language: lang,
                options: json!({"diagnosticsDelay": 0}),
                settings: Settings(json!({})),
                lenses: true,
                peer: false,
            });
        }
        if let Some(peers) = &a.peers {
            let bin = peers.join("node_modules/.bin");
            if format == Format::Feature && bin.join("cucumber-language-server").exists() {
                subjects.push(Subject {
                    label: "Cucumber language server 1.7".into(),
                    cmd: vec![
                        bin.join("cucumber-language-server").display().to_string(),
                        "--stdio".into(),
                    ],
                    format,
                    language: lang,
                    options: json!({}),
                    settings: Settings(
                        json!({"cucumber": {"features": ["**/*.feature"], "glue": []}}),
                    ),
                    lenses: false,
                    peer: true,
                });
            }
            if format == Format::Yaml && bin.join("yaml-language-server").exists() {
                let schemas = json!({ file_uri(&schema): "*.spec.yaml" });
                subjects.push(Subject {
                    label: "yaml-language-server 2.0 + JSON Schema".into(),
                    cmd: vec![
                        bin.join("yaml-language-server").display().to_string(),
                        "--stdio".into(),
                    ],
                    format,
                    language: lang,
                    options: json!({}),
                    settings: Settings(
                        json!({"yaml": {"validate": true, "schemas": schemas, "hover": false, "completion": false}}),
                    ),
                    lenses: false,
                    peer: true,
                });
            }
        }
    }

    let mut failed = false;
    let mut report = String::new();
    report.push_str(&format!(
        "# specls benchmark results\n\nGenerated by `examples/lsp_driver.rs`{} on {} (`nproc` = {}). Every figure comes from the same run; ratios are to the floor (a server that does no work) measured in that run. Corpus: `specls_core::corpus`, seed 1: {files} files of {per} scenarios, and one file of {big} scenarios.\n\n",
        if a.quick { " (--quick)" } else { "" },
        std::env::consts::OS,
        std::thread::available_parallelism().map_or(0, |n| n.get())
    ));
    for &format in &a.formats {
        let many = Corpus::generate(format, Shape::new(files, per, 1));
        let one = Corpus::generate(format, Shape::new(1, big, 1));
        let root_many = a.work.join(format!("{}-{files}", format.name()));
        let root_one = a.work.join(format!("{}-big", format.name()));
        many.write_to(&root_many).unwrap();
        one.write_to(&root_one).unwrap();
        report.push_str(&format!(
            "## {} ({} files, {:.1} MB; big file {:.2} MB)\n\nKeystrokes: {edits} for specls and the floor, {} for peers.\n\n| server | open {files} files → last diagnostics (all published, or none for 2 s) | ratio | keystroke → diagnostics p50 | p99 | ratio p50 | missed | code lens p99 | code action p99 | peak RSS, {files} files | RSS before → after typing |\n|---|---|---|---|---|---|---|---|---|---|---|\n",
            format.name(),
            many.files.len(),
            many.bytes() as f64 / 1e6,
            one.bytes() as f64 / 1e6,
            a.peer_edits
        ));
        let mut floor_fig: Option<Figures> = None;
        for s in subjects.iter().filter(|s| s.format == format) {
            eprintln!("{}: {} ...", format.name(), s.label);
            let mut f = open_all(
                s,
                &root_many,
                &many,
                Duration::from_secs(if a.quick { 60 } else { 300 }),
            );
            let n = if s.peer { a.peer_edits } else { edits };
            typing(s, &root_one, &one, n, &mut f);
            if s.label == "specls" && (f.key_missed > 0 || f.key_p50.is_none()) {
                failed = true;
            }
            let fl = floor_fig.clone().unwrap_or_default();
            report.push_str(&format!(
                "| {} | {}{} | {} | {} | {} | {} | {} | {} | {} | {:.0} MB | {:.0} → {:.0} MB |\n",
                s.label,
                ms(f.open),
                if f.open_files.0 < f.open_files.1 {
                    format!(" ({} of {} published)", f.open_files.0, f.open_files.1)
                } else {
                    String::new()
                },
                ratio(f.open, fl.open),
                ms(f.key_p50),
                ms(f.key_p99),
                ratio(f.key_p50, fl.key_p50),
                f.key_missed,
                if s.lenses {
                    ms(f.lens_p99)
                } else {
                    "n/a".into()
                },
                if s.lenses {
                    ms(f.action_p99)
                } else {
                    "n/a".into()
                },
                f.open_hwm,
                f.rss_before,
                f.rss_after,
            ));
            if floor_fig.is_none() {
                floor_fig = Some(f);
            }
        }
        report.push('\n');
    }
    let _ = std::fs::remove_dir_all(&a.work);
    print!("{report}");
    if let Some(out) = a.out {
        std::fs::write(out, &report).unwrap();
    }
    if failed {
        eprintln!("lsp_driver: specls missed keystrokes (no fresh diagnostics for an edit)");
        std::process::exit(1);
    }
}
