//! Emitting one drawn trace: fresh IDs, absolute times, full-fidelity span
//! records by site, the RED metrics derived from them, span-derived logs
//! (one record each in `span_log`), and what each timeline incident touched.

use std::collections::{BTreeMap, BTreeSet};
use std::io;

use rand::RngExt;
use rand_pcg::Pcg64;
use tsim_pack::{Pack, ResourceKind, SpanKind, NONE};

use super::fleet::Fleet;
use super::red::{self, Red};
use crate::draw::request::{DrawnSpan, ErrorType, Trace};
use crate::plan::{Plan, Site};
use crate::sink::{
    Attributes, Exception, ResolvedLink, Sink, SpanEvents, SpanLinks, SpanRecord, Value,
};
use crate::timeline::Cause;

/// Fresh random ids; never all zero (invalid in OTLP).
pub fn id<const N: usize>(rng: &mut Pcg64) -> [u8; N] {
    loop {
        let mut b = [0u8; N];
        rng.fill(&mut b[..]);
        if b.iter().any(|x| *x != 0) {
            return b;
        }
    }
}

/// What the emitter keeps between traces.
pub struct Emitter<'p> {
    /// Span ids of the trace being emitted (reused).
    ids: Vec<[u8; 8]>,
    /// Derived metrics.
    pub red: Red<'p>,
    /// What each incident occurrence touched.
    pub touched: BTreeMap<Cause, BTreeSet<u32>>,
    /// A span log's drawn attributes and body fields (reused).
    pub(super) drawn: Vec<crate::draw::values::Drawn>,
    /// Their text (reused).
    pub(super) text: String,
    /// Per span of the trace being emitted: the resource its failure came
    /// from (reused; NONE when it did not fail).
    origins: Vec<u32>,
    /// The sender's shard, written into trace ids.
    pub shard: super::Shard,
    /// Per linked-to endpoint, its most recent span contexts.
    rings: Vec<Ring>,
    /// The resolved links of the span being emitted (reused).
    links: Vec<ResolvedLink>,
}

/// How many recent span contexts a ring keeps.
const RING: usize = 8;

/// The most recent spans of one endpoint that others link to, oldest
/// overwritten first: deterministic, since traces are emitted in order.
#[derive(Clone, Copy, Default)]
struct Ring {
    spans: [([u8; 16], [u8; 8]); RING],
    len: u8,
    next: u8,
}

impl Ring {
    fn push(&mut self, ctx: ([u8; 16], [u8; 8])) {
        if let Some(slot) = self.spans.get_mut(self.next as usize) {
            *slot = ctx;
        }
        self.next = ((self.next as usize + 1) % RING) as u8;
        self.len = (self.len + 1).min(RING as u8);
    }

    /// One of the recent spans, by a drawn pick; none before any.
    fn pick(&self, pick: u32) -> Option<([u8; 16], [u8; 8])> {
        if self.len == 0 {
            return None;
        }
        self.spans.get(pick as usize % self.len as usize).copied()
    }
}

fn error_value<'a>(pack: &'a Pack, text: &'a str, e: ErrorType) -> Value<'a> {
    match e {
        ErrorType::Declared(v) => Value::from_drawn(pack, text, v),
        ErrorType::Code(c) => Value::Int(i64::from(c)),
        ErrorType::Known(k) => Value::Str(k.as_str()),
    }
}

/// The attributes the walk worked out for a span, `url.full` and
/// `rpc.response.status_code`, in `buf`; one the scenario declares itself
/// is left to it.
fn worked_out<'a, 'b>(
    sp: &DrawnSpan,
    text: &'a str,
    declared: Attributes<'a>,
    buf: &'b mut [(&'a str, Value<'a>); 2],
) -> &'b [(&'a str, Value<'a>)] {
    let mut n = 0;
    let url = sp.url.and_then(|(a, b)| text.get(a as usize..b as usize));
    let found = [
        ("url.full", url.map(Value::Str)),
        (RPC_STATUS_KEY, sp.rpc.map(|c| Value::Str(c.as_str()))),
    ];
    for (key, value) in found {
        if let Some(v) = value.filter(|_| declared.get(key).is_none()) {
            buf[n] = (key, v);
            n += 1;
        }
    }
    &buf[..n]
}

/// `rpc.response.status_code` of a gRPC span.
pub const RPC_STATUS_KEY: &str = "rpc.response.status_code";

fn to_backend(pack: &Pack, site: &Site) -> bool {
    site.peer != NONE
        && pack
            .resources
            .get(site.peer as usize)
            .is_some_and(|r| r.kind != ResourceKind::Service)
}

/// Counters of one emitted trace.
#[derive(Default)]
pub struct Counts {
    /// Spans.
    pub spans: u64,
    /// Logs.
    pub logs: u64,
}

impl<'p> Emitter<'p> {
    /// An emitter for `pack`.
    pub fn new(pack: &'p Pack, scenario: &'p str, shard: super::Shard) -> Self {
        Emitter {
            ids: Vec::new(),
            red: Red::new(pack, scenario, shard),
            touched: BTreeMap::new(),
            drawn: Vec::new(),
            text: String::new(),
            origins: Vec::new(),
            shard,
            rings: Vec::new(),
            links: Vec::new(),
        }
    }

    /// Where each failed span's failure came from: the deepest failed
    /// descendant's own resource, or the backend of a failed call to a
    /// database or queue, or the span's own service when it failed on its
    /// own. Children follow their parents in a trace, so one backward pass
    /// sees every child before its parent.
    fn origins(&mut self, plan: &Plan<'p>, trace: &Trace) {
        self.origins.clear();
        self.origins.resize(trace.spans.len(), NONE);
        for (i, sp) in trace.spans.iter().enumerate().rev() {
            if !sp.failed {
                continue;
            }
            if self.origins[i] == NONE {
                self.origins[i] = plan.sites.get(sp.site as usize).map_or(NONE, |site| {
                    if to_backend(plan.pack, site) {
                        site.peer
                    } else {
                        site.resource
                    }
                });
            }
            let parent = sp.parent as usize;
            if parent < i && self.origins[parent] == NONE {
                self.origins[parent] = self.origins[i];
            }
        }
    }

    /// Emits `trace`, which arrived at Unix time `at_ns`.
    pub fn trace(
        &mut self,
        (plan, fleet): (&Plan<'p>, &Fleet<'_>),
        trace: &Trace,
        at_ns: i64,
        ids: &mut Pcg64,
        logs: &mut Pcg64,
        sink: &mut dyn Sink,
    ) -> io::Result<Counts> {
        let pack = plan.pack;
        let mut trace_id: [u8; 16] = id(ids);
        super::live::shard_id(&mut trace_id, self.shard);
        self.ids.clear();
        for _ in &trace.spans {
            self.ids.push(id(ids));
        }
        let access = pack.logs.span_rules.iter().find(|r| !r.errors_only);
        let errors = pack.logs.span_rules.iter().find(|r| r.errors_only);
        let mut counts = Counts::default();
        if errors.is_some() {
            self.origins(plan, trace);
        }
        if self.rings.len() != plan.ring_count as usize {
            self.rings = vec![Ring::default(); plan.ring_count as usize];
        }
        let mut links = std::mem::take(&mut self.links);
        for (i, sp) in trace.spans.iter().enumerate() {
            let Some(site) = plan.sites.get(sp.site as usize) else {
                continue;
            };
            let Some(resource) = fleet.resource_ref(plan, site.resource, sp.instance) else {
                continue;
            };
            let (a, b) = (sp.drawn.0 as usize, sp.drawn.1 as usize);
            let drawn = trace.drawn.get(a..b).unwrap_or(&[]);
            let error_type = sp.error_type.map(|e| error_value(pack, &trace.text, e));
            let end_ns = at_ns.saturating_add(sp.end_ns as i64);
            let span_id = self.ids[i];
            let attributes = Attributes::new(pack, site.attrs, drawn, &trace.text);
            let mut extra = [("", Value::Bool(false)); 2];
            let extra = worked_out(sp, &trace.text, attributes, &mut extra);
            let program = plan.site_program(site).map(|p| p.program);
            let events = match program {
                Some(p) if sp.events.0 < sp.events.1 => SpanEvents::new(
                    pack,
                    &p.events,
                    trace
                        .events
                        .get(sp.events.0 as usize..sp.events.1 as usize)
                        .unwrap_or(&[]),
                    &trace.drawn,
                    &trace.text,
                    at_ns,
                ),
                _ => SpanEvents::none(pack),
            };
            links.clear();
            if let Some(p) = program.filter(|_| sp.links.0 < sp.links.1) {
                self.resolve_links(plan, p, trace, sp, &mut links);
            }
            let ring = plan
                .site_rings
                .get(sp.site as usize)
                .copied()
                .unwrap_or(NONE);
            if let Some(r) = self.rings.get_mut(ring as usize) {
                r.push((trace_id, span_id));
            }
            let rec = SpanRecord {
                trace_id,
                span_id,
                parent: self.ids.get(sp.parent as usize).copied(),
                site: sp.site,
                start_ns: at_ns.saturating_add(sp.start_ns as i64),
                end_ns,
                resource,
                kind: site.kind,
                name: plan.str(site.name),
                peer: plan.resource(site.peer).map(|r| plan.str(r.name)),
                attributes: attributes.with_extra(extra),
                failed: sp.failed,
                status: sp.status,
                status_message: "",
                http_status_code: sp.code,
                error_type,
                resend_count: sp.resend,
                exception: error_type.filter(|_| sp.exception).map(|t| Exception {
                    time_ns: end_ns,
                    exception_type: t,
                }),
                link: self.ids.get(sp.link as usize).map(|l| (trace_id, *l)),
                events,
                links: SpanLinks::new(pack, &links, &trace.drawn, &trace.text),
            };
            sink.span(&rec)?;
            counts.spans += 1;
            if let Some(c) = sp.cause {
                self.touched.entry(c).or_default().insert(site.resource);
            }
            let duration = rec.duration_ns();
            self.red.observe(
                pack,
                &red::Observed {
                    site: (site, sp.site),
                    instance: sp.instance,
                    duration_ns: duration,
                    failed: sp.failed,
                    code: sp.code,
                    error_type: sp.error_type,
                    rpc: sp.rpc,
                    ids: (rec.trace_id, rec.span_id),
                    end_ns: rec.end_ns,
                },
            );
            let server = matches!(site.kind, SpanKind::Server | SpanKind::Consumer);
            let rules = [
                (access, server),
                (errors, sp.failed && (server || to_backend(pack, site))),
            ];
            let origin = self
                .origins
                .get(i)
                .and_then(|&o| plan.resource(o))
                .map(|r| plan.str(r.name));
            for (rule, applies) in rules {
                let Some(rule) = rule.filter(|_| applies) else {
                    continue;
                };
                self.span_log(
                    plan,
                    &rec,
                    origin.filter(|_| rule.errors_only),
                    rule,
                    logs,
                    sink,
                )?;
                counts.logs += 1;
            }
        }
        self.links = links;
        Ok(counts)
    }

    /// The drawn links of span `sp` (of program `p`), each to a recent
    /// span of its endpoint; a link to an endpoint none of whose spans was
    /// emitted yet is left out.
    fn resolve_links(
        &self,
        plan: &Plan<'p>,
        p: &tsim_pack::EndpointProgram,
        trace: &Trace,
        sp: &DrawnSpan,
        out: &mut Vec<ResolvedLink>,
    ) {
        let drawn = trace
            .links
            .get(sp.links.0 as usize..sp.links.1 as usize)
            .unwrap_or(&[]);
        for l in drawn {
            let Some(decl) = p.links.get(l.decl as usize) else {
                continue;
            };
            let ring = plan
                .rings
                .get(decl.endpoint as usize)
                .copied()
                .unwrap_or(NONE);
            let Some((trace_id, span_id)) =
                self.rings.get(ring as usize).and_then(|r| r.pick(l.pick))
            else {
                continue;
            };
            out.push(ResolvedLink {
                decl: l.decl,
                trace_id,
                span_id,
                attrs: decl.attrs,
                drawn: l.drawn,
            });
        }
    }
}
