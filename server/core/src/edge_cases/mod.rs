//! Deterministic edge-case proposals (no LLM): from a scenario's own steps, values and the
//! spec's stated limits, propose the scenarios the author probably forgot, each as a readable
//! edit in the file's own format, placed right after the scenario it derives from and marked
//! as proposed. Proposals that would duplicate or conflict with an existing scenario (as the
//! checks see it) are not offered.

mod examples;
pub mod llm;
mod load;
mod render;
mod text;

use std::collections::BTreeSet;

use serde::Serialize;

use crate::checks::{self, normalize};
use crate::config::Config;
use crate::diag::TextEdit;
use crate::model::{Document, Scenario, ScenarioOrigin};
use crate::workspace::Workspace;

use text::{Limit, NumberAt, Quoted};

/// What to propose edge cases for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// A scenario by its id (explicit or derived).
    Scenario(String),
    /// The scenario containing this byte offset.
    At(usize),
    /// Every scenario under this requirement (by requirement id or name).
    Requirement(String),
    /// Every scenario of the spec.
    Spec,
}

/// The kind of edge case a proposal covers.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum EdgeKind {
    /// A number at a stated limit, just over it, zero or negative.
    Boundary,
    NotSignedIn,
    NoPermission,
    WrongTenant,
    NotFound,
    EmptyText,
    Race,
    Idempotency,
    SqlInjection,
    ScriptInjection,
    LongText,
    UnicodeText,
    WhitespaceText,
    ShellInjection,
    /// The action fails: the error the user sees and the state that must not change.
    FailurePath,
    /// A constraint's stated load, and just above it.
    Load,
    /// Proposed by a model, of a kind it did not name among these.
    Model,
}

/// Every [`EdgeKind`] as it serialises (a test keeps the two in step).
pub const KIND_NAMES: &[&str] = &[
    "boundary",
    "not-signed-in",
    "no-permission",
    "wrong-tenant",
    "not-found",
    "empty-text",
    "race",
    "idempotency",
    "sql-injection",
    "script-injection",
    "long-text",
    "unicode-text",
    "whitespace-text",
    "shell-injection",
    "failure-path",
    "load",
    "model",
];

/// One proposed scenario.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Proposal {
    /// Unique among the file's scenarios.
    pub name: String,
    /// The id written into the file, for formats whose siblings carry explicit ids.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub kind: EdgeKind,
    /// Why this case matters for this scenario.
    pub rationale: String,
    /// Id of the scenario it derives from.
    pub derived_from: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub given: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub when: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub then: Vec<String>,
    /// For an example row: its input as written (the cell, or the entry's `inputs` value).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub input: Option<String>,
    /// For an example row: its expected output (`?` where the author must state it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected: Option<String>,
    /// The insertion, in the file's own format, right after the source scenario.
    pub edit: TextEdit,
}

/// At most this many proposals per scenario (or example table): a few strong ones, not every
/// idea. They are chosen round-robin over the kinds that apply, so a scenario with many
/// boundaries still gets its race, injection and failure-path cases; what the cap held back is
/// counted in [`Proposals::held_back`].
pub const MAX_PER_SCENARIO: usize = 6;

/// The proposals, and how many more ideas the cap of [`MAX_PER_SCENARIO`] held back.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Proposals {
    pub proposals: Vec<Proposal>,
    /// Distinct ideas not offered because their scenario already had [`MAX_PER_SCENARIO`]
    /// proposals (not yet checked against the file: an upper bound). Once the offered ones are
    /// in the file, proposing again offers these.
    pub held_back: usize,
}

impl Proposals {
    /// A sentence for the user when the cap held ideas back ("6 of up to 11 shown; ...").
    pub fn cap_note(&self) -> Option<String> {
        (self.held_back > 0).then(|| {
            format!(
                "{} of up to {} edge cases shown (at most {MAX_PER_SCENARIO} per scenario, one of each kind first); keep or change these and propose again for more",
                self.proposals.len(),
                self.proposals.len() + self.held_back
            )
        })
    }
}

/// Reorder `items` (already in kind order) round-robin over their kinds: the first of each
/// kind, then the second of each, and so on, so a cap keeps the variety of kinds.
fn round_robin<T>(items: Vec<T>, kind: impl Fn(&T) -> EdgeKind) -> Vec<T> {
    let mut buckets: Vec<(EdgeKind, std::collections::VecDeque<T>)> = Vec::new();
    for it in items {
        let k = kind(&it);
        match buckets.iter_mut().find(|(b, _)| *b == k) {
            Some((_, q)) => q.push_back(it),
            None => buckets.push((k, std::collections::VecDeque::from([it]))),
        }
    }
    let mut out = Vec::new();
    loop {
        let mut any = false;
        for (_, q) in buckets.iter_mut() {
            if let Some(it) = q.pop_front() {
                out.push(it);
                any = true;
            }
        }
        if !any {
            return out;
        }
    }
}

/// A proposal before it is written in the file's format.
#[derive(Clone, Debug)]
struct Draft {
    kind: EdgeKind,
    qualifier: String,
    rationale: String,
    given: Vec<String>,
    when: Vec<String>,
    then: Vec<String>,
}

const DUP_CONFLICT: &[&str] = &[
    "duplicate-scenario-name",
    "duplicate-scenario-id",
    "duplicate-scenario-steps",
    "conflicting-scenarios",
    "conflicting-examples",
];

/// Propose edge-case scenarios for `target` in the spec at `path`. Empty when the file is not
/// in the workspace, the target matches nothing, or nothing relevant is missing.
pub fn propose(ws: &Workspace, path: &str, target: Target) -> Vec<Proposal> {
    propose_counted(ws, path, target).proposals
}

/// [`propose`], with the count of ideas the per-scenario cap held back.
pub fn propose_counted(ws: &Workspace, path: &str, target: Target) -> Proposals {
    let mut held_back = 0;
    let proposals = propose_inner(ws, path, target, &mut held_back);
    Proposals {
        proposals,
        held_back,
    }
}

fn propose_inner(
    ws: &Workspace,
    path: &str,
    target: Target,
    held_back: &mut usize,
) -> Vec<Proposal> {
    let Some(file) = ws.get(path) else {
        return Vec::new();
    };
    let doc = file.doc.as_ref();
    let text: &str = &file.text;
    let scenarios: Vec<&Scenario> = doc
        .scenarios
        .iter()
        .filter(|s| render::supported(s.origin))
        .filter(|s| match &target {
            Target::Scenario(id) => &s.id == id,
            Target::At(off) => s.span.start <= *off && *off <= s.span.end,
            Target::Requirement(r) => s.parent.as_deref() == Some(r.as_str()),
            Target::Spec => true,
        })
        .collect();
    let groups = target_groups(doc, text, &target);
    let constraints: Vec<&crate::model::Constraint> = doc
        .constraints
        .iter()
        .filter(|c| match &target {
            Target::Spec => true,
            Target::At(off) => c.span.start <= *off && *off <= c.span.end,
            Target::Requirement(r) => &c.id == r || c.name.as_deref() == Some(r.as_str()),
            Target::Scenario(_) => false,
        })
        .collect();
    if scenarios.is_empty() && groups.is_empty() && constraints.is_empty() {
        return Vec::new();
    }
    let limits = text::limits(doc, text);
    let config = Config::default();
    let mut analysis = checks::Analysis::new();
    let baseline = count_findings(&analysis.check(ws, &config, &checks::Env::default()));
    let mut names: BTreeSet<String> = doc
        .scenarios
        .iter()
        .map(|s| s.name.to_lowercase())
        .collect();
    names.extend(
        doc.examples
            .iter()
            .filter_map(|r| r.name.as_ref().map(|n| n.to_lowercase())),
    );
    let mut ids: BTreeSet<String> = doc.scenarios.iter().map(|s| s.id.clone()).collect();
    let mut seen_steps: BTreeSet<Vec<String>> = BTreeSet::new();
    let mut out = Vec::new();
    for sc in scenarios {
        let mut drafts = drafts(doc, sc, &limits);
        drafts.sort_by_key(|d| d.kind);
        let drafts = round_robin(drafts, |d| d.kind);
        let mut taken = 0;
        let mut later: BTreeSet<Vec<String>> = BTreeSet::new();
        for d in drafts {
            let d = if sc.origin == ScenarioOrigin::MarkdownOneLine {
                one_line_draft(d)
            } else {
                d
            };
            let key: Vec<String> = d
                .given
                .iter()
                .chain(["|".to_string()].iter())
                .chain(d.when.iter())
                .chain(["|".to_string()].iter())
                .chain(d.then.iter())
                .map(|s| normalize::step_key(s))
                .collect();
            if taken >= MAX_PER_SCENARIO {
                if !seen_steps.contains(&key) && later.insert(key) {
                    *held_back += 1;
                }
                continue;
            }
            if !seen_steps.insert(key) {
                continue;
            }
            let name = unique(&format!("{} ({})", sc.name, d.qualifier), &names);
            let id = sc.explicit_id.then(|| {
                unique(
                    &format!("{}-{}", sc.id, crate::model::slug(&d.qualifier)),
                    &ids,
                )
            });
            let Some(edit) = render::insertion(doc, text, sc, &name, id.as_deref(), &d) else {
                continue;
            };
            if !verify(ws, path, doc, &edit, &d, &mut analysis, &config, baseline) {
                continue;
            }
            names.insert(name.to_lowercase());
            if let Some(id) = &id {
                ids.insert(id.clone());
            }
            taken += 1;
            out.push(Proposal {
                name,
                id,
                kind: d.kind,
                rationale: d.rationale,
                derived_from: sc.id.clone(),
                given: d.given,
                when: d.when,
                then: d.then,
                input: None,
                expected: None,
                edit: TextEdit {
                    path: path.to_string(),
                    ..edit
                },
            });
        }
    }
    load_proposals(
        ws,
        path,
        doc,
        &constraints,
        &mut names,
        &mut ids,
        &mut analysis,
        &config,
        baseline,
        &mut out,
    );
    let single = doc.functions.len() <= 1;
    for g in &groups {
        let mut taken = 0;
        let drafts = round_robin(examples::drafts(doc, g, &limits), |d| d.kind);
        for mut d in drafts {
            if taken >= MAX_PER_SCENARIO {
                *held_back += 1;
                continue;
            }
            d.name = unique(&d.name, &names);
            let rendered = match g.form {
                examples::Form::Table => examples::table_row(doc, text, g, &d, single),
                examples::Form::Yaml => examples::yaml_entry(doc, text, g, &d, single),
            };
            let Some((edit, input)) = rendered else {
                continue;
            };
            if !verify_row(ws, path, doc, &edit, &mut analysis, &config, baseline) {
                continue;
            }
            names.insert(d.name.to_lowercase());
            taken += 1;
            out.push(Proposal {
                name: d.name,
                id: None,
                kind: d.kind,
                rationale: d.rationale,
                derived_from: row_id(doc, d.source),
                given: Vec::new(),
                when: Vec::new(),
                then: Vec::new(),
                input: Some(input),
                expected: Some(d.expected),
                edit: TextEdit {
                    path: path.to_string(),
                    ..edit
                },
            });
        }
    }
    out
}

/// Load scenarios for constraints, after the file's last scenario in its format; in a YAML
/// spec without a `scenarios:` list, in a new list at the end of the file (the first proposal
/// carries the `scenarios:` key, so these are kept or dropped together, in order).
#[allow(clippy::too_many_arguments)]
fn load_proposals(
    ws: &Workspace,
    path: &str,
    doc: &Document,
    constraints: &[&crate::model::Constraint],
    names: &mut BTreeSet<String>,
    ids: &mut BTreeSet<String>,
    analysis: &mut checks::Analysis,
    config: &Config,
    baseline: usize,
    out: &mut Vec<Proposal>,
) {
    let Some(file) = ws.get(path) else {
        return;
    };
    let text: &str = &file.text;
    let last = doc
        .scenarios
        .iter()
        .filter(|s| {
            matches!(
                s.origin,
                ScenarioOrigin::Yaml | ScenarioOrigin::MarkdownHeading
            )
        })
        .max_by_key(|s| s.span.end);
    let new_list = last.is_none()
        && doc.kind == Some(crate::model::DocKind::YamlSpec)
        && !text
            .lines()
            .any(|l| l.starts_with("scenarios:") || l.starts_with("new_scenarios:"));
    if last.is_none() && !new_list {
        return;
    }
    let mut pending = Vec::new();
    for c in constraints {
        for (base, d) in load::drafts(doc, c) {
            let name = unique(&base, names);
            let id = match last {
                Some(sc) if sc.explicit_id => Some(unique(&crate::model::slug(&base), ids)),
                _ => None,
            };
            let edit = match last {
                Some(sc) => {
                    let Some(e) = render::insertion(doc, text, sc, &name, id.as_deref(), &d) else {
                        continue;
                    };
                    if !verify(ws, path, doc, &e, &d, analysis, config, baseline) {
                        continue;
                    }
                    e
                }
                None => {
                    let header = if pending.is_empty() {
                        let sep = if text.ends_with("\n\n") || text.is_empty() {
                            ""
                        } else if text.ends_with('\n') {
                            "\n"
                        } else {
                            "\n\n"
                        };
                        format!("{sep}scenarios:\n")
                    } else {
                        String::new()
                    };
                    TextEdit {
                        path: String::new(),
                        span: crate::span::Span::empty(text.len()),
                        new_text: format!("{header}{}", render::yaml_item(2, &name, None, &d)),
                    }
                }
            };
            names.insert(name.to_lowercase());
            if let Some(id) = &id {
                ids.insert(id.clone());
            }
            pending.push(Proposal {
                name,
                id,
                kind: d.kind,
                rationale: d.rationale,
                derived_from: c.id.clone(),
                given: d.given,
                when: d.when,
                then: d.then,
                input: None,
                expected: None,
                edit: TextEdit {
                    path: path.to_string(),
                    ..edit
                },
            });
        }
    }
    if new_list && !pending.is_empty() {
        // The new list as a whole parses back with one scenario per proposal and no finding.
        let mut all = text.to_string();
        for p in &pending {
            all.push_str(&p.edit.new_text);
        }
        let Some(kind) = doc.kind else {
            return;
        };
        let mut copy = ws.clone();
        copy.upsert(path, &all, kind);
        let ok = copy.get(path).is_some_and(|f| {
            f.doc.scenarios.len() == doc.scenarios.len() + pending.len()
                && f.doc.diagnostics.len() <= doc.diagnostics.len()
        }) && count_findings(&analysis.check(&copy, config, &checks::Env::default()))
            <= baseline;
        if !ok {
            return;
        }
    }
    out.extend(pending);
}

/// The example tables and `yaml:test_scenarios` blocks `target` selects.
fn target_groups(doc: &Document, text: &str, target: &Target) -> Vec<examples::Group> {
    examples::groups(doc, text)
        .into_iter()
        .filter(|g| {
            g.rows.iter().any(|&i| {
                let r = &doc.examples[i];
                match target {
                    Target::Scenario(id) => &row_id(doc, i) == id,
                    Target::At(off) => r.span.start <= *off && *off <= r.span.end,
                    Target::Requirement(req) => {
                        r.cells.iter().any(|(_, v)| v.contains(req.as_str()))
                    }
                    Target::Spec => true,
                }
            })
        })
        .collect()
}

/// The ids of the example rows `target` selects (a model's rows are added to their tables).
pub fn target_row_ids(ws: &Workspace, path: &str, target: &Target) -> Vec<String> {
    let Some(file) = ws.get(path) else {
        return Vec::new();
    };
    target_groups(&file.doc, &file.text, target)
        .iter()
        .flat_map(|g| g.rows.iter().map(|&i| row_id(&file.doc, i)))
        .collect()
}

/// The ids of the scenarios `target` selects (those proposals are written after).
pub fn target_ids(ws: &Workspace, path: &str, target: &Target) -> Vec<String> {
    let Some(file) = ws.get(path) else {
        return Vec::new();
    };
    file.doc
        .scenarios
        .iter()
        .filter(|s| render::supported(s.origin))
        .filter(|s| match target {
            Target::Scenario(id) => &s.id == id,
            Target::At(off) => s.span.start <= *off && *off <= s.span.end,
            Target::Requirement(r) => s.parent.as_deref() == Some(r.as_str()),
            Target::Spec => true,
        })
        .map(|s| s.id.clone())
        .collect()
}

/// The model's scenarios as proposals, written like the deterministic ones after the scenario
/// each derives from (one of `target`'s; the first one when the model names none of them), with
/// names kept unique. Dropped, each with the reason: those repeating an existing scenario, a
/// proposal in `already` or an earlier item, and those the duplicate and conflict checks flag.
pub fn propose_from_model(
    ws: &Workspace,
    path: &str,
    target: &Target,
    items: &[llm::ModelItem],
    already: &[Proposal],
) -> (Vec<Proposal>, Vec<String>) {
    let mut out = Vec::new();
    let mut dropped = Vec::new();
    let Some(file) = ws.get(path) else {
        return (out, dropped);
    };
    let doc = file.doc.as_ref();
    let text: &str = &file.text;
    let ids_in = target_ids(ws, path, target);
    let groups = target_groups(doc, text, target);
    if ids_in.is_empty() && groups.is_empty() {
        dropped.push("no scenario or example row of a format proposals can be written in".into());
        return (out, dropped);
    }
    let single = doc.functions.len() <= 1;
    let mut seen_inputs: BTreeSet<String> = doc
        .examples
        .iter()
        .map(|r| normalize::step_key(&r.input))
        .chain(
            already
                .iter()
                .filter_map(|p| p.input.as_deref())
                .map(normalize::step_key),
        )
        .collect();
    let key = |g: &[String], w: &[String], t: &[String]| -> Vec<String> {
        g.iter()
            .chain(["|".to_string()].iter())
            .chain(w.iter())
            .chain(["|".to_string()].iter())
            .chain(t.iter())
            .map(|s| normalize::step_key(s))
            .collect()
    };
    let mut seen: BTreeSet<Vec<String>> = already
        .iter()
        .map(|p| key(&p.given, &p.when, &p.then))
        .collect();
    for s in &doc.scenarios {
        let own_steps = |st: &[crate::model::Step]| own(s, st);
        seen.insert(key(
            &own_steps(&s.given),
            &own_steps(&s.when),
            &own_steps(&s.then),
        ));
    }
    let config = Config::default();
    let mut analysis = checks::Analysis::new();
    let baseline = count_findings(&analysis.check(ws, &config, &checks::Env::default()));
    let mut names: BTreeSet<String> = doc
        .scenarios
        .iter()
        .map(|s| s.name.to_lowercase())
        .chain(already.iter().map(|p| p.name.to_lowercase()))
        .collect();
    let mut ids: BTreeSet<String> = doc
        .scenarios
        .iter()
        .map(|s| s.id.clone())
        .chain(already.iter().filter_map(|p| p.id.clone()))
        .collect();
    for it in items {
        if it.is_row() {
            // A new row of the table (or entry of the block) holding the row it derives from.
            let rows: Vec<usize> = groups.iter().flat_map(|g| g.rows.iter().copied()).collect();
            let source = it
                .derived_from
                .as_ref()
                .and_then(|d| rows.iter().copied().find(|&i| &row_id(doc, i) == d))
                .or_else(|| rows.first().copied());
            let Some(source) = source else {
                dropped.push(format!(
                    "`{}` is an example row, and this spec has no example table to add it to",
                    it.name
                ));
                continue;
            };
            let Some(g) = groups.iter().find(|g| g.rows.contains(&source)) else {
                continue;
            };
            if !seen_inputs.insert(normalize::step_key(&it.input)) {
                dropped.push(format!(
                    "`{}` repeats the input of an existing or proposed row",
                    it.name
                ));
                continue;
            }
            let name = unique(&it.name, &names);
            let d = examples::RowDraft {
                kind: it.kind,
                name: name.clone(),
                rationale: it.rationale.clone(),
                note: "proposed".into(),
                expected: it.expected.clone(),
                source,
                subst: examples::Subst::Whole {
                    value: it.input.clone(),
                },
            };
            let rendered = match g.form {
                examples::Form::Table => examples::table_row(doc, text, g, &d, single),
                examples::Form::Yaml => examples::yaml_entry(doc, text, g, &d, single),
            };
            let Some((edit, input)) = rendered else {
                dropped.push(format!(
                    "`{}` cannot be written as a row of this table",
                    it.name
                ));
                continue;
            };
            if !verify_row(ws, path, doc, &edit, &mut analysis, &config, baseline) {
                dropped.push(format!(
                    "`{}` would duplicate or conflict with an existing row, or does not read back as one",
                    it.name
                ));
                continue;
            }
            names.insert(name.to_lowercase());
            out.push(Proposal {
                name,
                id: None,
                kind: d.kind,
                rationale: d.rationale,
                derived_from: row_id(doc, source),
                given: Vec::new(),
                when: Vec::new(),
                then: Vec::new(),
                input: Some(input),
                expected: Some(d.expected),
                edit: TextEdit {
                    path: path.to_string(),
                    ..edit
                },
            });
            continue;
        }
        let Some(first) = ids_in.first() else {
            dropped.push(format!(
                "`{}` is a scenario, and this spec holds example rows only (a row needs `input` and `expected`)",
                it.name
            ));
            continue;
        };
        let from = it
            .derived_from
            .as_ref()
            .filter(|d| ids_in.contains(d))
            .unwrap_or(first);
        let Some(sc) = doc.scenarios.iter().find(|s| &s.id == from) else {
            continue;
        };
        let mut d = Draft {
            kind: it.kind,
            qualifier: it.name.clone(),
            rationale: it.rationale.clone(),
            given: it.given.clone(),
            when: it.when.clone(),
            then: it.then.clone(),
        };
        if sc.origin == ScenarioOrigin::MarkdownOneLine {
            d = one_line_draft(d);
        }
        if !seen.insert(key(&d.given, &d.when, &d.then)) {
            dropped.push(format!(
                "`{}` repeats an existing or proposed scenario",
                it.name
            ));
            continue;
        }
        let name = unique(&it.name, &names);
        let id = sc
            .explicit_id
            .then(|| unique(&crate::model::slug(&it.name), &ids));
        let Some(edit) = render::insertion(doc, text, sc, &name, id.as_deref(), &d) else {
            dropped.push(format!(
                "`{}` cannot be written in this file's format",
                it.name
            ));
            continue;
        };
        if !verify(ws, path, doc, &edit, &d, &mut analysis, &config, baseline) {
            dropped.push(format!(
                "`{}` would duplicate or conflict with an existing scenario, or does not read back as one",
                it.name
            ));
            continue;
        }
        names.insert(name.to_lowercase());
        if let Some(id) = &id {
            ids.insert(id.clone());
        }
        out.push(Proposal {
            name,
            id,
            kind: d.kind,
            rationale: d.rationale,
            derived_from: sc.id.clone(),
            given: d.given,
            when: d.when,
            then: d.then,
            input: None,
            expected: None,
            edit: TextEdit {
                path: path.to_string(),
                ..edit
            },
        });
    }
    (out, dropped)
}

/// The id of an example row: `spec/row-name`, or `spec/row-N` (1-based) for a row without one.
pub fn row_id(doc: &Document, i: usize) -> String {
    match doc.examples.get(i).and_then(|r| r.name.as_deref()) {
        Some(n) => crate::model::scenario_id(&doc.name, n),
        None => format!("{}/row-{}", crate::model::slug(&doc.name), i + 1),
    }
}

/// The edited file parses back with exactly one more example row (at the insertion), no more
/// parse diagnostics, and the checks find no new duplicate or conflict.
fn verify_row(
    ws: &Workspace,
    path: &str,
    doc: &Document,
    edit: &TextEdit,
    analysis: &mut checks::Analysis,
    config: &Config,
    baseline: usize,
) -> bool {
    let Some(kind) = doc.kind else {
        return false;
    };
    let Some(old) = ws.get(path).map(|f| f.text.to_string()) else {
        return false;
    };
    let mut copy = ws.clone();
    copy.upsert(path, &apply(&old, edit), kind);
    let Some(new_doc) = copy.get(path).map(|f| f.doc.clone()) else {
        return false;
    };
    if new_doc.examples.len() != doc.examples.len() + 1
        || new_doc.scenarios.len() != doc.scenarios.len()
        || new_doc.diagnostics.len() > doc.diagnostics.len()
    {
        return false;
    }
    let end = edit.span.start + edit.new_text.len();
    if !new_doc
        .examples
        .iter()
        .any(|r| r.span.start >= edit.span.start && r.span.start < end)
    {
        return false;
    }
    count_findings(&analysis.check(&copy, config, &checks::Env::default())) <= baseline
}

/// A one-line scenario holds one Given, one When and one Then: join the draft's steps.
fn one_line_draft(mut d: Draft) -> Draft {
    for steps in [&mut d.given, &mut d.when, &mut d.then] {
        if steps.len() > 1 {
            *steps = vec![steps.join(" and ")];
        }
    }
    d
}

/// Apply an edit to a text.
pub fn apply(text: &str, edit: &TextEdit) -> String {
    let mut s = String::with_capacity(text.len() + edit.new_text.len());
    s.push_str(&text[..edit.span.start]);
    s.push_str(&edit.new_text);
    s.push_str(&text[edit.span.end..]);
    s
}

fn count_findings(all: &std::collections::BTreeMap<String, Vec<crate::Diagnostic>>) -> usize {
    all.values()
        .flatten()
        .filter(|d| DUP_CONFLICT.contains(&d.code))
        .count()
}

/// The edited file parses back with exactly one more scenario carrying the proposal's steps,
/// and the checks find no new duplicate or conflict.
#[allow(clippy::too_many_arguments)]
fn verify(
    ws: &Workspace,
    path: &str,
    doc: &Document,
    edit: &TextEdit,
    d: &Draft,
    analysis: &mut checks::Analysis,
    config: &Config,
    baseline: usize,
) -> bool {
    let Some(kind) = doc.kind else {
        return false;
    };
    let new_text = apply(
        &ws.get(path).map(|f| f.text.to_string()).unwrap_or_default(),
        edit,
    );
    let mut copy = ws.clone();
    copy.upsert(path, &new_text, kind);
    let Some(new_doc) = copy.get(path).map(|f| f.doc.clone()) else {
        return false;
    };
    if new_doc.scenarios.len() != doc.scenarios.len() + 1 {
        return false;
    }
    let inserted = new_doc.scenarios.iter().find(|s| {
        s.span.start >= edit.span.start && s.span.start < edit.span.start + edit.new_text.len()
    });
    let Some(inserted) = inserted else {
        return false;
    };
    if !same_steps(inserted, d) {
        return false;
    }
    count_findings(&analysis.check(&copy, config, &checks::Env::default())) <= baseline
}

/// A parsed step's text without the one-line form's `(proposed)` marker.
pub fn step_text(t: &str) -> &str {
    let t = t.trim();
    t.strip_suffix(PROPOSED_MARK).map_or(t, str::trim_end)
}

/// The marker ending a proposed one-line (spec-kit) scenario.
pub const PROPOSED_MARK: &str = "(proposed)";

/// Do the scenario's own steps (not a Background's) read as the draft's?
fn same_steps(s: &Scenario, d: &Draft) -> bool {
    let eq = |a: &[crate::model::Step], b: &[String]| {
        let own: Vec<&str> = a
            .iter()
            .filter(|x| s.abs(x.span).start >= s.span.start)
            .map(|x| step_text(&x.text))
            .collect();
        own.len() == b.len() && own.iter().zip(b).all(|(x, y)| *x == y.trim())
    };
    eq(&s.given, &d.given) && eq(&s.when, &d.when) && eq(&s.then, &d.then)
}

fn unique(base: &str, taken: &BTreeSet<String>) -> String {
    if !taken.contains(&base.to_lowercase()) {
        return base.to_string();
    }
    (2..)
        .map(|n| format!("{base} {n}"))
        .find(|c| !taken.contains(&c.to_lowercase()))
        .unwrap_or_else(|| base.to_string())
}

/// Words that mark a Then as a failure outcome.
const ERROR_WORDS: &[&str] = &[
    "error",
    "reject",
    "refus",
    "denied",
    "fail",
    "invalid",
    "not allowed",
    "forbidden",
    "unauthori",
    "not found",
    "status 4",
    "status 5",
    "remain",
    "unchanged",
    "no email is sent",
    "not be",
];

fn is_error_scenario(sc: &Scenario) -> bool {
    sc.then.iter().any(|t| {
        let l = t.text.to_lowercase();
        ERROR_WORDS.iter().any(|w| l.contains(w))
    })
}

/// Verbs whose repetition matters (idempotency).
const MUTATING: &[&str] = &[
    "create",
    "add",
    "submit",
    "pay",
    "send",
    "request",
    "place",
    "book",
    "register",
    "import",
    "charge",
    "transfer",
    "order",
    "publish",
    "complete",
    "cancel",
    "delete",
    "remove",
    "update",
    "edit",
    "set",
    "mark",
    "reserve",
    "buy",
    "purchase",
    "checkout",
    "redeem",
    "apply",
    "upload",
    "shorten",
    "subscribe",
    "renew",
    "confirm",
    "approve",
    "assign",
    "invite",
    "reset",
];

/// Verbs where two actors at once can collide (race).
const CONTENDED: &[&str] = &[
    "book", "reserve", "buy", "purchase", "checkout", "order", "pay", "withdraw", "transfer",
    "claim", "redeem", "complete", "cancel", "assign", "accept", "approve", "confirm", "update",
    "edit", "borrow", "return", "renew", "register",
];

fn has_verb(text: &str, verbs: &[&str]) -> bool {
    text::words(text).iter().any(|w| {
        verbs.iter().any(|v| {
            w == v
                || w.strip_suffix('s') == Some(v)
                || w.strip_suffix("es") == Some(v)
                || w.strip_suffix("ed") == Some(v)
                || w.strip_suffix('d') == Some(v)
                || w.strip_suffix("ing") == Some(v)
        })
    })
}

/// Scenarios (and example rows) that act like `sc`'s When: their text, lower case.
fn neighbours(doc: &Document, sc: &Scenario) -> Vec<String> {
    let frame = frame_words(&when_text(sc));
    let mut out = Vec::new();
    for other in &doc.scenarios {
        if std::ptr::eq(other, sc) {
            continue;
        }
        let of = frame_words(&when_text(other));
        if similar(&frame, &of) {
            let mut t = other.name.to_lowercase();
            for s in other.steps() {
                t.push('\n');
                t.push_str(&s.text.to_lowercase());
            }
            out.push(t);
        }
    }
    for row in &doc.examples {
        let mut t = row.name.clone().unwrap_or_default().to_lowercase();
        t.push('\n');
        t.push_str(&row.input.to_lowercase());
        if similar(&frame, &frame_words(&t)) {
            out.push(t);
        }
    }
    out
}

fn when_text(sc: &Scenario) -> String {
    sc.when
        .iter()
        .map(|s| s.text.as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

fn frame_words(t: &str) -> BTreeSet<String> {
    let stripped = text::strip_values(t);
    normalize::significant_words(&stripped)
        .into_iter()
        .filter(|w| !matches!(w.as_str(), "try" | "again" | "tri"))
        .collect()
}

fn similar(a: &BTreeSet<String>, b: &BTreeSet<String>) -> bool {
    if a.is_empty() || b.is_empty() {
        return false;
    }
    let common = a.intersection(b).count();
    common * 3 >= a.len().min(b.len()) * 2
}

fn covered(nb: &[String], needles: &[&str]) -> bool {
    nb.iter().any(|t| needles.iter().any(|n| t.contains(n)))
}

/// The scenario's own steps (a Background's, written elsewhere, are left out).
fn own(sc: &Scenario, steps: &[crate::model::Step]) -> Vec<String> {
    steps
        .iter()
        .filter(|s| sc.abs(s.span).start >= sc.span.start && sc.abs(s.span).end <= sc.span.end)
        .map(|s| s.text.trim().to_string())
        .collect()
}

fn drafts(doc: &Document, sc: &Scenario, limits: &[Limit]) -> Vec<Draft> {
    let mut out = Vec::new();
    if sc.when.is_empty() || sc.then.is_empty() {
        return out;
    }
    let nb = neighbours(doc, sc);
    let given = own(sc, &sc.given);
    let when = own(sc, &sc.when);
    let then = own(sc, &sc.then);
    let error = is_error_scenario(sc);
    let wt = when.join(" ");
    let wl = wt.to_lowercase();
    // Verbs of the When itself, not of the quoted values it carries ("Buy milk").
    let verbs = text::strip_values(&wl);
    let gl = given.join(" ").to_lowercase();

    // Numbers of the When: the stated limit and just over it, else zero and negative.
    if let Some((wi, num)) = when
        .iter()
        .enumerate()
        .find_map(|(i, w)| text::numbers(w).into_iter().next().map(|n| (i, n)))
    {
        boundaries(&mut out, sc, &when, wi, &num, limits, &nb, error, &then);
    }

    // Identity and access in the Given.
    let signs_in = [
        "sign in", "signs in", "log in", "logs in", "signs up", "sign up",
    ]
    .iter()
    .any(|w| wl.contains(w));
    if !signs_in && !error {
        let ident = given.iter().position(|g| {
            let l = g.to_lowercase();
            [
                "signed in",
                "logged in",
                "authenticated",
                "session",
                "signed-in",
                "logged-in",
            ]
            .iter()
            .any(|w| l.contains(w))
        });
        if let Some(i) = ident {
            if !covered(
                &nb,
                &[
                    "not signed in",
                    "not logged in",
                    "anonymous",
                    "unauthenticated",
                    "signed out",
                    "401",
                ],
            ) {
                let mut g = given.clone();
                g[i] = "the user is not signed in".to_string();
                out.push(Draft {
                    kind: EdgeKind::NotSignedIn,
                    qualifier: "not signed in".into(),
                    rationale: format!("The Given requires a signed-in user (\"{}\"); nothing says what happens without one.", given[i]),
                    given: g,
                    when: when.clone(),
                    then: vec![
                        "the request is rejected as unauthenticated and the user is asked to sign in".into(),
                        "nothing is changed".into(),
                    ],
                });
            }
        }
        let access = given.iter().position(|g| {
            let l = g.to_lowercase();
            [
                "admin",
                "owner",
                "role",
                "permission",
                "signed in as",
                "manager",
                "librarian",
                "moderator",
            ]
            .iter()
            .any(|w| l.contains(w))
        });
        if let Some(i) = access {
            if !covered(
                &nb,
                &[
                    "permission",
                    "forbidden",
                    "403",
                    "not allowed",
                    "not the owner",
                    "another user",
                    "other user",
                ],
            ) {
                let mut g = given.clone();
                g[i] = "the user is signed in but has no permission for this action".to_string();
                out.push(Draft {
                    kind: EdgeKind::NoPermission,
                    qualifier: "without permission".into(),
                    rationale: format!("The Given grants access (\"{}\"); a user without that right must be refused.", given[i]),
                    given: g,
                    when: when.clone(),
                    then: vec![
                        "the request is rejected as forbidden".into(),
                        "nothing is changed".into(),
                    ],
                });
            }
        }
        let tenant = given.iter().position(|g| {
            let l = g.to_lowercase();
            [
                "tenant",
                "organization",
                "organisation",
                "workspace",
                "team",
            ]
            .iter()
            .any(|w| l.contains(w))
        });
        if let Some(i) = tenant {
            if !covered(
                &nb,
                &[
                    "other tenant",
                    "another tenant",
                    "other organi",
                    "another organi",
                    "wrong tenant",
                    "another team",
                    "other workspace",
                ],
            ) {
                let mut g = given.clone();
                g.push("the user belongs to another tenant".to_string());
                let _ = i;
                out.push(Draft {
                    kind: EdgeKind::WrongTenant,
                    qualifier: "other tenant".into(),
                    rationale: "The Given names a tenant; data of one tenant must stay invisible and untouchable to another.".into(),
                    given: g,
                    when: when.clone(),
                    then: vec![
                        "the request is rejected as if the item did not exist".into(),
                        "nothing is changed".into(),
                    ],
                });
            }
        }
    }

    // Not found: the Given states that something exists.
    if !error {
        let exists = given.iter().position(|g| {
            let l = format!(" {} ", g.to_lowercase());
            [
                " exists",
                " existing ",
                " is registered",
                " there is ",
                " booked \"",
                " was created",
            ]
            .iter()
            .any(|w| l.contains(w))
        });
        if let Some(i) = exists {
            if !covered(
                &nb,
                &[
                    "not found",
                    "does not exist",
                    "unknown",
                    "missing",
                    "deleted",
                    "no such",
                    "nonexistent",
                    "non-existent",
                    "404",
                ],
            ) {
                let mut g = given.clone();
                g[i] = format!(
                    "{}, but it has since been deleted",
                    given[i].trim_end_matches('.')
                );
                out.push(Draft {
                    kind: EdgeKind::NotFound,
                    qualifier: "already deleted".into(),
                    rationale: format!("The When acts on something the Given says exists (\"{}\"); acting on it once it is gone must give a clear not-found error.", given[i]),
                    given: g,
                    when: when.clone(),
                    then: vec![
                        "I should receive a not-found error".into(),
                        "nothing is changed".into(),
                    ],
                });
            }
        }
    }

    // Text inputs: the first quoted value of the When.
    if !error {
        if let Some((wi, q)) = when.iter().enumerate().find_map(|(i, w)| {
            text::quoted(w)
                .into_iter()
                .find(|q| q.is_text() && !gl.contains(&q.value.to_lowercase()))
                .map(|q| (i, q))
        }) {
            text_inputs(&mut out, &given, &when, wi, &q, &then, limits, &nb);
        }
    }

    // The When twice, and by two actors at once.
    if !error
        && has_verb(&verbs, MUTATING)
        && !covered(
            &nb,
            &[
                "again",
                "twice",
                "already",
                "duplicate",
                "second time",
                "repeat",
                "same request",
            ],
        )
        && !wl.contains("again")
    {
        let mut w = when.clone();
        w.push("the same request is made a second time".into());
        out.push(Draft {
            kind: EdgeKind::Idempotency,
            qualifier: "done twice".into(),
            rationale: "Retries and double clicks repeat the When; the spec should say whether the second attempt creates, charges or changes anything.".into(),
            given: given.clone(),
            when: w,
            then: vec![
                "the second attempt has no further effect".into(),
                "no duplicate is created".into(),
            ],
        });
    }
    if !error
        && has_verb(&verbs, CONTENDED)
        && !covered(
            &nb,
            &[
                "same time",
                "concurrent",
                "simultaneous",
                "at once",
                "same second",
                "both",
                "race",
            ],
        )
        && !gl.contains("both")
    {
        out.push(Draft {
            kind: EdgeKind::Race,
            qualifier: "two at once".into(),
            rationale: "Two actors can do this at the same moment; only one may win and the state must stay consistent.".into(),
            given: given.clone(),
            when: vec![format!("two users do this at the same moment: {}", when.join(", then "))],
            then: vec![
                "exactly one attempt succeeds and the other receives a clear error".into(),
                "the stored state is consistent, with no double effect or lost update".into(),
            ],
        });
    }

    // The failure path of the Thens.
    if !error
        && has_verb(&verbs, MUTATING)
        && !covered(
            &nb,
            &[
                "unavailable",
                "cannot be saved",
                "could not be",
                "fails",
                "timeout",
                "timed out",
            ],
        )
    {
        let mut w = when.clone();
        w.push("the change cannot be saved because the storage is unavailable".into());
        let mut t =
            vec!["I should receive an error saying the action could not be completed".to_string()];
        t.push(format!("none of this happened: {}", then.join("; ")));
        out.push(Draft {
            kind: EdgeKind::FailurePath,
            qualifier: "storage unavailable".into(),
            rationale: "Every Then can fail to happen; the user must see an error and no partial change may remain.".into(),
            given: given.clone(),
            when: w,
            then: t,
        });
    }
    out
}

#[allow(clippy::too_many_arguments)]
fn boundaries(
    out: &mut Vec<Draft>,
    sc: &Scenario,
    when: &[String],
    wi: usize,
    num: &NumberAt,
    limits: &[Limit],
    nb: &[String],
    error: bool,
    then: &[String],
) {
    let given = own(sc, &sc.given);
    let with = |v: &str| {
        let mut w = when.to_vec();
        w[wi] = num.replace(&when[wi], v);
        w
    };
    let mentions = |v: f64| {
        let s = text::fmt_num(v);
        nb.iter().any(|t| {
            text::numbers(t)
                .iter()
                .any(|n| text::fmt_num(n.value) == s && n.unit == num.unit)
        })
    };
    let unit = num.unit.clone().unwrap_or_default();
    let limit = limits
        .iter()
        .find(|l| l.upper && l.unit.as_deref() == num.unit.as_deref() && num.unit.is_some());
    if let Some(l) = limit {
        let at = l.value;
        let over = l.value + 1.0;
        let accept_then = if error {
            vec![format!(
                "the request is accepted: {} {unit} is within the limit",
                text::fmt_num(at)
            )
            .trim()
            .to_string()]
        } else {
            then.iter()
                .map(|t| num.replace_value_in(t, &text::fmt_num(at)))
                .collect()
        };
        if num.value != at && !mentions(at) {
            out.push(Draft {
                kind: EdgeKind::Boundary,
                qualifier: if error {
                    format!("but exactly {} {unit} is accepted", text::fmt_num(at))
                } else {
                    format!("exactly {} {unit}", text::fmt_num(at))
                }
                .replace("  ", " ")
                .trim()
                .to_string(),
                rationale: format!(
                    "The spec states a limit of {} {unit} ({}); the limit itself must be accepted.",
                    text::fmt_num(at),
                    l.source
                )
                .replace("  ", " "),
                given: given.clone(),
                when: with(&text::fmt_num(at)),
                then: accept_then,
            });
        }
        if num.value != over && !mentions(over) {
            let t = if error {
                then.to_vec()
            } else {
                vec![
                    format!(
                        "I should receive an error saying at most {} {unit} are allowed",
                        text::fmt_num(at)
                    )
                    .replace("  ", " "),
                    "nothing is changed".into(),
                ]
            };
            out.push(Draft {
                kind: EdgeKind::Boundary,
                qualifier: format!("{} {unit}, just over the limit", text::fmt_num(over))
                    .replace("  ", " "),
                rationale: format!(
                    "The spec states a limit of {} {unit} ({}); one more must be refused.",
                    text::fmt_num(at),
                    l.source
                )
                .replace("  ", " "),
                given: given.clone(),
                when: with(&text::fmt_num(over)),
                then: t,
            });
        }
        return;
    }
    if error || num.value <= 0.0 {
        return;
    }
    if !mentions(0.0) && !covered(nb, &["zero", "no items", "empty"]) {
        out.push(Draft {
            kind: EdgeKind::Boundary,
            qualifier: format!("zero {unit}").trim().to_string(),
            rationale: format!(
                "The When uses the number {}; zero is the first boundary to pin down.",
                text::fmt_num(num.value)
            ),
            given: given.clone(),
            when: with("0"),
            then: vec![
                format!(
                    "I should receive an error saying the {} must be at least 1",
                    if unit.is_empty() {
                        "number"
                    } else {
                        unit.as_str()
                    }
                ),
                "nothing is changed".into(),
            ],
        });
    }
    if !mentions(-1.0) && !covered(nb, &["negative"]) {
        out.push(Draft {
            kind: EdgeKind::Boundary,
            qualifier: format!("negative {unit}").trim().to_string(),
            rationale: format!(
                "The When uses the number {}; a negative value must be refused, not stored.",
                text::fmt_num(num.value)
            ),
            given: given.clone(),
            when: with("-1"),
            then: vec![
                format!(
                    "I should receive an error saying the {} must not be negative",
                    if unit.is_empty() {
                        "number"
                    } else {
                        unit.as_str()
                    }
                ),
                "nothing is changed".into(),
            ],
        });
    }
}

#[allow(clippy::too_many_arguments)]
fn text_inputs(
    out: &mut Vec<Draft>,
    given: &[String],
    when: &[String],
    wi: usize,
    q: &Quoted,
    then: &[String],
    limits: &[Limit],
    nb: &[String],
) {
    let with = |v: &str| {
        let mut w = when.to_vec();
        w[wi] = q.replace_in(&when[wi], v);
        w
    };
    let kept = |v: &str| -> Vec<String> {
        then.iter()
            .map(|t| q.replace_value_everywhere(t, v))
            .collect()
    };
    let rejected = |what: &str| -> Vec<String> {
        vec![
            format!("I should receive an error saying {what}"),
            "nothing is changed".into(),
        ]
    };
    let email = q.value.contains('@') && !q.value.contains(' ');
    let quoted_vals: Vec<String> = nb
        .iter()
        .flat_map(|t| text::quoted(t).into_iter().map(|q| q.value))
        .collect();
    if !quoted_vals.iter().any(|v| v.is_empty()) && !covered(nb, &["empty", "blank", "missing"]) {
        out.push(Draft {
            kind: EdgeKind::EmptyText,
            qualifier: "empty value".into(),
            rationale: format!("\"{}\" is a text input of the When; an empty value must be refused or have a stated meaning.", q.value),
            given: given.to_vec(),
            when: with(""),
            then: rejected("the value must not be empty"),
        });
    }
    if email {
        if !covered(nb, &["drop table", "injection"]) {
            let v = "x'); DROP TABLE users;--@example.com";
            out.push(Draft {
                kind: EdgeKind::SqlInjection,
                qualifier: "SQL in the address".into(),
                rationale: "An address is user input that reaches queries; an injection attempt must be refused as an invalid address.".into(),
                given: given.to_vec(),
                when: with(v),
                then: rejected("the address is invalid"),
            });
        }
        return;
    }
    if !covered(nb, &["drop table", "injection"]) {
        let v = "Robert'); DROP TABLE tasks;--";
        let mut t = kept(v);
        t.push("the text is stored exactly as typed and no query is altered".into());
        out.push(Draft {
            kind: EdgeKind::SqlInjection,
            qualifier: "SQL injection text".into(),
            rationale: format!("\"{}\" is free text that is stored; SQL metacharacters must be kept as plain text.", q.value),
            given: given.to_vec(),
            when: with(v),
            then: t,
        });
    }
    if !covered(nb, &["<script", "html", "xss"]) {
        let v = "<script>alert(1)</script>";
        let mut t = kept(v);
        t.push("the text is displayed escaped and never runs as script".into());
        out.push(Draft {
            kind: EdgeKind::ScriptInjection,
            qualifier: "HTML script text".into(),
            rationale: format!("\"{}\" is text that will be displayed; markup in it must be shown, never executed.", q.value),
            given: given.to_vec(),
            when: with(v),
            then: t,
        });
    }
    let char_limit = limits.iter().find(|l| {
        l.upper
            && matches!(
                l.unit.as_deref(),
                Some("characters" | "chars" | "character")
            )
    });
    match char_limit {
        Some(l) => {
            let at = text::fmt_num(l.value);
            if !covered(nb, &[&format!("{at} characters")]) {
                let mut w = when.to_vec();
                w[wi] = q.replace_quoted_with(&when[wi], &format!("of exactly {at} characters"));
                out.push(Draft {
                    kind: EdgeKind::LongText,
                    qualifier: format!("exactly {at} characters"),
                    rationale: format!("The spec limits text to {at} characters ({}); a value of exactly that length must be accepted.", l.source),
                    given: given.to_vec(),
                    when: w,
                    then: then.iter().filter(|t| !t.contains(&format!("\"{}\"", q.value)) && !t.contains(&format!("`{}`", q.value))).cloned().chain(["the whole text is kept".to_string()]).collect(),
                });
            }
        }
        None => {
            if !covered(nb, &["characters", "long", "length"]) {
                let mut w = when.to_vec();
                w[wi] = q.replace_quoted_with(&when[wi], "of 10000 characters");
                out.push(Draft {
                    kind: EdgeKind::LongText,
                    qualifier: "very long text".into(),
                    rationale: format!("No length limit is stated for \"{}\"; a very long value must be refused with the limit named, not truncated silently.", q.value),
                    given: given.to_vec(),
                    when: w,
                    then: rejected("the text is too long and naming the maximum length"),
                });
            }
        }
    }
    if !quoted_vals.iter().any(|v| !v.is_ascii()) && !covered(nb, &["unicode", "emoji", "accent"]) {
        let v = "Café ☕ 日本語 🎉";
        let mut t = kept(v);
        t.push("the text is shown back exactly as typed".into());
        out.push(Draft {
            kind: EdgeKind::UnicodeText,
            qualifier: "Unicode and emoji".into(),
            rationale: format!(
                "\"{}\" is free text; accents, CJK and emoji must survive storage and display.",
                q.value
            ),
            given: given.to_vec(),
            when: with(v),
            then: t,
        });
    }
    if !quoted_vals
        .iter()
        .any(|v| !v.is_empty() && v.trim().is_empty())
        && !covered(nb, &["whitespace", "blank", "spaces"])
    {
        out.push(Draft {
            kind: EdgeKind::WhitespaceText,
            qualifier: "whitespace only".into(),
            rationale: format!(
                "\"{}\" is a text input; a value of only spaces looks filled in but is empty.",
                q.value
            ),
            given: given.to_vec(),
            when: with("   "),
            then: rejected("the value must not be blank"),
        });
    }
    let l = when.join(" ").to_lowercase();
    if [
        "file", "path", "command", "export", "download", "upload", "folder", "script",
    ]
    .iter()
    .any(|w| l.contains(w))
        && !covered(nb, &["$(", "shell", "; rm"])
    {
        let v = "report; rm -rf ~ $(reboot)";
        let mut t = kept(v);
        t.push("no shell command is run and the text is used literally".into());
        out.push(Draft {
            kind: EdgeKind::ShellInjection,
            qualifier: "shell metacharacters".into(),
            rationale: format!(
                "\"{}\" may reach a file name or command line; shell metacharacters must be inert.",
                q.value
            ),
            given: given.to_vec(),
            when: with(v),
            then: t,
        });
    }
}

#[cfg(test)]
mod tests;

pub use render::supported;
