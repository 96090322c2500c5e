//! The plan: a pack turned, once at load, into ready-to-run tables. Every
//! endpoint's step program with its samplers built, every span *site* (a
//! place in a program that emits a span: an endpoint's server span, a call's
//! client span, a query's or publish's span) numbered with its fixed facts,
//! and the roots with cumulative weights. Nothing here is recomputed per
//! request; sinks link their constant encodings against the sites.

use tsim_pack::{
    BackendCall, EndpointProgram, OnError, Pack, Protocol, Resource, SpanKind, Step, StepOptions,
    StrId, NONE,
};

use crate::draw::values::Sampler;
use crate::sink::{Attributes, Value};

/// The constant attribute `key` of attribute set `set`.
fn constant<'p>(pack: &'p Pack, set: u32, key: &str) -> Option<Value<'p>> {
    Attributes::new(pack, set, &[], "").get(key)
}

/// `scheme://host:port` of a call to an HTTP endpoint: the callee's
/// `url.scheme` (`https` unless constant), the client span's constant
/// `server.address` and `server.port`; `None` for other callees or when
/// the address is not a constant.
fn url_base(pack: &Pack, callee: &EndpointProgram, client: u32) -> Option<String> {
    if !matches!(callee.protocol, Protocol::Http { .. }) {
        return None;
    }
    let scheme = match constant(pack, callee.attrs, "url.scheme") {
        Some(Value::Str(s)) if !s.is_empty() => s,
        _ => "https",
    };
    let Some(Value::Str(host)) = constant(pack, client, "server.address") else {
        return None;
    };
    let mut url = format!("{scheme}://{host}");
    if let Some(port) = constant(pack, client, "server.port") {
        url.push(':');
        port.write(&mut url);
    }
    Some(url)
}

/// A place in a program that emits a span, with its fixed facts.
#[derive(Clone, Debug, PartialEq)]
pub struct Site {
    /// Span kind.
    pub kind: SpanKind,
    /// Span name.
    pub name: StrId,
    /// Emitting resource.
    pub resource: u32,
    /// Called resource for client and producer spans, else [`NONE`].
    pub peer: u32,
    /// Constant attributes (attribute set).
    pub attrs: u32,
    /// The endpoint whose server span this is, or whose callee a client
    /// span calls; [`NONE`] for backend spans.
    pub endpoint: u32,
}

/// Step options with samplers.
#[derive(Clone, Debug)]
pub struct Options {
    /// Probability that the step happens.
    pub chance: f64,
    /// Retries after a failure.
    pub retries: u32,
    /// Timeout in ns.
    pub timeout_ns: Option<u64>,
    /// Repeat count.
    pub repeat: Sampler,
    /// Whether a failure fails the caller.
    pub propagate: bool,
}

impl Options {
    fn new(o: &StepOptions) -> Options {
        Options {
            chance: o.chance,
            retries: o.retries,
            timeout_ns: o.timeout_ns,
            repeat: Sampler::new(&o.repeat),
            propagate: o.on_error == OnError::Fail,
        }
    }
}

/// A backend call (query or publish) ready to run.
#[derive(Clone, Debug)]
pub struct Backend<'p> {
    /// The pack's description.
    pub call: &'p BackendCall,
    /// Its span site.
    pub site: u32,
    /// The backend's latency.
    pub latency: Sampler,
}

/// A step ready to run.
#[derive(Clone, Debug)]
pub enum PlannedStep<'p> {
    /// A call: client span at `site` over the callee's server span.
    Call {
        /// Callee endpoint.
        endpoint: u32,
        /// Client span site.
        site: u32,
        /// `scheme://host:port` of an HTTP callee: the client span's
        /// `url.full` is this and the server span's `url.path`.
        url: Option<String>,
        /// Options.
        options: Options,
    },
    /// A query or publish (with its consumers).
    Backend {
        /// The call.
        backend: Backend<'p>,
        /// Consuming endpoints.
        consumers: &'p [u32],
        /// Options.
        options: Options,
    },
    /// Side by side.
    Parallel(Vec<PlannedStep<'p>>),
    /// An INTERNAL span: the planned program `endpoint` (see
    /// [`Plan::endpoint`]) run on the caller's instance, no client span.
    Internal {
        /// Its planned program.
        endpoint: u32,
        /// Options.
        options: Options,
    },
}

/// An endpoint ready to run.
#[derive(Clone, Debug)]
pub struct PlannedEndpoint<'p> {
    /// The pack's program.
    pub program: &'p EndpointProgram,
    /// Its server (or consumer) span site.
    pub site: u32,
    /// Own latency.
    pub latency: Sampler,
    /// Steps.
    pub steps: Vec<PlannedStep<'p>>,
    /// Whether it speaks HTTP (status codes).
    pub http: bool,
    /// Whether it is a gRPC endpoint (`rpc.system.name` is `grpc`): its
    /// spans carry `rpc.response.status_code`.
    pub grpc: bool,
}

/// A root endpoint with its cumulative weight.
#[derive(Clone, Debug)]
pub struct PlannedRoot {
    /// Endpoint index.
    pub endpoint: u32,
    /// Its share of root traffic.
    pub weight: f64,
    /// Fixed shape variants (0: shapes drawn per trace).
    pub shapes: u32,
}

/// The whole plan.
#[derive(Clone, Debug)]
pub struct Plan<'p> {
    /// The pack it was made from.
    pub pack: &'p Pack,
    /// Endpoints, in the pack's order.
    pub endpoints: Vec<PlannedEndpoint<'p>>,
    /// The programs of `internal` steps, numbered after the endpoints.
    pub internals: Vec<PlannedEndpoint<'p>>,
    /// Per endpoint, its ring of recent span contexts in the emitter when
    /// some span links to it, else [`NONE`].
    pub rings: Vec<u32>,
    /// How many endpoints are link targets (rings the emitter keeps).
    pub ring_count: u32,
    /// Per site, the ring its spans join (an endpoint's own span that some
    /// span links to), else [`NONE`].
    pub site_rings: Vec<u32>,
    /// Span sites.
    pub sites: Vec<Site>,
    /// Root endpoints grouped by their service resource: (resource, share,
    /// roots with cumulative weights within the group).
    pub groups: Vec<RootGroup>,
    /// Each resource's attributes other than `service.name` and
    /// `service.version` (records carry those two as fields).
    pub resource_attrs: Vec<Vec<tsim_pack::Attr>>,
    /// Each resource's declared instance count (at least 1): what a walk
    /// spreads spans over before any scaling.
    pub instances: Vec<u32>,
    /// Network hop, each way.
    pub hop: Sampler,
    /// Parallel branch stagger.
    pub stagger: Sampler,
}

/// The roots of one ingress service.
#[derive(Clone, Debug)]
pub struct RootGroup {
    /// The service resource.
    pub resource: u32,
    /// Its share of all root traffic.
    pub share: f64,
    /// Its roots.
    pub roots: Vec<PlannedRoot>,
    /// Cumulative weights of `roots`.
    pub cumulative: Vec<f64>,
}

impl<'p> Plan<'p> {
    /// Plans a validated pack.
    pub fn new(pack: &'p Pack) -> Plan<'p> {
        let mut plan = Plan {
            pack,
            endpoints: Vec::with_capacity(pack.calls.endpoints.len()),
            internals: Vec::new(),
            rings: vec![NONE; pack.calls.endpoints.len()],
            ring_count: 0,
            site_rings: Vec::new(),
            sites: Vec::new(),
            groups: Vec::new(),
            resource_attrs: pack
                .resources
                .iter()
                .map(|r| {
                    let set = pack
                        .attr_sets
                        .get(r.attrs as usize)
                        .map_or(&[][..], Vec::as_slice);
                    set.iter()
                        .filter(|a| {
                            let k = pack.strings.get(a.key as usize).map_or("", String::as_str);
                            k != "service.name" && k != "service.version"
                        })
                        .copied()
                        .collect()
                })
                .collect(),
            instances: pack.resources.iter().map(|r| r.instances.max(1)).collect(),
            hop: Sampler::new(&pack.calls.hop),
            stagger: Sampler::new(&pack.calls.stagger),
        };
        for (i, ep) in pack.calls.endpoints.iter().enumerate() {
            let (planned, _) = plan.program(ep, Some(i as u32));
            plan.endpoints.push(planned);
        }
        plan.group_roots();
        plan.number_rings();
        plan
    }

    /// Plans one program: endpoint `index`, or (`None`) an `internal`
    /// step's, numbered after the endpoints and the internal steps it
    /// holds; its span site, samplers and steps, and its number.
    fn program(
        &mut self,
        ep: &'p EndpointProgram,
        index: Option<u32>,
    ) -> (PlannedEndpoint<'p>, u32) {
        let pack = self.pack;
        let site = self.site(Site {
            kind: ep.kind(),
            name: ep.name,
            resource: ep.resource,
            peer: NONE,
            attrs: ep.attrs,
            endpoint: NONE,
        });
        let steps = self.steps(ep.resource, &ep.steps);
        let index =
            index.unwrap_or((self.pack.calls.endpoints.len() + self.internals.len()) as u32);
        if let Some(s) = self.sites.get_mut(site as usize) {
            s.endpoint = index;
        }
        let planned = PlannedEndpoint {
            program: ep,
            site,
            latency: Sampler::new(&ep.latency),
            steps,
            http: matches!(ep.protocol, Protocol::Http { .. }),
            grpc: ep.protocol == Protocol::Rpc
                && constant(pack, ep.attrs, "rpc.system.name") == Some(Value::Str("grpc")),
        };
        (planned, index)
    }

    /// Gives every endpoint some span links to a ring of recent contexts.
    fn number_rings(&mut self) {
        let mut targets: Vec<u32> = Vec::new();
        for e in self.endpoints.iter().chain(&self.internals) {
            targets.extend(e.program.links.iter().map(|l| l.endpoint));
        }
        for t in targets {
            if let Some(r) = self.rings.get_mut(t as usize) {
                if *r == NONE {
                    *r = self.ring_count;
                    self.ring_count += 1;
                }
            }
        }
        self.site_rings = vec![NONE; self.sites.len()];
        for (e, &r) in self.endpoints.iter().zip(&self.rings) {
            if let Some(slot) = self.site_rings.get_mut(e.site as usize) {
                *slot = r;
            }
        }
    }

    /// Planned program `e`: an endpoint, or past them an `internal` step's.
    pub fn endpoint(&self, e: u32) -> Option<&PlannedEndpoint<'p>> {
        let e = e as usize;
        match e.checked_sub(self.endpoints.len()) {
            None => self.endpoints.get(e),
            Some(k) => self.internals.get(k),
        }
    }

    /// The planned program of site `site`'s span, if it is an endpoint's
    /// or an `internal` step's own span.
    pub fn site_program(&self, site: &Site) -> Option<&PlannedEndpoint<'p>> {
        match site.kind {
            SpanKind::Server | SpanKind::Consumer | SpanKind::Internal => {
                self.endpoint(site.endpoint)
            }
            _ => None,
        }
    }

    /// A resource by index.
    pub fn resource(&self, r: u32) -> Option<&'p Resource> {
        self.pack.resources.get(r as usize)
    }

    /// A string by id ("" when out of range, which validation excludes).
    pub fn str(&self, id: StrId) -> &'p str {
        self.pack
            .strings
            .get(id as usize)
            .map_or("", String::as_str)
    }

    fn site(&mut self, s: Site) -> u32 {
        self.sites.push(s);
        (self.sites.len() - 1) as u32
    }

    fn steps(&mut self, caller: u32, steps: &'p [Step]) -> Vec<PlannedStep<'p>> {
        steps.iter().map(|s| self.step(caller, s)).collect()
    }

    fn step(&mut self, caller: u32, step: &'p Step) -> PlannedStep<'p> {
        match step {
            Step::Call {
                endpoint,
                attrs,
                options,
            } => {
                let callee = self.pack.calls.endpoints.get(*endpoint as usize);
                let site = self.site(Site {
                    kind: SpanKind::Client,
                    name: callee.map_or(0, |c| c.name),
                    resource: caller,
                    peer: callee.map_or(NONE, |c| c.resource),
                    attrs: *attrs,
                    endpoint: *endpoint,
                });
                PlannedStep::Call {
                    endpoint: *endpoint,
                    site,
                    url: callee.and_then(|c| url_base(self.pack, c, *attrs)),
                    options: Options::new(options),
                }
            }
            Step::Query { call, options } => PlannedStep::Backend {
                backend: self.backend(caller, call),
                consumers: &[],
                options: Options::new(options),
            },
            Step::Publish {
                call,
                consumers,
                options,
            } => PlannedStep::Backend {
                backend: self.backend(caller, call),
                consumers,
                options: Options::new(options),
            },
            Step::Parallel(inner) => PlannedStep::Parallel(self.steps(caller, inner)),
            Step::Internal { program, options } => {
                // Nested internal steps are numbered first, so this one's
                // number is its place in `internals`.
                let (planned, index) = self.program(program, None);
                self.internals.push(planned);
                PlannedStep::Internal {
                    endpoint: index,
                    options: Options::new(options),
                }
            }
        }
    }

    fn backend(&mut self, caller: u32, call: &'p BackendCall) -> Backend<'p> {
        let site = self.site(Site {
            kind: call.kind,
            name: call.name,
            resource: caller,
            peer: call.backend,
            attrs: call.attrs,
            endpoint: NONE,
        });
        Backend {
            call,
            site,
            latency: Sampler::new(&call.latency),
        }
    }

    fn group_roots(&mut self) {
        for root in &self.pack.calls.roots {
            let Some(ep) = self.pack.calls.endpoints.get(root.endpoint as usize) else {
                continue;
            };
            let g = match self.groups.iter().position(|g| g.resource == ep.resource) {
                Some(g) => g,
                None => {
                    self.groups.push(RootGroup {
                        resource: ep.resource,
                        share: 0.0,
                        roots: Vec::new(),
                        cumulative: Vec::new(),
                    });
                    self.groups.len() - 1
                }
            };
            let g = &mut self.groups[g];
            g.share += root.weight;
            g.roots.push(PlannedRoot {
                endpoint: root.endpoint,
                weight: root.weight,
                shapes: root.shapes,
            });
            g.cumulative.push(g.share);
        }
    }
}
