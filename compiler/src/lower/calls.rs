//! Endpoint call programs: one [`EndpointProgram`] per endpoint of every
//! service, in model order, holding the *distributions* of its values (own
//! latency, errors, generated attributes) and its steps; the runtime draws
//! every value per request. Root endpoints (ones nobody calls and that
//! consume no topic) get their share of root traffic. A root whose trace
//! is expected to hold more than [`MAX_EXPECTED_SPANS_PER_TRACE`] spans is
//! an error.

use std::collections::{BTreeMap, BTreeSet};

use tsim_pack::{BackendCall, Calls, Dist, EndpointProgram, Protocol, Root, SpanKind, Step};

use super::sample::{self, Sampled};
use super::{convert, Builder, LowerError};
use crate::model::{self, Attr, Backend, Endpoint, Generator, Model, Service};

/// Median of the default network hop, seconds.
const HOP_MEDIAN: f64 = 200e-6;
/// 99th percentile of the default network hop, seconds.
const HOP_P99: f64 = 1e-3;
/// Mean delay before each branch of a `parallel` block starts, seconds.
const STAGGER_MEAN: f64 = 50e-6;

/// Every endpoint's place in [`Calls::endpoints`], and who consumes what.
pub(super) struct Index<'m> {
    model: &'m Model,
    /// Services and endpoints in program order.
    pub(super) entries: Vec<(&'m Service, &'m Endpoint)>,
    /// (service, endpoint) -> program index.
    by_name: BTreeMap<(&'m str, &'m str), u32>,
    /// (queue, topic) -> consuming programs, in increasing order.
    consumers: BTreeMap<(&'m str, &'m str), BTreeSet<u32>>,
}

impl<'m> Index<'m> {
    pub(super) fn new(model: &'m Model) -> Self {
        let mut ix = Index {
            model,
            entries: Vec::new(),
            by_name: BTreeMap::new(),
            consumers: BTreeMap::new(),
        };
        for svc in &model.services {
            for ep in &svc.endpoints {
                let i = ix.entries.len() as u32;
                ix.entries.push((svc, ep));
                ix.by_name
                    .entry((svc.name.as_str(), ep.name.as_str()))
                    .or_insert(i);
                for (queue, topic) in &ep.consumes {
                    ix.consumers
                        .entry((queue.as_str(), topic.as_str()))
                        .or_default()
                        .insert(i);
                }
            }
        }
        ix
    }

    /// The program index and model of `service`'s `endpoint`.
    pub(super) fn endpoint(
        &self,
        service: &str,
        endpoint: &str,
    ) -> Result<(u32, &'m Endpoint), LowerError> {
        let found = self.by_name.get(&(service, endpoint)).and_then(|&i| {
            let (_, ep) = self.entries.get(i as usize)?;
            Some((i, *ep))
        });
        found.ok_or_else(|| {
            LowerError(format!(
                "a call names `{service}` \"{endpoint}\", which is not declared"
            ))
        })
    }

    /// The database or queue `name`.
    fn backend(&self, name: &str) -> Result<&'m Backend, LowerError> {
        self.model
            .backends
            .iter()
            .find(|b| b.name == name)
            .ok_or_else(|| LowerError(format!("a step names `{name}`, which is not declared")))
    }

    /// The resource index of `name`.
    fn resource(b: &Builder, name: &str) -> Result<u32, LowerError> {
        b.resource_id(name)
            .ok_or_else(|| LowerError(format!("`{name}` is not a declared resource")))
    }

    /// The programs consuming `topic` on `queue`, in increasing order.
    fn consumers(&self, queue: &str, topic: &str) -> Vec<u32> {
        self.consumers
            .get(&(queue, topic))
            .map(|s| s.iter().copied().collect())
            .unwrap_or_default()
    }

    /// `service "endpoint"` of program `i`, for messages.
    pub(super) fn describe(&self, i: u32) -> String {
        match self.entries.get(i as usize) {
            Some((s, e)) => format!("`{}` \"{}\"", s.name, e.name),
            None => format!("endpoint #{i}"),
        }
    }
}

/// Lowers every endpoint to its program, the roots, the hop and the stagger.
pub fn lower(b: &mut Builder, model: &Model) -> Result<(), LowerError> {
    let ix = Index::new(model);
    let mut endpoints = Vec::with_capacity(ix.entries.len());
    for (svc, ep) in &ix.entries {
        endpoints.push(program(b, &ix, svc, ep)?);
    }
    let roots = roots(&ix);
    super::trace_limits::check_sizes(&ix, &endpoints, &roots)?;
    let hop = model.settings.hop.clone().unwrap_or_else(default_hop);
    b.pack.calls = Calls {
        endpoints,
        roots,
        hop: convert::dist(&hop),
        stagger: Dist::Exponential { mean: STAGGER_MEAN },
    };
    Ok(())
}

/// Lognormal with median 200us and p99 1ms.
fn default_hop() -> model::Dist {
    model::lognormal_quantiles(HOP_MEDIAN, HOP_P99)
}

/// One endpoint's program.
pub(super) fn program(
    b: &mut Builder,
    ix: &Index<'_>,
    svc: &Service,
    ep: &Endpoint,
) -> Result<EndpointProgram, LowerError> {
    let resource = Index::resource(b, &svc.name)?;
    let name = b.str(&ep.name);
    let protocol = protocol(b, &ep.protocol);
    let attributes = convert::merged(&[&ix.model.attributes, &svc.attributes, &ep.attributes]);
    let (attrs, gen_attrs) = convert::split(b, &attributes);
    let errors = convert::errors(b, &ep.errors);
    let steps = steps(b, ix, resource, &ep.steps)?;
    let events = super::span_extras::events(b, &ep.events);
    let links = super::span_extras::links(b, ix, &ep.links)?;
    Ok(EndpointProgram {
        resource,
        name,
        protocol,
        latency: convert::dist(&ep.latency),
        errors,
        attrs,
        gen_attrs,
        steps,
        events,
        links,
    })
}

/// The program of an `internal` step of an endpoint of `svc`: its own
/// attributes over the scenario's and the service's.
fn internal_program(
    b: &mut Builder,
    ix: &Index<'_>,
    resource: u32,
    ep: &Endpoint,
) -> Result<EndpointProgram, LowerError> {
    // Services are the first resources, in model order.
    let svc = ix.model.services.get(resource as usize);
    let svc_attrs = svc.map_or(&[][..], |s| s.attributes.as_slice());
    let attributes = convert::merged(&[&ix.model.attributes, svc_attrs, &ep.attributes]);
    let (attrs, gen_attrs) = convert::split(b, &attributes);
    Ok(EndpointProgram {
        resource,
        name: b.str(&ep.name),
        protocol: Protocol::Internal,
        latency: convert::dist(&ep.latency),
        errors: convert::errors(b, &ep.errors),
        attrs,
        gen_attrs,
        steps: steps(b, ix, resource, &ep.steps)?,
        events: super::span_extras::events(b, &ep.events),
        links: super::span_extras::links(b, ix, &ep.links)?,
    })
}

fn protocol(b: &mut Builder, p: &model::Protocol) -> Protocol {
    match p {
        model::Protocol::Http { method, route } => Protocol::Http {
            method: b.str(method),
            route: b.str(route),
        },
        model::Protocol::Rpc => Protocol::Rpc,
        model::Protocol::Consumer => Protocol::Consumer,
        model::Protocol::Internal => Protocol::Internal,
    }
}

/// The steps of an endpoint of service resource `resource`.
fn steps(
    b: &mut Builder,
    ix: &Index<'_>,
    resource: u32,
    steps: &[model::Step],
) -> Result<Vec<Step>, LowerError> {
    steps.iter().map(|s| step(b, ix, resource, s)).collect()
}

fn step(
    b: &mut Builder,
    ix: &Index<'_>,
    resource: u32,
    step: &model::Step,
) -> Result<Step, LowerError> {
    Ok(match step {
        model::Step::Parallel(inner) => Step::Parallel(steps(b, ix, resource, inner)?),
        model::Step::Internal { endpoint, options } => Step::Internal {
            program: Box::new(internal_program(b, ix, resource, endpoint)?),
            options: convert::options(options),
        },
        model::Step::Call {
            service,
            endpoint,
            options,
        } => {
            let (endpoint, callee) = ix.endpoint(service, endpoint)?;
            Step::Call {
                endpoint,
                attrs: client_attrs(b, service, callee),
                options: convert::options(options),
            }
        }
        model::Step::Query {
            database,
            statement,
            attributes,
            options,
        } => Step::Query {
            call: backend_call(b, ix, database, statement, attributes, SpanKind::Client)?,
            options: convert::options(options),
        },
        model::Step::Publish {
            queue,
            topic,
            attributes,
            options,
        } => Step::Publish {
            call: backend_call(b, ix, queue, topic, attributes, SpanKind::Producer)?,
            consumers: ix.consumers(queue, topic),
            options: convert::options(options),
        },
    })
}

/// The client span's constant attributes: `service.peer.name`,
/// `server.address` and `server.port`, and for HTTP callees
/// `http.request.method` and `url.template`, for RPC callees
/// `rpc.system.name` and `rpc.method`.
fn client_attrs(b: &mut Builder, service: &str, callee: &Endpoint) -> u32 {
    let text = |k: &str, v: &str| (k.to_string(), Sampled::Str(v.into()));
    let mut attrs = vec![text("service.peer.name", service)];
    match &callee.protocol {
        model::Protocol::Http { method, route } => {
            attrs.push(text("http.request.method", method));
            attrs.push(text("url.template", route));
        }
        model::Protocol::Rpc => {
            attrs.push(text("rpc.system.name", "grpc"));
            attrs.push(text("rpc.method", &callee.name));
        }
        model::Protocol::Consumer | model::Protocol::Internal => {}
    }
    attrs.push(text("server.address", service));
    attrs.push((
        "server.port".into(),
        Sampled::Int(crate::semconv::SERVER_PORT),
    ));
    b.set(&attrs)
}

/// A query's client span or a publish's producer span.
fn backend_call(
    b: &mut Builder,
    ix: &Index<'_>,
    backend: &str,
    op: &str,
    attributes: &[Attr],
    kind: SpanKind,
) -> Result<BackendCall, LowerError> {
    let be = ix.backend(backend)?;
    let attributes = convert::merged(&[attributes]);
    let name = b.str(&span_name(kind, op, &attributes));
    let (attrs, gen_attrs) = convert::split(b, &attributes);
    Ok(BackendCall {
        backend: Index::resource(b, &be.name)?,
        name,
        kind,
        attrs,
        gen_attrs,
        latency: convert::dist(&be.latency),
        errors: convert::errors(b, &be.errors),
    })
}

/// Semantic-convention span names: `send orders.created` for a producer,
/// else the constant `db.query.summary` (`SELECT orders`), else the
/// operation's own summary.
fn span_name(kind: SpanKind, op: &str, attrs: &[&Attr]) -> String {
    let summary = attrs
        .iter()
        .find(|a| a.key == "db.query.summary")
        .and_then(|a| match &a.value {
            Generator::Const(s) => Some(sample::scalar(s).text()),
            _ => None,
        });
    match kind {
        SpanKind::Producer => format!("send {op}"),
        _ => summary.unwrap_or_else(|| crate::semconv::db_summary(op)),
    }
}

/// The root endpoints and their share of all root traffic: split evenly
/// across services with roots, then by endpoint weight (endpoints without
/// one share what is left).
pub(super) fn roots(ix: &Index<'_>) -> Vec<Root> {
    let called = called(ix.model);
    let is_root = |s: &Service, e: &Endpoint| {
        e.consumes.is_empty() && !called.contains(&(s.name.as_str(), e.name.as_str()))
    };
    let ingress: Vec<&Service> = ix
        .model
        .services
        .iter()
        .filter(|s| s.endpoints.iter().any(|e| is_root(s, e)))
        .collect();
    let mut out = Vec::new();
    for svc in &ingress {
        let roots: Vec<&Endpoint> = svc.endpoints.iter().filter(|e| is_root(svc, e)).collect();
        for (e, share) in shares(&roots) {
            let Some(&endpoint) = ix.by_name.get(&(svc.name.as_str(), e.name.as_str())) else {
                continue;
            };
            out.push(Root {
                endpoint,
                weight: share / ingress.len() as f64,
                shapes: e.variants.or(ix.model.settings.variants).unwrap_or(0),
            });
        }
    }
    out
}

/// Every (service, endpoint) some step calls.
fn called(model: &Model) -> BTreeSet<(&str, &str)> {
    fn walk<'a>(steps: &'a [model::Step], out: &mut BTreeSet<(&'a str, &'a str)>) {
        for s in steps {
            match s {
                model::Step::Call {
                    service, endpoint, ..
                } => {
                    out.insert((service, endpoint));
                }
                model::Step::Parallel(inner) => walk(inner, out),
                model::Step::Internal { endpoint, .. } => walk(&endpoint.steps, out),
                _ => {}
            }
        }
    }
    let mut out = BTreeSet::new();
    for e in model.services.iter().flat_map(|s| &s.endpoints) {
        walk(&e.steps, &mut out);
    }
    out
}

/// Each root's share of its service's root traffic.
fn shares<'a>(roots: &[&'a Endpoint]) -> Vec<(&'a Endpoint, f64)> {
    let declared: f64 = roots.iter().filter_map(|e| e.weight).sum();
    let undeclared = roots.iter().filter(|e| e.weight.is_none()).count();
    let rest = if undeclared > 0 {
        (1.0 - declared).max(0.0) / undeclared as f64
    } else {
        0.0
    };
    let total: f64 = roots.iter().map(|e| e.weight.unwrap_or(rest)).sum();
    roots
        .iter()
        .map(|e| {
            let share = if total > 0.0 {
                e.weight.unwrap_or(rest) / total
            } else {
                0.0
            };
            (*e, share)
        })
        .collect()
}
