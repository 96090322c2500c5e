//! A drawn trace as the walker leaves it: spans with their times,
//! outcome, status, `error.type`, drawn attributes, user-declared events
//! and links, by site.

use tsim_pack::Status;

use super::grpc::GrpcCode;
use super::values::{DVal, Drawn};
use crate::timeline::Cause;

/// The most spans one trace may have; a larger draw is cut and counted.
pub const MAX_SPANS_PER_TRACE: usize = 1_000_000;
/// The deepest call chain walked; deeper calls are cut and counted.
pub const MAX_DEPTH: u32 = 256;
/// The longest duration one drawn latency may give a span (a day): a
/// heavier tail is held here and counted in the run's summary, so times
/// never overflow.
pub const MAX_SPAN_NS: u64 = 86_400_000_000_000;

/// Why a span failed, when `error.type` is not a drawn value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KnownError {
    /// The client gave up at its timeout.
    Timeout,
    /// An open circuit breaker (a cascade) failed the call fast.
    CircuitBreakerOpen,
    /// The endpoint failed on its own, with no declared type or status.
    Internal,
    /// A dependency failed, with no status code to report.
    Dependency,
    /// A database or queue failed, with no declared type.
    Backend,
    /// A gRPC status code (a failed RPC span's `error.type` is its code).
    Grpc(GrpcCode),
}

impl KnownError {
    /// The `error.type` text.
    pub fn as_str(self) -> &'static str {
        match self {
            KnownError::Timeout => "timeout",
            KnownError::CircuitBreakerOpen => "CircuitBreakerOpen",
            KnownError::Internal => "InternalError",
            KnownError::Dependency => "DependencyError",
            KnownError::Backend => "BackendError",
            KnownError::Grpc(c) => c.as_str(),
        }
    }
}

/// A span's `error.type`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ErrorType {
    /// A declared or injected type (text in the pack or the arena).
    Declared(DVal),
    /// An HTTP status code, written as text.
    Code(u16),
    /// One of tsim's own.
    Known(KnownError),
}

/// One drawn span, times relative to the trace's start.
#[derive(Clone, Debug, PartialEq)]
pub struct DrawnSpan {
    /// Its site in the plan.
    pub site: u32,
    /// Parent index in the trace, [`NONE`] for the root.
    pub parent: u32,
    /// The span it links to (a consumer's producer), [`NONE`] if none.
    pub link: u32,
    /// Instance of the emitting resource.
    pub instance: u32,
    /// Start.
    pub start_ns: u64,
    /// End.
    pub end_ns: u64,
    /// The span failed (any reason, 4xx included).
    pub failed: bool,
    /// OpenTelemetry status.
    pub status: Status,
    /// HTTP status code, when the span has one.
    pub code: Option<u16>,
    /// gRPC status code (`rpc.response.status_code`) of a gRPC span.
    pub rpc: Option<GrpcCode>,
    /// `url.full` of an HTTP client span: a range of [`Trace::text`].
    pub url: Option<(u32, u32)>,
    /// `error.type` when failed.
    pub error_type: Option<ErrorType>,
    /// The failure raised an exception (declared type): sinks add an event.
    pub exception: bool,
    /// Retry number (`http.request.resend_count`), 0 for the first try.
    pub resend: u32,
    /// Drawn attributes: a range of [`Trace::drawn`].
    pub drawn: (u32, u32),
    /// The timeline block occurrence that slowed or failed it.
    pub cause: Option<Cause>,
    /// User-declared events: a range of [`Trace::events`].
    pub events: (u32, u32),
    /// User-declared links: a range of [`Trace::links`].
    pub links: (u32, u32),
}

/// A user-declared span event that happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DrawnEvent {
    /// Which of the program's events.
    pub decl: u32,
    /// When, relative to the trace's start.
    pub at_ns: u64,
    /// Its drawn attributes: a range of [`Trace::drawn`].
    pub drawn: (u32, u32),
}

/// A user-declared span link that was drawn; the emitter resolves it to a
/// recent span of its endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DrawnLink {
    /// Which of the program's links.
    pub decl: u32,
    /// Which recent span of the ring (taken modulo how many it holds).
    pub pick: u32,
    /// Its drawn attributes: a range of [`Trace::drawn`].
    pub drawn: (u32, u32),
}

/// One drawn trace: spans in depth-first order, root first.
#[derive(Clone, Debug, Default)]
pub struct Trace {
    /// The spans.
    pub spans: Vec<DrawnSpan>,
    /// Drawn attributes of all spans.
    pub drawn: Vec<Drawn>,
    /// Text of drawn values.
    pub text: String,
    /// User-declared events of all spans.
    pub events: Vec<DrawnEvent>,
    /// User-declared links of all spans.
    pub links: Vec<DrawnLink>,
    /// The draw hit [`MAX_SPANS_PER_TRACE`] or [`MAX_DEPTH`] and was cut.
    pub truncated: bool,
    /// Spans whose drawn duration exceeded [`MAX_SPAN_NS`] and was held to it.
    pub capped: u32,
}

impl Trace {
    /// Empties the trace, keeping its buffers.
    pub fn clear(&mut self) {
        self.spans.clear();
        self.drawn.clear();
        self.text.clear();
        self.events.clear();
        self.links.clear();
        self.truncated = false;
        self.capped = 0;
    }
}
