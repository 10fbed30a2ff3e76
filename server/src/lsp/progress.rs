//! Server-initiated progress: the one `window/workDoneProgress/create` round trip every
//! long-running action (indexing, test runs, guardian plans, compiles) starts with.

use std::time::Duration;

use tower_lsp_server::lsp_types::{request, NumberOrString, WorkDoneProgressCreateParams};
use tower_lsp_server::Client;

/// Ask the client to create the progress `token`; true when it answered within `wait`. A client
/// that errs or is slow gets no progress for this action (the action itself goes on).
pub async fn create(client: &Client, token: &NumberOrString, wait: Duration) -> bool {
    let created = tokio::time::timeout(
        wait,
        client.send_request::<request::WorkDoneProgressCreate>(WorkDoneProgressCreateParams {
            token: token.clone(),
        }),
    )
    .await;
    matches!(created, Ok(Ok(())))
}
