//! The state owner's work per keystroke on the 5,000-scenario file, in process: what
//! `Owner::change` and `Owner::snapshot` do for one `didChange` of the benchmark driver
//! (`examples/lsp_driver.rs`: a scenario name in the second half of the file made equal to the
//! one before it, then restored), stage by stage:
//!
//! - apply: the LSP change applied to the text and its line index (`state::apply_changes`),
//!   and the text made shareable (`Arc<str>`);
//! - reparse: `SourceFile::parse_text_edited` with the previous file and the edit, as the owner
//!   calls it (kind detection, the edit narrowed, the scenario read again and spliced into the
//!   previous document);
//! - drop: the previous version freed (text, line index, document), as the owner does when no
//!   snapshot holds it any more.
//!
//! Each format twice: with the change as a range (as the driver sends it), and as the whole
//! text after the edit (as a client without ranges sends it).
//!
//! Floor: copying the text once (the least a new `Arc<str>` of the edited text costs).
//! Every reparse is compared with a full parse of the same text at the end (a bench that got a
//! different model would be measuring something else).
//!
//! Run: `cargo bench --bench owner` (`SPECLS_BENCH_EDITS` keystrokes per format, default 400).

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use specls::lsp::position::{Encoding, LineIndex};
use specls::lsp::state::apply_changes;
use specls_core::config::Config;
use specls_core::corpus::{Corpus, Format, Shape};
use specls_core::workspace::SourceFile;
use tower_lsp_server::lsp_types::{Position, Range, TextDocumentContentChangeEvent};

/// Line and column (the corpus is ASCII, so UTF-16 columns are bytes) of byte `at`.
fn position(text: &str, at: usize) -> Position {
    let line = text[..at].matches('\n').count();
    let col = at - text[..at].rfind('\n').map_or(0, |i| i + 1);
    Position::new(line as u32, col as u32)
}

/// The name (after `: ` to the end of its line) of the scenario numbered `g`.
fn name_at(text: &str, g: usize) -> Option<(usize, usize)> {
    let needle = format!(" number {g}\n");
    let end = text.find(&needle)? + needle.len() - 1;
    let start = text[..end].rfind(": ")? + 2;
    Some((start, end))
}

/// The driver's edits: pairs of (make name `g` equal to name `g - 1`, restore it), for
/// scenarios in the second half of the file. Each edit: byte range in the text before it and
/// the new text.
fn edits(text: &str, scenarios: usize, n: usize) -> Vec<(usize, usize, String)> {
    let mut text = text.to_string();
    let mut out = Vec::with_capacity(n);
    let mut e = 0;
    while out.len() < n {
        let g = scenarios / 2 + 2 * (e % (scenarios / 4)) + 1;
        e += 1;
        let (Some((s0, e0)), Some((p0, p1))) = (name_at(&text, g), name_at(&text, g - 1)) else {
            continue;
        };
        let own = text[s0..e0].to_string();
        let dup = text[p0..p1].to_string();
        out.push((s0, e0, dup.clone()));
        text.replace_range(s0..e0, &dup);
        out.push((s0, s0 + dup.len(), own.clone()));
        text.replace_range(s0..s0 + dup.len(), &own);
    }
    out.truncate(n);
    out
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn ms(d: Duration) -> String {
    format!("{:.3}", d.as_secs_f64() * 1000.0)
}

struct Stages {
    apply: Vec<Duration>,
    reparse: Vec<Duration>,
    drop: Vec<Duration>,
    total: Vec<Duration>,
    floor: Vec<Duration>,
}

fn main() {
    let n: usize = std::env::var("SPECLS_BENCH_EDITS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(400);
    let config = Config::default();
    println!(
        "State owner per keystroke, 5,000-scenario file ({n} edits per format; ms)\n\n\
         | format | stage | p50 | p99 | max |\n|---|---|---|---|---|"
    );
    for (format, whole) in [
        (Format::Yaml, false),
        (Format::Yaml, true),
        (Format::Markdown, false),
        (Format::Markdown, true),
    ] {
        let label = if whole {
            format!("{} (whole text sent)", format.name())
        } else {
            format.name().to_string()
        };
        let corpus = Corpus::generate(format, Shape::big(1));
        let file = &corpus.files[0];
        let key = file.path.clone();
        let edits = edits(&file.text, corpus.shape.per_file, n);
        let text: Arc<str> = Arc::from(file.text.as_str());
        let mut cur = SourceFile::parse_text(&key, &text, None, &config).expect("a spec");
        let mut lines = Arc::new(LineIndex::new(&text));
        let mut st = Stages {
            apply: Vec::new(),
            reparse: Vec::new(),
            drop: Vec::new(),
            total: Vec::new(),
            floor: Vec::new(),
        };
        for (i, (s, e, new)) in edits.iter().enumerate() {
            let t = Instant::now();
            let copy: Arc<str> = Arc::from(&*cur.text);
            st.floor.push(t.elapsed());
            drop(black_box(copy));
            let range = Range::new(position(&cur.text, *s), position(&cur.text, *e));
            let change = if whole {
                // A client without ranges: the whole text after the edit.
                let mut all = cur.text.to_string();
                all.replace_range(*s..*e, new);
                TextDocumentContentChangeEvent {
                    range: None,
                    range_length: None,
                    text: all,
                }
            } else {
                TextDocumentContentChangeEvent {
                    range: Some(range),
                    range_length: None,
                    text: new.clone(),
                }
            };
            let t0 = Instant::now();
            let (new_text, new_lines, edit) =
                apply_changes(&cur.text, &lines, &[change], Encoding::Utf16)
                    .expect("in range")
                    .expect("a change");
            let new_text: Arc<str> = new_text.into();
            let new_lines = Arc::new(new_lines);
            let t1 = Instant::now();
            let next =
                SourceFile::parse_text_edited(&key, &new_text, Some(&cur), &config, Some(edit))
                    .expect("a spec");
            let t2 = Instant::now();
            let old = std::mem::replace(&mut cur, next);
            let old_lines = std::mem::replace(&mut lines, new_lines);
            drop(old);
            drop(old_lines);
            let t3 = Instant::now();
            st.apply.push(t1 - t0);
            st.reparse.push(t2 - t1);
            st.drop.push(t3 - t2);
            st.total.push(t3 - t0);
            if i % (n / 8).max(1) == 0 || i + 1 == edits.len() {
                let kind = cur.doc.kind.expect("a kind");
                let full = specls_core::parse::parse_document(&key, &cur.text, kind);
                assert!(
                    *cur.doc == full,
                    "{}: the reparse differs from a full parse",
                    format.name()
                );
            }
        }
        for (name, v) in [
            ("apply change (text + line index)", &mut st.apply),
            ("reparse (SourceFile::parse_text_edited)", &mut st.reparse),
            ("drop the previous version", &mut st.drop),
            ("total", &mut st.total),
            ("floor: one copy of the text", &mut st.floor),
        ] {
            v.sort();
            println!(
                "| {} | {name} | {} | {} | {} |",
                label,
                ms(percentile(v, 0.5)),
                ms(percentile(v, 0.99)),
                ms(*v.last().unwrap_or(&Duration::ZERO))
            );
        }
    }
}
