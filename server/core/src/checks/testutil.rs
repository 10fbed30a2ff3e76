//! Small builders of model values for the checks' unit tests. Spans point into a synthetic text
//! built alongside, so fixes and related spans can be checked against it.

use crate::model::*;
use crate::span::Span;

/// Builds a document and its text together: every element appends a line and gets its span.
#[derive(Default)]
pub struct DocBuilder {
    pub doc: Document,
    pub text: String,
}

impl DocBuilder {
    pub fn new(path: &str, name: &str) -> DocBuilder {
        let mut b = DocBuilder::default();
        b.doc.path = path.to_string();
        b.doc.name = name.to_string();
        b.doc.kind = Some(if path.ends_with(".md") {
            DocKind::MarkdownSpec
        } else {
            DocKind::YamlSpec
        });
        b
    }

    pub fn line(&mut self, s: &str) -> Span {
        let start = self.text.len();
        self.text.push_str(s);
        let span = Span::new(start, self.text.len());
        self.text.push('\n');
        span
    }

    pub fn spec_type(mut self, t: &str) -> Self {
        self.doc.spec_type = Some(t.to_string());
        self
    }

    fn step(&mut self, kind: StepKind, text: &str) -> Step {
        let kw = match kind {
            StepKind::Given => "Given ",
            StepKind::When => "When ",
            StepKind::Then => "Then ",
        };
        let span = self.line(&format!("{kw}{text}"));
        Step {
            kind,
            keyword: kw.trim().to_string(),
            text: text.to_string(),
            span: RelSpan::absolute(span),
            text_span: RelSpan::absolute(Span::new(span.start + kw.len(), span.end)),
        }
    }

    pub fn scenario(self, name: &str, given: &[&str], when: &[&str], then: &[&str]) -> Self {
        self.scenario_with(name, None, None, given, when, then)
    }

    pub fn scenario_with(
        mut self,
        name: &str,
        id: Option<&str>,
        parent: Option<&str>,
        given: &[&str],
        when: &[&str],
        then: &[&str],
    ) -> Self {
        let head = self.line(&format!("Scenario: {name}"));
        let name_span = Span::new(head.start + "Scenario: ".len(), head.end);
        let given = given
            .iter()
            .map(|t| self.step(StepKind::Given, t))
            .collect();
        let when = when.iter().map(|t| self.step(StepKind::When, t)).collect();
        let then = then.iter().map(|t| self.step(StepKind::Then, t)).collect();
        let end = self.text.len().saturating_sub(1);
        self.doc.scenarios.push(
            ScenarioDraft {
                id: id
                    .map(str::to_string)
                    .unwrap_or_else(|| scenario_id(&self.doc.name, name)),
                explicit_id: id.is_some(),
                name: name.to_string(),
                name_span,
                span: Span::new(head.start, end),
                given,
                when,
                then,
                tags: Vec::new(),
                status: None,
                parent: parent.map(str::to_string),
                origin: ScenarioOrigin::MarkdownHeading,
            }
            .finish(),
        );
        self
    }

    pub fn section(mut self, level: u8, title: &str) -> Self {
        let span = self.line(&format!("{} {title}", "#".repeat(level as usize)));
        self.doc.sections.push(Section {
            title: title.into(),
            number: None,
            level,
            heading_span: span,
            span,
        });
        self
    }

    /// Close the last section at the current end of text.
    pub fn end_sections(mut self) -> Self {
        let end = self.text.len();
        for s in &mut self.doc.sections {
            s.span.end = end;
        }
        self
    }

    pub fn requirement(mut self, id: &str, text: &str) -> Self {
        let span = self.line(&format!("- **{id}**: {text}"));
        let up = text.to_uppercase();
        self.doc.requirements.push(Requirement {
            id: id.to_string(),
            id_span: Span::new(span.start + 4, span.start + 4 + id.len()),
            text: text.to_string(),
            span,
            normative: up.contains("SHALL") || up.contains("MUST"),
        });
        self
    }

    pub fn function(mut self, name: &str) -> Self {
        let span = self.line(&format!("## `{name}()`"));
        self.doc.functions.push(Function {
            name: name.to_string(),
            signature: format!("{name}()"),
            span,
            name_span: Span::new(span.start + 4, span.start + 4 + name.len()),
        });
        self
    }

    pub fn example(mut self, target: Option<&str>, input: &str, expected: &str) -> Self {
        let span = self.line(&format!("| {input} | {expected} |"));
        self.doc.examples.push(ExampleRow {
            target: target.map(str::to_string),
            name: None,
            input: input.to_string(),
            expected: expected.to_string(),
            valid: None,
            cells: vec![
                ("Input".into(), input.to_string()),
                ("Expected Output".into(), expected.to_string()),
            ],
            span,
        });
        self
    }

    pub fn behavior(mut self, target: Option<&str>, text: &str) -> Self {
        let span = self.line(&format!("- {text}"));
        self.doc.behaviors.push(Behavior {
            text: text.to_string(),
            span,
            target: target.map(str::to_string),
        });
        self
    }

    pub fn constraint(mut self, text: &str, measure: Option<Measure>) -> Self {
        let span = self.line(&format!("- {text}"));
        let text_span = Span::new(span.start + 2, span.end);
        let measure = measure.map(|mut m| {
            m.value_span = text_span;
            m
        });
        self.doc.constraints.push(Constraint {
            id: format!("{}/{}", slug(&self.doc.name), slug(text)),
            text: text.to_string(),
            span,
            text_span,
            measure,
            ..Default::default()
        });
        self
    }

    pub fn dependency(mut self, name: &str) -> Self {
        let span = self.line(&format!("  - {name}"));
        self.doc.dependencies.push(Dependency {
            name: name.to_string(),
            from: None,
            span: Span::new(span.start + 4, span.end),
        });
        self
    }

    pub fn raw(mut self, s: &str) -> Self {
        self.line(s);
        self
    }

    pub fn build(self) -> (Document, String) {
        (self.doc, self.text)
    }
}

pub fn measure(
    metric: &str,
    percentile: Option<f64>,
    cmp: Comparison,
    value: f64,
    unit: Option<&str>,
    scope: Option<&str>,
) -> Measure {
    Measure {
        metric: metric.to_string(),
        percentile,
        comparison: cmp,
        value,
        unit: unit.map(str::to_string),
        per: None,
        scope: scope.map(str::to_string),
        value_span: Span::default(),
    }
}

/// Run every check over documents (each with its text) and return `(path, code, message)`
/// triples plus the full map.
pub fn run(docs: &[(Document, String)]) -> Vec<(String, &'static str, String)> {
    let mut ws = crate::workspace::Workspace::new();
    for (doc, text) in docs {
        ws.files.insert(
            doc.path.clone(),
            crate::workspace::SourceFile {
                text: text.as_str().into(),
                doc: std::sync::Arc::new(doc.clone()),
            },
        );
    }
    let map = super::check_workspace(&ws, &crate::config::Config::default());
    let mut out = Vec::new();
    for (path, diags) in map {
        for d in diags {
            out.push((path.clone(), d.code, d.message.clone()));
        }
    }
    out
}

pub fn codes(docs: &[(Document, String)]) -> Vec<&'static str> {
    run(docs).into_iter().map(|(_, c, _)| c).collect()
}
