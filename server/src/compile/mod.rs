//! Compiling specs into code: the side effects around the pure core (`specls_core::compile`).
//! `llm` talks to OpenAI-compatible and Anthropic servers (streaming), `agent` runs an agent
//! CLI, `run` plans, writes atomically, protects hand edits, runs the build commands and
//! records the manifest; `cli` is `specls compile`. The language server drives `run` too.
//!
//! Keys are read from the environment at the moment of the request, held in a [`Secret`] that
//! never prints, and masked out of every message that could carry them.

pub mod agent;
pub mod cli;
pub mod llm;
pub mod run;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use tokio::sync::Notify;

/// A cancellation flag shared by a compile and whoever may cancel it.
#[derive(Clone, Default)]
pub struct Cancel(Arc<CancelInner>);

#[derive(Default)]
struct CancelInner {
    flag: AtomicBool,
    notify: Notify,
}

impl Cancel {
    pub fn new() -> Cancel {
        Cancel::default()
    }

    pub fn cancel(&self) {
        self.0.flag.store(true, Ordering::SeqCst);
        self.0.notify.notify_waiters();
    }

    pub fn is_cancelled(&self) -> bool {
        self.0.flag.load(Ordering::SeqCst)
    }

    /// Completes once [`Cancel::cancel`] was called.
    pub async fn cancelled(&self) {
        loop {
            let notified = self.0.notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.is_cancelled() {
                return;
            }
            notified.await;
        }
    }
}

/// An API key. Never printed (`Debug` shows `***`); use [`Secret::mask`] on any text that
/// came back from a server before showing it.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    /// The key from the environment variable `name`, if set and not empty.
    pub fn from_env(name: &str) -> Option<Secret> {
        std::env::var(name)
            .ok()
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
            .map(Secret)
    }

    pub(crate) fn expose(&self) -> &str {
        &self.0
    }

    /// `text` with every occurrence of the key replaced by `***`.
    pub fn mask(&self, text: &str) -> String {
        if self.0.len() < 4 {
            return text.to_string();
        }
        text.replace(&self.0, "***")
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// Mask `text` with an optional key.
pub fn mask(key: Option<&Secret>, text: &str) -> String {
    match key {
        Some(k) => k.mask(text),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_print() {
        let s = Secret("sk-test-abcdef".into());
        assert_eq!(format!("{s:?}"), "Secret(***)");
        assert_eq!(s.mask("bad key sk-test-abcdef!"), "bad key ***!");
    }

    #[tokio::test]
    async fn cancel_wakes_waiters() {
        let c = Cancel::new();
        let c2 = c.clone();
        let waiter = tokio::spawn(async move { c2.cancelled().await });
        tokio::task::yield_now().await;
        c.cancel();
        tokio::time::timeout(std::time::Duration::from_secs(5), waiter)
            .await
            .unwrap()
            .unwrap();
        // Already cancelled: returns at once.
        c.cancelled().await;
    }
}
