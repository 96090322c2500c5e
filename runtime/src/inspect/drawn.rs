//! The parts of `tsim inspect` that show what a run draws: one request
//! drawn through each root endpoint (no timeline faults), and the
//! generators of log streams and span-log rules.

use std::fmt::Write;

use tsim_pack::{AttrValue, Pack, NONE};

use super::{kind_name, ms, num, View, TREE_LINES};

/// One span of a sample trace, its names resolved.
pub(super) struct SpanLine {
    pub depth: usize,
    pub kind: &'static str,
    pub service: String,
    pub peer: Option<String>,
    pub name: String,
    pub start_ns: u64,
    pub duration_ns: u64,
    pub failed: bool,
    /// Attributes as (key, value as text, value as JSON).
    pub attrs: Vec<(String, String, serde_json::Value)>,
}

/// One request drawn through a root endpoint.
pub(super) struct Sample {
    pub service: String,
    pub endpoint: String,
    pub share: f64,
    /// Fixed shapes (0: drawn per trace).
    pub shapes: u32,
    /// Its first [`TREE_LINES`] spans.
    pub spans: Vec<SpanLine>,
    /// How many spans it has in all.
    pub total: usize,
}

fn json_value(v: crate::sink::Value<'_>) -> serde_json::Value {
    use crate::sink::Value;
    match v {
        Value::Str(s) => s.into(),
        Value::Int(i) => i.into(),
        Value::Float(f) => f.into(),
        Value::Bool(b) => b.into(),
    }
}

/// Draws one request through every root (no timeline faults).
pub(super) fn samples(v: &View<'_>, pack: &Pack) -> Vec<Sample> {
    use crate::draw::request::{Trace, Walker};
    let plan = crate::plan::Plan::new(pack);
    let quiet = crate::timeline::Timeline::new(pack, pack.meta.seed).quiet();
    let mut rng = crate::streams::stream(pack.meta.seed, crate::streams::Purpose::Requests, 0);
    let mut trace = Trace::default();
    let mut out = Vec::new();
    for root in &pack.calls.roots {
        let Some(ep) = pack.calls.endpoints.get(root.endpoint as usize) else {
            continue;
        };
        trace.clear();
        Walker::new(&plan, &quiet, &plan.instances, &mut rng, None, &mut trace)
            .request(root.endpoint);
        let mut depth = vec![0usize; trace.spans.len()];
        let mut spans = Vec::new();
        for (i, s) in trace.spans.iter().enumerate().take(TREE_LINES) {
            if s.parent != NONE {
                depth[i] = depth.get(s.parent as usize).map_or(0, |d| d + 1);
            }
            let Some(site) = plan.sites.get(s.site as usize) else {
                continue;
            };
            let drawn = trace
                .drawn
                .get(s.drawn.0 as usize..s.drawn.1 as usize)
                .unwrap_or(&[]);
            let attrs = crate::sink::Attributes::new(pack, site.attrs, drawn, &trace.text);
            spans.push(SpanLine {
                depth: depth[i],
                kind: kind_name(site.kind),
                service: v.resource(site.resource),
                peer: (site.peer != NONE).then(|| v.resource(site.peer)),
                name: v.s(site.name).to_string(),
                start_ns: s.start_ns,
                duration_ns: s.end_ns.saturating_sub(s.start_ns),
                failed: s.failed,
                attrs: attrs
                    .iter()
                    .map(|(k, val)| {
                        let mut text = String::new();
                        val.write(&mut text);
                        (k.to_string(), text, json_value(val))
                    })
                    .collect(),
            });
        }
        out.push(Sample {
            service: v.resource(ep.resource),
            endpoint: v.s(ep.name).to_string(),
            share: root.weight,
            shapes: root.shapes,
            spans,
            total: trace.spans.len(),
        });
    }
    out
}

/// Prints one request drawn through every root.
pub(super) fn drawn_traces(o: &mut String, v: &View<'_>, pack: &Pack) {
    for t in samples(v, pack) {
        let shapes = if t.shapes == 0 {
            "shape drawn per trace".to_string()
        } else {
            format!("{} shapes", t.shapes)
        };
        let _ = writeln!(
            o,
            "  {} {:?}: share {}, {shapes}",
            t.service,
            t.endpoint,
            num(t.share)
        );
        for s in &t.spans {
            let status = if s.failed { " FAILED" } else { "" };
            let mut text = String::from("{");
            for (k, (key, value, _)) in s.attrs.iter().enumerate() {
                if k > 0 {
                    text.push_str(", ");
                }
                text.push_str(key);
                text.push('=');
                text.push_str(value);
            }
            text.push('}');
            let _ = writeln!(
                o,
                "    {:indent$}{} {}{} {:?} +{} {}{status} {text}",
                "",
                s.kind,
                s.service,
                s.peer
                    .as_ref()
                    .map_or(String::new(), |p| format!(" -> {p}")),
                s.name,
                ms(s.start_ns),
                ms(s.duration_ns),
                indent = s.depth * 2
            );
        }
        if t.total > TREE_LINES {
            let _ = writeln!(o, "    ... {} more spans", t.total - TREE_LINES);
        }
    }
}

/// A generator in short: a constant, or the first choices of a pick.
fn gen_text(v: &View<'_>, g: &tsim_pack::Gen) -> String {
    use tsim_pack::Gen;
    let value = |a: &AttrValue| match a {
        AttrValue::Str(s) => format!("{:?}", v.s(*s)),
        AttrValue::Int(i) => i.to_string(),
        AttrValue::Float(f) => num(*f),
        AttrValue::Bool(b) => b.to_string(),
    };
    match g {
        Gen::Const(a) => value(a),
        Gen::Pick(entries) => {
            let mut parts: Vec<String> = entries
                .iter()
                .take(4)
                .map(|(a, w)| format!("{}: {}", value(a), num(*w)))
                .collect();
            if entries.len() > 4 {
                parts.push(format!("... {} more", entries.len() - 4));
            }
            format!("pick {{ {} }}", parts.join(", "))
        }
        Gen::IntRange(a, b) => format!("{a}..{b}"),
        Gen::FloatRange(a, b) => format!("{}..{}", num(*a), num(*b)),
        Gen::Pattern(_) => "pattern".into(),
        Gen::Pool { size, .. } => format!("pool({size})"),
        Gen::Bool(p) => format!("chance({})", num(*p)),
        Gen::Dist(_) => "distribution".into(),
        Gen::Maybe(p, inner) => format!("maybe({}, {})", num(*p), gen_text(v, inner)),
    }
}

pub(super) fn log_gens(
    o: &mut String,
    v: &View<'_>,
    level: &tsim_pack::Gen,
    message: &tsim_pack::Gen,
    attrs: u32,
    gens: &[tsim_pack::GenAttr],
) {
    let _ = writeln!(o, "    level {}", gen_text(v, level));
    let _ = writeln!(o, "    message {}", gen_text(v, message));
    let drawn: Vec<String> = gens
        .iter()
        .map(|g| format!("{}={}", v.s(g.key), gen_text(v, &g.gen)))
        .collect();
    let _ = writeln!(
        o,
        "    attributes {} drawn {{{}}}",
        v.attrs(attrs),
        drawn.join(", ")
    );
}
