//! The parts of `tsim inspect` that show what a run draws: one request
//! drawn through each root endpoint (no timeline faults), and the
//! generators of log streams and span-log rules.

use std::fmt::Write;

use tsim_pack::{AttrValue, Pack, NONE};

use super::{kind_name, ms, num, View, TREE_LINES};

/// Draws one request through every root (no timeline faults) and prints it.
pub(super) fn drawn_traces(o: &mut String, v: &View<'_>, pack: &Pack) {
    use crate::draw::request::{Trace, Walker};
    let plan = crate::plan::Plan::new(pack);
    let quiet = crate::timeline::Timeline::new(pack, pack.meta.seed).quiet();
    let mut rng = crate::streams::stream(pack.meta.seed, crate::streams::Purpose::Requests, 0);
    let mut trace = Trace::default();
    for root in &pack.calls.roots {
        let Some(ep) = pack.calls.endpoints.get(root.endpoint as usize) else {
            continue;
        };
        let shapes = if root.shapes == 0 {
            "shape drawn per trace".to_string()
        } else {
            format!("{} shapes", root.shapes)
        };
        let _ = writeln!(
            o,
            "  {} {:?}: share {}, {shapes}",
            v.resource(ep.resource),
            v.s(ep.name),
            num(root.weight)
        );
        trace.clear();
        Walker::new(&plan, &quiet, &mut rng, None, &mut trace).request(root.endpoint);
        let mut depth = vec![0usize; trace.spans.len()];
        for (i, s) in trace.spans.iter().enumerate().take(TREE_LINES) {
            if s.parent != NONE {
                depth[i] = depth.get(s.parent as usize).map_or(0, |d| d + 1);
            }
            let Some(site) = plan.sites.get(s.site as usize) else {
                continue;
            };
            let status = if s.failed { " FAILED" } else { "" };
            let drawn = trace
                .drawn
                .get(s.drawn.0 as usize..s.drawn.1 as usize)
                .unwrap_or(&[]);
            let attrs = crate::sink::Attributes::new(pack, site.attrs, drawn, &trace.text);
            let mut text = String::from("{");
            for (k, (key, value)) in attrs.iter().enumerate() {
                if k > 0 {
                    text.push_str(", ");
                }
                text.push_str(key);
                text.push('=');
                value.write(&mut text);
            }
            text.push('}');
            let _ = writeln!(
                o,
                "    {:indent$}{} {}{} {:?} +{} {}{status} {text}",
                "",
                kind_name(site.kind),
                v.resource(site.resource),
                if site.peer == NONE {
                    String::new()
                } else {
                    format!(" -> {}", v.resource(site.peer))
                },
                v.s(site.name),
                ms(s.start_ns),
                ms(s.end_ns.saturating_sub(s.start_ns)),
                indent = depth[i] * 2
            );
        }
        if trace.spans.len() > TREE_LINES {
            let _ = writeln!(o, "    ... {} more spans", trace.spans.len() - TREE_LINES);
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
