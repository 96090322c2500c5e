//! When blocks are active: the window of each occurrence (with `every ~`
//! jitter), every occurrence within a run, and the next instant the state
//! can change.

use tsim_pack::program::{AnomalyKind, Op};

use super::{Block, Cause, Timeline, When, RAMP_RESOLUTION_NS};
use crate::streams::mix;

impl Timeline {
    /// The window of a one-off block: (start, end) in ns from the run's
    /// start; `None` for repeating blocks.
    pub fn window(&self, i: usize) -> Option<(u64, u64)> {
        match self.blocks.get(i)?.when {
            When::At { start, length, .. } => Some((start, start.saturating_add(length))),
            When::Every { .. } => None,
        }
    }

    /// The window of occurrence `k` of block `i`: (start, end) in ns from
    /// the run's start.
    pub fn occurrence_window(&self, i: usize, k: u64) -> Option<(u64, u64)> {
        match self.blocks.get(i)?.when {
            When::At { start, length, .. } => {
                (k == 0).then(|| (start, start.saturating_add(length)))
            }
            When::Every {
                period,
                length,
                jitter,
            } => {
                let slack = period - length;
                let offset = if jitter && slack > 0 {
                    mix(self.seed ^ mix(i as u64) ^ k) % slack
                } else {
                    0
                };
                let start = k.checked_mul(period)?.checked_add(offset)?;
                Some((start, start.saturating_add(length)))
            }
        }
    }

    /// Whether block `i` repeats (`every`).
    pub fn repeats(&self, i: usize) -> bool {
        self.blocks
            .get(i)
            .is_some_and(|b| matches!(b.when, When::Every { .. }))
    }

    /// Every occurrence of incident blocks that starts before `duration`.
    pub fn occurrences(&self, duration: u64) -> Vec<(Cause, u64, u64)> {
        self.occurrences_where(duration, false, |b| b.incident.is_some())
    }

    /// Every occurrence, before `duration`, of the repeating blocks that
    /// make events.
    pub fn repeating_events(&self, duration: u64) -> Vec<(Cause, u64, u64)> {
        // An event needs no length: `every 3m config ...` happens each 3m.
        self.occurrences_where(duration, true, |b| {
            !b.events.is_empty() && matches!(b.when, When::Every { .. })
        })
    }

    fn occurrences_where(
        &self,
        duration: u64,
        empty_too: bool,
        keep: impl Fn(&Block) -> bool,
    ) -> Vec<(Cause, u64, u64)> {
        let mut out = Vec::new();
        for (i, b) in self.blocks.iter().enumerate() {
            if !keep(b) {
                continue;
            }
            let mut k = 0;
            while let Some((a, e)) = self.occurrence_window(i, k) {
                if a >= duration {
                    break;
                }
                if e > a || empty_too {
                    let cause = Cause {
                        block: i as u32,
                        occurrence: k,
                    };
                    out.push((cause, a, e.min(duration)));
                }
                if matches!(b.when, When::At { .. }) {
                    break;
                }
                k += 1;
            }
        }
        out.sort_by_key(|o| (o.1, o.0));
        out
    }

    /// The first instant after `t` at which the state may differ from the
    /// state at `t` (a window opens or closes, or a ramp or cascade moves).
    pub fn next_change(&self, t: u64) -> u64 {
        let mut next = u64::MAX;
        for i in 0..self.blocks.len() {
            let k = match self.blocks[i].when {
                When::At { .. } => 0,
                When::Every { period, .. } => t / period,
            };
            for k in [k, k + 1] {
                let Some((a, e)) = self.occurrence_window(i, k) else {
                    continue;
                };
                let e = e.max(a.saturating_add(1));
                if a > t {
                    next = next.min(a);
                }
                if e > t {
                    next = next.min(e);
                }
                if a <= t && t < e && self.moves(i) {
                    next = next.min(t.saturating_add(RAMP_RESOLUTION_NS));
                }
            }
        }
        next
    }

    /// Whether an active block's effect changes within its window.
    pub(super) fn moves(&self, i: usize) -> bool {
        self.blocks[i].effects.iter().any(|op| match *op {
            Op::Errors(_, a, b) | Op::Latency(_, a, b) | Op::Rate(_, a, b) => a != b,
            Op::Anomaly { kind, from, to, .. } => kind == AnomalyKind::Trend && from != to,
            Op::Cascade(_) => true,
            _ => false,
        })
    }

    /// Activation of block `i` at `t` (ns from the run's start): `None` when
    /// inactive, else (ramp progress, window progress, window start, window
    /// length, occurrence).
    pub(super) fn activation(&self, i: usize, t: u64) -> Option<(f64, f64, u64, u64, u64)> {
        let k = match self.blocks[i].when {
            When::At { .. } => 0,
            When::Every { period, length, .. } => {
                if length == 0 {
                    return None;
                }
                t / period
            }
        };
        let (start, end) = self.occurrence_window(i, k)?;
        let length = end - start;
        if t < start || t >= end.max(start.saturating_add(1)) {
            return None;
        }
        let into = (t - start) as f64;
        let ramp_p = match self.blocks[i].when {
            When::At { ramp, .. } if ramp > 0 => (into / ramp as f64).min(1.0),
            _ => 1.0,
        };
        Some((ramp_p, into / length.max(1) as f64, start, length, k))
    }
}
