//! The edge-case generator on fixtures, one per bullet and format (`tests/fixtures/edge_cases/`):
//! the proposals and their exact edits are snapshot; the `expect:` / `absent:` markers say
//! which kinds must and must not be proposed; and all proposals applied together parse back as
//! scenarios (or example rows) of the file's format, marked proposed, with unique names and no
//! new duplicate or conflict finding.

use std::collections::BTreeSet;
use std::path::Path;

use specls_core::checks::{Analysis, Env};
use specls_core::config::Config;
use specls_core::edge_cases::{self, Proposal, Target};
use specls_core::workspace::Workspace;

fn fixtures() -> Vec<(String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/edge_cases");
    let mut out: Vec<(String, String)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let n = p.file_name().unwrap().to_string_lossy().to_string();
            n.ends_with(".spec.md") || n.ends_with(".spec.yaml")
        })
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().to_string(),
                std::fs::read_to_string(&p).unwrap(),
            )
        })
        .collect();
    out.sort();
    out
}

fn marker(text: &str, key: &str) -> BTreeSet<String> {
    text.lines()
        .filter_map(|l| {
            let l = l
                .trim()
                .trim_start_matches("<!--")
                .trim_start_matches('#')
                .trim_end_matches("-->")
                .trim();
            l.strip_prefix(key)
        })
        .flat_map(|rest| rest.split(',').map(|k| k.trim().to_string()))
        .filter(|k| !k.is_empty())
        .collect()
}

fn kind(p: &Proposal) -> String {
    serde_json::to_value(p.kind)
        .unwrap()
        .as_str()
        .unwrap()
        .to_string()
}

fn workspace(name: &str, text: &str) -> Workspace {
    let mut ws = Workspace::new();
    let kind = specls_core::kind::detect(name, text).expect("a spec");
    ws.upsert(name, text, kind);
    ws
}

const DUP_CONFLICT: &[&str] = &[
    "duplicate-scenario-name",
    "duplicate-scenario-id",
    "duplicate-scenario-steps",
    "conflicting-scenarios",
    "conflicting-examples",
];

fn findings(ws: &Workspace) -> usize {
    Analysis::new()
        .check(ws, &Config::default(), &Env::default())
        .values()
        .flatten()
        .filter(|d| DUP_CONFLICT.contains(&d.code))
        .count()
}

fn render(proposals: &[Proposal]) -> String {
    let mut out = String::new();
    for p in proposals {
        out.push_str(&format!(
            "## {} [{}] from `{}` at byte {}\n",
            p.name,
            kind(p),
            p.derived_from,
            p.edit.span.start
        ));
        out.push_str(&format!("why: {}\n", p.rationale));
        for line in p.edit.new_text.lines() {
            out.push_str(&format!("+ {line}\n"));
        }
        out.push('\n');
    }
    out
}

/// Apply every proposal (insertions at one offset keep their order).
fn apply_all(text: &str, proposals: &[Proposal]) -> String {
    let mut order: Vec<usize> = (0..proposals.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse((proposals[i].edit.span.start, i)));
    let mut out = text.to_string();
    for i in order {
        out = edge_cases::apply(&out, &proposals[i].edit);
    }
    out
}

#[test]
fn every_fixture() {
    let all = fixtures();
    assert!(all.len() >= 10, "{}", all.len());
    for (name, text) in all {
        let ws = workspace(&name, &text);
        let proposals = edge_cases::propose(&ws, &name, Target::Spec);
        insta::assert_snapshot!(format!("edge_cases_{name}"), render(&proposals));

        let kinds: BTreeSet<String> = proposals.iter().map(kind).collect();
        for k in marker(&text, "expect:") {
            assert!(
                kinds.contains(&k),
                "{name}: expected a `{k}` proposal, got {kinds:?}"
            );
        }
        for k in marker(&text, "absent:") {
            assert!(
                !kinds.contains(&k),
                "{name}: `{k}` is covered, yet proposed"
            );
        }

        // Unique names, also against the file's own scenarios and rows.
        let before = ws.get(&name).unwrap().doc.clone();
        let mut names: BTreeSet<String> = before
            .scenarios
            .iter()
            .map(|s| s.name.to_lowercase())
            .chain(
                before
                    .examples
                    .iter()
                    .filter_map(|r| r.name.as_ref().map(|n| n.to_lowercase())),
            )
            .collect();
        for p in &proposals {
            assert!(
                names.insert(p.name.to_lowercase()),
                "{name}: name {} repeats",
                p.name
            );
        }

        // All together: they parse back in the file's format, marked proposed, and add no
        // duplicate or conflict.
        let after_text = apply_all(&text, &proposals);
        let after = workspace(&name, &after_text);
        let doc = &after.get(&name).unwrap().doc;
        assert_eq!(doc.diagnostics, before.diagnostics, "{name}:\n{after_text}");
        let rows = proposals.iter().filter(|p| p.input.is_some()).count();
        assert_eq!(
            doc.scenarios.len(),
            before.scenarios.len() + proposals.len() - rows,
            "{name}"
        );
        assert_eq!(doc.examples.len(), before.examples.len() + rows, "{name}");
        for p in proposals.iter().filter(|p| p.input.is_none()) {
            let s = doc.scenarios.iter().find(|s| s.name == p.name);
            let s = s.unwrap_or_else(|| panic!("{name}: {} not parsed back", p.name));
            let marked = s.tags.iter().any(|t| t == "proposed")
                || s.steps()
                    .any(|st| st.text.ends_with(edge_cases::PROPOSED_MARK));
            assert!(marked, "{name}: {} is not marked proposed", p.name);
        }
        for p in proposals.iter().filter(|p| p.input.is_some()) {
            let row = doc.examples.iter().find(|r| {
                r.name.as_deref().is_some_and(|n| n.starts_with(&p.name))
                    || r.cells.iter().any(|(_, v)| v.contains(&p.name))
            });
            let row = row.unwrap_or_else(|| panic!("{name}: row {} not parsed back", p.name));
            assert!(
                row.cells.iter().any(|(_, v)| v.contains("proposed"))
                    || row
                        .name
                        .as_deref()
                        .is_some_and(|n| n.contains("(proposed)")),
                "{name}: row {} is not marked proposed",
                p.name
            );
        }
        assert!(findings(&after) <= findings(&ws), "{name}:\n{after_text}");
    }
}

/// The own spec's `edge-cases-schema-maximum`: a schema maximum of 20 for `n`, examples that
/// cover n = 5, gives rows for n = 20 and n = 21, every one marked proposed.
// @spec edge-cases-schema-maximum
#[test]
fn schema_maximum_gives_rows_at_and_over_it() {
    let name = "clamp_score.spec.md";
    let text = fixtures().into_iter().find(|(n, _)| n == name).unwrap().1;
    assert!(text.contains("maximum: 20") && text.contains("clamp_score(n=5)"));
    let ws = workspace(name, &text);
    let proposals = edge_cases::propose(&ws, name, Target::Spec);
    let inputs: Vec<&str> = proposals
        .iter()
        .filter_map(|p| p.input.as_deref())
        .collect();
    assert!(inputs.contains(&"`clamp_score(n=20)`"), "{inputs:?}");
    assert!(inputs.contains(&"`clamp_score(n=21)`"), "{inputs:?}");
    for p in &proposals {
        assert!(p.input.is_some(), "{} is not an example row", p.name);
        assert!(
            p.edit.new_text.starts_with('|') && p.edit.new_text.contains("proposed"),
            "{}",
            p.edit.new_text
        );
    }
}

// @spec edge-cases-cap-keeps-variety
/// A scenario with more ideas than `MAX_PER_SCENARIO`: the ones offered are of as many
/// different kinds as the cap allows (round-robin over kinds), and the cap is visible.
#[test]
fn the_cap_keeps_the_variety_of_kinds_and_says_what_it_held_back() {
    let name = "md_cap.spec.md";
    let text = fixtures().into_iter().find(|(n, _)| n == name).unwrap().1;
    let ws = workspace(name, &text);
    let all = edge_cases::propose_counted(&ws, name, Target::Spec);
    assert_eq!(all.proposals.len(), edge_cases::MAX_PER_SCENARIO);
    let kinds: BTreeSet<String> = all.proposals.iter().map(kind).collect();
    assert_eq!(
        kinds.len(),
        all.proposals.len(),
        "one of each kind: {kinds:?}"
    );
    assert!(all.held_back > 0);
    let note = all.cap_note().unwrap();
    assert_eq!(
        note,
        format!(
            "6 of up to {} edge cases shown (at most 6 per scenario, one of each kind first); keep or change these and propose again for more",
            6 + all.held_back
        )
    );
    // Once the offered ones are in the file, proposing again offers what was held back.
    let after_text = apply_all(&text, &all.proposals);
    let after = workspace(name, &after_text);
    let again = edge_cases::propose_counted(
        &after,
        name,
        Target::Scenario("md-cap/transfer-money-to-a-friend".into()),
    );
    assert!(!again.proposals.is_empty());
    for p in &again.proposals {
        assert!(
            all.proposals.iter().all(|q| q.name != p.name),
            "{} offered twice",
            p.name
        );
    }
}
