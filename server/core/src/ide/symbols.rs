//! Document symbols (the outline of one spec) and workspace symbols (fuzzy search over all).

use serde::Serialize;

use crate::model::{DocKind, Document};
use crate::span::Span;
use crate::workspace::Workspace;
use crate::yaml::{self, Node, Value};

use super::text::valid;

/// What a symbol is. Suggested LSP mapping: Spec -> File, Section -> Namespace,
/// Requirement -> Key, Function -> Function, Scenario -> Event, Constraint -> Constant,
/// Category -> Package, Domain -> Module, Flow -> Module, Key -> Property.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SymbolKind {
    /// A whole spec (YAML feature/domain/interaction, or a spec in workspace symbols).
    Spec,
    /// A Markdown heading and its content.
    Section,
    Requirement,
    Function,
    Scenario,
    Constraint,
    /// A constraint category of a YAML spec (`performance:`, `security:`...).
    Category,
    /// An item of `domains:` in a YAML spec.
    Domain,
    /// An item of an interaction's `flow:`.
    Flow,
    /// A top-level key of an arrangement.
    Key,
}

/// One node of a document's outline. `span` covers the whole element, `selection_span` the part
/// to highlight (name, id or heading); `selection_span` lies within `span`, and every child's
/// `span` lies within its parent's.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Symbol {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    pub kind: SymbolKind,
    pub span: Span,
    pub selection_span: Span,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub children: Vec<Symbol>,
}

/// A match of a workspace symbol search.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct WorkspaceSymbol {
    pub name: String,
    pub kind: SymbolKind,
    pub path: String,
    pub span: Span,
    pub selection_span: Span,
    /// The enclosing symbol's name (the spec for top-level elements).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub container: Option<String>,
    pub score: i64,
}

fn short(s: &str, max: usize) -> String {
    let s = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if s.chars().count() <= max {
        return s;
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

fn sym(name: &str, detail: Option<String>, kind: SymbolKind, span: Span, sel: Span) -> Symbol {
    let sel = if span.start <= sel.start && sel.end <= span.end && sel.start <= sel.end {
        sel
    } else {
        Span::empty(span.start)
    };
    Symbol {
        name: if name.trim().is_empty() {
            "(unnamed)".to_string()
        } else {
            short(name, 120)
        },
        detail: detail.filter(|d| !d.is_empty()),
        kind,
        span,
        selection_span: sel,
        children: Vec::new(),
    }
}

/// Nest flat symbols by containment of their spans. Equal spans: the earlier in `flat` is the
/// parent (callers push containers first).
fn nest(mut flat: Vec<Symbol>) -> Vec<Symbol> {
    // Stable sort keeps the callers' order for equal spans.
    flat.sort_by(|a, b| {
        a.span
            .start
            .cmp(&b.span.start)
            .then(b.span.end.cmp(&a.span.end))
    });
    let mut roots: Vec<Symbol> = Vec::new();
    let mut stack: Vec<Symbol> = Vec::new();
    fn pop(stack: &mut Vec<Symbol>, roots: &mut Vec<Symbol>) {
        if let Some(done) = stack.pop() {
            match stack.last_mut() {
                Some(parent) => parent.children.push(done),
                None => roots.push(done),
            }
        }
    }
    for s in flat {
        while let Some(top) = stack.last() {
            if top.span.start <= s.span.start && s.span.end <= top.span.end {
                break;
            }
            pop(&mut stack, &mut roots);
        }
        stack.push(s);
    }
    while !stack.is_empty() {
        pop(&mut stack, &mut roots);
    }
    roots
}

/// The outline of the document at `path` (empty when the path is unknown).
pub fn document_symbols(ws: &Workspace, path: &str) -> Vec<Symbol> {
    document_symbols_with(ws, path, None)
}

/// [`document_symbols`], given the YAML tree of the document's text when the caller holds it
/// (None: the text is read here).
pub fn document_symbols_with(
    ws: &Workspace,
    path: &str,
    yaml: Option<&yaml::YamlDoc>,
) -> Vec<Symbol> {
    let Some(file) = ws.get(path) else {
        return Vec::new();
    };
    outline(&file.text, &file.doc, true, yaml)
}

/// Sections with their extent computed from heading levels: up to the next heading of the same
/// or a higher level (or the end of the text), without trailing blank lines.
pub(crate) fn section_extents(text: &str, doc: &Document) -> Vec<(usize, Span)> {
    let mut secs: Vec<(usize, &crate::model::Section)> = doc
        .sections
        .iter()
        .enumerate()
        .filter(|(_, s)| valid(text, s.heading_span))
        .collect();
    secs.sort_by_key(|(_, s)| s.heading_span.start);
    let mut out = Vec::new();
    for (k, (i, s)) in secs.iter().enumerate() {
        let end = secs[k + 1..]
            .iter()
            .find(|(_, n)| n.level <= s.level)
            .map_or(text.len(), |(_, n)| n.heading_span.start);
        let end = s.heading_span.start + text[s.heading_span.start..end].trim_end().len();
        out.push((
            *i,
            Span::new(s.heading_span.start, end.max(s.heading_span.end)),
        ));
    }
    out
}

/// The outline; `yaml_tree` adds containers read from the YAML tree (constraint categories,
/// flows), which costs a parse of the text.
fn outline(
    text: &str,
    doc: &Document,
    yaml_tree: bool,
    given: Option<&yaml::YamlDoc>,
) -> Vec<Symbol> {
    let mut flat = Vec::new();
    let yaml_like = matches!(
        doc.kind,
        Some(DocKind::YamlSpec) | Some(DocKind::Arrangement)
    );
    if yaml_like {
        flat.push(sym(
            &doc.name,
            doc.description.as_deref().map(|d| short(d, 80)),
            SymbolKind::Spec,
            Span::new(0, text.len()),
            doc.name_span,
        ));
        for d in &doc.domains {
            let deps: Vec<&str> = d.dependencies.iter().map(|x| x.name.as_str()).collect();
            let detail = (!deps.is_empty()).then(|| format!("depends on {}", deps.join(", ")));
            flat.push(sym(
                &d.name,
                detail,
                SymbolKind::Domain,
                d.span,
                d.name_span,
            ));
        }
        let parsed;
        let y = match given {
            Some(y) if yaml_tree => y,
            _ => {
                parsed = if yaml_tree {
                    yaml::parse(text)
                } else {
                    yaml::YamlDoc::default()
                };
                &parsed
            }
        };
        if let Some(root) = &y.root {
            if doc.kind == Some(DocKind::Arrangement) {
                for e in root.entries() {
                    flat.push(sym(&e.key, None, SymbolKind::Key, e.span, e.key_span));
                }
            } else {
                yaml_containers(root, doc, &mut flat, 0);
            }
        }
    } else {
        for (i, ext) in section_extents(text, doc) {
            let s = &doc.sections[i];
            let h = s.heading_span;
            let represented = doc.scenarios.iter().any(|x| h.touches(x.name_span.start))
                || doc
                    .requirements
                    .iter()
                    .any(|r| h.contains(r.id_span.start) || h.contains(r.span.start))
                || doc.functions.iter().any(|f| h.contains(f.span.start));
            if represented {
                continue;
            }
            flat.push(sym(&s.title, s.number.clone(), SymbolKind::Section, ext, h));
        }
    }
    for f in &doc.functions {
        flat.push(sym(
            &f.name,
            Some(short(&f.signature, 80)),
            SymbolKind::Function,
            f.span,
            f.name_span,
        ));
    }
    for r in &doc.requirements {
        flat.push(sym(
            &r.id,
            Some(short(&r.text, 80)),
            SymbolKind::Requirement,
            r.span,
            r.id_span,
        ));
    }
    for c in &doc.constraints {
        let name = c.name.clone().unwrap_or_else(|| c.text.clone());
        flat.push(sym(
            &name,
            Some(short(&c.text, 80)),
            SymbolKind::Constraint,
            c.span,
            c.text_span,
        ));
    }
    for sc in &doc.scenarios {
        flat.push(sym(
            &sc.name,
            Some(sc.id.clone()),
            SymbolKind::Scenario,
            sc.span,
            sc.name_span,
        ));
    }
    flat.retain(|s| valid(text, s.span));
    nest(flat)
}

/// Containers of a YAML spec: constraint categories, domains, flows.
fn yaml_containers(node: &Node, doc: &Document, out: &mut Vec<Symbol>, depth: usize) {
    if depth > 32 {
        return;
    }
    match &node.value {
        Value::Map(entries) => {
            for e in entries {
                let is_category = doc.constraints.iter().any(|c| {
                    c.category.as_deref() == Some(e.key.as_str())
                        && e.span.start <= c.span.start
                        && c.span.end <= e.span.end
                });
                if is_category {
                    out.push(sym(&e.key, None, SymbolKind::Category, e.span, e.key_span));
                }
                if e.key == "flow" {
                    for item in e.value.items() {
                        if let Some(name) = item.get("name") {
                            if let Some(n) = name.as_str() {
                                out.push(sym(n, None, SymbolKind::Flow, item.span, name.span));
                            }
                        }
                    }
                }
                yaml_containers(&e.value, doc, out, depth + 1);
            }
        }
        Value::Seq(items) => {
            for it in items {
                yaml_containers(it, doc, out, depth + 1);
            }
        }
        _ => {}
    }
}

/// Fuzzy match of `query` against `candidate`: every query character must appear in order
/// (case-insensitive). Higher is better; None when it does not match. Matches at word starts,
/// runs of consecutive characters and prefixes score higher; skipped characters cost a little.
pub fn fuzzy_score(query: &str, candidate: &str) -> Option<i64> {
    let q: Vec<char> = query
        .chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect();
    if q.is_empty() {
        return Some(0);
    }
    let cand: Vec<char> = candidate.chars().collect();
    let mut score: i64 = 0;
    let mut qi = 0;
    let mut prev_match: Option<usize> = None;
    let mut first: Option<usize> = None;
    for (i, &c) in cand.iter().enumerate() {
        if qi == q.len() {
            break;
        }
        let lc = c.to_lowercase().next().unwrap_or(c);
        if lc != q[qi] {
            continue;
        }
        score += 16;
        let word_start = i == 0
            || !cand[i - 1].is_alphanumeric()
            || (c.is_uppercase() && cand[i - 1].is_lowercase());
        if word_start {
            score += 12;
        }
        match prev_match {
            Some(p) if p + 1 == i => score += 10,
            Some(p) => score -= ((i - p - 1) as i64).min(8),
            None => {}
        }
        first.get_or_insert(i);
        prev_match = Some(i);
        qi += 1;
    }
    if qi < q.len() {
        return None;
    }
    if first == Some(0) {
        score += 20;
    }
    let lower: String = candidate.to_lowercase();
    let ql: String = q.iter().collect();
    if lower == ql {
        score += 100;
    } else if lower.starts_with(&ql) {
        score += 40;
    }
    // Shorter candidates win ties.
    score -= (cand.len() as i64 / 8).min(10);
    Some(score)
}

fn flatten(
    syms: &[Symbol],
    container: Option<&str>,
    path: &str,
    out: &mut Vec<WorkspaceSymbol>,
    query: &str,
) {
    for s in syms {
        let searchable = !matches!(s.kind, SymbolKind::Section | SymbolKind::Key);
        if searchable {
            if let Some(score) = fuzzy_score(query, &s.name) {
                out.push(WorkspaceSymbol {
                    name: s.name.clone(),
                    kind: s.kind,
                    path: path.to_string(),
                    span: s.span,
                    selection_span: s.selection_span,
                    container: if s.kind == SymbolKind::Spec {
                        None
                    } else {
                        container.map(str::to_string)
                    },
                    score,
                });
            }
        }
        let inner = if s.kind == SymbolKind::Section {
            container
        } else {
            Some(s.name.as_str())
        };
        flatten(&s.children, inner, path, out, query);
    }
}

/// Search every spec's symbols (specs, requirements, functions, scenarios, constraints,
/// domains; not plain sections, and not the YAML containers that need a re-parse) by fuzzy match of the name. Best first, at
/// most `limit` results. An empty query lists everything (up to `limit`).
pub fn workspace_symbols(ws: &Workspace, query: &str, limit: usize) -> Vec<WorkspaceSymbol> {
    let mut out = Vec::new();
    for (path, f) in &ws.files {
        let syms = outline(&f.text, &f.doc, false, None);
        let has_spec_root = syms.iter().any(|s| s.kind == SymbolKind::Spec);
        if !has_spec_root {
            if let Some(score) = fuzzy_score(query, &f.doc.name) {
                out.push(WorkspaceSymbol {
                    name: f.doc.name.clone(),
                    kind: SymbolKind::Spec,
                    path: path.clone(),
                    span: Span::new(0, f.text.len()),
                    selection_span: if valid(&f.text, f.doc.name_span) {
                        f.doc.name_span
                    } else {
                        Span::empty(0)
                    },
                    container: None,
                    score,
                });
            }
        }
        flatten(&syms, Some(&f.doc.name), path, &mut out, query);
    }
    out.sort_by(|a, b| {
        b.score
            .cmp(&a.score)
            .then(a.name.len().cmp(&b.name.len()))
            .then(a.path.cmp(&b.path))
            .then(a.span.start.cmp(&b.span.start))
    });
    out.truncate(limit);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fuzzy_prefers_word_starts_and_prefixes() {
        assert!(fuzzy_score("ct", "Create task").is_some());
        assert!(fuzzy_score("xyz", "Create task").is_none());
        let a = fuzzy_score("ct", "Create task").unwrap();
        let b = fuzzy_score("ct", "abstract").unwrap();
        assert!(a > b, "{a} {b}");
        let exact = fuzzy_score("fr-01", "FR-01").unwrap();
        let longer = fuzzy_score("fr-01", "FR-010").unwrap();
        assert!(exact > longer);
        assert_eq!(fuzzy_score("", "x"), Some(0));
        assert_eq!(fuzzy_score(" ", ""), Some(0));
        assert!(fuzzy_score("é", "Été").is_some());
    }

    #[test]
    fn nesting_by_containment() {
        let mk = |n: &str, s, e| {
            sym(
                n,
                None,
                SymbolKind::Section,
                Span::new(s, e),
                Span::empty(s),
            )
        };
        let out = nest(vec![
            mk("b", 5, 8),
            mk("a", 0, 10),
            mk("c", 10, 12),
            mk("d", 9, 11),
        ]);
        assert_eq!(out.len(), 3);
        assert_eq!(out[0].name, "a");
        assert_eq!(out[0].children[0].name, "b");
        assert_eq!(out[1].name, "d");
        assert_eq!(out[2].name, "c");
    }
}
