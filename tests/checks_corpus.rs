//! The labelled corpus of `tests/fixtures/conflicts/*.pairs`: every pair of scenarios (or of
//! example rows) is put into one spec and checked; what the checks report is compared with the
//! pair's label (`conflict`, `duplicate`, `none`). Precision and recall per class are printed
//! (`cargo test --test checks_corpus -- --nocapture`) and must both be 1.0.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;
use std::sync::Arc;

use specls_core::checks::check_workspace;
use specls_core::config::Config;
use specls_core::model::{
    scenario_id, DocKind, Document, ExampleRow, RelSpan, ScenarioDraft, ScenarioOrigin, Step,
    StepKind,
};
use specls_core::workspace::{SourceFile, Workspace};
use specls_core::Span;

#[derive(Default, Debug)]
struct Pair {
    file: String,
    name: String,
    label: String,
    kind: String,
    /// side ("a"/"b") -> field -> values in order.
    sides: BTreeMap<String, BTreeMap<String, Vec<String>>>,
}

fn read_pairs(path: &Path) -> Vec<Pair> {
    let text = std::fs::read_to_string(path).expect("corpus file");
    let file = path.file_name().unwrap().to_string_lossy().to_string();
    let mut out = Vec::new();
    let mut cur: Option<Pair> = None;
    for (n, line) in text.lines().enumerate() {
        let line = line.trim_end();
        if line.trim_start().starts_with('#') {
            continue;
        }
        if line.trim().is_empty() {
            out.extend(cur.take());
            continue;
        }
        let (key, value) = line
            .split_once(':')
            .unwrap_or_else(|| panic!("{file}:{}: expected `key: value`", n + 1));
        let value = value.trim().to_string();
        let p = cur.get_or_insert_with(|| Pair {
            file: file.clone(),
            kind: "scenarios".into(),
            ..Default::default()
        });
        match key {
            "pair" => p.name = value,
            "label" => p.label = value,
            "kind" => p.kind = value,
            k => {
                let (side, field) = k
                    .split_once('.')
                    .unwrap_or_else(|| panic!("{file}:{}: unknown key `{k}`", n + 1));
                p.sides
                    .entry(side.to_string())
                    .or_default()
                    .entry(field.to_string())
                    .or_default()
                    .push(value);
            }
        }
    }
    out.extend(cur);
    out
}

/// Builds a spec document and its text: each element is one line with its span.
struct Builder {
    doc: Document,
    text: String,
}

impl Builder {
    fn line(&mut self, s: &str) -> Span {
        let start = self.text.len();
        self.text.push_str(s);
        let span = Span::new(start, self.text.len());
        self.text.push('\n');
        span
    }

    fn scenario(&mut self, name: &str, fields: &BTreeMap<String, Vec<String>>) {
        let head = self.line(&format!("Scenario: {name}"));
        let mut steps = |kind: StepKind, key: &str, kw: &str| -> Vec<Step> {
            fields
                .get(key)
                .into_iter()
                .flatten()
                .map(|t| {
                    let span = self.line(&format!("{kw} {t}"));
                    Step {
                        kind,
                        keyword: kw.to_string(),
                        text: t.clone(),
                        span: RelSpan::absolute(span),
                        text_span: RelSpan::absolute(Span::new(
                            span.start + kw.len() + 1,
                            span.end,
                        )),
                    }
                })
                .collect()
        };
        let given = steps(StepKind::Given, "given", "Given");
        let when = steps(StepKind::When, "when", "When");
        let then = steps(StepKind::Then, "then", "Then");
        let end = self.text.len() - 1;
        self.doc.scenarios.push(
            ScenarioDraft {
                id: scenario_id(&self.doc.name, name),
                explicit_id: false,
                name: name.to_string(),
                name_span: Span::new(head.start + "Scenario: ".len(), head.end),
                span: Span::new(head.start, end),
                given,
                when,
                then,
                tags: Vec::new(),
                status: None,
                parent: None,
                origin: ScenarioOrigin::MarkdownHeading,
            }
            .finish(),
        );
    }

    fn example(&mut self, fields: &BTreeMap<String, Vec<String>>) {
        let get = |k: &str| fields.get(k).and_then(|v| v.first()).cloned();
        let input = get("input").unwrap_or_default();
        let expected = get("expected").unwrap_or_default();
        let span = self.line(&format!("| {input} | {expected} |"));
        self.doc.examples.push(ExampleRow {
            target: get("target"),
            name: None,
            input: input.clone(),
            expected: expected.clone(),
            valid: None,
            cells: vec![
                ("Input".into(), input),
                ("Expected Output".into(), expected),
            ],
            span,
        });
    }
}

/// What the checks say about a pair.
fn classify(p: &Pair) -> (String, Vec<String>) {
    let mut b = Builder {
        doc: Document {
            path: "corpus.spec.md".into(),
            kind: Some(DocKind::MarkdownSpec),
            name: "corpus".into(),
            ..Default::default()
        },
        text: String::new(),
    };
    for side in ["a", "b"] {
        let fields = p
            .sides
            .get(side)
            .unwrap_or_else(|| panic!("{}: pair `{}` has no `{side}.` side", p.file, p.name));
        match p.kind.as_str() {
            "scenarios" => b.scenario(&format!("{} {side}", p.name), fields),
            "examples" => b.example(fields),
            k => panic!("{}: pair `{}`: unknown kind `{k}`", p.file, p.name),
        }
    }
    let mut ws = Workspace::new();
    ws.files.insert(
        b.doc.path.clone(),
        SourceFile {
            text: b.text.as_str().into(),
            doc: Arc::new(b.doc),
        },
    );
    let diags = check_workspace(&ws, &Config::default());
    let codes: Vec<String> = diags
        .values()
        .flatten()
        .map(|d| format!("{}: {}", d.code, d.message))
        .collect();
    let has = |prefix: &str| diags.values().flatten().any(|d| d.code.starts_with(prefix));
    let class = if has("conflicting-") {
        "conflict"
    } else if has("duplicate-") {
        "duplicate"
    } else {
        "none"
    };
    (class.to_string(), codes)
}

#[test]
fn corpus_precision_and_recall() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/conflicts");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("corpus folder")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "pairs"))
        .collect();
    files.sort();
    let pairs: Vec<Pair> = files.iter().flat_map(|f| read_pairs(f)).collect();
    assert!(pairs.len() >= 60, "corpus too small: {}", pairs.len());
    let mut names = std::collections::HashSet::new();
    for p in &pairs {
        assert!(names.insert(&p.name), "duplicate pair name {}", p.name);
        assert!(
            ["conflict", "duplicate", "none"].contains(&p.label.as_str()),
            "{}: bad label {}",
            p.name,
            p.label
        );
    }

    let classes = ["conflict", "duplicate", "none"];
    // (true positives, predicted, actual) per class.
    let mut stats: BTreeMap<&str, (usize, usize, usize)> = BTreeMap::new();
    let mut wrong = String::new();
    for p in &pairs {
        let (got, codes) = classify(p);
        for c in classes {
            let e = stats.entry(c).or_default();
            if got == c {
                e.1 += 1;
            }
            if p.label == c {
                e.2 += 1;
            }
            if got == c && p.label == c {
                e.0 += 1;
            }
        }
        if got != p.label {
            let _ = writeln!(
                wrong,
                "  {}:{} labelled {} but checks say {}: {codes:?}",
                p.file, p.name, p.label, got
            );
        }
    }
    let mut summary = format!("corpus: {} pairs;", pairs.len());
    let mut perfect = true;
    for c in classes {
        let (tp, pred, actual) = stats[c];
        let precision = if pred == 0 {
            1.0
        } else {
            tp as f64 / pred as f64
        };
        let recall = if actual == 0 {
            1.0
        } else {
            tp as f64 / actual as f64
        };
        perfect &= precision == 1.0 && recall == 1.0;
        let _ = write!(
            summary,
            " {c}: precision {precision:.3} recall {recall:.3} ({actual} pairs);"
        );
    }
    println!("{summary}");
    eprintln!("{summary}");
    assert!(perfect, "{summary}\nmisclassified pairs:\n{wrong}");
}
