//! YAML scenario specs and arrangements: every fixture under `tests/fixtures/yaml_spec/` and
//! `tests/fixtures/arrangement/` is parsed and its model and diagnostics are snapshotted in a
//! compact rendering (`line:col` positions are 1-based; each span is shown with the text it
//! covers, so a wrong range is visible in review). A property test feeds arbitrary and mutated
//! YAML to both parsers.
use std::fmt::Write as _;
use std::path::Path;

use proptest::prelude::*;
use specls_core::parse::parse_document;
use specls_core::{DocKind, Document, Field, LineIndex, Scenario, Span, Step};

struct R<'a> {
    text: &'a str,
    index: LineIndex,
    out: String,
}

impl R<'_> {
    fn pos(&self, span: Span) -> String {
        assert!(
            span.start <= span.end && span.end <= self.text.len(),
            "span {span:?} out of bounds (len {})",
            self.text.len()
        );
        assert!(
            self.text.is_char_boundary(span.start) && self.text.is_char_boundary(span.end),
            "span {span:?} not on char boundaries"
        );
        let a = self.index.line_col(span.start);
        let b = self.index.line_col(span.end);
        if a.line == b.line {
            format!("{}:{}-{}", a.line + 1, a.col + 1, b.col + 1)
        } else {
            format!("{}:{}-{}:{}", a.line + 1, a.col + 1, b.line + 1, b.col + 1)
        }
    }

    /// Position plus the covered text (first line only, shortened).
    fn at(&self, span: Span) -> String {
        let p = self.pos(span);
        let t = span.slice(self.text);
        let first = t.lines().next().unwrap_or("");
        let mut shown: String = first.chars().take(60).collect();
        if shown.len() < t.len() {
            shown.push('…');
        }
        format!("@{p} `{shown}`")
    }

    fn line(&mut self, indent: usize, s: String) {
        let _ = writeln!(self.out, "{}{}", "  ".repeat(indent), s);
    }

    fn steps(&mut self, label: &str, sc: &Scenario, steps: &[Step]) {
        for s in steps {
            let kw = if s.keyword.is_empty() {
                String::new()
            } else {
                format!(" [{}]", s.keyword)
            };
            let at = self.at(sc.abs(s.text_span));
            self.pos(sc.abs(s.span));
            self.line(2, format!("{label}{kw} {:?} {at}", s.text));
        }
    }

    fn fields(&mut self, label: &str, fields: &[Field]) {
        for f in fields {
            let k = self.at(f.key_span);
            let v = self.at(f.value_span);
            self.line(
                1,
                format!("{label} {} = {:?}  key{k} value{v}", f.key, f.value),
            );
        }
    }
}

fn render(text: &str, doc: &Document) -> String {
    let mut r = R {
        text,
        index: LineIndex::new(text),
        out: String::new(),
    };
    let name_at = if doc.name_span.is_empty() {
        String::from("(default)")
    } else {
        r.at(doc.name_span)
    };
    r.line(0, format!("name: {:?} {name_at}", doc.name));
    if let Some(d) = &doc.description {
        r.line(0, format!("description: {d:?}"));
    }
    for (label, v) in [("version", &doc.version), ("status", &doc.status)] {
        if let Some(v) = v {
            r.line(0, format!("{label}: {v:?}"));
        }
    }
    if !doc.tags.is_empty() {
        r.line(0, format!("tags: {:?}", doc.tags));
    }
    if !doc.dependencies.is_empty() {
        r.line(0, "dependencies:".into());
        for d in &doc.dependencies {
            let at = r.at(d.span);
            r.line(1, format!("{} {at}", d.name));
        }
    }
    if !doc.domains.is_empty() {
        r.line(0, "domains:".into());
        for d in &doc.domains {
            let at = r.at(d.name_span);
            r.pos(d.span);
            let deps: Vec<String> = d
                .dependencies
                .iter()
                .map(|x| format!("{} {}", x.name, r.at(x.span)))
                .collect();
            r.line(1, format!("{} {at} -> [{}]", d.name, deps.join(", ")));
        }
    }
    if !doc.constraints.is_empty() {
        r.line(0, "constraints:".into());
        for c in &doc.constraints {
            let cat = c.category.as_deref().unwrap_or("-");
            let at = r.at(c.text_span);
            r.pos(c.span);
            r.line(1, format!("[{cat}] {} {:?} {at}", c.id, c.text));
            match &c.measure {
                Some(m) => {
                    let mut s = format!("measure: {}", m.metric);
                    if let Some(p) = m.percentile {
                        let _ = write!(s, " p{p}");
                    }
                    let _ = write!(s, " {} {}", m.comparison.as_str(), m.value);
                    if let Some(u) = &m.unit {
                        let _ = write!(s, " {u}");
                    }
                    if let Some(p) = &m.per {
                        let _ = write!(s, " per {p}");
                    }
                    if let Some(sc) = &m.scope {
                        let _ = write!(s, " | scope: {sc}");
                    }
                    let _ = write!(s, " | value {}", r.at(m.value_span));
                    r.line(2, s);
                }
                None => r.line(2, "measure: none".into()),
            }
            for (label, v) in [
                ("measurement", &c.measurement),
                ("verification", &c.verification),
                ("exception", &c.exception),
            ] {
                if let Some(v) = v {
                    r.line(2, format!("{label}: {v:?}"));
                }
            }
        }
    }
    if !doc.scenarios.is_empty() {
        r.line(0, "scenarios:".into());
        for s in &doc.scenarios {
            let origin = serde_json::to_value(s.origin).unwrap();
            let origin = origin.as_str().unwrap_or("?").to_string();
            let name_at = r.at(s.name_span);
            let span = r.pos(s.span);
            let mut head = format!(
                "{} ({origin}{}) {:?} name{name_at} span@{span}",
                s.id,
                if s.explicit_id { ", explicit id" } else { "" },
                s.name
            );
            if let Some(p) = &s.parent {
                let _ = write!(head, " parent={p}");
            }
            if !s.tags.is_empty() {
                let _ = write!(head, " tags={:?}", s.tags);
            }
            if let Some(st) = &s.status {
                let _ = write!(head, " status={st}");
            }
            r.line(1, head);
            r.steps("given", s, &s.given);
            r.steps("when", s, &s.when);
            r.steps("then", s, &s.then);
        }
    }
    if !doc.workflow_steps.is_empty() {
        r.line(0, "flow steps:".into());
        for w in &doc.workflow_steps {
            let at = r.at(w.span);
            r.line(1, format!("{:?} {at}", w.name));
        }
    }
    if let Some(a) = &doc.arrangement {
        r.line(0, "arrangement:".into());
        for (label, v) in [
            ("target_language", &a.target_language),
            ("specs_path", &a.specs_path),
            ("model", &a.model),
        ] {
            if let Some(v) = v {
                r.line(1, format!("{label}: {v:?}"));
            }
        }
        r.fields("output_paths", &a.output_paths);
        r.fields("tools", &a.tools);
        r.fields("setup_commands", &a.setup_commands);
        r.fields("build_commands", &a.build_commands);
        r.fields("constraints", &a.constraints);
        r.fields("env_vars", &a.env_vars);
    }
    if !doc.diagnostics.is_empty() {
        r.line(0, "diagnostics:".into());
        for d in &doc.diagnostics {
            let at = r.at(d.span);
            r.line(
                1,
                format!("{} {} {at}: {}", d.severity.as_str(), d.code, d.message),
            );
            for f in &d.fixes {
                let mut edits: Vec<String> = f
                    .edits
                    .iter()
                    .take(3)
                    .map(|e| format!("{} -> {:?}", r.pos(e.span), e.new_text))
                    .collect();
                if f.edits.len() > 3 {
                    edits.push(format!("… {} edits in all", f.edits.len()));
                }
                r.line(2, format!("fix: {} [{}]", f.title, edits.join(", ")));
            }
        }
    }
    r.out
}

fn snapshot_dir(dir: &str, kind: DocKind, prefix: &str) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    let mut files: Vec<_> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml" || e == "yml"))
        .collect();
    files.sort();
    assert!(files.len() >= 5, "fixtures missing in {dir}");
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap();
        let file = path.file_name().unwrap().to_string_lossy().to_string();
        let doc = parse_document(&file, &text, kind);
        let rendered = render(&text, &doc);
        let stem = file.trim_end_matches(".yaml").replace('.', "_");
        insta::with_settings!({ description => format!("{dir}/{file}"), omit_expression => true }, {
            insta::assert_snapshot!(format!("{prefix}__{stem}"), rendered);
        });
    }
}

#[test]
fn yaml_spec_fixtures() {
    snapshot_dir("tests/fixtures/yaml_spec", DocKind::YamlSpec, "yaml_spec");
}

#[test]
fn arrangement_fixtures() {
    snapshot_dir(
        "tests/fixtures/arrangement",
        DocKind::Arrangement,
        "arrangement",
    );
}

/// Every span of a document lies inside the text on char boundaries.
fn check_spans(text: &str, doc: &Document) {
    let _ = render(text, doc);
}

const SEED_SPEC: &str = include_str!("fixtures/yaml_spec/task_management_constraints.yaml");
const SEED_ARR: &str = include_str!("fixtures/arrangement/arrangement.yaml");

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_never_panics(s in "\\PC{0,300}") {
        for kind in [DocKind::YamlSpec, DocKind::Arrangement] {
            let doc = parse_document("x.spec.yaml", &s, kind);
            check_spans(&s, &doc);
        }
    }

    #[test]
    fn yaml_like_text_never_panics(s in "([ ]{0,6}(- )?[a-z_]{1,8}: ?(\"[^\"\n]{0,10}\"?|'x|[a-z0-9 <>%:]{0,12}|\\[|\\{|&a|\\*a|\\||>)?\n){0,25}") {
        for kind in [DocKind::YamlSpec, DocKind::Arrangement] {
            let doc = parse_document("x.spec.yaml", &s, kind);
            check_spans(&s, &doc);
        }
    }

    #[test]
    fn mutated_seed_never_panics(cuts in proptest::collection::vec((0usize..4000, 0usize..12, "[ \n:\\-\"'\\[\\]{}#&*|>\t]{0,4}"), 1..6)) {
        for base in [SEED_SPEC, SEED_ARR] {
            let mut s = base.to_string();
            for (at, del, ins) in &cuts {
                let mut at = (*at).min(s.len());
                while !s.is_char_boundary(at) { at -= 1; }
                let mut end = (at + del).min(s.len());
                while !s.is_char_boundary(end) { end -= 1; }
                s.replace_range(at..end, ins);
            }
            for kind in [DocKind::YamlSpec, DocKind::Arrangement] {
                let doc = parse_document("x.spec.yaml", &s, kind);
                check_spans(&s, &doc);
            }
        }
    }
}

/// Large inputs: many scenarios, a mapping with many (duplicate) keys, many steps read as
/// mappings. They are read completely (no quadratic blow-up; this is not a timing test).
#[test]
fn large_inputs_are_read() {
    let mut s = String::from("feature: Big\nscenarios:\n");
    for i in 0..5_000 {
        s.push_str(&format!(
            "  - name: Scenario {i}\n    when: I do thing {i}\n    then:\n      - status: {i}\n"
        ));
    }
    s.push_str("constraints:\n");
    for i in 0..5_000 {
        s.push_str(&format!("  dup:\n    - p95 < {i}ms\n"));
    }
    let doc = parse_document("big.spec.yaml", &s, DocKind::YamlSpec);
    assert_eq!(doc.scenarios.len(), 5_000);
    assert_eq!(doc.scenarios[4_999].then[0].text, "status: 4999");
    // duplicate `dup` keys: the last one wins, as the reader reports
    assert_eq!(doc.constraints.len(), 1);
    assert_eq!(doc.constraints[0].text, "p95 < 4999ms");
    check_spans(&s, &doc);
}
