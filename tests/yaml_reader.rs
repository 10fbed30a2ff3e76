//! The tolerant YAML reader: fixture snapshots (tree + diagnostics + comments), a differential
//! test against serde-saphyr on valid YAML, and property tests (no panic, spans in bounds).

use std::path::{Path, PathBuf};

use proptest::prelude::*;
use serde_json::Value as Json;
use specls_core::yaml::{self, Node, ScalarStyle, Value, YamlDoc};

fn fixtures() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/yaml");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("fixture dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    files
}

/// The rendering, with very long trees cut (alias bombs expand to thousands of nodes).
fn rendering(doc: &YamlDoc, text: &str) -> String {
    let full = doc.render(text);
    let lines: Vec<&str> = full.lines().collect();
    const MAX: usize = 400;
    if lines.len() <= MAX {
        return full;
    }
    let tree_end = lines
        .iter()
        .position(|l| l.starts_with("error[") || l.starts_with("comment "))
        .unwrap_or(lines.len());
    let keep = tree_end.min(MAX / 2);
    let mut out = lines[..keep].join("\n");
    out.push_str(&format!(
        "\n... ({} more tree lines)\n",
        tree_end.saturating_sub(keep)
    ));
    for l in lines[tree_end..].iter().take(MAX / 2) {
        out.push_str(l);
        out.push('\n');
    }
    out
}

/// Every span lies within the text and on char boundaries.
fn check_spans(doc: &YamlDoc, text: &str) {
    fn ok(s: specls_core::Span, text: &str) {
        assert!(s.start <= s.end, "span {s:?} reversed");
        assert!(
            s.end <= text.len(),
            "span {s:?} past the end ({})",
            text.len()
        );
        assert!(
            text.is_char_boundary(s.start) && text.is_char_boundary(s.end),
            "span {s:?} splits a char"
        );
    }
    fn walk(n: &Node, text: &str) {
        ok(n.span, text);
        match &n.value {
            Value::Seq(items) => items.iter().for_each(|i| walk(i, text)),
            Value::Map(entries) => entries.iter().for_each(|e| {
                ok(e.key_span, text);
                ok(e.span, text);
                walk(&e.value, text);
            }),
            _ => {}
        }
    }
    if let Some(r) = &doc.root {
        walk(r, text);
    }
    for d in &doc.diagnostics {
        ok(d.span, text);
        d.related.iter().for_each(|r| ok(r.span, text));
        d.fixes
            .iter()
            .flat_map(|f| &f.edits)
            .for_each(|e| ok(e.span, text));
    }
    doc.comments.iter().for_each(|c| ok(*c, text));
}

#[test]
fn fixtures_snapshot() {
    for path in fixtures() {
        let text = std::fs::read_to_string(&path).expect("read fixture");
        let doc = yaml::parse(&text);
        check_spans(&doc, &text);
        let name = path.file_stem().unwrap().to_string_lossy().to_string();
        insta::with_settings!({ snapshot_path => "snapshots/yaml", prepend_module_to_snapshot => false, omit_expression => true }, {
            insta::assert_snapshot!(name, rendering(&doc, &text));
        });
    }
}

/// Plain scalars resolved as the YAML 1.2 core schema does (what serde-saphyr gives a
/// `serde_json::Value`).
fn to_json(n: &Node) -> Json {
    match &n.value {
        Value::Null => Json::Null,
        Value::Scalar { text, style } => {
            if *style == ScalarStyle::Plain {
                match text.as_str() {
                    "true" | "True" | "TRUE" => return Json::Bool(true),
                    "false" | "False" | "FALSE" => return Json::Bool(false),
                    _ => {}
                }
                if let Ok(i) = text.parse::<i64>() {
                    return Json::from(i);
                }
                if text.bytes().any(|c| c.is_ascii_digit())
                    && text.bytes().all(|c| {
                        c.is_ascii_digit() || matches!(c, b'.' | b'-' | b'+' | b'e' | b'E')
                    })
                {
                    if let Ok(f) = text.parse::<f64>() {
                        return Json::from(f);
                    }
                }
            }
            Json::String(text.clone())
        }
        Value::Seq(items) => Json::Array(items.iter().map(to_json).collect()),
        Value::Map(entries) => {
            let mut m = serde_json::Map::new();
            for e in entries {
                m.insert(e.key.clone(), to_json(&e.value));
            }
            Json::Object(m)
        }
    }
}

#[test]
fn valid_fixtures_match_serde_saphyr() {
    let mut checked = 0;
    for path in fixtures() {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if !name.starts_with("valid_") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let doc = yaml::parse(&text);
        assert!(doc.diagnostics.is_empty(), "{name}: {:#?}", doc.diagnostics);
        let ours = doc.root.as_ref().map(to_json).unwrap_or(Json::Null);
        let theirs: Vec<Json> = serde_saphyr::from_str_multiple(&text)
            .unwrap_or_else(|e| panic!("{name}: serde-saphyr rejects it: {e}"));
        assert_eq!(ours, theirs[0], "{name}");
        checked += 1;
    }
    assert!(checked >= 10, "only {checked} valid fixtures");
}

/// serde-saphyr stops at the first error and returns nothing of the rest; this reader keeps
/// the whole model of the seed's malformed file.
#[test]
fn malformed_seed_serde_saphyr_gives_nothing_we_give_everything() {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/yaml/seed_task_management.yaml");
    let text = std::fs::read_to_string(path).unwrap();
    assert!(serde_saphyr::from_str::<Json>(&text).is_err());
    let doc = yaml::parse(&text);
    let root = doc.root.expect("root");
    assert_eq!(
        root.get("feature").and_then(|n| n.as_str()),
        Some("Task Management System")
    );
    assert!(root.get("description").is_some());
    assert_eq!(root.get("scenarios").map(|s| s.items().len()), Some(4));
}

/// A generated scenario file in the seed's style (5,000 scenarios, about 1.4 MB).
fn big_file(n: usize) -> String {
    let mut s = String::from(
        "feature: Task Management System\ndescription: Generated corpus\n\nscenarios:\n",
    );
    for i in 0..n {
        s.push_str(&format!(
            "  - name: Scenario number {i} creates a task\n    given: A task exists with title \"Task {i}\" and status \"pending\"\n    when: I mark the task {i} as complete\n    then:\n      - The task should have status \"completed\"\n      - The task should have a completed_at timestamp\n\n"
        ));
    }
    s
}

#[test]
fn huge_file_is_read_completely() {
    let text = big_file(5_000);
    assert!(text.len() > 1_000_000);
    let doc = yaml::parse(&text);
    assert!(doc.diagnostics.is_empty());
    let root = doc.root.unwrap();
    let sc = root.get("scenarios").unwrap().items();
    assert_eq!(sc.len(), 5_000);
    assert_eq!(
        sc[4_999].get("when").unwrap().as_str(),
        Some("I mark the task 4999 as complete")
    );
    assert_eq!(sc[4_999].get("then").unwrap().items().len(), 2);
}

/// Reading one top-level item on its own and shifting its spans gives the same nodes as the
/// full parse (what incremental reparsing relies on).
#[test]
fn slice_parse_and_shift_matches_full_parse() {
    let text = big_file(20);
    let full = yaml::parse(&text).root.unwrap();
    let items = full.get("scenarios").unwrap().items();
    let item = &items[7];
    let start = text[..item.span.start].rfind('\n').unwrap() + 1;
    let end = items[8].span.start - 4; // start of the next item's line
    let mut part = yaml::parse(&text[start..end]);
    part.shift(start);
    assert!(part.diagnostics.is_empty());
    let seq = part.root.unwrap();
    assert_eq!(&seq.items()[0], item);
}

fn mutate(base: &str, ops: &[(usize, u8, u8)]) -> String {
    let mut bytes = base.as_bytes().to_vec();
    const ALPHABET: &[u8] = b" \t\n:-#'\"[]{},&*!|>?%@`\\x\r";
    for &(at, kind, ch) in ops {
        let at = if bytes.is_empty() {
            0
        } else {
            at % (bytes.len() + 1)
        };
        let c = ALPHABET[ch as usize % ALPHABET.len()];
        match kind % 3 {
            0 => bytes.insert(at, c),
            1 if at < bytes.len() => {
                bytes.remove(at);
            }
            _ if at < bytes.len() => bytes[at] = c,
            _ => {}
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn never_panics_on_arbitrary_text(text in "\\PC{0,300}") {
        let doc = yaml::parse(&text);
        check_spans(&doc, &text);
    }

    #[test]
    fn never_panics_on_arbitrary_text_with_controls(text in "(?s).{0,300}") {
        let doc = yaml::parse(&text);
        check_spans(&doc, &text);
    }

    #[test]
    fn never_panics_on_yaml_like_text(text in "[ \t\n:\\-#'\"\\[\\]{},&*!|>?a-c0-9\\\\]{0,200}") {
        let doc = yaml::parse(&text);
        check_spans(&doc, &text);
    }

    #[test]
    fn never_panics_on_mutated_fixtures(
        which in 0usize..64,
        ops in proptest::collection::vec((any::<usize>(), any::<u8>(), any::<u8>()), 1..12),
    ) {
        let files = fixtures();
        let path = &files[which % files.len()];
        let base = std::fs::read_to_string(path).unwrap();
        let text = mutate(&base, &ops);
        let started = std::time::Instant::now();
        let doc = yaml::parse(&text);
        check_spans(&doc, &text);
        // Generous bound: linear-time parsing of these small files takes microseconds.
        prop_assert!(started.elapsed() < std::time::Duration::from_secs(2));
    }
}

/// Hostile inputs finish (a hang or quadratic blow-up on these sizes would take minutes); the
/// bound is generous because CI machines are slow and debug builds are used.
#[test]
fn pathological_inputs_finish() {
    let lines = |n: usize, f: &dyn Fn(usize) -> String| (0..n).map(f).collect::<String>();
    let cases: Vec<(&str, String)> = vec![
        (
            "long value full of ': '",
            format!("k: {}\n", "a: ".repeat(100_000)),
        ),
        ("unclosed double quotes", "k: \"abc\n".repeat(30_000)),
        ("unclosed single quotes in items", "- 'abc\n".repeat(30_000)),
        ("unclosed flows", "k: [a, {b\n".repeat(30_000)),
        (
            "one long flow line",
            format!("k: [{}]\n", "a, ".repeat(100_000)),
        ),
        ("compact sequence nesting", "- ".repeat(100_000)),
        ("flow nesting", "[{".repeat(100_000)),
        (
            "deep indentation",
            lines(800, &|i| format!("{}k{i}:\n", " ".repeat(i))),
        ),
        (
            "sawtooth indentation",
            lines(50_000, &|i| format!("{}k{i}: v\n", " ".repeat(i % 7))),
        ),
        (
            "sawtooth items",
            lines(50_000, &|i| format!("{}- k{i}: v\n", " ".repeat(i % 5))),
        ),
        (
            "indented siblings",
            lines(50_000, &|i| format!("{}k{i}: v\n", " ".repeat(2 * (i % 2)))),
        ),
        ("tabs", "\t\t- a\n".repeat(50_000)),
        ("garbage lines", "this is not yaml\n".repeat(50_000)),
        ("duplicate keys", "k: v\n".repeat(50_000)),
        (
            "many distinct keys",
            lines(50_000, &|i| format!("k{i}: v\n")),
        ),
        (
            "aliases",
            format!(
                "a: &a [x, y, z]\n{}",
                lines(50_000, &|i| format!("k{i}: *a\n"))
            ),
        ),
        (
            "anchors",
            lines(50_000, &|i| format!("k{i}: &a{i} [x]\nr{i}: *a{i}\n")),
        ),
        ("block scalars", "k: |\n  text\n   more\n\n".repeat(30_000)),
        (
            "multi-line plain",
            format!("k: {}", "word\n  ".repeat(100_000)),
        ),
    ];
    for (name, text) in cases {
        let started = std::time::Instant::now();
        let doc = yaml::parse(&text);
        let took = started.elapsed();
        check_spans(&doc, &text);
        assert!(
            doc.diagnostics.len() <= specls_core::limits::MAX_DIAGNOSTICS_PER_FILE + 1,
            "{name}: diagnostics not capped"
        );
        assert!(
            took < std::time::Duration::from_secs(20),
            "{name}: took {took:?}"
        );
    }
}

/// Shifting moves every span, including a duplicate key's `related` span.
#[test]
fn shift_moves_related_spans() {
    let text = "a: 1\na: 2\n";
    let mut doc = yaml::parse(text);
    doc.shift(100);
    let d = &doc.diagnostics[0];
    assert_eq!(d.code, "yaml-duplicate-key");
    assert_eq!((d.span.start, d.related[0].span.start), (105, 100));
}

/// Regression (found by the own-specs random-bytes test): an unclosed quoted scalar whose first
/// line ends in blanks and whose next line starts with multi-byte characters used to cut the
/// text inside a character and panic.
#[test]
fn unclosed_quote_with_trailing_blanks_before_multibyte_text() {
    for text in [
        "a: \"ab    \n é€ and more\n",
        "a: 'ab    \n é€ and more\n",
        "- \"x \t \n  😀😀\nb: 1\n",
    ] {
        let doc = specls_core::yaml::parse(text);
        assert!(
            doc.diagnostics
                .iter()
                .any(|d| d.message.contains("unclosed")),
            "{text:?}: {:?}",
            doc.diagnostics
        );
    }
    // The unclosed scalar keeps its first line only.
    let doc = specls_core::yaml::parse("a: \"ab    \n é€ and more\n");
    let Some(specls_core::yaml::Node {
        value: specls_core::yaml::Value::Map(entries),
        ..
    }) = &doc.root
    else {
        panic!("{:?}", doc.root)
    };
    assert_eq!(
        entries[0].value.value,
        specls_core::yaml::Value::Scalar {
            text: "ab".into(),
            style: specls_core::yaml::ScalarStyle::DoubleQuoted
        }
    );
}
