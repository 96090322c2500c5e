//! Cascades: which endpoints depend on which (callers of each endpoint;
//! direct dependents of each resource), and how a cascade spreads from its
//! root cause along those dependencies, level by level.

use tsim_pack::{Pack, Step};

use super::{Cause, Fault, State, Timeline};

/// Per endpoint its callers; per resource its direct dependents.
type Dependents = (Vec<Vec<u32>>, Vec<Vec<(u32, u32)>>);

pub(super) fn callers_of(pack: &Pack) -> Dependents {
    let eps = &pack.calls.endpoints;
    let mut callers = vec![Vec::new(); eps.len()];
    let mut direct = vec![Vec::new(); pack.resources.len()];
    fn walk(steps: &[Step], me: u32, callers: &mut [Vec<u32>], direct: &mut [Vec<(u32, u32)>]) {
        for s in steps {
            let (callees, backend): (&[u32], Option<u32>) = match s {
                Step::Call { endpoint, .. } => (std::slice::from_ref(endpoint), None),
                Step::Query { call, .. } => (&[], Some(call.backend)),
                // Publishing is asynchronous: a failing consumer does not
                // fail its producer, so consumers are not callees here.
                Step::Publish { call, .. } => (&[], Some(call.backend)),
                Step::Parallel(inner) => {
                    walk(inner, me, callers, direct);
                    continue;
                }
                // An internal step's calls are its endpoint's calls.
                Step::Internal { program, .. } => {
                    walk(&program.steps, me, callers, direct);
                    continue;
                }
            };
            for c in callees {
                if let Some(list) = callers.get_mut(*c as usize) {
                    if !list.contains(&me) {
                        list.push(me);
                    }
                }
            }
            if let Some(list) = backend.and_then(|b| direct.get_mut(b as usize)) {
                if !list.contains(&(me, 1)) {
                    list.push((me, 1));
                }
            }
        }
    }
    for (i, ep) in eps.iter().enumerate() {
        walk(&ep.steps, i as u32, &mut callers, &mut direct);
        if let Some(list) = direct.get_mut(ep.resource as usize) {
            list.push((i as u32, 0));
        }
    }
    (callers, direct)
}

impl Timeline {
    /// A cascade from `root`: endpoints at dependency distance k >= 1 fail
    /// (fast, with 503 and an open circuit breaker) once the block has run
    /// k/(levels+1) of its length, with the root's error share times 0.85^k.
    pub(super) fn spread(
        &self,
        st: &mut State,
        root: u32,
        cause: Cause,
        elapsed: u64,
        length: u64,
    ) {
        let mut dist: Vec<Option<u32>> = vec![None; self.endpoints];
        let mut queue = std::collections::VecDeque::new();
        for &(e, d) in self.direct.get(root as usize).into_iter().flatten() {
            if let Some(slot) = dist.get_mut(e as usize) {
                if slot.is_none_or(|x| d < x) {
                    *slot = Some(d);
                    queue.push_back(e);
                }
            }
        }
        let mut deepest = 0;
        while let Some(e) = queue.pop_front() {
            let d = dist[e as usize].unwrap_or(0);
            deepest = deepest.max(d);
            for &c in self.callers.get(e as usize).into_iter().flatten() {
                if let Some(slot) = dist.get_mut(c as usize) {
                    if slot.is_none() {
                        *slot = Some(d + 1);
                        queue.push_back(c);
                    }
                }
            }
        }
        let base = st.faults.get(root as usize).map_or(0.0, |f| f.errors);
        let step = length / (u64::from(deepest) + 1);
        if st.endpoint_faults.is_empty() {
            st.endpoint_faults = vec![None; self.endpoints];
        }
        for (e, d) in dist.iter().enumerate() {
            let Some(d) = d.filter(|&d| d >= 1 && elapsed >= step * u64::from(d)) else {
                continue;
            };
            let p = base * 0.85f64.powi(d as i32);
            let f = st.endpoint_faults[e].get_or_insert_with(|| Fault {
                latency: 1.0,
                ..Fault::default()
            });
            f.errors = 1.0 - (1.0 - f.errors) * (1.0 - p);
            f.shares.push((cause, p));
            f.spread = true;
            f.codes.push((503, 1.0));
        }
    }
}
