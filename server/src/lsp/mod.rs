//! `specls lsp`: the language server front end. The only module that knows LSP types; it
//! converts between them and the core's byte-offset model at the edge.

pub mod compile;
pub mod diagnostics;
pub mod drift;
pub mod guardian;
pub mod handlers;
pub mod index;
pub mod paths;
pub mod position;
pub mod progress;
pub mod run;
pub mod server;
pub mod settings;
pub mod state;
pub mod testing;
pub mod transport;

use std::process::ExitCode;

use tokio::io::{AsyncRead, AsyncWrite};
use tower_lsp_server::LspService;

pub use transport::Ended;

/// Serve one session over the given streams (stdio in production, a duplex pipe in tests).
pub async fn serve<I, O>(input: I, output: O) -> Ended
where
    I: AsyncRead + Unpin,
    O: AsyncWrite + Unpin + Send + 'static,
{
    let (service, socket) = LspService::build(server::Backend::new)
        .custom_method(
            "specls/debug/documentText",
            server::Backend::debug_document_text,
        )
        .custom_method("specls/debug/sleep", server::Backend::debug_sleep)
        .custom_method("specls/debug/panic", server::Backend::debug_panic)
        .custom_method(
            handlers::scenarios::METHOD,
            server::Backend::scenarios_request,
        )
        .finish();
    transport::serve(input, output, service, socket).await
}

/// One malloc arena for the whole process (glibc only).
///
/// glibc gives threads their own arenas (up to 8 per core); the server's threads (the async
/// runtime, its blocking pool, the state owner, the loader and the scoped threads that parse and
/// check on every core) allocate in one arena and free in another, and memory freed in an arena
/// is reused only by that arena. Measured on the 600-file workspace (benches/run, open phase):
/// resident memory grew from 170 to 227 MB over 200 keystrokes with the default arenas, to 187 MB
/// with two, and stayed at 175 MB with one, opening no slower. Per-thread caches (tcache) keep
/// small allocations off the arena lock.
fn single_malloc_arena() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets a parameter of the allocator (under its own lock); called
    // before the runtime and the server threads start.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 1);
    }
}

/// `specls lsp`: serve over stdin/stdout. Exit code 0 after `shutdown` + `exit`, 1 otherwise.
pub fn run() -> ExitCode {
    single_malloc_arena();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("specls-lsp")
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            tracing::error!("cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let ended = runtime.block_on(serve(tokio::io::stdin(), tokio::io::stdout()));
    runtime.shutdown_timeout(std::time::Duration::from_millis(200));
    match ended {
        Ended::Clean => ExitCode::SUCCESS,
        Ended::ExitWithoutShutdown | Ended::Eof => ExitCode::FAILURE,
    }
}
