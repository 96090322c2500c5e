//! CALL-section checks: endpoints (resource, protocol, latency, errors,
//! attributes, steps), distributions, generators and their `maybe` depth,
//! step options, backend calls, `parallel` and `internal` depth (an
//! `internal` step's program runs on its caller's resource), span events
//! and links, root weights, the hop and stagger; then the call graph, which must be acyclic and at most
//! [`MAX_CALL_DEPTH`] endpoints deep.

use super::Ctx;
use crate::calls::*;
use crate::error::PackError;
use crate::types::*;

impl Ctx<'_> {
    fn endpoint(&self, i: u32, at: &str) -> Result<(), PackError> {
        if (i as usize) < self.pack.calls.endpoints.len() {
            Ok(())
        } else {
            Err(self.bad(format!("{at}: endpoint {i} out of range")))
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
    pub(super) fn gen(&self, g: &Gen, at: &str, depth: usize) -> Result<(), PackError> {
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

    pub(super) fn gen_attrs(&self, attrs: &[GenAttr], at: &str) -> Result<(), PackError> {
        for (i, a) in attrs.iter().enumerate() {
            self.s(a.key, &format!("{at} generated attribute {i}"))?;
            self.gen(&a.gen, &format!("{at} attribute `{}`", self.text(a.key)), 0)?;
        }
        Ok(())
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

    /// `depth` counts the `Parallel` blocks and `internal` steps around
    /// `steps`; `resource` is the service whose span runs them.
    fn steps(
        &self,
        steps: &[Step],
        resource: u32,
        at: &str,
        depth: usize,
    ) -> Result<(), PackError> {
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
                Step::Parallel(inner) => self.steps(inner, resource, &at, depth + 1)?,
                Step::Internal { program, options } => {
                    if program.resource != resource {
                        return Err(self.bad(format!(
                            "{at}: an internal step runs on resource {}, not its caller's {resource}",
                            program.resource
                        )));
                    }
                    if program.protocol != Protocol::Internal {
                        return Err(self.bad(format!(
                            "{at}: an internal step's protocol is {:?}, not Internal",
                            program.protocol
                        )));
                    }
                    self.program(program, &format!("{at} internal"), depth + 1)?;
                    self.options(options, &at)?;
                }
            }
        }
        Ok(())
    }

    /// An endpoint's (or an `internal` step's) program at `depth`.
    fn program(&self, e: &EndpointProgram, at: &str, depth: usize) -> Result<(), PackError> {
        self.res_kind(e.resource, ResourceKind::Service, at)?;
        self.s(e.name, at)?;
        if let Protocol::Http { method, route } = e.protocol {
            self.s(method, at)?;
            self.s(route, at)?;
        }
        self.dist(&e.latency, &format!("{at} latency"))?;
        self.errors(&e.errors, at)?;
        self.set(e.attrs, at)?;
        self.gen_attrs(&e.gen_attrs, at)?;
        self.steps(&e.steps, e.resource, at, depth)?;
        for (k, ev) in e.events.iter().enumerate() {
            let at = format!("{at} event {k}");
            self.s(ev.name, &at)?;
            self.prob(ev.chance, "chance", &at)?;
            self.set(ev.attrs, &at)?;
            self.gen_attrs(&ev.gen_attrs, &at)?;
        }
        for (k, l) in e.links.iter().enumerate() {
            let at = format!("{at} link {k}");
            self.endpoint(l.endpoint, &at)?;
            self.prob(l.chance, "chance", &at)?;
            self.set(l.attrs, &at)?;
            self.gen_attrs(&l.gen_attrs, &at)?;
        }
        Ok(())
    }

    pub(super) fn calls(&self) -> Result<(), PackError> {
        let calls = &self.pack.calls;
        for (i, e) in calls.endpoints.iter().enumerate() {
            let at = format!("endpoint {i}");
            self.program(e, &at, 0)?;
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
                Step::Internal { program, .. } => todo.push(&program.steps),
                Step::Query { .. } => {}
            }
        }
    }
    out
}
