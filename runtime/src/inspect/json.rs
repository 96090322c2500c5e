//! `tsim inspect --format json`: the facts of the text form as structured
//! data, every name resolved from the pack's strings, every list whole
//! (the text form cuts long lists of metrics and spans; this does not cut
//! metrics, and says how many spans a sample trace has in all).

use serde_json::{json, Map, Value};
use tsim_pack::program::{Op, Target};
use tsim_pack::{
    crc32, AttrValue, Gen, GenAttr, MetricDef, MetricKind, MetricSource, Pack, Part, ResourceKind,
    NONE,
};

use super::drawn::samples;
use super::{count_steps, View};

/// Renders a pack as JSON: the same facts as [`super::text`], structured.
pub fn json(pack: &Pack, bytes: &[u8]) -> Value {
    let v = View { pack, bytes };
    let m = &pack.meta;
    let crc = crc32(bytes.get(..bytes.len().saturating_sub(4)).unwrap_or(&[]));
    let sections: Vec<Value> = v
        .sections()
        .into_iter()
        .map(|(t, l)| json!({ "tag": t, "bytes": l }))
        .collect();
    json!({
        "name": v.s(m.name),
        "description": v.s(m.description),
        "format_version": tsim_pack::FORMAT_VERSION,
        "bytes": bytes.len(),
        "crc32": format!("{crc:08x}"),
        "seed": m.seed,
        "duration_ns": m.duration_ns,
        "tick_ns": m.tick_ns,
        "start": m.start.map(|(s, n)| crate::time::rfc3339(s, n)),
        "sections": sections,
        "counts": counts(pack),
        "resources": resources(&v),
        "traces": traces(&v),
        "metrics": pack.metrics.iter().map(|x| metric(&v, x)).collect::<Vec<_>>(),
        "logs": logs(&v),
        "events": events(&v),
        "program": program(&v),
    })
}

fn counts(pack: &Pack) -> Value {
    json!({
        "strings": pack.strings.len(),
        "attribute_sets": pack.attr_sets.len(),
        "resources": pack.resources.len(),
        "endpoints": pack.calls.endpoints.len(),
        "steps": count_steps(pack),
        "roots": pack.calls.roots.len(),
        "metrics": pack.metrics.len(),
        "series_sets": pack.series_sets.len(),
        "series": pack.series_sets.iter().map(|s| s.rows.len()).sum::<usize>(),
        "log_streams": pack.logs.streams.len(),
        "log_shapes": pack.logs.streams.iter().map(|s| s.shapes as usize).sum::<usize>(),
        "span_log_rules": pack.logs.span_rules.len(),
        "events": pack.events.len(),
        "instructions": pack.program.len(),
    })
}

fn value(v: &View<'_>, a: &AttrValue) -> Value {
    match a {
        AttrValue::Str(s) => v.s(*s).into(),
        AttrValue::Int(i) => (*i).into(),
        AttrValue::Float(f) => (*f).into(),
        AttrValue::Bool(b) => (*b).into(),
    }
}

fn attrs(v: &View<'_>, set: u32) -> Value {
    let list = v
        .pack
        .attr_sets
        .get(set as usize)
        .map_or(&[][..], Vec::as_slice);
    let map: Map<String, Value> = list
        .iter()
        .map(|a| (v.s(a.key).to_string(), value(v, &a.value)))
        .collect();
    Value::Object(map)
}

fn resources(v: &View<'_>) -> Vec<Value> {
    v.pack
        .resources
        .iter()
        .map(|r| {
            let kind = match r.kind {
                ResourceKind::Service => "service",
                ResourceKind::Database => "database",
                ResourceKind::Queue => "queue",
            };
            json!({
                "kind": kind,
                "name": v.s(r.name),
                "version": v.s(r.version),
                "instances": r.instances,
                "attributes": attrs(v, r.attrs),
            })
        })
        .collect()
}

fn traces(v: &View<'_>) -> Vec<Value> {
    samples(v, v.pack)
        .into_iter()
        .map(|t| {
            let spans: Vec<Value> = t
                .spans
                .into_iter()
                .map(|s| {
                    let a: Map<String, Value> =
                        s.attrs.into_iter().map(|(k, _, val)| (k, val)).collect();
                    json!({
                        "depth": s.depth,
                        "kind": s.kind,
                        "service": s.service,
                        "peer": s.peer,
                        "name": s.name,
                        "start_ns": s.start_ns,
                        "duration_ns": s.duration_ns,
                        "failed": s.failed,
                        "attributes": a,
                    })
                })
                .collect();
            json!({
                "service": t.service,
                "endpoint": t.endpoint,
                "share": t.share,
                "fixed_shapes": t.shapes,
                "spans_in_all": t.total,
                "spans": spans,
            })
        })
        .collect()
}

fn metric(v: &View<'_>, m: &MetricDef) -> Value {
    let kind = match m.kind {
        MetricKind::Counter => "counter",
        MetricKind::Gauge => "gauge",
        MetricKind::UpDown => "updown",
        MetricKind::Histogram => "histogram",
    };
    let set = v.pack.series_sets.get(m.series_set as usize);
    let labels: Vec<&str> = set.map_or(Vec::new(), |s| s.keys.iter().map(|k| v.s(*k)).collect());
    let source = match &m.source {
        MetricSource::Spans { of } => json!({
            "from_spans": { "of": (*of != NONE).then(|| v.resource(*of)) }
        }),
        MetricSource::Process(p) => json!({ "process": p }),
    };
    json!({
        "name": v.s(m.name),
        "kind": kind,
        "unit": v.s(m.unit),
        "description": v.s(m.description),
        "labels": labels,
        "series": set.map_or(0, |s| s.rows.len()),
        "source": source,
        "within": m.within.map(|(lo, hi)| [lo, hi]),
        "buckets": m.buckets,
        "observations_per_second": m.rate,
    })
}

fn pattern(v: &View<'_>, parts: &[Part]) -> String {
    let mut out = String::new();
    for p in parts {
        match p {
            Part::Lit(s) => out.push_str(v.s(*s)),
            Part::Counter(w) => out.push_str(&format!("{{n:0{w}}}")),
            Part::Hex(w) => out.push_str(&format!("{{hex:{w}}}")),
            Part::Uuid => out.push_str("{uuid}"),
            Part::Attr(s) => out.push_str(&format!("{{{}}}", v.s(*s))),
        }
    }
    out
}

fn gen(v: &View<'_>, g: &Gen) -> Value {
    match g {
        Gen::Const(a) => json!({ "const": value(v, a) }),
        Gen::Pick(entries) => {
            let e: Vec<Value> = entries
                .iter()
                .map(|(a, w)| json!({ "value": value(v, a), "weight": w }))
                .collect();
            json!({ "pick": e })
        }
        Gen::IntRange(a, b) => json!({ "int_range": [a, b] }),
        Gen::FloatRange(a, b) => json!({ "float_range": [a, b] }),
        Gen::Pattern(parts) => json!({ "pattern": pattern(v, parts) }),
        Gen::Pool { size, pattern: p } => {
            json!({ "pool": { "size": size, "pattern": pattern(v, p) } })
        }
        Gen::Bool(p) => json!({ "chance": p }),
        Gen::Dist(d) => json!({ "distribution": d }),
        Gen::Maybe(p, inner) => json!({ "maybe": { "chance": p, "gen": gen(v, inner) } }),
    }
}

fn generators(v: &View<'_>, level: &Gen, message: &Gen, set: u32, gens: &[GenAttr]) -> Value {
    let drawn: Map<String, Value> = gens
        .iter()
        .map(|g| (v.s(g.key).to_string(), gen(v, &g.gen)))
        .collect();
    json!({
        "level": gen(v, level),
        "message": gen(v, message),
        "attributes": attrs(v, set),
        "drawn": drawn,
    })
}

fn logs(v: &View<'_>) -> Value {
    let streams: Vec<Value> = v
        .pack
        .logs
        .streams
        .iter()
        .map(|s| {
            let mut g = generators(v, &s.level, &s.message, s.attrs, &s.gen_attrs);
            if let Value::Object(o) = &mut g {
                o.insert("name".into(), v.s(s.name).into());
                o.insert(
                    "service".into(),
                    (s.resource != NONE).then(|| v.resource(s.resource)).into(),
                );
                o.insert("rate".into(), s.rate.into());
                o.insert("fixed_shapes".into(), s.shapes.into());
            }
            g
        })
        .collect();
    let rules: Vec<Value> = v
        .pack
        .logs
        .span_rules
        .iter()
        .map(|r| {
            let mut g = generators(v, &r.level, &r.message, r.attrs, &r.gen_attrs);
            if let Value::Object(o) = &mut g {
                let kind = if r.errors_only { "errors" } else { "access" };
                o.insert("kind".into(), kind.into());
            }
            g
        })
        .collect();
    json!({ "streams": streams, "span_rules": rules })
}

fn events(v: &View<'_>) -> Vec<Value> {
    v.pack
        .events
        .iter()
        .map(|e| {
            json!({
                "at_ns": e.at_ns,
                "kind": v.s(e.kind),
                "service": (e.resource != NONE).then(|| v.resource(e.resource)),
                "details": v.s(e.details),
                "severity": v.s(e.severity),
                "version": v.s(e.version),
            })
        })
        .collect()
}

fn target(v: &View<'_>, t: &Target) -> Value {
    match t {
        Target::All => Value::Null,
        Target::Resource(r) => v.resource(*r).into(),
    }
}

/// One instruction: its opcode, its operands by name, and its text.
fn op(v: &View<'_>, op: &Op) -> Value {
    let ramp = |name: &str, t: &Target, from: &f64, to: &f64| json!({ "op": name, "target": target(v, t), "from": from, "to": to });
    let mut out = match op {
        Op::End => json!({ "op": "END" }),
        Op::Traffic { rate, timezone } => {
            json!({ "op": "TRAFFIC", "rate": rate, "timezone": v.s(*timezone) })
        }
        Op::Peak { start, end } => json!({ "op": "PEAK", "start_s": start, "end_s": end }),
        Op::Night(x) => json!({ "op": "NIGHT", "level": x }),
        Op::Weekend(x) => json!({ "op": "WEEKEND", "level": x }),
        Op::At {
            start_ns,
            length_ns,
            ramp_ns,
        } => {
            json!({ "op": "AT", "start_ns": start_ns, "length_ns": length_ns, "ramp_ns": ramp_ns })
        }
        Op::Every {
            period_ns,
            length_ns,
            jitter,
        } => {
            json!({ "op": "EVERY", "period_ns": period_ns, "length_ns": length_ns, "jitter": jitter })
        }
        Op::Errors(t, a, b) => ramp("ERRORS", t, a, b),
        Op::Latency(t, a, b) => ramp("LATENCY", t, a, b),
        Op::Rate(t, a, b) => ramp("RATE", t, a, b),
        Op::Status(t, c, w) => {
            json!({ "op": "STATUS", "target": target(v, t), "code": c, "weight": w })
        }
        Op::ErrorType(t, s, w) => {
            json!({ "op": "ERROR_TYPE", "target": target(v, t), "error_type": v.s(*s), "weight": w })
        }
        Op::Cascade(t) => json!({ "op": "CASCADE", "target": target(v, t) }),
        Op::Anomaly {
            metric,
            kind,
            from,
            to,
        } => {
            json!({ "op": "ANOMALY", "metric": v.s(*metric), "kind": kind, "from": from, "to": to })
        }
        Op::Shift { metric, relative } => {
            json!({ "op": "SHIFT", "metric": v.s(*metric), "relative": relative })
        }
        Op::Event(i) => json!({ "op": "EVENT", "event": i }),
        Op::Incident {
            kind,
            target: t,
            severity,
        } => {
            json!({ "op": "INCIDENT", "kind": v.s(*kind), "target": target(v, t), "severity": v.s(*severity) })
        }
    };
    if let Value::Object(o) = &mut out {
        o.insert("text".into(), v.op(op).into());
    }
    out
}

fn program(v: &View<'_>) -> Vec<Value> {
    tsim_pack::program::offsets(&v.pack.program)
        .iter()
        .zip(&v.pack.program)
        .map(|(at, o)| {
            let mut x = op(v, o);
            if let Value::Object(m) = &mut x {
                m.insert("offset".into(), (*at).into());
            }
            x
        })
        .collect()
}
