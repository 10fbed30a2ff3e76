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

/// `specls lsp`: serve over stdin/stdout. Exit code 0 after `shutdown` + `exit`, 1 otherwise.
pub fn run() -> ExitCode {
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
