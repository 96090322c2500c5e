//! What became of one attempt to send a request, and when to try again,
//! as the OTLP specification says: retryable gRPC codes (CANCELLED,
//! DEADLINE_EXCEEDED, ABORTED, OUT_OF_RANGE, UNAVAILABLE, DATA_LOSS, and
//! RESOURCE_EXHAUSTED only when the server sent `RetryInfo`) and HTTP
//! 429/502/503/504 are retried with exponential backoff and full jitter,
//! a server's `Retry-After` or `RetryInfo` delay is honoured, and
//! everything else is permanent: never retried. A fatal outcome (a
//! refused API key) ends the whole run.

use std::time::Duration;

/// The outcome of one attempt.
#[derive(Clone, Debug, PartialEq)]
pub enum Attempt {
    /// The server took the request; `rejected` of its items were refused
    /// through `partial_success` (not retried, as the spec says).
    Accepted {
        /// Items the server rejected.
        rejected: u64,
        /// Its error message ("" when none).
        message: String,
    },
    /// A retryable failure.
    Retry {
        /// The delay the server asked for, if any.
        after: Option<Duration>,
        /// What happened, e.g. `UNAVAILABLE: ...` or `HTTP 503`.
        reason: String,
    },
    /// A permanent failure.
    Fail {
        /// What happened.
        reason: String,
    },
    /// A failure no request can get past (a refused API key): the whole
    /// run stops at once, and everything not yet delivered fails with it.
    Fatal {
        /// What happened, and how to fix it.
        reason: String,
    },
}

/// gRPC status codes the OTLP spec retries (RESOURCE_EXHAUSTED is
/// retryable only with `RetryInfo`, decided by the caller).
pub fn grpc_retryable(code: tonic::Code) -> bool {
    use tonic::Code::*;
    matches!(
        code,
        Cancelled | DeadlineExceeded | Aborted | OutOfRange | Unavailable | DataLoss
    )
}

/// HTTP statuses the OTLP spec retries.
pub fn http_retryable(status: u16) -> bool {
    matches!(status, 429 | 502 | 503 | 504)
}

/// Parses a `Retry-After` header: delay-seconds (an HTTP-date is not
/// honoured; the backoff applies instead).
pub fn retry_after(v: &str) -> Option<Duration> {
    v.trim().parse::<u64>().ok().map(Duration::from_secs)
}

/// An error with its chain of sources, `a: b: c` (hyper's and tonic's
/// own messages alone, such as "client error (Connect)", say little).
pub fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut next = e.source();
    while let Some(s) = next {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        next = s.source();
    }
    out
}

/// A failure to connect, as an attempt outcome: retried, except a
/// certificate the client refuses (retrying cannot change it).
pub fn connect_failure(reason: String) -> Attempt {
    if reason.contains("invalid peer certificate") {
        Attempt::Fail { reason }
    } else {
        Attempt::Retry {
            after: None,
            reason,
        }
    }
}

/// Backoff settings.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Policy {
    /// The first backoff's ceiling.
    pub initial: Duration,
    /// The largest backoff ceiling.
    pub max: Duration,
    /// How long a request may keep being retried before it is failed.
    pub give_up_after: Duration,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            initial: Duration::from_millis(100),
            max: Duration::from_secs(5),
            give_up_after: Duration::from_secs(300),
        }
    }
}

impl Policy {
    /// The ceiling of the `n`-th retry's backoff (0-based): initial x 2^n,
    /// at most `max`.
    pub fn ceiling(&self, n: u32) -> Duration {
        let factor = 1u32.checked_shl(n.min(30)).unwrap_or(u32::MAX);
        self.initial.saturating_mul(factor).min(self.max)
    }

    /// The delay before the `n`-th retry: the server's, if it asked for
    /// one, else full jitter (uniform in 0..ceiling) from `unit` in [0, 1).
    pub fn delay(&self, n: u32, asked: Option<Duration>, unit: f64) -> Duration {
        match asked {
            Some(d) => d,
            None if (0.0..1.0).contains(&unit) => self.ceiling(n).mul_f64(unit),
            None => Duration::ZERO,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_its_ceiling_with_full_jitter() {
        let p = Policy::default();
        assert_eq!(p.ceiling(0), Duration::from_millis(100));
        assert_eq!(p.ceiling(3), Duration::from_millis(800));
        assert_eq!(p.ceiling(40), Duration::from_secs(5));
        assert_eq!(p.delay(2, None, 0.5), Duration::from_millis(200));
        assert_eq!(p.delay(2, None, 0.0), Duration::ZERO);
        let asked = Some(Duration::from_secs(7));
        assert_eq!(p.delay(0, asked, 0.9), Duration::from_secs(7));
    }

    #[test]
    fn a_refused_certificate_is_permanent_and_errors_keep_their_sources() {
        let e = std::io::Error::other(std::io::Error::other(
            "invalid peer certificate: UnknownIssuer",
        ));
        let reason = format!("cannot connect: {}", chain(&e));
        assert!(reason.contains("UnknownIssuer"), "{reason}");
        assert!(matches!(connect_failure(reason), Attempt::Fail { .. }));
        assert!(matches!(
            connect_failure("cannot connect: Connection refused".into()),
            Attempt::Retry { .. }
        ));
    }

    #[test]
    fn only_the_specs_codes_are_retried() {
        assert!(grpc_retryable(tonic::Code::Unavailable));
        assert!(!grpc_retryable(tonic::Code::InvalidArgument));
        assert!(!grpc_retryable(tonic::Code::ResourceExhausted));
        assert!(http_retryable(429) && http_retryable(503));
        assert!(!http_retryable(400) && !http_retryable(500));
        assert_eq!(retry_after(" 3 "), Some(Duration::from_secs(3)));
        assert_eq!(retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), None);
    }
}
