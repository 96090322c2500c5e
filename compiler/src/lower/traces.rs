//! Trace templates: for each root endpoint (one nobody calls and that
//! consumes no topic), many pre-sampled span trees. A tree is built by
//! walking the endpoint's steps: own latency split around the steps,
//! sequential steps one after another, `parallel` ones side by side, calls
//! and retries as client spans over the callee's server span, queries and
//! publishes as client and producer spans, consumers under their producer.

use std::collections::BTreeSet;

use rand::RngExt;
use rand_pcg::Pcg64;
use tsim_pack::{SpanKind, SpanTemplate, Status, TraceTemplate, NONE};

use super::sample::{self, Sampled};
use super::{resource_index, Builder, LowerError, MAX_SPANS_PER_TRACE, SPAN_BUDGET_PER_ENDPOINT};
use crate::model::{Attr, Endpoint, Model, Protocol, Service, Step, StepOptions};

/// One network hop, each way.
const HOP: f64 = 0.000_1;

/// A span being built: the template, its name and its attributes.
struct Pending {
    span: SpanTemplate,
    name: String,
    attrs: Vec<(String, Sampled)>,
}

struct Tree<'m> {
    model: &'m Model,
    spans: Vec<Pending>,
    overflow: bool,
}

fn status_code(rng: &mut Pcg64, e: &Endpoint) -> Option<Sampled> {
    let g = e.errors.status.as_ref()?;
    sample::generate(rng, g, &|_| None)
}

fn sample_attrs(rng: &mut Pcg64, lists: &[&[Attr]], into: &mut Vec<(String, Sampled)>) {
    for list in lists {
        for a in *list {
            let lookup = |k: &str| into.iter().find(|(n, _)| n == k).map(|(_, v)| v.text());
            match sample::generate(rng, &a.value, &lookup) {
                Some(v) => match into.iter_mut().find(|(n, _)| *n == a.key) {
                    Some(slot) => slot.1 = v,
                    None => into.push((a.key.clone(), v)),
                },
                None => into.retain(|(n, _)| *n != a.key),
            }
        }
    }
}

impl<'m> Tree<'m> {
    /// Opens a span of `kind` under `parent`; `finish` fills in the rest.
    fn open(&mut self, parent: u32, resource: u32, kind: SpanKind) -> u32 {
        if self.spans.len() >= MAX_SPANS_PER_TRACE {
            self.overflow = true;
        }
        let span = SpanTemplate {
            parent,
            resource,
            peer: NONE,
            name: 0,
            kind,
            start_ns: 0,
            duration_ns: 0,
            status: Status::Unset,
            attrs: 0,
        };
        self.spans.push(Pending {
            span,
            name: String::new(),
            attrs: Vec::new(),
        });
        (self.spans.len() - 1) as u32
    }

    fn resource_of(&self, span: u32) -> u32 {
        self.spans.get(span as usize).map_or(0, |p| p.span.resource)
    }

    fn service(&self, name: &str) -> Option<&'m Service> {
        self.model.services.iter().find(|s| s.name == name)
    }

    /// A server (or consumer) span for `ep` starting at `start`; returns (end, failed).
    fn endpoint(
        &mut self,
        rng: &mut Pcg64,
        svc: &Service,
        ep: &Endpoint,
        parent: u32,
        start: f64,
        depth: u32,
    ) -> (f64, bool) {
        let own = sample::draw(rng, &ep.latency).max(0.0);
        let kind = if ep.protocol == Protocol::Consumer {
            SpanKind::Consumer
        } else {
            SpanKind::Server
        };
        let resource = resource_index(self.model, &svc.name).unwrap_or(0);
        let mut attrs = Vec::new();
        sample_attrs(
            rng,
            &[&self.model.attributes, &svc.attributes, &ep.attributes],
            &mut attrs,
        );
        let idx = self.open(parent, resource, kind);
        let mut cursor = start + own / 2.0;
        let mut child_failed = false;
        if depth < 64 && !self.overflow {
            for step in &ep.steps {
                let (end, failed) = self.step(rng, step, idx, cursor, depth);
                cursor = end;
                child_failed |= failed;
            }
        }
        let end = cursor + own / 2.0;
        let failed = rng.random_bool(ep.errors.rate.clamp(0.0, 1.0)) || child_failed;
        if let Protocol::Http { .. } = ep.protocol {
            let code = if failed {
                status_code(rng, ep).unwrap_or(Sampled::Int(500))
            } else {
                Sampled::Int(200)
            };
            attrs.push(("http.response.status_code".into(), code));
        }
        if failed {
            let ty = ep
                .errors
                .error_type
                .as_ref()
                .and_then(|g| sample::generate(rng, g, &|_| None));
            let ty = ty.unwrap_or_else(|| {
                Sampled::Str(
                    if child_failed {
                        "DependencyError"
                    } else {
                        "InternalError"
                    }
                    .into(),
                )
            });
            attrs.push(("error.type".into(), ty));
        }
        self.finish(idx, &ep.name, start, end, failed, attrs);
        (end, failed)
    }

    fn finish(
        &mut self,
        idx: u32,
        name: &str,
        start: f64,
        end: f64,
        failed: bool,
        attrs: Vec<(String, Sampled)>,
    ) {
        let Some(slot) = self.spans.get_mut(idx as usize) else {
            return;
        };
        slot.span.start_ns = sample::nanos(start);
        slot.span.duration_ns = sample::nanos(end - start);
        slot.span.status = if failed { Status::Error } else { Status::Unset };
        slot.name = name.to_string();
        slot.attrs = super::dedup(attrs);
    }

    fn repeats(rng: &mut Pcg64, o: &StepOptions) -> u64 {
        if !rng.random_bool(o.chance.clamp(0.0, 1.0)) {
            return 0;
        }
        sample::draw(rng, &o.repeat).round().clamp(0.0, 1e6) as u64
    }

    fn step(
        &mut self,
        rng: &mut Pcg64,
        step: &Step,
        parent: u32,
        start: f64,
        depth: u32,
    ) -> (f64, bool) {
        match step {
            Step::Parallel(steps) => {
                let mut end = start;
                let mut failed = false;
                for s in steps {
                    let (e, f) = self.step(rng, s, parent, start, depth);
                    end = end.max(e);
                    failed |= f;
                }
                (end, failed)
            }
            Step::Call {
                service,
                endpoint,
                options,
            } => {
                let mut cursor = start;
                let mut failed = false;
                let Some(svc) = self.service(service) else {
                    return (start, false);
                };
                let Some(ep) = svc.endpoints.iter().find(|e| e.name == *endpoint) else {
                    return (start, false);
                };
                for _ in 0..Self::repeats(rng, options) {
                    for attempt in 0..=options.retries {
                        if self.overflow {
                            return (cursor, failed);
                        }
                        let caller = self.resource_of(parent);
                        let client = self.open(parent, caller, SpanKind::Client);
                        self.spans[client as usize].span.peer =
                            resource_index(self.model, service).unwrap_or(NONE);
                        let (callee_end, callee_failed) =
                            self.endpoint(rng, svc, ep, client, cursor + HOP, depth + 1);
                        let mut end = callee_end + HOP;
                        let mut attrs =
                            vec![("peer.service".to_string(), Sampled::Str(service.clone()))];
                        let timed_out = options.timeout.is_some_and(|t| end - cursor > t);
                        if let Some(t) = options.timeout.filter(|_| timed_out) {
                            end = cursor + t;
                            attrs.push(("error.type".into(), Sampled::Str("timeout".into())));
                        }
                        if let Protocol::Http { method, .. } = &ep.protocol {
                            attrs
                                .push(("http.request.method".into(), Sampled::Str(method.clone())));
                            attrs.push(("server.address".into(), Sampled::Str(service.clone())));
                        }
                        if attempt > 0 {
                            attrs.push((
                                "http.request.resend_count".into(),
                                Sampled::Int(i64::from(attempt)),
                            ));
                        }
                        failed = callee_failed || timed_out;
                        self.finish(client, endpoint, cursor, end, failed, attrs);
                        cursor = end;
                        if !failed {
                            break;
                        }
                    }
                }
                (cursor, failed)
            }
            Step::Query {
                database,
                attributes,
                options,
                statement,
            } => self.backend_call(
                rng,
                database,
                statement,
                attributes,
                options,
                parent,
                start,
                SpanKind::Client,
            ),
            Step::Publish {
                queue,
                topic,
                attributes,
                options,
            } => {
                let (end, failed) = self.backend_call(
                    rng,
                    queue,
                    topic,
                    attributes,
                    options,
                    parent,
                    start,
                    SpanKind::Producer,
                );
                if failed || depth >= 64 {
                    return (end, failed);
                }
                let producer = (self.spans.len() - 1) as u32;
                let consumers: BTreeSet<(usize, usize)> = self
                    .model
                    .services
                    .iter()
                    .enumerate()
                    .flat_map(|(si, s)| {
                        s.endpoints
                            .iter()
                            .enumerate()
                            .map(move |(ei, e)| (si, ei, e))
                    })
                    .filter(|(_, _, e)| e.consumes.iter().any(|(q, t)| q == queue && t == topic))
                    .map(|(si, ei, _)| (si, ei))
                    .collect();
                for (si, ei) in consumers {
                    let svc = &self.model.services[si];
                    let lag = sample::draw(rng, &crate::model::Dist::Exponential { mean: 0.005 });
                    self.endpoint(rng, svc, &svc.endpoints[ei], producer, end + lag, depth + 1);
                }
                (end, failed)
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn backend_call(
        &mut self,
        rng: &mut Pcg64,
        backend: &str,
        op: &str,
        attributes: &[Attr],
        o: &StepOptions,
        parent: u32,
        start: f64,
        kind: SpanKind,
    ) -> (f64, bool) {
        let Some(be) = self.model.backends.iter().find(|b| b.name == backend) else {
            return (start, false);
        };
        let caller = self.resource_of(parent);
        let mut cursor = start;
        let mut failed = false;
        for _ in 0..Self::repeats(rng, o) {
            for _attempt in 0..=o.retries {
                if self.overflow {
                    return (cursor, failed);
                }
                let mut attrs = Vec::new();
                sample_attrs(rng, &[attributes], &mut attrs);
                let name = span_name(kind, op, &attrs);
                let idx = self.open(parent, caller, kind);
                self.spans[idx as usize].span.peer =
                    resource_index(self.model, &be.name).unwrap_or(NONE);
                let mut end = cursor + sample::draw(rng, &be.latency).max(0.0);
                failed = rng.random_bool(be.errors.rate.clamp(0.0, 1.0));
                if let Some(t) = o.timeout.filter(|t| end - cursor > *t) {
                    end = cursor + t;
                    failed = true;
                    attrs.push(("error.type".into(), Sampled::Str("timeout".into())));
                } else if failed {
                    let ty = be
                        .errors
                        .error_type
                        .as_ref()
                        .and_then(|g| sample::generate(rng, g, &|_| None));
                    attrs.push((
                        "error.type".into(),
                        ty.unwrap_or(Sampled::Str("BackendError".into())),
                    ));
                }
                self.finish(idx, &name, cursor, end, failed, attrs);
                cursor = end;
                if !failed {
                    break;
                }
            }
        }
        (cursor, failed)
    }
}

/// Semantic-convention span names: `SELECT orders`, `send orders.created`.
fn span_name(kind: SpanKind, op: &str, attrs: &[(String, Sampled)]) -> String {
    let get = |k: &str| attrs.iter().find(|(n, _)| n == k).map(|(_, v)| v.text());
    match kind {
        SpanKind::Producer => format!("send {op}"),
        _ => match (get("db.operation.name"), get("db.collection.name")) {
            (Some(o), Some(c)) => format!("{o} {c}"),
            (Some(o), None) => o,
            _ => op.split_whitespace().next().unwrap_or(op).to_string(),
        },
    }
}

/// The root endpoints and their share of all root traffic.
fn roots(model: &Model) -> Vec<(&Service, &Endpoint, f64)> {
    let mut called: BTreeSet<(&str, &str)> = BTreeSet::new();
    fn walk<'a>(steps: &'a [Step], out: &mut BTreeSet<(&'a str, &'a str)>) {
        for s in steps {
            match s {
                Step::Call {
                    service, endpoint, ..
                } => {
                    out.insert((service, endpoint));
                }
                Step::Parallel(inner) => walk(inner, out),
                _ => {}
            }
        }
    }
    for s in &model.services {
        for e in &s.endpoints {
            walk(&e.steps, &mut called);
        }
    }
    let ingress: Vec<&Service> = model
        .services
        .iter()
        .filter(|s| {
            s.endpoints.iter().any(|e| {
                e.consumes.is_empty() && !called.contains(&(s.name.as_str(), e.name.as_str()))
            })
        })
        .collect();
    let mut out = Vec::new();
    for svc in &ingress {
        let roots: Vec<&Endpoint> = svc
            .endpoints
            .iter()
            .filter(|e| {
                e.consumes.is_empty() && !called.contains(&(svc.name.as_str(), e.name.as_str()))
            })
            .collect();
        let declared: f64 = roots.iter().filter_map(|e| e.weight).sum();
        let undeclared = roots.iter().filter(|e| e.weight.is_none()).count();
        let rest = if undeclared > 0 {
            (1.0 - declared).max(0.0) / undeclared as f64
        } else {
            0.0
        };
        let total: f64 = roots.iter().map(|e| e.weight.unwrap_or(rest)).sum();
        for e in roots {
            let share = if total > 0.0 {
                e.weight.unwrap_or(rest) / total
            } else {
                0.0
            };
            out.push((*svc, e, share / ingress.len() as f64));
        }
    }
    out
}

/// Samples every root endpoint's variants into the pack.
pub fn lower(b: &mut Builder, model: &Model) -> Result<(), LowerError> {
    let seed = model.settings.seed;
    for (svc, ep, share) in roots(model) {
        let mut rng = sample::rng(seed, &["trace", &svc.name, &ep.name]);
        let mut variants = ep.variants.unwrap_or(model.settings.variants) as usize;
        let mut i = 0;
        let mut made: Vec<TraceTemplate> = Vec::new();
        while i < variants {
            let mut tree = Tree {
                model,
                spans: Vec::new(),
                overflow: false,
            };
            tree.endpoint(&mut rng, svc, ep, NONE, 0.0, 0);
            if tree.overflow {
                return Err(LowerError(format!(
                    "a trace of `{}` \"{}\" has more than {MAX_SPANS_PER_TRACE} spans; lower its `repeat` counts",
                    svc.name, ep.name
                )));
            }
            if i == 0 {
                variants =
                    variants.min((SPAN_BUDGET_PER_ENDPOINT / tree.spans.len().max(1)).max(1));
            }
            let mut spans = Vec::with_capacity(tree.spans.len());
            for Pending {
                mut span,
                name,
                attrs,
            } in tree.spans
            {
                span.name = b.str(&name);
                span.attrs = b.set(&attrs);
                spans.push(span);
            }
            made.push(TraceTemplate {
                resource: 0,
                endpoint: 0,
                weight: 0.0,
                spans,
            });
            i += 1;
        }
        let (resource, endpoint) = (
            resource_index(model, &svc.name).unwrap_or(0),
            b.str(&ep.name),
        );
        let n = made.len() as f64;
        for mut t in made {
            t.resource = resource;
            t.endpoint = endpoint;
            t.weight = share / n;
            b.pack.traces.push(t);
        }
    }
    Ok(())
}
