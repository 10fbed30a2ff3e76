//! `cargo bench -p specls-core --bench cold`: opening a workspace, cold. On the 600-file corpus
//! (`specls_core::corpus`, 30,000 scenarios) of each format: parsing every file, then the first
//! `Analysis::check_shared` (every file checked, the key index built, every file finished),
//! each against a floor measured in the same run (one pass over the bytes, counting lines).
//! `SPECLS_BENCH_QUICK=1` uses a small corpus.

mod common;
use common::median;

use std::sync::Arc;
use std::time::Duration;

use specls_core::checks::{Analysis, Env};
use specls_core::config::Config;
use specls_core::corpus::{Corpus, Format, Shape};
use specls_core::workspace::{SourceFile, Workspace};

/// CPU time of this process so far, every thread (user + system, from `/proc/self/stat`; zero
/// where there is no such file): the machine may be shared, and CPU time is less sensitive to
/// other processes than wall time.
fn cpu() -> Duration {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return Duration::ZERO;
    };
    // Fields after the command name (which is in parentheses and may hold spaces).
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<u64> = rest
        .split_whitespace()
        .map(|x| x.parse().unwrap_or(0))
        .collect();
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
    let ticks = f.get(11).copied().unwrap_or(0) + f.get(12).copied().unwrap_or(0);
    Duration::from_millis(ticks * 10)
}

/// `median`, and the mean CPU time of one run.
fn timed<T>(runs: usize, f: impl FnMut() -> T) -> (Duration, Duration) {
    let c0 = cpu();
    let wall = median(runs, f);
    (wall, (cpu() - c0) / runs as u32)
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn main() {
    let quick = std::env::var_os("SPECLS_BENCH_QUICK").is_some();
    let (files, per, runs) = if quick { (20, 50, 3) } else { (600, 50, 5) };
    let only = std::env::var("SPECLS_BENCH_FORMATS").ok();
    println!("opening {files} files of {per} scenarios, cold (median of {runs} runs)\n");
    println!("| format | MB | floor (count lines) | parse every file (CPU) | first check (CPU) | parse + check / floor |");
    println!("|---|---|---|---|---|---|");
    let config = Config::default();
    for format in Format::SPECLS {
        if only
            .as_ref()
            .is_some_and(|o| !o.split(',').any(|n| n == format.name()))
        {
            continue;
        }
        let c = Corpus::generate(format, Shape::new(files, per, 1));
        let bytes: usize = c.files.iter().map(|f| f.text.len()).sum();
        let floor = median(runs, || {
            c.files
                .iter()
                .map(|f| f.text.bytes().filter(|&b| b == b'\n').count())
                .sum::<usize>()
        });
        let parse = |c: &Corpus| {
            let mut ws = Workspace::new();
            let parsed = specls_core::par::map(&c.files, |f| {
                SourceFile::parse_text(&f.path, &Arc::from(f.text.as_str()), None, &config)
            });
            for (f, p) in c.files.iter().zip(parsed) {
                if let Some(p) = p {
                    ws.files.insert(f.path.clone(), p);
                }
            }
            ws
        };
        let (parsing, parsing_cpu) = timed(runs, || parse(&c));
        let ws = parse(&c);
        let env = Env::default();
        let (check, check_cpu) = timed(runs, || {
            let mut a = Analysis::new();
            a.check_shared(&ws, &config, &env)
        });
        println!(
            "| {} | {:.1} | {} | {} ({}) | {} ({}) | {:.0}x |",
            format.name(),
            bytes as f64 / 1e6,
            ms(floor),
            ms(parsing),
            ms(parsing_cpu),
            ms(check),
            ms(check_cpu),
            (parsing + check).as_secs_f64() / floor.as_secs_f64().max(1e-9)
        );
    }
}
