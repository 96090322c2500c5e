//! Writing the LOGS section: the standalone streams, then the
//! span-derived rules, their levels, messages and attributes as generators.

use super::calls::{gen, gen_attrs};
use super::opt_u32;
use crate::types::*;
use crate::wire::Writer;

/// The LOGS section: a count of streams and the streams, then a count of
/// rules and the rules.
pub(super) fn logs(w: &mut Writer, logs: &Logs) {
    w.u(logs.streams.len() as u64);
    for s in &logs.streams {
        log_stream(w, s);
    }
    w.u(logs.span_rules.len() as u64);
    for r in &logs.span_rules {
        span_rule(w, r);
    }
}

fn log_stream(w: &mut Writer, s: &LogStream) {
    w.u(u64::from(s.name));
    opt_u32(w, s.resource);
    w.f(s.rate);
    gen(w, &s.level);
    gen(w, &s.message);
    w.u(u64::from(s.attrs));
    gen_attrs(w, &s.gen_attrs);
    w.u(u64::from(s.shapes));
    body(w, s.body.as_ref());
}

/// A flag, then the body's attribute set and generated fields.
fn body(w: &mut Writer, b: Option<&LogBody>) {
    match b {
        None => w.byte(0),
        Some(b) => {
            w.byte(1);
            w.u(u64::from(b.attrs));
            gen_attrs(w, &b.gen_attrs);
        }
    }
}

fn span_rule(w: &mut Writer, r: &SpanLogRule) {
    w.byte(u8::from(r.errors_only));
    gen(w, &r.level);
    gen(w, &r.message);
    w.u(u64::from(r.attrs));
    gen_attrs(w, &r.gen_attrs);
    body(w, r.body.as_ref());
}
