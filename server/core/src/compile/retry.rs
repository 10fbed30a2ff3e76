//! What to do when an attempt to get an answer fails: the failures told apart, and a bounded
//! retry policy (backoff for rate limits and server errors, one retry with the error explained
//! for a malformed answer, nothing else retried).

use std::time::Duration;

/// Why an attempt failed. Messages never hold a key (the front end masks them before they get
/// here).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Failure {
    /// The server could not be reached, or the connection broke (with the cause).
    Network(String),
    /// 401: the key is missing or wrong.
    Unauthorized(String),
    /// 403: the key may not use this model or endpoint.
    Forbidden(String),
    /// 429, with the server's `Retry-After` if it sent one.
    RateLimited {
        retry_after: Option<Duration>,
        detail: String,
    },
    /// 5xx (and 529 overloaded).
    Server { status: u16, detail: String },
    /// Another 4xx: the request itself is wrong (unknown model, bad URL...).
    Request { status: u16, detail: String },
    /// The answer could not be used (no tagged blocks, cut off, path outside the outputs...).
    Malformed(String),
    /// The answer grew past [`super::MAX_ANSWER_BYTES`].
    TooLarge,
    /// Nothing arrived for too long.
    Timeout(Duration),
    /// The user cancelled.
    Cancelled,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Wait, then send the same request again.
    RetryAfter(Duration),
    /// Ask again, telling the model what was wrong.
    RetryWithFeedback(String),
    /// Give up with this message.
    Fail(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Policy {
    /// Retries of 429/5xx/timeouts per compile.
    pub max_transient_retries: u32,
    /// Retries after a malformed answer.
    pub max_malformed_retries: u32,
    /// First backoff; doubled on each retry, capped at `max_delay`.
    pub base_delay: Duration,
    pub max_delay: Duration,
}

impl Default for Policy {
    fn default() -> Policy {
        Policy {
            max_transient_retries: 3,
            max_malformed_retries: 1,
            base_delay: Duration::from_millis(1_000),
            max_delay: Duration::from_secs(30),
        }
    }
}

/// How many retries of each kind were made so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Attempts {
    pub transient: u32,
    pub malformed: u32,
}

impl Policy {
    fn backoff(&self, n: u32) -> Duration {
        let factor = 1u32.checked_shl(n.min(16)).unwrap_or(u32::MAX);
        self.base_delay.saturating_mul(factor).min(self.max_delay)
    }

    /// The decision after `failure`, given the retries made so far (`attempts` is updated when
    /// the decision is a retry). `what` names the backend for messages (`openai at http://...`).
    pub fn decide(&self, failure: &Failure, attempts: &mut Attempts, what: &str) -> Decision {
        match failure {
            Failure::RateLimited { retry_after, detail } => {
                if attempts.transient >= self.max_transient_retries {
                    return Decision::Fail(format!(
                        "{what} kept refusing with 429 Too Many Requests (rate limit) after {} retries: {detail}",
                        attempts.transient
                    ));
                }
                let wait = retry_after
                    .map(|d| d.min(self.max_delay))
                    .unwrap_or_else(|| self.backoff(attempts.transient));
                attempts.transient += 1;
                Decision::RetryAfter(wait)
            }
            Failure::Server { status, detail } => {
                if attempts.transient >= self.max_transient_retries {
                    return Decision::Fail(format!(
                        "{what} failed with server error {status} after {} retries: {detail}",
                        attempts.transient
                    ));
                }
                let wait = self.backoff(attempts.transient);
                attempts.transient += 1;
                Decision::RetryAfter(wait)
            }
            Failure::Timeout(d) => {
                if attempts.transient >= self.max_transient_retries {
                    return Decision::Fail(format!(
                        "{what} sent nothing for {}s, {} times; giving up",
                        d.as_secs(),
                        attempts.transient + 1
                    ));
                }
                let wait = self.backoff(attempts.transient);
                attempts.transient += 1;
                Decision::RetryAfter(wait)
            }
            Failure::Malformed(why) => {
                if attempts.malformed >= self.max_malformed_retries {
                    return Decision::Fail(format!(
                        "the model's answer could not be used, also after {} retr{} with the error explained: {why}",
                        attempts.malformed,
                        if attempts.malformed == 1 { "y" } else { "ies" }
                    ));
                }
                attempts.malformed += 1;
                Decision::RetryWithFeedback(why.clone())
            }
            Failure::Network(why) => Decision::Fail(format!("cannot reach {what}: {why}")),
            Failure::Unauthorized(detail) => Decision::Fail(format!(
                "{what} refused the request with 401 Unauthorized: the API key is missing or wrong (set the environment variable named by `api_key_env` in specls.toml){}",
                suffix(detail)
            )),
            Failure::Forbidden(detail) => Decision::Fail(format!(
                "{what} refused the request with 403 Forbidden: the key may not use this model or endpoint{}",
                suffix(detail)
            )),
            Failure::Request { status, detail } => Decision::Fail(format!(
                "{what} rejected the request with {status} (check `base_url` and `model`){}",
                suffix(detail)
            )),
            Failure::TooLarge => Decision::Fail(format!(
                "the answer from {what} grew past {} bytes; stopped, nothing written",
                super::MAX_ANSWER_BYTES
            )),
            Failure::Cancelled => Decision::Fail("cancelled; nothing written".into()),
        }
    }
}

fn suffix(detail: &str) -> String {
    let d = detail.trim();
    if d.is_empty() {
        String::new()
    } else {
        format!(": {d}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transient_failures_back_off_then_fail() {
        let p = Policy::default();
        let mut a = Attempts::default();
        let f = Failure::Server {
            status: 503,
            detail: "busy".into(),
        };
        let waits: Vec<Decision> = (0..4).map(|_| p.decide(&f, &mut a, "openai")).collect();
        assert_eq!(
            waits,
            vec![
                Decision::RetryAfter(Duration::from_secs(1)),
                Decision::RetryAfter(Duration::from_secs(2)),
                Decision::RetryAfter(Duration::from_secs(4)),
                Decision::Fail("openai failed with server error 503 after 3 retries: busy".into()),
            ]
        );
        let mut a = Attempts::default();
        let rl = Failure::RateLimited {
            retry_after: Some(Duration::from_secs(600)),
            detail: String::new(),
        };
        assert_eq!(
            p.decide(&rl, &mut a, "x"),
            Decision::RetryAfter(Duration::from_secs(30))
        );
    }

    #[test]
    fn malformed_gets_one_retry_and_others_none() {
        let p = Policy::default();
        let mut a = Attempts::default();
        let m = Failure::Malformed("no blocks".into());
        assert_eq!(
            p.decide(&m, &mut a, "x"),
            Decision::RetryWithFeedback("no blocks".into())
        );
        let Decision::Fail(msg) = p.decide(&m, &mut a, "x") else {
            panic!()
        };
        assert!(msg.contains("also after 1 retry"), "{msg}");
        for f in [
            Failure::Network("connection refused".into()),
            Failure::Unauthorized(String::new()),
            Failure::Forbidden(String::new()),
            Failure::Request {
                status: 404,
                detail: "no such model".into(),
            },
            Failure::TooLarge,
            Failure::Cancelled,
        ] {
            let mut a = Attempts::default();
            assert!(
                matches!(p.decide(&f, &mut a, "x"), Decision::Fail(_)),
                "{f:?}"
            );
        }
        let mut a = Attempts::default();
        let Decision::Fail(msg) =
            p.decide(&Failure::Unauthorized(String::new()), &mut a, "anthropic")
        else {
            panic!()
        };
        assert!(msg.contains("401") && msg.contains("api_key_env"), "{msg}");
    }
}
