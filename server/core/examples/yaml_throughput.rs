//! Throughput of the tolerant YAML reader against serde-saphyr on the same generated scenario
//! file (5,000 scenarios in the seeds' style, about 1.4 MB), measured in one run.
//!
//! `cargo run --release -p specls-core --example yaml_throughput [SCENARIOS] [ROUNDS] [ours]`
//!
//! Reports wall-clock medians and, on Linux, CPU time per parse (from /proc, so that a busy
//! shared machine does not distort the figures); the ratio is computed from CPU time when
//! available.
use std::time::{Duration, Instant};

fn corpus(n: usize) -> String {
    let mut s = String::from(
        "# scenarios/task_management.yaml\nfeature: Task Management System\ndescription: A system for creating, updating, and tracking tasks\n\nconstraints:\n  performance:\n    - name: API response time\n      requirement: p95 latency < 100ms for all read operations\n      measurement: Under load of 1000 requests/second\n\nscenarios:\n",
    );
    for i in 0..n {
        s.push_str(&format!(
            "  - name: Complete task {i}\n    id: TASK-{i:05}\n    tags: [tasks, status]\n    given: A task exists with title \"Task {i}\" and status \"pending\"\n    when: I mark task {i} as complete\n    then:\n      - The task should have status \"completed\"\n      - The task should have a completed_at timestamp\n\n"
        ));
    }
    s
}

/// CPU time of this thread so far (Linux; None elsewhere).
fn cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").ok()?;
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split(' ').collect();
    // Fields 14 and 15 of stat (utime, stime), counted after the command name.
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(Duration::from_millis(ticks * 10))
}

struct Measure {
    wall_median: Duration,
    cpu_per_round: Option<Duration>,
}

fn measure(rounds: usize, mut f: impl FnMut()) -> Measure {
    let mut wall = Vec::with_capacity(rounds);
    let cpu0 = cpu_time();
    for _ in 0..rounds {
        let t = Instant::now();
        f();
        wall.push(t.elapsed());
    }
    let cpu = cpu_time().zip(cpu0).map(|(b, a)| (b - a) / rounds as u32);
    wall.sort();
    Measure {
        wall_median: wall[wall.len() / 2],
        cpu_per_round: cpu,
    }
}

fn report(name: &str, bytes: usize, m: &Measure) {
    let mbps = |d: Duration| bytes as f64 / 1e6 / d.as_secs_f64().max(1e-9);
    print!(
        "{name:<36} wall median {:>8.2} ms ({:>6.1} MB/s)",
        m.wall_median.as_secs_f64() * 1e3,
        mbps(m.wall_median)
    );
    if let Some(c) = m.cpu_per_round {
        print!(
            "   cpu {:>8.2} ms/parse ({:>6.1} MB/s)",
            c.as_secs_f64() * 1e3,
            mbps(c)
        );
    }
    println!();
}

fn main() {
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(5_000);
    let rounds: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(30);
    let only_ours = args.next().as_deref() == Some("ours");
    let text = corpus(n);
    println!("corpus: {n} scenarios, {} bytes", text.len());

    let check = specls_core::yaml::parse(&text);
    assert!(check.diagnostics.is_empty());
    let count = check
        .root
        .as_ref()
        .and_then(|r| r.get("scenarios"))
        .map(|s| s.items().len());
    assert_eq!(count, Some(n));

    let ours = measure(rounds, || {
        std::hint::black_box(specls_core::yaml::parse(std::hint::black_box(&text)));
    });
    report("specls yaml::parse", text.len(), &ours);
    if only_ours {
        return;
    }
    let v: serde_json::Value = serde_saphyr::from_str(&text).expect("serde-saphyr reads it");
    assert_eq!(v["scenarios"].as_array().map(|a| a.len()), count);
    let theirs = measure(rounds.div_ceil(4).max(3), || {
        let v: serde_json::Value = serde_saphyr::from_str(std::hint::black_box(&text)).unwrap();
        std::hint::black_box(v);
    });
    report("serde-saphyr -> serde_json::Value", text.len(), &theirs);
    let ratio = match (ours.cpu_per_round, theirs.cpu_per_round) {
        (Some(a), Some(b)) if !a.is_zero() => b.as_secs_f64() / a.as_secs_f64(),
        _ => theirs.wall_median.as_secs_f64() / ours.wall_median.as_secs_f64(),
    };
    println!("ratio: specls yaml::parse is {ratio:.1}x faster than serde-saphyr on this file");
}
