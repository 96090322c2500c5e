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

/// Moves spans so that delays flow downstream: a span that got slower
/// (itself or through its children) pushes back the siblings that ran after
/// it in the template and lengthens its parent; siblings that overlapped it
/// (parallel steps) keep their shared start.
fn relayout(tpl: &TraceTemplate, out: &mut [Instance]) {
    let n = tpl.spans.len();
    let parent = |i: usize| Some(tpl.spans[i].parent as usize).filter(|&p| p < i);
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); n];
    for i in 1..n {
        if let Some(p) = parent(i) {
            children[p].push(i);
        }
    }
    // For each span: how much its children push its end (`push`), and how
    // much later its whole subtree ends than in the template (`delay`).
    let mut push = vec![0u64; n];
    let mut delay = vec![0u64; n];
    let mut offset = vec![0u64; n];
    for i in (0..n).rev() {
        let mut acc = 0u64;
        let mut prev: Option<usize> = None;
        for &c in &children[i] {
            let t = &tpl.spans[c];
            offset[c] = match prev {
                Some(p) if t.start_ns >= tpl.spans[p].start_ns + tpl.spans[p].duration_ns => acc,
                Some(p) => offset[p],
                None => 0,
            };
            acc = acc.max(offset[c] + delay[c]);
            prev = Some(c);
        }
        push[i] = acc;
        delay[i] = out[i].duration_ns.saturating_sub(tpl.spans[i].duration_ns) + acc;
    }
    let mut shift = vec![0u64; n];
    for i in 0..n {
        if let Some(p) = parent(i) {
            shift[i] = shift[p] + offset[i];
        }
        out[i].start_ns += shift[i];
        out[i].duration_ns += push[i];
    }
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
    // Only a span that got longer can move others; skip the work otherwise.
    if out
        .iter()
        .zip(&tpl.spans)
        .any(|(i, s)| i.duration_ns > s.duration_ns)
    {
        relayout(tpl, out);
    }
    let mut ends: Vec<u64> = out.iter().map(|i| i.start_ns + i.duration_ns).collect();
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

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use std::collections::BTreeMap;
    use tsim_pack::{Pack, Resource, ResourceKind, SpanTemplate, Status, TraceTemplate, NONE};

    use super::*;
    use crate::timeline::Fault;

    fn span(parent: u32, resource: u32, start_ms: u64, dur_ms: u64) -> SpanTemplate {
        SpanTemplate {
            parent,
            resource,
            peer: NONE,
            name: 0,
            kind: SpanKind::Server,
            start_ns: start_ms * 1_000_000,
            duration_ns: dur_ms * 1_000_000,
            status: Status::Unset,
            attrs: 0,
        }
    }

    fn layout(spans: Vec<SpanTemplate>) -> Vec<(u64, u64)> {
        let mut pack = Pack::default();
        let service = Resource {
            kind: ResourceKind::Service,
            name: 0,
            version: 0,
            instances: 1,
            attrs: 0,
        };
        pack.resources = vec![service; 3];
        let tpl = TraceTemplate {
            resource: 0,
            endpoint: 0,
            weight: 1.0,
            spans,
        };
        let mut faults = vec![
            Fault {
                latency: 1.0,
                ..Fault::default()
            };
            3
        ];
        faults[1].latency = 2.0;
        let state = State {
            traffic: 1.0,
            resource_traffic: vec![1.0; 3],
            faults,
            global: Fault {
                latency: 1.0,
                ..Fault::default()
            },
            anomalies: BTreeMap::new(),
            active: Vec::new(),
        };
        let mut out = Vec::new();
        let mut rng = Pcg64::seed_from_u64(1);
        instantiate(&mut rng, &pack, &tpl, 0, &state, &mut out);
        out.iter()
            .map(|i| (i.start_ns / 1_000_000, i.duration_ns / 1_000_000))
            .collect()
    }

    #[test]
    fn a_slower_step_pushes_back_the_steps_after_it() {
        // root 0..100 on resource 0; A 10..30 on resource 1 (twice as slow); B 40..60 after it.
        let got = layout(vec![
            span(NONE, 0, 0, 100),
            span(0, 1, 10, 20),
            span(0, 2, 40, 20),
        ]);
        assert_eq!(got, vec![(0, 120), (10, 40), (60, 20)]);
    }

    #[test]
    fn parallel_steps_keep_their_shared_start() {
        // A 10..30 (slowed to 10..50) and B 10..40 overlap: B does not move; the root grows.
        let got = layout(vec![
            span(NONE, 0, 0, 100),
            span(0, 1, 10, 20),
            span(0, 2, 10, 30),
        ]);
        assert_eq!(got, vec![(0, 120), (10, 40), (10, 30)]);
    }
}
