//! The request counters, one set per signal and transport, kept in atomics
//! so that both servers count without a lock, and their snapshot.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::report::{HttpErrors, Report, SignalReport, TransportCounts};

/// The three OTLP signals.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Signal {
    Traces,
    Metrics,
    Logs,
}

impl Signal {
    /// The word for the signal's items.
    pub(crate) fn items(self) -> &'static str {
        match self {
            Signal::Traces => "spans",
            Signal::Metrics => "data points",
            Signal::Logs => "log records",
        }
    }
}

/// The two transports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Transport {
    Grpc,
    Http,
}

/// The counters of one signal over one transport.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) requests: AtomicU64,
    pub(crate) items: AtomicU64,
    pub(crate) rejected: AtomicU64,
    pub(crate) bytes: AtomicU64,
    pub(crate) gzip_requests: AtomicU64,
    pub(crate) json_requests: AtomicU64,
    pub(crate) decode_errors: AtomicU64,
    pub(crate) refused_unavailable: AtomicU64,
    pub(crate) refused_throttled: AtomicU64,
}

/// Adds one to a counter.
pub(crate) fn bump(c: &AtomicU64) {
    c.fetch_add(1, Ordering::Relaxed);
}

/// Adds `n` to a counter.
pub(crate) fn add(c: &AtomicU64, n: u64) {
    c.fetch_add(n, Ordering::Relaxed);
}

impl Counters {
    fn snapshot(&self) -> TransportCounts {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        TransportCounts {
            requests: get(&self.requests),
            items: get(&self.items),
            rejected: get(&self.rejected),
            bytes: get(&self.bytes),
            gzip_requests: get(&self.gzip_requests),
            json_requests: get(&self.json_requests),
            decode_errors: get(&self.decode_errors),
            refused_unavailable: get(&self.refused_unavailable),
            refused_throttled: get(&self.refused_throttled),
        }
    }
}

/// All counters of a receiver.
#[derive(Debug, Default)]
pub(crate) struct Stats {
    cells: [Counters; 6],
    pub(crate) not_found: AtomicU64,
    pub(crate) method_not_allowed: AtomicU64,
    pub(crate) unsupported_media_type: AtomicU64,
    pub(crate) payload_too_large: AtomicU64,
}

impl Stats {
    pub(crate) fn cell(&self, signal: Signal, transport: Transport) -> &Counters {
        let s = match signal {
            Signal::Traces => 0,
            Signal::Metrics => 1,
            Signal::Logs => 2,
        };
        let t = match transport {
            Transport::Grpc => 0,
            Transport::Http => 1,
        };
        &self.cells[s * 2 + t]
    }

    /// The counters as a report with no validation results yet.
    pub(crate) fn snapshot(&self) -> Report {
        let signal = |s| SignalReport {
            grpc: self.cell(s, Transport::Grpc).snapshot(),
            http: self.cell(s, Transport::Http).snapshot(),
        };
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        Report {
            traces: signal(Signal::Traces),
            metrics: signal(Signal::Metrics),
            logs: signal(Signal::Logs),
            http_errors: HttpErrors {
                not_found: get(&self.not_found),
                method_not_allowed: get(&self.method_not_allowed),
                unsupported_media_type: get(&self.unsupported_media_type),
                payload_too_large: get(&self.payload_too_large),
            },
            ..Report::default()
        }
    }
}
