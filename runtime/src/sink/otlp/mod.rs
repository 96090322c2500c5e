//! OTLP protobuf: the encoder every OTLP transport shares. Records are
//! encoded straight into reused buffers (copy and patch: the constant part
//! of every span site is encoded once at link time, see [`traces`]), batched
//! per signal ([`BatchSizes`], REFERENCE's defaults) and grouped by resource
//! as the OTLP/JSON sink groups them, and every full batch is handed on as
//! one complete `Export*ServiceRequest` to a [`Requests`]: a network
//! exporter ([`export`]), a benchmark's counter, a test's collector.
//!
//! Resources, the scope and the attribute layout are the OTLP/JSON sink's,
//! so the two decode to the same messages (a test holds them to that).
//! Events are not sent (OTLP has no signal for them).

mod batch;
mod common;
pub mod export;
mod logs;
mod metrics;
mod traces;
mod wire;

use std::io;

use batch::{push_record, Batch};

pub use super::deliver::Requests;
pub use super::signal::Signal;
use super::{EventRecord, LogRecord, MetricRecord, Sink, SpanRecord};
use crate::plan::Plan;

/// Records per export request, per signal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BatchSizes {
    /// Spans per request (default 100).
    pub spans: usize,
    /// Metric data points per request (default 1000).
    pub points: usize,
    /// Log records per request (default 1000).
    pub logs: usize,
}

impl Default for BatchSizes {
    fn default() -> Self {
        BatchSizes {
            spans: 100,
            points: 1000,
            logs: 1000,
        }
    }
}

/// Encodes records as OTLP protobuf export requests for `R`.
pub struct OtlpSink<R: Requests> {
    out: R,
    spans: Batch<Vec<u8>>,
    logs: Batch<Vec<u8>>,
    points: Batch<metrics::Metrics>,
    encoder: traces::Spans,
    buf: String,
    /// The size of the last request of each signal (the next one's
    /// capacity).
    last: [usize; 3],
}

impl<R: Requests> OtlpSink<R> {
    /// A sink handing requests of up to `sizes` records to `out`.
    pub fn new(out: R, sizes: BatchSizes) -> OtlpSink<R> {
        OtlpSink {
            out,
            spans: Batch::new(sizes.spans),
            logs: Batch::new(sizes.logs),
            points: Batch::new(sizes.points),
            encoder: traces::Spans::default(),
            buf: String::with_capacity(256),
            last: [1 << 12; 3],
        }
    }

    /// Where the requests went.
    pub fn requests(&self) -> &R {
        &self.out
    }

    /// The requests' destination, taken back.
    pub fn into_requests(self) -> R {
        self.out
    }

    fn flush(&mut self, signal: Signal) -> io::Result<()> {
        let cap = self.last[signal.index()] + self.last[signal.index()] / 8;
        let mut body = Vec::with_capacity(cap);
        let items = match signal {
            Signal::Traces => take(&mut self.spans, &mut body),
            Signal::Metrics => take(&mut self.points, &mut body),
            Signal::Logs => take(&mut self.logs, &mut body),
        };
        if items == 0 {
            return Ok(());
        }
        self.last[signal.index()] = body.len();
        self.out.request(signal, body, items)
    }
}

fn take<T: batch::Body>(b: &mut Batch<T>, body: &mut Vec<u8>) -> u64 {
    let n = b.len() as u64;
    if n > 0 {
        b.render(body);
    }
    n
}

impl<R: Requests> Sink for OtlpSink<R> {
    fn link(&mut self, plan: &Plan<'_>) -> io::Result<()> {
        self.encoder = traces::Spans::link(plan);
        Ok(())
    }

    fn span(&mut self, s: &SpanRecord<'_>) -> io::Result<()> {
        let items = self.spans.instance(&s.resource);
        let encoder = &mut self.encoder;
        // `spans` is field 2 of `ScopeSpans`.
        push_record(items, 2, |out| encoder.span(out, s));
        if self.spans.added(1) {
            self.flush(Signal::Traces)?;
        }
        Ok(())
    }

    fn log(&mut self, r: &LogRecord<'_>) -> io::Result<()> {
        let items = match &r.resource {
            Some(res) => self.logs.instance(res),
            None => self.logs.service(r.service, false),
        };
        let buf = &mut self.buf;
        // `log_records` is field 2 of `ScopeLogs`.
        push_record(items, 2, |out| logs::record(out, r, buf));
        if self.logs.added(1) {
            self.flush(Signal::Logs)?;
        }
        Ok(())
    }

    fn metric(&mut self, m: &MetricRecord<'_>) -> io::Result<()> {
        match &m.resource {
            Some(r) => self.points.instance(r),
            None => self.points.service(m.service, true),
        }
        .add(m);
        if self.points.added(1) {
            self.flush(Signal::Metrics)?;
        }
        Ok(())
    }

    fn event(&mut self, _: &EventRecord<'_>) -> io::Result<()> {
        Ok(())
    }

    fn finish(&mut self) -> io::Result<()> {
        for signal in Signal::ALL {
            self.flush(signal)?;
        }
        self.out.finish()
    }
}

/// Keeps every request in memory (tests, benchmarks of the encoder).
#[derive(Default, Debug)]
pub struct Collected {
    /// (signal, encoded request, items), in order.
    pub requests: Vec<(Signal, Vec<u8>, u64)>,
}

impl Requests for Collected {
    fn request(&mut self, signal: Signal, body: Vec<u8>, items: u64) -> io::Result<()> {
        self.requests.push((signal, body, items));
        Ok(())
    }
}

/// Counts requests, items and bytes and drops the bytes (the encode-only
/// benchmark).
#[derive(Default, Debug, Clone, Copy)]
pub struct Counted {
    /// Requests per signal, in [`Signal::ALL`] order.
    pub requests: [u64; 3],
    /// Items per signal.
    pub items: [u64; 3],
    /// Bytes per signal.
    pub bytes: [u64; 3],
}

impl Requests for Counted {
    fn request(&mut self, signal: Signal, body: Vec<u8>, items: u64) -> io::Result<()> {
        let i = signal.index();
        self.requests[i] += 1;
        self.items[i] += items;
        self.bytes[i] += body.len() as u64;
        Ok(())
    }
}
