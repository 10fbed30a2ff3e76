//! Any bytes as the language server's input stream (framing, JSON, requests in any order), then
//! end of input: the server never panics, and always ends the session.
#![no_main]

use std::sync::OnceLock;
use std::time::Duration;

use libfuzzer_sys::fuzz_target;

fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap()
    })
}

fuzz_target!(|data: &[u8]| {
    let input = data.to_vec();
    let ended = runtime().block_on(async move {
        tokio::time::timeout(
            Duration::from_secs(20),
            specls::lsp::serve(std::io::Cursor::new(input), tokio::io::sink()),
        )
        .await
    });
    assert!(
        ended.is_ok(),
        "the server did not end after its input ended"
    );
});
