//! `specls edge-cases SPEC [--scenario ID | --requirement ID] [--llm] [--write]
//! [--format human|json]`: the deterministic edge-case generator on the command line. Prints
//! the proposals (each with why it matters and the exact text it would insert) or, with
//! `--write`, inserts them into the spec file atomically, marked as proposed so the author
//! approves each by removing the mark. With `--llm`, the model configured in `[llm]` (the
//! compile backends: OpenAI-compatible, Anthropic, or an agent CLI) proposes more; its answer
//! is validated and checked like the deterministic proposals, and an unusable answer writes
//! nothing.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use std::time::Duration;

use specls_core::compile::backend::{self, Provider};
use specls_core::compile::retry::{Attempts, Decision, Policy};
use specls_core::config::Config;
use specls_core::edge_cases::{self, Proposal, Target};
use specls_core::workspace::Workspace;

use crate::compile::{llm, Cancel, Secret};

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Human,
    Json,
}

#[derive(clap::Args, Debug)]
pub struct EdgeCasesArgs {
    /// The spec file to propose edge cases for.
    pub spec: PathBuf,
    /// Only for this scenario (its id, explicit or derived: `spec-name/scenario-name`).
    #[arg(long, conflicts_with = "requirement")]
    pub scenario: Option<String>,
    /// Only for the scenarios under this requirement.
    #[arg(long)]
    pub requirement: Option<String>,
    /// Also ask the model configured in `[llm]` of specls.toml for proposals.
    #[arg(long)]
    pub llm: bool,
    /// Insert the proposals into the spec file (atomically) instead of printing them.
    #[arg(long)]
    pub write: bool,
    #[arg(long, value_enum, default_value = "human")]
    pub format: Format,
}

/// The workspace root for a spec: the nearest folder above it with a `specls.toml` or `.git`,
/// else the spec's own folder.
fn workspace_root(spec: &Path) -> PathBuf {
    let start = spec.parent().map(Path::to_path_buf).unwrap_or_default();
    let mut dir = Some(start.as_path());
    while let Some(d) = dir {
        if d.join("specls.toml").is_file() || d.join(".git").exists() {
            return d.to_path_buf();
        }
        dir = d.parent();
    }
    start
}

/// An unusable model answer: a clear message, nothing printed or written, exit code 1.
fn fail_llm(msg: &str) -> u8 {
    eprintln!("specls edge-cases: {msg}");
    1
}

fn fail(msg: impl std::fmt::Display) -> ExitCode {
    eprintln!("specls edge-cases: {msg}");
    ExitCode::from(2)
}

/// What the model added: its proposals, what was dropped and why, and which model it was.
#[derive(Debug, Default)]
pub struct ModelProposals {
    pub proposals: Vec<Proposal>,
    pub dropped: Vec<String>,
    pub model: String,
}

/// The model's name for titles ("Propose edge cases with <model>"), if a backend is
/// configured: the model of an HTTP backend, or the agent CLI's program.
pub fn model_name(ws: &Workspace, config: &Config, rel: &str) -> Option<String> {
    let arr_model = specls_core::compile::targets::arrangement_for(ws, rel)
        .and_then(|(_, f)| f.doc.arrangement.as_ref().and_then(|a| a.model.clone()));
    let b = backend::resolve(&config.llm, arr_model.as_deref()).ok()?;
    Some(match b.provider {
        Provider::Command => {
            let words = b
                .command
                .as_deref()
                .and_then(specls_core::compile::split_command)?;
            let program = words.first()?;
            Path::new(program)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| program.clone())
        }
        _ => b.model.unwrap_or_else(|| b.provider.as_str().to_string()),
    })
}

/// How long an agent CLI may take to answer.
const AGENT_TIMEOUT: Duration = Duration::from_secs(300);

/// Most tokens a model may spend on one edge-case answer (compile allows
/// [`llm::MAX_TOKENS`]): six proposals in the strict JSON shape take well under a thousand.
pub const EDGE_CASE_MAX_TOKENS: u32 = 1_536;

/// The `response_format` for an OpenAI-compatible server: the answer's JSON schema (strict),
/// which OpenAI and llama.cpp's server both enforce.
fn schema_format(rows: bool) -> serde_json::Value {
    serde_json::json!({
        "type": "json_schema",
        "json_schema": {
            "name": "edge_cases",
            "strict": true,
            "schema": edge_cases::llm::answer_schema_for(rows)
        }
    })
}

/// Ask the configured model for more proposals for `target` of `rel` (after the deterministic
/// `already`). `Err` is a message for the user: no model configured, the server or agent
/// failed, or the answer was unusable (malformed, empty, nothing new) — then nothing is to be
/// inserted. `progress` hears what is going on ("asking …", "1234 bytes received").
#[allow(clippy::too_many_arguments)]
pub async fn ask_model(
    root: &Path,
    ws: &Workspace,
    config: &Config,
    rel: &str,
    target: &Target,
    already: &[Proposal],
    cancel: &Cancel,
    progress: &mut (dyn FnMut(String) + Send),
) -> Result<ModelProposals, String> {
    let file = ws
        .get(rel)
        .ok_or_else(|| format!("{rel} is not a spec specls reads"))?;
    let arr_model = specls_core::compile::targets::arrangement_for(ws, rel)
        .and_then(|(_, f)| f.doc.arrangement.as_ref().and_then(|a| a.model.clone()));
    let backend = backend::resolve(&config.llm, arr_model.as_deref())
        .map_err(|e| format!("no model to ask: {e}"))?;
    let ids = edge_cases::target_ids(ws, rel, target);
    let rows = edge_cases::target_row_ids(ws, rel, target);
    if ids.is_empty() && rows.is_empty() {
        return Err(format!(
            "{rel} has no scenario or example row a model's proposals could be written after"
        ));
    }
    let prompt = edge_cases::llm::prompt(rel, &file.text, &file.doc, &ids, &rows, already);
    let what = backend.describe();
    let model = match backend.provider {
        Provider::Command => model_name(ws, config, rel).unwrap_or_else(|| what.clone()),
        _ => backend.model.clone().unwrap_or_else(|| what.clone()),
    };
    progress(format!("asking {what}"));
    let answer = if backend.provider == Provider::Command {
        ask_agent(
            root,
            &backend,
            rel,
            &file.doc.name,
            &file.text,
            &prompt,
            cancel,
        )
        .await?
    } else {
        ask_http(&backend, &prompt, !rows.is_empty(), cancel, progress).await?
    };
    progress(format!("checking {} bytes of answer", answer.len()));
    let (items, mut dropped) = edge_cases::llm::parse_answer(&answer)
        .map_err(|e| format!("{e} ({what}); nothing proposed from it"))?;
    let (proposals, more) = edge_cases::propose_from_model(ws, rel, target, &items, already);
    dropped.extend(more);
    let mut seen = std::collections::BTreeSet::new();
    dropped.retain(|d| seen.insert(d.clone()));
    if proposals.is_empty() {
        return Err(format!(
            "the model proposed nothing new ({what}): {}; nothing proposed from it",
            dropped.join("; ")
        ));
    }
    Ok(ModelProposals {
        proposals,
        dropped,
        model,
    })
}

async fn ask_http(
    backend: &backend::Backend,
    prompt: &specls_core::compile::prompt::Prompt,
    rows: bool,
    cancel: &Cancel,
    progress: &mut (dyn FnMut(String) + Send),
) -> Result<String, String> {
    let key = match &backend.api_key_env {
        Some(name) => match Secret::from_env(name) {
            Some(k) => Some(k),
            None if backend.key_required => {
                return Err(format!("the environment variable {name} (named by [llm] api_key_env) is not set; specls reads API keys only from the environment"));
            }
            None => None,
        },
        None => None,
    };
    let mut body = llm::json_body(backend, prompt);
    // A few proposals fit in far fewer tokens than a compile's files; the cap also bounds a small
    // model that never closes its JSON (it would otherwise run until its context is full).
    body["max_tokens"] = serde_json::json!(EDGE_CASE_MAX_TOKENS);
    if backend.provider == Provider::OpenAi {
        body["response_format"] = schema_format(rows);
    }
    let client = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(15))
        .build()
        .map_err(|e| format!("cannot set up HTTP: {e}"))?;
    let what = backend.describe();
    let policy = Policy::default();
    let mut attempts = Attempts::default();
    let mut received = 0usize;
    loop {
        let mut on_text = |t: &str| {
            received += t.len();
            progress(format!("{received} bytes received"));
        };
        match llm::ask_body(
            &client,
            backend,
            key.as_ref(),
            &body,
            Duration::from_secs(120),
            cancel,
            &mut on_text,
        )
        .await
        {
            Ok(a) => return Ok(a.text),
            Err(f) => match policy.decide(&f, &mut attempts, &what) {
                Decision::RetryAfter(d) => {
                    tokio::select! {
                        _ = cancel.cancelled() => return Err("cancelled; nothing proposed".into()),
                        _ = tokio::time::sleep(d) => {}
                    }
                }
                Decision::RetryWithFeedback(m) | Decision::Fail(m) => {
                    return Err(crate::compile::mask(key.as_ref(), &m))
                }
            },
        }
    }
}

/// Read at most `limit` bytes of `r` (the rest is drained and dropped).
async fn read_bounded(mut r: impl tokio::io::AsyncRead + Unpin, limit: usize) -> Vec<u8> {
    use tokio::io::AsyncReadExt;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        match r.read(&mut chunk).await {
            Ok(0) | Err(_) => return buf,
            Ok(n) => {
                let room = limit.saturating_sub(buf.len());
                buf.extend_from_slice(&chunk[..n.min(room)]);
            }
        }
    }
}

/// The agent CLI backend (`[llm] provider = "command"`): the prompt goes to a file, the
/// template is run in the workspace root with `{prompt_file}`, `{output_file}`, `{name}`,
/// `{spec}` and `{root}` filled in, and the answer is the JSON the agent wrote to
/// `{output_file}` — or, when it wrote none there, what it printed on stdout. The agent must
/// not change the spec: if it did, the spec is put back and nothing is proposed.
async fn ask_agent(
    root: &Path,
    backend: &backend::Backend,
    rel: &str,
    name: &str,
    spec_text: &str,
    prompt: &specls_core::compile::prompt::Prompt,
    cancel: &Cancel,
) -> Result<String, String> {
    let template = backend.command.as_deref().ok_or(
        "[llm] provider = \"command\" needs `command` (for example `claude -p {prompt_file}`)",
    )?;
    let prompt_file = crate::compile::agent::prompt_path(root, &format!("{name}.edge-cases"))
        .map_err(|e| format!("cannot create .specls/prompts: {e}"))?;
    let output_file = prompt_file.with_extension("json");
    let _ = std::fs::remove_file(&output_file);
    let text = format!(
        "{}\n\n{}\nWrite the JSON object, and nothing else, to the file `{}` (or print it on stdout). Do not change any other file.\n",
        prompt.system,
        prompt
            .messages
            .iter()
            .map(|m| m.content.as_str())
            .collect::<Vec<_>>()
            .join("\n\n"),
        output_file.display()
    );
    if let Some(dir) = prompt_file.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    crate::fsutil::write_atomic(&prompt_file, text.as_bytes())
        .map_err(|e| format!("cannot write the prompt {}: {e}", prompt_file.display()))?;
    let (pf, of, rt) = (
        prompt_file.to_string_lossy().into_owned(),
        output_file.to_string_lossy().into_owned(),
        root.to_string_lossy().into_owned(),
    );
    let argv = crate::compile::agent::command_line(
        template,
        &[
            ("prompt_file", pf.as_str()),
            ("output_file", of.as_str()),
            ("name", name),
            ("spec", rel),
            ("root", rt.as_str()),
        ],
    )?;
    let mut child = crate::compile::agent::spawn_agent(&argv, root)?;
    let limit = specls_core::compile::MAX_ANSWER_BYTES;
    let out = tokio::spawn(read_bounded(child.stdout.take().expect("piped"), limit));
    let err = tokio::spawn(read_bounded(child.stderr.take().expect("piped"), 4_000));
    let status = tokio::select! {
        _ = cancel.cancelled() => None,
        r = tokio::time::timeout(AGENT_TIMEOUT, child.wait()) => Some(r),
    };
    if status.as_ref().is_none_or(|s| s.is_err()) {
        crate::compile::agent::kill_group(&mut child).await;
    }
    let stdout = out.await.unwrap_or_default();
    let stderr = String::from_utf8_lossy(&err.await.unwrap_or_default())
        .trim()
        .to_string();
    // The spec is the user's: an agent that changed it is undone.
    let spec_path = root.join(rel);
    if std::fs::read(&spec_path).is_ok_and(|now| now != spec_text.as_bytes()) {
        let _ = crate::fsutil::write_atomic(&spec_path, spec_text.as_bytes());
        let _ = std::fs::remove_file(&output_file);
        return Err(format!(
            "the agent `{}` changed {rel}; it was put back as it was and nothing is proposed (the agent must only write {})",
            argv[0],
            output_file.display()
        ));
    }
    let status = match status {
        None => {
            let _ = std::fs::remove_file(&output_file);
            return Err("cancelled; the agent was stopped and nothing proposed".into());
        }
        Some(Err(_)) => {
            let _ = std::fs::remove_file(&output_file);
            return Err(format!(
                "the agent `{}` did not finish within {} s; stopped, nothing proposed",
                argv[0],
                AGENT_TIMEOUT.as_secs()
            ));
        }
        Some(Ok(Err(e))) => return Err(format!("waiting for the agent failed: {e}")),
        Some(Ok(Ok(s))) => s,
    };
    if !status.success() {
        let _ = std::fs::remove_file(&output_file);
        return Err(format!(
            "the agent `{}` exited with {status}; nothing proposed{}",
            argv[0],
            if stderr.is_empty() {
                String::new()
            } else {
                format!(": {stderr}")
            }
        ));
    }
    let written = std::fs::read(&output_file).ok().filter(|b| !b.is_empty());
    let _ = std::fs::remove_file(&output_file);
    let bytes = match written {
        Some(mut b) => {
            b.truncate(limit);
            b
        }
        None => stdout,
    };
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// Apply every insertion to `text`; proposals at the same offset keep their order.
fn apply_all(text: &str, proposals: &[Proposal]) -> String {
    let mut order: Vec<usize> = (0..proposals.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse((proposals[i].edit.span.start, i)));
    let mut out = text.to_string();
    for i in order {
        out = edge_cases::apply(&out, &proposals[i].edit);
    }
    out
}

pub fn run(args: EdgeCasesArgs) -> ExitCode {
    let cwd = std::env::current_dir().unwrap_or_default();
    let spec = crate::files::absolute(&cwd, &args.spec);
    if !spec.is_file() {
        return fail(format!("{} is not a file", args.spec.display()));
    }
    let root = workspace_root(&spec);
    let config = match std::fs::read_to_string(root.join("specls.toml")) {
        Ok(text) => Config::from_toml(&text).0,
        Err(_) => Config::default(),
    };
    let (ws, errors) = crate::files::load_with(&root, std::slice::from_ref(&root), &config);
    for (path, e) in errors {
        eprintln!("specls edge-cases: cannot read {path}: {e}");
    }
    let rel = crate::files::rel_path(&root, &spec);
    let Some(file) = ws.get(&rel) else {
        return fail(format!(
            "{} is not a spec that specls reads",
            args.spec.display()
        ));
    };
    let target = match (&args.scenario, &args.requirement) {
        (Some(id), _) => {
            if !file.doc.scenarios.iter().any(|s| &s.id == id) {
                let ids: Vec<&str> = file.doc.scenarios.iter().map(|s| s.id.as_str()).collect();
                return fail(format!(
                    "no scenario `{id}` in {}; its scenarios: {}",
                    args.spec.display(),
                    ids.join(", ")
                ));
            }
            Target::Scenario(id.clone())
        }
        (None, Some(req)) => Target::Requirement(req.clone()),
        (None, None) => Target::Spec,
    };
    let counted = edge_cases::propose_counted(&ws, &rel, target.clone());
    let cap_note = counted.cap_note();
    let held_back = counted.held_back;
    let mut proposals = counted.proposals;
    if args.llm {
        let rt = match tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        {
            Ok(rt) => rt,
            Err(e) => return fail(format!("cannot start the runtime: {e}")),
        };
        let asked = rt.block_on(ask_model(
            &root,
            &ws,
            &config,
            &rel,
            &target,
            &proposals,
            &Cancel::new(),
            &mut |_| {},
        ));
        match asked {
            Ok(m) => {
                for d in &m.dropped {
                    eprintln!("specls edge-cases: dropped a proposal of {}: {d}", m.model);
                }
                eprintln!(
                    "specls edge-cases: {} proposals from {}",
                    m.proposals.len(),
                    m.model
                );
                proposals.extend(m.proposals);
            }
            Err(e) => {
                return ExitCode::from(fail_llm(&e));
            }
        }
    }
    if args.write {
        if proposals.is_empty() {
            eprintln!("specls edge-cases: no proposals for {rel}; nothing written");
            return ExitCode::SUCCESS;
        }
        // Never overwrite a change made since we read the file.
        match std::fs::read(&spec) {
            Ok(now) if now == file.text.as_bytes() => {}
            Ok(_) => {
                return fail(format!(
                    "{rel} changed while proposals were computed; nothing written"
                ))
            }
            Err(e) => return fail(format!("cannot read {rel}: {e}")),
        }
        let new_text = apply_all(&file.text, &proposals);
        if let Err(e) = crate::fsutil::write_atomic(&spec, new_text.as_bytes()) {
            return fail(format!("cannot write {rel}: {e}; the file is unchanged"));
        }
        eprintln!("specls edge-cases: inserted {} proposed scenarios into {rel}; review them and remove the `proposed` mark from those you keep", proposals.len());
        if let Some(n) = &cap_note {
            eprintln!("specls edge-cases: {n}");
        }
        return ExitCode::SUCCESS;
    }
    let mut out = String::new();
    match args.format {
        Format::Json => {
            let value =
                serde_json::json!({ "spec": rel, "proposals": proposals, "held_back": held_back });
            out.push_str(&serde_json::to_string_pretty(&value).unwrap_or_default());
            out.push('\n');
        }
        Format::Human => {
            for (i, p) in proposals.iter().enumerate() {
                out.push_str(&format!(
                    "{}. {} [{}] (from `{}`)\n",
                    i + 1,
                    p.name,
                    serde_json::to_value(p.kind)
                        .ok()
                        .and_then(|v| v.as_str().map(String::from))
                        .unwrap_or_default(),
                    p.derived_from
                ));
                out.push_str(&format!("   why: {}\n", p.rationale));
                for line in p.edit.new_text.trim_matches('\n').lines() {
                    out.push_str(&format!("   + {line}\n"));
                }
                out.push('\n');
            }
            out.push_str(&format!(
                "specls: {} proposed scenarios for {rel} (run again with --write to insert them)\n",
                proposals.len()
            ));
            if let Some(n) = &cap_note {
                out.push_str(&format!("specls: {n}\n"));
            }
        }
    }
    let mut stdout = std::io::stdout().lock();
    if stdout
        .write_all(out.as_bytes())
        .and_then(|_| stdout.flush())
        .is_err()
    {
        return ExitCode::from(2);
    }
    ExitCode::SUCCESS
}
