//! Keeps everything in memory, owned: for tests and for tools that analyse
//! a run (the statistical tests use it).

use std::io;

use super::{EventRecord, LogRecord, MetricRecord, Sink, SpanRecord};

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
    /// Kind.
    pub kind: tsim_pack::SpanKind,
    /// Status.
    pub status: tsim_pack::Status,
    /// HTTP status code.
    pub code: Option<u16>,
    /// `error.type` as text.
    pub error_type: Option<String>,
    /// Retry number.
    pub resend: u32,
    /// Instance of the emitting resource.
    pub instance: u32,
    /// Attributes as text.
    pub attributes: Vec<(String, String)>,
    /// Peer (called resource).
    pub peer: Option<String>,
    /// `service.version` of the emitting resource at the time.
    pub version: String,
    /// User-declared events: (name, Unix ns, attributes as text).
    pub events: Vec<(String, i64, TextAttrs)>,
    /// Links, the producer's first: (trace id, span id, attributes as text).
    pub links: Vec<([u8; 16], [u8; 8], TextAttrs)>,
}

/// Attributes as (key, text) pairs.
pub type TextAttrs = Vec<(String, String)>;

/// Attributes as (key, text) pairs.
fn texts(attrs: &crate::sink::Attributes<'_>) -> Vec<(String, String)> {
    attrs
        .iter()
        .map(|(k, v)| {
            let mut t = String::new();
            v.write(&mut t);
            (k.to_string(), t)
        })
        .collect()
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
    /// The `service.instance.id` of its resource (per-instance series).
    pub instance_id: Option<String>,
    /// When its cumulative count started, Unix ns.
    pub start_ns: i64,
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
            duration_ns: s.duration_ns(),
            service: s.resource.name.into(),
            operation: s.name.into(),
            error: s.failed,
            kind: s.kind,
            status: s.status,
            code: s.http_status_code,
            error_type: s.error_type.map(|v| {
                let mut t = String::new();
                v.write(&mut t);
                t
            }),
            resend: s.resend_count,
            instance: s.resource.instance,
            attributes: texts(&s.attributes),
            peer: s.peer.map(Into::into),
            version: s.resource.version.into(),
            events: s
                .events
                .iter()
                .map(|e| (e.name.to_string(), e.time_ns, texts(&e.attributes)))
                .collect(),
            links: s
                .link
                .map(|(t, sp)| (t, sp, Vec::new()))
                .into_iter()
                .chain(
                    s.links
                        .iter()
                        .map(|l| (l.trace_id, l.span_id, texts(&l.attributes))),
                )
                .collect(),
        });
        Ok(())
    }
    fn log(&mut self, l: &LogRecord<'_>) -> io::Result<()> {
        self.logs.push(Log {
            time_ns: l.time_ns,
            service: l.service.into(),
            level: l.severity_text.into(),
            message: {
                let mut t = String::new();
                l.body.render(&mut t);
                t
            },
            trace_id: l.trace_id,
        });
        Ok(())
    }
    fn metric(&mut self, m: &MetricRecord<'_>) -> io::Result<()> {
        let mut name = String::new();
        super::ndjson::flat_points(m, &mut name, |metric, value| {
            self.metrics.push(Point {
                time_ns: m.time_ns,
                service: m.service.into(),
                metric: metric.into(),
                value,
                instance_id: m.resource.map(|r| r.instance_id.to_string()),
                start_ns: m.start_ns,
            })
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
