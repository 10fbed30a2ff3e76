use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// specls: a language server, CI checker and MCP server for spec-driven development.
#[derive(Parser)]
#[command(name = "specls", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check specs and print diagnostics (for CI).
    Check(specls::check::CheckArgs),
    /// Compile specs into code with an LLM or an agent CLI (dependencies first, only what changed).
    Compile(specls::compile::cli::CompileArgs),
    /// Propose missing edge-case scenarios for a spec (deterministic, offline).
    EdgeCases(specls::edge_cases::EdgeCasesArgs),
    /// Run the language server over stdin/stdout.
    Lsp,
    /// Serve the Model Context Protocol on stdio (for AI agents).
    Mcp(specls::mcp::McpArgs),
    /// Run the tests linked to scenarios and print each scenario's result.
    Test(specls::testrun::cli::TestArgs),
}

/// See Cargo.toml for the measurements behind it.
#[cfg(target_os = "linux")]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// jemalloc's options, read when it starts (`_RJEM_MALLOC_CONF` in the environment wins):
/// - freed pages go back to the system after one second instead of ten. Measured (benches
///   driver, typing phase, one run each): RSS while typing in the 5,000-scenario file grew
///   43 -> 53 MB (YAML) and 36 -> 46 MB (Markdown) with the default, 37 -> 40 and 36 -> 39 MB
///   with this; open and keystroke times unchanged (no decay at all doubled the keystroke p50);
/// - two arenas instead of four per core (eight here), so memory one thread frees is reused
///   by the others. Measured (benches driver, same binary, 600 files): peak RSS 117-122 ->
///   105-108 MB (YAML), 116-118 -> 105-108 MB (Markdown), four alternated open runs; open
///   156/186 -> 164/193 ms (medians, YAML/Markdown, within the runs' spread: 154-207 and
///   158-169 ms YAML); keystroke, code lens and RSS-while-typing figures alike over two full
///   runs each (one arena: the same memory, open 166/190 ms).
#[cfg(target_os = "linux")]
#[allow(non_upper_case_globals)]
#[export_name = "_rjem_malloc_conf"]
pub static malloc_conf: &[u8; 30] = b"dirty_decay_ms:1000,narenas:2\0";

fn main() -> ExitCode {
    specls::logging::init();
    let cli = Cli::parse();
    match cli.command {
        Command::Check(args) => specls::check::run(args),
        Command::Compile(args) => specls::compile::cli::run(args),
        Command::EdgeCases(args) => specls::edge_cases::run(args),
        Command::Lsp => specls::lsp::run(),
        Command::Mcp(args) => specls::mcp::run(args),
        Command::Test(args) => specls::testrun::cli::run(args),
    }
}
