//! Duplicates: scenario names and ids (error inside one spec, warning across the specs of one
//! feature, i.e. specs with the same slugged name), scenarios whose Given, When and Then are
//! the same after normalisation (a copy under another name, anywhere in the workspace), and
//! requirement ids defined twice in one spec.

use std::collections::BTreeMap;

use crate::fxhash::HashMap;

use crate::diag::{Diagnostic, Severity, TextEdit};
use crate::model::Document;
use crate::span::Span;

use super::normalize::step_key;
use super::summary::{find_in, FileSummary};

/// The rename fix: `<name> (n)` with the first `n >= 2` not already taken.
fn rename_fix(
    d: Diagnostic,
    path: &str,
    name: &str,
    at: Option<Span>,
    taken: &dyn Fn(&str) -> bool,
) -> Diagnostic {
    let Some(at) = at else { return d };
    let mut n = 2;
    let mut new_name = format!("{name} ({n})");
    while taken(&step_key(&new_name)) && n < 1000 {
        n += 1;
        new_name = format!("{name} ({n})");
    }
    d.with_fix(
        format!("Rename to `{new_name}`"),
        vec![TextEdit {
            path: path.to_string(),
            span: at,
            new_text: new_name,
        }],
    )
}

pub fn check_document(doc: &Document, text: &str, out: &mut Vec<Diagnostic>) {
    let keys: Vec<String> = doc.scenarios.iter().map(|s| step_key(&s.name)).collect();
    let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
    check_document_keyed(doc, text, &keys, out);
}

/// [`check_document`] with the scenario names' keys ([`step_key`]) already computed, one per
/// scenario (the summary has them).
pub fn check_document_keyed(doc: &Document, text: &str, keys: &[&str], out: &mut Vec<Diagnostic>) {
    if keys.len() != doc.scenarios.len() {
        return check_document(doc, text, out);
    }
    // Scenario names.
    let mut by_name: HashMap<&str, usize> =
        HashMap::with_capacity_and_hasher(keys.len(), Default::default());
    // The names in use, as a set built at the first duplicate (a spec of thousands of
    // scenarios with many duplicates must not scan every name for each of them).
    let all: std::cell::OnceCell<crate::fxhash::HashSet<&str>> = std::cell::OnceCell::new();
    let taken = |k: &str| {
        all.get_or_init(|| keys.iter().copied().collect())
            .contains(k)
    };
    for (i, key) in keys.iter().enumerate() {
        if key.is_empty() {
            continue;
        }
        match by_name.get(key) {
            None => {
                by_name.insert(key, i);
            }
            Some(&first) => out.push(name_duplicate(doc, text, i, first, &taken)),
        }
    }
    // Scenario ids (only when not already reported as a duplicate name).
    let mut by_id: HashMap<&str, usize> =
        HashMap::with_capacity_and_hasher(keys.len(), Default::default());
    for (i, sc) in doc.scenarios.iter().enumerate() {
        if sc.id.is_empty() {
            continue;
        }
        match by_id.get(sc.id.as_str()) {
            None => {
                by_id.insert(&sc.id, i);
            }
            Some(&first) => {
                if let Some(d) = id_duplicate(doc, keys[first] == keys[i], i, first) {
                    out.push(d);
                }
            }
        }
    }
    requirement_duplicates(doc, out);
}

/// Scenario `i` of `doc` has the name (key) of the earlier scenario `first`.
pub(crate) fn name_duplicate(
    doc: &Document,
    text: &str,
    i: usize,
    first: usize,
    taken: &dyn Fn(&str) -> bool,
) -> Diagnostic {
    let (sc, f) = (&doc.scenarios[i], &doc.scenarios[first]);
    let d = Diagnostic::new(
        "duplicate-scenario-name",
        sc.name_span,
        format!(
            "duplicate scenario name `{}`: this spec already has a scenario named `{}`",
            sc.name, f.name
        ),
    )
    .with_related(
        &doc.path,
        f.name_span,
        format!("first scenario named `{}`", f.name),
    );
    let at = find_in(text, sc.name_span, &sc.name);
    rename_fix(d, &doc.path, &sc.name, at, taken)
}

/// Scenario `i` of `doc` has the id of the earlier scenario `first` (`same_name`: their names'
/// keys are the same); None when that is already reported as a duplicate name.
pub(crate) fn id_duplicate(
    doc: &Document,
    same_name: bool,
    i: usize,
    first: usize,
) -> Option<Diagnostic> {
    let (sc, f) = (&doc.scenarios[i], &doc.scenarios[first]);
    if same_name && !sc.explicit_id && !f.explicit_id {
        return None;
    }
    Some(
        Diagnostic::new(
            "duplicate-scenario-id",
            sc.name_span,
            format!(
                "duplicate scenario id `{}`: scenario `{}` has the same id as `{}` in this spec",
                sc.id, sc.name, f.name
            ),
        )
        .with_related(
            &doc.path,
            f.name_span,
            format!("scenario `{}` with id `{}`", f.name, f.id),
        ),
    )
}

/// Requirement ids defined twice in `doc`.
pub(crate) fn requirement_duplicates(doc: &Document, out: &mut Vec<Diagnostic>) {
    let mut reqs: HashMap<&str, usize> = HashMap::default();
    for (i, r) in doc.requirements.iter().enumerate() {
        if r.id.is_empty() {
            continue;
        }
        match reqs.get(r.id.as_str()) {
            None => {
                reqs.insert(&r.id, i);
            }
            Some(&first) => {
                let f = &doc.requirements[first];
                out.push(
                    Diagnostic::new(
                        "duplicate-requirement-id",
                        r.id_span,
                        format!(
                            "duplicate requirement id `{}`: already defined in this spec",
                            r.id
                        ),
                    )
                    .with_related(
                        &doc.path,
                        f.id_span,
                        format!("first definition of `{}`", f.id),
                    ),
                );
            }
        }
    }
}

pub fn join(files: &[&FileSummary], out: &mut BTreeMap<String, Vec<Diagnostic>>) {
    let file = |fi: usize| files[fi];
    let mut push = |fi: usize, d: Diagnostic| super::push(out, &files[fi].path, d);
    // Per file, the names in use (built for the files that have a duplicate, once each).
    let names: std::cell::RefCell<HashMap<usize, crate::fxhash::HashSet<&str>>> =
        Default::default();
    let taken = |fi: usize, k: &str| {
        names
            .borrow_mut()
            .entry(fi)
            .or_insert_with(|| {
                files[fi]
                    .scenarios
                    .iter()
                    .map(|x| x.name_key.as_str())
                    .collect()
            })
            .contains(k)
    };
    for kind in [
        super::JoinKind::Name,
        super::JoinKind::Id,
        super::JoinKind::Steps,
    ] {
        for g in kind.groups(files) {
            group(kind, &g, &file, None, &taken, &mut push);
        }
    }
}

/// The diagnostics of one group of scenarios sharing a key of `kind` (a name in one feature, an
/// explicit id, the steps; places (file, scenario) in the workspace's order), for the places
/// in file `only` (all when None), given to `push` with their file.
pub(crate) fn group<'a>(
    kind: super::JoinKind,
    g: &[(usize, usize)],
    file: &dyn Fn(usize) -> &'a FileSummary,
    only: Option<usize>,
    taken: &dyn Fn(usize, &str) -> bool,
    push: &mut dyn FnMut(usize, Diagnostic),
) {
    use super::JoinKind;
    let first = g[0];
    let (f0, s0) = (file(first.0), &file(first.0).scenarios[first.1]);
    for &(fi, si) in &g[1..] {
        if only.is_some_and(|o| o != fi) {
            continue;
        }
        let (f, s) = (file(fi), &file(fi).scenarios[si]);
        match kind {
            JoinKind::Name => {
                if fi == first.0 {
                    continue; // same file: reported by the single-file check
                }
                let d = Diagnostic::new(
                    "duplicate-scenario-name",
                    s.name_span,
                    format!(
                        "duplicate scenario name `{}`: feature `{}` already has a scenario named `{}` in {}",
                        s.name(), f.name, s0.name(), f0.path
                    ),
                )
                .with_severity(Severity::Warning)
                .with_related(&f0.path, s0.name_span, format!("scenario `{}` in {}", s0.name(), f0.path));
                let taken = |k: &str| taken(fi, k);
                push(
                    fi,
                    rename_fix(d, &f.path, s.name(), s.name_text_span, &taken),
                );
            }
            JoinKind::Id => {
                if fi == first.0 {
                    continue;
                }
                push(
                    fi,
                    Diagnostic::new(
                        "duplicate-scenario-id",
                        s.name_span,
                        format!(
                            "duplicate scenario id `{}`: scenario `{}` has the same id as `{}` in {}",
                            s.id(), s.name(), s0.name(), f0.path
                        ),
                    )
                    .with_severity(Severity::Warning)
                    .with_related(
                        &f0.path,
                        s0.name_span,
                        format!("scenario `{}` with id `{}`", s0.name(), s0.id()),
                    ),
                );
            }
            JoinKind::Steps => {
                let same_name = s.name_key == s0.name_key;
                if same_name && (fi == first.0 || f.feature == f0.feature) {
                    continue; // already a duplicate name
                }
                let where_ = if fi == first.0 {
                    "in this spec".to_string()
                } else {
                    format!("in {}", f0.path)
                };
                push(
                    fi,
                    Diagnostic::new(
                        "duplicate-scenario-steps",
                        s.name_span,
                        format!(
                            "scenario `{}` repeats scenario `{}` {where_}: the same Given, When and Then after normalisation",
                            s.name(), s0.name()
                        ),
                    )
                    .with_related(&f0.path, s0.name_span, format!("scenario `{}` with the same steps", s0.name())),
                );
            }
            JoinKind::When | JoinKind::LocalId => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::*;

    #[test]
    fn duplicate_names_in_one_spec_are_errors_with_a_rename_fix() {
        let (doc, text) = DocBuilder::new("a.spec.md", "todo")
            .scenario(
                "Add item",
                &["empty list"],
                &["I add \"x\""],
                &["list has 1 item"],
            )
            .scenario(
                "add  item",
                &["empty list"],
                &["I add \"y\""],
                &["list has 1 item"],
            )
            .build();
        let mut out = Vec::new();
        super::check_document(&doc, &text, &mut out);
        assert_eq!(out.len(), 1);
        let d = &out[0];
        assert_eq!(d.code, "duplicate-scenario-name");
        assert_eq!(d.severity, crate::Severity::Error);
        assert_eq!(d.related[0].span, doc.scenarios[0].name_span);
        assert_eq!(d.fixes[0].edits[0].new_text, "add  item (2)");
        assert_eq!(d.fixes[0].edits[0].span.slice(&text), "add  item");
    }

    #[test]
    fn duplicates_across_one_feature_are_warnings() {
        let a = DocBuilder::new("a.spec.yaml", "Tasks")
            .scenario("Create", &["x"], &["I create"], &["task exists"])
            .build();
        let b = DocBuilder::new("b.spec.yaml", "tasks")
            .scenario("create", &["y"], &["I create"], &["task exists"])
            .build();
        let c = DocBuilder::new("c.spec.yaml", "Billing")
            .scenario("Create", &["z"], &["I create"], &["task exists"])
            .build();
        let r = run(&[a, b, c]);
        assert_eq!(r.len(), 1, "{r:?}");
        assert_eq!(r[0].0, "b.spec.yaml");
        assert_eq!(r[0].1, "duplicate-scenario-name");
    }

    #[test]
    fn copies_under_another_name() {
        let a = DocBuilder::new("a.spec.yaml", "Tasks")
            .scenario(
                "Create a task",
                &["the user is logged in"],
                &["the user creates a task \"Buy milk\""],
                &["the task list shows \"Buy milk\""],
            )
            .scenario(
                "New task",
                &["The user is logged in."],
                &["user creates task \"Buy milk\""],
                &["The task list shows \"Buy milk\"!"],
            )
            .scenario(
                "Other value",
                &["The user is logged in."],
                &["user creates task \"buy milk\""],
                &["The task list shows \"buy milk\""],
            )
            .build();
        let r = run(&[a]);
        assert_eq!(
            r.iter().map(|x| x.1).collect::<Vec<_>>(),
            vec!["duplicate-scenario-steps"],
            "{r:?}"
        );
        assert!(r[0]
            .2
            .contains("`New task` repeats scenario `Create a task`"));
    }

    #[test]
    fn requirement_and_explicit_id_duplicates() {
        let a = DocBuilder::new("a.spec.md", "x")
            .requirement("FR-01", "The system MUST a")
            .requirement("FR-01", "The system MUST b")
            .scenario_with("One", Some("S1"), Some("FR-01"), &["g"], &["w1"], &["t"])
            .scenario_with("Two", Some("S1"), Some("FR-01"), &["g"], &["w2"], &["t"])
            .build();
        let mut c = codes(&[a]);
        c.sort();
        assert_eq!(c, vec!["duplicate-requirement-id", "duplicate-scenario-id"]);
    }
}
