//! One run per workspace at a time: later requests wait their turn, first come first served.
//! A request cancelled while it waits leaves the queue without running.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::time::Duration;

use super::process::CancelToken;

#[derive(Default)]
struct Line {
    next: u64,
    serving: u64,
    /// Tickets given up while waiting (skipped when their turn comes).
    abandoned: BTreeSet<u64>,
}

type Slot = Arc<(Mutex<Line>, Condvar)>;

fn slots() -> &'static Mutex<HashMap<PathBuf, Slot>> {
    static SLOTS: OnceLock<Mutex<HashMap<PathBuf, Slot>>> = OnceLock::new();
    SLOTS.get_or_init(Default::default)
}

fn slot(root: &Path) -> Slot {
    let key = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
    let mut map = slots().lock().unwrap_or_else(|p| p.into_inner());
    map.entry(key).or_default().clone()
}

/// The right to run in a workspace; the next request's turn comes when it is dropped.
pub struct Turn {
    slot: Slot,
}

impl Drop for Turn {
    fn drop(&mut self) {
        let (lock, cv) = &*self.slot;
        let mut line = lock.lock().unwrap_or_else(|p| p.into_inner());
        advance(&mut line);
        cv.notify_all();
    }
}

fn advance(line: &mut Line) {
    line.serving += 1;
    while line.abandoned.remove(&line.serving) {
        line.serving += 1;
    }
}

/// Wait for this workspace's turn. `on_wait(ahead)` is called when the request has to wait
/// (and again when the number of runs ahead of it changes). None when `cancel` fired first.
pub fn wait_turn(root: &Path, cancel: &CancelToken, on_wait: &mut dyn FnMut(u64)) -> Option<Turn> {
    let slot = slot(root);
    let (lock, cv) = &*slot;
    let mut line = lock.lock().unwrap_or_else(|p| p.into_inner());
    let ticket = line.next;
    line.next += 1;
    let mut told = None;
    while line.serving != ticket {
        if cancel.is_cancelled() {
            line.abandoned.insert(ticket);
            return None;
        }
        let ahead = ticket - line.serving;
        if told != Some(ahead) {
            told = Some(ahead);
            on_wait(ahead);
        }
        line = cv
            .wait_timeout(line, Duration::from_millis(50))
            .unwrap_or_else(|p| p.into_inner())
            .0;
    }
    drop(line);
    Some(Turn { slot: slot.clone() })
}

/// An advisory lock on `.specls/results/.run.lock`, held while a run goes, so that two specls
/// processes (the command line and the editor) never run one workspace's tests at once. Waits
/// (calling `on_wait(1)` once) until it is free; None when `cancel` fired first. Where locks
/// are not available (not Unix, or the file cannot be created) it does not wait.
pub fn lock_across_processes(
    results_dir: &Path,
    cancel: &CancelToken,
    on_wait: &mut dyn FnMut(u64),
) -> Option<RunLock> {
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(results_dir.join(".run.lock"));
    let Ok(file) = file else {
        return Some(RunLock { _file: None });
    };
    #[cfg(unix)]
    {
        use std::os::fd::AsRawFd;
        let mut told = false;
        loop {
            // SAFETY: flock on a descriptor this function owns; no memory is involved.
            let r = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
            if r == 0 {
                break;
            }
            let err = std::io::Error::last_os_error();
            if err.raw_os_error() != Some(libc::EWOULDBLOCK) {
                break;
            }
            if cancel.is_cancelled() {
                return None;
            }
            if !told {
                told = true;
                on_wait(1);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
    #[cfg(not(unix))]
    let _ = (cancel, on_wait);
    Some(RunLock { _file: Some(file) })
}

/// Held while a run goes; closing the file releases the lock.
pub struct RunLock {
    _file: Option<std::fs::File>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn runs_one_at_a_time_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_path_buf();
        let first = wait_turn(&root, &CancelToken::new(), &mut |_| {}).unwrap();
        let order = Arc::new(Mutex::new(Vec::new()));
        let active = Arc::new(AtomicUsize::new(0));
        let mut handles = Vec::new();
        for i in 0..3 {
            let (root, order, active) = (root.clone(), order.clone(), active.clone());
            handles.push(std::thread::spawn(move || {
                let _t = wait_turn(&root, &CancelToken::new(), &mut |_| {}).unwrap();
                assert_eq!(active.fetch_add(1, Ordering::SeqCst), 0);
                order.lock().unwrap().push(i);
                std::thread::sleep(Duration::from_millis(20));
                active.fetch_sub(1, Ordering::SeqCst);
            }));
            // Take tickets in order.
            std::thread::sleep(Duration::from_millis(80));
        }
        // A cancelled waiter gives up its place without blocking the others.
        let cancel = CancelToken::new();
        cancel.cancel();
        assert!(wait_turn(&root, &cancel, &mut |_| {}).is_none());
        assert!(order.lock().unwrap().is_empty());
        drop(first);
        for h in handles {
            h.join().unwrap();
        }
        assert_eq!(*order.lock().unwrap(), vec![0, 1, 2]);
        // Another workspace never waits for this one.
        let other = tempfile::tempdir().unwrap();
        let _a = wait_turn(&root, &CancelToken::new(), &mut |_| {}).unwrap();
        let mut waited = false;
        let _b = wait_turn(other.path(), &CancelToken::new(), &mut |_| waited = true).unwrap();
        assert!(!waited);
    }

    #[cfg(unix)]
    #[test]
    fn the_lock_file_keeps_out_other_holders() {
        let dir = tempfile::tempdir().unwrap();
        let first = lock_across_processes(dir.path(), &CancelToken::new(), &mut |_| {}).unwrap();
        // A second holder (another open file description, as another process has) waits;
        // cancelling gives up.
        let cancel = CancelToken::new();
        let c = cancel.clone();
        let mut waited = 0;
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(250));
            c.cancel();
        });
        assert!(lock_across_processes(dir.path(), &cancel, &mut |_| waited += 1).is_none());
        assert_eq!(waited, 1);
        drop(first);
        assert!(lock_across_processes(dir.path(), &CancelToken::new(), &mut |_| {}).is_some());
    }
}
