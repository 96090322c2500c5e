//! Where telemetry goes: the [`Sink`] trait every output implements, and
//! the records the simulator hands it. Records borrow from the pack; a sink
//! encodes them in its wire form. NDJSON fixtures are the first sink; OTLP,
//! Honeycomb and Prometheus sinks slot in beside it.

pub mod fmt;
pub mod memory;
pub mod ndjson;

use std::io;

/// A span as emitted.
#[derive(Clone, Debug)]
pub struct SpanRecord<'a> {
    /// 16-byte trace id.
    pub trace_id: [u8; 16],
    /// 8-byte span id.
    pub span_id: [u8; 8],
    /// Parent span id, `None` for the root.
    pub parent: Option<[u8; 8]>,
    /// Start, Unix nanoseconds.
    pub start_ns: i64,
    /// Duration.
    pub duration_ns: u64,
    /// Emitting service.
    pub service: &'a str,
    /// Span name.
    pub operation: &'a str,
    /// True when the span failed.
    pub error: bool,
}

/// A log record as emitted.
#[derive(Clone, Debug)]
pub struct LogRecord<'a> {
    /// Unix nanoseconds.
    pub time_ns: i64,
    /// Emitting service (or the scenario name).
    pub service: &'a str,
    /// Severity text.
    pub level: &'a str,
    /// The message.
    pub message: &'a str,
    /// The trace it belongs to, if any.
    pub trace_id: Option<[u8; 16]>,
    /// The span it belongs to, if any.
    pub span_id: Option<[u8; 8]>,
}

/// A metric data point as emitted.
#[derive(Clone, Debug)]
pub struct MetricPoint<'a> {
    /// Unix nanoseconds.
    pub time_ns: i64,
    /// Service the series belongs to (or the scenario name).
    pub service: &'a str,
    /// Metric name, with its other labels as `name{k="v"}`.
    pub metric: &'a str,
    /// Value.
    pub value: f64,
    /// Unit.
    pub unit: &'a str,
}

/// An event as emitted.
#[derive(Clone, Debug)]
pub struct EventRecord<'a> {
    /// Unix nanoseconds.
    pub time_ns: i64,
    /// `deployment`, `config_change`, `scaling`, `incident_start`, `incident_end`.
    pub kind: &'a str,
    /// Service concerned, if any.
    pub service: Option<&'a str>,
    /// Details.
    pub details: &'a str,
    /// Severity.
    pub severity: &'a str,
    /// Version, if any.
    pub version: Option<&'a str>,
}

/// An output for simulated telemetry.
pub trait Sink {
    /// One span.
    fn span(&mut self, s: &SpanRecord<'_>) -> io::Result<()>;
    /// One log record.
    fn log(&mut self, l: &LogRecord<'_>) -> io::Result<()>;
    /// One metric point.
    fn metric(&mut self, m: &MetricPoint<'_>) -> io::Result<()>;
    /// One event.
    fn event(&mut self, e: &EventRecord<'_>) -> io::Result<()>;
    /// Flushes everything; called once at the end.
    fn finish(&mut self) -> io::Result<()>;
}

/// Discards everything (for benchmarks).
#[derive(Default)]
pub struct NullSink;

impl Sink for NullSink {
    fn span(&mut self, _: &SpanRecord<'_>) -> io::Result<()> {
        Ok(())
    }
    fn log(&mut self, _: &LogRecord<'_>) -> io::Result<()> {
        Ok(())
    }
    fn metric(&mut self, _: &MetricPoint<'_>) -> io::Result<()> {
        Ok(())
    }
    fn event(&mut self, _: &EventRecord<'_>) -> io::Result<()> {
        Ok(())
    }
    fn finish(&mut self) -> io::Result<()> {
        Ok(())
    }
}
