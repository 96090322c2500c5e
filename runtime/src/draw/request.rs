//! Drawing one request through its endpoint's program: every span's own
//! latency, its failure (own, injected by the timeline, or handled), status
//! code and `error.type`, generated attributes, `chance` and `repeat`
//! branches, retries (each a new client span, re-drawn), timeouts (the
//! client span ends at the timeout with a timeout error), network hops,
//! the split of an endpoint's own time around its steps and the stagger of
//! parallel branches. Time runs forward through the walk, so an injected
//! delay pushes back everything after it.

use rand::RngExt;
use rand_pcg::Pcg64;
use tsim_pack::{ErrorModel, GenAttr, SpanKind, Status, NONE};

use super::values::{chance, draw_attrs, DVal, GenCtx, NoLookup, Sampler};
use crate::plan::{Backend, Options, Plan, PlannedStep};
use crate::timeline::{Cause, Fault, State};

/// The most spans one trace may have; a larger draw is cut and counted.
pub const MAX_SPANS_PER_TRACE: usize = 1_000_000;
/// The deepest call chain walked; deeper calls are cut and counted.
pub const MAX_DEPTH: u32 = 256;

/// Why a span failed, when `error.type` is not a drawn value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KnownError {
    /// The client gave up at its timeout.
    Timeout,
    /// An open circuit breaker (a cascade) failed the call fast.
    CircuitBreakerOpen,
    /// The endpoint failed on its own, with no declared type or status.
    Internal,
    /// A dependency failed, with no status code to report.
    Dependency,
    /// A database or queue failed, with no declared type.
    Backend,
}

impl KnownError {
    /// The `error.type` text.
    pub fn as_str(self) -> &'static str {
        match self {
            KnownError::Timeout => "timeout",
            KnownError::CircuitBreakerOpen => "CircuitBreakerOpen",
            KnownError::Internal => "InternalError",
            KnownError::Dependency => "DependencyError",
            KnownError::Backend => "BackendError",
        }
    }
}

/// A span's `error.type`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ErrorType {
    /// A declared or injected type (text in the pack or the arena).
    Declared(DVal),
    /// An HTTP status code, written as text.
    Code(u16),
    /// One of tsim's own.
    Known(KnownError),
}

/// One drawn span, times relative to the trace's start.
#[derive(Clone, Debug, PartialEq)]
pub struct DrawnSpan {
    /// Its site in the plan.
    pub site: u32,
    /// Parent index in the trace, [`NONE`] for the root.
    pub parent: u32,
    /// The span it links to (a consumer's producer), [`NONE`] if none.
    pub link: u32,
    /// Instance of the emitting resource.
    pub instance: u32,
    /// Start.
    pub start_ns: u64,
    /// End.
    pub end_ns: u64,
    /// The span failed (any reason, 4xx included).
    pub failed: bool,
    /// OpenTelemetry status.
    pub status: Status,
    /// HTTP status code, when the span has one.
    pub code: Option<u16>,
    /// `error.type` when failed.
    pub error_type: Option<ErrorType>,
    /// The failure raised an exception (declared type): sinks add an event.
    pub exception: bool,
    /// Retry number (`http.request.resend_count`), 0 for the first try.
    pub resend: u32,
    /// Drawn attributes: a range of [`Trace::drawn`].
    pub drawn: (u32, u32),
    /// The timeline block occurrence that slowed or failed it.
    pub cause: Option<Cause>,
}

/// One drawn trace: spans in depth-first order, root first.
#[derive(Clone, Debug, Default)]
pub struct Trace {
    /// The spans.
    pub spans: Vec<DrawnSpan>,
    /// Drawn attributes of all spans.
    pub drawn: Vec<super::values::Drawn>,
    /// Text of drawn values.
    pub text: String,
    /// The draw hit [`MAX_SPANS_PER_TRACE`] or [`MAX_DEPTH`] and was cut.
    pub truncated: bool,
}

impl Trace {
    /// Empties the trace, keeping its buffers.
    pub fn clear(&mut self) {
        self.spans.clear();
        self.drawn.clear();
        self.text.clear();
        self.truncated = false;
    }
}

/// What a step or endpoint reports to its caller.
#[derive(Clone, Copy, Debug, Default)]
struct Outcome {
    end: u64,
    /// A failure the caller sees (not handled).
    failed: bool,
    code: Option<u16>,
    error_type: Option<ErrorType>,
    cause: Option<Cause>,
}

/// How a span failed.
enum Failure<'f> {
    Own,
    Fault(&'f Fault),
    Handled(&'f Fault),
}

/// Walks programs for one trace.
pub struct Walker<'a, 'p> {
    plan: &'a Plan<'p>,
    state: &'a State,
    rng: &'a mut Pcg64,
    shape: Option<Pcg64>,
    trace: &'a mut Trace,
    lag: Sampler,
}

fn pick_weighted<T: Copy>(rng: &mut Pcg64, items: &[(T, f64)]) -> Option<T> {
    let total: f64 = items.iter().map(|i| i.1).sum();
    let mut x = rng.random::<f64>() * total;
    for (v, w) in items {
        if x < *w {
            return Some(*v);
        }
        x -= w;
    }
    items.last().map(|i| i.0)
}

fn scaled(ns: u64, factor: f64) -> u64 {
    if factor == 1.0 {
        ns
    } else {
        super::values::secs_to_nanos(ns as f64 * factor / 1e9)
    }
}

impl<'a, 'p> Walker<'a, 'p> {
    /// A walker; `shape` is the stream of structural choices for a root with
    /// fixed shape variants (else they come from `rng`).
    pub fn new(
        plan: &'a Plan<'p>,
        state: &'a State,
        rng: &'a mut Pcg64,
        shape: Option<Pcg64>,
        trace: &'a mut Trace,
    ) -> Self {
        Walker {
            plan,
            state,
            rng,
            shape,
            trace,
            lag: Sampler::new(&tsim_pack::Dist::Exponential { mean: 0.005 }),
        }
    }

    /// Draws a whole request arriving at endpoint `root` at time 0.
    pub fn request(&mut self, root: u32) {
        self.endpoint(root, NONE, NONE, 0, 0);
    }

    fn shape_rng(&mut self) -> &mut Pcg64 {
        match &mut self.shape {
            Some(s) => s,
            None => self.rng,
        }
    }

    fn full(&mut self, depth: u32) -> bool {
        if self.trace.spans.len() >= MAX_SPANS_PER_TRACE || depth > MAX_DEPTH {
            self.trace.truncated = true;
            return true;
        }
        false
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
            error_type: None,
            exception: false,
            resend: 0,
            drawn: (self.trace.drawn.len() as u32, self.trace.drawn.len() as u32),
            cause: None,
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

    /// Decides whether a span fails: its own rate (replaced by an active
    /// `errors` override), then the resource's injected share, then the
    /// cascade's, then scattered handled errors.
    fn failure(
        &mut self,
        base: f64,
        resource: Option<&'a Fault>,
        cascade: Option<&'a Fault>,
    ) -> Option<Failure<'a>> {
        let replaced = resource.is_some_and(|f| f.errors_set);
        if !replaced && chance(self.rng, base) {
            return Some(Failure::Own);
        }
        for f in [resource, cascade].into_iter().flatten() {
            if f.errors > 0.0 && chance(self.rng, f.errors) {
                return Some(Failure::Fault(f));
            }
        }
        let g = &self.state.global;
        if g.errors > 0.0 && chance(self.rng, g.errors) {
            return Some(Failure::Handled(g));
        }
        None
    }

    fn declared(
        &mut self,
        model: &ErrorModel,
        span: usize,
        http: bool,
    ) -> (Option<u16>, Option<ErrorType>) {
        let ctx = GenCtx {
            pack: self.plan.pack,
        };
        let code = if http {
            let drawn = model
                .status
                .as_ref()
                .and_then(|g| ctx.draw(self.rng, g, &mut self.trace.text, &NoLookup));
            Some(match drawn {
                Some(DVal::Int(c)) if (100..600).contains(&c) => c as u16,
                _ => 500,
            })
        } else {
            None
        };
        let ty = model
            .error_type
            .as_ref()
            .and_then(|g| ctx.draw(self.rng, g, &mut self.trace.text, &NoLookup))
            .map(ErrorType::Declared);
        if let (Some(s), Some(_)) = (self.trace.spans.get_mut(span), ty) {
            s.exception = true;
        }
        (code, ty)
    }

    fn injected(&mut self, f: &Fault, http: bool) -> (Option<u16>, Option<ErrorType>) {
        let code = http.then(|| pick_weighted(self.rng, &f.codes).unwrap_or(500));
        let ty = pick_weighted(self.rng, &f.types).map(|s| ErrorType::Declared(DVal::Str(s)));
        let ty = ty.or(if f.spread {
            Some(ErrorType::Known(KnownError::CircuitBreakerOpen))
        } else {
            None
        });
        (code, ty)
    }

    /// The server (or consumer) span of endpoint `e`.
    fn endpoint(&mut self, e: u32, parent: u32, link: u32, start: u64, depth: u32) -> Outcome {
        let Some(pe) = self.plan.endpoints.get(e as usize) else {
            return Outcome {
                end: start,
                ..Outcome::default()
            };
        };
        if self.full(depth) {
            return Outcome {
                end: start,
                ..Outcome::default()
            };
        }
        let prog = pe.program;
        let instance = if pe.instances > 1 {
            self.rng.random_range(0..pe.instances)
        } else {
            0
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
        let own = scaled(pe.latency.nanos(self.rng), factor);
        let failure = self.failure(prog.errors.rate, rf, cascade);
        // An open circuit breaker fails fast, without calling downstream.
        let fast = matches!(&failure, Some(Failure::Fault(f)) if f.spread);
        let mut end = start;
        let mut dep = Outcome::default();
        if fast {
            end += own / 5;
        } else {
            end = self.steps_with_gaps(&pe.steps, idx, instance, start, own, depth, &mut dep);
            cause = cause.or(dep.cause);
        }
        let http = pe.http;
        let (code, ty, visible);
        match failure {
            Some(Failure::Own) => {
                (code, ty) = self.declared(&prog.errors, idx, http);
                visible = true;
            }
            Some(Failure::Fault(f)) => {
                (code, ty) = self.injected(f, http);
                cause = cause.or(f.cause);
                visible = true;
            }
            Some(Failure::Handled(f)) => {
                (code, ty) = self.injected(f, http);
                cause = cause.or(f.cause);
                visible = false;
            }
            None if dep.failed => {
                code = http.then_some(500);
                ty = dep.error_type.filter(|_| !http);
                visible = true;
            }
            None => {
                code = http.then_some(200);
                ty = None;
                visible = false;
            }
        }
        let failed = failure.is_some() || dep.failed;
        let ty = if failed {
            Some(ty.unwrap_or(match code {
                Some(c) => ErrorType::Code(c),
                None if dep.failed && failure.is_none() => ErrorType::Known(KnownError::Dependency),
                None => ErrorType::Known(KnownError::Internal),
            }))
        } else {
            None
        };
        let status = match code {
            Some(c) if http => {
                if c >= 500 {
                    Status::Error
                } else {
                    Status::Unset
                }
            }
            _ if failed => Status::Error,
            _ => Status::Unset,
        };
        if let Some(s) = self.trace.spans.get_mut(idx) {
            s.end_ns = end;
            s.failed = failed;
            s.status = status;
            s.code = code;
            s.error_type = ty;
            s.cause = cause;
        }
        Outcome {
            end,
            failed: visible,
            code,
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
        dep: &mut Outcome,
    ) -> u64 {
        if steps.is_empty() {
            return start + own;
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
        let mut cursor = start + gap(0);
        for (i, step) in steps.iter().enumerate() {
            let out = self.step(step, parent as u32, instance, cursor, depth);
            merge(dep, &out);
            cursor = out.end + gap(i + 1);
        }
        cursor
    }

    fn step(
        &mut self,
        step: &PlannedStep<'p>,
        parent: u32,
        instance: u32,
        start: u64,
        depth: u32,
    ) -> Outcome {
        match step {
            PlannedStep::Parallel(inner) => {
                let mut out = Outcome {
                    end: start,
                    ..Outcome::default()
                };
                for s in inner {
                    let at = start + self.plan.stagger.nanos(self.rng);
                    let o = self.step(s, parent, instance, at, depth);
                    out.end = out.end.max(o.end);
                    merge(&mut out, &o);
                }
                out
            }
            PlannedStep::Call {
                endpoint,
                site,
                options,
            } => self.call(*endpoint, *site, options, parent, instance, start, depth),
            PlannedStep::Backend {
                backend,
                consumers,
                options,
            } => self.backend(backend, consumers, options, parent, instance, start, depth),
        }
    }

    fn repeats(&mut self, o: &Options) -> u64 {
        let rng = self.shape_rng();
        if !chance(rng, o.chance) {
            return 0;
        }
        o.repeat.count(rng)
    }

    #[allow(clippy::too_many_arguments)]
    fn call(
        &mut self,
        callee: u32,
        site: u32,
        o: &Options,
        parent: u32,
        instance: u32,
        start: u64,
        depth: u32,
    ) -> Outcome {
        let mut out = Outcome {
            end: start,
            ..Outcome::default()
        };
        let http = self
            .plan
            .endpoints
            .get(callee as usize)
            .is_some_and(|e| e.http);
        for _ in 0..self.repeats(o) {
            for attempt in 0..=o.retries {
                if self.full(depth) {
                    return out;
                }
                let cursor = out.end;
                let c = self.open(site, parent, instance, cursor);
                let there = self.plan.hop.nanos(self.rng);
                let srv = self.endpoint(callee, c as u32, NONE, cursor + there, depth + 1);
                let mut end = srv.end + self.plan.hop.nanos(self.rng);
                let timed_out = o.timeout_ns.is_some_and(|t| end - cursor > t);
                if let Some(t) = o.timeout_ns.filter(|_| timed_out) {
                    end = cursor + t;
                }
                let failed = srv.failed || timed_out;
                let code = if timed_out {
                    None
                } else {
                    srv.code.filter(|_| http)
                };
                let ty = if timed_out {
                    Some(ErrorType::Known(KnownError::Timeout))
                } else if failed {
                    code.map(ErrorType::Code).or(srv.error_type)
                } else {
                    None
                };
                if let Some(s) = self.trace.spans.get_mut(c) {
                    s.end_ns = end;
                    s.failed = failed;
                    s.status = if failed { Status::Error } else { Status::Unset };
                    s.code = code;
                    s.error_type = ty;
                    s.resend = attempt;
                    s.cause = srv.cause;
                }
                out.end = end;
                out.cause = out.cause.or(srv.cause);
                if !failed {
                    break;
                }
                if attempt == o.retries && !out.failed {
                    out.failed = true;
                    out.code = code;
                    out.error_type = ty;
                }
            }
        }
        if !o.propagate {
            out.failed = false;
        }
        out
    }

    #[allow(clippy::too_many_arguments)]
    fn backend(
        &mut self,
        b: &Backend<'p>,
        consumers: &[u32],
        o: &Options,
        parent: u32,
        instance: u32,
        start: u64,
        depth: u32,
    ) -> Outcome {
        let mut out = Outcome {
            end: start,
            ..Outcome::default()
        };
        let bf = self.fault(b.call.backend);
        let factor = bf.map_or(1.0, |f| f.latency) * self.state.global.latency;
        for _ in 0..self.repeats(o) {
            for attempt in 0..=o.retries {
                if self.full(depth) {
                    return out;
                }
                let cursor = out.end;
                let idx = self.open(b.site, parent, instance, cursor);
                self.draw_attrs(idx, b.call.attrs, &b.call.gen_attrs);
                let mut cause = (factor != 1.0)
                    .then(|| bf.and_then(|f| f.cause).or(self.state.global.cause))
                    .flatten();
                let failure = self.failure(b.call.errors.rate, bf, None);
                let mut end = cursor + scaled(b.latency.nanos(self.rng), factor);
                let (mut ty, mut visible) = (None, false);
                match failure {
                    Some(Failure::Own) => {
                        ty = self.declared(&b.call.errors, idx, false).1;
                        visible = true;
                    }
                    Some(Failure::Fault(f)) => {
                        ty = self.injected(f, false).1;
                        cause = cause.or(f.cause);
                        visible = true;
                    }
                    Some(Failure::Handled(f)) => {
                        ty = self.injected(f, false).1;
                        cause = cause.or(f.cause);
                    }
                    None => {}
                }
                let mut failed = failure.is_some();
                if let Some(t) = o.timeout_ns.filter(|t| end - cursor > *t) {
                    end = cursor + t;
                    failed = true;
                    visible = true;
                    ty = Some(ErrorType::Known(KnownError::Timeout));
                }
                let ty = failed.then(|| ty.unwrap_or(ErrorType::Known(KnownError::Backend)));
                if let Some(s) = self.trace.spans.get_mut(idx) {
                    s.end_ns = end;
                    s.failed = failed;
                    s.status = if failed { Status::Error } else { Status::Unset };
                    s.error_type = ty;
                    s.resend = attempt;
                    s.cause = cause;
                }
                out.end = end;
                out.cause = out.cause.or(cause);
                if visible && attempt == o.retries && !out.failed {
                    out.failed = true;
                    out.error_type = ty;
                }
                if !failed && b.call.kind == SpanKind::Producer {
                    for &c in consumers {
                        let lag = self.lag.nanos(self.rng);
                        self.endpoint(c, idx as u32, idx as u32, end + lag, depth + 1);
                    }
                }
                if !failed {
                    break;
                }
            }
        }
        if !o.propagate {
            out.failed = false;
        }
        out
    }
}

fn merge(into: &mut Outcome, o: &Outcome) {
    if o.failed && !into.failed {
        into.failed = true;
        into.code = o.code;
        into.error_type = o.error_type;
    }
    into.cause = into.cause.or(o.cause);
}
