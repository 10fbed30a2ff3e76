//! What the user's own commands (run, compile, propose edge cases, drift) apply to at a cursor:
//! the spec, the scenario and the requirement that contain it. The LSP layer turns this into
//! code actions that carry the server's commands, for clients that show no code lenses.

use serde::Serialize;

use crate::model::DocKind;
use crate::workspace::Workspace;

/// A scenario the cursor is in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ScenarioRef {
    pub id: String,
    pub name: String,
}

/// The elements around an offset of a document.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CommandContext {
    pub kind: DocKind,
    /// The spec's name.
    pub spec: String,
    /// How many scenarios the document has.
    pub scenarios: usize,
    /// How many example rows and constraints it has (edge cases are proposed for those too).
    pub examples: usize,
    /// The innermost scenario containing the offset (a cursor just after it counts).
    pub scenario: Option<ScenarioRef>,
    /// The innermost requirement containing the offset, by id.
    pub requirement: Option<String>,
}

/// The context of `offset` in the document at `path`; None when the path is not in the workspace.
/// Offsets past the end are treated as the end.
pub fn command_context(ws: &Workspace, path: &str, offset: usize) -> Option<CommandContext> {
    let file = ws.get(path)?;
    let doc = &file.doc;
    let offset = offset.min(file.text.len());
    let scenario = doc
        .scenarios
        .iter()
        .filter(|s| s.span.touches(offset) && !s.span.is_empty())
        .min_by_key(|s| s.span.len())
        .map(|s| ScenarioRef {
            id: s.id.clone(),
            name: s.name.clone(),
        });
    let requirement = doc
        .requirements
        .iter()
        .filter(|r| r.span.touches(offset) && !r.span.is_empty() && !r.id.is_empty())
        .min_by_key(|r| r.span.len())
        .map(|r| r.id.clone());
    Some(CommandContext {
        kind: doc.kind.unwrap_or(DocKind::MarkdownSpec),
        spec: doc.name.clone(),
        scenarios: doc.scenarios.len(),
        examples: doc.examples.len() + doc.constraints.len(),
        scenario,
        requirement,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC: &str = "---\nname: todo\ntype: bundle\n---\n# Todo\n## Requirements\n- **FR-01**: Users can add a task.\n## Scenarios\n### Scenario: Add a task\nGiven an empty list\nWhen I add \"milk\"\nThen the list has 1 item\n\n### Scenario: Complete a task\nGiven a list with \"milk\"\nWhen I complete \"milk\"\nThen the task is done\n";

    fn ws() -> Workspace {
        let mut ws = Workspace::new();
        ws.upsert("todo.spec.md", SPEC, DocKind::MarkdownSpec);
        ws
    }

    fn at(needle: &str) -> usize {
        SPEC.find(needle).expect("needle")
    }

    #[test]
    fn scenario_requirement_and_spec_around_the_cursor() {
        let ws = ws();
        let c = command_context(&ws, "todo.spec.md", at("I complete")).unwrap();
        assert_eq!(c.spec, "todo");
        assert_eq!(c.scenarios, 2);
        assert_eq!(
            c.scenario.as_ref().map(|s| s.name.as_str()),
            Some("Complete a task")
        );
        assert_eq!(c.requirement, None);
        let c = command_context(&ws, "todo.spec.md", at("Users can add")).unwrap();
        assert_eq!(c.scenario, None);
        assert_eq!(c.requirement.as_deref(), Some("FR-01"));
        let first = command_context(&ws, "todo.spec.md", at("I add")).unwrap();
        assert_eq!(
            first.scenario.map(|s| s.name),
            Some("Add a task".to_string())
        );
    }

    #[test]
    fn any_offset_and_unknown_paths() {
        let ws = ws();
        assert_eq!(command_context(&ws, "other.spec.md", 0), None);
        for offset in [0, 1, SPEC.len(), SPEC.len() + 100, usize::MAX] {
            let c = command_context(&ws, "todo.spec.md", offset).unwrap();
            assert_eq!(c.kind, DocKind::MarkdownSpec);
        }
    }
}
