//! Independent work spread over the machine's cores with `std::thread::scope` (no thread pool,
//! no dependency): parsing the files of a workspace, the per-file stage of the checks, indexing
//! test files. Results come back in the order of the input, so the output never depends on the
//! number of threads.

use std::num::NonZeroUsize;

/// Below this many items, the work is done on the calling thread (spawning costs more).
const MIN_PER_THREAD: usize = 8;

/// How many chunks each thread takes on average.
const CHUNKS_PER_THREAD: usize = 32;

/// How many threads to use for `items` items.
fn threads(items: usize) -> usize {
    if items < 2 * MIN_PER_THREAD {
        return 1;
    }
    // Asked once: on Linux the answer reads the cgroup's files (several system calls), and
    // small jobs (one document reparsed per keystroke) come here often.
    static CORES: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    let cores =
        *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, NonZeroUsize::get));
    cores.min(8).min(items / MIN_PER_THREAD).max(1)
}

/// `items.iter().map(f).collect()`, on up to one thread per core; the order is kept.
pub fn map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let n = threads(items.len());
    if n <= 1 {
        return items.iter().map(f).collect();
    }
    // Small chunks taken in turn keep every thread busy to the end, when item sizes vary
    // along the list and when a core is also busy with other work (a thread given a fixed
    // share of the list finishes last, with the other cores idle).
    let chunk = items.len().div_ceil(n * CHUNKS_PER_THREAD).max(1);
    let chunks: Vec<&[T]> = items.chunks(chunk).collect();
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut parts: Vec<Option<Vec<R>>> = (0..chunks.len()).map(|_| None).collect();
    let done: Vec<Vec<(usize, Vec<R>)>> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..n)
            .map(|_| {
                s.spawn(|| {
                    let mut mine = Vec::new();
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(c) = chunks.get(i) else { break };
                        mine.push((i, c.iter().map(&f).collect()));
                    }
                    mine
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| match w.join() {
                Ok(v) => v,
                Err(panic) => std::panic::resume_unwind(panic),
            })
            .collect()
    });
    for (i, v) in done.into_iter().flatten() {
        parts[i] = Some(v);
    }
    parts.into_iter().flatten().flatten().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_order_of_the_input() {
        for len in [0, 1, 7, 8, 9, 100, 1001] {
            let items: Vec<usize> = (0..len).collect();
            let out = map(&items, |x| x * 2);
            assert_eq!(
                out,
                items.iter().map(|x| x * 2).collect::<Vec<_>>(),
                "{len}"
            );
        }
    }

    #[test]
    fn a_panic_reaches_the_caller() {
        let items: Vec<usize> = (0..100).collect();
        let r =
            std::panic::catch_unwind(|| map(&items, |&x| if x == 57 { panic!("57") } else { x }));
        assert!(r.is_err());
    }
}
