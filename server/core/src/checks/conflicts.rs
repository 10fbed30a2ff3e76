//! Conflicts: scenarios with the same Given and When (after normalisation; or one's Given set a
//! subset of the other's) whose Thens cannot both hold, and example rows that give the same
//! input two different expected outputs.
//!
//! Two Thens cannot both hold when (see [`super::normalize::Clause`]):
//! - a clause of one and a clause of the other have the same subject and a different quoted
//!   value or number (`status should be "pending"` / `"completed"`, `exactly 2 tasks` / `3 tasks`;
//!   numbers with time, size or percent units are compared in a base unit, so `5 seconds` and
//!   `5000 ms` agree);
//! - one clause states what the other negates (`should receive an error` / `should not`,
//!   `succeeds` / `fails`, `accepted` / `rejected`);
//! - the same subject is in a different state (`status is pending` / `status is completed`,
//!   `user is logged in` / `logged out`);
//! - one scenario's outcome is an error and the other's a success (`an error is shown` /
//!   `the task is created`).
//!
//! Each conflicting pair is reported on both scenarios, each with related information pointing
//! at the other one's conflicting Then; a scenario lists its first [`MAX_LISTED`] conflicts, the
//! last of them saying when there are more.
//!
//! A Then that only adds detail (more clauses, or a longer clause) never conflicts, and neither
//! do scenarios whose When differ or whose Givens differ other than by inclusion.

use std::collections::BTreeMap;

use crate::fxhash::HashMap;

use crate::diag::Diagnostic;
use crate::model::Document;
use crate::span::Span;

use super::normalize::Outcome;
use super::summary::{FileSummary, ScenarioSummary, StepKeys};

/// Scenarios sharing one When beyond this many are compared only within the first this many
/// (bounds the pairwise work on pathological workspaces).
pub const MAX_GROUP: usize = 2_000;

fn cell_key(s: &str) -> String {
    let t = s.trim().trim_matches('`').trim();
    t.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Example rows of one document with the same target and input but different expected output.
pub fn check_examples(doc: &Document, out: &mut Vec<Diagnostic>) {
    let mut seen: HashMap<(String, String), usize> = HashMap::default();
    for (i, ex) in doc.examples.iter().enumerate() {
        let input = cell_key(&ex.input);
        if input.is_empty() {
            continue;
        }
        let target = ex.target.as_deref().map(cell_key).unwrap_or_default();
        let key = (target.to_lowercase(), input.clone());
        let Some(&first) = seen.get(&key) else {
            seen.insert(key, i);
            continue;
        };
        let f = &doc.examples[first];
        let (e0, e1) = (cell_key(&f.expected), cell_key(&ex.expected));
        let validity = matches!((f.valid, ex.valid), (Some(a), Some(b)) if a != b);
        if e0 == e1 && !validity {
            continue;
        }
        let for_target = match &ex.target {
            Some(t) => format!(" of `{t}`"),
            None => String::new(),
        };
        let what = if validity && e0 == e1 {
            "listed as both valid and invalid".to_string()
        } else {
            format!("expected `{e1}` here but `{e0}` in the earlier row")
        };
        out.push(
            Diagnostic::new(
                "conflicting-examples",
                ex.span,
                format!("conflicting examples{for_target}: input `{input}` is {what}"),
            )
            .with_related(
                &doc.path,
                f.span,
                format!("earlier row: input `{input}` -> `{e0}`"),
            ),
        );
    }
}

/// Why two scenarios with compatible Given and the same When cannot both hold, with the span
/// of the Then in `a` and in `b` involved.
fn contradiction(a: &ScenarioSummary, b: &ScenarioSummary) -> Option<(String, Span, Span)> {
    for (i, (ca, sa)) in a.then_clauses.iter().enumerate() {
        for (j, (cb, sb)) in b.then_clauses.iter().enumerate() {
            if let Some(why) = ca.contradicts(cb) {
                let (ta, tb) = (a.then_text(i), b.then_text(j));
                return Some((format!("Then `{ta}` vs `{tb}`: {why}"), *sa, *sb));
            }
        }
    }
    let (oa, ob) = (a.outcome, b.outcome);
    if matches!(
        (oa, ob),
        (Outcome::Error, Outcome::Success) | (Outcome::Success, Outcome::Error)
    ) {
        let pick = |s: &ScenarioSummary, o: Outcome| {
            s.then_clauses
                .iter()
                .enumerate()
                .find(|(_, (c, _))| c.outcome == o)
                .map(|(i, (_, sp))| (s.then_text(i).to_string(), *sp))
                .unwrap_or_default()
        };
        let (ta, sa) = pick(a, oa);
        let (tb, sb) = pick(b, ob);
        let what = |o: Outcome| {
            if o == Outcome::Error {
                "an error"
            } else {
                "success"
            }
        };
        return Some((
            format!(
                "Then `{ta}` vs `{tb}`: one expects {} and the other {} for the same action",
                what(oa),
                what(ob)
            ),
            sa,
            sb,
        ));
    }
    None
}

fn givens_compatible(a: &StepKeys, b: &StepKeys) -> bool {
    a.given_joined() == b.given_joined()
        || super::normalize::is_subset(a.given(), b.given())
        || super::normalize::is_subset(b.given(), a.given())
}

pub fn join(files: &[&FileSummary], out: &mut BTreeMap<String, Vec<Diagnostic>>) {
    let groups = super::JoinKind::When.groups(files);
    let file = |fi: usize| files[fi];
    let mut push = |fi: usize, d: Diagnostic| super::push(out, &files[fi].path, d);
    for g in groups {
        group(&g, &file, None, &mut push);
    }
}

/// A scenario's conflicts are listed at most this many times (the first ones in the
/// workspace's order), the last saying that there are more: a group of thousands of scenarios
/// that all contradict each other would otherwise give millions of diagnostics (and take
/// seconds), where a few per scenario say what is wrong.
pub const MAX_LISTED: usize = 5;

/// The conflicts within one group of scenarios with the same When (places (file, scenario) in
/// the workspace's order), for the places in file `only` (all when None), given to `push` with
/// their file. Each scenario gets its first [`MAX_LISTED`] conflicts (the same whichever file
/// is asked for), and is compared no further once it has one more.
pub(crate) fn group<'a>(
    g: &[(usize, usize)],
    file: &dyn Fn(usize) -> &'a FileSummary,
    only: Option<usize>,
    push: &mut dyn FnMut(usize, Diagnostic),
) {
    let g = &g[..g.len().min(MAX_GROUP)];
    let mine = |f: usize| only.is_none_or(|o| o == f);
    // Per place: conflicts listed, the last one's index in `out`, and whether it has more.
    let mut listed = vec![0usize; g.len()];
    let mut last = vec![0usize; g.len()];
    let mut more = vec![false; g.len()];
    let mut out: Vec<(usize, Diagnostic)> = Vec::new();
    for (i, &(fa, sa)) in g.iter().enumerate() {
        for (j, &(fb, sb)) in g.iter().enumerate().skip(i + 1) {
            let want_a = mine(fa) && !more[i];
            let want_b = mine(fb) && !more[j];
            if !want_a && !want_b {
                continue;
            }
            let (a, b) = (&file(fa).scenarios[sa], &file(fb).scenarios[sb]);
            let same_given = a.keys.given_joined() == b.keys.given_joined();
            if same_given && a.keys.then_joined() == b.keys.then_joined() {
                continue; // a duplicate, not a conflict
            }
            if !givens_compatible(&a.keys, &b.keys) {
                continue;
            }
            let Some((why, span_a, span_b)) = contradiction(a, b) else {
                continue;
            };
            let given = if same_given {
                "the same Given and When"
            } else {
                "the same When and overlapping Given"
            };
            let (pa, pb) = (&file(fa).path, &file(fb).path);
            let place = |p: &str, other: &str| {
                if p == other {
                    "in this spec".to_string()
                } else {
                    format!("in {p}")
                }
            };
            if want_a && listed[i] == MAX_LISTED {
                more[i] = true;
            } else if want_a {
                listed[i] += 1;
                last[i] = out.len();
                out.push((
                    fa,
                    Diagnostic::new(
                        "conflicting-scenarios",
                        a.name_span,
                        format!(
                            "scenario `{}` conflicts with scenario `{}` {}: {given}, but {why}",
                            a.name(),
                            b.name(),
                            place(pb, pa)
                        ),
                    )
                    .with_related(
                        pb,
                        span_b,
                        format!("conflicting Then of scenario `{}`", b.name()),
                    ),
                ));
            }
            if want_b && listed[j] == MAX_LISTED {
                more[j] = true;
            } else if want_b {
                let why_b = match contradiction(b, a) {
                    Some((w, _, _)) => w,
                    None => why.clone(),
                };
                listed[j] += 1;
                last[j] = out.len();
                out.push((
                    fb,
                    Diagnostic::new(
                        "conflicting-scenarios",
                        b.name_span,
                        format!(
                            "scenario `{}` conflicts with scenario `{}` {}: {given}, but {why_b}",
                            b.name(),
                            a.name(),
                            place(pa, pb)
                        ),
                    )
                    .with_related(
                        pa,
                        span_a,
                        format!("conflicting Then of scenario `{}`", a.name()),
                    ),
                ));
            }
        }
    }
    for (k, _) in more.iter().enumerate().filter(|(_, m)| **m) {
        let d = &mut out[last[k]].1;
        d.message.push_str(&format!(
            " (it conflicts with more scenarios: only its first {MAX_LISTED} conflicts are listed)"
        ));
    }
    for (f, d) in out {
        push(f, d);
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::*;

    fn pair(
        g1: &[&str],
        w1: &[&str],
        t1: &[&str],
        g2: &[&str],
        w2: &[&str],
        t2: &[&str],
    ) -> Vec<&'static str> {
        let a = DocBuilder::new("a.spec.yaml", "f")
            .scenario("One", g1, w1, t1)
            .scenario("Two", g2, w2, t2)
            .build();
        let mut c = codes(&[a]);
        c.dedup();
        c
    }

    /// Twelve scenarios in two files, each contradicting every other: each lists its first
    /// five conflicts, the fifth saying there are more; a pair with few conflicts lists all.
    #[test]
    fn a_scenario_lists_its_first_conflicts() {
        let (g, w) = (&["a cart with one book"][..], &["I check out"][..]);
        let build = |path: &str, from: usize| {
            let mut b = DocBuilder::new(path, "shop");
            for n in from..from + 6 {
                let then = format!("the total is {n} dollars");
                b = b.scenario(&format!("Total {n}"), g, w, &[then.as_str()]);
            }
            b.build()
        };
        let out = run(&[build("a.spec.yaml", 0), build("b.spec.yaml", 6)]);
        let conflicts: Vec<&(String, &str, String)> = out
            .iter()
            .filter(|(_, c, _)| *c == "conflicting-scenarios")
            .collect();
        for n in 0..12 {
            let mine: Vec<&str> = conflicts
                .iter()
                .filter(|(_, _, m)| m.starts_with(&format!("scenario `Total {n}` ")))
                .map(|(_, _, m)| m.as_str())
                .collect();
            assert_eq!(mine.len(), super::MAX_LISTED, "Total {n}: {mine:#?}");
            assert!(mine[..4].iter().all(|m| !m.contains("more scenarios")));
            assert!(
                mine[4].ends_with("only its first 5 conflicts are listed)"),
                "{}",
                mine[4]
            );
        }
        // Three scenarios: two conflicts each, all listed, no note.
        let mut three = DocBuilder::new("c.spec.yaml", "shop");
        for n in 0..3 {
            let then = format!("the total is {n} dollars");
            three = three.scenario(&format!("Total {n}"), g, w, &[then.as_str()]);
        }
        let out = run(&[three.build()]);
        let listed: Vec<&str> = out
            .iter()
            .filter(|(_, c, _)| *c == "conflicting-scenarios")
            .map(|(_, _, m)| m.as_str())
            .collect();
        assert_eq!(listed.len(), 6, "{listed:#?}");
        assert!(listed.iter().all(|m| !m.contains("more scenarios")));
    }

    #[test]
    fn conflicting_values_and_negations() {
        let g = &["a task \"Buy milk\" exists"];
        let w = &["I complete the task"];
        assert_eq!(
            pair(
                g,
                w,
                &["its status should be \"completed\""],
                g,
                w,
                &["its status should be \"pending\""]
            ),
            vec!["conflicting-scenarios"]
        );
        assert_eq!(
            pair(
                g,
                w,
                &["I should receive an error"],
                g,
                w,
                &["I should not receive an error"]
            ),
            vec!["conflicting-scenarios"]
        );
        assert_eq!(
            pair(
                g,
                w,
                &["the request succeeds"],
                g,
                w,
                &["the request is rejected"]
            ),
            vec!["conflicting-scenarios"]
        );
        // Subset Given.
        assert_eq!(
            pair(
                g,
                w,
                &["I see exactly 2 tasks"],
                &[g[0], "I am logged in"],
                w,
                &["I see exactly 3 tasks"]
            ),
            vec!["conflicting-scenarios"]
        );
    }

    #[test]
    fn near_misses_do_not_conflict() {
        let g = &["a task exists"];
        let w = &["I complete the task"];
        let none: Vec<&str> = vec![];
        // Different Given.
        assert_eq!(
            pair(
                g,
                w,
                &["status is \"a\""],
                &["no task exists"],
                w,
                &["status is \"b\""]
            ),
            none
        );
        // Different When.
        assert_eq!(
            pair(
                g,
                w,
                &["status is \"a\""],
                g,
                &["I delete the task"],
                &["status is \"b\""]
            ),
            none
        );
        // Adds detail.
        assert_eq!(
            pair(
                g,
                w,
                &["the task is done"],
                g,
                w,
                &["the task is done", "a confetti animation plays"]
            ),
            none
        );
        // Same quantity, other unit.
        assert_eq!(
            pair(
                g,
                w,
                &["it responds within 5 seconds"],
                g,
                w,
                &["it responds within 5000 ms"]
            ),
            none
        );
        // Different subjects with the same number.
        assert_eq!(
            pair(g, w, &["I see 2 tasks"], g, w, &["I see 2 items"]),
            none
        );
    }

    #[test]
    fn conflicting_example_rows() {
        let (doc, _) = DocBuilder::new("a.spec.md", "m")
            .example(Some("add"), "1, 2", "3")
            .example(Some("add"), "`1, 2`", "4")
            .example(Some("sub"), "1, 2", "-1")
            .example(Some("add"), "2, 2", "4")
            .build();
        let mut out = Vec::new();
        super::check_examples(&doc, &mut out);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].code, "conflicting-examples");
        assert_eq!(out[0].span, doc.examples[1].span);
        assert_eq!(out[0].related[0].span, doc.examples[0].span);
    }
}
