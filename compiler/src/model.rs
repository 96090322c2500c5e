//! The checked, typed scenario: what `check` produces from the AST once every
//! name is resolved and every value has the right unit and range. All
//! durations are seconds, rates per second, shares fractions in 0..=1.
//! This is the input of lowering to the pack.

use serde::Serialize;

/// A whole checked scenario.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct Model {
    /// Run settings.
    pub settings: Settings,
    /// Resource attributes of every service.
    pub resource: Vec<Attr>,
    /// Attributes of every span.
    pub attributes: Vec<Attr>,
    /// Services in declaration order.
    pub services: Vec<Service>,
    /// Databases and queues in declaration order.
    pub backends: Vec<Backend>,
    /// Declared metrics.
    pub metrics: Vec<Metric>,
    /// Metric families.
    pub families: Vec<Family>,
    /// Logs derived from spans.
    pub span_logs: Vec<SpanLogRule>,
    /// Standalone log streams.
    pub log_streams: Vec<LogStream>,
    /// Timeline entries in source order.
    pub timeline: Vec<Entry>,
    /// Every param as resolved (defaults, chosen `select` arms and `--set`),
    /// by name, each with its value as written.
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub params: std::collections::BTreeMap<String, String>,
}

/// `scenario { }`.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Settings {
    /// Scenario name.
    pub name: String,
    /// Free text.
    pub description: String,
    /// Seed of every sampled value.
    pub seed: u64,
    /// Simulated time covered, seconds.
    pub duration: f64,
    /// Simulation step, seconds.
    pub tick: f64,
    /// Default start (Unix seconds, nanoseconds), if given.
    pub start: Option<(i64, u32)>,
    /// Trace shapes per root endpoint, when declared (`variants N`); when
    /// not, every trace's shape is drawn afresh.
    pub variants: Option<u32>,
    /// The network hop between a client span and its server span, each way,
    /// seconds (None: the default, lognormal with median 200us, p99 1ms).
    pub hop: Option<Dist>,
    /// Arrival shape.
    pub traffic: Traffic,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            name: "scenario".into(),
            description: String::new(),
            seed: 1,
            duration: 3600.0,
            tick: 10.0,
            start: None,
            variants: None,
            hop: None,
            traffic: Traffic::default(),
        }
    }
}

/// `traffic { }`.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Traffic {
    /// Peak root requests per second.
    pub rate: f64,
    /// IANA zone or `UTC` or `+hh:mm`.
    pub timezone: String,
    /// Busy windows, seconds since local midnight.
    pub peaks: Vec<(u32, u32)>,
    /// Traffic outside the peaks as a fraction of peak.
    pub night: f64,
    /// Weekend traffic as a fraction of weekdays.
    pub weekend: f64,
}

impl Default for Traffic {
    fn default() -> Self {
        Traffic {
            rate: 10.0,
            timezone: "UTC".into(),
            peaks: Vec::new(),
            night: 1.0,
            weekend: 1.0,
        }
    }
}

/// A constant attribute value.
#[derive(Clone, Debug, Serialize, PartialEq)]
#[serde(untagged)]
pub enum Scalar {
    /// Text.
    Str(String),
    /// Integer.
    Int(i64),
    /// Float.
    Float(f64),
    /// Boolean.
    Bool(bool),
}

/// One piece of a `"user-{n:05}"` pattern.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub enum PatternPart {
    /// Literal text.
    Lit(String),
    /// `{n}` / `{n:05}`: a number, zero-padded to the width.
    Counter(u8),
    /// `{hex:16}`: random hex digits.
    Hex(u8),
    /// `{uuid}`.
    Uuid,
    /// `{name}`: the value of another attribute.
    Attr(String),
}

impl PatternPart {
    /// The part as written in the source.
    pub fn source(&self) -> String {
        match self {
            PatternPart::Lit(s) => s.clone(),
            PatternPart::Counter(0) => "{n}".into(),
            PatternPart::Counter(w) => format!("{{n:{w:02}}}"),
            PatternPart::Hex(k) => format!("{{hex:{k}}}"),
            PatternPart::Uuid => "{uuid}".into(),
            PatternPart::Attr(name) => format!("{{{name}}}"),
        }
    }
}

/// How an attribute's values are generated.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub enum Generator {
    /// Always this.
    Const(Scalar),
    /// A weighted choice.
    Pick(Vec<(Scalar, f64)>),
    /// An integer in the inclusive range.
    IntRange(i64, i64),
    /// A float in the half-open range.
    FloatRange(f64, f64),
    /// A pattern with random fills.
    Pattern(Vec<PatternPart>),
    /// One of `size` ids made from the pattern with n in 0..size.
    Pool {
        /// How many distinct values.
        size: u64,
        /// The pattern.
        pattern: Vec<PatternPart>,
    },
    /// True with this probability.
    Bool(f64),
    /// A number drawn from a distribution.
    Dist(Dist),
    /// Present with probability `p`, otherwise the attribute is left out.
    Maybe(f64, Box<Generator>),
}

/// A distribution of numbers (seconds when it is a latency): the pack's
/// own type, so the model and the pack cannot drift apart.
pub use tsim_pack::Dist;

/// The 99th percentile of the standard normal.
const Z99: f64 = 2.326_347_874_040_841;

/// The log-normal with this median and 99th percentile (both positive,
/// `p99` at least `median`): `lognormal(median: .., p99: ..)`.
pub fn lognormal_quantiles(median: f64, p99: f64) -> Dist {
    Dist::LogNormal {
        mu: median.ln(),
        sigma: (p99.ln() - median.ln()) / Z99,
    }
}

/// `errors` of an endpoint or backend.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct Errors {
    /// Share of requests that fail.
    pub rate: f64,
    /// Status codes of failures.
    pub status: Option<Generator>,
    /// `error.type` of failures.
    pub error_type: Option<Generator>,
}

/// A named attribute and its generator.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Attr {
    /// Attribute name.
    pub key: String,
    /// Generator.
    pub value: Generator,
}

/// A service.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Service {
    /// Name (`service.name`).
    pub name: String,
    /// `service.version`.
    pub version: String,
    /// Instance count.
    pub instances: u32,
    /// Resource attributes.
    pub resource: Vec<Attr>,
    /// Attributes of every span of this service.
    pub attributes: Vec<Attr>,
    /// Endpoints.
    pub endpoints: Vec<Endpoint>,
}

/// What protocol an endpoint speaks, inferred from its name.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub enum Protocol {
    /// `GET /users/{id}`: method and route.
    Http {
        /// `http.request.method`.
        method: String,
        /// `http.route`.
        route: String,
    },
    /// Any other name: an internal or RPC operation.
    Rpc,
    /// Triggered by messages.
    Consumer,
    /// An INTERNAL span: an `internal` step, or an endpoint with
    /// `kind internal` (work nobody calls, such as a cron job).
    Internal,
}

/// `event "name" { ... }`: a span event.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct SpanEvent {
    /// Event name.
    pub name: String,
    /// Probability that a span has it.
    pub chance: f64,
    /// Event attributes.
    pub attributes: Vec<Attr>,
}

/// `link "service" "endpoint"`: a link to a recent span of that endpoint.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct SpanLink {
    /// Linked service.
    pub service: String,
    /// Its endpoint.
    pub endpoint: String,
    /// Probability that a span has it.
    pub chance: f64,
    /// Link attributes.
    pub attributes: Vec<Attr>,
}

/// An endpoint of a service.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Endpoint {
    /// Name.
    pub name: String,
    /// Protocol and semantic-convention inputs.
    pub protocol: Protocol,
    /// Share of the service's root traffic (None: split the rest evenly).
    pub weight: Option<f64>,
    /// Own processing time, seconds.
    pub latency: Dist,
    /// Failures.
    pub errors: Errors,
    /// Span attributes (semantic-convention defaults first, then the user's).
    pub attributes: Vec<Attr>,
    /// `(queue, topic)` it consumes.
    pub consumes: Vec<(String, String)>,
    /// Downstream steps.
    pub steps: Vec<Step>,
    /// Span events.
    pub events: Vec<SpanEvent>,
    /// Span links.
    pub links: Vec<SpanLink>,
    /// Trace shapes when this is a root endpoint (None: the scenario's).
    pub variants: Option<u32>,
}

/// Options of a step.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct StepOptions {
    /// Probability the step happens.
    pub chance: f64,
    /// Retries after a failure.
    pub retries: u32,
    /// Timeout, seconds.
    pub timeout: Option<f64>,
    /// How many times in a row (a count distribution; 1 when not given).
    pub repeat: Dist,
    /// What a failure of the step does to its caller.
    pub on_error: OnError,
}

/// `on_error fail | ignore`: what a failed step does to its caller.
#[derive(Clone, Copy, Debug, Default, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum OnError {
    /// The caller fails too (the default).
    #[default]
    Fail,
    /// The caller handles the failure (a fallback or an ignored error) and
    /// stays OK.
    Ignore,
}

/// A downstream step.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub enum Step {
    /// Call an endpoint of a service.
    Call {
        /// Service name.
        service: String,
        /// Endpoint name.
        endpoint: String,
        /// Options.
        options: StepOptions,
    },
    /// Query a database.
    Query {
        /// Database name.
        database: String,
        /// `db.query.text`.
        statement: String,
        /// Span attributes (semantic conventions, then the database's own).
        attributes: Vec<Attr>,
        /// Options.
        options: StepOptions,
    },
    /// Publish to a queue.
    Publish {
        /// Queue name.
        queue: String,
        /// Topic.
        topic: String,
        /// Span attributes (semantic conventions, then the queue's own).
        attributes: Vec<Attr>,
        /// Options.
        options: StepOptions,
    },
    /// Steps at the same time.
    Parallel(Vec<Step>),
    /// An INTERNAL span of the caller's service (its protocol is
    /// [`Protocol::Internal`]; weight and variants unused).
    Internal {
        /// Its program.
        endpoint: Box<Endpoint>,
        /// Options.
        options: StepOptions,
    },
}

/// Database or queue.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Backend {
    /// `database` or `queue`.
    pub kind: String,
    /// Name.
    pub name: String,
    /// `db.system.name` or `messaging.system`.
    pub system: String,
    /// Operation time, seconds.
    pub latency: Dist,
    /// Failures.
    pub errors: Errors,
    /// Version.
    pub version: String,
    /// Instances.
    pub instances: u32,
    /// Resource attributes.
    pub resource: Vec<Attr>,
    /// Attributes of its spans.
    pub attributes: Vec<Attr>,
}

/// A stochastic process driving a metric: the pack's own type, so the
/// model and the pack cannot drift apart.
pub use tsim_pack::Process;

/// Where a metric's values come from.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub enum MetricSource {
    /// Derived from emitted spans (of one service, or all).
    Spans(Option<String>),
    /// Driven by a process, optionally clamped.
    Process {
        /// The process.
        process: Process,
        /// Bounds.
        within: Option<(f64, f64)>,
    },
}

/// A declared metric.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Metric {
    /// Name.
    pub name: String,
    /// `counter`, `gauge`, `updown`, `histogram`.
    pub kind: String,
    /// `scenario`, `service`, `instance` or `endpoint`.
    pub per: String,
    /// Unit (UCUM, as OpenTelemetry writes it).
    pub unit: String,
    /// Description.
    pub description: String,
    /// Source of values.
    pub source: MetricSource,
    /// Label generators.
    pub labels: Vec<Attr>,
    /// Declared series count (label sets), if given.
    pub series: Option<u32>,
    /// Histogram bounds.
    pub buckets: Vec<f64>,
    /// Observations per second for process-driven histograms.
    pub rate: Option<f64>,
}

/// A metric family.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Family {
    /// `host` or `kubernetes`.
    pub kind: String,
    /// Its settings, with defaults filled in.
    pub settings: Vec<(String, f64)>,
    /// Extra labels that multiply the series.
    pub labels: Vec<Attr>,
}

/// `access` or `errors` in `logs from spans`.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct SpanLogRule {
    /// `access` or `errors`.
    pub kind: String,
    /// Severity text: a constant or a pick of strings.
    pub level: Generator,
    /// Message template(s): a constant or a pick of strings.
    pub message: Generator,
    /// Extra attributes.
    pub attributes: Vec<Attr>,
    /// A structured body (`body { }`), in place of the message.
    pub body: Option<Vec<Attr>>,
}

/// A standalone log stream.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct LogStream {
    /// Name.
    pub name: String,
    /// Emitting service.
    pub service: Option<String>,
    /// Records per second.
    pub rate: f64,
    /// Severity text: a constant or a pick of strings.
    pub level: Generator,
    /// Message template(s): a constant or a pick of strings.
    pub message: Generator,
    /// Attributes.
    pub attributes: Vec<Attr>,
    /// A structured body (`body { }`), in place of the message.
    pub body: Option<Vec<Attr>>,
    /// Fixed (level, message) shapes, when declared (`variants N`); when
    /// not, every record's level and message are drawn afresh. Attribute
    /// values are drawn per record either way.
    pub variants: Option<u32>,
}

/// A level that may move: `80%` or `0% -> 50%`.
#[derive(Clone, Copy, Debug, Serialize, PartialEq)]
pub struct Level {
    /// Value at the start of the window.
    pub from: f64,
    /// Value at full strength.
    pub to: f64,
}

/// Overrides active during a timeline entry.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct Overrides {
    /// Error share.
    pub errors: Option<Level>,
    /// Latency multiplier.
    pub latency: Option<Level>,
    /// Traffic multiplier.
    pub rate: Option<Level>,
    /// Failure status.
    pub status: Option<Generator>,
    /// `error.type`.
    pub error_type: Option<Generator>,
    /// New version (deploy).
    pub version: Option<String>,
    /// How a deploy fails.
    pub fails: Option<String>,
    /// New instance count (scale).
    pub instances: Option<u32>,
    /// Event or log message.
    pub message: Option<String>,
    /// Severity of the event.
    pub severity: Option<String>,
}

/// When an entry is active.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub enum Schedule {
    /// Once, from `start` for `length` seconds, reaching full strength after `ramp`.
    Once {
        /// Offset from the run's start.
        start: f64,
        /// How long.
        length: f64,
        /// Ramp-up time.
        ramp: f64,
    },
    /// Repeating every `period` (with jitter if `~`), each lasting `length`.
    Every {
        /// Period.
        period: f64,
        /// Jittered.
        jitter: bool,
        /// Length of each occurrence.
        length: f64,
    },
}

/// One timeline entry.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Entry {
    /// `outage`, `spike`, ...
    pub action: String,
    /// What it applies to (`service`, `database`, `queue`, `metric`) and its name.
    pub target: Option<(String, String)>,
    /// When.
    pub schedule: Schedule,
    /// Strength of an anomaly or burst.
    pub magnitude: Option<Magnitude>,
    /// Overrides.
    pub overrides: Overrides,
}

/// How strong an anomaly is.
#[derive(Clone, Copy, Debug, Serialize, PartialEq)]
pub enum Magnitude {
    /// Multiply by a factor (possibly ramping).
    Factor(Level),
    /// Add a fraction of the current value (`+20%`, `-30%`).
    Relative(f64),
}
