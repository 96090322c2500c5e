//! Steps: calls (a client span over the callee's server span, hops,
//! timeouts, retries), queries and publishes (with their consumers),
//! `internal` steps (an INTERNAL span on the caller's instance), parallel
//! branches, and the `chance` and `repeat` that decide how often a
//! step runs.

use rand::SeedableRng;
use rand_pcg::Pcg64;
use tsim_pack::{SpanKind, Status, NONE};

use super::failure::Failure;
use super::{key, ErrorType, KnownError, Outcome, Walker};
use crate::draw::grpc::GrpcCode;
use crate::draw::values::chance;
use crate::plan::{Backend, Options, PlannedStep};
use crate::sink::Attributes;

impl<'p> Walker<'_, 'p> {
    pub(super) fn step(
        &mut self,
        step: &PlannedStep<'p>,
        parent: u32,
        instance: u32,
        start: u64,
        depth: u32,
        shape: u64,
    ) -> Outcome {
        let at = Place {
            parent,
            instance,
            start,
            depth,
            shape,
        };
        match step {
            PlannedStep::Parallel(inner) => {
                let mut out = Outcome {
                    end: start,
                    ..Outcome::default()
                };
                for s in inner {
                    let begin = start.saturating_add(self.plan.stagger.nanos(self.rng));
                    let o = self.step(s, parent, instance, begin, depth, shape);
                    out.end = out.end.max(o.end);
                    merge(&mut out, &o);
                }
                out
            }
            PlannedStep::Call {
                endpoint,
                site,
                url,
                options,
            } => self.call(*endpoint, *site, url.as_deref(), options, at),
            PlannedStep::Backend {
                backend,
                consumers,
                options,
            } => self.backend(backend, consumers, options, at),
            PlannedStep::Internal { endpoint, options } => self.internal(*endpoint, options, at),
        }
    }

    /// An `internal` step: its span under the caller's, on the caller's
    /// instance, no client span and no hop; repeated in a row.
    fn internal(&mut self, e: u32, o: &Options, at: Place) -> Outcome {
        let mut out = Outcome {
            end: at.start,
            ..Outcome::default()
        };
        let site = self.plan.endpoint(e).map_or(NONE, |p| p.site);
        for rep in 0..self.repeats(o, site, at.shape) {
            let shape = key(at.shape, site, rep);
            let depth = at.depth + 1;
            let r = self.endpoint(e, at.parent, NONE, out.end, depth, shape, Some(at.instance));
            out.end = r.end;
            merge(&mut out, &r);
        }
        if !o.propagate {
            out.failed = false;
        }
        out
    }
    /// How many times a step runs: drawn from the request's stream, or for
    /// fixed shapes from a stream keyed by where the choice is made.
    fn repeats(&mut self, o: &Options, site: u32, shape: u64) -> u64 {
        match self.shape {
            None => {
                if !chance(self.rng, o.chance) {
                    return 0;
                }
                o.repeat.count(self.rng)
            }
            Some(_) => {
                let mut r = Pcg64::seed_from_u64(key(shape, site, u64::MAX));
                if !chance(&mut r, o.chance) {
                    return 0;
                }
                o.repeat.count(&mut r)
            }
        }
    }

    fn call(
        &mut self,
        callee: u32,
        site: u32,
        url: Option<&str>,
        o: &Options,
        at: Place,
    ) -> Outcome {
        let mut out = Outcome {
            end: at.start,
            ..Outcome::default()
        };
        let (http, grpc) = self
            .plan
            .endpoints
            .get(callee as usize)
            .map_or((false, false), |e| (e.http, e.grpc));
        for rep in 0..self.repeats(o, site, at.shape) {
            // Every attempt of a repetition has the same shape.
            let shape = key(at.shape, site, rep);
            for attempt in 0..=o.retries {
                if self.full(at.depth) {
                    return out;
                }
                let cursor = out.end;
                let c = self.open(site, at.parent, at.instance, cursor);
                let there = cursor.saturating_add(self.plan.hop.nanos(self.rng));
                let srv = self.endpoint(callee, c as u32, NONE, there, at.depth + 1, shape, None);
                if let Some(base) = url {
                    self.url_full(c, base);
                }
                let mut end = srv.end.saturating_add(self.plan.hop.nanos(self.rng));
                let timed_out = o.timeout_ns.is_some_and(|t| end.saturating_sub(cursor) > t);
                if let Some(t) = o.timeout_ns.filter(|_| timed_out) {
                    end = cursor.saturating_add(t);
                }
                let seen = srv.seen || timed_out;
                let code = if timed_out {
                    None
                } else {
                    srv.code.filter(|_| http)
                };
                // A gRPC client that gives up reports DEADLINE_EXCEEDED.
                let rpc = match (grpc, timed_out) {
                    (false, _) => None,
                    (true, true) => Some(GrpcCode::DeadlineExceeded),
                    (true, false) => srv.rpc,
                };
                let ty = if timed_out {
                    Some(ErrorType::Known(
                        rpc.map_or(KnownError::Timeout, KnownError::Grpc),
                    ))
                } else if seen {
                    code.map(ErrorType::Code)
                        .or(rpc.map(|r| ErrorType::Known(KnownError::Grpc(r))))
                        .or(srv.error_type)
                } else {
                    None
                };
                if let Some(s) = self.trace.spans.get_mut(c) {
                    s.end_ns = end;
                    s.failed = seen;
                    s.status = if seen { Status::Error } else { Status::Unset };
                    s.code = code;
                    s.rpc = rpc;
                    s.error_type = ty;
                    s.resend = attempt;
                    s.cause = srv.cause;
                }
                out.end = end;
                out.cause = out.cause.or(srv.cause);
                if !seen {
                    break;
                }
                if attempt == o.retries && (srv.failed || timed_out) && !out.failed {
                    out.failed = true;
                    out.seen = true;
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

    /// Sets client span `client`'s `url.full`: `base` and the `url.path`
    /// of the server span right under it (none when the trace was cut
    /// before it, or it has no path).
    fn url_full(&mut self, client: usize, base: &str) {
        let pack = self.plan.pack;
        let Some(server) = self
            .trace
            .spans
            .get(client + 1)
            .filter(|s| s.parent as usize == client)
        else {
            return;
        };
        let Some(site) = self.plan.sites.get(server.site as usize) else {
            return;
        };
        let (a, b) = (server.drawn.0 as usize, server.drawn.1 as usize);
        let drawn = self.trace.drawn.get(a..b).unwrap_or(&[]);
        let mut path = String::new();
        match Attributes::new(pack, site.attrs, drawn, &self.trace.text).get("url.path") {
            Some(v) => v.write(&mut path),
            None => return,
        }
        let text = &mut self.trace.text;
        let start = text.len() as u32;
        text.push_str(base);
        text.push_str(&path);
        let end = text.len() as u32;
        if let Some(s) = self.trace.spans.get_mut(client) {
            s.url = Some((start, end));
        }
    }

    fn backend(&mut self, b: &Backend<'p>, consumers: &[u32], o: &Options, at: Place) -> Outcome {
        let mut out = Outcome {
            end: at.start,
            ..Outcome::default()
        };
        let bf = self.fault(b.call.backend);
        let factor = bf.map_or(1.0, |f| f.latency) * self.state.global.latency;
        for rep in 0..self.repeats(o, b.site, at.shape) {
            let shape = key(at.shape, b.site, rep);
            for attempt in 0..=o.retries {
                if self.full(at.depth) {
                    return out;
                }
                let cursor = out.end;
                let idx = self.open(b.site, at.parent, at.instance, cursor);
                self.draw_attrs(idx, b.call.attrs, &b.call.gen_attrs);
                let mut cause = (factor != 1.0)
                    .then(|| bf.and_then(|f| f.cause).or(self.state.global.cause))
                    .flatten();
                let failure = self.failure(b.call.errors.rate, bf, None);
                let mut end = cursor.saturating_add(self.duration(&b.latency, factor));
                let (mut ty, mut reaches) = match failure {
                    Some(Failure::Own) => (self.declared(&b.call.errors, idx, false).1, true),
                    Some(Failure::Fault(f, c)) => {
                        cause = Some(c);
                        (self.injected(f, false).1, true)
                    }
                    Some(Failure::Handled(f, c)) => {
                        cause = Some(c);
                        (self.injected(f, false).1, false)
                    }
                    None => (None, false),
                };
                let mut failed = failure.is_some();
                if let Some(t) = o.timeout_ns.filter(|t| end.saturating_sub(cursor) > *t) {
                    end = cursor.saturating_add(t);
                    failed = true;
                    reaches = true;
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
                if !failed && b.call.kind == SpanKind::Producer {
                    for &c in consumers {
                        let lag = end.saturating_add(self.lag.nanos(self.rng));
                        let k = key(shape, c, u64::from(attempt));
                        self.endpoint(c, idx as u32, idx as u32, lag, at.depth + 1, k, None);
                    }
                }
                if !failed {
                    break;
                }
                if attempt == o.retries && reaches && !out.failed {
                    out.failed = true;
                    out.seen = true;
                    out.error_type = ty;
                }
            }
        }
        if !o.propagate {
            out.failed = false;
        }
        out
    }
}

/// Where a step runs: under which span and instance, from when, how deep,
/// under which shape key.
#[derive(Clone, Copy)]
struct Place {
    parent: u32,
    instance: u32,
    start: u64,
    depth: u32,
    shape: u64,
}

pub(super) fn merge(into: &mut Outcome, o: &Outcome) {
    if o.failed && !into.failed {
        into.failed = true;
        into.seen = true;
        into.code = o.code;
        into.error_type = o.error_type;
    }
    into.cause = into.cause.or(o.cause);
}
