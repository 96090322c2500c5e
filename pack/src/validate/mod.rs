//! Cross-reference checks after decoding: every string, attribute set,
//! resource, endpoint, series set and event index points at something that
//! exists and of the right kind, every probability, weight and distribution
//! parameter is in range, the call graph has no cycle and bounded depth,
//! series rows have the right width, log levels and messages can only be
//! strings. A pack that passes can be used without further bounds checks.
//!
//! This module holds the entry point ([`check`]), the shared `Ctx`
//! helpers (indexes, kinds, ranges, weights) and the checks of META,
//! attribute sets, resources, events and the program; `calls` checks the
//! CALL section, `metrics` the series sets and metrics, `logs` the LOGS
//! section.

mod calls;
mod logs;
mod metrics;

use crate::error::PackError;
use crate::program::{Op, Target};
use crate::types::*;

struct Ctx<'a> {
    pack: &'a Pack,
}

impl Ctx<'_> {
    fn bad(&self, what: String) -> PackError {
        PackError::Invalid { what }
    }
    fn s(&self, id: StrId, at: &str) -> Result<(), PackError> {
        if (id as usize) < self.pack.strings.len() {
            Ok(())
        } else {
            Err(self.bad(format!("string {id} out of range in {at}")))
        }
    }
    fn set(&self, id: u32, at: &str) -> Result<(), PackError> {
        if (id as usize) < self.pack.attr_sets.len() {
            Ok(())
        } else {
            Err(self.bad(format!("attribute set {id} out of range in {at}")))
        }
    }
    fn res(&self, id: u32, at: &str) -> Result<(), PackError> {
        if (id as usize) < self.pack.resources.len() {
            Ok(())
        } else {
            Err(self.bad(format!("resource {id} out of range in {at}")))
        }
    }
    fn opt_res(&self, id: u32, at: &str) -> Result<(), PackError> {
        if id == NONE {
            Ok(())
        } else {
            self.res(id, at)
        }
    }
    fn instances(&self, n: u32, at: &str) -> Result<(), PackError> {
        if n <= crate::MAX_INSTANCES {
            Ok(())
        } else {
            Err(self.bad(format!(
                "{at}: {n} instances, more than {}",
                crate::MAX_INSTANCES
            )))
        }
    }
    fn value(&self, v: &AttrValue, at: &str) -> Result<(), PackError> {
        match v {
            AttrValue::Str(s) => self.s(*s, at),
            _ => Ok(()),
        }
    }
    fn target(&self, t: &Target) -> Result<(), PackError> {
        match t {
            Target::All => Ok(()),
            Target::Resource(r) => self.res(*r, "the program"),
        }
    }
    fn text(&self, id: StrId) -> &str {
        self.pack
            .strings
            .get(id as usize)
            .map_or("?", String::as_str)
    }

    /// A resource that exists and is of the `want` kind.
    fn res_kind(&self, id: u32, want: ResourceKind, at: &str) -> Result<(), PackError> {
        self.res(id, at)?;
        match self.pack.resources.get(id as usize) {
            Some(r) if r.kind == want => Ok(()),
            Some(r) => Err(self.bad(format!(
                "{at}: resource {id} is a {}, not a {}",
                kind_name(r.kind),
                kind_name(want)
            ))),
            None => Err(self.bad(format!("resource {id} out of range in {at}"))),
        }
    }

    fn prob(&self, p: f64, what: &str, at: &str) -> Result<(), PackError> {
        if p.is_finite() && (0.0..=1.0).contains(&p) {
            Ok(())
        } else {
            Err(self.bad(format!("{at}: {what} {p} is not in 0..=1")))
        }
    }

    fn finite(&self, v: f64, what: &str, at: &str) -> Result<(), PackError> {
        if v.is_finite() {
            Ok(())
        } else {
            Err(self.bad(format!("{at}: {what} {v} is not finite")))
        }
    }

    fn nonneg(&self, v: f64, what: &str, at: &str) -> Result<(), PackError> {
        self.finite(v, what, at)?;
        if v >= 0.0 {
            Ok(())
        } else {
            Err(self.bad(format!("{at}: {what} {v} is negative")))
        }
    }

    fn positive(&self, v: f64, what: &str, at: &str) -> Result<(), PackError> {
        self.finite(v, what, at)?;
        if v > 0.0 {
            Ok(())
        } else {
            Err(self.bad(format!("{at}: {what} {v} is not positive")))
        }
    }

    /// Weights of a weighted choice: each finite and >= 0, the sum finite
    /// and positive.
    fn weights(&self, weights: impl Iterator<Item = f64>, at: &str) -> Result<(), PackError> {
        let mut sum = 0.0;
        let mut any = false;
        for w in weights {
            any = true;
            self.nonneg(w, "weight", at)?;
            sum += w;
        }
        if !any {
            Err(self.bad(format!("{at}: a weighted choice has no choices")))
        } else if sum.is_finite() && sum > 0.0 {
            Ok(())
        } else {
            Err(self.bad(format!(
                "{at}: the weights sum to {sum}, not a positive number"
            )))
        }
    }
}

/// The shortest tick a run takes (1 ms).
pub const MIN_TICK_NS: u64 = 1_000_000;

impl Ctx<'_> {
    /// The start and every instant of the run up to start plus duration
    /// fit signed 64-bit Unix nanoseconds (1677 to 2262).
    fn run_window(&self) -> Result<(), PackError> {
        let m = &self.pack.meta;
        let Some((secs, nanos)) = m.start else {
            return Ok(());
        };
        let start = secs
            .checked_mul(1_000_000_000)
            .filter(|_| nanos < 1_000_000_000)
            .and_then(|s| s.checked_add(i64::from(nanos)));
        let end = start.and_then(|s| {
            i64::try_from(m.duration_ns)
                .ok()
                .and_then(|d| s.checked_add(d))
        });
        match end {
            Some(_) => Ok(()),
            None => Err(self.bad(format!(
                "the start {secs}.{nanos:09} s plus the duration {} ns is not an instant from 1677 to 2262",
                m.duration_ns
            ))),
        }
    }
}

fn kind_name(k: ResourceKind) -> &'static str {
    match k {
        ResourceKind::Service => "service",
        ResourceKind::Database => "database",
        ResourceKind::Queue => "queue",
    }
}

/// Checks every reference in `pack`.
pub fn check(pack: &Pack) -> Result<(), PackError> {
    let c = Ctx { pack };
    c.s(pack.meta.name, "META")?;
    c.s(pack.meta.description, "META")?;
    if pack.meta.tick_ns < MIN_TICK_NS {
        return Err(c.bad(format!(
            "the tick is {} ns, less than 1 ms",
            pack.meta.tick_ns
        )));
    }
    c.run_window()?;
    for set in &pack.attr_sets {
        for a in set {
            c.s(a.key, "an attribute set")?;
            c.value(&a.value, "an attribute set")?;
        }
    }
    for r in &pack.resources {
        c.s(r.name, "a resource")?;
        c.s(r.version, "a resource")?;
        c.set(r.attrs, "a resource")?;
        c.instances(r.instances, "a resource")?;
    }
    c.calls()?;
    c.series_sets()?;
    c.metrics()?;
    c.logs()?;
    for e in &pack.events {
        c.s(e.kind, "an event")?;
        c.opt_res(e.resource, "an event")?;
        c.s(e.details, "an event")?;
        c.s(e.severity, "an event")?;
        c.s(e.version, "an event")?;
        c.instances(e.instances, "an event")?;
    }
    for op in &pack.program {
        match op {
            Op::Traffic { timezone, .. } => c.s(*timezone, "the program")?,
            Op::Errors(t, ..)
            | Op::Latency(t, ..)
            | Op::Rate(t, ..)
            | Op::Status(t, ..)
            | Op::Cascade(t) => c.target(t)?,
            Op::ErrorType(t, s, _) => {
                c.target(t)?;
                c.s(*s, "the program")?;
            }
            Op::Anomaly { metric, .. } | Op::Shift { metric, .. } => c.s(*metric, "the program")?,
            Op::Event(i) if *i as usize >= pack.events.len() => {
                return Err(c.bad(format!("event {i} out of range")))
            }
            Op::Incident {
                kind,
                target,
                severity,
            } => {
                c.s(*kind, "the program")?;
                c.target(target)?;
                c.s(*severity, "the program")?;
            }
            Op::Every { period_ns: 0, .. } => {
                return Err(c.bad("a repeating block has a zero period".into()))
            }
            _ => {}
        }
    }
    Ok(())
}
