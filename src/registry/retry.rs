// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! When to retry a registry request and how long to wait: exponential backoff with jitter on connection
//! errors, 5xx and 429 (honouring `Retry-After`), never on other 4xx.
//!
//! `--push-retry` and `--image-download-retry` count retries as kaniko's do (0: none). kaniko defaults
//! them to 0, which leaves a build at the mercy of one dropped connection; ours default to
//! [`DEFAULT_RETRIES`], and `--help` says so.

use std::time::{Duration, SystemTime};

/// Retries of a transient failure when no retry flag says otherwise (the flags' default).
pub const DEFAULT_RETRIES: u32 = 3;

/// Backoff timing. The defaults suit real registries; tests shrink them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryTiming {
    /// Wait before the first retry; doubled for each further retry.
    pub base_delay: Duration,
    /// Upper bound of the exponential backoff.
    pub max_delay: Duration,
    /// Upper bound of a wait a registry asks for with `Retry-After`.
    pub max_retry_after: Duration,
}

impl Default for RetryTiming {
    fn default() -> Self {
        Self {
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
            max_retry_after: Duration::from_secs(60),
        }
    }
}

/// How many times, and how patiently, one operation is retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    pub max_retries: u32,
    pub timing: RetryTiming,
}

/// What failed in one attempt, as far as the retry decision cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// No HTTP response: connection refused/reset, timeout, TLS handshake, broken body stream.
    Transport,
    /// The registry answered with this status, and maybe a `Retry-After` wait.
    Status {
        status: u16,
        retry_after: Option<Duration>,
    },
    /// Anything that another attempt cannot fix (bad input, digest mismatch, local I/O).
    Permanent,
}

impl FailureKind {
    /// The reason a metric counts a retry under: `transport`, the status code, or `permanent`.
    pub fn reason(&self) -> String {
        match self {
            FailureKind::Transport => "transport".into(),
            FailureKind::Status { status, .. } => status.to_string(),
            FailureKind::Permanent => "permanent".into(),
        }
    }
}

/// The outcome of [`RetryPolicy::decide`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    RetryAfter(Duration),
    GiveUp,
}

impl RetryPolicy {
    /// The policy for a kaniko retry flag (`--push-retry`, `--image-download-retry`): that many
    /// retries after the first attempt, none for 0.
    pub fn from_flag(retries: u32, timing: RetryTiming) -> Self {
        Self {
            max_retries: retries,
            timing,
        }
    }

    /// No retries at all (for callers that retry at a higher level).
    pub fn none() -> Self {
        Self {
            max_retries: 0,
            timing: RetryTiming::default(),
        }
    }

    /// Whether to retry after `retries_done` retries have already failed, and how long to wait.
    pub fn decide(&self, failure: FailureKind, retries_done: u32) -> Decision {
        if retries_done >= self.max_retries {
            return Decision::GiveUp;
        }
        match failure {
            FailureKind::Transport => Decision::RetryAfter(self.backoff(retries_done)),
            FailureKind::Status { status, retry_after } if is_retryable_status(status) => {
                Decision::RetryAfter(match retry_after {
                    Some(wait) => wait.min(self.timing.max_retry_after),
                    None => self.backoff(retries_done),
                })
            }
            FailureKind::Status { .. } | FailureKind::Permanent => Decision::GiveUp,
        }
    }

    /// Exponential backoff with "equal jitter": half the nominal delay fixed, half random, so concurrent
    /// clients spread out but never retry immediately.
    pub fn backoff(&self, retries_done: u32) -> Duration {
        let factor = 1u32.checked_shl(retries_done.min(16)).unwrap_or(u32::MAX);
        let nominal = self
            .timing
            .base_delay
            .saturating_mul(factor)
            .min(self.timing.max_delay);
        let half = nominal / 2;
        let jitter_ms = u64::try_from(half.as_millis()).unwrap_or(u64::MAX);
        half + Duration::from_millis(fastrand::u64(0..=jitter_ms))
    }
}

/// 429 and 5xx are transient, except 501 Not Implemented and 505 HTTP Version Not Supported, which will
/// not change on a second try.
pub fn is_retryable_status(status: u16) -> bool {
    status == 429 || ((500..=599).contains(&status) && status != 501 && status != 505)
}

/// Parses `Retry-After`: delay-seconds or an HTTP-date (relative to `now`). Dates in the past mean 0.
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let date = httpdate::parse_http_date(value).ok()?;
    Some(date.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(n: u32) -> RetryPolicy {
        RetryPolicy {
            max_retries: n,
            timing: RetryTiming {
                base_delay: Duration::from_millis(100),
                max_delay: Duration::from_secs(1),
                max_retry_after: Duration::from_secs(5),
            },
        }
    }

    #[test]
    fn final_statuses_are_never_retried() {
        for status in [400, 401, 403, 404, 405, 409, 416, 501, 505] {
            let d = policy(5).decide(
                FailureKind::Status {
                    status,
                    retry_after: None,
                },
                0,
            );
            assert_eq!(d, Decision::GiveUp, "{status}");
        }
        assert_eq!(policy(5).decide(FailureKind::Permanent, 0), Decision::GiveUp);
    }

    #[test]
    fn transient_failures_are_retried_until_the_budget_is_spent() {
        let p = policy(2);
        for kind in [
            FailureKind::Transport,
            FailureKind::Status {
                status: 500,
                retry_after: None,
            },
            FailureKind::Status {
                status: 502,
                retry_after: None,
            },
            FailureKind::Status {
                status: 503,
                retry_after: None,
            },
            FailureKind::Status {
                status: 429,
                retry_after: None,
            },
        ] {
            assert!(matches!(p.decide(kind, 0), Decision::RetryAfter(_)), "{kind:?}");
            assert!(matches!(p.decide(kind, 1), Decision::RetryAfter(_)), "{kind:?}");
            assert_eq!(p.decide(kind, 2), Decision::GiveUp, "{kind:?}");
        }
    }

    #[test]
    fn retry_after_is_honoured_and_capped() {
        let p = policy(3);
        let d = p.decide(
            FailureKind::Status {
                status: 429,
                retry_after: Some(Duration::from_secs(2)),
            },
            0,
        );
        assert_eq!(d, Decision::RetryAfter(Duration::from_secs(2)));
        let d = p.decide(
            FailureKind::Status {
                status: 503,
                retry_after: Some(Duration::from_secs(3600)),
            },
            0,
        );
        assert_eq!(d, Decision::RetryAfter(Duration::from_secs(5)));
    }

    #[test]
    fn backoff_grows_with_jitter_within_bounds() {
        let p = policy(10);
        for n in 0..10 {
            let nominal = Duration::from_millis(100 * (1 << n)).min(Duration::from_secs(1));
            for _ in 0..20 {
                let b = p.backoff(n);
                assert!(
                    b >= nominal / 2 && b <= nominal,
                    "retry {n}: {b:?} vs {nominal:?}"
                );
            }
        }
        // Huge retry counts neither overflow nor exceed the cap.
        assert!(p.backoff(1000) <= Duration::from_secs(1));
    }

    #[test]
    fn flag_is_the_number_of_retries_and_zero_means_none() {
        let zero = RetryPolicy::from_flag(0, RetryTiming::default());
        assert_eq!(zero.decide(FailureKind::Transport, 0), Decision::GiveUp);
        let two = RetryPolicy::from_flag(2, RetryTiming::default());
        assert!(matches!(
            two.decide(FailureKind::Transport, 1),
            Decision::RetryAfter(_)
        ));
        assert_eq!(two.decide(FailureKind::Transport, 2), Decision::GiveUp);
    }

    #[test]
    fn parses_retry_after_forms() {
        let now = httpdate::parse_http_date("Wed, 21 Oct 2015 07:28:00 GMT").unwrap();
        assert_eq!(parse_retry_after("120", now), Some(Duration::from_secs(120)));
        assert_eq!(parse_retry_after(" 0 ", now), Some(Duration::ZERO));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:30 GMT", now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-5", now), None);
    }
}
