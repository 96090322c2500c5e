//! Keeps everything in memory, owned: for tests and for tools that analyse
//! a run (the statistical tests use it).

use std::io;

use super::{EventRecord, LogRecord, MetricPoint, Sink, SpanRecord};

/// An owned span.
#[derive(Clone, Debug, PartialEq)]
pub struct Span {
    /// Trace id.
    pub trace_id: [u8; 16],
    /// Span id.
    pub span_id: [u8; 8],
    /// Parent id.
    pub parent: Option<[u8; 8]>,
    /// Unix ns.
    pub start_ns: i64,
    /// Duration ns.
    pub duration_ns: u64,
    /// Service.
    pub service: String,
    /// Operation.
    pub operation: String,
    /// Failed.
    pub error: bool,
}

/// An owned log record.
#[derive(Clone, Debug, PartialEq)]
pub struct Log {
    /// Unix ns.
    pub time_ns: i64,
    /// Service.
    pub service: String,
    /// Level.
    pub level: String,
    /// Message.
    pub message: String,
    /// Trace id.
    pub trace_id: Option<[u8; 16]>,
}

/// An owned metric point.
#[derive(Clone, Debug, PartialEq)]
pub struct Point {
    /// Unix ns.
    pub time_ns: i64,
    /// Service.
    pub service: String,
    /// Metric with labels.
    pub metric: String,
    /// Value.
    pub value: f64,
}

/// An owned event.
#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    /// Unix ns.
    pub time_ns: i64,
    /// Type.
    pub kind: String,
    /// Service.
    pub service: Option<String>,
}

/// Collects a run.
#[derive(Default, Debug)]
pub struct MemorySink {
    /// Spans in emission order.
    pub spans: Vec<Span>,
    /// Logs in emission order.
    pub logs: Vec<Log>,
    /// Metric points in emission order.
    pub metrics: Vec<Point>,
    /// Events in emission order.
    pub events: Vec<Event>,
}

impl Sink for MemorySink {
    fn span(&mut self, s: &SpanRecord<'_>) -> io::Result<()> {
        self.spans.push(Span {
            trace_id: s.trace_id,
            span_id: s.span_id,
            parent: s.parent,
            start_ns: s.start_ns,
            duration_ns: s.duration_ns,
            service: s.service.into(),
            operation: s.operation.into(),
            error: s.error,
        });
        Ok(())
    }
    fn log(&mut self, l: &LogRecord<'_>) -> io::Result<()> {
        self.logs.push(Log {
            time_ns: l.time_ns,
            service: l.service.into(),
            level: l.level.into(),
            message: l.message.into(),
            trace_id: l.trace_id,
        });
        Ok(())
    }
    fn metric(&mut self, m: &MetricPoint<'_>) -> io::Result<()> {
        self.metrics.push(Point {
            time_ns: m.time_ns,
            service: m.service.into(),
            metric: m.metric.into(),
            value: m.value,
        });
        Ok(())
    }
    fn event(&mut self, e: &EventRecord<'_>) -> io::Result<()> {
        self.events.push(Event {
            time_ns: e.time_ns,
            kind: e.kind.into(),
            service: e.service.map(Into::into),
        });
        Ok(())
    }
    fn finish(&mut self) -> io::Result<()> {
        Ok(())
    }
}
