//! Checking: turns the resolved syntax trees into the typed
//! [`Model`], reporting every problem found rather than stopping at the
//! first. Each submodule checks one part: values, services and the call
//! graph, metrics and logs, the timeline.

pub mod estimate;
mod graph;
mod limits;
mod services;
mod telemetry;
mod timeline;
pub mod values;

use std::collections::BTreeMap;

use crate::ast::{AttrBlock, Item, Prop, Unit, Value};
use crate::diagnostic::{Diagnostic, Kind};
use crate::model::{Attr, Model, Settings};
use crate::resolve::Program;
use crate::source::{SourceMap, Span};
use values::Values;

/// The most trace shapes (`variants`) a root endpoint may declare.
const MAX_VARIANTS: u64 = 1_000_000;

/// Checks a program; returns the model when there were no errors.
pub fn check(
    program: &Program,
    params: &BTreeMap<String, Value>,
    sources: &SourceMap,
) -> (Option<Model>, Vec<Diagnostic>) {
    let mut c = Checker {
        v: Values::new(params, sources),
        names: Names::default(),
        systems: BTreeMap::new(),
        backend_attrs: BTreeMap::new(),
    };
    let mut model = Model::default();
    let items: Vec<&Item> = program
        .files
        .iter()
        .flat_map(|(_, f)| f.items.iter())
        .collect();
    c.collect_names(&items);
    c.collect_backends(&items);
    let mut scenario_span: Option<Span> = None;
    for item in &items {
        match item {
            Item::Scenario(s) => {
                if let Some(first) = scenario_span {
                    let kind = Kind::DuplicateName {
                        what: "scenario".into(),
                        name: s.name.node.clone(),
                    };
                    c.v.diags.push(
                        Diagnostic::error(kind, s.name.span)
                            .with_label(first, "the first scenario"),
                    );
                    continue;
                }
                scenario_span = Some(s.name.span);
                model.settings = c.scenario(s);
            }
            Item::Resource(b) => model.resource.extend(c.attrs(b)),
            Item::Attributes(b) => model.attributes.extend(c.attrs(b)),
            Item::Service(s) => model.services.extend(c.service(s)),
            Item::Backend(b) => model.backends.extend(c.backend(b)),
            Item::Metric(m) => model.metrics.extend(c.metric(m)),
            Item::Family(f) => model.families.extend(c.family(f)),
            Item::SpanLogs(l) => model.span_logs.extend(c.span_logs(l)),
            Item::LogStream(l) => model.log_streams.extend(c.log_stream(l)),
            Item::Timeline(_) | Item::Import { .. } | Item::Param { .. } | Item::Select(_) => {}
        }
    }
    c.call_graph(&items);
    let timelines: Vec<_> = items
        .iter()
        .filter_map(|i| {
            if let Item::Timeline(t) = i {
                Some(t)
            } else {
                None
            }
        })
        .collect();
    model.timeline = c.timeline(&timelines, model.settings.duration);
    let mut diags = c.v.diags;
    if !diags
        .iter()
        .any(|d| d.severity == crate::diagnostic::Severity::Error)
    {
        diags.extend(limits::limits(&model, &items));
    }
    diags.sort_by_key(|d| (d.span.file, d.span.start, d.span.end));
    let ok = !diags
        .iter()
        .any(|d| d.severity == crate::diagnostic::Severity::Error);
    (ok.then_some(model), diags)
}

/// Every declared name and where it was declared.
#[derive(Default)]
pub(crate) struct Names {
    /// Service name -> (span, endpoint names -> span).
    pub services: BTreeMap<String, (Span, BTreeMap<String, Span>)>,
    /// Database name -> (span, system).
    pub databases: BTreeMap<String, Span>,
    /// Queue name -> span.
    pub queues: BTreeMap<String, Span>,
    /// Metric names.
    pub metrics: BTreeMap<String, Span>,
}

pub(crate) struct Checker<'a> {
    pub v: Values<'a>,
    pub names: Names,
    /// Backend name -> its `system`.
    pub systems: BTreeMap<String, String>,
    /// Backend name -> its span attributes.
    pub backend_attrs: BTreeMap<String, Vec<Attr>>,
}

impl Checker<'_> {
    fn duplicate(&mut self, what: &str, name: &str, span: Span, first: Span) {
        let kind = Kind::DuplicateName {
            what: what.into(),
            name: name.into(),
        };
        self.v
            .diags
            .push(Diagnostic::error(kind, span).with_label(first, "first defined here"));
    }

    fn collect_names(&mut self, items: &[&Item]) {
        for item in items {
            match item {
                Item::Service(s) => {
                    let mut eps = BTreeMap::new();
                    for e in &s.endpoints {
                        if let Some(first) = eps.get(&e.name.node) {
                            self.duplicate("endpoint", &e.name.node, e.name.span, *first);
                        } else {
                            eps.insert(e.name.node.clone(), e.name.span);
                        }
                    }
                    let clash = self.names.services.get(&s.name.node).map(|x| x.0);
                    match clash.or_else(|| self.names.databases.get(&s.name.node).copied()) {
                        Some(first) => self.duplicate("service", &s.name.node, s.name.span, first),
                        None => {
                            self.names
                                .services
                                .insert(s.name.node.clone(), (s.name.span, eps));
                        }
                    }
                }
                Item::Backend(b) => {
                    let what = if b.kind == crate::ast::BackendKind::Queue {
                        "queue"
                    } else {
                        "database"
                    };
                    let first = self
                        .names
                        .databases
                        .get(&b.name.node)
                        .or_else(|| self.names.queues.get(&b.name.node))
                        .or_else(|| self.names.services.get(&b.name.node).map(|x| &x.0))
                        .copied();
                    match first {
                        Some(first) => self.duplicate(what, &b.name.node, b.name.span, first),
                        None if what == "queue" => {
                            self.names.queues.insert(b.name.node.clone(), b.name.span);
                        }
                        None => {
                            self.names
                                .databases
                                .insert(b.name.node.clone(), b.name.span);
                        }
                    }
                }
                Item::Metric(m) => match self.names.metrics.get(&m.name.node) {
                    Some(first) => self.duplicate("metric", &m.name.node, m.name.span, *first),
                    None => {
                        self.names.metrics.insert(m.name.node.clone(), m.name.span);
                    }
                },
                Item::Family(f) => {
                    for name in telemetry::family_metric_names(&f.kind.node) {
                        self.names
                            .metrics
                            .entry(name.to_string())
                            .or_insert(f.kind.span);
                    }
                }
                _ => {}
            }
        }
    }

    /// Indexes props by keyword, reporting repeats.
    pub fn props<'p>(&mut self, props: &'p [Prop]) -> BTreeMap<&'p str, &'p Prop> {
        let mut out: BTreeMap<&str, &Prop> = BTreeMap::new();
        for p in props {
            if let Some(first) = out.get(p.key.node.as_str()) {
                let kind = Kind::DuplicateStatement {
                    statement: p.key.node.clone(),
                };
                self.v.diags.push(
                    Diagnostic::error(kind, p.span).with_label(first.span, "first given here"),
                );
                continue;
            }
            out.insert(&p.key.node, p);
        }
        out
    }

    /// The value of prop `key`, if present.
    pub fn value<'p>(props: &BTreeMap<&str, &'p Prop>, key: &str) -> Option<&'p Value> {
        props.get(key).and_then(|p| p.value.as_ref())
    }

    fn scenario(&mut self, s: &crate::ast::Scenario) -> Settings {
        let mut out = Settings {
            name: s.name.node.clone(),
            ..Settings::default()
        };
        let props = self.props(&s.props);
        if let Some(v) = Self::value(&props, "description") {
            out.description = self.v.string(v).unwrap_or_default();
        }
        if let Some(v) = Self::value(&props, "seed") {
            out.seed = self.v.count(v, "the seed", 0).unwrap_or(out.seed);
        }
        if let Some(v) = Self::value(&props, "duration") {
            out.duration = self
                .v
                .positive_duration(v, "the duration")
                .unwrap_or(out.duration);
        }
        if let Some(v) = Self::value(&props, "tick") {
            if let Some(t) = self.v.positive_duration(v, "the tick") {
                // The runtime steps at least 1 ms at a time; a shorter tick
                // would silently become 1 ms.
                if t < 1e-3 {
                    self.v
                        .out_of_range(v, "the tick", "1ms up to 36500d (100 years)");
                } else {
                    out.tick = t;
                }
            }
        }
        out.variants = self.variants(Self::value(&props, "variants"));
        out.hop =
            Self::value(&props, "hop").and_then(|v| self.v.dist(v, Unit::Duration, "the hop"));
        if let Some(v) = Self::value(&props, "start") {
            if let Some(d) = self.v.deref(v) {
                match d.node {
                    crate::ast::ValueKind::Instant { secs, nanos } => {
                        if run_fits(secs, nanos, out.duration) {
                            out.start = Some((secs, nanos));
                        } else {
                            self.v.out_of_range(
                                &d,
                                "the start",
                                "instants from 1677-09-21T00:12:44Z to 2262-04-11T23:47:16Z, \
                                 the whole run (start plus duration) inside them",
                            );
                        }
                    }
                    _ => {
                        let found = self.v.describe(&d);
                        let hint =
                            Some("write an RFC 3339 instant such as `2026-01-05T00:00:00Z`".into());
                        self.v.error(
                            Kind::UnitMismatch {
                                expected: "an instant".into(),
                                found,
                                hint,
                            },
                            d.span,
                        );
                    }
                }
            }
        }
        for (i, t) in s.traffic.iter().enumerate() {
            if i > 0 {
                let kind = Kind::DuplicateStatement {
                    statement: "traffic".into(),
                };
                self.v.diags.push(
                    Diagnostic::error(kind, t.span)
                        .with_label(s.traffic[0].span, "first given here"),
                );
                continue;
            }
            out.traffic = self.traffic(t);
        }
        out
    }

    fn traffic(&mut self, t: &crate::ast::Traffic) -> crate::model::Traffic {
        let mut out = crate::model::Traffic::default();
        let props = self.props(&t.props);
        if let Some(v) = Self::value(&props, "rate") {
            out.rate = self.v.rate(v, "the traffic rate").unwrap_or(out.rate);
        }
        if let Some(v) = Self::value(&props, "timezone") {
            if let Some(name) = self.v.string(v) {
                if valid_timezone(&name) {
                    out.timezone = name;
                } else {
                    let names: Vec<String> =
                        jiff::tz::db().available().map(|n| n.to_string()).collect();
                    let suggestion =
                        crate::suggest::closest(&name, names.iter().map(String::as_str));
                    self.v.error(Kind::BadTimezone { name, suggestion }, v.span);
                }
            }
        }
        if let Some(v) = Self::value(&props, "peaks") {
            if let crate::ast::ValueKind::List(ws) = &v.node {
                for w in ws {
                    if let crate::ast::ValueKind::Window(a, b) = w.node {
                        if a >= b {
                            let text = self.v.text(w.span);
                            let (low, high) = text.split_once('-').unwrap_or((&text, ""));
                            self.v.error(
                                Kind::EmptyRange {
                                    low: low.into(),
                                    high: high.into(),
                                },
                                w.span,
                            );
                        } else {
                            out.peaks.push((a, b));
                        }
                    }
                }
            }
        }
        if let Some(v) = Self::value(&props, "night") {
            out.night = self.v.share(v, "the night level").unwrap_or(out.night);
        }
        if let Some(v) = Self::value(&props, "weekend") {
            out.weekend = self.v.share(v, "the weekend level").unwrap_or(out.weekend);
        }
        out
    }

    /// Reads an attribute block, reporting repeated keys.
    pub fn attrs(&mut self, b: &AttrBlock) -> Vec<Attr> {
        let mut out: Vec<Attr> = Vec::new();
        let mut seen: BTreeMap<&str, Span> = BTreeMap::new();
        for a in &b.assigns {
            if let Some(first) = seen.get(a.key.node.as_str()) {
                self.duplicate("attribute", &a.key.node, a.key.span, *first);
                continue;
            }
            seen.insert(&a.key.node, a.key.span);
            if let Some(g) = self.v.generator(&a.value) {
                out.push(Attr {
                    key: a.key.node.clone(),
                    value: g,
                });
            }
        }
        out
    }

    /// Reads several attribute blocks of one kind into one list.
    pub fn all_attrs(&mut self, blocks: &[AttrBlock], kind: crate::ast::AttrKind) -> Vec<Attr> {
        blocks
            .iter()
            .filter(|b| b.kind == kind)
            .flat_map(|b| self.attrs(b))
            .collect()
    }

    /// An `errors` prop: share, status and type.
    pub fn errors(&mut self, p: Option<&&Prop>) -> crate::model::Errors {
        let mut out = crate::model::Errors::default();
        let Some(p) = p else { return out };
        if let Some(v) = &p.value {
            out.rate = self.v.share(v, "the error rate").unwrap_or(0.0);
        }
        let opts = self.props(&p.options);
        if let Some(v) = Self::value(&opts, "status") {
            out.status = self.status(v);
        }
        if let Some(v) = Self::value(&opts, "type") {
            out.error_type = self.v.generator(v);
        }
        out
    }

    /// The status-code generator of a failure: a code or a pick of codes,
    /// each an error status (400..=599).
    pub fn status(&mut self, v: &Value) -> Option<crate::model::Generator> {
        let g = self.v.generator(v)?;
        let codes: Vec<&crate::model::Scalar> = match &g {
            crate::model::Generator::Const(s) => vec![s],
            crate::model::Generator::Pick(e) => e.iter().map(|(s, _)| s).collect(),
            _ => Vec::new(),
        };
        let ints = !codes.is_empty()
            && codes
                .iter()
                .all(|s| matches!(s, crate::model::Scalar::Int(_)));
        if !ints {
            self.v
                .out_of_range(v, "the status", "HTTP codes 400 to 599, or a pick of them");
            return None;
        }
        // Where each code was written: the value itself, or a pick's keys.
        let spans: Vec<Span> = match self.v.deref(v).map(|d| d.node) {
            Some(crate::ast::ValueKind::Pick(entries)) => {
                entries.iter().map(|(k, _)| k.span).collect()
            }
            _ => vec![v.span],
        };
        let mut ok = true;
        for (i, s) in codes.iter().enumerate() {
            let crate::model::Scalar::Int(c) = s else {
                continue;
            };
            if !(400..=599).contains(c) {
                let span = spans.get(i).copied().unwrap_or(v.span);
                self.v.error(
                    Kind::BadStatus {
                        code: c.to_string(),
                    },
                    span,
                );
                ok = false;
            }
        }
        ok.then_some(g)
    }

    /// A `variants N` count of trace shapes, when declared.
    pub fn variants(&mut self, v: Option<&Value>) -> Option<u32> {
        let n = self.v.count_in(v?, "the variant count", 1, MAX_VARIANTS)?;
        u32::try_from(n).ok()
    }

    /// A latency distribution (seconds).
    pub fn latency(&mut self, v: Option<&Value>, default: f64) -> crate::model::Dist {
        use crate::model::Dist;
        let Some(v) = v else {
            return Dist::Constant(default);
        };
        let Some(d) = self.v.dist(v, Unit::Duration, "the latency") else {
            return Dist::Constant(default);
        };
        // A span lasts at most a day (the runtime holds longer draws there
        // and counts them); a distribution whose typical value is longer
        // would be held nearly always, so it is refused here.
        let typical = match &d {
            Dist::Constant(x) => *x,
            Dist::Uniform { max, .. } => *max,
            Dist::Normal { mean, .. } => *mean,
            Dist::LogNormal { mu, .. } => mu.exp(),
            Dist::Exponential { mean } => *mean,
            Dist::Pareto { scale, .. } => *scale,
            Dist::Pick(entries) => entries.iter().map(|(x, _)| *x).fold(0.0, f64::max),
        };
        if typical.is_nan() || typical > MAX_LATENCY_S {
            self.v
                .out_of_range(v, "the latency", "up to 1d (a span lasts at most a day)");
            return Dist::Constant(default);
        }
        d
    }
}

/// The longest typical latency: a day, the runtime's limit on one span.
const MAX_LATENCY_S: f64 = 86_400.0;

/// Accepts `UTC`/`GMT`, fixed offsets such as `+02:00`, and names in the
/// IANA time-zone database bundled with jiff (the one the runtime uses).
/// Whether a run from `secs`.`nanos` (Unix time) lasting `duration`
/// seconds has every instant representable as signed 64-bit Unix
/// nanoseconds (what OTLP and the runtime carry): 1677 to 2262.
fn run_fits(secs: i64, nanos: u32, duration: f64) -> bool {
    let start = secs
        .checked_mul(1_000_000_000)
        .and_then(|s| s.checked_add(i64::from(nanos)));
    let length = duration * 1e9;
    match start {
        Some(s) if (0.0..9.2e18).contains(&length) => s.checked_add(length as i64).is_some(),
        _ => false,
    }
}

fn valid_timezone(name: &str) -> bool {
    if matches!(name, "UTC" | "GMT" | "Etc/UTC") {
        return true;
    }
    if let Some(rest) = name.strip_prefix(['+', '-']) {
        return rest.len() == 5 && crate::syntax::parse_offset(rest).is_some();
    }
    jiff::tz::TimeZone::get(name).is_ok()
}
