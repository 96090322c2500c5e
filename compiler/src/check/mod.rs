//! Checking: turns the resolved syntax trees into the typed
//! [`Model`], reporting every problem found rather than stopping at the
//! first. Each submodule checks one part: values, services and the call
//! graph, metrics and logs, the timeline.

pub mod estimate;
mod fields;
mod graph;
mod limits;
mod logs;
mod scenario;
mod services;
mod spans;
mod telemetry;
mod timeline;
pub mod values;

use std::collections::BTreeMap;

use crate::ast::{Item, Prop, Value};
use crate::diagnostic::{Diagnostic, Kind};
use crate::model::{Attr, Model};
use crate::resolve::Program;
use crate::source::{SourceMap, Span};
use values::Values;

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
    /// (service, endpoint) of the endpoints declared `kind internal`.
    pub internal: std::collections::BTreeSet<(String, String)>,
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
                        if spans::declares_internal(e) {
                            self.names
                                .internal
                                .insert((s.name.node.clone(), e.name.node.clone()));
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
}
