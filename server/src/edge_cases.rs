//! `specls edge-cases SPEC [--scenario ID | --requirement ID] [--write] [--format human|json]`:
//! the deterministic edge-case generator on the command line. Prints the proposals (each with
//! why it matters and the exact text it would insert) or, with `--write`, inserts them into the
//! spec file atomically, marked as proposed so the author approves each by removing the mark.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use specls_core::config::Config;
use specls_core::edge_cases::{self, Proposal, Target};

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

fn fail(msg: impl std::fmt::Display) -> ExitCode {
    eprintln!("specls edge-cases: {msg}");
    ExitCode::from(2)
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
    let proposals = edge_cases::propose(&ws, &rel, target);
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
