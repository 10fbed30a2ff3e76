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

/// Serve one session over the given streams (a duplex pipe in tests).
pub async fn serve<I, O>(input: I, output: O) -> Ended
where
    I: AsyncRead + Unpin,
    O: AsyncWrite + Unpin + Send + 'static,
{
    let (service, socket) = service();
    transport::serve(input, output, service, socket).await
}

/// Serve one session over `input` and standard output.
pub async fn serve_stdio<I>(input: I) -> Ended
where
    I: AsyncRead + Unpin,
{
    let (service, socket) = service();
    transport::serve_stdout(input, service, socket).await
}

fn service() -> (LspService<server::Backend>, tower_lsp_server::ClientSocket) {
    LspService::build(server::Backend::new)
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
        .finish()
}

/// A bigger buffer between the server and the client (Linux, best effort), so that a big
/// answer is written at once: a spec's 5,000 code lenses are half a megabyte, and through a
/// pipe of 64 KiB (the default) the writer waits for the client to read each 64 KiB before
/// writing the next, two processes waking each other eight times per answer (on a busy
/// machine, each wake-up can wait for a time slice). Standard output is a pipe for clients
/// that start the server with Rust's `Command`, Python's `subprocess` and the like, and a
/// socket for those built on libuv (VS Code, Neovim), whose send buffer the kernel caps
/// (`net.core.wmem_max`). Anything else (a file, a terminal) is left as it is.
fn widen_output() {
    #[cfg(target_os = "linux")]
    {
        const WANT: libc::c_int = 1 << 20;
        // SAFETY: fcntl and setsockopt on standard output only set the size of its kernel
        // buffer; on another kind of file they fail (EBADF, ENOTSOCK) and change nothing.
        unsafe {
            // Unprivileged, a pipe may grow to `fs.pipe-max-size` (1 MiB by default).
            let mut size = WANT;
            while size >= 128 * 1024 && libc::fcntl(1, libc::F_SETPIPE_SZ, size) < 0 {
                size /= 2;
            }
            if libc::fcntl(1, libc::F_GETPIPE_SZ) < 0 {
                let len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
                let want: *const libc::c_int = &WANT;
                libc::setsockopt(1, libc::SOL_SOCKET, libc::SO_SNDBUF, want.cast(), len);
            }
        }
    }
}

/// `specls lsp`: serve over stdin/stdout. Exit code 0 after `shutdown` + `exit`, 1 otherwise.
pub fn run() -> ExitCode {
    widen_output();
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
    let ended = runtime.block_on(serve_stdio(tokio::io::stdin()));
    runtime.shutdown_timeout(std::time::Duration::from_millis(200));
    match ended {
        Ended::Clean => ExitCode::SUCCESS,
        Ended::ExitWithoutShutdown | Ended::Eof => ExitCode::FAILURE,
    }
}
