//! The report: counts per signal and transport, violations by kind with
//! samples, the tracking flags, totals, and the human summary.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

/// The counts of one signal over one transport.
///
/// `requests` counts every request to the signal's endpoint, refused and
/// undecodable ones included; `items` the accepted items (spans, log records,
/// metric data points: a histogram point is one) and `rejected` the items
/// reported rejected through `partial_success`; `bytes` the request bodies as
/// received (compressed when gzip) of the requests that were not refused.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct TransportCounts {
    pub requests: u64,
    pub items: u64,
    pub rejected: u64,
    pub bytes: u64,
    pub gzip_requests: u64,
    /// OTLP/JSON requests (HTTP only).
    pub json_requests: u64,
    /// Bodies that did not decode (HTTP 400, or a gRPC decoding error).
    pub decode_errors: u64,
    /// Answered UNAVAILABLE / 503 (the unavailable window or `fail_rate`).
    pub refused_unavailable: u64,
    /// Answered RESOURCE_EXHAUSTED / 429 (the throttle window).
    pub refused_throttled: u64,
}

impl TransportCounts {
    /// Refused requests of every reason.
    pub fn refused(&self) -> u64 {
        self.refused_unavailable + self.refused_throttled
    }

    fn add(&mut self, o: &TransportCounts) {
        self.requests += o.requests;
        self.items += o.items;
        self.rejected += o.rejected;
        self.bytes += o.bytes;
        self.gzip_requests += o.gzip_requests;
        self.json_requests += o.json_requests;
        self.decode_errors += o.decode_errors;
        self.refused_unavailable += o.refused_unavailable;
        self.refused_throttled += o.refused_throttled;
    }
}

/// The counts of one signal, per transport.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SignalReport {
    pub grpc: TransportCounts,
    pub http: TransportCounts,
}

impl SignalReport {
    /// Both transports added up.
    pub fn total(&self) -> TransportCounts {
        let mut t = self.grpc.clone();
        t.add(&self.http);
        t
    }
}

/// HTTP requests answered with an error before reaching a signal's decoder.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct HttpErrors {
    /// 404: an unknown path.
    pub not_found: u64,
    /// 405: not a POST.
    pub method_not_allowed: u64,
    /// 415: a content type or encoding other than protobuf/JSON, gzip/identity.
    pub unsupported_media_type: u64,
    /// 413: a body over 64 MiB (compressed or not).
    pub payload_too_large: u64,
}

/// The violations of one kind: how many, and up to 20 sample messages.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct KindReport {
    pub count: u64,
    pub samples: Vec<String>,
}

/// What a receiver saw: a snapshot from [`crate::Receiver::report`] or the
/// final report from [`crate::Receiver::stop`].
#[derive(Clone, Debug, Default, Serialize)]
pub struct Report {
    /// True for the final report, where parents were resolved.
    pub complete: bool,
    /// Seconds since the receiver started.
    pub elapsed_secs: f64,
    pub traces: SignalReport,
    pub metrics: SignalReport,
    pub logs: SignalReport,
    pub http_errors: HttpErrors,
    /// All violations, of every kind.
    pub violations: u64,
    /// Violations by kind (see [`crate::kinds`]).
    pub violation_kinds: BTreeMap<String, KindReport>,
    /// Parent references not resolved yet (snapshots only; in the final
    /// report they are `span.parent_missing` violations).
    pub pending_parents: u64,
    /// Spans whose ids are tracked for duplicate and parent checks.
    pub tracked_spans: u64,
    /// Set when `max_tracked_spans` was reached: spans of traces first seen
    /// after that were not checked for duplicates or parents.
    pub tracking_stopped: bool,
    /// Metric series tracked for the cumulative checks.
    pub tracked_series: u64,
    /// Set when the series limit was reached: later new series were not checked.
    pub series_tracking_stopped: bool,
}

impl Report {
    /// Accepted spans over both transports.
    pub fn spans(&self) -> u64 {
        self.traces.total().items
    }

    /// Accepted log records over both transports.
    pub fn logs(&self) -> u64 {
        self.logs.total().items
    }

    /// Accepted metric data points over both transports.
    pub fn points(&self) -> u64 {
        self.metrics.total().items
    }

    /// Items of every signal reported rejected through `partial_success`.
    pub fn rejected(&self) -> u64 {
        self.signals().iter().map(|s| s.total().rejected).sum()
    }

    /// Requests refused by failure injection, of every signal and reason.
    pub fn refused_requests(&self) -> u64 {
        self.signals().iter().map(|s| s.total().refused()).sum()
    }

    /// Requests of every signal and transport.
    pub fn requests(&self) -> u64 {
        self.signals().iter().map(|s| s.total().requests).sum()
    }

    /// Request bytes of every signal and transport.
    pub fn bytes(&self) -> u64 {
        self.signals().iter().map(|s| s.total().bytes).sum()
    }

    /// Undecodable requests of every signal and transport.
    pub fn decode_errors(&self) -> u64 {
        self.signals().iter().map(|s| s.total().decode_errors).sum()
    }

    fn signals(&self) -> [&SignalReport; 3] {
        [&self.traces, &self.metrics, &self.logs]
    }

    /// A human summary, a few lines (no trailing newline).
    pub fn render(&self) -> String {
        let mut out = String::new();
        let all = {
            let mut t = TransportCounts::default();
            for s in self.signals() {
                t.add(&s.total());
            }
            t
        };
        let _ = write!(
            out,
            "tsim receive: {} spans, {} log records, {} metric points in {} requests ({}, {} gzip) over {:.1}s",
            self.spans(),
            self.logs(),
            self.points(),
            all.requests,
            human_bytes(all.bytes),
            all.gzip_requests,
            self.elapsed_secs
        );
        for (name, grpc) in [("grpc", true), ("http", false)] {
            let pick = |s: &SignalReport| if grpc { s.grpc.clone() } else { s.http.clone() };
            let (t, m, l) = (pick(&self.traces), pick(&self.metrics), pick(&self.logs));
            let requests = t.requests + m.requests + l.requests;
            if requests == 0 {
                continue;
            }
            let _ = write!(
                out,
                "\n  {name}: {requests} requests, {} spans, {} log records, {} points, {}",
                t.items,
                l.items,
                m.items,
                human_bytes(t.bytes + m.bytes + l.bytes)
            );
        }
        let e = &self.http_errors;
        let http_errors =
            e.not_found + e.method_not_allowed + e.unsupported_media_type + e.payload_too_large;
        if all.rejected + all.refused() + all.decode_errors + http_errors > 0 {
            let _ = write!(
                out,
                "\n  rejected {} items; refused {} requests ({} unavailable, {} throttled); {} undecodable; {} other http errors",
                all.rejected,
                all.refused(),
                all.refused_unavailable,
                all.refused_throttled,
                all.decode_errors,
                http_errors
            );
        }
        let _ = write!(out, "\n  violations: {}", self.violations);
        if !self.complete && self.pending_parents > 0 {
            let _ = write!(out, " ({} parent references pending)", self.pending_parents);
        }
        for (kind, k) in &self.violation_kinds {
            let _ = write!(out, "\n    {kind}: {}", k.count);
            if let Some(s) = k.samples.first() {
                let _ = write!(out, " (e.g. {s})");
            }
        }
        if self.tracking_stopped {
            let _ = write!(
                out,
                "\n  span id tracking stopped at {} spans: later traces were not checked for duplicates or parents",
                self.tracked_spans
            );
        }
        if self.series_tracking_stopped {
            let _ = write!(
                out,
                "\n  series tracking stopped at {} series: later series were not checked for decreasing values",
                self.tracked_series
            );
        }
        out
    }
}

fn human_bytes(bytes: u64) -> String {
    match bytes {
        0..1_000 => format!("{bytes} B"),
        1_000..1_000_000 => format!("{:.1} kB", bytes as f64 / 1e3),
        _ => format!("{:.2} MB", bytes as f64 / 1e6),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn totals_and_render() {
        let mut r = Report::default();
        r.traces.grpc.items = 3;
        r.traces.http.items = 4;
        r.traces.grpc.requests = 2;
        r.logs.http.items = 5;
        r.logs.http.requests = 1;
        r.metrics.http.rejected = 2;
        r.metrics.grpc.refused_throttled = 1;
        r.violations = 1;
        r.violation_kinds.insert(
            "span.name_empty".into(),
            KindReport {
                count: 1,
                samples: vec!["a span".into()],
            },
        );
        assert_eq!(r.spans(), 7);
        assert_eq!(r.logs(), 5);
        assert_eq!(r.points(), 0);
        assert_eq!(r.rejected(), 2);
        assert_eq!(r.refused_requests(), 1);
        let text = r.render();
        assert!(
            text.starts_with("tsim receive: 7 spans, 5 log records"),
            "{text}"
        );
        assert!(text.contains("span.name_empty: 1 (e.g. a span)"), "{text}");
        assert!(text.contains("grpc: 2 requests"), "{text}");
    }
}
