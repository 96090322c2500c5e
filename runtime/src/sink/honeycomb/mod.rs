//! The Honeycomb Events API sink (`--to honeycomb:DATASET`): every span,
//! log record and metric point becomes an event ([`events`] names the
//! fields as Honeycomb's own OTLP ingest does) with its own `time` (RFC
//! 3339, nanoseconds, UTC), so backfilled data lands in the past, and a
//! `samplerate`. Events are written straight into one buffer per signal
//! ([`batch`]), split under the API's limits, and each batch is handed to a
//! [`Requests`] as one `POST /1/batch/{dataset}` body: the shared exporter
//! with the Events API [`client`], or a test's collector. An event over a
//! per-event limit is refused, counted failed with the reason.
//!
//! Timeline events (deployments, incidents) are not sent: Honeycomb shows
//! them as markers, which its Markers API creates with a configuration
//! key (not the ingest key events take), and as events in a traces
//! dataset they would count as spans in every query.

mod batch;
pub mod client;
mod events;
mod fields;
pub mod key;

use std::io;

pub use batch::{MAX_BATCH_BYTES, MAX_EVENT_BYTES};
pub use fields::{MAX_FIELDS, MAX_STRING};

use super::deliver::Requests;
use super::otlp::BatchSizes;
use super::{EventRecord, LogRecord, MetricRecord, Signal, Sink, SpanRecord};
use batch::{Added, Batch};
use fields::Fields;

/// Encodes records as Events API batches for `R`.
pub struct HoneycombSink<R: Requests> {
    out: R,
    /// Per signal, in [`Signal::ALL`] order.
    batches: [Batch; 3],
    samplerate: u32,
    buf: String,
}

impl<R: Requests> HoneycombSink<R> {
    /// A sink handing batches of up to `sizes` events (traces: spans and
    /// their span events and links) and [`MAX_BATCH_BYTES`] to `out`, each
    /// event with `samplerate` (1: not sampled).
    pub fn new(out: R, sizes: BatchSizes, samplerate: u32) -> HoneycombSink<R> {
        HoneycombSink::with_limit(out, sizes, samplerate, MAX_BATCH_BYTES)
    }

    /// [`HoneycombSink::new`] with batches of at most `max_bytes` (tests).
    pub fn with_limit(
        out: R,
        sizes: BatchSizes,
        samplerate: u32,
        max_bytes: usize,
    ) -> HoneycombSink<R> {
        let batch = |n| Batch::new(n, max_bytes.min(MAX_BATCH_BYTES));
        HoneycombSink {
            out,
            batches: [batch(sizes.spans), batch(sizes.points), batch(sizes.logs)],
            samplerate,
            buf: String::with_capacity(256),
        }
    }

    /// Where the batches went.
    pub fn requests(&self) -> &R {
        &self.out
    }

    /// The batches' destination, taken back.
    pub fn into_requests(self) -> R {
        self.out
    }

    /// Adds one event to `signal`'s batch, sending what is done.
    fn add(
        &mut self,
        signal: Signal,
        time_ns: i64,
        write: impl FnOnce(&mut Fields<'_>, &mut String),
    ) -> io::Result<()> {
        let buf = &mut self.buf;
        let added = self.batches[signal.index()].add(time_ns, self.samplerate, |f| write(f, buf));
        match added {
            Added::Kept => Ok(()),
            Added::Full => self.flush(signal),
            Added::Split(body, n) => self.out.request(signal, body, n),
            Added::Refused(reason) => self.out.refuse(signal, 1, &format!("refused: {reason}")),
        }
    }

    fn flush(&mut self, signal: Signal) -> io::Result<()> {
        let (body, n) = self.batches[signal.index()].take();
        if n == 0 {
            return Ok(());
        }
        self.out.request(signal, body, n)
    }
}

impl<R: Requests> Sink for HoneycombSink<R> {
    fn span(&mut self, s: &SpanRecord<'_>) -> io::Result<()> {
        if let Some(e) = s.exception {
            self.add(Signal::Traces, e.time_ns, |f, buf| {
                events::exception(f, s, buf)
            })?;
        }
        for e in s.events.iter() {
            self.add(Signal::Traces, e.time_ns, |f, _| {
                events::user_event(f, s, &e)
            })?;
        }
        if s.link.is_some() {
            self.add(Signal::Traces, s.start_ns, |f, _| events::link(f, s))?;
        }
        for l in s.links.iter() {
            self.add(Signal::Traces, s.start_ns, |f, _| {
                events::user_link(f, s, &l)
            })?;
        }
        self.add(Signal::Traces, s.start_ns, |f, buf| events::span(f, s, buf))
    }

    fn log(&mut self, r: &LogRecord<'_>) -> io::Result<()> {
        self.add(Signal::Logs, r.time_ns, |f, buf| events::log(f, r, buf))
    }

    fn metric(&mut self, m: &MetricRecord<'_>) -> io::Result<()> {
        self.add(Signal::Metrics, m.time_ns, |f, buf| {
            events::metric(f, m, buf)
        })
    }

    fn event(&mut self, _: &EventRecord<'_>) -> io::Result<()> {
        // Not sent: see the module documentation.
        Ok(())
    }

    fn finish(&mut self) -> io::Result<()> {
        for signal in Signal::ALL {
            self.flush(signal)?;
        }
        self.out.finish()
    }
}
