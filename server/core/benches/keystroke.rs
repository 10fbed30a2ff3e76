//! `cargo bench -p specls-core --bench keystroke`: the checks after one keystroke, as the
//! language server runs them: the edits the LSP driver (`examples/lsp_driver.rs`) makes (a
//! scenario's name made equal to the one before it, then restored), each applied with the
//! incremental reparse (`Workspace::update_text_with`, not timed) and followed by
//! `Analysis::check_shared` (timed, as the language server calls it), on the 5,000-scenario file and in a file of the 600-file
//! workspace, in YAML and Markdown. Floor: a full check of the same workspace (`check_workspace`),
//! measured in the same run; the ratio is full / incremental.
//!
//! `SPECLS_BENCH_QUICK=1`: 500 scenarios and 20 files, fewer edits.

use std::hint::black_box;
use std::time::{Duration, Instant};

use specls_core::checks::{check_workspace, Analysis, Env};
use specls_core::config::Config;
use specls_core::corpus::{Corpus, Format, Shape};
use specls_core::workspace::Workspace;

/// The name (after `: ` to the end of the line) of the scenario numbered `g`.
fn name_at(text: &str, g: usize) -> Option<(usize, usize)> {
    let needle = format!(" number {g}\n");
    let end = text.find(&needle)? + needle.len() - 1;
    let start = text[..end].rfind(": ")? + 2;
    Some((start, end))
}

/// The texts after each of `n` edits of file `text` (whose first scenario has global number
/// `first`, with `per` scenarios): names made duplicates of the one before, then restored.
fn edits(text: &str, first: usize, per: usize, n: usize) -> Vec<String> {
    let mut out = Vec::with_capacity(n);
    let mut text = text.to_string();
    let span = (per / 4).max(1);
    let mut e = 0;
    while out.len() < n {
        let g = first + per / 2 + 2 * (e % span) + 1;
        e += 1;
        let (Some((s0, e0)), Some((p0, p1))) = (name_at(&text, g), name_at(&text, g - 1)) else {
            continue;
        };
        let own = text[s0..e0].to_string();
        let prev = text[p0..p1].to_string();
        text.replace_range(s0..e0, &prev);
        out.push(text.clone());
        text.replace_range(s0..s0 + prev.len(), &own);
        out.push(text.clone());
    }
    out.truncate(n);
    out
}

fn percentile(v: &mut [Duration], p: f64) -> Duration {
    v.sort();
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1000.0)
}

fn run(format: Format, shape: Shape, edited: usize, n: usize) {
    let corpus = Corpus::generate(format, shape);
    let config = Config::default();
    let env = Env::default();
    let mut ws = Workspace::new();
    for f in &corpus.files {
        ws.upsert_bytes_with(&f.path, f.text.as_bytes(), &config);
    }
    let t = Instant::now();
    let full_result = check_workspace(&ws, &config);
    let full = t.elapsed();
    black_box(full_result);
    let mut analysis = Analysis::new();
    black_box(analysis.check_shared(&ws, &config, &env));
    let file = &corpus.files[edited];
    let texts = edits(
        &file.text,
        edited * shape.per_file,
        shape.per_file,
        n.max(2),
    );
    let mut times = Vec::with_capacity(texts.len());
    for t in &texts {
        ws.update_text_with(&file.path, t, &config);
        let start = Instant::now();
        let r = analysis.check_shared(&ws, &config, &env);
        times.push(start.elapsed());
        black_box(r);
        black_box(analysis.take_retired());
    }
    let p50 = percentile(&mut times, 0.5);
    let p99 = percentile(&mut times, 0.99);
    println!(
        "| {} | {} files x {} | {} | {} | {} | {:.0}x |",
        format.name(),
        shape.files,
        shape.per_file,
        ms(p50),
        ms(p99),
        ms(full),
        full.as_secs_f64() / p50.as_secs_f64().max(1e-9)
    );
}

fn main() {
    let quick = std::env::var_os("SPECLS_BENCH_QUICK").is_some();
    let (big, files, n) = if quick {
        (500, 20, 20)
    } else {
        (5000, 600, 200)
    };
    println!("Analysis::check after one keystroke (reparse not timed), {n} edits\n");
    println!(
        "| format | workspace | p50 | p99 | full check | full / p50 |\n|---|---|---|---|---|---|"
    );
    // `SPECLS_BENCH_ONLY=big` or `many`: one of the two workspaces (for a profile).
    let only = std::env::var("SPECLS_BENCH_ONLY").unwrap_or_default();
    for format in [Format::Yaml, Format::Markdown] {
        if only != "many" {
            run(format, Shape::new(1, big, 1), 0, n);
        }
        if only != "big" {
            run(format, Shape::new(files, 50, 1), files / 2, n);
        }
    }
}
