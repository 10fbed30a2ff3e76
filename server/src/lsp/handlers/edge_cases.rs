//! `specls.proposeEdgeCases` (`{uri, scenario?, requirement?}`): the deterministic edge-case
//! proposals for a scenario, a requirement or a whole spec, sent to the client as one
//! `workspace/applyEdit` so the user sees every inserted scenario (marked as proposed) and can
//! keep, change or undo them. The edit is sent from a spawned task, never awaited in the handler.

use std::collections::HashMap;

use serde::Deserialize;
use serde_json::{json, Value};
use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::lsp_types::*;

use specls_core::edge_cases::{self, Target};

use super::convert::{doc, range, Doc};
use crate::lsp::server::{blocking, invalid_params, Backend};
use crate::lsp::state::Snapshot;

#[derive(Deserialize)]
struct Args {
    uri: Uri,
    #[serde(default)]
    scenario: Option<String>,
    #[serde(default)]
    requirement: Option<String>,
    /// Set by a code action that carries the proposals' edit itself: the client applied it
    /// before running the command, so nothing is proposed again.
    #[serde(default)]
    inserted: Option<Vec<String>>,
}

/// Above this many scenarios, rows and constraints, a whole-spec code action carries only the
/// command: the proposals are computed when it runs, not on every code-action request.
pub const EAGER_SPEC_LIMIT: usize = 24;
/// Above this many, a scenario's or a requirement's code action carries only the command too:
/// checking its proposals against the spec checks the whole spec again (about 0.1 ms a
/// scenario: most of a second for a spec of 5,000 scenarios), and editors ask for code actions
/// at every move of the cursor.
pub const EAGER_ONE_LIMIT: usize = 64;

/// Give a `specls.proposeEdgeCases` code action its edit, so a client applies the proposals
/// without a round-trip: the title says how many, and the command's arguments name them
/// (`inserted`), so running the command afterwards does not insert them again. An action with
/// nothing to propose keeps its plain command (which tells the user so).
pub fn with_edit(snap: &Snapshot, d: &Doc, uri: &Uri, action: &mut CodeAction) {
    let Some(cmd) = action.command.as_mut() else {
        return;
    };
    if cmd.command != super::commands::PROPOSE_EDGE_CASES {
        return;
    }
    let Some(args) = cmd
        .arguments
        .as_ref()
        .and_then(|a| a.first())
        .and_then(|v| serde_json::from_value::<Args>(v.clone()).ok())
    else {
        return;
    };
    let size = snap.file(&d.key).map_or(usize::MAX, |f| {
        f.doc.scenarios.len() + f.doc.examples.len() + f.doc.constraints.len()
    });
    let target = match (&args.scenario, &args.requirement) {
        _ if size > EAGER_ONE_LIMIT => return,
        (Some(id), _) => Target::Scenario(id.clone()),
        (None, Some(r)) => Target::Requirement(r.clone()),
        (None, None) if size > EAGER_SPEC_LIMIT => return,
        (None, None) => Target::Spec,
    };
    let (edit, names) = proposals_edit(snap, d, uri, target);
    if names.is_empty() {
        return;
    }
    let n = names.len();
    let what = action
        .title
        .strip_prefix("Propose edge cases for ")
        .unwrap_or(&action.title)
        .to_string();
    action.title = format!(
        "Propose {n} edge case{} for {what}",
        if n == 1 { "" } else { "s" }
    );
    cmd.title = action.title.clone();
    if let Some(Value::Object(m)) = cmd.arguments.as_mut().and_then(|a| a.first_mut()) {
        m.insert("inserted".into(), json!(names));
    }
    action.edit = Some(edit);
}

/// The proposals for `target` as one edit of the document (pure), with the proposals' names.
#[allow(clippy::mutable_key_type)] // lsp_types::Uri is the key type WorkspaceEdit requires
pub fn proposals_edit(
    snap: &Snapshot,
    d: &Doc,
    uri: &Uri,
    target: Target,
) -> (WorkspaceEdit, Vec<String>) {
    let proposals = edge_cases::propose(&snap.ws, &d.key, target);
    let names = proposals.iter().map(|p| p.name.clone()).collect();
    // Insertions at one position are applied in the order given: the proposals keep theirs.
    let edits: Vec<TextEdit> = proposals
        .into_iter()
        .map(|p| TextEdit::new(range(snap, d, p.edit.span), p.edit.new_text))
        .collect();
    let mut changes = HashMap::new();
    if !edits.is_empty() {
        changes.insert(uri.clone(), edits);
    }
    (
        WorkspaceEdit {
            changes: Some(changes),
            document_changes: None,
            change_annotations: None,
        },
        names,
    )
}

pub async fn execute(backend: &Backend, arguments: Vec<Value>) -> Result<Option<Value>> {
    let args: Args = arguments
        .into_iter()
        .next()
        .and_then(|v| serde_json::from_value(v).ok())
        .ok_or_else(|| {
            invalid_params(
                "specls.proposeEdgeCases takes one argument `{uri, scenario?, requirement?}`",
            )
        })?;
    if let Some(names) = args.inserted {
        // The code action's own edit inserted these already.
        return Ok(Some(json!({ "proposed": names, "applied": "edit" })));
    }
    let snap = backend.snapshot().await?;
    let Some(d) = doc(&snap, &args.uri) else {
        return Err(invalid_params(format!(
            "{} is not a spec specls knows",
            args.uri.as_str()
        )));
    };
    let file = snap.file(&d.key).map(|f| f.doc.clone()).unwrap_or_default();
    let (target, what) = match (&args.scenario, &args.requirement) {
        (Some(id), _) => {
            if !file.scenarios.iter().any(|s| &s.id == id) {
                return Err(invalid_params(format!("no scenario `{id}` in this spec")));
            }
            (Target::Scenario(id.clone()), format!("scenario `{id}`"))
        }
        (None, Some(r)) => (Target::Requirement(r.clone()), format!("requirement {r}")),
        (None, None) => (Target::Spec, format!("spec {}", file.name)),
    };
    let uri = args.uri.clone();
    let (edit, names) = blocking("specls.proposeEdgeCases", move || {
        proposals_edit(&snap, &d, &uri, target)
    })
    .await?;
    if names.is_empty() {
        let client = backend.client.clone();
        let message = format!("specls: no edge case to propose for {what}: every case it knows is covered or does not apply");
        tokio::spawn(async move {
            client.show_message(MessageType::INFO, message).await;
        });
        return Ok(Some(json!({"proposed": []})));
    }
    let client = backend.client.clone();
    let label = format!("Propose {} edge cases for {what}", names.len());
    tokio::spawn(async move {
        match client
            .send_request::<request::ApplyWorkspaceEdit>(ApplyWorkspaceEditParams {
                label: Some(label),
                edit,
            })
            .await
        {
            Ok(r) if !r.applied => tracing::info!(
                "the client did not apply the proposals: {}",
                r.failure_reason.unwrap_or_default()
            ),
            Ok(_) => {}
            Err(e) => tracing::warn!("workspace/applyEdit failed: {e}"),
        }
    });
    Ok(Some(json!({ "proposed": names })))
}
