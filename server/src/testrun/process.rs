//! Running one command: in its own process group (so cancelling or timing out ends the runner
//! and everything it started), standard output and error merged in one pipe (so the order of
//! lines is the order they were written), captured with bounded memory, with a timeout and a
//! cancellation flag checked while it runs.

use std::collections::VecDeque;
use std::io::Read;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

/// Ends a run (or a wait in the queue) from another thread or task: clone it, hand one copy
/// to the run and call [`CancelToken::cancel`] on the other.
#[derive(Clone, Debug, Default)]
pub struct CancelToken(Arc<AtomicBool>);

impl CancelToken {
    pub fn new() -> CancelToken {
        CancelToken::default()
    }
    pub fn cancel(&self) {
        self.0.store(true, Ordering::SeqCst);
    }
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// How a command ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum Exit {
    /// It exited by itself with this status code.
    Exited { code: i32 },
    /// A signal ended it (not one specls sent).
    Signalled { signal: i32 },
    /// It ran longer than the timeout; its process group was ended.
    TimedOut { after_secs: u64 },
    /// The user cancelled it; its process group was ended.
    Cancelled,
    /// It could not be started (program not found, not executable...).
    NotStarted { message: String },
}

impl Exit {
    pub fn describe(&self) -> String {
        match self {
            Exit::Exited { code } => format!("exited with status {code}"),
            Exit::Signalled { signal } => format!("ended by signal {signal}"),
            Exit::TimedOut { after_secs } => {
                format!("timed out after {after_secs}s; the process group was ended")
            }
            Exit::Cancelled => "cancelled; the process group was ended".to_string(),
            Exit::NotStarted { message } => format!("could not be started: {message}"),
        }
    }
}

/// Output kept in memory: the first quarter of the cap and the last three quarters; what is
/// between is counted and replaced by a note.
#[derive(Debug)]
pub struct Capture {
    cap: usize,
    head: Vec<u8>,
    tail: VecDeque<u8>,
    total: u64,
}

/// The note put where output was left out.
pub fn truncation_note(left_out: u64) -> String {
    format!("\n[… output truncated by specls: {left_out} bytes left out …]\n")
}

impl Capture {
    pub fn new(cap: usize) -> Capture {
        Capture {
            cap: cap.max(16),
            head: Vec::new(),
            tail: VecDeque::new(),
            total: 0,
        }
    }

    pub fn push(&mut self, mut bytes: &[u8]) {
        self.total += bytes.len() as u64;
        let head_cap = self.cap / 4;
        if self.head.len() < head_cap {
            let n = (head_cap - self.head.len()).min(bytes.len());
            self.head.extend_from_slice(&bytes[..n]);
            bytes = &bytes[n..];
        }
        let tail_cap = self.cap - head_cap;
        if bytes.len() >= tail_cap {
            self.tail.clear();
            self.tail.extend(&bytes[bytes.len() - tail_cap..]);
        } else {
            let over = (self.tail.len() + bytes.len()).saturating_sub(tail_cap);
            self.tail.drain(..over);
            self.tail.extend(bytes);
        }
    }

    /// Bytes written but not kept.
    pub fn left_out(&self) -> u64 {
        self.total - (self.head.len() + self.tail.len()) as u64
    }

    pub fn total(&self) -> u64 {
        self.total
    }

    /// The kept output as text (invalid UTF-8 replaced), with the truncation note in the gap.
    pub fn text(&self) -> String {
        let mut bytes = self.head.clone();
        let left_out = self.left_out();
        if left_out > 0 {
            bytes.extend_from_slice(truncation_note(left_out).as_bytes());
        }
        bytes.extend(self.tail.iter());
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

/// What running a command gave.
#[derive(Debug)]
pub struct Finished {
    pub exit: Exit,
    pub duration: Duration,
    pub output: Capture,
}

/// Limits and hooks of one command.
pub struct Limits<'a> {
    pub timeout: Duration,
    pub output_cap: usize,
    pub cancel: &'a CancelToken,
    /// Called with each complete line of output (without its line break).
    pub on_line: &'a mut dyn FnMut(&str),
}

/// Longest line handed to `on_line`; longer lines are cut (the capture keeps everything).
const MAX_LINE: usize = 64 * 1024;
/// How long the runner has to end after SIGTERM before SIGKILL.
const GRACE: Duration = Duration::from_secs(2);

/// Run `argv` in `cwd` with `env` added, until it exits, times out or is cancelled.
pub fn run(argv: &[String], cwd: &Path, env: &[(String, String)], limits: Limits<'_>) -> Finished {
    let started = Instant::now();
    let mut output = Capture::new(limits.output_cap);
    let Some((program, args)) = argv.split_first() else {
        return Finished {
            exit: Exit::NotStarted {
                message: "the command is empty".to_string(),
            },
            duration: started.elapsed(),
            output,
        };
    };
    let mut cmd = Command::new(program);
    cmd.args(args)
        .current_dir(cwd)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null());
    let (mut child, reader) = match spawn(&mut cmd) {
        Ok(x) => x,
        Err(e) => {
            return Finished {
                exit: Exit::NotStarted {
                    message: format!("`{program}`: {e}"),
                },
                duration: started.elapsed(),
                output,
            }
        }
    };
    let (tx, rx) = mpsc::channel::<Vec<u8>>();
    let pump = std::thread::spawn(move || pump(reader, tx));
    let mut line = Vec::new();
    let mut on_bytes = |bytes: &[u8], output: &mut Capture, line: &mut Vec<u8>| {
        output.push(bytes);
        for &b in bytes {
            if b == b'\n' {
                emit(line, limits.on_line);
            } else if line.len() < MAX_LINE {
                line.push(b);
            }
        }
    };
    let mut ended_by_us: Option<Exit> = None;
    let mut status = None;
    let mut eof = false;
    let mut exited_at: Option<Instant> = None;
    loop {
        match rx.recv_timeout(Duration::from_millis(50)) {
            Ok(bytes) => on_bytes(&bytes, &mut output, &mut line),
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => eof = true,
        }
        if status.is_none() {
            if let Ok(Some(s)) = child.try_wait() {
                status = Some(s);
                exited_at = Some(Instant::now());
                // Whatever it left running in its group goes with it.
                kill_group(&mut child, true);
            }
        }
        if status.is_some() && (eof || exited_at.is_some_and(|t| t.elapsed() > GRACE)) {
            break;
        }
        if status.is_none() && ended_by_us.is_none() {
            if limits.cancel.is_cancelled() {
                ended_by_us = Some(Exit::Cancelled);
            } else if started.elapsed() >= limits.timeout {
                ended_by_us = Some(Exit::TimedOut {
                    after_secs: limits.timeout.as_secs(),
                });
            }
            if ended_by_us.is_some() {
                status = Some(end_group(&mut child));
                exited_at = Some(Instant::now());
            }
        }
    }
    // Drain what is already in the channel.
    while let Ok(bytes) = rx.try_recv() {
        on_bytes(&bytes, &mut output, &mut line);
    }
    if !line.is_empty() {
        emit(&mut line, limits.on_line);
    }
    drop(rx);
    // The pump ends at end of file; when a stray process still holds the pipe (it left the
    // group), it is detached rather than waited for.
    if eof {
        let _ = pump.join();
    }
    let exit = ended_by_us.unwrap_or_else(|| exit_of(status));
    Finished {
        exit,
        duration: started.elapsed(),
        output,
    }
}

fn emit(line: &mut Vec<u8>, on_line: &mut dyn FnMut(&str)) {
    if line.last() == Some(&b'\r') {
        line.pop();
    }
    on_line(&String::from_utf8_lossy(line));
    line.clear();
}

fn pump(mut reader: impl Read, tx: mpsc::Sender<Vec<u8>>) {
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                if tx.send(buf[..n].to_vec()).is_err() {
                    break;
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => break,
        }
    }
}

fn exit_of(status: Option<std::process::ExitStatus>) -> Exit {
    let Some(s) = status else {
        return Exit::Exited { code: -1 };
    };
    if let Some(code) = s.code() {
        return Exit::Exited { code };
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(signal) = s.signal() {
            return Exit::Signalled { signal };
        }
    }
    Exit::Exited { code: -1 }
}

/// SIGTERM to the group, then SIGKILL after a grace period; returns the child's status.
fn end_group(child: &mut Child) -> std::process::ExitStatus {
    kill_group(child, false);
    let t = Instant::now();
    while t.elapsed() < GRACE {
        if let Ok(Some(s)) = child.try_wait() {
            kill_group(child, true);
            return s;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    kill_group(child, true);
    match child.wait() {
        Ok(s) => s,
        Err(_) => {
            let _ = child.kill();
            child.wait().unwrap_or_else(|_| fake_failure())
        }
    }
}

fn fake_failure() -> std::process::ExitStatus {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        std::process::ExitStatus::from_raw(1 << 8)
    }
    #[cfg(not(unix))]
    {
        use std::os::windows::process::ExitStatusExt;
        std::process::ExitStatus::from_raw(1)
    }
}

#[cfg(unix)]
fn spawn(cmd: &mut Command) -> std::io::Result<(Child, std::fs::File)> {
    use std::os::fd::{FromRawFd, OwnedFd};
    use std::os::unix::process::CommandExt;
    let mut fds = [0i32; 2];
    // SAFETY: `fds` is a valid array of two ints for pipe2 to fill.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: pipe2 succeeded, so both descriptors are open and owned by nobody else.
    let (read, write) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    let write2 = write.try_clone()?;
    cmd.stdout(Stdio::from(write))
        .stderr(Stdio::from(write2))
        .process_group(0);
    let child = cmd.spawn()?;
    // `cmd` still holds the write ends; drop them so that end of file comes when the runner
    // and its children are done.
    cmd.stdout(Stdio::null()).stderr(Stdio::null());
    Ok((child, std::fs::File::from(read)))
}

#[cfg(unix)]
fn kill_group(child: &mut Child, hard: bool) {
    let Ok(pid) = i32::try_from(child.id()) else {
        return;
    };
    let sig = if hard { libc::SIGKILL } else { libc::SIGTERM };
    // SAFETY: kill(2) with a negative pid signals the process group the child leads (it was
    // spawned with process_group(0), so its group id is its pid); no memory is involved.
    unsafe {
        libc::kill(-pid, sig);
    }
}

#[cfg(not(unix))]
fn spawn(cmd: &mut Command) -> std::io::Result<(Child, Box<dyn Read + Send>)> {
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn()?;
    let out = child.stdout.take();
    let err = child.stderr.take();
    let (tx, rx) = mpsc::channel::<Vec<u8>>();
    if let Some(mut e) = err {
        let tx = tx.clone();
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = e.read_to_end(&mut buf);
            let _ = tx.send(buf);
        });
    }
    struct ChanRead(mpsc::Receiver<Vec<u8>>, Vec<u8>);
    impl Read for ChanRead {
        fn read(&mut self, b: &mut [u8]) -> std::io::Result<usize> {
            while self.1.is_empty() {
                match self.0.recv() {
                    Ok(v) => self.1 = v,
                    Err(_) => return Ok(0),
                }
            }
            let n = b.len().min(self.1.len());
            b[..n].copy_from_slice(&self.1[..n]);
            self.1.drain(..n);
            Ok(n)
        }
    }
    if let Some(mut o) = out {
        std::thread::spawn(move || {
            let mut buf = [0u8; 16 * 1024];
            while let Ok(n) = o.read(&mut buf) {
                if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                    break;
                }
            }
        });
    }
    Ok((child, Box::new(ChanRead(rx, Vec::new()))))
}

#[cfg(not(unix))]
fn kill_group(child: &mut Child, _hard: bool) {
    let _ = child.kill();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(script: &str) -> Vec<String> {
        vec!["sh".into(), "-c".into(), script.into()]
    }

    /// True once no live process has this pid (a zombie counts as gone).
    #[cfg(unix)]
    fn gone(pid: i32) -> bool {
        for _ in 0..100 {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            // `pid (comm) S ...`: the state is the first field after the command.
            let state = stat
                .rsplit_once(')')
                .map(|(_, r)| r.trim_start().chars().next());
            if stat.is_empty() || state == Some(Some('Z')) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }

    #[cfg(unix)]
    fn run_sleeper(timeout: Duration, cancel_after: Option<Duration>) -> (Finished, i32, i32) {
        let dir = tempfile::tempdir().unwrap();
        let cancel = CancelToken::new();
        if let Some(after) = cancel_after {
            let c = cancel.clone();
            std::thread::spawn(move || {
                std::thread::sleep(after);
                c.cancel();
            });
        }
        // A child in the background (same group) and the runner itself, both sleeping.
        let script = "sleep 60 & echo $! > bg.pid; echo $$ > sh.pid; echo started; sleep 60";
        let mut lines = Vec::new();
        let f = run(
            &sh(script),
            dir.path(),
            &[],
            Limits {
                timeout,
                output_cap: 1 << 20,
                cancel: &cancel,
                on_line: &mut |l| lines.push(l.to_string()),
            },
        );
        assert_eq!(lines, vec!["started".to_string()]);
        let read = |n: &str| -> i32 {
            std::fs::read_to_string(dir.path().join(n))
                .unwrap()
                .trim()
                .parse()
                .unwrap()
        };
        (f, read("sh.pid"), read("bg.pid"))
    }

    #[cfg(unix)]
    #[test]
    fn timeout_ends_the_whole_process_group() {
        let (f, sh, bg) = run_sleeper(Duration::from_millis(500), None);
        assert_eq!(f.exit, Exit::TimedOut { after_secs: 0 });
        assert!(f.duration < Duration::from_secs(10), "{:?}", f.duration);
        assert!(gone(sh), "the runner is still alive");
        assert!(gone(bg), "its background child is still alive");
    }

    #[cfg(unix)]
    #[test]
    fn cancel_ends_the_whole_process_group() {
        let (f, sh, bg) = run_sleeper(Duration::from_secs(60), Some(Duration::from_millis(300)));
        assert_eq!(f.exit, Exit::Cancelled);
        assert!(f.duration < Duration::from_secs(10), "{:?}", f.duration);
        assert!(gone(sh) && gone(bg));
    }

    #[cfg(unix)]
    #[test]
    fn output_is_merged_in_order_and_capped() {
        let dir = tempfile::tempdir().unwrap();
        let mut n = 0usize;
        let f = run(
            &sh("echo out; echo err >&2; echo out2; i=0; while [ $i -lt 20000 ]; do echo \"line $i\"; i=$((i+1)); done; exit 3"),
            dir.path(),
            &[("SPECLS_TEST_VAR".into(), "x".into())],
            Limits {
                timeout: Duration::from_secs(60),
                output_cap: 4096,
                cancel: &CancelToken::new(),
                on_line: &mut |_| n += 1,
            },
        );
        assert_eq!(f.exit, Exit::Exited { code: 3 });
        assert_eq!(n, 20_003, "every line reaches the progress callback");
        let text = f.output.text();
        assert!(
            text.starts_with("out\nerr\nout2\nline 0\n"),
            "{}",
            &text[..40]
        );
        assert!(text.ends_with("line 19999\n"));
        assert!(text.contains("output truncated by specls"));
        assert!(text.len() < 4096 + 100);
        assert!(f.output.left_out() > 100_000);
    }

    #[test]
    fn a_missing_program_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        let f = run(
            &["specls-no-such-program".to_string()],
            dir.path(),
            &[],
            Limits {
                timeout: Duration::from_secs(5),
                output_cap: 1024,
                cancel: &CancelToken::new(),
                on_line: &mut |_| {},
            },
        );
        match f.exit {
            Exit::NotStarted { message } => {
                assert!(message.contains("specls-no-such-program"), "{message}")
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn capture_keeps_both_ends_in_bounded_memory() {
        let mut c = Capture::new(100);
        for i in 0..1000 {
            c.push(format!("line {i}\n").as_bytes());
        }
        let text = c.text();
        assert!(text.starts_with("line 0\n"));
        assert!(text.ends_with("line 999\n"));
        assert!(text.contains("output truncated by specls"));
        assert!(c.head.len() + c.tail.len() <= 100);
        assert_eq!(
            c.total(),
            (0..1000)
                .map(|i| format!("line {i}\n").len() as u64)
                .sum::<u64>()
        );
        let mut small = Capture::new(1000);
        small.push(b"abc");
        assert_eq!(small.text(), "abc");
        assert_eq!(small.left_out(), 0);
        // One huge write.
        let mut big = Capture::new(64);
        big.push(&[b'x'; 10_000]);
        assert_eq!(big.left_out(), 10_000 - 64);
    }
}
