//! Cross-reference checks after decoding: every string, attribute set,
//! resource, endpoint, series set and event index points at something that
//! exists and of the right kind, every probability, weight and distribution
//! parameter is in range, the call graph has no cycle and bounded depth,
//! series rows have the right width, log levels and messages can only be
//! strings. A pack that passes can be used without further bounds checks.

use crate::calls::*;
use crate::error::PackError;
use crate::program::{Op, Target};
use crate::types::*;

/// How far the weights of a series set may sum from 1.
const SERIES_WEIGHT_TOLERANCE: f64 = 1e-9;

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
    fn text(&self, id: StrId) -> &str {
        self.pack
            .strings
            .get(id as usize)
            .map_or("?", String::as_str)
    }

    fn endpoint(&self, i: u32, at: &str) -> Result<(), PackError> {
        if (i as usize) < self.pack.calls.endpoints.len() {
            Ok(())
        } else {
            Err(self.bad(format!("{at}: endpoint {i} out of range")))
        }
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

    /// A series set's weights: none (equal shares), or one per row, each
    /// finite and >= 0, summing to 1.
    fn series_weights(&self, i: usize, s: &SeriesSet) -> Result<(), PackError> {
        if s.weights.is_empty() {
            return Ok(());
        }
        let at = format!("series set {i}");
        if s.weights.len() != s.rows.len() {
            return Err(self.bad(format!(
                "{at} has {} weights for {} rows (want 0 or {})",
                s.weights.len(),
                s.rows.len(),
                s.rows.len()
            )));
        }
        let mut sum = 0.0;
        for &w in &s.weights {
            self.nonneg(w, "weight", &at)?;
            sum += w;
        }
        if (sum - 1.0).abs() <= SERIES_WEIGHT_TOLERANCE {
            Ok(())
        } else {
            Err(self.bad(format!("{at}: the weights sum to {sum}, not 1")))
        }
    }

    fn dist(&self, d: &Dist, at: &str) -> Result<(), PackError> {
        match *d {
            Dist::Constant(v) => self.finite(v, "constant", at),
            Dist::Uniform { min, max } => {
                self.finite(min, "uniform min", at)?;
                self.finite(max, "uniform max", at)?;
                if min <= max {
                    Ok(())
                } else {
                    Err(self.bad(format!("{at}: uniform min {min} is above max {max}")))
                }
            }
            Dist::Normal { mean, sd } => {
                self.finite(mean, "normal mean", at)?;
                self.nonneg(sd, "normal sd", at)
            }
            Dist::LogNormal { mu, sigma } => {
                self.finite(mu, "log-normal mu", at)?;
                self.nonneg(sigma, "log-normal sigma", at)
            }
            Dist::Exponential { mean } => self.nonneg(mean, "exponential mean", at),
            Dist::Pareto { scale, shape } => {
                self.positive(scale, "pareto scale", at)?;
                self.positive(shape, "pareto shape", at)
            }
            Dist::Pick(ref choices) => {
                for &(v, _) in choices {
                    self.finite(v, "pick value", at)?;
                }
                self.weights(choices.iter().map(|&(_, w)| w), at)
            }
        }
    }

    fn parts(&self, parts: &[Part], at: &str) -> Result<(), PackError> {
        for p in parts {
            match *p {
                Part::Lit(s) | Part::Attr(s) => self.s(s, at)?,
                Part::Counter(w) if w > 18 => {
                    return Err(self.bad(format!("{at}: counter width {w} is above 18")))
                }
                Part::Hex(w) if w > 64 => {
                    return Err(self.bad(format!("{at}: hex width {w} is above 64")))
                }
                Part::Counter(_) | Part::Hex(_) | Part::Uuid => {}
            }
        }
        Ok(())
    }

    fn gen_value(&self, v: &AttrValue, at: &str) -> Result<(), PackError> {
        match *v {
            AttrValue::Str(s) => self.s(s, at),
            AttrValue::Float(f) => self.finite(f, "value", at),
            AttrValue::Int(_) | AttrValue::Bool(_) => Ok(()),
        }
    }

    /// `depth` counts the `Maybe`s around `g`.
    fn gen(&self, g: &Gen, at: &str, depth: usize) -> Result<(), PackError> {
        match g {
            Gen::Const(v) => self.gen_value(v, at),
            Gen::Pick(choices) => {
                for (v, _) in choices {
                    self.gen_value(v, at)?;
                }
                self.weights(choices.iter().map(|&(_, w)| w), at)
            }
            Gen::IntRange(lo, hi) if lo > hi => {
                Err(self.bad(format!("{at}: integer range {lo}..={hi} has lo > hi")))
            }
            Gen::IntRange(..) => Ok(()),
            Gen::FloatRange(lo, hi) => {
                self.finite(*lo, "range low end", at)?;
                self.finite(*hi, "range high end", at)?;
                if lo <= hi {
                    Ok(())
                } else {
                    Err(self.bad(format!("{at}: range {lo}..{hi} has lo > hi")))
                }
            }
            Gen::Pattern(parts) => self.parts(parts, at),
            Gen::Pool { size: 0, .. } => Err(self.bad(format!("{at}: pool size is 0"))),
            Gen::Pool { pattern, .. } => self.parts(pattern, at),
            Gen::Bool(p) => self.prob(*p, "probability", at),
            Gen::Dist(d) => self.dist(d, at),
            Gen::Maybe(p, inner) => {
                self.prob(*p, "maybe probability", at)?;
                if depth >= MAX_GEN_DEPTH {
                    return Err(
                        self.bad(format!("{at}: nested deeper than {MAX_GEN_DEPTH} `maybe`s"))
                    );
                }
                self.gen(inner, at, depth + 1)
            }
        }
    }

    fn gen_attrs(&self, attrs: &[GenAttr], at: &str) -> Result<(), PackError> {
        for (i, a) in attrs.iter().enumerate() {
            self.s(a.key, &format!("{at} generated attribute {i}"))?;
            self.gen(&a.gen, &format!("{at} attribute `{}`", self.text(a.key)), 0)?;
        }
        Ok(())
    }

    /// A log level or message: a valid generator that yields only strings,
    /// a constant string or a pick of strings.
    fn text_gen(&self, g: &Gen, what: &str, at: &str) -> Result<(), PackError> {
        let at = format!("{at} {what}");
        self.gen(g, &at, 0)?;
        let found = match g {
            Gen::Const(AttrValue::Str(_)) => return Ok(()),
            Gen::Pick(choices) => match choices
                .iter()
                .find(|(v, _)| !matches!(v, AttrValue::Str(_)))
            {
                None => return Ok(()),
                Some((v, _)) => format!("a pick with {}", value_kind(v)),
            },
            Gen::Const(v) => value_kind(v).to_string(),
            Gen::IntRange(..) => "an integer range".into(),
            Gen::FloatRange(..) => "a float range".into(),
            Gen::Pattern(_) => "a pattern".into(),
            Gen::Pool { .. } => "a pool".into(),
            Gen::Bool(_) => "a chance".into(),
            Gen::Dist(_) => "a distribution".into(),
            Gen::Maybe(..) => "a `maybe`".into(),
        };
        Err(self.bad(format!(
            "{at} is {found}, not a string or a pick of strings"
        )))
    }

    fn log_stream(&self, i: usize, s: &LogStream) -> Result<(), PackError> {
        let at = format!("log stream {i}");
        self.s(s.name, &at)?;
        if s.resource != NONE {
            self.res_kind(s.resource, ResourceKind::Service, &at)?;
        }
        self.nonneg(s.rate, "rate", &at)?;
        self.text_gen(&s.level, "level", &at)?;
        self.text_gen(&s.message, "message", &at)?;
        self.set(s.attrs, &at)?;
        self.gen_attrs(&s.gen_attrs, &at)
    }

    fn span_rule(&self, i: usize, r: &SpanLogRule) -> Result<(), PackError> {
        let at = format!("span log rule {i}");
        self.text_gen(&r.level, "level", &at)?;
        self.text_gen(&r.message, "message", &at)?;
        self.set(r.attrs, &at)?;
        self.gen_attrs(&r.gen_attrs, &at)
    }

    fn errors(&self, e: &ErrorModel, at: &str) -> Result<(), PackError> {
        self.prob(e.rate, "error rate", at)?;
        if let Some(g) = &e.status {
            self.gen(g, &format!("{at} error status"), 0)?;
        }
        if let Some(g) = &e.error_type {
            self.gen(g, &format!("{at} error type"), 0)?;
        }
        Ok(())
    }

    fn options(&self, o: &StepOptions, at: &str) -> Result<(), PackError> {
        self.prob(o.chance, "chance", at)?;
        if o.timeout_ns == Some(0) {
            return Err(self.bad(format!("{at}: timeout is zero")));
        }
        self.dist(&o.repeat, &format!("{at} repeat"))
    }

    fn backend(
        &self,
        c: &BackendCall,
        want: ResourceKind,
        kind: SpanKind,
        at: &str,
    ) -> Result<(), PackError> {
        self.res_kind(c.backend, want, at)?;
        self.s(c.name, at)?;
        if c.kind != kind {
            return Err(self.bad(format!("{at}: span kind {:?} should be {kind:?}", c.kind)));
        }
        self.set(c.attrs, at)?;
        self.gen_attrs(&c.gen_attrs, at)?;
        self.dist(&c.latency, &format!("{at} latency"))?;
        self.errors(&c.errors, at)
    }

    /// `depth` counts the `Parallel` blocks around `steps`.
    fn steps(&self, steps: &[Step], at: &str, depth: usize) -> Result<(), PackError> {
        if depth > MAX_STEP_DEPTH {
            return Err(self.bad(format!(
                "{at}: steps nested deeper than {MAX_STEP_DEPTH} `parallel` blocks"
            )));
        }
        for (i, step) in steps.iter().enumerate() {
            // Nested steps read "step 2.1": branch 1 of the parallel step 2.
            let at = if depth == 0 {
                format!("{at} step {i}")
            } else {
                format!("{at}.{i}")
            };
            match step {
                Step::Call {
                    endpoint,
                    attrs,
                    options,
                } => {
                    self.endpoint(*endpoint, &at)?;
                    self.set(*attrs, &at)?;
                    self.options(options, &at)?;
                }
                Step::Query { call, options } => {
                    self.backend(call, ResourceKind::Database, SpanKind::Client, &at)?;
                    self.options(options, &at)?;
                }
                Step::Publish {
                    call,
                    consumers,
                    options,
                } => {
                    self.backend(call, ResourceKind::Queue, SpanKind::Producer, &at)?;
                    for c in consumers {
                        self.endpoint(*c, &format!("{at} consumer"))?;
                    }
                    self.options(options, &at)?;
                }
                Step::Parallel(inner) => self.steps(inner, &at, depth + 1)?,
            }
        }
        Ok(())
    }

    fn calls(&self) -> Result<(), PackError> {
        let calls = &self.pack.calls;
        for (i, e) in calls.endpoints.iter().enumerate() {
            let at = format!("endpoint {i}");
            self.res_kind(e.resource, ResourceKind::Service, &at)?;
            self.s(e.name, &at)?;
            if let Protocol::Http { method, route } = e.protocol {
                self.s(method, &at)?;
                self.s(route, &at)?;
            }
            self.dist(&e.latency, &format!("{at} latency"))?;
            self.errors(&e.errors, &at)?;
            self.set(e.attrs, &at)?;
            self.gen_attrs(&e.gen_attrs, &at)?;
            self.steps(&e.steps, &at, 0)?;
        }
        let mut total = 0.0;
        for (i, r) in calls.roots.iter().enumerate() {
            let at = format!("root {i}");
            self.endpoint(r.endpoint, &at)?;
            self.nonneg(r.weight, "weight", &at)?;
            total += r.weight;
        }
        if !f64::is_finite(total) {
            return Err(self.bad(format!("the root weights sum to {total}")));
        }
        self.dist(&calls.hop, "the hop")?;
        self.dist(&calls.stagger, "the stagger")?;
        self.call_graph()
    }

    /// Rejects cycles in the call graph (calls and publishes to consumers)
    /// and chains of calls deeper than [`MAX_CALL_DEPTH`]. Iterative, so a
    /// hostile graph cannot overflow the stack; runs after every endpoint
    /// index was checked.
    fn call_graph(&self) -> Result<(), PackError> {
        let endpoints = &self.pack.calls.endpoints;
        let callees: Vec<Vec<u32>> = endpoints.iter().map(|e| callees(&e.steps)).collect();
        const NEW: u8 = 0;
        const OPEN: u8 = 1;
        const DONE: u8 = 2;
        let mut state = vec![NEW; endpoints.len()];
        // Endpoints along the longest chain from each (itself included).
        let mut depth = vec![0usize; endpoints.len()];
        // The path being explored: (endpoint, how many of its callees seen).
        let mut path: Vec<(usize, usize)> = Vec::new();
        for start in 0..endpoints.len() {
            if state.get(start) != Some(&NEW) {
                continue;
            }
            path.push((start, 0));
            if let Some(st) = state.get_mut(start) {
                *st = OPEN;
            }
            while let Some(top) = path.last_mut() {
                let (node, next) = *top;
                let list = callees.get(node).map_or(&[][..], Vec::as_slice);
                match list.get(next) {
                    Some(&callee) => {
                        top.1 += 1;
                        let callee = callee as usize;
                        match state.get(callee).copied() {
                            Some(NEW) => {
                                if let Some(st) = state.get_mut(callee) {
                                    *st = OPEN;
                                }
                                path.push((callee, 0));
                            }
                            Some(OPEN) => return Err(self.cycle(&path, callee)),
                            _ => {}
                        }
                    }
                    None => {
                        let d = 1 + list
                            .iter()
                            .filter_map(|&c| depth.get(c as usize))
                            .max()
                            .copied()
                            .unwrap_or(0);
                        if d > MAX_CALL_DEPTH {
                            return Err(self.bad(format!(
                                "endpoint {node} `{}`: its calls go {d} endpoints deep, more than {MAX_CALL_DEPTH}",
                                self.endpoint_name(node)
                            )));
                        }
                        if let Some(slot) = depth.get_mut(node) {
                            *slot = d;
                        }
                        if let Some(st) = state.get_mut(node) {
                            *st = DONE;
                        }
                        path.pop();
                    }
                }
            }
        }
        Ok(())
    }

    fn endpoint_name(&self, i: usize) -> &str {
        self.pack
            .calls
            .endpoints
            .get(i)
            .map_or("?", |e| self.text(e.name))
    }

    /// The cycle closed by a call from the end of `path` back to `to`.
    fn cycle(&self, path: &[(usize, usize)], to: usize) -> PackError {
        let from = path.iter().position(|&(n, _)| n == to).unwrap_or(0);
        let ring = path.get(from..).unwrap_or(&[]);
        // A long cycle is shown by its ends, so the message stays one line.
        const SHOWN: usize = 4;
        let mut text = String::new();
        for (k, &(n, _)) in ring.iter().enumerate() {
            if ring.len() > 2 * SHOWN && k == SHOWN {
                text.push_str(&format!("({} more) -> ", ring.len() - 2 * SHOWN));
            }
            if ring.len() <= 2 * SHOWN || k < SHOWN || k >= ring.len() - SHOWN {
                text.push_str(&format!("endpoint {n} `{}` -> ", self.endpoint_name(n)));
            }
        }
        text.push_str(&format!("endpoint {to} `{}`", self.endpoint_name(to)));
        self.bad(format!("the calls form a cycle: {text}"))
    }
}

/// What kind of value `v` is, for messages.
fn value_kind(v: &AttrValue) -> &'static str {
    match v {
        AttrValue::Str(_) => "a string",
        AttrValue::Int(_) => "an integer",
        AttrValue::Float(_) => "a float",
        AttrValue::Bool(_) => "a boolean",
    }
}

fn kind_name(k: ResourceKind) -> &'static str {
    match k {
        ResourceKind::Service => "service",
        ResourceKind::Database => "database",
        ResourceKind::Queue => "queue",
    }
}

/// The endpoints `steps` call or publish to, through every
/// `Parallel` block (iteratively).
fn callees(steps: &[Step]) -> Vec<u32> {
    let mut out = Vec::new();
    let mut todo: Vec<&[Step]> = vec![steps];
    while let Some(list) = todo.pop() {
        for step in list {
            match step {
                Step::Call { endpoint, .. } => out.push(*endpoint),
                Step::Publish { consumers, .. } => out.extend_from_slice(consumers),
                Step::Parallel(inner) => todo.push(inner),
                Step::Query { .. } => {}
            }
        }
    }
    out
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
    c.calls()?;
    for (i, s) in pack.series_sets.iter().enumerate() {
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
        c.series_weights(i, s)?;
    }
    for (i, m) in pack.metrics.iter().enumerate() {
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
        if let Some((lo, hi)) = m.within {
            if !lo.is_finite() || !hi.is_finite() {
                return Err(c.bad(format!(
                    "metric {i}: within bounds {lo}..{hi} are not finite"
                )));
            }
            if lo > hi {
                return Err(c.bad(format!("metric {i}: within {lo}..{hi} has min > max")));
            }
        }
    }
    for (i, s) in pack.logs.streams.iter().enumerate() {
        c.log_stream(i, s)?;
    }
    for (i, r) in pack.logs.span_rules.iter().enumerate() {
        c.span_rule(i, r)?;
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
