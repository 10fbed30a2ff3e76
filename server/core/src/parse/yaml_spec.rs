//! YAML scenario specs: `feature`/`system`/`domain`/`interaction`, `description`, `constraints`
//! and `global_constraints` by category, `scenarios`, `new_scenarios`, `chaos_scenarios`,
//! `domains` with `dependencies`, a domain's `data_model.consistency_requirements`, an
//! interaction's `participants`, `flow` and `failure_handling`.
//!
//! Keys this format does not define are accepted silently at the top level (real files carry
//! `data_model`, `rationale`, `implementation_hint`, `cache_strategy`...); inside scenario items
//! only keys that are clearly typos of `given`/`when`/`then`/`name`/`id`/`tags` get a hint.
use crate::suggest::edit_distance;

use crate::diag::{Diagnostic, TextEdit};
use crate::model::{
    scenario_id, slug, Constraint, Dependency, Document, Domain, RelSpan, Scenario, ScenarioDraft,
    ScenarioOrigin, Step, StepKind, WorkflowStep,
};
use crate::parse::constraint;
use crate::span::Span;
use crate::yaml::{self, Entry, Node, ScalarStyle, Value};

/// Keys that name the document, in order of preference.
const NAME_KEYS: &[&str] = &["feature", "system", "domain", "interaction"];

/// Parse a YAML scenario spec. Never fails; what is not understood becomes a diagnostic.
pub fn parse(path: &str, text: &str) -> Document {
    let ydoc = yaml::parse(text);
    let mut reader_starts: Vec<usize> = ydoc.diagnostics.iter().map(|d| d.span.start).collect();
    reader_starts.sort_unstable();
    let mut p = Parser {
        text,
        doc: Document {
            path: path.to_string(),
            ..Default::default()
        },
        reader_starts,
    };
    p.doc.diagnostics.extend(ydoc.diagnostics);
    let Some(root) = ydoc.root else {
        p.doc.name = crate::parse::default_name(path);
        return p.doc;
    };
    if !root.is_map() {
        p.doc.name = crate::parse::default_name(path);
        if !root.is_null() {
            p.wrong_type(
                root.span,
                format!(
                    "a YAML spec must be a mapping of keys such as `feature`, `scenarios` and `constraints`; found {}",
                    shape(&root)
                ),
            );
        }
        return p.doc;
    }
    p.name_and_body(&root, path);
    p.doc
}

/// Read one item of a top-level scenario list that was read on its own (its spans already
/// moved to the document's coordinates), as [`parse`] would read it inside its document named
/// `doc_name`: the scenario and the diagnostics its reading gave. None for origins that are not
/// items of a top-level list, or an item that is not a mapping. For incremental reparsing.
pub(crate) fn scenario_item(
    text: &str,
    doc_name: &str,
    item: &Node,
    origin: ScenarioOrigin,
    index: usize,
) -> Option<(Scenario, Vec<Diagnostic>)> {
    let kind = match origin {
        ScenarioOrigin::Yaml => ListKind::Scenarios,
        ScenarioOrigin::YamlNew => ListKind::New,
        ScenarioOrigin::YamlChaos => ListKind::Chaos,
        _ => return None,
    };
    if !item.is_map() {
        return None;
    }
    let mut p = Parser {
        text,
        doc: Document {
            name: doc_name.to_string(),
            ..Default::default()
        },
        reader_starts: Vec::new(),
    };
    p.scenario(item, None, kind, None, index);
    let sc = p.doc.scenarios.pop()?;
    Some((sc, p.doc.diagnostics))
}

struct Parser<'t> {
    text: &'t str,
    doc: Document,
    /// Sorted start offsets of the YAML reader's diagnostics.
    reader_starts: Vec<usize>,
}

/// What kind of scenario list is being read.
#[derive(Clone, Copy, PartialEq, Eq)]
enum ListKind {
    Scenarios,
    New,
    Chaos,
    Failure,
}

impl ListKind {
    fn origin(self) -> ScenarioOrigin {
        match self {
            ListKind::Scenarios => ScenarioOrigin::Yaml,
            ListKind::New => ScenarioOrigin::YamlNew,
            ListKind::Chaos => ScenarioOrigin::YamlChaos,
            ListKind::Failure => ScenarioOrigin::YamlFailure,
        }
    }
    fn key(self) -> &'static str {
        match self {
            ListKind::Scenarios => "scenarios",
            ListKind::New => "new_scenarios",
            ListKind::Chaos => "chaos_scenarios",
            ListKind::Failure => "failure_handling",
        }
    }
}

fn shape(node: &Node) -> &'static str {
    match &node.value {
        Value::Null => "an empty value",
        Value::Scalar { .. } => "a string",
        Value::Seq(_) => "a list",
        Value::Map(_) => "a mapping",
    }
}

impl<'t> Parser<'t> {
    fn wrong_type(&mut self, span: Span, message: String) {
        self.doc
            .diagnostics
            .push(Diagnostic::new("wrong-type", span, message));
    }

    /// True when the YAML reader already reported something inside `span` (so a second
    /// diagnostic about the same text would be noise).
    fn reader_reported(&self, span: Span) -> bool {
        let i = self.reader_starts.partition_point(|&s| s < span.start);
        self.reader_starts.get(i).is_some_and(|&s| s <= span.end)
    }

    /// The text of a scalar, or for other shapes the source as written (a step such as
    /// `then: status: done` that YAML reads as a mapping keeps its words).
    fn node_text(&self, node: &Node) -> String {
        match &node.value {
            Value::Scalar { text, .. } => text.trim().to_string(),
            Value::Null => String::new(),
            _ => node.span.slice(self.text).trim().to_string(),
        }
    }

    fn text_span(&self, node: &Node) -> Span {
        text_span(self.text, node)
    }

    fn scalar(&mut self, node: &Node, what: &str) -> Option<(String, Span)> {
        match &node.value {
            Value::Scalar { text, .. } => Some((text.trim().to_string(), self.text_span(node))),
            Value::Null => None,
            _ => {
                if !self.reader_reported(node.span) {
                    self.wrong_type(
                        node.span,
                        format!("`{what}` should be a string; found {}", shape(node)),
                    );
                }
                let t = self.node_text(node);
                (!t.is_empty()).then(|| (t, self.text_span(node)))
            }
        }
    }

    /// A string or a list of strings (`tags`, `dependencies`, `participants`).
    fn string_list(&mut self, node: &Node, what: &str) -> Vec<(String, Span)> {
        match &node.value {
            Value::Null => Vec::new(),
            Value::Scalar { text, .. } => {
                let span = self.text_span(node);
                if text.contains(',') {
                    // `tags: smoke, api`
                    let raw = span.slice(self.text);
                    if raw == text.as_str() {
                        let mut out = Vec::new();
                        let mut off = 0;
                        for part in raw.split(',') {
                            let lead = part.len() - part.trim_start().len();
                            let t = part.trim();
                            if !t.is_empty() {
                                let st = span.start + off + lead;
                                out.push((t.to_string(), Span::new(st, st + t.len())));
                            }
                            off += part.len() + 1;
                        }
                        return out;
                    }
                    return text
                        .split(',')
                        .map(str::trim)
                        .filter(|t| !t.is_empty())
                        .map(|t| (t.to_string(), span))
                        .collect();
                }
                let t = text.trim();
                if t.is_empty() {
                    Vec::new()
                } else {
                    vec![(t.to_string(), span)]
                }
            }
            Value::Seq(items) => {
                let mut out = Vec::new();
                for item in items {
                    match &item.value {
                        Value::Scalar { text, .. } => {
                            out.push((text.trim().to_string(), self.text_span(item)))
                        }
                        Value::Null => {}
                        // `- from: x.spec.md` / `- name: x`
                        Value::Map(_) => {
                            let named = item
                                .get("name")
                                .or_else(|| item.get("from"))
                                .and_then(Node::as_str);
                            if let Some(n) = named {
                                out.push((n.trim().to_string(), item.span));
                            } else {
                                self.wrong_type(
                                    item.span,
                                    format!("items of `{what}` should be strings; found a mapping"),
                                );
                            }
                        }
                        Value::Seq(_) => self.wrong_type(
                            item.span,
                            format!("items of `{what}` should be strings; found a list"),
                        ),
                    }
                }
                out
            }
            Value::Map(_) => {
                self.wrong_type(
                    node.span,
                    format!("`{what}` should be a string or a list of strings; found a mapping"),
                );
                Vec::new()
            }
        }
    }

    /// Find the document's name, then read the body. A name key whose value is a mapping
    /// (`feature:` followed by indented `name:`/`scenarios:`) is read as the body itself.
    fn name_and_body(&mut self, root: &Node, path: &str) {
        let mut nested: Option<&Node> = None;
        for key in NAME_KEYS {
            let Some(entry) = root.entry(key) else {
                continue;
            };
            match &entry.value.value {
                Value::Scalar { text, .. } => {
                    self.doc.name = text.trim().to_string();
                    self.doc.name_span = self.text_span(&entry.value);
                    break;
                }
                Value::Map(_) => {
                    nested = Some(&entry.value);
                    if let Some(n) = entry.value.get("name") {
                        if let Some((t, s)) = self.scalar(n, "name") {
                            self.doc.name = t;
                            self.doc.name_span = s;
                        }
                    }
                    break;
                }
                // `domain:` as a list is a list of domains, read by `body`
                Value::Seq(_) if *key == "domain" => {}
                Value::Null => {}
                Value::Seq(_) => {
                    self.wrong_type(
                        entry.value.span,
                        format!("`{key}` should be the spec's name (a string); found a list"),
                    );
                }
            }
        }
        if self.doc.name.is_empty() {
            self.doc.name = crate::parse::default_name(path);
        }
        self.body(root);
        if let Some(n) = nested {
            self.body(n);
        }
    }

    /// Read the keys of a spec body (the root, a nested body or a domain item).
    fn body(&mut self, node: &Node) {
        for entry in effective_entries(node) {
            let v = &entry.value;
            match entry.key.as_str() {
                "description" if self.doc.description.is_none() => {
                    self.doc.description = self.scalar(v, "description").map(|(t, _)| t);
                }
                "version" => {
                    self.doc.version = self.scalar(v, "version").map(|(t, _)| t);
                }
                "status" => {
                    self.doc.status = self.scalar(v, "status").map(|(t, _)| t);
                }
                "tags" => {
                    let tags = self.string_list(v, "tags");
                    self.doc.tags.extend(tags.into_iter().map(|(t, _)| t));
                }
                "constraints" | "global_constraints" | "consistency_requirements" => {
                    let cat = (entry.key == "consistency_requirements").then_some("consistency");
                    self.constraints(entry, cat);
                }
                "data_model" => {
                    if let Some(e) = v.entry("consistency_requirements") {
                        self.constraints(e, Some("consistency"));
                    }
                }
                "scenarios" => self.scenario_list(entry, ListKind::Scenarios, None),
                "new_scenarios" => self.scenario_list(entry, ListKind::New, None),
                "chaos_scenarios" => self.scenario_list(entry, ListKind::Chaos, None),
                "failure_handling" => self.scenario_list(entry, ListKind::Failure, None),
                "domains" => self.domains(v),
                "domain" if v.is_seq() => self.domains(v),
                "dependencies" | "participants" | "depends_on" => {
                    for (name, span) in self.string_list(v, &entry.key) {
                        self.doc.dependencies.push(Dependency {
                            name,
                            from: None,
                            span,
                        });
                    }
                }
                "flow" | "flows" => self.flow(v),
                _ => {}
            }
        }
    }

    fn domains(&mut self, v: &Node) {
        match &v.value {
            Value::Seq(items) => {
                for item in items {
                    match &item.value {
                        Value::Map(_) => {
                            let name = item.get("name").and_then(|n| self.scalar(n, "name"));
                            let mut domain = Domain {
                                span: item.span,
                                ..Default::default()
                            };
                            if let Some((n, s)) = &name {
                                domain.name = n.clone();
                                domain.name_span = *s;
                            } else {
                                let head = item.entries().first().map_or(item.span, |e| e.span);
                                self.wrong_type(
                                    head,
                                    "a domain should have a `name`".to_string(),
                                );
                            }
                            let deps = item
                                .get("dependencies")
                                .or_else(|| item.get("depends_on"));
                            if let Some(deps) = deps {
                                for (dep, span) in self.string_list(deps, "dependencies") {
                                    domain.dependencies.push(Dependency {
                                        name: dep,
                                        from: None,
                                        span,
                                    });
                                }
                            }
                            self.doc.domains.push(domain);
                            self.body_of_domain(item, name.as_ref().map(|(n, _)| n.as_str()));
                        }
                        Value::Scalar { text, .. } => {
                            let span = self.text_span(item);
                            self.doc.domains.push(Domain {
                                name: text.trim().to_string(),
                                name_span: span,
                                span: item.span,
                                dependencies: Vec::new(),
                            });
                        }
                        Value::Null => {}
                        Value::Seq(_) => self.wrong_type(
                            item.span,
                            "a domain should be a mapping with `name` and `dependencies`; found a list"
                                .to_string(),
                        ),
                    }
                }
            }
            Value::Null => {}
            _ => self.wrong_type(
                v.span,
                format!(
                    "`domains` should be a list of domains (`- name: ...`); found {}",
                    shape(v)
                ),
            ),
        }
    }

    /// Scenarios, constraints and flows of one domain item (their parent is the domain).
    fn body_of_domain(&mut self, item: &Node, name: Option<&str>) {
        for entry in effective_entries(item) {
            match entry.key.as_str() {
                "scenarios" => self.scenario_list(entry, ListKind::Scenarios, name),
                "new_scenarios" => self.scenario_list(entry, ListKind::New, name),
                "chaos_scenarios" => self.scenario_list(entry, ListKind::Chaos, name),
                "constraints" => self.constraints(entry, None),
                "data_model" => {
                    if let Some(e) = entry.value.entry("consistency_requirements") {
                        self.constraints(e, Some("consistency"));
                    }
                }
                _ => {}
            }
        }
    }

    fn flow(&mut self, v: &Node) {
        let items: Vec<&Node> = match &v.value {
            Value::Seq(items) => items.iter().collect(),
            Value::Map(_) => vec![v],
            Value::Null => return,
            Value::Scalar { .. } => {
                self.wrong_type(
                    v.span,
                    "`flow` should be a list of flows (`- name: ...` with `steps`); found a string"
                        .to_string(),
                );
                return;
            }
        };
        for item in items {
            if !item.is_map() {
                if !item.is_null() {
                    self.wrong_type(
                        item.span,
                        format!(
                            "a flow should be a mapping with `name` and `steps`; found {}",
                            shape(item)
                        ),
                    );
                }
                continue;
            }
            let name = item
                .get("name")
                .and_then(|n| self.scalar(n, "name"))
                .map(|(t, _)| t);
            if let Some(steps) = item.get("steps") {
                match &steps.value {
                    Value::Map(entries) => {
                        for e in entries {
                            let t = self.node_text(&e.value);
                            self.doc.workflow_steps.push(WorkflowStep {
                                name: t,
                                spec: None,
                                inputs: Vec::new(),
                                outputs: Vec::new(),
                                span: e.span,
                            });
                        }
                    }
                    Value::Seq(items) => {
                        for s in items {
                            let t = match s.get("name") {
                                Some(n) => self.node_text(n),
                                None => self.node_text(s),
                            };
                            self.doc.workflow_steps.push(WorkflowStep {
                                name: t,
                                spec: None,
                                inputs: Vec::new(),
                                outputs: Vec::new(),
                                span: s.span,
                            });
                        }
                    }
                    Value::Null => {}
                    Value::Scalar { .. } => self.wrong_type(
                        steps.span,
                        "`steps` should be a list or a numbered mapping of steps; found a string"
                            .to_string(),
                    ),
                }
            }
            if let Some(e) = item.entry("failure_handling") {
                self.scenario_list(e, ListKind::Failure, name.as_deref());
            }
        }
    }

    fn constraints(&mut self, entry: &Entry, category: Option<&str>) {
        let v = &entry.value;
        match &v.value {
            Value::Null => {}
            // categories: performance: [...], security: [...]
            Value::Map(_) if category.is_none() && !looks_like_constraint_item(v) => {
                for cat in effective_entries(v) {
                    self.constraint_items(&cat.value, Some(&cat.key));
                }
            }
            Value::Map(_) | Value::Seq(_) => self.constraint_items(v, category),
            Value::Scalar { .. } => self.wrong_type(
                v.span,
                format!(
                    "`{}` should be a list of constraints or a mapping of categories (performance, security...) to lists; found a string",
                    entry.key
                ),
            ),
        }
    }

    fn constraint_items(&mut self, v: &Node, category: Option<&str>) {
        match &v.value {
            Value::Null => {}
            Value::Seq(items) => {
                for item in items {
                    self.constraint(item, category);
                }
            }
            // `performance: p95 < 100ms`, or one item written as a mapping
            Value::Scalar { .. } => self.constraint(v, category),
            Value::Map(_) if looks_like_constraint_item(v) => self.constraint(v, category),
            Value::Map(_) => self.wrong_type(
                v.span,
                format!(
                    "constraints of `{}` should be a list of items with `name` and `requirement`; found a mapping",
                    category.unwrap_or("constraints")
                ),
            ),
        }
    }

    fn constraint(&mut self, item: &Node, category: Option<&str>) {
        let mut c = Constraint {
            category: category.map(str::to_string),
            span: item.span,
            ..Default::default()
        };
        let text_node: &Node;
        match &item.value {
            Value::Null => return,
            Value::Scalar { .. } => {
                text_node = item;
            }
            Value::Map(_) => {
                if let Some(n) = item.get("name") {
                    c.name = self.scalar(n, "name").map(|(t, _)| t);
                }
                for (key, slot) in [
                    ("measurement", &mut c.measurement),
                    ("verification", &mut c.verification),
                    ("exception", &mut c.exception),
                ] {
                    if let Some(n) = item.get(key) {
                        *slot = Some(self.node_text(n)).filter(|t| !t.is_empty());
                    }
                }
                match item.get("requirement").or_else(|| item.get("name")) {
                    Some(n) => text_node = n,
                    None => {
                        self.wrong_type(
                            item.span,
                            "a constraint should have a `requirement` (or at least a `name`)"
                                .to_string(),
                        );
                        return;
                    }
                }
            }
            Value::Seq(_) => {
                self.wrong_type(
                    item.span,
                    "a constraint should be a string or a mapping with `name` and `requirement`; found a list"
                        .to_string(),
                );
                return;
            }
        }
        let is_scalar = matches!(text_node.value, Value::Scalar { .. });
        if !is_scalar && !text_node.is_null() && !self.reader_reported(text_node.span) {
            let mut d = Diagnostic::new(
                "wrong-type",
                text_node.span,
                format!(
                    "`requirement` should be a string; YAML reads it as {} — quote it",
                    shape(text_node)
                ),
            );
            if let Some((title, edits)) = quote_fix(self.text, text_node) {
                d = d.with_fix(title, edits);
            }
            self.doc.diagnostics.push(d);
        }
        c.text = self.node_text(text_node);
        c.text_span = self.text_span(text_node);
        // measure from the source as written, so spans are exact (quotes/escapes/folding only
        // change whitespace and punctuation the reader ignores)
        let raw = c.text_span.slice(self.text);
        c.measure = if raw.is_empty() {
            constraint::parse_measure(&c.text, c.text_span.start)
                .filter(|m| m.value_span.end <= c.text_span.end)
        } else {
            constraint::parse_measure(raw, c.text_span.start)
        };
        let key = c.name.clone().unwrap_or_else(|| c.text.clone());
        c.id = format!("{}/{}", slug(&self.doc.name), slug(&key));
        if c.measure.is_none()
            && !c.text.is_empty()
            && constraint::should_be_measurable(category, &c.text)
        {
            self.doc.diagnostics.push(Diagnostic::new(
                "constraint-unmeasurable",
                c.text_span,
                constraint::unmeasurable_message(&c.text),
            ));
        }
        self.doc.constraints.push(c);
    }

    fn scenario_list(&mut self, entry: &Entry, kind: ListKind, parent: Option<&str>) {
        let v = &entry.value;
        match &v.value {
            Value::Null => {}
            Value::Seq(items) => {
                for (i, item) in items.iter().enumerate() {
                    match &item.value {
                        Value::Map(_) => self.scenario(item, None, kind, parent, i),
                        Value::Null => {}
                        _ => self.wrong_type(
                            item.span,
                            format!(
                                "an item of `{}` should be a mapping with `name`, `given`, `when` and `then`; found {}",
                                kind.key(),
                                shape(item)
                            ),
                        ),
                    }
                }
            }
            Value::Map(_) => {
                self.wrong_type(
                    entry.key_span,
                    format!(
                        "`{}` should be a list (`- name: ...`); found a mapping",
                        kind.key()
                    ),
                );
                // recover `name: {given, when, then}` entries
                for (i, e) in effective_entries(v).enumerate() {
                    if e.value.is_map() {
                        self.scenario(&e.value, Some(e), kind, parent, i);
                    }
                }
            }
            Value::Scalar { .. } => self.wrong_type(
                v.span,
                format!(
                    "`{}` should be a list of scenarios (`- name: ...`); found a string",
                    kind.key()
                ),
            ),
        }
    }

    /// One scenario item. `keyed` is the mapping entry whose key is the name, when scenarios
    /// were written as a mapping.
    fn scenario(
        &mut self,
        item: &Node,
        keyed: Option<&Entry>,
        kind: ListKind,
        parent: Option<&str>,
        index: usize,
    ) {
        let mut name: Option<(String, Span)> = keyed.map(|e| (e.key.clone(), e.key_span));
        let mut id: Option<String> = None;
        let mut tags: Vec<String> = Vec::new();
        let mut status: Option<String> = None;
        let mut given: Vec<Step> = Vec::new();
        let mut when: Vec<Step> = Vec::new();
        let mut then: Vec<Step> = Vec::new();
        let mut current = StepKind::Given;
        let mut saw_when = false;
        let mut saw_then = false;
        for e in effective_entries(item) {
            // Most keys are lower-case ASCII already.
            let key: std::borrow::Cow<str> = if e
                .key
                .bytes()
                .all(|b| b.is_ascii() && !b.is_ascii_uppercase())
            {
                std::borrow::Cow::Borrowed(&e.key)
            } else {
                std::borrow::Cow::Owned(e.key.to_lowercase())
            };
            let step_kind = match key.as_ref() {
                "given" => Some(StepKind::Given),
                "when" => Some(StepKind::When),
                "then" => Some(StepKind::Then),
                "and" | "but" => Some(current),
                "verify" | "expect" | "expected" if kind == ListKind::Chaos => Some(StepKind::Then),
                "rollback" | "compensation" | "compensate" | "recovery"
                    if kind == ListKind::Failure =>
                {
                    Some(StepKind::Then)
                }
                _ => None,
            };
            if let Some(sk) = step_kind {
                current = sk;
                match sk {
                    StepKind::Given => {}
                    StepKind::When => saw_when = true,
                    StepKind::Then => saw_then = true,
                }
                let mut steps = self.steps(&e.value, sk, &e.key);
                // `and:`/`but:` keys continue the step kind above; keep the keyword as written
                if matches!(key.as_ref(), "and" | "but") {
                    for st in &mut steps {
                        st.keyword = e.key.clone();
                    }
                }
                let list = match sk {
                    StepKind::Given => &mut given,
                    StepKind::When => &mut when,
                    StepKind::Then => &mut then,
                };
                if list.is_empty() {
                    *list = steps; // exactly as long as it needs (see `steps`)
                } else {
                    list.extend(steps);
                }
                continue;
            }
            match key.as_ref() {
                "name" | "scenario" | "title" => {
                    if let Some(n) = self.scalar(&e.value, "name") {
                        if !n.0.is_empty() {
                            name = Some(n);
                        }
                    }
                }
                "id" => {
                    id = self
                        .scalar(&e.value, "id")
                        .map(|(t, _)| t)
                        .filter(|t| !t.is_empty())
                }
                "tags" => {
                    tags = self
                        .string_list(&e.value, "tags")
                        .into_iter()
                        .map(|(t, _)| t)
                        .collect()
                }
                "status" => status = self.scalar(&e.value, "status").map(|(t, _)| t),
                _ => self.typo_hint(e, kind),
            }
        }
        let display = name.as_ref().map(|(n, _)| n.clone());
        let head = item.entries().first().map(|e| e.span).unwrap_or(item.span);
        let name_span = name.as_ref().map(|(_, s)| *s).unwrap_or(head);
        match &display {
            None => self.doc.diagnostics.push(Diagnostic::new(
                "scenario-missing-name",
                head,
                format!(
                    "this item of `{}` has no `name`; add `name: <what the scenario shows>`",
                    kind.key()
                ),
            )),
            Some(n) => {
                let missing: Vec<&str> = match kind {
                    ListKind::Scenarios | ListKind::New => {
                        let mut m = Vec::new();
                        if !saw_when {
                            m.push("`when`");
                        }
                        if !saw_then {
                            m.push("`then`");
                        }
                        m
                    }
                    ListKind::Chaos if !saw_then => vec!["`verify`"],
                    ListKind::Failure if !saw_then => vec!["`rollback` or `compensation`"],
                    _ => Vec::new(),
                };
                if !missing.is_empty() {
                    self.doc.diagnostics.push(Diagnostic::new(
                        "scenario-missing-steps",
                        name_span,
                        format!("scenario `{n}` has no {}", missing.join(" and no ")),
                    ));
                }
            }
        }
        let scenario_name = display.unwrap_or_else(|| format!("{} {}", kind.key(), index + 1));
        let explicit = id.is_some();
        let id = id.unwrap_or_else(|| scenario_id(&self.doc.name, &scenario_name));
        let span = match keyed {
            Some(e) => e.span,
            None => item.span,
        };
        let mut sc = ScenarioDraft {
            id,
            explicit_id: explicit,
            name: scenario_name,
            name_span,
            span,
            given,
            when,
            then,
            tags,
            status,
            parent: parent.map(str::to_string),
            origin: kind.origin(),
        };
        sc.shrink_to_fit();
        self.doc.scenarios.push(sc.finish());
    }

    /// Steps from a string or a list; other shapes keep their source text and are flagged.
    fn steps(&mut self, v: &Node, kind: StepKind, key: &str) -> Vec<Step> {
        let mut out = Vec::with_capacity(match &v.value {
            Value::Seq(items) => items.len(),
            _ => 1,
        });
        match &v.value {
            Value::Null => {}
            Value::Scalar { .. } => out.push(self.step(v, kind)),
            Value::Seq(items) => {
                for item in items {
                    match &item.value {
                        Value::Null => {}
                        Value::Scalar { .. } => out.push(self.step(item, kind)),
                        _ => {
                            if !self.reader_reported(item.span) {
                                let mut d = Diagnostic::new(
                                    "wrong-type",
                                    item.span,
                                    format!(
                                        "a `{key}` step should be a string; YAML reads this one as {} (quote it if it contains `: `)",
                                        shape(item)
                                    ),
                                );
                                if let Some((title, edits)) = quote_fix(self.text, item) {
                                    d = d.with_fix(title, edits);
                                }
                                self.doc.diagnostics.push(d);
                            }
                            out.push(self.step(item, kind));
                        }
                    }
                }
            }
            Value::Map(_) => {
                if !self.reader_reported(v.span) {
                    let mut d = Diagnostic::new(
                        "wrong-type",
                        v.span,
                        format!(
                            "`{key}` should be a string or a list of strings; found a mapping (quote a step that contains `: `)"
                        ),
                    );
                    if let Some((title, edits)) = quote_fix(self.text, v) {
                        d = d.with_fix(title, edits);
                    }
                    self.doc.diagnostics.push(d);
                }
                out.push(self.step(v, kind));
            }
        }
        out
    }

    fn step(&self, node: &Node, kind: StepKind) -> Step {
        Step {
            kind,
            keyword: String::new(),
            text: self.node_text(node),
            span: RelSpan::absolute(node.span),
            text_span: RelSpan::absolute(self.text_span(node)),
        }
    }

    /// `unknown-key` hint for a key inside a scenario item that is clearly a typo of a known key.
    fn typo_hint(&mut self, e: &Entry, kind: ListKind) {
        let key = e.key.as_str();
        let mut targets: Vec<&str> = vec!["given", "when", "then", "name", "tags"];
        if kind == ListKind::Chaos {
            targets.push("verify");
        }
        if kind == ListKind::Failure {
            targets.extend(["rollback", "compensation"]);
        }
        let lower = key.to_lowercase();
        if lower.chars().count() < 3 || !lower.chars().all(|c| c.is_ascii_alphabetic()) {
            return;
        }
        let best = targets
            .iter()
            .map(|t| (edit_distance(&lower, t), *t))
            .filter(|(d, t)| *d > 0 && *d <= if t.len() <= 4 { 1 } else { 2 })
            .min();
        if let Some((_, t)) = best {
            self.doc.diagnostics.push(
                Diagnostic::new(
                    "unknown-key",
                    e.key_span,
                    format!("unknown key `{key}` in a scenario; did you mean `{t}`?"),
                )
                .with_fix(
                    format!("Rename to `{t}`"),
                    vec![TextEdit {
                        path: String::new(),
                        span: e.key_span,
                        new_text: t.to_string(),
                    }],
                ),
            );
        }
    }
}

/// A mapping's entries without those overridden by a later duplicate key (the YAML reader
/// reports duplicates and says the later one wins; the model agrees).
pub(crate) fn effective_entries(node: &Node) -> impl Iterator<Item = &Entry> {
    /// Mappings up to this long (a scenario's) are searched directly for a later same key.
    const SEARCHED: usize = 16;
    let entries = node.entries();
    let last: Option<crate::fxhash::HashMap<&str, usize>> = (entries.len() > SEARCHED).then(|| {
        let mut last = crate::fxhash::HashMap::default();
        last.reserve(entries.len());
        for (i, e) in entries.iter().enumerate() {
            last.insert(e.key.as_str(), i);
        }
        last
    });
    entries
        .iter()
        .enumerate()
        .filter(move |(i, e)| match &last {
            Some(last) => last.get(e.key.as_str()) == Some(i),
            None => !entries[i + 1..].iter().any(|later| later.key == e.key),
        })
        .map(|(_, e)| e)
}

/// A fix that quotes a one-line value YAML read as a mapping (`then: status: done`).
pub(crate) fn quote_fix(text: &str, node: &Node) -> Option<(String, Vec<TextEdit>)> {
    let raw = node.span.slice(text).trim_end();
    if !node.is_map() || raw.is_empty() || raw.contains('\n') || raw.contains('"') {
        return None;
    }
    Some((
        "Quote the value".to_string(),
        vec![TextEdit {
            path: String::new(),
            span: Span::new(node.span.start, node.span.start + raw.len()),
            new_text: format!("\"{raw}\""),
        }],
    ))
}

/// The span of just a node's text: inside the quotes for quoted scalars, without surrounding
/// whitespace otherwise.
pub(crate) fn text_span(text: &str, node: &Node) -> Span {
    let s = node.span;
    let raw = s.slice(text);
    if let Value::Scalar {
        style: ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted,
        ..
    } = node.value
    {
        if raw.len() >= 2 && raw.starts_with(['"', '\'']) && raw.ends_with(['"', '\'']) {
            return Span::new(s.start + 1, s.end - 1);
        }
    }
    let mut start = s.start;
    let mut raw = raw;
    if let Value::Scalar {
        style: ScalarStyle::Literal | ScalarStyle::Folded,
        ..
    } = node.value
    {
        // skip the `|`/`>` header line
        if raw.starts_with(['|', '>']) {
            if let Some(nl) = raw.find('\n') {
                start += nl + 1;
                raw = &raw[nl + 1..];
            }
        }
    }
    let lead = raw.len() - raw.trim_start().len();
    let trail = raw.len() - raw.trim_end().len();
    if lead + trail >= raw.len() {
        return s;
    }
    Span::new(start + lead, start + raw.len() - trail)
}

/// A mapping that is one constraint item rather than a mapping of categories.
fn looks_like_constraint_item(v: &Node) -> bool {
    v.get("requirement").is_some()
        || (v.get("name").is_some_and(|n| n.as_str().is_some())
            && v.entries().iter().all(|e| !e.value.is_seq()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances() {
        assert_eq!(edit_distance("thne", "then"), 1);
        assert_eq!(edit_distance("tag", "tags"), 1);
        assert_eq!(edit_distance("whne", "when"), 1);
        assert_eq!(edit_distance("gvien", "given"), 1);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("given", "given"), 0);
    }
}
