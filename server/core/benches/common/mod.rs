//! What the core's benchmarks share.

use std::hint::black_box;
use std::time::{Duration, Instant};

/// The median wall time of `runs` runs of `f`.
pub fn median<T>(runs: usize, mut f: impl FnMut() -> T) -> Duration {
    let mut v: Vec<Duration> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            black_box(f());
            t.elapsed()
        })
        .collect();
    v.sort();
    v[v.len() / 2]
}
