//! Cross-reference checks after decoding: every string, attribute set,
//! resource, series set and event index points at something that exists,
//! spans nest inside their parents' trace, series rows have the right width.
//! A pack that passes can be used without further bounds checks.

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
    fn template(&self, t: &LogTemplate) -> Result<(), PackError> {
        self.s(t.level, "a log template")?;
        self.s(t.body, "a log template")?;
        self.set(t.attrs, "a log template")
    }
}

/// Checks every reference in `pack`.
pub fn check(pack: &Pack) -> Result<(), PackError> {
    let c = Ctx { pack };
    c.s(pack.meta.name, "META")?;
    c.s(pack.meta.description, "META")?;
    if pack.meta.tick_ns == 0 {
        return Err(c.bad("the tick is zero".into()));
    }
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
    }
    for t in &pack.traces {
        c.res(t.resource, "a trace")?;
        c.s(t.endpoint, "a trace")?;
        if t.spans.is_empty() {
            return Err(c.bad("a trace has no spans".into()));
        }
        for (i, s) in t.spans.iter().enumerate() {
            if (i == 0) != (s.parent == NONE) || (s.parent != NONE && s.parent as usize >= i) {
                return Err(c.bad("a span's parent is not an earlier span of its trace".into()));
            }
            c.res(s.resource, "a span")?;
            c.opt_res(s.peer, "a span")?;
            c.s(s.name, "a span")?;
            c.set(s.attrs, "a span")?;
        }
    }
    for s in &pack.series_sets {
        for k in &s.keys {
            c.s(*k, "a series set")?;
        }
        for row in &s.rows {
            if row.len() != s.keys.len() {
                return Err(c.bad("a series row has the wrong width".into()));
            }
            for v in row {
                c.value(v, "a series set")?;
            }
        }
    }
    for m in &pack.metrics {
        c.s(m.name, "a metric")?;
        c.s(m.unit, "a metric")?;
        c.s(m.description, "a metric")?;
        if m.series_set as usize >= pack.series_sets.len() {
            return Err(c.bad(format!(
                "series set {} out of range in a metric",
                m.series_set
            )));
        }
        if let MetricSource::Spans { of } = m.source {
            c.opt_res(of, "a metric")?;
        }
    }
    for s in &pack.logs.streams {
        c.s(s.name, "a log stream")?;
        c.opt_res(s.resource, "a log stream")?;
        s.templates.iter().try_for_each(|t| c.template(t))?;
    }
    for r in &pack.logs.span_rules {
        r.templates.iter().try_for_each(|t| c.template(t))?;
    }
    for e in &pack.events {
        c.s(e.kind, "an event")?;
        c.opt_res(e.resource, "an event")?;
        c.s(e.details, "an event")?;
        c.s(e.severity, "an event")?;
        c.s(e.version, "an event")?;
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
