//! `specls check`: diagnostics for CI (being written; issue 2).
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct CheckArgs {
    /// Files or folders to check (default: the current folder).
    pub paths: Vec<std::path::PathBuf>,
}

pub fn run(args: CheckArgs) -> ExitCode {
    let root = std::env::current_dir().unwrap_or_default();
    let paths = if args.paths.is_empty() {
        vec![root.clone()]
    } else {
        args.paths
    };
    let (ws, _errors) = crate::files::load(&root, &paths);
    let _ = specls_core::checks::check_workspace(&ws, &specls_core::config::Config::default());
    let mut n = 0;
    for doc in ws.docs() {
        n += doc.diagnostics.len();
    }
    eprintln!("{} files, {n} diagnostics", ws.files.len());
    ExitCode::SUCCESS
}
