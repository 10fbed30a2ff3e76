//! Unit tests over hand-built documents (independent of the parsers).

use std::sync::Arc;

use crate::model::*;
use crate::span::Span;
use crate::workspace::{SourceFile, Workspace};

use super::*;

pub(crate) fn find(text: &str, needle: &str, nth: usize) -> Span {
    let (i, _) = text
        .match_indices(needle)
        .nth(nth)
        .unwrap_or_else(|| panic!("{needle:?} #{nth} not in text"));
    Span::new(i, i + needle.len())
}

fn line_of(text: &str, needle: &str) -> Span {
    let s = find(text, needle, 0);
    let start = text[..s.start].rfind('\n').map_or(0, |i| i + 1);
    let end = text[s.start..]
        .find('\n')
        .map_or(text.len(), |i| s.start + i);
    Span::new(start, end)
}

fn step(text: &str, kind: StepKind, kw: &str, body: &str) -> Step {
    let line = line_of(text, body);
    Step {
        kind,
        keyword: kw.to_string(),
        text: body.to_string(),
        span: RelSpan::absolute(line),
        text_span: RelSpan::absolute(find(text, body, 0)),
    }
}

pub(crate) const TODO: &str = "---\nname: todo\ntype: bundle\ndependencies:\n  - store\n---\n# Overview\nTodo list.\n## Requirements\n- **FR-01**: Users can add a task.\n- **FR-02**: Users can complete a task.\n## Scenarios\n### Scenario: Add a task\nGiven an empty list\nWhen I add \"milk\"\nThen the list has 1 item (FR-01)\n\n### Scenario: Complete a task\nGiven a list with \"milk\"\nWhen I complete \"milk\"\nThen the task is done\n";

pub(crate) const STORE: &str = "feature: store\ndescription: Persists tasks\nscenarios:\n  - name: Save\n    id: store-save\n    given: An empty list.\n    when: I save\n    then: it is stored\n";

pub(crate) fn todo_doc() -> Document {
    let t = TODO;
    let sec = |title: &str, level: u8, heading: &str| Section {
        title: title.into(),
        number: None,
        level,
        heading_span: line_of(t, heading),
        span: Span::default(),
    };
    let sc1_start = find(t, "### Scenario: Add", 0).start;
    let sc1_end = find(t, "(FR-01)", 0).end;
    let sc2_start = find(t, "### Scenario: Complete", 0).start;
    Document {
        path: "todo.spec.md".into(),
        kind: Some(DocKind::MarkdownSpec),
        name: "todo".into(),
        name_span: find(t, "todo", 0),
        spec_type: Some("bundle".into()),
        sections: vec![
            sec("Overview", 1, "# Overview"),
            sec("Requirements", 2, "## Requirements"),
            sec("Scenarios", 2, "## Scenarios"),
            sec("Scenario: Add a task", 3, "### Scenario: Add"),
            sec("Scenario: Complete a task", 3, "### Scenario: Complete"),
        ],
        requirements: vec![
            Requirement {
                id: "FR-01".into(),
                id_span: find(t, "FR-01", 0),
                text: "Users can add a task.".into(),
                span: line_of(t, "- **FR-01**"),
                normative: false,
            },
            Requirement {
                id: "FR-02".into(),
                id_span: find(t, "FR-02", 0),
                text: "Users can complete a task.".into(),
                span: line_of(t, "- **FR-02**"),
                normative: false,
            },
        ],
        scenarios: vec![
            ScenarioDraft {
                id: "todo/add-a-task".into(),
                explicit_id: false,
                name: "Add a task".into(),
                name_span: find(t, "Add a task", 0),
                span: Span::new(sc1_start, sc1_end),
                given: vec![step(t, StepKind::Given, "Given", "an empty list")],
                when: vec![step(t, StepKind::When, "When", "I add \"milk\"")],
                then: vec![step(
                    t,
                    StepKind::Then,
                    "Then",
                    "the list has 1 item (FR-01)",
                )],
                tags: vec![],
                status: None,
                parent: None,
                origin: ScenarioOrigin::MarkdownHeading,
            }
            .finish(),
            ScenarioDraft {
                id: "todo/complete-a-task".into(),
                explicit_id: false,
                name: "Complete a task".into(),
                name_span: find(t, "Complete a task", 0),
                span: Span::new(sc2_start, t.len() - 1),
                given: vec![step(t, StepKind::Given, "Given", "a list with \"milk\"")],
                when: vec![step(t, StepKind::When, "When", "I complete \"milk\"")],
                then: vec![step(t, StepKind::Then, "Then", "the task is done")],
                tags: vec![],
                status: None,
                parent: None,
                origin: ScenarioOrigin::MarkdownHeading,
            }
            .finish(),
        ],
        dependencies: vec![Dependency {
            name: "store".into(),
            from: None,
            span: find(t, "store", 0),
        }],
        ..Default::default()
    }
}

pub(crate) fn store_doc() -> Document {
    let t = STORE;
    Document {
        path: "store.spec.yaml".into(),
        kind: Some(DocKind::YamlSpec),
        name: "store".into(),
        name_span: find(t, "store", 0),
        description: Some("Persists tasks".into()),
        scenarios: vec![ScenarioDraft {
            id: "store-save".into(),
            explicit_id: true,
            name: "Save".into(),
            name_span: find(t, "Save", 0),
            span: Span::new(find(t, "- name", 0).start, t.len() - 1),
            given: vec![Step {
                kind: StepKind::Given,
                keyword: String::new(),
                text: "An empty list.".into(),
                span: RelSpan::absolute(find(t, "An empty list.", 0)),
                text_span: RelSpan::absolute(find(t, "An empty list.", 0)),
            }],
            when: vec![Step {
                kind: StepKind::When,
                keyword: String::new(),
                text: "I save".into(),
                span: RelSpan::absolute(find(t, "I save", 0)),
                text_span: RelSpan::absolute(find(t, "I save", 0)),
            }],
            then: vec![Step {
                kind: StepKind::Then,
                keyword: String::new(),
                text: "it is stored".into(),
                span: RelSpan::absolute(find(t, "it is stored", 0)),
                text_span: RelSpan::absolute(find(t, "it is stored", 0)),
            }],
            tags: vec![],
            status: None,
            parent: None,
            origin: ScenarioOrigin::Yaml,
        }
        .finish()],
        ..Default::default()
    }
}

pub(crate) fn ws() -> Workspace {
    let mut ws = Workspace::new();
    for (p, t, d) in [
        ("todo.spec.md", TODO, todo_doc()),
        ("store.spec.yaml", STORE, store_doc()),
    ] {
        ws.files.insert(
            p.to_string(),
            SourceFile {
                text: t.into(),
                doc: Arc::new(d),
            },
        );
    }
    ws
}

fn off(text: &str, needle: &str, nth: usize) -> usize {
    find(text, needle, nth).start + 1
}

#[test]
fn outline_nests_sections_requirements_scenarios() {
    let ws = ws();
    let syms = document_symbols(&ws, "todo.spec.md");
    let names = |s: &[Symbol]| s.iter().map(|x| x.name.clone()).collect::<Vec<_>>();
    assert_eq!(names(&syms), vec!["Overview"]);
    let inner = &syms[0].children;
    assert_eq!(names(inner), vec!["Requirements", "Scenarios"]);
    assert_eq!(names(&inner[0].children), vec!["FR-01", "FR-02"]);
    assert_eq!(
        names(&inner[1].children),
        vec!["Add a task", "Complete a task"]
    );
    assert_eq!(inner[1].children[0].kind, SymbolKind::Scenario);
    let y = document_symbols(&ws, "store.spec.yaml");
    assert_eq!(y.len(), 1);
    assert_eq!(y[0].kind, SymbolKind::Spec);
    assert_eq!(names(&y[0].children), vec!["Save"]);
    assert!(document_symbols(&ws, "nope").is_empty());
}

#[test]
fn workspace_symbols_fuzzy() {
    let ws = ws();
    let r = workspace_symbols(&ws, "complt", 10);
    assert_eq!(r[0].name, "Complete a task");
    assert_eq!(r[0].container.as_deref(), Some("todo"));
    let all = workspace_symbols(&ws, "", 100);
    assert!(all
        .iter()
        .any(|s| s.kind == SymbolKind::Spec && s.name == "todo"));
    assert!(all.iter().all(|s| s.kind != SymbolKind::Section));
    assert_eq!(workspace_symbols(&ws, "", 2).len(), 2);
}

#[test]
fn hover_each_kind() {
    let ws = ws();
    let h = hover(&ws, "todo.spec.md", off(TODO, "store", 0)).unwrap();
    assert!(h.markdown.contains("**Spec** `store`"), "{}", h.markdown);
    assert!(h.markdown.contains("Persists tasks"));
    let h = hover(&ws, "todo.spec.md", off(TODO, "FR-01", 1)).unwrap();
    assert_eq!(h.span.slice(TODO), "FR-01");
    assert!(
        h.markdown.contains("Users can add a task."),
        "{}",
        h.markdown
    );
    assert!(h.markdown.contains("Add a task"));
    let h = hover(&ws, "todo.spec.md", off(TODO, "FR-02", 0)).unwrap();
    assert!(
        h.markdown.contains("No scenario exercises it."),
        "{}",
        h.markdown
    );
    let h = hover(&ws, "todo.spec.md", off(TODO, "Add a task", 0)).unwrap();
    assert!(h.markdown.contains("todo/add-a-task"), "{}", h.markdown);
    assert!(
        h.markdown.contains("**When** I add \"milk\""),
        "{}",
        h.markdown
    );
    let h = hover(&ws, "todo.spec.md", off(TODO, "an empty list", 0)).unwrap();
    assert!(h.markdown.contains("Save"), "{}", h.markdown);
    assert!(h.markdown.contains("store.spec.yaml"), "{}", h.markdown);
    assert!(hover(&ws, "todo.spec.md", off(TODO, "Todo list", 0)).is_none());
}

#[test]
fn definition_and_references() {
    let ws = ws();
    let d = goto_definition(&ws, "todo.spec.md", off(TODO, "store", 0));
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].path, "store.spec.yaml");
    assert_eq!(d[0].focus_span.slice(STORE), "store");
    let d = goto_definition(&ws, "todo.spec.md", off(TODO, "FR-01", 1));
    assert_eq!(d[0].focus_span, find(TODO, "FR-01", 0));
    let r = find_references(&ws, "todo.spec.md", off(TODO, "FR-01", 0), true);
    assert_eq!(r.len(), 2);
    let r = find_references(&ws, "todo.spec.md", off(TODO, "FR-01", 0), false);
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].span, find(TODO, "FR-01", 1));
    // A step goes to the same normalised step elsewhere.
    let d = goto_definition(&ws, "todo.spec.md", off(TODO, "an empty list", 0));
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].path, "store.spec.yaml");
    let r = find_references(&ws, "store.spec.yaml", off(STORE, "An empty", 0), true);
    assert_eq!(r.len(), 2);
    // Dependency references: the spec's name and the dependency entry.
    let r = find_references(&ws, "todo.spec.md", off(TODO, "store", 0), true);
    assert_eq!(
        r,
        vec![
            Location {
                path: "store.spec.yaml".into(),
                span: find(STORE, "store", 0)
            },
            Location {
                path: "todo.spec.md".into(),
                span: find(TODO, "store", 0)
            }
        ]
    );
}

#[test]
fn total_on_any_offset() {
    let ws = ws();
    for (p, t) in [("todo.spec.md", TODO), ("store.spec.yaml", STORE)] {
        for o in 0..t.len() + 3 {
            let _ = hover(&ws, p, o);
            let _ = goto_definition(&ws, p, o);
            let _ = find_references(&ws, p, o, true);
        }
    }
}
