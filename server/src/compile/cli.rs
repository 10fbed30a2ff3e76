//! `specls compile [SPEC...] [--force] [--overwrite-edited | --skip-edited | --keep-both]`:
//! compile specs (by path or name; none: every spec an arrangement applies to), dependencies
//! first, only what changed since the last compile unless forced. Progress on stderr, a summary
//! on stdout. Hand-edited files: asked on a terminal, else skipped with a message unless a flag
//! says otherwise. Ctrl-C cancels: nothing more is written.

use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use futures::future::BoxFuture;
use specls_core::config::Config;

use super::run::{self, Choice, EditedFile, Event, Host, OnEdited, Request, Status};
use super::Cancel;

#[derive(clap::Args, Debug)]
pub struct CompileArgs {
    /// Specs to compile (paths or names); none: every spec an arrangement applies to.
    pub specs: Vec<String>,
    /// Compile even when nothing changed since the last compile.
    #[arg(long)]
    pub force: bool,
    /// Replace files edited by hand since the last compile (default: ask on a terminal, else skip).
    #[arg(long, conflicts_with_all = ["skip_edited", "keep_both"])]
    pub overwrite_edited: bool,
    /// Keep files edited by hand as they are.
    #[arg(long, conflicts_with = "keep_both")]
    pub skip_edited: bool,
    /// Keep files edited by hand and write the new version next to them (`<file>.specls-new`).
    #[arg(long)]
    pub keep_both: bool,
    /// Workspace root (default: the nearest folder with specls.toml or .git above the current one).
    #[arg(long)]
    pub root: Option<PathBuf>,
    /// Print the summary as JSON.
    #[arg(long)]
    pub json: bool,
}

fn find_root(start: &Path) -> PathBuf {
    let mut dir = Some(start);
    while let Some(d) = dir {
        if d.join("specls.toml").is_file() || d.join(".git").exists() {
            return d.to_path_buf();
        }
        dir = d.parent();
    }
    start.to_path_buf()
}

struct Terminal {
    ask: bool,
}

impl Host for Terminal {
    fn event(&self, e: &Event) {
        let line = match e {
            Event::Planned { order, up_to_date } => {
                if order.is_empty() {
                    format!("nothing to compile ({} up to date)", up_to_date.len())
                } else {
                    format!(
                        "compiling {} spec(s): {} ({} up to date)",
                        order.len(),
                        order.join(", "),
                        up_to_date.len()
                    )
                }
            }
            Event::Started {
                spec,
                reason,
                backend,
            } => format!("{spec}: {reason}; asking {backend}"),
            Event::Running { spec, command } => format!("{spec}: running {command}"),
            Event::Received { spec, bytes, files } => {
                format!("{spec}: received {bytes} bytes, {files} file(s) complete")
            }
            Event::Retrying { spec, why, wait_ms } => {
                if *wait_ms > 0 {
                    format!(
                        "{spec}: {why}; retrying in {:.1} s",
                        *wait_ms as f64 / 1000.0
                    )
                } else {
                    format!("{spec}: {why}; asking again with the error explained")
                }
            }
            Event::Wrote { spec, files } => format!(
                "{spec}: wrote {}",
                if files.is_empty() {
                    "nothing new".to_string()
                } else {
                    files.join(", ")
                }
            ),
            Event::Kept { spec, note, .. } => format!("{spec}: {note}"),
            Event::Recovered { note } => note.clone(),
            Event::Built {
                spec,
                key,
                ok,
                output,
            } => {
                let mut s = format!("{spec}: `{key}` {}", if *ok { "passed" } else { "FAILED" });
                if !ok && !output.is_empty() {
                    s.push('\n');
                    s.push_str(output);
                }
                s
            }
            Event::Finished {
                spec,
                status,
                message,
            } => format!("{spec}: {} — {message}", status_word(*status)),
        };
        eprintln!("specls compile: {line}");
    }

    fn ask(&self, spec: &str, files: &[EditedFile]) -> BoxFuture<'static, Choice> {
        let list: Vec<String> = files
            .iter()
            .map(|f| format!("  {} ({})", f.path, f.why))
            .collect();
        let spec = spec.to_string();
        let interactive = self.ask;
        Box::pin(async move {
            if !interactive {
                eprintln!(
                    "specls compile: {spec}: not replacing files changed by hand (use --overwrite-edited or --keep-both):\n{}",
                    list.join("\n")
                );
                return Choice::Skip;
            }
            tokio::task::spawn_blocking(move || {
                eprintln!(
                    "specls compile: {spec}: these files changed since specls wrote them:\n{}",
                    list.join("\n")
                );
                loop {
                    eprint!("[o]verwrite, [s]kip, [k]eep both? ");
                    let _ = std::io::stderr().flush();
                    let mut line = String::new();
                    if std::io::stdin().lock().read_line(&mut line).unwrap_or(0) == 0 {
                        return Choice::Skip;
                    }
                    match line.trim().to_ascii_lowercase().as_str() {
                        "o" | "overwrite" => return Choice::Overwrite,
                        "s" | "skip" | "" => return Choice::Skip,
                        "k" | "keep" | "keep both" | "b" => return Choice::KeepBoth,
                        _ => {}
                    }
                }
            })
            .await
            .unwrap_or(Choice::Skip)
        })
    }
}

fn status_word(s: Status) -> &'static str {
    match s {
        Status::Compiled => "compiled",
        Status::UpToDate => "up to date",
        Status::Skipped => "skipped",
        Status::Failed => "FAILED",
        Status::Cancelled => "cancelled",
    }
}

fn fail(msg: impl std::fmt::Display) -> ExitCode {
    eprintln!("specls compile: {msg}");
    ExitCode::from(2)
}

pub fn run(args: CompileArgs) -> ExitCode {
    let cwd = std::env::current_dir().unwrap_or_default();
    let root = match &args.root {
        Some(r) => crate::files::absolute(&cwd, r),
        None => find_root(&cwd),
    };
    if !root.is_dir() {
        return fail(format!("{} is not a folder", root.display()));
    }
    let config = match std::fs::read_to_string(root.join("specls.toml")) {
        Ok(text) => {
            let (config, issues) = Config::from_toml(&text);
            for i in issues {
                eprintln!("specls compile: specls.toml: {i}");
            }
            config
        }
        Err(_) => Config::default(),
    };
    let (ws, errors) = crate::files::load_with(&root, std::slice::from_ref(&root), &config);
    for (path, e) in errors {
        eprintln!("specls compile: cannot read {path}: {e}");
    }
    let mut specs = Vec::new();
    for s in &args.specs {
        let as_path = crate::files::absolute(&cwd, Path::new(s));
        let rel = crate::files::rel_path(&root, &as_path);
        if ws.get(&rel).is_some() {
            specs.push(rel);
        } else if let Some((p, _)) = ws
            .files
            .iter()
            .find(|(_, f)| f.doc.name == *s && specls_core::manifest::is_spec(&f.doc))
        {
            specs.push(p.clone());
        } else {
            return fail(format!(
                "`{s}` is neither a spec file nor the name of a spec in {}",
                root.display()
            ));
        }
    }
    let mut req = Request::new(root.clone(), Arc::new(ws), config);
    req.specs = specs;
    req.force = args.force;
    req.on_edited = if args.overwrite_edited {
        OnEdited::Overwrite
    } else if args.skip_edited {
        OnEdited::Skip
    } else if args.keep_both {
        OnEdited::KeepBoth
    } else {
        OnEdited::Ask
    };
    let host = Arc::new(Terminal {
        ask: std::io::stdin().is_terminal() && std::io::stderr().is_terminal(),
    });
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return fail(format!("cannot start the runtime: {e}")),
    };
    let summary = rt.block_on(async move {
        let cancel = Cancel::new();
        let c = cancel.clone();
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                eprintln!("specls compile: cancelling; nothing more will be written");
                c.cancel();
            }
        });
        run::compile(req, host, cancel).await
    });
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&summary).unwrap_or_default()
        );
    } else {
        for r in &summary.results {
            println!("{:<11} {}: {}", status_word(r.status), r.spec, r.message);
        }
        println!(
            "{} compiled, {} up to date, {} failed, {} cancelled",
            summary.count(Status::Compiled),
            summary.count(Status::UpToDate),
            summary.count(Status::Failed),
            summary.count(Status::Cancelled)
        );
    }
    if summary.ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
