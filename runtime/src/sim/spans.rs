//! Turning one trace template into emitted spans: fresh IDs, times from the
//! arrival instant, and the timeline's faults applied — slower spans stretch
//! their ancestors, injected failures fail their ancestors (template failures
//! already carry their own propagation, retries included).

use rand::RngExt;
use rand_pcg::Pcg64;
use tsim_pack::{ResourceKind, SpanKind, Status, TraceTemplate, NONE};

use crate::timeline::State;

/// A span after faults, before encoding.
pub struct Instance {
    /// Offset from the run's start.
    pub start_ns: u64,
    /// Duration.
    pub duration_ns: u64,
    /// Failed.
    pub error: bool,
    /// Failed because of the timeline (not the template).
    pub injected: bool,
    /// `error.type` chosen by the timeline, if injected.
    pub error_type: Option<String>,
    /// Status code chosen by the timeline, if injected.
    pub status_code: Option<u16>,
    /// The block whose fault touched this span.
    pub block: Option<usize>,
    /// The span id.
    pub span_id: [u8; 8],
}

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

fn pick<T: Copy>(rng: &mut Pcg64, items: &[(T, f64)]) -> Option<T> {
    let total: f64 = items.iter().map(|i| i.1).sum();
    if items.is_empty() || total <= 0.0 {
        return items.first().map(|i| i.0);
    }
    let mut x = rng.random::<f64>() * total;
    for (v, w) in items {
        if x < *w {
            return Some(*v);
        }
        x -= w;
    }
    items.last().map(|i| i.0)
}

/// Marks `inst` failed by fault `f`.
fn inject(
    rng: &mut Pcg64,
    pack: &tsim_pack::Pack,
    f: &crate::timeline::Fault,
    inst: &mut Instance,
) {
    inst.error = true;
    inst.injected = true;
    inst.block = f.block;
    let ty = pick(rng, &f.types).and_then(|s| pack.strings.get(s as usize).cloned());
    inst.error_type = Some(ty.unwrap_or_else(|| {
        if f.spread {
            "CircuitBreakerOpen".into()
        } else {
            "InternalError".into()
        }
    }));
    inst.status_code = Some(pick(rng, &f.codes).unwrap_or(500));
}

/// Instantiates `tpl` arriving at `arrival_ns` (from the run's start).
pub fn instantiate(
    rng: &mut Pcg64,
    pack: &tsim_pack::Pack,
    tpl: &TraceTemplate,
    arrival_ns: u64,
    state: &State,
    out: &mut Vec<Instance>,
) {
    out.clear();
    let n = tpl.spans.len();
    let mut ends: Vec<u64> = Vec::with_capacity(n);
    for s in &tpl.spans {
        let target = match s.kind {
            SpanKind::Server | SpanKind::Consumer => s.resource,
            SpanKind::Client | SpanKind::Producer
                if s.peer != NONE
                    && pack
                        .resources
                        .get(s.peer as usize)
                        .is_some_and(|r| r.kind != ResourceKind::Service) =>
            {
                s.peer
            }
            _ => NONE,
        };
        let mut inst = Instance {
            start_ns: arrival_ns + s.start_ns,
            duration_ns: s.duration_ns,
            error: s.status == Status::Error && !state.global.errors_set,
            injected: false,
            error_type: None,
            status_code: None,
            block: None,
            span_id: id(rng),
        };
        if target != NONE && state.global.latency != 1.0 {
            inst.duration_ns = (inst.duration_ns as f64 * state.global.latency) as u64;
            inst.block = state.global.block;
        }
        if let Some(f) = state.faults.get(target as usize) {
            if f.latency != 1.0 {
                inst.duration_ns = (inst.duration_ns as f64 * f.latency) as u64;
                inst.block = f.block;
            }
            if f.errors_set {
                inst.error = false;
            }
            if f.errors > 0.0 && rng.random_bool(f.errors.clamp(0.0, 1.0)) {
                inject(rng, pack, f, &mut inst);
                if f.spread {
                    // An open circuit breaker fails fast.
                    inst.duration_ns /= 5;
                }
            }
        }
        ends.push(inst.start_ns + inst.duration_ns);
        out.push(inst);
    }
    // Faults aimed at everything are scattered, handled errors: each server
    // span or backend call fails on its own, without failing its callers.
    let g = &state.global;
    if g.errors > 0.0 {
        for (s, inst) in tpl.spans.iter().zip(out.iter_mut()) {
            let eligible =
                matches!(s.kind, SpanKind::Server | SpanKind::Consumer) || s.peer != NONE;
            if eligible && rng.random_bool(g.errors.clamp(0.0, 1.0)) {
                inject(rng, pack, g, inst);
                inst.injected = false;
            }
        }
    }
    for i in (1..n).rev() {
        let p = tpl.spans[i].parent as usize;
        if p >= i {
            continue;
        }
        if ends[i] > ends[p] {
            ends[p] = ends[i];
        }
        if out[i].injected && !out[p].error {
            let (ty, code, block) = (out[i].error_type.clone(), out[i].status_code, out[i].block);
            let parent = &mut out[p];
            parent.error = true;
            parent.injected = true;
            parent.error_type = ty;
            parent.status_code = code;
            parent.block = parent.block.or(block);
        }
    }
    for (inst, end) in out.iter_mut().zip(ends) {
        inst.duration_ns = end - inst.start_ns;
    }
}
