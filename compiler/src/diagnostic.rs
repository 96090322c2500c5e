//! Diagnostics as plain data: what went wrong ([`Kind`]), where ([`Span`]),
//! and secondary labels. Rendering to miette and to JSON records lives in
//! `render.rs`; this module only describes.

use serde::Serialize;

use crate::source::Span;

/// How bad a diagnostic is. Only errors make `tsim check` fail.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Suspicious but accepted.
    Warning,
    /// The scenario cannot be used.
    Error,
}

/// A secondary place worth pointing at ("first defined here").
#[derive(Clone, Debug, PartialEq)]
pub struct Label {
    /// Where.
    pub span: Span,
    /// What to say there.
    pub text: String,
}

/// One problem found in the sources.
#[derive(Clone, Debug, PartialEq)]
pub struct Diagnostic {
    /// What is wrong.
    pub kind: Kind,
    /// Where it is wrong.
    pub span: Span,
    /// Other places involved.
    pub labels: Vec<Label>,
    /// Error or warning.
    pub severity: Severity,
}

impl Diagnostic {
    /// An error of `kind` at `span`.
    pub fn error(kind: Kind, span: Span) -> Self {
        Diagnostic {
            kind,
            span,
            labels: Vec::new(),
            severity: Severity::Error,
        }
    }

    /// A warning of `kind` at `span`.
    pub fn warning(kind: Kind, span: Span) -> Self {
        Diagnostic {
            kind,
            span,
            labels: Vec::new(),
            severity: Severity::Warning,
        }
    }

    /// Adds a secondary label.
    pub fn with_label(mut self, span: Span, text: impl Into<String>) -> Self {
        self.labels.push(Label {
            span,
            text: text.into(),
        });
        self
    }
}

/// Declares [`Kind`] with a stable code per variant and the list of codes.
macro_rules! kinds {
    ($( $(#[$doc:meta])* $name:ident { $($field:ident : $ty:ty),* $(,)? } => $code:literal, )*) => {
        /// Every kind of problem the compiler reports. Each variant's doc
        /// shows an input that triggers it; its code is stable.
        #[derive(Clone, Debug, PartialEq)]
        pub enum Kind {
            $( $(#[$doc])* $name { $( #[allow(missing_docs)] $field: $ty ),* }, )*
        }

        impl Kind {
            /// The stable code, such as `tsim::unknown_service`.
            pub fn code(&self) -> &'static str {
                match self { $( Kind::$name { .. } => concat!("tsim::", $code), )* }
            }
        }

        /// Every code, in declaration order.
        pub const ALL_CODES: &[&str] = &[ $( concat!("tsim::", $code), )* ];
    };
}

kinds! {
    /// `service "a" { version }`: the text does not fit the grammar.
    Syntax { expected: String, found: String, suggestion: Option<String> } => "syntax",
    /// `latency 12.5.3ms`, `at 25:00`, `"bad \q escape"`: a literal that cannot be read.
    BadLiteral { what: String, reason: String } => "bad_literal",
    /// `call "user-servce" "GET /users"`.
    UnknownService { name: String, suggestion: Option<String> } => "unknown_service",
    /// `call "user-service" "GET /user"` where the service has no such endpoint.
    UnknownEndpoint { service: String, name: String, suggestion: Option<String> } => "unknown_endpoint",
    /// `query "postgress" "SELECT 1"`.
    UnknownDatabase { name: String, suggestion: Option<String> } => "unknown_database",
    /// `publish "kafak" "orders"`.
    UnknownQueue { name: String, suggestion: Option<String> } => "unknown_queue",
    /// `every 5m spike "system.cpu.utilisation" x3` with no such metric.
    UnknownMetric { name: String, suggestion: Option<String> } => "unknown_metric",
    /// `at 1m outage "nothing"`: not a service, database or queue.
    UnknownTarget { name: String, expected: String, suggestion: Option<String> } => "unknown_target",
    /// `rate $rat` with no `param rat`.
    UnknownParam { name: String, suggestion: Option<String> } => "unknown_param",
    /// `latency lognorm(median: 1ms, p99: 5ms)`.
    UnknownFunction { name: String, expected: String, suggestion: Option<String> } => "unknown_function",
    /// `normal(mean: 1ms, sigma: 1ms)`.
    UnknownArgument { function: String, name: String, expected: String, suggestion: Option<String> } => "unknown_argument",
    /// `normal(mean: 1ms)`.
    MissingArgument { function: String, name: String } => "missing_argument",
    /// `normal(1ms, 2ms, 3ms)` or `normal(mean: 1ms, mean: 2ms)`.
    ExtraArgument { function: String, reason: String } => "extra_argument",
    /// `family host { hots 3 }`.
    UnknownSetting { family: String, name: String, expected: String, suggestion: Option<String> } => "unknown_setting",
    /// `family mainframe { }`.
    UnknownFamily { name: String, suggestion: Option<String> } => "unknown_family",
    /// `metric "m" gauge per galaxy`.
    UnknownScope { name: String, suggestion: Option<String> } => "unknown_scope",
    /// `kind client` on an endpoint, or `kind consumer` with no `consume`.
    BadSpanKind { found: String, hint: String } => "bad_span_kind",
    /// `call "a" "b" on_error skip`: not `fail` or `ignore`.
    UnknownOnError { name: String, suggestion: Option<String> } => "unknown_on_error",
    /// `select $variant { ... }` where `$variant` names none of the arms.
    UnknownChoice { param: String, value: String, arms: String, suggestion: Option<String> } => "unknown_choice",
    /// `select $n { ... }` where `n` is not a param holding a quoted string.
    BadChoiceParam { param: String, reason: String } => "bad_choice_param",
    /// `param x = 1  --set y=2` with no param `y`.
    BadOverride { text: String, reason: String } => "bad_override",
    /// Two `service "api"` items.
    DuplicateName { what: String, name: String } => "duplicate_name",
    /// `endpoint "e" { latency 1ms latency 2ms }`.
    DuplicateStatement { statement: String } => "duplicate_statement",
    /// `metric "m" gauge from spans { walk brownian(...) }`.
    ConflictingStatements { first: String, second: String } => "conflicting_statements",
    /// `metric "m" gauge { }`: a needed statement is absent.
    MissingStatement { what: String, statement: String, example: String } => "missing_statement",
    /// `a` calls `b` calls `a`.
    CallCycle { cycle: String } => "call_cycle",
    /// `latency 200/s`: a value of the wrong kind.
    UnitMismatch { expected: String, found: String, hint: Option<String> } => "unit_mismatch",
    /// `errors 120%`, `latency -5ms`, `instances 0`.
    OutOfRange { what: String, value: String, allowed: String } => "out_of_range",
    /// `lognormal(median: 300ms, p99: 40ms)`.
    QuantileOrder { low: String, high: String } => "quantile_order",
    /// `pick { "a": 0, "b": 0 }` or endpoint weights that sum to zero.
    ZeroWeights { what: String } => "zero_weights",
    /// Endpoint weights in one service summing to more than 100%.
    WeightsExceedTotal { service: String, total: String } => "weights_exceed_total",
    /// `within 1..0`, `uniform(5ms, 1ms)`.
    EmptyRange { low: String, high: String } => "empty_range",
    /// `buckets [1, 0.5]`.
    UnsortedBuckets { previous: String, next: String } => "unsorted_buckets",
    /// `at 3h for 10m` in a 2h scenario.
    WindowOutsideRun { end: String, duration: String } => "window_outside_run",
    /// Two overlapping outages of `postgres` that set different error rates.
    ConflictingIncidents { target: String, property: String } => "conflicting_incidents",
    /// `deploy` without a service.
    MissingTarget { action: String, example: String } => "missing_target",
    /// `every 1ns for 1ns outage "api"`: occurrences closer than a second apart.
    PeriodTooShort { period: String } => "period_too_short",
    /// `at 1m config "api" { errors 50% }`: an override with no window to act in.
    MissingLength { what: String, example: String } => "missing_length",
    /// `errors 20% status 200`: a failure with a status code that is not an error.
    BadStatus { code: String } => "bad_status",
    /// 65 nested `parallel` blocks, or calls 65 endpoints deep.
    TooDeep { what: String, depth: usize, unit: String, limit: usize, hint: String } => "too_deep",
    /// `traffic { rate 1e9/s }`, `family host { hosts 1000000000 }`: more
    /// work or memory than the documented limits.
    TooBig { what: String, size: String, limit: String, hint: String } => "too_big",
    /// `spike "cpu"` without `x3`.
    MissingMagnitude { action: String, example: String } => "missing_magnitude",
    /// `spike "cpu" x3 { version "1" }`.
    UnsupportedOverride { action: String, property: String, allowed: String } => "unsupported_override",
    /// `"user-{n:0x}"`: a pattern that cannot be expanded.
    BadPattern { reason: String } => "bad_pattern",
    /// `message "failed: {error.type}"` on a stream without an always-present `error.type`.
    UnfilledPlaceholder { name: String, message: String, maybe: bool } => "unfilled_placeholder",
    /// `timezone "Mars/Olympus"`.
    BadTimezone { name: String, suggestion: Option<String> } => "bad_timezone",
    /// `param a = $b` and `param b = $a`.
    ParamCycle { chain: String } => "param_cycle",
    /// `a.tsim` imports `b.tsim` imports `a.tsim`.
    ImportCycle { chain: String } => "import_cycle",
    /// `import "nope.tsim"`.
    MissingFile { path: String, reason: String } => "missing_file",
    /// A FIFO, a device, a 20 MB file, or a file that is not UTF-8.
    UnreadableFile { path: String, reason: String } => "unreadable_file",
    /// `service "idle" { }`: declared but can never emit anything.
    EmptyService { name: String } => "empty_service",
}
