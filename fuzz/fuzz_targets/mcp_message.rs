//! Any lines as MCP messages to a server over a small workspace: every line gets at most one
//! JSON-RPC answer and the server goes on (a following valid request is still answered).
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;

fn root() -> &'static PathBuf {
    static ROOT: OnceLock<PathBuf> = OnceLock::new();
    ROOT.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("specls-fuzz-mcp-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("specs")).unwrap();
        std::fs::write(
            dir.join("specs/tasks.spec.yaml"),
            "feature: Tasks\nscenarios:\n  - name: Create a task\n    given: I am signed in\n    when: I create a task\n    then: The task exists\n",
        )
        .unwrap();
        dir
    })
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut server = specls::mcp::Server::new(root().clone(), false);
    for line in text.lines().take(64) {
        if let Some(answer) = specls::mcp::handle_line(&mut server, line) {
            assert_eq!(answer["jsonrpc"], "2.0", "{answer}");
        }
    }
    let ping = specls::mcp::handle_line(
        &mut server,
        r#"{"jsonrpc":"2.0","id":"last","method":"ping"}"#,
    )
    .expect("ping is answered");
    assert_eq!(ping["id"], "last");
});
