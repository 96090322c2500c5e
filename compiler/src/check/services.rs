//! Checking services, endpoints, their steps, databases and queues: values,
//! weights, references to other services with did-you-mean, and the
//! semantic-convention attributes each span gets by default.

use std::collections::BTreeMap;

use super::Checker;
use crate::ast::{self, AttrKind, BackendKind, StepKind};
use crate::diagnostic::{Diagnostic, Kind};
use crate::model::{Attr, Backend, Dist, Endpoint, OnError, Protocol, Service, Step, StepOptions};
use crate::semconv;
use crate::source::Span;
use crate::suggest;

/// The deepest nesting of `parallel` blocks: the pack's limit.
const MAX_STEP_DEPTH: usize = tsim_pack::MAX_STEP_DEPTH;
/// The most retries a step may declare.
const MAX_RETRIES: u64 = 100;
/// The most instances a service, database or queue may run (each is its
/// own `service.instance.id`, and per-instance metrics multiply by it).
pub(super) const MAX_INSTANCES: u64 = tsim_pack::MAX_INSTANCES as u64;
/// The words `on_error` takes.
const ON_ERROR_WORDS: &[&str] = &["fail", "ignore"];

impl Checker<'_> {
    pub(super) fn service(&mut self, s: &ast::Service) -> Option<Service> {
        let props = self.props(&s.props);
        let version = Self::value(&props, "version")
            .and_then(|v| self.v.string(v))
            .unwrap_or_else(|| "1.0.0".into());
        let instances = Self::value(&props, "instances")
            .and_then(|v| self.v.count_in(v, "the instance count", 1, MAX_INSTANCES))
            .unwrap_or(1);
        let resource = self.all_attrs(&s.blocks, AttrKind::Resource);
        let attributes = self.all_attrs(&s.blocks, AttrKind::Attributes);
        if s.endpoints.is_empty() {
            self.v.diags.push(Diagnostic::warning(
                Kind::EmptyService {
                    name: s.name.node.clone(),
                },
                s.name.span,
            ));
        }
        let endpoints: Vec<Endpoint> = s
            .endpoints
            .iter()
            .filter_map(|e| self.endpoint(&s.name.node, e))
            .collect();
        let weighted: Vec<(&ast::Endpoint, f64)> = s
            .endpoints
            .iter()
            .zip(&endpoints)
            .filter_map(|(a, m)| m.weight.map(|w| (a, w)))
            .collect();
        let total: f64 = weighted.iter().map(|(_, w)| w).sum();
        if total > 1.0 + 1e-9 {
            let kind = Kind::WeightsExceedTotal {
                service: s.name.node.clone(),
                total: format!("{}%", super::values::num(total * 100.0)),
            };
            let mut d = Diagnostic::error(kind, s.name.span);
            for (e, _) in &weighted {
                if let Some(p) = e.props.iter().find(|p| p.key.node == "weight") {
                    d = d.with_label(p.span, "a weight");
                }
            }
            self.v.diags.push(d);
        } else if !weighted.is_empty() && weighted.len() == s.endpoints.len() && total == 0.0 {
            let kind = Kind::ZeroWeights {
                what: format!("the endpoints of `{}`", s.name.node),
            };
            self.v.diags.push(Diagnostic::error(kind, s.name.span));
        }
        Some(Service {
            name: s.name.node.clone(),
            version,
            instances: u32::try_from(instances).unwrap_or(1),
            resource,
            attributes,
            endpoints,
        })
    }

    fn endpoint(&mut self, service: &str, e: &ast::Endpoint) -> Option<Endpoint> {
        let props = self.props(&e.props);
        let weight = Self::value(&props, "weight").and_then(|v| self.v.share(v, "the weight"));
        let variants = self.variants(Self::value(&props, "variants"));
        let latency = self.latency(Self::value(&props, "latency"), 0.001);
        let errors = self.errors(props.get("errors"));
        let user = self.all_attrs(&e.blocks, AttrKind::Attributes);
        let mut consumes = Vec::new();
        let defaults;
        for c in &e.consumes {
            if !self.names.queues.contains_key(&c.queue.node) {
                let suggestion =
                    suggest::closest(&c.queue.node, self.names.queues.keys().map(String::as_str));
                self.v.error(
                    Kind::UnknownQueue {
                        name: c.queue.node.clone(),
                        suggestion,
                    },
                    c.queue.span,
                );
            }
            consumes.push((c.queue.node.clone(), c.topic.node.clone()));
        }
        let kind = self.kind_override(Self::value(&props, "kind"), !consumes.is_empty());
        let protocol = if kind == super::spans::KindOverride::Internal {
            defaults = Vec::new();
            Protocol::Internal
        } else if let Some((queue, topic)) = consumes.first() {
            defaults = semconv::messaging_process(&self.system_of(queue), topic);
            Protocol::Consumer
        } else if let Some((method, route)) = semconv::http_name(&e.name.node) {
            defaults = semconv::http_server(&method, &route, service);
            Protocol::Http { method, route }
        } else {
            defaults = semconv::rpc_server(&e.name.node, service);
            Protocol::Rpc
        };
        let steps = self.steps(&e.steps, 0);
        let events = self.span_events(&e.events);
        let links = self.span_links(&e.links);
        Some(Endpoint {
            name: e.name.node.clone(),
            protocol,
            weight,
            latency,
            errors,
            attributes: semconv::merge(defaults, &user),
            consumes,
            steps,
            events,
            links,
            variants,
        })
    }

    fn system_of(&self, backend: &str) -> String {
        self.systems
            .get(backend)
            .cloned()
            .unwrap_or_else(|| "other_sql".into())
    }

    /// `depth` counts the `parallel` blocks around `steps` (0 for an
    /// endpoint's own steps), as the pack does.
    pub(super) fn steps(&mut self, steps: &[ast::Step], depth: usize) -> Vec<Step> {
        steps.iter().filter_map(|s| self.step(s, depth)).collect()
    }

    fn step(&mut self, s: &ast::Step, depth: usize) -> Option<Step> {
        let (kind, target, operation, options) = match s {
            ast::Step::Parallel { steps, span } => {
                if depth >= MAX_STEP_DEPTH {
                    // Point at the `parallel` keyword, not the whole block.
                    let keyword = Span {
                        end: span.start.saturating_add(8).min(span.end),
                        ..*span
                    };
                    let kind = Kind::TooDeep {
                        what: "`parallel` blocks are nested".into(),
                        depth: depth + 1,
                        unit: "levels".into(),
                        limit: MAX_STEP_DEPTH,
                        hint: "try flattening the innermost `parallel` blocks: steps of a \
                               `parallel` inside a `parallel` can sit in the outer one"
                            .into(),
                    };
                    self.v.error(kind, keyword);
                    return None;
                }
                return Some(Step::Parallel(self.steps(steps, depth + 1)));
            }
            ast::Step::Internal(e) => return self.internal_step(e, depth),
            ast::Step::Single {
                kind,
                target,
                operation,
                options,
                ..
            } => (kind, target, operation, options),
        };
        let opts = self.props(options);
        let chance = Self::value(&opts, "chance")
            .and_then(|v| self.v.share(v, "the chance"))
            .unwrap_or(1.0);
        let retries = Self::value(&opts, "retries")
            .and_then(|v| self.v.count_in(v, "the retry count", 0, MAX_RETRIES))
            .map_or(0, |n| n as u32);
        let timeout =
            Self::value(&opts, "timeout").and_then(|v| self.v.positive_duration(v, "the timeout"));
        let repeat = match Self::value(&opts, "repeat") {
            Some(v) => self.repeat(v),
            None => Dist::Constant(1.0),
        };
        let on_error = Self::value(&opts, "on_error")
            .and_then(|v| self.on_error(v))
            .unwrap_or_default();
        let options = StepOptions {
            chance,
            retries,
            timeout,
            repeat,
            on_error,
        };
        match kind {
            StepKind::Call => {
                self.check_call(target, operation)?;
                Some(Step::Call {
                    service: target.node.clone(),
                    endpoint: operation.node.clone(),
                    options,
                })
            }
            StepKind::Query => {
                let attributes =
                    self.backend_step(target, &operation.node, BackendKind::Database)?;
                Some(Step::Query {
                    database: target.node.clone(),
                    statement: operation.node.clone(),
                    attributes,
                    options,
                })
            }
            StepKind::Publish => {
                let attributes = self.backend_step(target, &operation.node, BackendKind::Queue)?;
                Some(Step::Publish {
                    queue: target.node.clone(),
                    topic: operation.node.clone(),
                    attributes,
                    options,
                })
            }
        }
    }

    /// Checks that `target` names a declared database (or queue) and returns
    /// the step's span attributes: semantic-convention defaults, then the
    /// backend's own.
    fn backend_step(
        &mut self,
        target: &ast::Name,
        operation: &str,
        kind: BackendKind,
    ) -> Option<Vec<Attr>> {
        let names = match kind {
            BackendKind::Database => &self.names.databases,
            BackendKind::Queue => &self.names.queues,
        };
        if !names.contains_key(&target.node) {
            let suggestion = suggest::closest(&target.node, names.keys().map(String::as_str));
            let name = target.node.clone();
            let error = match kind {
                BackendKind::Database => Kind::UnknownDatabase { name, suggestion },
                BackendKind::Queue => Kind::UnknownQueue { name, suggestion },
            };
            self.v.error(error, target.span);
            return None;
        }
        let system = self.system_of(&target.node);
        let defaults = match kind {
            BackendKind::Database => semconv::db_client(&system, operation, &target.node),
            BackendKind::Queue => semconv::messaging_send(&system, operation, &target.node),
        };
        let extra = self
            .backend_attrs
            .get(&target.node)
            .cloned()
            .unwrap_or_default();
        Some(semconv::merge(defaults, &extra))
    }

    /// `on_error fail` or `on_error ignore` (a bare word or a string).
    pub(super) fn on_error(&mut self, v: &ast::Value) -> Option<OnError> {
        let v = self.v.deref(v)?;
        let word = match &v.node {
            ast::ValueKind::Ident(w) | ast::ValueKind::Str(w) => w,
            _ => {
                let found = self.v.describe(&v);
                let kind = Kind::UnitMismatch {
                    expected: "`fail` or `ignore`".into(),
                    found,
                    hint: Some("try `on_error ignore`".into()),
                };
                self.v.error(kind, v.span);
                return None;
            }
        };
        match word.as_str() {
            "fail" => Some(OnError::Fail),
            "ignore" => Some(OnError::Ignore),
            _ => {
                let suggestion = suggest::closest(word, ON_ERROR_WORDS.iter().copied());
                let kind = Kind::UnknownOnError {
                    name: word.clone(),
                    suggestion,
                };
                self.v.error(kind, v.span);
                None
            }
        }
    }

    /// A repeat count: a whole number or a distribution of counts, never below 0.
    pub(super) fn repeat(&mut self, v: &ast::Value) -> Dist {
        let dist = self.v.dist(v, ast::Unit::Number, "the repeat count");
        match dist {
            Some(Dist::Constant(n)) if n.fract() != 0.0 || !(0.0..=1e6).contains(&n) => {
                self.v
                    .out_of_range(v, "the repeat count", "whole numbers from 0 to 1000000");
                Dist::Constant(1.0)
            }
            Some(d) => d,
            None => Dist::Constant(1.0),
        }
    }

    /// Checks that `service` exists and has `endpoint`, and that it serves
    /// calls (an endpoint of `kind internal` has no caller).
    fn check_call(&mut self, service: &ast::Name, endpoint: &ast::Name) -> Option<()> {
        self.check_endpoint_ref(service, endpoint)?;
        let key = (service.node.clone(), endpoint.node.clone());
        if self.names.internal.contains(&key) {
            let kind = Kind::UnitMismatch {
                expected: "an endpoint that serves calls".into(),
                found: format!(
                    "`{}` \"{}\", which is `kind internal`",
                    service.node, endpoint.node
                ),
                hint: Some(
                    "an INTERNAL span has no client: drop its `kind internal`, or make the \
                     work an `internal` step of the caller"
                        .into(),
                ),
            };
            self.v.error(kind, endpoint.span);
            return None;
        }
        Some(())
    }

    /// Checks that `service` exists and has `endpoint`.
    pub(super) fn check_endpoint_ref(
        &mut self,
        service: &ast::Name,
        endpoint: &ast::Name,
    ) -> Option<()> {
        let Some((_, eps)) = self.names.services.get(&service.node) else {
            let suggestion = suggest::closest(
                &service.node,
                self.names.services.keys().map(String::as_str),
            );
            let kind = if self.names.databases.contains_key(&service.node) {
                Kind::UnitMismatch {
                    expected: "a service".into(),
                    found: format!("the database `{}`", service.node),
                    hint: Some(format!(
                        "databases are reached with `query \"{}\" \"...\"`",
                        service.node
                    )),
                }
            } else {
                Kind::UnknownService {
                    name: service.node.clone(),
                    suggestion,
                }
            };
            self.v.error(kind, service.span);
            return None;
        };
        if !eps.contains_key(&endpoint.node) {
            let suggestion = suggest::closest(&endpoint.node, eps.keys().map(String::as_str));
            let kind = Kind::UnknownEndpoint {
                service: service.node.clone(),
                name: endpoint.node.clone(),
                suggestion,
            };
            self.v.error(kind, endpoint.span);
            return None;
        }
        Some(())
    }

    pub(super) fn backend(&mut self, b: &ast::Backend) -> Option<Backend> {
        let props = self.props(&b.props);
        let kind = if b.kind == BackendKind::Queue {
            "queue"
        } else {
            "database"
        };
        let system = self.systems.get(&b.name.node).cloned().unwrap_or_else(|| {
            if kind == "queue" {
                "kafka".into()
            } else {
                "other_sql".into()
            }
        });
        let version = Self::value(&props, "version")
            .and_then(|v| self.v.string(v))
            .unwrap_or_default();
        let instances = Self::value(&props, "instances")
            .and_then(|v| self.v.count_in(v, "the instance count", 1, MAX_INSTANCES))
            .unwrap_or(1);
        let latency = self.latency(Self::value(&props, "latency"), 0.001);
        let errors = self.errors(props.get("errors"));
        let resource = self.all_attrs(&b.blocks, AttrKind::Resource);
        let attributes = self
            .backend_attrs
            .get(&b.name.node)
            .cloned()
            .unwrap_or_default();
        Some(Backend {
            kind: kind.into(),
            name: b.name.node.clone(),
            system,
            latency,
            errors,
            version,
            instances: u32::try_from(instances).unwrap_or(1),
            resource,
            attributes,
        })
    }

    /// Reads each backend's `system` and attributes before endpoints need them.
    pub(super) fn collect_backends(&mut self, items: &[&ast::Item]) {
        for item in items {
            if let ast::Item::Backend(b) = item {
                let props: BTreeMap<&str, &ast::Prop> =
                    b.props.iter().map(|p| (p.key.node.as_str(), p)).collect();
                if let Some(v) = Self::value(&props, "system") {
                    if let Some(s) = self.v.string(v) {
                        self.systems.insert(b.name.node.clone(), s);
                    }
                }
                let attrs = self.all_attrs(&b.blocks, AttrKind::Attributes);
                self.backend_attrs.insert(b.name.node.clone(), attrs);
            }
        }
    }
}
