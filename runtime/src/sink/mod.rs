//! Where telemetry goes: the [`Sink`] trait every output implements, and
//! the records the engine hands it, with full fidelity: what happened, by
//! id (span site, metric, resource), with typed values. Text (labels, log
//! bodies, NDJSON) is rendered only inside sinks. Records borrow from the
//! pack and the engine's buffers; a sink copies what it keeps.

pub mod deliver;
pub mod extras;
pub mod fmt;
pub mod guard;
pub mod honeycomb;

pub mod memory;
pub mod ndjson;
pub mod otlp;
pub mod otlp_json;
pub mod output;
pub mod prom;
pub mod signal;
pub mod spec;
pub mod value;

use std::io;

use tsim_pack::{MetricKind, Resource, SpanKind, Status};

use crate::plan::Plan;
pub use extras::{ResolvedLink, SpanEvent, SpanEvents, SpanLink, SpanLinks};
pub use signal::Signal;
pub use value::{Attributes, Value};

/// The instrumentation scope of everything tsim emits.
pub const SCOPE_NAME: &str = "tsim";

/// The schema URL of the semantic conventions tsim's telemetry follows
/// (`schema_url` of every OTLP resource and scope).
pub const SCHEMA_URL: &str = concat!("https://opentelemetry.io/schemas/", "1.44.0");

/// The keys tsim sets on a resource itself (a declared resource attribute
/// with one of these names is left out).
pub const RESOURCE_KEYS: [&str; 6] = [
    "service.name",
    "service.version",
    "service.instance.id",
    "telemetry.sdk.name",
    "telemetry.sdk.language",
    "telemetry.sdk.version",
];

/// The `telemetry.sdk.*` resource attributes.
pub fn sdk_attributes() -> [(&'static str, &'static str); 3] {
    [
        ("telemetry.sdk.name", "tsim"),
        ("telemetry.sdk.language", "rust"),
        ("telemetry.sdk.version", crate::VERSION),
    ]
}

/// The resource (and instance) that emitted a record.
#[derive(Clone, Copy, Debug)]
pub struct ResourceRef<'a> {
    /// Index in the pack's resources.
    pub id: u32,
    /// Which instance (0-based) of it.
    pub instance: u32,
    /// Its `service.instance.id` (see [`tsim_pack::instance`]).
    pub instance_id: &'a str,
    /// `service.name`.
    pub name: &'a str,
    /// `service.version` ("" when none), as the timeline has it now (a
    /// deployment changes it from its start on).
    pub version: &'a str,
    /// The pack's resource.
    pub resource: &'a Resource,
    /// Its other resource attributes (`service.name` and `service.version`
    /// are the fields above).
    pub attributes: Attributes<'a>,
}

/// An exception recorded on a failed span (an OpenTelemetry span event).
#[derive(Clone, Copy, Debug)]
pub struct Exception<'a> {
    /// When it was raised (the span's end), Unix ns.
    pub time_ns: i64,
    /// `exception.type`.
    pub exception_type: Value<'a>,
}

/// A span as emitted.
#[derive(Clone, Copy, Debug)]
pub struct SpanRecord<'a> {
    /// 16-byte trace id.
    pub trace_id: [u8; 16],
    /// 8-byte span id.
    pub span_id: [u8; 8],
    /// Parent span id, `None` for the root.
    pub parent: Option<[u8; 8]>,
    /// The span's site in the plan (what is constant about it).
    pub site: u32,
    /// Start, Unix nanoseconds.
    pub start_ns: i64,
    /// End, Unix nanoseconds.
    pub end_ns: i64,
    /// Emitting resource.
    pub resource: ResourceRef<'a>,
    /// Kind.
    pub kind: SpanKind,
    /// Span name.
    pub name: &'a str,
    /// The called service, database or queue of a client or producer span.
    pub peer: Option<&'a str>,
    /// Constant and drawn attributes.
    pub attributes: Attributes<'a>,
    /// True when the request failed here (4xx included).
    pub failed: bool,
    /// OpenTelemetry status (server 4xx leave it unset).
    pub status: Status,
    /// Status message ("" when none).
    pub status_message: &'a str,
    /// `http.response.status_code`, when the span has one.
    pub http_status_code: Option<u16>,
    /// `error.type` when failed (always written as text).
    pub error_type: Option<Value<'a>>,
    /// `http.request.resend_count` for retries (0: first attempt).
    pub resend_count: u32,
    /// An exception event, when the failure raised one.
    pub exception: Option<Exception<'a>>,
    /// A link (a consumer's producer): (trace id, span id).
    pub link: Option<([u8; 16], [u8; 8])>,
    /// User-declared span events (after the exception, if any).
    pub events: SpanEvents<'a>,
    /// User-declared span links (after the producer link, if any).
    pub links: SpanLinks<'a>,
}

/// `http.response.status_code`, set from [`SpanRecord::http_status_code`].
pub const STATUS_CODE_KEY: &str = "http.response.status_code";
/// `error.type`, set from [`SpanRecord::error_type`].
pub const ERROR_TYPE_KEY: &str = "error.type";
/// `http.request.resend_count`, set from [`SpanRecord::resend_count`].
pub const RESEND_KEY: &str = "http.request.resend_count";

impl SpanRecord<'_> {
    /// Duration in nanoseconds.
    pub fn duration_ns(&self) -> u64 {
        self.end_ns.saturating_sub(self.start_ns).max(0) as u64
    }

    /// Whether a constant or drawn attribute named `k` gives way to one of
    /// the record's own fields (status code, error type, resend count),
    /// which every sink writes after the attributes.
    pub fn shadows(&self, k: &str) -> bool {
        (k == STATUS_CODE_KEY && self.http_status_code.is_some())
            || (k == ERROR_TYPE_KEY && self.error_type.is_some())
            || (k == RESEND_KEY && self.resend_count > 0)
    }

    /// Whether the resend count is written: only HTTP spans (those with
    /// constant `http.*` attributes) carry it; a retried query or publish
    /// shows as its attempts alone.
    pub fn writes_resend(&self) -> bool {
        self.resend_count > 0 && is_http(&self.attributes)
    }
}

/// Whether a span with these constant attributes is an HTTP span.
pub fn is_http(attrs: &Attributes<'_>) -> bool {
    attrs.constants().any(|(k, _)| k.starts_with("http."))
}

/// Appends the value of a placeholder to the text; false when it has none.
pub type Filler<'a> = &'a dyn Fn(&str, &mut String) -> bool;

/// A log body: a template and what fills its `{placeholders}`, or a
/// structured body (a map of fields, OTLP's `kvlistValue`).
#[derive(Clone, Copy)]
pub struct Body<'a> {
    /// The template (or the whole text when it has no placeholders).
    pub template: &'a str,
    /// Appends the value of a placeholder; false when it has none.
    pub fill: Option<Filler<'a>>,
    /// The fields of a structured body, which replaces the template.
    pub fields: Option<Attributes<'a>>,
}

impl std::fmt::Debug for Body<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Body")
            .field("template", &self.template)
            .finish()
    }
}

impl<'a> Body<'a> {
    /// A plain text body.
    pub fn text(template: &'a str) -> Body<'a> {
        Body {
            template,
            fill: None,
            fields: None,
        }
    }

    /// Renders the body into `out` as text: the filled template, or a
    /// structured body as a compact JSON object.
    pub fn render(&self, out: &mut String) {
        match (self.fields, self.fill) {
            (Some(fields), _) => fmt::object(out, fields.iter()),
            (None, None) => out.push_str(self.template),
            (None, Some(fill)) => tsim_pack::template::fill_placeholders(self.template, out, fill),
        }
    }
}

/// A log record as emitted.
#[derive(Clone, Copy, Debug)]
pub struct LogRecord<'a> {
    /// Unix nanoseconds.
    pub time_ns: i64,
    /// Emitting service (or the scenario name).
    pub service: &'a str,
    /// Emitting resource, when a service emitted it.
    pub resource: Option<ResourceRef<'a>>,
    /// OpenTelemetry severity number.
    pub severity_number: u8,
    /// Severity text.
    pub severity_text: &'a str,
    /// The body.
    pub body: Body<'a>,
    /// Attributes.
    pub attributes: Attributes<'a>,
    /// The trace it belongs to, if any.
    pub trace_id: Option<[u8; 16]>,
    /// The span it belongs to, if any.
    pub span_id: Option<[u8; 8]>,
}

/// One label of a metric series.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Label<'a> {
    /// Name.
    pub key: &'a str,
    /// Value.
    pub value: Value<'a>,
}

/// The span behind one observation of a derived histogram: an exemplar,
/// as OpenMetrics and OTLP carry them, linking a bucket to a trace.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Exemplar {
    /// The span's trace.
    pub trace_id: [u8; 16],
    /// The span.
    pub span_id: [u8; 8],
    /// The observed value, in the metric's unit.
    pub value: f64,
    /// When the span ended, Unix nanoseconds.
    pub time_ns: i64,
}

/// A histogram data point: explicit buckets, not cumulative.
#[derive(Clone, Copy, Debug)]
pub struct HistogramPoint<'a> {
    /// Upper bounds (the last bucket is +Inf, not listed).
    pub bounds: &'a [f64],
    /// Count per bucket (`bounds.len() + 1` of them), since the start.
    pub counts: &'a [u64],
    /// Observations since the start.
    pub count: u64,
    /// Their sum.
    pub sum: f64,
    /// Their minimum (NaN when none).
    pub min: f64,
    /// Their maximum (NaN when none).
    pub max: f64,
    /// Per bucket, the latest observation that fell in it during this
    /// point's interval (its tick), none where none did; empty for a
    /// histogram that keeps none: only those derived from spans do.
    pub exemplars: &'a [Option<Exemplar>],
}

/// A metric data point's value.
#[derive(Clone, Copy, Debug)]
pub enum Point<'a> {
    /// A gauge.
    Gauge(f64),
    /// A cumulative sum since `start_ns`.
    Sum {
        /// Value.
        value: f64,
        /// A counter (never decreases) rather than an up-down counter.
        monotonic: bool,
    },
    /// A cumulative histogram since `start_ns`.
    Histogram(HistogramPoint<'a>),
}

impl Point<'_> {
    /// Which OTLP data a point belongs to: gauge 0, up-down sum 1,
    /// monotonic sum 2, histogram 3 (one OTLP `Metric` per metric and kind).
    pub fn otlp_kind(&self) -> u8 {
        match self {
            Point::Gauge(_) => 0,
            Point::Sum {
                monotonic: false, ..
            } => 1,
            Point::Sum {
                monotonic: true, ..
            } => 2,
            Point::Histogram(_) => 3,
        }
    }
}

/// A metric data point as emitted.
#[derive(Clone, Copy, Debug)]
pub struct MetricRecord<'a> {
    /// Unix nanoseconds.
    pub time_ns: i64,
    /// Start of cumulative sums and histograms, Unix nanoseconds.
    pub start_ns: i64,
    /// Index in the pack's metrics.
    pub metric: u32,
    /// Metric name.
    pub name: &'a str,
    /// Kind as declared.
    pub kind: MetricKind,
    /// Unit.
    pub unit: &'a str,
    /// Description.
    pub description: &'a str,
    /// The series' service (its `service.name` label, or the scenario name).
    pub service: &'a str,
    /// The instance whose series it is (a per-instance series: its
    /// `service.instance.id` is in the resource, not among the labels).
    pub resource: Option<ResourceRef<'a>>,
    /// The series' labels in order (`service.name` included when it has one).
    pub labels: &'a [Label<'a>],
    /// The value.
    pub point: Point<'a>,
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
    /// Called once before anything is emitted: a sink may encode the
    /// constant parts of every span site, series and template here.
    fn link(&mut self, _plan: &Plan<'_>) -> io::Result<()> {
        Ok(())
    }
    /// One span.
    fn span(&mut self, s: &SpanRecord<'_>) -> io::Result<()>;
    /// One log record.
    fn log(&mut self, l: &LogRecord<'_>) -> io::Result<()>;
    /// One metric point.
    fn metric(&mut self, m: &MetricRecord<'_>) -> io::Result<()>;
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
    fn metric(&mut self, _: &MetricRecord<'_>) -> io::Result<()> {
        Ok(())
    }
    fn event(&mut self, _: &EventRecord<'_>) -> io::Result<()> {
        Ok(())
    }
    fn finish(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_schema_url_names_the_conventions_the_pack_follows() {
        assert!(super::SCHEMA_URL.ends_with(&format!("/{}", tsim_pack::SEMCONV_VERSION)));
    }
}
