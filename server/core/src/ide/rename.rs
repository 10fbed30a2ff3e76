//! Rename a scenario (its name, or its explicit id) or a requirement id across the workspace.
//!
//! - Scenario name: the name itself; when the scenario's id is derived from its name, every
//!   mention of the old derived id (`todo/add-a-task`) becomes the new one; example rows that
//!   target the scenario by name are updated.
//! - Explicit scenario id (`id: store-save`, or a mention of it): the id and every mention.
//! - Requirement id (`FR-01`, at its definition or any mention): every word-bounded mention in
//!   every file.

use crate::diag::TextEdit;
use crate::model::{scenario_id, Scenario};
use crate::span::Span;
use crate::workspace::Workspace;

use super::fmt::{needs_quotes, quote_double};
use super::target::{
    mentions, requirement_defs, scenario_id_span, target_at, ScenarioPart, Target,
};
use super::text::{looks_like_requirement_id, valid};

/// Why a rename cannot be done.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RenameError {
    #[error("nothing to rename here: place the cursor on a scenario name, a scenario id or a requirement id")]
    NothingToRename,
    #[error("invalid name: {0}")]
    InvalidName(String),
    #[error("{0}")]
    Conflict(String),
}

enum What<'a> {
    ScenarioName { path: &'a str, sc: &'a Scenario },
    ScenarioId { sc: &'a Scenario },
    Requirement { id: &'a str },
}

fn what<'a>(ws: &'a Workspace, path: &str, offset: usize) -> Option<(What<'a>, Span, String)> {
    match target_at(ws, path, offset)? {
        Target::Scenario {
            path: p,
            scenario,
            span,
            on,
        } => match on {
            ScenarioPart::Name => Some((
                What::ScenarioName {
                    path: p,
                    sc: scenario,
                },
                span,
                scenario.name.clone(),
            )),
            ScenarioPart::Id => {
                Some((What::ScenarioId { sc: scenario }, span, scenario.id.clone()))
            }
            ScenarioPart::Mention if span.slice(&ws.get(path)?.text) == scenario.name => Some((
                What::ScenarioName {
                    path: p,
                    sc: scenario,
                },
                span,
                scenario.name.clone(),
            )),
            ScenarioPart::Mention if scenario.explicit_id => {
                Some((What::ScenarioId { sc: scenario }, span, scenario.id.clone()))
            }
            _ => None,
        },
        Target::RequirementId { id, span } if !requirement_defs(ws, id).is_empty() => {
            Some((What::Requirement { id }, span, id.to_string()))
        }
        _ => None,
    }
}

/// The span to rename at `offset` and the current text as the placeholder, or None when
/// nothing renameable is there.
pub fn prepare_rename(ws: &Workspace, path: &str, offset: usize) -> Option<(Span, String)> {
    let (_, span, placeholder) = what(ws, path, offset)?;
    let text = &ws.get(path)?.text;
    // The span the editor highlights is the text as written (a quoted YAML name keeps its
    // quotes outside the span where the model's span includes them).
    let written = span.slice(text);
    let inner = strip_quotes(written);
    let start = span.start
        + (written.len() - written.trim_start_matches(['"', '\'']).len())
            .min(written.len() - inner.len());
    Some((Span::new(start, start + inner.len()), placeholder))
}

fn strip_quotes(s: &str) -> &str {
    for q in ['"', '\''] {
        if s.len() >= 2 && s.starts_with(q) && s.ends_with(q) {
            return &s[1..s.len() - 1];
        }
    }
    s
}

/// The edits that rename the element at `offset` to `new_name`, across the workspace.
pub fn rename(
    ws: &Workspace,
    path: &str,
    offset: usize,
    new_name: &str,
) -> Result<Vec<TextEdit>, RenameError> {
    let (w, _, old) = what(ws, path, offset).ok_or(RenameError::NothingToRename)?;
    let new = new_name.trim();
    if new.is_empty() {
        return Err(RenameError::InvalidName("the new name is empty".into()));
    }
    if new.contains(['\n', '\r']) {
        return Err(RenameError::InvalidName(
            "the new name must be one line".into(),
        ));
    }
    if new.chars().count() > 300 {
        return Err(RenameError::InvalidName(
            "the new name is longer than 300 characters".into(),
        ));
    }
    if new == old {
        return Ok(Vec::new());
    }
    let mut edits: Vec<TextEdit> = Vec::new();
    let edit = |p: &str, span: Span, t: &str| TextEdit {
        path: p.to_string(),
        span,
        new_text: t.to_string(),
    };
    match w {
        What::Requirement { id } => {
            let shaped = looks_like_requirement_id(id);
            if shaped && !looks_like_requirement_id(new) {
                return Err(RenameError::InvalidName(format!(
                    "`{new}` is not a requirement id like `FR-01` (upper-case prefix, `-`, letters or digits)"
                )));
            }
            if shaped && new.contains(char::is_whitespace) {
                return Err(RenameError::InvalidName(
                    "a requirement id has no spaces".into(),
                ));
            }
            if let Some((p, f, r)) = requirement_defs(ws, new).first() {
                return Err(RenameError::Conflict(format!(
                    "requirement `{new}` already exists in {p} at {}",
                    super::text::line_col(&f.text, r.id_span.start)
                )));
            }
            for (p, s) in mentions(ws, id) {
                edits.push(edit(p, s, new));
            }
            for (p, _, r) in requirement_defs(ws, id) {
                edits.push(edit(p, r.id_span, new));
            }
        }
        What::ScenarioId { sc } => {
            if !new
                .chars()
                .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'))
            {
                return Err(RenameError::InvalidName(format!(
                    "`{new}` is not a scenario id: use letters, digits, `-`, `_`, `.` and `/`"
                )));
            }
            if let Some(p) = ws
                .files
                .iter()
                .find(|(_, f)| f.doc.scenarios.iter().any(|s| s.id == new))
                .map(|(p, _)| p)
            {
                return Err(RenameError::Conflict(format!(
                    "a scenario with id `{new}` already exists in {p}"
                )));
            }
            for (p, s) in mentions(ws, &sc.id) {
                edits.push(edit(p, s, new));
            }
            for (p, f) in &ws.files {
                for s in &f.doc.scenarios {
                    if std::ptr::eq(s, sc) {
                        if let Some(span) = scenario_id_span(&f.text, s) {
                            edits.push(edit(p, span, new));
                        }
                    }
                }
            }
        }
        What::ScenarioName { path: p, sc } => {
            let file = ws.get(p).ok_or(RenameError::NothingToRename)?;
            let doc = &file.doc;
            if let Some(other) = doc
                .scenarios
                .iter()
                .find(|s| !std::ptr::eq(*s, sc) && s.name.trim().eq_ignore_ascii_case(new))
            {
                return Err(RenameError::Conflict(format!(
                    "a scenario named `{}` already exists in {p} at {}",
                    other.name,
                    super::text::line_col(&file.text, other.name_span.start)
                )));
            }
            let new_id = scenario_id(&doc.name, new);
            if !sc.explicit_id {
                if let Some(q) = ws
                    .files
                    .iter()
                    .find(|(_, f)| {
                        f.doc
                            .scenarios
                            .iter()
                            .any(|s| !std::ptr::eq(s, sc) && s.id == new_id)
                    })
                    .map(|(q, _)| q)
                {
                    return Err(RenameError::Conflict(format!(
                        "the new name gives id `{new_id}`, which a scenario in {q} already has"
                    )));
                }
            }
            edits.push(edit(
                p,
                sc.name_span,
                &name_text(&file.text, sc.name_span, new, doc.kind),
            ));
            if !sc.explicit_id && sc.id != new_id {
                for (q, s) in mentions(ws, &sc.id) {
                    edits.push(edit(q, s, &new_id));
                }
            }
            for (q, f) in &ws.files {
                for row in &f.doc.examples {
                    let targets = row.target.as_deref() == Some(sc.name.as_str())
                        || row.name.as_deref() == Some(sc.name.as_str());
                    if targets && valid(&f.text, row.span) {
                        if let Some(i) = row.span.slice(&f.text).find(sc.name.as_str()) {
                            let s =
                                Span::new(row.span.start + i, row.span.start + i + sc.name.len());
                            if !(q == p && sc.span.start <= s.start && s.end <= sc.span.end) {
                                edits.push(edit(q, s, new));
                            }
                        }
                    }
                }
            }
        }
    }
    edits.sort_by(|a, b| {
        (&a.path, a.span.start, a.span.end).cmp(&(&b.path, b.span.start, b.span.end))
    });
    edits.dedup_by(|a, b| a.path == b.path && a.span == b.span);
    // Drop edits that overlap an earlier one (cannot happen for word-bounded mentions, but an
    // invalid model must not produce overlapping edits).
    let mut out: Vec<TextEdit> = Vec::with_capacity(edits.len());
    for e in edits {
        if out
            .last()
            .is_some_and(|l| l.path == e.path && e.span.start < l.span.end)
        {
            continue;
        }
        out.push(e);
    }
    Ok(out)
}

/// The text to write for a scenario name at `span`: in YAML, quoted the way the old value was
/// (or double-quoted when the new name needs quotes).
fn name_text(text: &str, span: Span, new: &str, kind: Option<crate::model::DocKind>) -> String {
    if kind != Some(crate::model::DocKind::YamlSpec) {
        return new.to_string();
    }
    let written = span.slice(text);
    let before = text[..span.start.min(text.len())].chars().next_back();
    let after = text.get(span.end..).and_then(|s| s.chars().next());
    let inside_double = written.starts_with('"') || (before == Some('"') && after == Some('"'));
    let inside_single = written.starts_with('\'') || (before == Some('\'') && after == Some('\''));
    let wrap = written.starts_with(['"', '\'']);
    let body = if inside_double {
        let q = quote_double(new);
        q[1..q.len() - 1].to_string()
    } else if inside_single {
        new.replace('\'', "''")
    } else if needs_quotes(new) {
        return quote_double(new);
    } else {
        return new.to_string();
    };
    if wrap {
        let q = if inside_double { '"' } else { '\'' };
        format!("{q}{body}{q}")
    } else {
        body
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{find, ws, STORE, TODO};
    use super::*;

    #[test]
    fn rename_requirement_everywhere() {
        let ws = ws();
        let o = find(TODO, "FR-01", 1).start;
        let (span, ph) = prepare_rename(&ws, "todo.spec.md", o).unwrap();
        assert_eq!((span.slice(TODO), ph.as_str()), ("FR-01", "FR-01"));
        let edits = rename(&ws, "todo.spec.md", o, "FR-10").unwrap();
        assert_eq!(edits.len(), 2);
        assert!(edits.iter().all(|e| e.new_text == "FR-10"));
        assert!(matches!(
            rename(&ws, "todo.spec.md", o, "FR-02"),
            Err(RenameError::Conflict(_))
        ));
        assert!(matches!(
            rename(&ws, "todo.spec.md", o, "fr 3"),
            Err(RenameError::InvalidName(_))
        ));
        assert!(matches!(
            rename(&ws, "todo.spec.md", o, " "),
            Err(RenameError::InvalidName(_))
        ));
    }

    #[test]
    fn rename_scenario_name_and_id() {
        let ws = ws();
        let o = find(TODO, "Add a task", 0).start + 2;
        let edits = rename(&ws, "todo.spec.md", o, "Add an item").unwrap();
        assert_eq!(edits.len(), 1);
        assert_eq!(edits[0].span.slice(TODO), "Add a task");
        assert!(matches!(
            rename(&ws, "todo.spec.md", o, "complete a TASK"),
            Err(RenameError::Conflict(_))
        ));
        let o = find(STORE, "Save", 0).start;
        let edits = rename(&ws, "store.spec.yaml", o, "Save: now").unwrap();
        assert_eq!(edits[0].new_text, "\"Save: now\"");
        let o = find(STORE, "store-save", 0).start;
        let (span, _) = prepare_rename(&ws, "store.spec.yaml", o).unwrap();
        assert_eq!(span.slice(STORE), "store-save");
        let edits = rename(&ws, "store.spec.yaml", o, "store-put").unwrap();
        assert_eq!(edits.len(), 1);
        assert!(matches!(
            rename(&ws, "store.spec.yaml", o, "a b"),
            Err(RenameError::InvalidName(_))
        ));
        assert!(prepare_rename(&ws, "todo.spec.md", find(TODO, "Todo list", 0).start).is_none());
        assert_eq!(
            rename(&ws, "todo.spec.md", find(TODO, "Todo list", 0).start, "x"),
            Err(RenameError::NothingToRename)
        );
    }
}
