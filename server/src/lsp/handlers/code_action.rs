//! `textDocument/codeAction`: quick fixes from the fixes diagnostics carry in `data.fixes`, and
//! the server's own commands (run, compile, propose edge cases, drift) as `source` actions for
//! the spec, scenario and requirement at the cursor, so that a client that shows no code lenses
//! (Helix, eglot, Kakoune, Zed, Sublime) reaches every command through its code-action menu.

use std::collections::HashMap;

use serde::Deserialize;
use serde_json::{json, Value};
use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::lsp_types::*;

use specls_core::ide::{self, CommandContext};
use specls_core::model::DocKind;

use super::convert::{doc, offset};
use crate::lsp::paths::uri_to_path;
use crate::lsp::server::{blocking, guarded, lsp_range_overlaps, Backend, COMMANDS};
use crate::lsp::state::Snapshot;

/// The kind of the command actions: `source.specls`, under `source`.
pub fn command_kind() -> CodeActionKind {
    CodeActionKind::new("source.specls")
}

/// Whether a client's `only` filter admits an action of `kind` (kinds are hierarchical:
/// `source` admits `source.specls`).
fn admitted(only: Option<&[CodeActionKind]>, kind: &CodeActionKind) -> bool {
    let Some(only) = only else { return true };
    only.iter().any(|k| {
        let (k, kind) = (k.as_str(), kind.as_str());
        kind == k || (kind.starts_with(k) && kind[k.len()..].starts_with('.'))
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct FixEdit {
    uri: Uri,
    range: Range,
    new_text: String,
}

#[derive(Deserialize)]
struct FixData {
    title: String,
    edits: Vec<FixEdit>,
}

#[derive(Deserialize)]
struct Data {
    #[serde(default)]
    fixes: Vec<FixData>,
}

/// The quick fixes of some diagnostics (pure). `exists` tells whether a file is on disk (or
/// open): an edit on a file that is not is made by creating it first (`documentChanges`).
#[allow(clippy::mutable_key_type)] // lsp_types::Uri is the key type WorkspaceEdit requires
pub fn quick_fixes(
    diagnostics: &[Diagnostic],
    exists: &dyn Fn(&Uri) -> bool,
) -> Vec<CodeActionOrCommand> {
    let mut out: Vec<CodeActionOrCommand> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for d in diagnostics {
        let Some(data) = d
            .data
            .as_ref()
            .and_then(|v| serde_json::from_value::<Data>(v.clone()).ok())
        else {
            continue;
        };
        let single = data.fixes.len() == 1;
        for fix in data.fixes {
            let key = format!("{}|{:?}", fix.title, d.range);
            if !seen.insert(key) {
                continue;
            }
            let mut changes: HashMap<Uri, Vec<TextEdit>> = HashMap::new();
            let mut order: Vec<Uri> = Vec::new();
            for e in fix.edits {
                if !changes.contains_key(&e.uri) {
                    order.push(e.uri.clone());
                }
                changes
                    .entry(e.uri)
                    .or_default()
                    .push(TextEdit::new(e.range, e.new_text));
            }
            let create: Vec<&Uri> = order.iter().filter(|u| !exists(u)).collect();
            let edit = if create.is_empty() {
                WorkspaceEdit {
                    changes: Some(changes),
                    document_changes: None,
                    change_annotations: None,
                }
            } else {
                let mut ops = Vec::new();
                for u in &order {
                    if create.contains(&u) {
                        ops.push(DocumentChangeOperation::Op(ResourceOp::Create(
                            CreateFile {
                                uri: u.clone(),
                                options: Some(CreateFileOptions {
                                    overwrite: Some(false),
                                    ignore_if_exists: Some(true),
                                }),
                                annotation_id: None,
                            },
                        )));
                    }
                    ops.push(DocumentChangeOperation::Edit(TextDocumentEdit {
                        text_document: OptionalVersionedTextDocumentIdentifier {
                            uri: u.clone(),
                            version: None,
                        },
                        edits: changes
                            .remove(u)
                            .unwrap_or_default()
                            .into_iter()
                            .map(OneOf::Left)
                            .collect(),
                    }));
                }
                WorkspaceEdit {
                    changes: None,
                    document_changes: Some(DocumentChanges::Operations(ops)),
                    change_annotations: None,
                }
            };
            out.push(CodeActionOrCommand::CodeAction(CodeAction {
                title: fix.title,
                kind: Some(CodeActionKind::QUICKFIX),
                diagnostics: Some(vec![d.clone()]),
                edit: Some(edit),
                command: None,
                is_preferred: Some(single),
                disabled: None,
                data: None,
            }));
        }
    }
    out
}

fn quote(name: &str) -> String {
    let name: String = name.chars().take(60).collect();
    format!("\u{2018}{}\u{2019}", name.trim())
}

/// The server's commands that apply at a cursor (pure), each as a `source.specls` action.
/// `registered`: the commands the server executes; an action whose command is not among them is
/// left out (a command is offered only once it exists).
pub fn command_actions(
    ctx: &CommandContext,
    uri: &Uri,
    registered: &[&str],
) -> Vec<CodeActionOrCommand> {
    use crate::lsp::handlers::commands as c;
    let u = uri.as_str();
    let spec = quote(&ctx.spec);
    let mut out: Vec<(String, &str, Value)> = Vec::new();
    match ctx.kind {
        DocKind::MarkdownSpec | DocKind::YamlSpec => {
            if let Some(s) = &ctx.scenario {
                out.push((
                    format!("Run the tests of scenario {}", quote(&s.name)),
                    c::RUN_TESTS,
                    json!({"uri": u, "scenarios": [s.id]}),
                ));
                out.push((
                    format!("Propose edge cases for scenario {}", quote(&s.name)),
                    c::PROPOSE_EDGE_CASES,
                    json!({"uri": u, "scenario": s.id}),
                ));
            }
            if let Some(r) = &ctx.requirement {
                out.push((
                    format!("Propose edge cases for requirement {r}"),
                    c::PROPOSE_EDGE_CASES,
                    json!({"uri": u, "requirement": r}),
                ));
            }
            if ctx.scenarios > 0 {
                out.push((
                    format!("Run the tests of spec {spec}"),
                    c::RUN_TESTS,
                    json!({"uri": u}),
                ));
            }
            if (ctx.scenarios > 0 || ctx.examples > 0)
                && ctx.scenario.is_none()
                && ctx.requirement.is_none()
            {
                out.push((
                    format!("Propose edge cases for spec {spec}"),
                    c::PROPOSE_EDGE_CASES,
                    json!({"uri": u}),
                ));
            }
            out.push((
                format!("Compile spec {spec}"),
                c::COMPILE,
                json!({"uri": u}),
            ));
            out.push((
                format!("Compile spec {spec} (even if unchanged)"),
                c::COMPILE,
                json!({"uri": u, "force": true}),
            ));
            out.push((
                format!("Show drift of spec {spec}"),
                c::SHOW_DRIFT,
                json!({"uri": u}),
            ));
        }
        DocKind::Arrangement | DocKind::Blueprint => {}
    }
    // Workspace-wide commands: outside scenarios and requirements, to keep the menu short where
    // the user works on one scenario.
    let workspace_wide = ctx.scenario.is_none() && ctx.requirement.is_none();
    let wide: [(String, &str, Value); 4] = [
        (
            "Run the tests of every spec".into(),
            c::RUN_TESTS,
            json!({"all": true}),
        ),
        ("Compile every changed spec".into(), c::COMPILE, json!({})),
        (
            "Show drift of the workspace".into(),
            c::SHOW_DRIFT,
            json!({}),
        ),
        (
            "Show workspace health (specs, scenarios, failing, untested, drifted)".into(),
            c::WORKSPACE_HEALTH,
            json!({}),
        ),
    ];
    if workspace_wide {
        out.extend(wide);
    }
    out.into_iter()
        .filter(|(_, command, _)| registered.contains(command))
        .map(|(title, command, args)| {
            CodeActionOrCommand::CodeAction(CodeAction {
                title: title.clone(),
                kind: Some(command_kind()),
                diagnostics: None,
                edit: None,
                command: Some(Command {
                    title,
                    command: command.to_string(),
                    arguments: Some(vec![args]),
                }),
                is_preferred: None,
                disabled: None,
                data: None,
            })
        })
        .collect()
}

pub async fn handle(
    backend: &Backend,
    params: CodeActionParams,
) -> Result<Option<CodeActionResponse>> {
    let only = params.context.only.as_deref();
    // One snapshot for the whole answer (each is a round trip through the state owner).
    let snap = backend.snapshot().await?;
    let mut actions = Vec::new();
    if admitted(only, &CodeActionKind::QUICKFIX) {
        actions = quick_fixes_for(backend, &snap, &params)?;
    }
    if admitted(only, &command_kind()) {
        if let Some(d) = doc(&snap, &params.text_document.uri) {
            let at = offset(&snap, &d, params.range.start)?;
            let uri = params.text_document.uri.clone();
            let more = blocking("textDocument/codeAction", move || {
                let mut actions = ide::command_context(&snap.ws, &d.key, at)
                    .map(|ctx| command_actions(&ctx, &uri, COMMANDS))
                    .unwrap_or_default();
                super::edge_cases::with_model_actions(&snap, &d, &mut actions);
                for a in &mut actions {
                    if let CodeActionOrCommand::CodeAction(a) = a {
                        super::edge_cases::with_edit(&snap, &d, &uri, a);
                    }
                }
                actions
            })
            .await?;
            actions.extend(more);
        }
    }
    Ok((!actions.is_empty()).then_some(actions))
}

fn quick_fixes_for(
    backend: &Backend,
    snap: &Snapshot,
    params: &CodeActionParams,
) -> Result<Vec<CodeActionOrCommand>> {
    let ours = |d: &&Diagnostic| d.source.as_deref() == Some("specls");
    let mut diags: Vec<Diagnostic> = params
        .context
        .diagnostics
        .iter()
        .filter(ours)
        .cloned()
        .collect();
    if diags.iter().all(|d| d.data.is_none()) {
        // The client did not send our diagnostics back (or dropped their data): use the ones
        // the server last reported for this document.
        let key = snap.key(&params.text_document.uri);
        diags = backend
            .cache
            .remembered_where(&key, |d| lsp_range_overlaps(&d.range, &params.range));
    }
    let exists = |u: &Uri| {
        snap.open.contains_key(snap.key(u).as_str()) || uri_to_path(u).is_none_or(|p| p.exists())
    };
    guarded("textDocument/codeAction", || quick_fixes(&diags, &exists))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lsp::handlers::commands as c;
    use specls_core::ide::ScenarioRef;

    const ALL: &[&str] = &[
        c::RUN_TESTS,
        c::COMPILE,
        c::PROPOSE_EDGE_CASES,
        c::SHOW_DRIFT,
        c::WORKSPACE_HEALTH,
    ];

    fn titles(actions: &[CodeActionOrCommand]) -> Vec<String> {
        actions
            .iter()
            .map(|a| match a {
                CodeActionOrCommand::CodeAction(a) => {
                    let cmd = a.command.as_ref().unwrap();
                    format!(
                        "{} -> {} {}",
                        a.title,
                        cmd.command,
                        serde_json::to_string(&cmd.arguments.as_ref().unwrap()[0]).unwrap()
                    )
                }
                CodeActionOrCommand::Command(c) => c.title.clone(),
            })
            .collect()
    }

    fn ctx(kind: DocKind, scenario: bool, requirement: bool) -> CommandContext {
        CommandContext {
            kind,
            spec: "todo".into(),
            scenarios: 2,
            examples: 0,
            scenario: scenario.then(|| ScenarioRef {
                id: "todo/add-an-item".into(),
                name: "Add an item".into(),
            }),
            requirement: requirement.then(|| "FR-01".into()),
        }
    }

    #[test]
    fn actions_for_each_place() {
        let uri: Uri = "file:///w/todo.spec.md".parse().unwrap();
        let cases = [
            ("in a scenario", ctx(DocKind::MarkdownSpec, true, false)),
            ("in a requirement", ctx(DocKind::MarkdownSpec, false, true)),
            ("elsewhere in a spec", ctx(DocKind::YamlSpec, false, false)),
            ("in an arrangement", ctx(DocKind::Arrangement, false, false)),
        ];
        let out: Vec<(String, Vec<String>)> = cases
            .iter()
            .map(|(what, c)| (what.to_string(), titles(&command_actions(c, &uri, ALL))))
            .collect();
        insta::assert_yaml_snapshot!(out);
    }

    #[test]
    fn only_registered_commands_are_offered() {
        let uri: Uri = "file:///w/todo.spec.md".parse().unwrap();
        let c = ctx(DocKind::MarkdownSpec, true, true);
        assert!(command_actions(&c, &uri, &[]).is_empty());
        let only_drift = titles(&command_actions(&c, &uri, &[c::SHOW_DRIFT]));
        assert_eq!(only_drift.len(), 1, "{only_drift:?}");
        assert!(only_drift.iter().all(|t| t.contains("specls.showDrift")));
    }

    #[test]
    fn kind_filters_are_hierarchical() {
        let k = command_kind();
        assert!(admitted(None, &k));
        assert!(admitted(Some(&[CodeActionKind::SOURCE]), &k));
        assert!(admitted(Some(std::slice::from_ref(&k)), &k));
        assert!(!admitted(Some(&[CodeActionKind::QUICKFIX]), &k));
        assert!(!admitted(Some(&[CodeActionKind::new("sour")]), &k));
        assert!(!admitted(
            Some(&[CodeActionKind::SOURCE]),
            &CodeActionKind::QUICKFIX
        ));
    }
}
