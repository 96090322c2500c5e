//! Drawing one request through its endpoint's program: every span's own
//! latency, its failure (own, injected by the timeline, or handled), status
//! code and `error.type`, generated attributes, `chance` and `repeat`
//! branches, retries (each a new client span, re-drawn), timeouts (the
//! client span ends at the timeout with a timeout error), network hops,
//! the split of an endpoint's own time around its steps and the stagger of
//! parallel branches. Time runs forward through the walk, so an injected
//! delay pushes back everything after it.
//!
//! Failure semantics (OpenTelemetry semantic conventions): an HTTP server
//! span with a 5xx is an error, with a 4xx it leaves its status unset and
//! has no `error.type`; a client span that sees any failure (>= 400, a
//! timeout) is an error. A gRPC endpoint draws its failure's status the
//! same way and maps it to a gRPC code (`rpc.response.status_code`, see
//! [`super::grpc`]): its server span is an error for the server-error
//! codes only, its client spans for every code but `OK`. An HTTP client
//! span's `url.full` is the callee's base URL and the path its server
//! span drew. A failure reaches the caller unless the step says
//! `on_error ignore`; scattered timeline errors (`intermittent`) are
//! handled where they happen: the client sees them, its caller does not.

use rand::RngExt;
use rand_pcg::Pcg64;
use tsim_pack::{GenAttr, Status, NONE};

use super::grpc::GrpcCode;
pub use super::trace::{
    DrawnSpan, ErrorType, KnownError, Trace, MAX_DEPTH, MAX_SPANS_PER_TRACE, MAX_SPAN_NS,
};
use super::values::{draw_attrs, secs_to_nanos, Sampler};
use crate::plan::{Plan, PlannedStep};
use crate::streams::mix;
use crate::timeline::{Cause, Fault, State};

mod extras;
mod failure;
mod steps;
use failure::Failure;
use steps::merge;

/// What a step or endpoint reports to its caller.
#[derive(Clone, Copy, Debug, Default)]
struct Outcome {
    end: u64,
    /// A failure that reaches the caller.
    failed: bool,
    /// A failure the client span sees (handled ones included).
    seen: bool,
    code: Option<u16>,
    /// The gRPC status of a gRPC server span.
    rpc: Option<GrpcCode>,
    error_type: Option<ErrorType>,
    cause: Option<Cause>,
}

/// Walks programs for one trace.
pub struct Walker<'a, 'p> {
    plan: &'a Plan<'p>,
    state: &'a State,
    /// Each resource's running instances (a span's instance is drawn
    /// evenly from them; 1 where missing).
    instances: &'a [u32],
    rng: &'a mut Pcg64,
    /// The shape seed of a root with fixed shape variants.
    shape: Option<u64>,
    trace: &'a mut Trace,
    lag: Sampler,
}

/// The key of a structural choice: where it is made, under which parent
/// choice, at which repetition.
fn key(parent: u64, site: u32, rep: u64) -> u64 {
    mix(parent ^ mix(u64::from(site) << 32 | (rep & 0xFFFF_FFFF)))
}

impl<'a, 'p> Walker<'a, 'p> {
    /// A walker; `shape` is the shape seed of a root with fixed shape
    /// variants: its `chance` and `repeat` outcomes are then a function of
    /// the seed and where they are made, whatever the values drawn.
    pub fn new(
        plan: &'a Plan<'p>,
        state: &'a State,
        instances: &'a [u32],
        rng: &'a mut Pcg64,
        shape: Option<u64>,
        trace: &'a mut Trace,
    ) -> Self {
        Walker {
            plan,
            state,
            instances,
            rng,
            shape,
            trace,
            lag: Sampler::new(&tsim_pack::Dist::Exponential { mean: 0.005 }),
        }
    }

    /// Draws a whole request arriving at endpoint `root` at time 0.
    pub fn request(&mut self, root: u32) {
        let k = self.shape.unwrap_or(0);
        self.endpoint(root, NONE, NONE, 0, 0, k, None);
    }

    fn full(&mut self, depth: u32) -> bool {
        if self.trace.spans.len() >= MAX_SPANS_PER_TRACE || depth > MAX_DEPTH {
            self.trace.truncated = true;
            return true;
        }
        false
    }

    /// A drawn duration times a fault factor, held to [`MAX_SPAN_NS`].
    fn duration(&mut self, s: &Sampler, factor: f64) -> u64 {
        let secs = s.draw(self.rng) * factor;
        let ns = secs_to_nanos(secs);
        if ns > MAX_SPAN_NS {
            self.trace.capped += 1;
            return MAX_SPAN_NS;
        }
        ns
    }

    fn open(&mut self, site: u32, parent: u32, instance: u32, start: u64) -> usize {
        self.trace.spans.push(DrawnSpan {
            site,
            parent,
            link: NONE,
            instance,
            start_ns: start,
            end_ns: start,
            failed: false,
            status: Status::Unset,
            code: None,
            rpc: None,
            url: None,
            error_type: None,
            exception: false,
            resend: 0,
            drawn: (self.trace.drawn.len() as u32, self.trace.drawn.len() as u32),
            cause: None,
            events: (0, 0),
            links: (0, 0),
        });
        self.trace.spans.len() - 1
    }

    fn draw_attrs(&mut self, span: usize, constant: u32, gens: &[GenAttr]) {
        if gens.is_empty() {
            return;
        }
        let Trace { drawn, text, .. } = &mut *self.trace;
        let range = draw_attrs(self.plan.pack, self.rng, constant, gens, drawn, text);
        if let Some(s) = self.trace.spans.get_mut(span) {
            s.drawn = range;
        }
    }

    fn fault(&self, resource: u32) -> Option<&'a Fault> {
        self.state.faults.get(resource as usize)
    }

    /// The server (or consumer, or internal) span of planned program `e`;
    /// `instance` is the caller's, for an `internal` step (else drawn).
    #[allow(clippy::too_many_arguments)]
    fn endpoint(
        &mut self,
        e: u32,
        parent: u32,
        link: u32,
        start: u64,
        depth: u32,
        shape: u64,
        instance: Option<u32>,
    ) -> Outcome {
        let none = Outcome {
            end: start,
            ..Outcome::default()
        };
        let Some(pe) = self.plan.endpoint(e) else {
            return none;
        };
        if self.full(depth) {
            return none;
        }
        let prog = pe.program;
        let instance = match instance {
            Some(k) => k,
            None => {
                let running = self
                    .instances
                    .get(prog.resource as usize)
                    .copied()
                    .unwrap_or(1);
                if running > 1 {
                    self.rng.random_range(0..running)
                } else {
                    0
                }
            }
        };
        let idx = self.open(pe.site, parent, instance, start);
        if let Some(s) = self.trace.spans.get_mut(idx) {
            s.link = link;
        }
        self.draw_attrs(idx, prog.attrs, &prog.gen_attrs);
        let rf = self.fault(prog.resource);
        let cascade = self
            .state
            .endpoint_faults
            .get(e as usize)
            .and_then(Option::as_ref);
        let factor = rf.map_or(1.0, |f| f.latency) * self.state.global.latency;
        let mut cause = if factor != 1.0 {
            rf.and_then(|f| f.cause).or(self.state.global.cause)
        } else {
            None
        };
        let own = self.duration(&pe.latency, factor);
        let failure = self.failure(prog.errors.rate, rf, cascade);
        // An open circuit breaker fails fast, without calling downstream.
        let fast = matches!(&failure, Some(Failure::Fault(f, _)) if f.spread);
        let mut dep = Outcome::default();
        let end = if fast {
            start.saturating_add(own / 5)
        } else {
            let end =
                self.steps_with_gaps(&pe.steps, idx, instance, start, own, depth, shape, &mut dep);
            cause = cause.or(dep.cause);
            end
        };
        let (http, grpc) = (pe.http, pe.grpc);
        // HTTP and gRPC endpoints draw a status; gRPC maps it to its code.
        let coded = http || grpc;
        let (code, ty, reaches) = match failure {
            Some(Failure::Own) => {
                let (c, t) = self.declared(&prog.errors, idx, coded);
                (c, t, true)
            }
            Some(Failure::Fault(f, c)) => {
                cause = Some(c);
                let (code, t) = self.injected(f, coded);
                (code, t, true)
            }
            Some(Failure::Handled(f, c)) => {
                cause = Some(c);
                let (code, t) = self.injected(f, coded);
                (code, t, false)
            }
            None if dep.failed => (
                coded.then_some(500),
                dep.error_type.filter(|_| !coded),
                true,
            ),
            None => (coded.then_some(200), None, false),
        };
        let failed = failure.is_some() || dep.failed;
        let rpc = code.filter(|_| grpc).map(GrpcCode::from_http);
        let code = code.filter(|_| http);
        let status = match (code, rpc) {
            (Some(c), _) if c < 500 => Status::Unset,
            (_, Some(r)) if !r.server_error() => Status::Unset,
            _ if failed => Status::Error,
            _ => Status::Unset,
        };
        // error.type is set when the span is an error: the declared type,
        // else the status code, else tsim's own name for what happened.
        let ty = (status == Status::Error).then(|| {
            ty.unwrap_or(match (code, rpc) {
                (Some(c), _) => ErrorType::Code(c),
                (None, Some(r)) => ErrorType::Known(KnownError::Grpc(r)),
                _ if dep.failed && failure.is_none() => ErrorType::Known(KnownError::Dependency),
                _ => ErrorType::Known(KnownError::Internal),
            })
        });
        if let Some(s) = self.trace.spans.get_mut(idx) {
            s.end_ns = end;
            s.failed = failed;
            s.status = status;
            s.code = code;
            s.rpc = rpc;
            s.error_type = ty;
            s.cause = cause;
            s.exception &= status == Status::Error;
        }
        if !prog.events.is_empty() || !prog.links.is_empty() {
            self.extras(idx, prog, start, end);
        }
        Outcome {
            end,
            failed: reaches,
            seen: failed,
            code,
            rpc,
            error_type: ty,
            cause,
        }
    }

    /// Runs `steps` under span `parent`, with the endpoint's own time `own`
    /// split into gaps before, between and after them; returns the end.
    #[allow(clippy::too_many_arguments)]
    fn steps_with_gaps(
        &mut self,
        steps: &[PlannedStep<'p>],
        parent: usize,
        instance: u32,
        start: u64,
        own: u64,
        depth: u32,
        shape: u64,
        dep: &mut Outcome,
    ) -> u64 {
        if steps.is_empty() {
            return start.saturating_add(own);
        }
        // Gaps are an exponential spacing (a uniform split of `own`).
        const MAX_GAPS: usize = 17;
        let n = (steps.len() + 1).min(MAX_GAPS);
        let mut gaps = [0.0f64; MAX_GAPS];
        let mut total = 0.0;
        for g in gaps.iter_mut().take(n) {
            *g = -(1.0 - self.rng.random::<f64>()).ln();
            total += *g;
        }
        let gap = |i: usize| -> u64 {
            let share = if i < n { gaps[i] / total } else { 0.0 };
            (own as f64 * share) as u64
        };
        let mut cursor = start.saturating_add(gap(0));
        for (i, step) in steps.iter().enumerate() {
            let out = self.step(step, parent as u32, instance, cursor, depth, shape);
            merge(dep, &out);
            cursor = out.end.saturating_add(gap(i + 1));
        }
        cursor
    }
}
