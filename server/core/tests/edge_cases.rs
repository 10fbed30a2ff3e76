//! Edge-case proposals over the example specs of every format: snapshots of the proposals and
//! of the edited text around each insertion, and a property test that every proposal parses
//! back as one more scenario with the proposal's steps and triggers no duplicate or conflict.

use std::path::{Path, PathBuf};

use proptest::prelude::*;
use specls_core::checks;
use specls_core::config::Config;
use specls_core::edge_cases::{apply, propose, Proposal, Target};
use specls_core::model::Scenario;
use specls_core::workspace::Workspace;

const EXAMPLES: &[&str] = &[
    "task-management/tasks.spec.yaml",
    "ecommerce/checkout.spec.yaml",
    "ecommerce/subscriptions.spec.yaml",
    "ecommerce/product_catalog.spec.yaml",
    "gherkin-markdown/password-reset.md",
    "gherkin-markdown/library-borrowing.feature.md",
    "openspec/openspec/specs/user-auth/spec.md",
    "openspec/openspec/specs/link-shortening/spec.md",
    "spec-kit/specs/001-meeting-room-booking/spec.md",
    "specsoloist/score/todo_item.spec.md",
    "specsoloist/score/parse_due_date.spec.md",
    "specsoloist/score/todo.spec.md",
    "task-management/performance.spec.yaml",
];

/// Examples whose cases are example rows (SpecSoloist tables and `yaml:test_scenarios`).
const ROW_EXAMPLES: &[&str] = &[
    "specsoloist/score/parse_due_date.spec.md",
    "specsoloist/score/todo.spec.md",
    "specsoloist/score/todo_report.spec.md",
];

fn examples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../specs/examples")
}

/// A workspace holding one example file (proposals are checked against its own scenarios).
fn workspace(rel: &str) -> Workspace {
    let mut ws = Workspace::new();
    let bytes = std::fs::read(examples_dir().join(rel)).expect("example exists");
    assert!(ws.upsert_bytes(rel, &bytes), "{rel} is a spec");
    ws
}

/// The proposals as reviewable text: each one with the lines around its insertion.
fn render(ws: &Workspace, rel: &str, proposals: &[Proposal]) -> String {
    let text = ws.get(rel).unwrap().text.to_string();
    let mut out = String::new();
    for p in proposals {
        out.push_str(&format!(
            "## {} [{:?}] from {}\nwhy: {}\n",
            p.name, p.kind, p.derived_from, p.rationale
        ));
        let edited = apply(&text, &p.edit);
        let start = text[..p.edit.span.start]
            .rmatch_indices('\n')
            .nth(1)
            .map_or(0, |(i, _)| i + 1);
        let end_new = p.edit.span.start + p.edit.new_text.len();
        let end = edited[end_new..]
            .match_indices('\n')
            .nth(1)
            .map_or(edited.len(), |(i, _)| end_new + i + 1);
        for (i, line) in edited[start..end].lines().enumerate() {
            let abs = start
                + edited[start..end]
                    .lines()
                    .take(i)
                    .map(|l| l.len() + 1)
                    .sum::<usize>();
            let mark = if abs >= p.edit.span.start && abs < end_new {
                "+ "
            } else {
                "  "
            };
            out.push_str(mark);
            out.push_str(line);
            out.push('\n');
        }
        out.push('\n');
    }
    out
}

#[test]
fn proposals_over_the_examples() {
    for rel in EXAMPLES {
        let ws = workspace(rel);
        let proposals = propose(&ws, rel, Target::Spec);
        let name = rel.replace('/', "__");
        insta::assert_snapshot!(name, render(&ws, rel, &proposals));
    }
}

const DUP_CONFLICT: &[&str] = &[
    "duplicate-scenario-name",
    "duplicate-scenario-id",
    "duplicate-scenario-steps",
    "conflicting-scenarios",
    "conflicting-examples",
];

/// The inserted scenario's own steps (not a Background's), without the one-line marker.
fn texts(sc: &Scenario, steps: &[specls_core::model::Step]) -> Vec<String> {
    steps
        .iter()
        .filter(|s| sc.abs(s.span).start >= sc.span.start)
        .map(|s| specls_core::edge_cases::step_text(&s.text).to_string())
        .collect()
}

/// Every proposal for the scenario at `index` of example `which` parses back (same parser) as
/// one more scenario whose steps are the proposal's, and adds no duplicate/conflict finding.
fn check_scenario(which: usize, index: usize) -> Result<(), TestCaseError> {
    let rel = EXAMPLES[which % EXAMPLES.len()];
    let ws = workspace(rel);
    let file = ws.get(rel).unwrap();
    let scenarios: Vec<&Scenario> = file.doc.scenarios.iter().collect();
    if scenarios.is_empty() {
        return Ok(());
    }
    let sc = scenarios[index % scenarios.len()];
    let before = checks::check_workspace(&ws, &Config::default());
    let count = |m: &std::collections::BTreeMap<String, Vec<specls_core::Diagnostic>>| {
        m.values()
            .flatten()
            .filter(|d| DUP_CONFLICT.contains(&d.code))
            .count()
    };
    for p in propose(&ws, rel, Target::Scenario(sc.id.clone())) {
        prop_assert_eq!(&p.derived_from, &sc.id);
        let edited = apply(&file.text, &p.edit);
        let mut copy = ws.clone();
        prop_assert!(copy.upsert_bytes(rel, edited.as_bytes()));
        let doc = copy.get(rel).unwrap().doc.clone();
        prop_assert_eq!(doc.scenarios.len(), file.doc.scenarios.len() + 1);
        let new: Vec<&Scenario> = doc
            .scenarios
            .iter()
            .filter(|s| {
                s.span.start >= p.edit.span.start
                    && s.span.start < p.edit.span.start + p.edit.new_text.len()
            })
            .collect();
        prop_assert_eq!(new.len(), 1, "{}", p.name);
        prop_assert_eq!(texts(new[0], &new[0].given), p.given.clone());
        prop_assert_eq!(texts(new[0], &new[0].when), p.when.clone());
        prop_assert_eq!(texts(new[0], &new[0].then), p.then.clone());
        let after = checks::check_workspace(&copy, &Config::default());
        prop_assert!(count(&after) <= count(&before), "{} adds a finding", p.name);
    }
    Ok(())
}

/// Every row proposal for the table or block holding row `index` of example `which` parses
/// back as one more example row (at the insertion, marked proposed), with no new parse
/// diagnostic and no new duplicate/conflict finding.
fn check_rows(which: usize, index: usize) -> Result<(), TestCaseError> {
    let rel = ROW_EXAMPLES[which % ROW_EXAMPLES.len()];
    let ws = workspace(rel);
    let file = ws.get(rel).unwrap();
    if file.doc.examples.is_empty() {
        return Ok(());
    }
    let row = &file.doc.examples[index % file.doc.examples.len()];
    let count = |m: &std::collections::BTreeMap<String, Vec<specls_core::Diagnostic>>| {
        m.values()
            .flatten()
            .filter(|d| DUP_CONFLICT.contains(&d.code))
            .count()
    };
    let before = count(&checks::check_workspace(&ws, &Config::default()));
    for p in propose(&ws, rel, Target::At(row.span.start)) {
        prop_assert!(p.input.is_some() && p.expected.is_some(), "{}", p.name);
        let edited = apply(&file.text, &p.edit);
        let mut copy = ws.clone();
        prop_assert!(copy.upsert_bytes(rel, edited.as_bytes()));
        let doc = copy.get(rel).unwrap().doc.clone();
        prop_assert_eq!(doc.examples.len(), file.doc.examples.len() + 1);
        prop_assert_eq!(doc.scenarios.len(), file.doc.scenarios.len());
        prop_assert_eq!(doc.diagnostics.len(), file.doc.diagnostics.len());
        let end = p.edit.span.start + p.edit.new_text.len();
        let new: Vec<_> = doc
            .examples
            .iter()
            .filter(|r| r.span.start >= p.edit.span.start && r.span.start < end)
            .collect();
        prop_assert_eq!(new.len(), 1, "{}", p.name);
        let marked = new[0].cells.iter().any(|(_, v)| v.contains("proposed"))
            || new[0]
                .name
                .as_deref()
                .is_some_and(|n| n.contains("(proposed)"));
        prop_assert!(marked, "{} is not marked proposed", p.name);
        let after = count(&checks::check_workspace(&copy, &Config::default()));
        prop_assert!(after <= before, "{} adds a finding", p.name);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(16))]
    #[test]
    fn every_row_proposal_parses_back_without_findings(which in 0usize..64, index in 0usize..64) {
        check_rows(which, index)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    #[test]
    fn every_proposal_parses_back_without_findings(which in 0usize..64, index in 0usize..64) {
        check_scenario(which, index)?;
    }
}
