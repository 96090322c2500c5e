//! Endpoint call programs (format 2): what a request *does*, not what one
//! sampled request did. Each endpoint holds its own-latency distribution,
//! its error model, its generated attributes and its steps; the runtime
//! draws every value per request from these, so declared rates, quantiles,
//! mixes and cardinalities come out as declared at any volume.
//!
//! Constant parts (names, kinds, fixed attributes) are interned once in the
//! string table and attribute sets; generated attributes are [`Gen`]s.

use serde::Serialize;

use crate::types::{AttrValue, SpanKind, StrId};

/// The deepest nesting of [`Step::Parallel`] blocks a pack may hold: an
/// endpoint's own steps are at depth 0, the steps of a `parallel` among
/// them at depth 1, and so on.
pub const MAX_STEP_DEPTH: usize = 64;
/// The most [`Gen::Maybe`]s a generator may be wrapped in.
pub const MAX_GEN_DEPTH: usize = 8;
/// The most endpoints a chain of calls (and publishes to consumers) may
/// pass through, the root included: the runtime walks a request's call
/// tree recursively, so its depth is bounded like its nesting.
pub const MAX_CALL_DEPTH: usize = 64;

/// A distribution of numbers (seconds when it is a latency).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum Dist {
    /// Always this.
    Constant(f64),
    /// Uniform in [min, max].
    Uniform {
        /// Low end.
        min: f64,
        /// High end.
        max: f64,
    },
    /// Gaussian.
    Normal {
        /// Mean.
        mean: f64,
        /// Standard deviation.
        sd: f64,
    },
    /// Log-normal with the log's mean and standard deviation.
    LogNormal {
        /// Mean of the log.
        mu: f64,
        /// Standard deviation of the log.
        sigma: f64,
    },
    /// Exponential with this mean.
    Exponential {
        /// Mean.
        mean: f64,
    },
    /// Pareto.
    Pareto {
        /// Minimum value.
        scale: f64,
        /// Tail index.
        shape: f64,
    },
    /// A weighted choice of values: (value, weight).
    Pick(Vec<(f64, f64)>),
}

/// One piece of a `"user-{n:05}"` pattern.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum Part {
    /// Literal text.
    Lit(StrId),
    /// `{n:05}`: the counter, zero-padded to the width.
    Counter(u8),
    /// `{hex:16}`: random hex digits.
    Hex(u8),
    /// `{uuid}`: a random version-4 UUID.
    Uuid,
    /// `{name}`: the value of another attribute of the same span.
    Attr(StrId),
}

/// How an attribute's value is generated per request.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum Gen {
    /// Always this.
    Const(AttrValue),
    /// A weighted choice: (value, weight).
    Pick(Vec<(AttrValue, f64)>),
    /// An integer in the inclusive range.
    IntRange(i64, i64),
    /// A float in the half-open range.
    FloatRange(f64, f64),
    /// A pattern; `{n}` is drawn from 0..10^width (at least 10^4).
    Pattern(Vec<Part>),
    /// One of `size` ids: the pattern with `n` in 0..size.
    Pool {
        /// How many distinct values.
        size: u64,
        /// The pattern.
        pattern: Vec<Part>,
    },
    /// True with this probability.
    Bool(f64),
    /// A number from a distribution.
    Dist(Dist),
    /// Present with probability `p`, otherwise left out.
    Maybe(f64, Box<Gen>),
}

/// A named generated attribute.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct GenAttr {
    /// Attribute name.
    pub key: StrId,
    /// Its generator.
    pub gen: Gen,
}

/// How a component fails.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ErrorModel {
    /// Share of requests that fail on their own.
    pub rate: f64,
    /// Status code of a failure (HTTP endpoints), if declared.
    pub status: Option<Gen>,
    /// `error.type` of a failure, if declared.
    pub error_type: Option<Gen>,
}

/// What an endpoint speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Protocol {
    /// HTTP: method and route.
    Http {
        /// `http.request.method`.
        method: StrId,
        /// `http.route`.
        route: StrId,
    },
    /// An RPC or internal operation.
    Rpc,
    /// Triggered by messages.
    Consumer,
    /// An INTERNAL span: an `internal` step, or an endpoint declared
    /// `kind internal`; no HTTP or RPC server attributes.
    Internal,
}

/// A user-declared span event: drawn per span with its chance, at a time
/// within the span.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EventDecl {
    /// Event name.
    pub name: StrId,
    /// Probability that a span has it.
    pub chance: f64,
    /// Constant attributes (attribute set).
    pub attrs: u32,
    /// Generated attributes.
    pub gen_attrs: Vec<GenAttr>,
}

/// A user-declared span link: to a recently emitted span of an endpoint.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LinkDecl {
    /// The linked endpoint, an index into [`Calls::endpoints`].
    pub endpoint: u32,
    /// Probability that a span has it.
    pub chance: f64,
    /// Constant attributes (attribute set).
    pub attrs: u32,
    /// Generated attributes.
    pub gen_attrs: Vec<GenAttr>,
}

/// What a failed step does to its caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[repr(u8)]
pub enum OnError {
    /// The caller fails too (the default).
    Fail = 0,
    /// The caller handles it and carries on (a fallback or an ignored error).
    Ignore = 1,
}

/// Options of a step.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StepOptions {
    /// Probability that the step happens.
    pub chance: f64,
    /// Retries after a failure; each retry is a new client span.
    pub retries: u32,
    /// Timeout: the client span ends here with a timeout error.
    pub timeout_ns: Option<u64>,
    /// How many times in a row (rounded; 1 when not declared).
    pub repeat: Dist,
    /// What a failure does to the caller.
    pub on_error: OnError,
}

/// A database query or a publish: the client (or producer) span's facts.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BackendCall {
    /// The database or queue resource.
    pub backend: u32,
    /// Span name (`SELECT users`, `send orders.created`).
    pub name: StrId,
    /// Span kind: client for queries, producer for publishes.
    pub kind: SpanKind,
    /// Constant attributes (attribute set).
    pub attrs: u32,
    /// Generated attributes.
    pub gen_attrs: Vec<GenAttr>,
    /// The backend's operation time, seconds.
    pub latency: Dist,
    /// The backend's failures.
    pub errors: ErrorModel,
}

/// A downstream step.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum Step {
    /// A call to another endpoint: a client span over its server span.
    Call {
        /// Callee, an index into [`Calls::endpoints`].
        endpoint: u32,
        /// Constant attributes of the client span (attribute set).
        attrs: u32,
        /// Options.
        options: StepOptions,
    },
    /// A database query.
    Query {
        /// The client span.
        call: BackendCall,
        /// Options.
        options: StepOptions,
    },
    /// A publish to a queue, and the endpoints that consume it.
    Publish {
        /// The producer span.
        call: BackendCall,
        /// Consuming endpoints (indices into `endpoints`).
        consumers: Vec<u32>,
        /// Options.
        options: StepOptions,
    },
    /// Steps that run side by side.
    Parallel(Vec<Step>),
    /// An INTERNAL span of the caller's service (no client span, no hop),
    /// with its own program (its protocol is [`Protocol::Internal`]).
    Internal {
        /// The span's program (same resource as the caller).
        program: Box<EndpointProgram>,
        /// Options (`retries` 0, no timeout).
        options: StepOptions,
    },
}

/// One endpoint of a service: the server (or consumer) span's program.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EndpointProgram {
    /// The service resource.
    pub resource: u32,
    /// Endpoint (and server span) name.
    pub name: StrId,
    /// Protocol.
    pub protocol: Protocol,
    /// Own processing time, seconds (split before, between and after steps).
    pub latency: Dist,
    /// Own failures.
    pub errors: ErrorModel,
    /// Constant attributes (attribute set).
    pub attrs: u32,
    /// Generated attributes, in declaration order.
    pub gen_attrs: Vec<GenAttr>,
    /// Steps, in order.
    pub steps: Vec<Step>,
    /// User-declared span events.
    pub events: Vec<EventDecl>,
    /// User-declared span links.
    pub links: Vec<LinkDecl>,
}

impl EndpointProgram {
    /// The span kind of the endpoint's own span.
    pub fn kind(&self) -> SpanKind {
        match self.protocol {
            Protocol::Consumer => SpanKind::Consumer,
            Protocol::Internal => SpanKind::Internal,
            _ => SpanKind::Server,
        }
    }
}

/// A root endpoint: where traffic enters.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Root {
    /// Index into `endpoints`.
    pub endpoint: u32,
    /// Share of all root traffic.
    pub weight: f64,
    /// Shape variants: 0 draws every trace's structure (`chance`, `repeat`)
    /// afresh; N > 0 draws it from one of N fixed shape seeds. Values
    /// (latencies, errors, attributes) are drawn per request either way.
    pub shapes: u32,
}

/// Everything the runtime needs to draw requests.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Calls {
    /// Every endpoint of every service.
    pub endpoints: Vec<EndpointProgram>,
    /// The root endpoints.
    pub roots: Vec<Root>,
    /// The network hop between a client span and its server span, each
    /// way, seconds.
    pub hop: Dist,
    /// How late each branch of a `parallel` block starts, seconds.
    pub stagger: Dist,
}

impl Default for Dist {
    fn default() -> Self {
        Dist::Constant(0.0)
    }
}

/// The point a fraction `u` (in `[0, 1)`) of the way from `lo` to `hi`:
/// a uniform draw given a uniform `u`. Finite even when `hi - lo`
/// overflows (`-1e308..1e308`); `lo` when the range is empty. The one
/// definition shared by the compiler's samples and the runtime's draws.
///
/// ```
/// assert_eq!(tsim_pack::uniform(1.0, 3.0, 0.5), 2.0);
/// assert!(tsim_pack::uniform(-1e308, 1e308, 0.999).is_finite());
/// ```
pub fn uniform(lo: f64, hi: f64, u: f64) -> f64 {
    if hi <= lo {
        return lo;
    }
    let v = if (hi - lo).is_finite() {
        lo + (hi - lo) * u
    } else {
        lo * (1.0 - u) + hi * u
    };
    v.min(hi)
}
