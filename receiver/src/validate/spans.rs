//! Run-wide span id tracking: duplicate (trace_id, span_id) pairs, and
//! parent references resolved at report time, since the spans of one trace
//! arrive in different requests and in any order. Memory is bounded by
//! `max_tracked_spans`.

use std::collections::{HashMap, HashSet};

use super::{hex, kinds, Violations};

/// A span with valid ids, as the tracker sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct SpanRef {
    pub(crate) trace: u128,
    pub(crate) span: u64,
    pub(crate) parent: Option<u64>,
}

/// Up to this many span ids a trace keeps a vector, beyond it a set.
const SMALL: usize = 32;

#[derive(Debug)]
enum SpanSet {
    Small(Vec<u64>),
    Large(HashSet<u64>),
}

impl SpanSet {
    fn contains(&self, id: u64) -> bool {
        match self {
            SpanSet::Small(v) => v.contains(&id),
            SpanSet::Large(s) => s.contains(&id),
        }
    }

    /// False when `id` was already there.
    fn insert(&mut self, id: u64) -> bool {
        match self {
            SpanSet::Small(v) => {
                if v.contains(&id) {
                    return false;
                }
                if v.len() < SMALL {
                    v.push(id);
                } else {
                    let mut s: HashSet<u64> = v.drain(..).collect();
                    s.insert(id);
                    *self = SpanSet::Large(s);
                }
                true
            }
            SpanSet::Large(s) => s.insert(id),
        }
    }
}

#[derive(Debug)]
struct TraceEntry {
    spans: SpanSet,
    /// (parent, child) references whose parent had not arrived yet.
    pending: Vec<(u64, u64)>,
}

/// The span ids of the run.
#[derive(Debug)]
pub(crate) struct SpanTracker {
    traces: HashMap<u128, TraceEntry>,
    /// The traces with pending references, so that reports visit only them.
    dirty: HashSet<u128>,
    tracked: usize,
    max: usize,
    stopped: bool,
}

impl SpanTracker {
    pub(crate) fn new(max: usize) -> SpanTracker {
        SpanTracker {
            traces: HashMap::new(),
            dirty: HashSet::new(),
            tracked: 0,
            max,
            stopped: false,
        }
    }

    /// Records the spans of one request. Traces first seen once `max` spans
    /// are tracked are not tracked; known traces keep being tracked (so that
    /// their parents resolve) up to twice `max`.
    pub(crate) fn record(&mut self, refs: &[SpanRef], v: &mut Violations) {
        for r in refs {
            if self.traces.contains_key(&r.trace) {
                if self.tracked >= self.max.saturating_mul(2) {
                    self.stopped = true;
                    continue;
                }
            } else {
                if self.tracked >= self.max {
                    self.stopped = true;
                    continue;
                }
                self.traces.insert(
                    r.trace,
                    TraceEntry {
                        spans: SpanSet::Small(Vec::new()),
                        pending: Vec::new(),
                    },
                );
            }
            let Some(entry) = self.traces.get_mut(&r.trace) else {
                continue;
            };
            if !entry.spans.insert(r.span) {
                v.add(kinds::SPAN_DUPLICATE, || {
                    format!(
                        "span {} of trace {} arrived more than once",
                        hex(&r.span.to_be_bytes()),
                        hex(&r.trace.to_be_bytes())
                    )
                });
                continue;
            }
            self.tracked += 1;
            if let Some(p) = r.parent {
                if !entry.spans.contains(p) {
                    entry.pending.push((p, r.span));
                    self.dirty.insert(r.trace);
                }
            }
        }
    }

    /// Drops the references whose parent has arrived since; returns how many remain.
    pub(crate) fn pending(&mut self) -> u64 {
        let mut n = 0;
        let traces = &mut self.traces;
        self.dirty.retain(|trace| {
            let Some(e) = traces.get_mut(trace) else {
                return false;
            };
            let spans = &e.spans;
            e.pending.retain(|(p, _)| !spans.contains(*p));
            n += e.pending.len() as u64;
            !e.pending.is_empty()
        });
        n
    }

    /// The end of the run: every reference still pending is a violation.
    pub(crate) fn resolve(&mut self, v: &mut Violations) {
        self.pending();
        for trace in self.dirty.drain() {
            let Some(e) = self.traces.get_mut(&trace) else {
                continue;
            };
            for (parent, child) in e.pending.drain(..) {
                v.add(kinds::PARENT_MISSING, || {
                    format!(
                        "span {} of trace {}: parent {} never arrived",
                        hex(&child.to_be_bytes()),
                        hex(&trace.to_be_bytes()),
                        hex(&parent.to_be_bytes())
                    )
                });
            }
        }
    }

    pub(crate) fn tracked(&self) -> u64 {
        self.tracked as u64
    }

    pub(crate) fn stopped(&self) -> bool {
        self.stopped
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(trace: u128, span: u64, parent: Option<u64>) -> SpanRef {
        SpanRef {
            trace,
            span,
            parent,
        }
    }

    #[test]
    fn parents_resolve_in_any_order_and_across_requests() {
        let mut t = SpanTracker::new(100);
        let mut v = Violations::default();
        t.record(&[r(1, 3, Some(2)), r(1, 2, Some(1))], &mut v);
        // 3's parent arrived right after it; 2's has not
        assert_eq!(t.pending(), 1);
        t.record(&[r(1, 1, None), r(2, 5, Some(4))], &mut v);
        assert_eq!(t.pending(), 1);
        // a span of another trace with the same id does not resolve it
        t.record(&[r(3, 4, None)], &mut v);
        t.resolve(&mut v);
        assert_eq!(v.total, 1);
        assert_eq!(v.kinds[kinds::PARENT_MISSING].count, 1);
        assert_eq!(t.tracked(), 5);
    }

    #[test]
    fn duplicates_are_found_in_small_and_large_traces() {
        let mut t = SpanTracker::new(1000);
        let mut v = Violations::default();
        let spans: Vec<SpanRef> = (1..=100).map(|i| r(7, i, None)).collect();
        t.record(&spans, &mut v);
        t.record(&[r(7, 50, None), r(8, 1, None), r(8, 1, None)], &mut v);
        assert_eq!(v.kinds[kinds::SPAN_DUPLICATE].count, 2);
        assert_eq!(t.tracked(), 101);
    }

    #[test]
    fn tracking_stops_for_new_traces_at_the_limit() {
        let mut t = SpanTracker::new(2);
        let mut v = Violations::default();
        t.record(&[r(1, 1, None), r(1, 2, Some(1))], &mut v);
        assert!(!t.stopped());
        t.record(&[r(2, 1, Some(9)), r(1, 3, Some(2))], &mut v);
        assert!(t.stopped());
        assert_eq!(t.tracked(), 3);
        t.resolve(&mut v);
        assert_eq!(v.total, 0);
    }
}
