//! What a pack holds, as plain data. Strings are interned once in the
//! string table and referred to by [`StrId`]; attribute lists are
//! deduplicated into attribute sets referred to by index. Times are
//! nanoseconds, relative to a trace's start or to the run's start.

use serde::Serialize;

use crate::calls::{Calls, Gen, GenAttr};
use crate::program::Op;

/// Index into [`Pack::strings`].
pub type StrId = u32;
/// "No value" for optional indices.
pub const NONE: u32 = u32::MAX;

/// A whole pack.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Pack {
    /// Scenario settings.
    pub meta: Meta,
    /// The string table.
    pub strings: Vec<String>,
    /// Deduplicated attribute lists.
    pub attr_sets: Vec<Vec<Attr>>,
    /// One per service, database or queue.
    pub resources: Vec<Resource>,
    /// Endpoint call programs and root endpoints.
    pub calls: Calls,
    /// Label sets shared by metrics.
    pub series_sets: Vec<SeriesSet>,
    /// Metric definitions.
    pub metrics: Vec<MetricDef>,
    /// Standalone log streams and span-derived log rules.
    pub logs: Logs,
    /// Events (deployments, config changes, scaling) at fixed offsets.
    pub events: Vec<EventDef>,
    /// The timeline program.
    pub program: Vec<Op>,
}

/// Scenario settings.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Meta {
    /// Scenario name.
    pub name: StrId,
    /// Description.
    pub description: StrId,
    /// The seed the pack was sampled with.
    pub seed: u64,
    /// Simulated time covered.
    pub duration_ns: u64,
    /// Simulation step.
    pub tick_ns: u64,
    /// Default start, Unix seconds and nanoseconds.
    pub start: Option<(i64, u32)>,
}

/// A typed attribute value.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub enum AttrValue {
    /// A string from the table.
    Str(StrId),
    /// An integer.
    Int(i64),
    /// A float.
    Float(f64),
    /// A boolean.
    Bool(bool),
}

/// One attribute.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Attr {
    /// Its name.
    pub key: StrId,
    /// Its value.
    pub value: AttrValue,
}

/// What a resource is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[repr(u8)]
pub enum ResourceKind {
    /// A service.
    Service = 0,
    /// A database.
    Database = 1,
    /// A queue.
    Queue = 2,
}

/// A service, database or queue and its resource attributes.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Resource {
    /// Which kind.
    pub kind: ResourceKind,
    /// `service.name`.
    pub name: StrId,
    /// `service.version`.
    pub version: StrId,
    /// Instance count.
    pub instances: u32,
    /// Resource attributes (attribute set index).
    pub attrs: u32,
}

/// OpenTelemetry span kinds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[repr(u8)]
pub enum SpanKind {
    /// Internal.
    Internal = 1,
    /// Server.
    Server = 2,
    /// Client.
    Client = 3,
    /// Producer.
    Producer = 4,
    /// Consumer.
    Consumer = 5,
}

/// Span status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[repr(u8)]
pub enum Status {
    /// Unset.
    Unset = 0,
    /// Ok.
    Ok = 1,
    /// Error.
    Error = 2,
}

/// Label keys and rows of values shared by metrics.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SeriesSet {
    /// Label names.
    pub keys: Vec<StrId>,
    /// One row per series, `keys.len()` values each.
    pub rows: Vec<Vec<AttrValue>>,
    /// Each row's share of a metric's volume (how a process-driven counter's
    /// rate is split across its series): one weight per row, each finite and
    /// >= 0, summing to 1 (within 1e-9); or empty, meaning equal shares.
    pub weights: Vec<f64>,
}

/// Metric kinds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[repr(u8)]
pub enum MetricKind {
    /// Monotonic sum.
    Counter = 0,
    /// Gauge.
    Gauge = 1,
    /// Non-monotonic sum.
    UpDown = 2,
    /// Explicit-bucket histogram.
    Histogram = 3,
}

/// A process driving a metric.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum Process {
    /// Level plus noise.
    Constant {
        /// Level.
        value: f64,
        /// Noise sd.
        noise: f64,
    },
    /// Brownian motion with drift.
    Brownian {
        /// Start.
        start: f64,
        /// Drift per second.
        drift: f64,
        /// Volatility per sqrt(second).
        volatility: f64,
    },
    /// Ornstein-Uhlenbeck.
    MeanRevert {
        /// Start.
        start: f64,
        /// Mean.
        mean: f64,
        /// Speed.
        speed: f64,
        /// Volatility.
        volatility: f64,
    },
    /// Poisson arrivals at an intensity that may wander.
    Poisson {
        /// Intensity per second.
        rate: Box<Process>,
    },
}

/// Where a metric's values come from.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum MetricSource {
    /// Derived from spans of one resource (or all: [`NONE`]).
    Spans {
        /// Resource index or [`NONE`].
        of: u32,
    },
    /// A process per series.
    Process(Process),
}

/// A metric.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MetricDef {
    /// Name.
    pub name: StrId,
    /// Kind.
    pub kind: MetricKind,
    /// Unit.
    pub unit: StrId,
    /// Description.
    pub description: StrId,
    /// Its series (label sets).
    pub series_set: u32,
    /// Source of values.
    pub source: MetricSource,
    /// Clamp bounds.
    pub within: Option<(f64, f64)>,
    /// Histogram bucket bounds.
    pub buckets: Vec<f64>,
    /// Observations per second (process-driven histograms), or 0.
    pub rate: f64,
}

/// OpenTelemetry severity numbers of the levels tsim knows.
pub fn severity_number(level: &str) -> u8 {
    match level.to_ascii_uppercase().as_str() {
        "TRACE" => 1,
        "DEBUG" => 5,
        "INFO" => 9,
        "WARN" | "WARNING" => 13,
        "ERROR" => 17,
        "FATAL" | "CRITICAL" => 21,
        _ => 0,
    }
}

/// A standalone log stream: records at a rate, each drawn afresh: its
/// level, its message template and its attributes (the template's
/// `{placeholders}` are filled from the record's attributes).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LogStream {
    /// Name.
    pub name: StrId,
    /// Emitting resource or [`NONE`].
    pub resource: u32,
    /// Records per second at peak.
    pub rate: f64,
    /// Severity text (`INFO`, ...), drawn per record.
    pub level: Gen,
    /// Message template, drawn per record.
    pub message: Gen,
    /// Constant attributes (attribute set).
    pub attrs: u32,
    /// Generated attributes, drawn per record.
    pub gen_attrs: Vec<GenAttr>,
    /// Fixed shapes: 0 draws each record's level and message afresh; N > 0
    /// draws them from one of N fixed shape seeds (attribute values are
    /// drawn per record either way).
    pub shapes: u32,
    /// A structured body in place of the message, when declared.
    pub body: Option<LogBody>,
}

/// A structured log body (`body { }`): a map whose fields are drawn per
/// record like attributes; its patterns may borrow the record's attributes.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LogBody {
    /// Constant fields (attribute set).
    pub attrs: u32,
    /// Generated fields, drawn per record.
    pub gen_attrs: Vec<GenAttr>,
}

/// A rule deriving logs from spans (`access` or `errors`): the level and
/// message template are drawn per record; the template's placeholders are
/// filled from the span.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SpanLogRule {
    /// `true` for errors-only rules.
    pub errors_only: bool,
    /// Severity text, drawn per record.
    pub level: Gen,
    /// Message template, drawn per record.
    pub message: Gen,
    /// Constant attributes (attribute set).
    pub attrs: u32,
    /// Generated attributes, drawn per record.
    pub gen_attrs: Vec<GenAttr>,
    /// A structured body in place of the message, when declared.
    pub body: Option<LogBody>,
}

/// All logs.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Logs {
    /// Standalone streams.
    pub streams: Vec<LogStream>,
    /// Span-derived rules.
    pub span_rules: Vec<SpanLogRule>,
}

/// An event at a fixed offset.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct EventDef {
    /// Offset from the run's start.
    pub at_ns: u64,
    /// `deployment`, `config_change`, `scaling`, `incident_start`, `incident_end`.
    pub kind: StrId,
    /// The resource concerned, or [`NONE`].
    pub resource: u32,
    /// Details.
    pub details: StrId,
    /// Severity.
    pub severity: StrId,
    /// Version (deployments).
    pub version: StrId,
    /// The instance count a `scaling` event sets (0: the event sets none);
    /// at most [`crate::MAX_INSTANCES`].
    pub instances: u32,
}
