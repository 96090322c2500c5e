//! Writing the CALL section: endpoints and their protocols, steps, step
//! options, backend calls, error models, roots, the hop and stagger; and
//! the distributions, pattern parts and generators it shares with LOGS.

use super::attr_value;
use crate::calls::*;
use crate::wire::Writer;

fn dist(w: &mut Writer, d: &Dist) {
    match d {
        Dist::Constant(v) => {
            w.byte(0);
            w.f(*v);
        }
        Dist::Uniform { min, max } => {
            w.byte(1);
            w.f(*min);
            w.f(*max);
        }
        Dist::Normal { mean, sd } => {
            w.byte(2);
            w.f(*mean);
            w.f(*sd);
        }
        Dist::LogNormal { mu, sigma } => {
            w.byte(3);
            w.f(*mu);
            w.f(*sigma);
        }
        Dist::Exponential { mean } => {
            w.byte(4);
            w.f(*mean);
        }
        Dist::Pareto { scale, shape } => {
            w.byte(5);
            w.f(*scale);
            w.f(*shape);
        }
        Dist::Pick(choices) => {
            w.byte(6);
            w.u(choices.len() as u64);
            for (value, weight) in choices {
                w.f(*value);
                w.f(*weight);
            }
        }
    }
}

fn parts(w: &mut Writer, parts: &[Part]) {
    w.u(parts.len() as u64);
    for p in parts {
        match *p {
            Part::Lit(s) => {
                w.byte(0);
                w.u(u64::from(s));
            }
            Part::Counter(width) => {
                w.byte(1);
                w.byte(width);
            }
            Part::Hex(width) => {
                w.byte(2);
                w.byte(width);
            }
            Part::Uuid => w.byte(3),
            Part::Attr(s) => {
                w.byte(4);
                w.u(u64::from(s));
            }
        }
    }
}

pub(super) fn gen(w: &mut Writer, g: &Gen) {
    match g {
        Gen::Const(v) => {
            w.byte(0);
            attr_value(w, v);
        }
        Gen::Pick(choices) => {
            w.byte(1);
            w.u(choices.len() as u64);
            for (value, weight) in choices {
                attr_value(w, value);
                w.f(*weight);
            }
        }
        Gen::IntRange(lo, hi) => {
            w.byte(2);
            w.i(*lo);
            w.i(*hi);
        }
        Gen::FloatRange(lo, hi) => {
            w.byte(3);
            w.f(*lo);
            w.f(*hi);
        }
        Gen::Pattern(p) => {
            w.byte(4);
            parts(w, p);
        }
        Gen::Pool { size, pattern } => {
            w.byte(5);
            w.u(*size);
            parts(w, pattern);
        }
        Gen::Bool(p) => {
            w.byte(6);
            w.f(*p);
        }
        Gen::Dist(d) => {
            w.byte(7);
            dist(w, d);
        }
        Gen::Maybe(p, inner) => {
            w.byte(8);
            w.f(*p);
            gen(w, inner);
        }
    }
}

fn opt_gen(w: &mut Writer, g: &Option<Gen>) {
    match g {
        None => w.byte(0),
        Some(g) => {
            w.byte(1);
            gen(w, g);
        }
    }
}

pub(super) fn gen_attrs(w: &mut Writer, attrs: &[GenAttr]) {
    w.u(attrs.len() as u64);
    for a in attrs {
        w.u(u64::from(a.key));
        gen(w, &a.gen);
    }
}

fn error_model(w: &mut Writer, e: &ErrorModel) {
    w.f(e.rate);
    opt_gen(w, &e.status);
    opt_gen(w, &e.error_type);
}

fn step_options(w: &mut Writer, o: &StepOptions) {
    w.f(o.chance);
    w.u(u64::from(o.retries));
    // A flag byte, not `opt_u32`'s "n + 1": every u64 stays representable.
    match o.timeout_ns {
        None => w.byte(0),
        Some(t) => {
            w.byte(1);
            w.u(t);
        }
    }
    dist(w, &o.repeat);
    w.byte(o.on_error as u8);
}

fn backend_call(w: &mut Writer, c: &BackendCall) {
    w.u(u64::from(c.backend));
    w.u(u64::from(c.name));
    w.byte(c.kind as u8);
    w.u(u64::from(c.attrs));
    gen_attrs(w, &c.gen_attrs);
    dist(w, &c.latency);
    error_model(w, &c.errors);
}

fn steps(w: &mut Writer, steps: &[Step]) {
    w.u(steps.len() as u64);
    for s in steps {
        match s {
            Step::Call {
                endpoint,
                attrs,
                options,
            } => {
                w.byte(0);
                w.u(u64::from(*endpoint));
                w.u(u64::from(*attrs));
                step_options(w, options);
            }
            Step::Query { call, options } => {
                w.byte(1);
                backend_call(w, call);
                step_options(w, options);
            }
            Step::Publish {
                call,
                consumers,
                options,
            } => {
                w.byte(2);
                backend_call(w, call);
                w.u(consumers.len() as u64);
                for c in consumers {
                    w.u(u64::from(*c));
                }
                step_options(w, options);
            }
            Step::Parallel(inner) => {
                w.byte(3);
                self::steps(w, inner);
            }
            Step::Internal { program, options } => {
                w.byte(4);
                self::program(w, program);
                step_options(w, options);
            }
        }
    }
}

fn program(w: &mut Writer, e: &EndpointProgram) {
    w.u(u64::from(e.resource));
    w.u(u64::from(e.name));
    match e.protocol {
        Protocol::Http { method, route } => {
            w.byte(0);
            w.u(u64::from(method));
            w.u(u64::from(route));
        }
        Protocol::Rpc => w.byte(1),
        Protocol::Consumer => w.byte(2),
        Protocol::Internal => w.byte(3),
    }
    dist(w, &e.latency);
    error_model(w, &e.errors);
    w.u(u64::from(e.attrs));
    gen_attrs(w, &e.gen_attrs);
    steps(w, &e.steps);
    w.u(e.events.len() as u64);
    for ev in &e.events {
        w.u(u64::from(ev.name));
        w.f(ev.chance);
        w.u(u64::from(ev.attrs));
        gen_attrs(w, &ev.gen_attrs);
    }
    w.u(e.links.len() as u64);
    for l in &e.links {
        w.u(u64::from(l.endpoint));
        w.f(l.chance);
        w.u(u64::from(l.attrs));
        gen_attrs(w, &l.gen_attrs);
    }
}

pub(super) fn calls(w: &mut Writer, c: &Calls) {
    w.u(c.endpoints.len() as u64);
    for e in &c.endpoints {
        program(w, e);
    }
    w.u(c.roots.len() as u64);
    for r in &c.roots {
        w.u(u64::from(r.endpoint));
        w.f(r.weight);
        w.u(u64::from(r.shapes));
    }
    dist(w, &c.hop);
    dist(w, &c.stagger);
}
