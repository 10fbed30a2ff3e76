//! `specls edge-cases SPEC [--scenario ID | --requirement ID] [--llm] [--write]
//! [--format human|json]`: the deterministic edge-case generator on the command line. Prints
//! the proposals (each with why it matters and the exact text it would insert) or, with
//! `--write`, inserts them into the spec file atomically, marked as proposed so the author
//! approves each by removing the mark. With `--llm`, the model configured in `[llm]` (the
//! compile backends: OpenAI-compatible or Anthropic) proposes more; its answer is validated and
//! checked like the deterministic proposals, and an unusable answer writes nothing.

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

/// The model's name for titles ("Propose edge cases with <model>"), if one is configured for
/// an HTTP backend.
pub fn model_name(ws: &Workspace, config: &Config, rel: &str) -> Option<String> {
    let arr_model = specls_core::compile::targets::arrangement_for(ws, rel)
        .and_then(|(_, f)| f.doc.arrangement.as_ref().and_then(|a| a.model.clone()));
    let b = backend::resolve(&config.llm, arr_model.as_deref()).ok()?;
    (b.provider != Provider::Command)
        .then(|| b.model.unwrap_or_else(|| b.provider.as_str().to_string()))
}

/// Ask the configured model for more proposals for `target` of `rel` (after the deterministic
/// `already`). `Err` is a message for the user: no model configured, the server failed, or the
/// answer was unusable (malformed, empty, nothing new) — then nothing is to be inserted.
pub async fn ask_model(
    ws: &Workspace,
    config: &Config,
    rel: &str,
    target: &Target,
    already: &[Proposal],
    cancel: &Cancel,
) -> Result<ModelProposals, String> {
    let file = ws
        .get(rel)
        .ok_or_else(|| format!("{rel} is not a spec specls reads"))?;
    let arr_model = specls_core::compile::targets::arrangement_for(ws, rel)
        .and_then(|(_, f)| f.doc.arrangement.as_ref().and_then(|a| a.model.clone()));
    let backend = backend::resolve(&config.llm, arr_model.as_deref())
        .map_err(|e| format!("no model to ask: {e}"))?;
    if backend.provider == Provider::Command {
        return Err("edge cases need an HTTP model ([llm] provider = \"openai\" or \"anthropic\"); an agent CLI backend is not asked for them".into());
    }
    let ids = edge_cases::target_ids(ws, rel, target);
    if ids.is_empty() {
        return Err(format!(
            "{rel} has no scenario a model's proposals could be written after"
        ));
    }
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
    let prompt = edge_cases::llm::prompt(rel, &file.text, &file.doc, &ids, already);
    let body = llm::json_body(&backend, &prompt);
    let client = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(15))
        .build()
        .map_err(|e| format!("cannot set up HTTP: {e}"))?;
    let what = backend.describe();
    let policy = Policy::default();
    let mut attempts = Attempts::default();
    let answer = loop {
        match llm::ask_body(
            &client,
            &backend,
            key.as_ref(),
            &body,
            Duration::from_secs(120),
            cancel,
            &mut |_| {},
        )
        .await
        {
            Ok(a) => break a,
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
    };
    let model = backend.model.clone().unwrap_or_else(|| what.clone());
    let (items, mut dropped) = edge_cases::llm::parse_answer(&answer.text)
        .map_err(|e| format!("{e} ({what}); nothing proposed from it"))?;
    let (proposals, more) = edge_cases::propose_from_model(ws, rel, target, &items, already);
    dropped.extend(more);
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
    let mut proposals = edge_cases::propose(&ws, &rel, target.clone());
    if args.llm {
        let rt = match tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        {
            Ok(rt) => rt,
            Err(e) => return fail(format!("cannot start the runtime: {e}")),
        };
        let asked = rt.block_on(ask_model(
            &ws,
            &config,
            &rel,
            &target,
            &proposals,
            &Cancel::new(),
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
        return ExitCode::SUCCESS;
    }
    let mut out = String::new();
    match args.format {
        Format::Json => {
            let value = serde_json::json!({ "spec": rel, "proposals": proposals });
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
