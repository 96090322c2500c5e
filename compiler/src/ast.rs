//! The syntax tree of one `.tsim` file. It mirrors what was written, with
//! a span on every node; names are not resolved and values are not yet
//! checked for units or ranges (that is `check`'s job, which turns this
//! tree into the typed [`crate::model::Model`]).

use serde::Serialize;

use crate::source::{Span, Spanned};

/// A spanned string.
pub type Name = Spanned<String>;

/// One parsed file.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct File {
    /// Its top-level items, in source order.
    pub items: Vec<Item>,
}

/// A top-level item.
#[derive(Clone, Debug, Serialize, PartialEq)]
#[serde(tag = "item")]
pub enum Item {
    /// `import "path"`.
    Import {
        /// The path, relative to the importing file.
        path: Name,
        /// The whole item.
        span: Span,
    },
    /// `param name = value`.
    Param {
        /// Its name.
        name: Name,
        /// Its default value.
        value: Value,
        /// The whole item.
        span: Span,
    },
    /// `scenario "name" { ... }`.
    Scenario(Scenario),
    /// `select $param { "name" { ... } ... }`: named presets.
    Select(Select),
    /// `resource { ... }` at top level: attributes of every service.
    Resource(AttrBlock),
    /// `attributes { ... }` at top level: attributes of every span.
    Attributes(AttrBlock),
    /// `service "name" { ... }`.
    Service(Service),
    /// `database "name" { ... }` or `queue "name" { ... }`.
    Backend(Backend),
    /// `metric "name" kind ...`.
    Metric(Metric),
    /// `family kind { ... }`.
    Family(Family),
    /// `logs from spans { ... }`.
    SpanLogs(SpanLogs),
    /// `logs "name" { ... }`.
    LogStream(LogStream),
    /// `timeline { ... }`.
    Timeline(Timeline),
}

/// `select $variant { "normal" { ... } "load-test" { ... } }`: the
/// resolver keeps the items of the arm the param names and drops the rest.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Select {
    /// The param that chooses (`variant` for `$variant`).
    pub param: Name,
    /// The arms, in source order.
    pub arms: Vec<Arm>,
    /// The whole item.
    pub span: Span,
}

/// One arm of a `select`: a name and the items it stands for.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Arm {
    /// Its name, the value the param must hold to choose it.
    pub name: Name,
    /// Its items: params (which override the file's defaults) and any
    /// top-level item but `import`, `scenario` and `select`.
    pub items: Vec<Item>,
}

/// A keyword statement with its value and options: `errors 1% status 503`.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Prop {
    /// The keyword.
    pub key: Name,
    /// Its value, when it takes one.
    pub value: Option<Value>,
    /// Options that follow the value (`status 503`, `chance 30%`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<Prop>,
    /// The whole statement.
    pub span: Span,
}

/// Which attribute block.
#[derive(Clone, Copy, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum AttrKind {
    /// `resource { }`.
    Resource,
    /// `attributes { }`.
    Attributes,
    /// `labels { }`.
    Labels,
    /// `body { }`: a structured log body.
    Body,
}

/// `resource { k = v }`, `attributes { ... }`, `labels { ... }`.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct AttrBlock {
    /// Which block.
    pub kind: AttrKind,
    /// Its assignments in order.
    pub assigns: Vec<Assign>,
    /// The whole block.
    pub span: Span,
}

/// `key = value`.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Assign {
    /// The attribute name.
    pub key: Name,
    /// Its generator.
    pub value: Value,
    /// The whole assignment.
    pub span: Span,
}

/// `scenario "name" { ... }`.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Scenario {
    /// Its name.
    pub name: Name,
    /// `seed`, `duration`, `tick`, `start`, `description`, `variants`, `hop`.
    pub props: Vec<Prop>,
    /// `traffic { ... }` blocks (one is allowed).
    pub traffic: Vec<Traffic>,
    /// The whole item.
    pub span: Span,
}

/// `traffic { ... }`.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Traffic {
    /// `rate`, `timezone`, `peaks`, `night`, `weekend`.
    pub props: Vec<Prop>,
    /// The whole block.
    pub span: Span,
}

/// `service "name" { ... }`.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Service {
    /// Its name.
    pub name: Name,
    /// `version`, `instances`.
    pub props: Vec<Prop>,
    /// `resource` and `attributes` blocks.
    pub blocks: Vec<AttrBlock>,
    /// Its endpoints.
    pub endpoints: Vec<Endpoint>,
    /// The whole item.
    pub span: Span,
}

/// `endpoint "name" { ... }`.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Endpoint {
    /// Its name, e.g. `GET /checkout`.
    pub name: Name,
    /// `weight`, `latency`, `errors`.
    pub props: Vec<Prop>,
    /// `attributes` blocks.
    pub blocks: Vec<AttrBlock>,
    /// `consume "queue" "topic"` triggers.
    pub consumes: Vec<Consume>,
    /// Downstream steps in order.
    pub steps: Vec<Step>,
    /// `event "name" { ... }` span events.
    pub events: Vec<SpanEvent>,
    /// `link "service" "endpoint"` span links.
    pub links: Vec<SpanLink>,
    /// The whole item.
    pub span: Span,
}

/// `event "cache.miss" { chance 20%  attributes { ... } }`.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct SpanEvent {
    /// The event's name.
    pub name: Name,
    /// `chance`.
    pub props: Vec<Prop>,
    /// `attributes` blocks.
    pub blocks: Vec<AttrBlock>,
    /// The whole statement.
    pub span: Span,
}

/// `link "service" "endpoint" { chance 50%  attributes { ... } }`.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct SpanLink {
    /// The linked service.
    pub service: Name,
    /// Its endpoint.
    pub endpoint: Name,
    /// `chance`.
    pub props: Vec<Prop>,
    /// `attributes` blocks.
    pub blocks: Vec<AttrBlock>,
    /// The whole statement.
    pub span: Span,
}

/// `consume "queue" "topic"`.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Consume {
    /// The queue.
    pub queue: Name,
    /// The topic.
    pub topic: Name,
    /// The whole statement.
    pub span: Span,
}

/// What a step does.
#[derive(Clone, Copy, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum StepKind {
    /// `call "service" "endpoint"`.
    Call,
    /// `query "database" "statement"`.
    Query,
    /// `publish "queue" "topic"`.
    Publish,
}

/// A downstream step of an endpoint.
#[derive(Clone, Debug, Serialize, PartialEq)]
#[serde(tag = "step")]
pub enum Step {
    /// A call, query or publish.
    Single {
        /// Which.
        kind: StepKind,
        /// The service, database or queue.
        target: Name,
        /// The endpoint, statement or topic.
        operation: Name,
        /// `chance`, `retries`, `timeout`, `repeat`, `on_error`.
        options: Vec<Prop>,
        /// The whole statement.
        span: Span,
    },
    /// `parallel { ... }`.
    Parallel {
        /// Steps that run at the same time.
        steps: Vec<Step>,
        /// The whole block.
        span: Span,
    },
    /// `internal "name" { ... }`: an INTERNAL span; its body is read like
    /// an endpoint's (its props also hold the step options).
    Internal(Box<Endpoint>),
}

/// Database or queue.
#[derive(Clone, Copy, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum BackendKind {
    /// `database`.
    Database,
    /// `queue`.
    Queue,
}

/// `database "name" { ... }` or `queue "name" { ... }`.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Backend {
    /// Which.
    pub kind: BackendKind,
    /// Its name.
    pub name: Name,
    /// `system`, `latency`, `errors`, `version`, `instances`.
    pub props: Vec<Prop>,
    /// `resource` and `attributes` blocks.
    pub blocks: Vec<AttrBlock>,
    /// The whole item.
    pub span: Span,
}

/// `metric "name" kind [per scope] ...`.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Metric {
    /// Its name.
    pub name: Name,
    /// `counter`, `gauge`, `updown` or `histogram`.
    pub kind: Name,
    /// `per instance` and the like.
    pub per: Option<Name>,
    /// `from spans [of "service"]`.
    pub from_spans: Option<FromSpans>,
    /// `unit`, `description`, `series`, `buckets`, `walk`, `within`, `rate`.
    pub props: Vec<Prop>,
    /// `labels` blocks.
    pub labels: Vec<AttrBlock>,
    /// The whole item.
    pub span: Span,
}

/// `from spans [of "service"]`.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct FromSpans {
    /// Only this service's spans, when given.
    pub of: Option<Name>,
    /// The clause.
    pub span: Span,
}

/// `family kind { ... }`.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Family {
    /// `host` or `kubernetes`.
    pub kind: Name,
    /// Its settings.
    pub settings: Vec<Prop>,
    /// Extra `labels` that multiply the series.
    pub labels: Vec<AttrBlock>,
    /// The whole item.
    pub span: Span,
}

/// `logs from spans { ... }`.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct SpanLogs {
    /// `access` and `errors` rules.
    pub rules: Vec<SpanLogRule>,
    /// The whole item.
    pub span: Span,
}

/// `access ...` or `errors ...` inside `logs from spans`.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct SpanLogRule {
    /// `access` or `errors`.
    pub kind: Name,
    /// `level`, `message`.
    pub options: Vec<Prop>,
    /// `attributes` blocks.
    pub blocks: Vec<AttrBlock>,
    /// The whole rule.
    pub span: Span,
}

/// `logs "name" { ... }`.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct LogStream {
    /// Its name.
    pub name: Name,
    /// `service`, `rate`, `level`, `message`, `variants`.
    pub props: Vec<Prop>,
    /// `attributes` blocks.
    pub blocks: Vec<AttrBlock>,
    /// The whole item.
    pub span: Span,
}

/// `timeline { ... }`.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Timeline {
    /// Entries in source order.
    pub entries: Vec<Entry>,
    /// The whole item.
    pub span: Span,
}

/// When a timeline entry applies.
#[derive(Clone, Debug, Serialize, PartialEq)]
#[serde(tag = "when")]
pub enum When {
    /// `at T [ramp R] [for D]`.
    At {
        /// Offset from the start.
        at: Value,
        /// Ramp-up time.
        ramp: Option<Value>,
        /// How long it lasts.
        #[serde(rename = "for")]
        for_: Option<Value>,
        /// The clause.
        span: Span,
    },
    /// `every P [for D]`.
    Every {
        /// The period (`~5m` for jitter).
        every: Value,
        /// How long each occurrence lasts.
        #[serde(rename = "for")]
        for_: Option<Value>,
        /// The clause.
        span: Span,
    },
}

/// One timeline entry.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Entry {
    /// When.
    pub when: When,
    /// `outage`, `degradation`, `spike`, ...
    pub action: Name,
    /// The service, database, queue or metric affected.
    pub target: Option<Name>,
    /// `x3`, `x1 -> x5`, `+20%`.
    pub magnitude: Option<Value>,
    /// `errors`, `latency`, `version`, `fails`, ...
    pub overrides: Vec<Prop>,
    /// The whole entry.
    pub span: Span,
}

/// What kind of number a quantity is.
#[derive(Clone, Copy, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Unit {
    /// A plain number.
    Number,
    /// A duration, stored in seconds.
    Duration,
    /// A rate, stored per second.
    Rate,
    /// A size, stored in bytes.
    Size,
    /// A percentage, stored as written (`20%` is 20).
    Percent,
    /// A multiplier, stored as the factor.
    Multiplier,
}

/// A literal number with its unit, in base units.
#[derive(Clone, Copy, Debug, Serialize, PartialEq)]
pub struct Quantity {
    /// Its unit.
    pub unit: Unit,
    /// Its value in base units.
    pub value: f64,
    /// True when written with an explicit `+` (a relative change).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub signed: bool,
}

/// A value expression with its span.
pub type Value = Spanned<ValueKind>;

/// A value expression as written.
#[derive(Clone, Debug, Serialize, PartialEq)]
#[serde(tag = "kind", content = "of", rename_all = "snake_case")]
pub enum ValueKind {
    /// `40ms`, `200/s`, `20%`, `x8`, `3`.
    Quantity(Quantity),
    /// `~5m`.
    Approx(Quantity),
    /// `"text"` (escapes decoded).
    Str(String),
    /// `true` or `false`.
    Bool(bool),
    /// A bare word: `postgresql`, `ERROR`.
    Ident(String),
    /// `$name`.
    Param(String),
    /// `2026-01-05T09:00:00Z`, as Unix seconds and nanoseconds.
    Instant {
        /// Seconds since the Unix epoch.
        secs: i64,
        /// Nanoseconds within the second.
        nanos: u32,
    },
    /// `09:30`, as seconds since midnight.
    TimeOfDay(u32),
    /// `09:00-12:00`.
    Window(u32, u32),
    /// `a..b`.
    Range(Box<Value>, Box<Value>),
    /// `a -> b`.
    Ramp(Box<Value>, Box<Value>),
    /// `pick { key: weight, ... }`.
    Pick(Vec<(Value, Value)>),
    /// `name(arg, name: arg)`.
    Call {
        /// The function.
        name: Name,
        /// Its arguments.
        args: Vec<Arg>,
    },
    /// `[a, b, c]`.
    List(Vec<Value>),
}

/// One argument of a call.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Arg {
    /// The name, when given.
    pub name: Option<Name>,
    /// The value.
    pub value: Value,
}
