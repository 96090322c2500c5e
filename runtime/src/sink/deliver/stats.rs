//! The exporter's counters, shared between the encoder's thread and the
//! senders: per signal, items generated, sent, rejected (partial success)
//! and failed (with the reason), requests, retries, bytes on the wire,
//! requests in flight, and export latency in log-spaced buckets (for p50
//! and p99). Every item handed to the exporter ends in exactly one of
//! sent, rejected or failed; [`Report::balanced`] checks it.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Mutex;
use std::time::Duration;

use serde::Serialize;

use crate::sink::signal::Signal;

/// Latency buckets: bucket `i` holds latencies below 2^(i/4) µs.
const BUCKETS: usize = 128;

#[derive(Default)]
struct PerSignal {
    generated: AtomicU64,
    sent: AtomicU64,
    rejected: AtomicU64,
    failed: AtomicU64,
    requests: AtomicU64,
    retries: AtomicU64,
    bytes: AtomicU64,
}

/// Live counters.
pub struct Stats {
    signals: [PerSignal; 3],
    in_flight: AtomicU64,
    latency: [AtomicU64; BUCKETS],
    /// Failed items by (signal, reason).
    reasons: Mutex<BTreeMap<(Signal, String), u64>>,
    /// Partial-success messages by signal (the first few).
    messages: Mutex<BTreeMap<Signal, Vec<String>>>,
    /// The fatal answer that ended the run, if one did.
    fatal: Mutex<Option<String>>,
}

impl Default for Stats {
    fn default() -> Self {
        Stats {
            signals: Default::default(),
            in_flight: AtomicU64::new(0),
            latency: std::array::from_fn(|_| AtomicU64::new(0)),
            reasons: Mutex::new(BTreeMap::new()),
            messages: Mutex::new(BTreeMap::new()),
            fatal: Mutex::new(None),
        }
    }
}

fn bucket(d: Duration) -> usize {
    let us = d.as_secs_f64() * 1e6;
    if us < 1.0 {
        return 0;
    }
    ((us.log2() * 4.0).floor() as usize + 1).min(BUCKETS - 1)
}

fn bucket_upper(i: usize) -> Duration {
    Duration::from_secs_f64(2f64.powf(i as f64 / 4.0) / 1e6)
}

impl Stats {
    fn of(&self, s: Signal) -> &PerSignal {
        &self.signals[s.index()]
    }
    /// Items handed to the exporter.
    pub fn generated(&self, s: Signal, items: u64) {
        self.of(s).generated.fetch_add(items, Relaxed);
    }
    /// A request is on its way.
    pub fn started(&self) {
        self.in_flight.fetch_add(1, Relaxed);
    }
    /// One attempt of `bytes` went out.
    pub fn attempt(&self, s: Signal, bytes: usize, retry: bool) {
        let p = self.of(s);
        p.requests.fetch_add(1, Relaxed);
        p.bytes.fetch_add(bytes as u64, Relaxed);
        if retry {
            p.retries.fetch_add(1, Relaxed);
        }
    }
    /// A request ended accepted, after `took` (first attempt to answer).
    pub fn accepted(&self, s: Signal, items: u64, rejected: u64, message: &str, took: Duration) {
        let p = self.of(s);
        let rejected = rejected.min(items);
        p.sent.fetch_add(items - rejected, Relaxed);
        if rejected > 0 {
            p.rejected.fetch_add(rejected, Relaxed);
            if let Ok(mut m) = self.messages.lock() {
                let list = m.entry(s).or_default();
                if list.len() < 5 && !message.is_empty() {
                    list.push(message.to_string());
                }
            }
        }
        self.latency[bucket(took)].fetch_add(1, Relaxed);
        self.in_flight.fetch_sub(1, Relaxed);
    }
    /// A request ended failed.
    pub fn failed(&self, s: Signal, items: u64, reason: &str) {
        self.of(s).failed.fetch_add(items, Relaxed);
        if let Ok(mut r) = self.reasons.lock() {
            *r.entry((s, reason.to_string())).or_default() += items;
        }
    }
    /// A started request ended failed.
    pub fn failed_started(&self, s: Signal, items: u64, reason: &str) {
        self.failed(s, items, reason);
        self.in_flight.fetch_sub(1, Relaxed);
    }

    /// The run ended at once: `reason` (kept once, for the report).
    pub fn fatal(&self, reason: &str) {
        if let Ok(mut f) = self.fatal.lock() {
            f.get_or_insert_with(|| reason.to_string());
        }
    }

    /// A snapshot.
    pub fn report(&self) -> Report {
        let counts: Vec<u64> = self.latency.iter().map(|b| b.load(Relaxed)).collect();
        let total: u64 = counts.iter().sum();
        let quantile = |q: f64| -> Option<f64> {
            if total == 0 {
                return None;
            }
            let rank = (q * total as f64).ceil().max(1.0) as u64;
            let mut seen = 0;
            for (i, c) in counts.iter().enumerate() {
                seen += c;
                if seen >= rank {
                    return Some(bucket_upper(i).as_secs_f64() * 1e3);
                }
            }
            None
        };
        let reasons = self.reasons.lock().map(|r| r.clone()).unwrap_or_default();
        let messages = self.messages.lock().map(|m| m.clone()).unwrap_or_default();
        let signals = Signal::ALL
            .iter()
            .map(|&s| {
                let p = self.of(s);
                SignalReport {
                    signal: s.name(),
                    generated: p.generated.load(Relaxed),
                    sent: p.sent.load(Relaxed),
                    rejected: p.rejected.load(Relaxed),
                    failed: p.failed.load(Relaxed),
                    requests: p.requests.load(Relaxed),
                    retries: p.retries.load(Relaxed),
                    bytes: p.bytes.load(Relaxed),
                    failures: reasons
                        .iter()
                        .filter(|((sig, _), _)| *sig == s)
                        .map(|((_, r), n)| (r.clone(), *n))
                        .collect(),
                    rejections: messages.get(&s).cloned().unwrap_or_default(),
                }
            })
            .collect();
        Report {
            signals,
            in_flight: self.in_flight.load(Relaxed),
            latency_p50_ms: quantile(0.5),
            latency_p99_ms: quantile(0.99),
            fatal: self.fatal.lock().ok().and_then(|f| f.clone()),
        }
    }
}

/// One signal's counts.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct SignalReport {
    /// `traces`, `metrics` or `logs`.
    pub signal: &'static str,
    /// Items handed to the exporter.
    pub generated: u64,
    /// Items the server accepted.
    pub sent: u64,
    /// Items the server rejected through `partial_success`.
    pub rejected: u64,
    /// Items whose request failed (permanently, after retries, or because
    /// the run was stopped before it was delivered).
    pub failed: u64,
    /// Attempts made (retries included).
    pub requests: u64,
    /// Attempts that were retries.
    pub retries: u64,
    /// Bytes of the export requests sent, over all attempts: the body as
    /// posted for OTLP/HTTP (compressed with gzip), the message before
    /// tonic compresses it for OTLP/gRPC.
    pub bytes: u64,
    /// Failed items by reason.
    pub failures: BTreeMap<String, u64>,
    /// The first rejection messages.
    pub rejections: Vec<String>,
}

/// The exporter's counts.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct Report {
    /// Per signal, traces, metrics, logs.
    pub signals: Vec<SignalReport>,
    /// Requests in flight.
    pub in_flight: u64,
    /// Export latency, median, in milliseconds (bucket upper bound).
    pub latency_p50_ms: Option<f64>,
    /// Export latency, 99th percentile, in milliseconds.
    pub latency_p99_ms: Option<f64>,
    /// What ended the run at once (a refused API key), if anything did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fatal: Option<String>,
}

impl Report {
    /// The counts of `s`.
    pub fn signal(&self, s: Signal) -> SignalReport {
        self.signals.get(s.index()).cloned().unwrap_or_default()
    }
    /// Whether every generated item ended sent, rejected or failed.
    pub fn balanced(&self) -> bool {
        self.signals
            .iter()
            .all(|s| s.sent + s.rejected + s.failed == s.generated)
    }
    /// Items not delivered: rejected or failed.
    pub fn lost(&self) -> u64 {
        self.signals.iter().map(|s| s.rejected + s.failed).sum()
    }
    /// Bytes over all signals.
    pub fn bytes(&self) -> u64 {
        self.signals.iter().map(|s| s.bytes).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_item_ends_somewhere_and_latency_quantiles_come_from_buckets() {
        let st = Stats::default();
        st.generated(Signal::Traces, 300);
        for _ in 0..3 {
            st.started();
        }
        st.accepted(Signal::Traces, 100, 0, "", Duration::from_millis(1));
        st.accepted(Signal::Traces, 100, 10, "too old", Duration::from_millis(1));
        st.failed_started(Signal::Traces, 100, "HTTP 400");
        let r = st.report();
        let t = r.signal(Signal::Traces);
        assert_eq!((t.sent, t.rejected, t.failed), (190, 10, 100));
        assert!(r.balanced());
        assert_eq!(r.in_flight, 0);
        assert_eq!(t.failures.get("HTTP 400"), Some(&100));
        assert_eq!(t.rejections, vec!["too old".to_string()]);
        let p50 = r.latency_p50_ms.expect("has latencies");
        assert!((1.0..=1.2).contains(&p50), "{p50}");
    }
}
