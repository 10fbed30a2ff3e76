//! Bad and hostile Markdown: deep nesting, huge files, very long lines, arbitrary text and
//! mutated fixtures never panic, and every span stays in bounds on char boundaries.

mod common;

use common::render::check_spans;
use proptest::prelude::*;
use specls_core::model::DocKind;
use specls_core::parse::parse_document;

fn parse_md(text: &str) -> specls_core::model::Document {
    let doc = parse_document("x.spec.md", text, DocKind::MarkdownSpec);
    check_spans(text, &doc).unwrap();
    doc
}

fn parse_bp(text: &str) -> specls_core::model::Document {
    let doc = parse_document("t.md", text, DocKind::Blueprint);
    check_spans(text, &doc).unwrap();
    doc
}

#[test]
fn deeply_nested_lists_and_quotes() {
    // 10,000 nested list items on one line, and as an indented staircase of 2,000 levels.
    let list = format!("{}**Given** deep\n", "- ".repeat(10_000));
    let doc = parse_md(&list);
    assert!(doc
        .diagnostics
        .iter()
        .any(|d| d.code == "markdown-depth-limit"));
    let mut stairs = String::new();
    for i in 0..2_000 {
        stairs.push_str(&"  ".repeat(i));
        stairs.push_str("- **FR-01**: deep\n");
    }
    let doc = parse_md(&stairs);
    assert!(doc.requirements.len() <= specls_core::limits::MAX_DEPTH);
    assert!(doc
        .diagnostics
        .iter()
        .any(|d| d.code == "markdown-depth-limit"));

    let quotes = format!("{} Scenario text\n", ">".repeat(10_000));
    let doc = parse_md(&quotes);
    assert!(doc
        .diagnostics
        .iter()
        .any(|d| d.code == "markdown-depth-limit"));

    let mixed: String = (0..5_000).map(|_| "> - ").collect::<String>() + "x\n";
    parse_md(&mixed);
}

#[test]
fn huge_file_is_read_whole() {
    let block =
        "## Scenario: s\nGiven a\nWhen b\nThen c\n\n| Input | Expected |\n|---|---|\n| 1 | 2 |\n\n";
    let n = 10_000;
    let text = format!("# Examples\n\n{}", block.repeat(n));
    let doc = parse_md(&text);
    assert_eq!(doc.scenarios.len(), n);
    assert_eq!(doc.examples.len(), n);
}

#[test]
fn very_long_lines() {
    let long = "x".repeat(200_000);
    let text = format!("## Scenario: {long}\nGiven {long}\nWhen a\nThen b\n- **FR-01**: {long}\n");
    let doc = parse_md(&text);
    assert_eq!(doc.scenarios.len(), 1);
    let one_line = format!("1. **Given** {long}, **When** é, **Then** ü\n");
    parse_md(&one_line);
}

#[test]
fn pathological_inline_and_tables() {
    let wide_header: String = (0..2_000).map(|i| format!("| Input{i} ")).collect();
    let wide_rule = "|---".repeat(2_000);
    let wide_row = "| x ".repeat(2_000);
    let table = format!(
        "# Examples\n\n{wide_header}|\n{wide_rule}|\n{}",
        format!("{wide_row}|\n").repeat(50)
    );
    let cases = [
        "[".repeat(100_000),
        "*a".repeat(50_000),
        "`".repeat(100_000),
        "<!--".repeat(50_000),
        format!("# Scenario: {}\n", "<!-- x -->".repeat(20_000)),
        format!("1. {}\n", "**Given** a, ".repeat(20_000)),
        format!("```\n{}```\n", "f(x) -> y\n".repeat(50_000)),
        table,
    ];
    for text in &cases {
        parse_md(text);
        parse_bp(text);
    }
}

#[test]
fn empty_and_whitespace_files() {
    for t in [
        "", "\n", "   ", "---", "---\n", "---\n---", "```", "\u{feff}", "# ", "- ", "|",
    ] {
        let doc = parse_md(t);
        assert!(doc.scenarios.is_empty());
        parse_bp(t);
    }
}

#[test]
fn guardian_positions_are_exact() {
    let text = "```guardian\n[\n  {\"stage\": \"test\",}\n]\n```\n";
    let doc = parse_bp(text);
    let d = doc
        .diagnostics
        .iter()
        .find(|d| d.code == "guardian-invalid")
        .expect("guardian-invalid");
    assert_eq!(d.span.slice(text), "}");
}

fn fixture_texts() -> &'static [String] {
    static TEXTS: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    TEXTS.get_or_init(read_fixtures)
}

fn read_fixtures() -> Vec<String> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut out = Vec::new();
    let mut dirs = vec![root.join("markdown"), root.join("blueprint")];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                dirs.push(p);
            } else {
                out.push(String::from_utf8_lossy(&std::fs::read(p).unwrap()).into_owned());
            }
        }
    }
    out.sort();
    out
}

const PIECES: &[&str] = &[
    "---\n",
    "```",
    "```yaml:steps\n",
    "```guardian\n",
    "# ",
    "#### Scenario: ",
    "- ",
    "1. ",
    "> ",
    "**Given** ",
    "**WHEN** ",
    "Then ",
    "And ",
    "| a | b |\n",
    "|---|---|\n",
    "\n",
    "  ",
    "- [ ] ",
    "- **FR-01**: ",
    "{#id}",
    "<!-- id: x -->",
    "é",
    "💥",
    "\r\n",
    "name: x\n",
    "type: function\n",
    "@tag ",
    "Status: ok\n",
    "[",
    "]",
    "{",
    "}",
    "\"",
    ":",
    "->",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_never_panics(s in "\\PC{0,400}") {
        parse_md(&s);
        parse_bp(&s);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        for path in ["x.spec.md", "tasks/t.md", "spec.md"] {
            if let Some((text, doc)) = specls_core::parse::parse_bytes(path, &bytes) {
                check_spans(&text, &doc).unwrap();
            }
        }
        let mut with_fm = b"---\nid: T\nrequirement_id: R\n---\n".to_vec();
        with_fm.extend_from_slice(&bytes);
        let (text, doc) = specls_core::parse::parse_bytes("t.md", &with_fm).unwrap();
        check_spans(&text, &doc).unwrap();
    }

    #[test]
    fn markdown_soup_never_panics(parts in proptest::collection::vec(0..PIECES.len(), 0..80)) {
        let s: String = parts.iter().map(|&i| PIECES[i]).collect();
        parse_md(&s);
        parse_bp(&s);
    }

    #[test]
    fn mutated_fixtures_never_panic(
        which in 0usize..64,
        cut in 0usize..4096,
        len in 0usize..64,
        insert in 0..PIECES.len(),
    ) {
        let texts = fixture_texts();
        let t = &texts[which % texts.len()];
        let mut at = cut.min(t.len());
        while !t.is_char_boundary(at) { at -= 1; }
        let mut end = (at + len).min(t.len());
        while !t.is_char_boundary(end) { end -= 1; }
        let mutated = format!("{}{}{}", &t[..at], PIECES[insert], &t[end..]);
        parse_md(&mutated);
        parse_bp(&mutated);
        let truncated = &t[..at];
        parse_md(truncated);
    }
}
