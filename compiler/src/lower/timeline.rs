//! The timeline program and the events: the traffic shape first, then one
//! block per timeline entry (`AT` or `EVERY`) with its effects; deployments,
//! config changes and scaling become events (an `EVENT` in their block; a
//! repeating entry's event has `at_ns` 0, meaning "at the start of each
//! occurrence"), and every incident gets an `INCIDENT` marker for the answer
//! key, a one-off one also start and end events (the runtime makes those of
//! each occurrence of a repeating one).

use tsim_pack::program::{AnomalyKind, Op, Target};
use tsim_pack::{EventDef, NONE};

use super::sample::{nanos, Sampled};
use super::Builder;
use crate::model::{Entry, Generator, Level, Magnitude, Model, Schedule};

fn target(b: &Builder, e: &Entry) -> Target {
    match &e.target {
        Some((kind, name)) if kind != "metric" => {
            b.resource_id(name).map_or(Target::All, Target::Resource)
        }
        _ => Target::All,
    }
}

fn weighted(g: &Generator) -> Vec<(Sampled, f64)> {
    use crate::model::Scalar;
    let one = |s: &Scalar| match s {
        Scalar::Str(v) => Sampled::Str(v.clone()),
        Scalar::Int(v) => Sampled::Int(*v),
        Scalar::Float(v) => Sampled::Float(*v),
        Scalar::Bool(v) => Sampled::Bool(*v),
    };
    match g {
        Generator::Const(s) => vec![(one(s), 1.0)],
        Generator::Pick(e) => e.iter().map(|(s, w)| (one(s), *w)).collect(),
        _ => Vec::new(),
    }
}

#[allow(clippy::too_many_arguments)]
fn event(
    b: &mut Builder,
    at: f64,
    kind: &str,
    resource: u32,
    details: &str,
    severity: &str,
    version: &str,
    instances: u32,
) -> u32 {
    let ev = EventDef {
        at_ns: nanos(at),
        kind: b.str(kind),
        resource,
        details: b.str(details),
        severity: b.str(severity),
        version: b.str(version),
        instances,
    };
    b.pack.events.push(ev);
    (b.pack.events.len() - 1) as u32
}

fn is_incident(e: &Entry) -> bool {
    matches!(
        e.action.as_str(),
        "outage" | "degradation" | "cascade" | "intermittent"
    ) || (e.action == "deploy" && e.overrides.fails.is_some())
}

fn default_severity(e: &Entry) -> &'static str {
    match e.action.as_str() {
        "outage" | "cascade" => "critical",
        "degradation" | "deploy" => "high",
        "intermittent" | "config" | "scale" => "low",
        _ => "info",
    }
}

fn entry(b: &mut Builder, e: &Entry, ops: &mut Vec<Op>) {
    let t = target(b, e);
    let resource = match t {
        Target::Resource(r) => r,
        Target::All => NONE,
    };
    let o = &e.overrides;
    let severity = o
        .severity
        .clone()
        .unwrap_or_else(|| default_severity(e).to_string());
    let (start, length) = match e.schedule {
        Schedule::Once {
            start,
            length,
            ramp,
        } => {
            ops.push(Op::At {
                start_ns: nanos(start),
                length_ns: nanos(length),
                ramp_ns: nanos(ramp),
            });
            (Some(start), length)
        }
        Schedule::Every {
            period,
            jitter,
            length,
        } => {
            ops.push(Op::Every {
                period_ns: nanos(period).max(1),
                length_ns: nanos(length),
                jitter,
            });
            (None, length)
        }
    };
    let level = |l: &Option<Level>| l.map(|l| (l.from, l.to));
    let mut errors = level(&o.errors);
    if e.action == "deploy" && o.fails.is_some() && errors.is_none() {
        errors = Some((0.25, 0.25));
    }
    if let Some((from, to)) = errors {
        ops.push(Op::Errors(t, from, to));
    }
    if let Some((from, to)) = level(&o.latency) {
        ops.push(Op::Latency(t, from, to));
    }
    if let Some((from, to)) = level(&o.rate) {
        ops.push(Op::Rate(t, from, to));
    }
    for (code, w) in o.status.as_ref().map(weighted).unwrap_or_default() {
        if let Sampled::Int(c) = code {
            ops.push(Op::Status(t, u16::try_from(c).unwrap_or(500), w));
        }
    }
    let mut types = o.error_type.as_ref().map(weighted).unwrap_or_default();
    if let (Some(fails), true) = (&o.fails, types.is_empty()) {
        types.push((Sampled::Str(format!("{fails}_failed")), 1.0));
    }
    for (ty, w) in types {
        let id = b.str(&ty.text());
        ops.push(Op::ErrorType(t, id, w));
    }
    if e.action == "cascade" {
        ops.push(Op::Cascade(t));
    }
    let metric = e
        .target
        .as_ref()
        .filter(|(k, _)| k == "metric")
        .map(|(_, n)| n.clone());
    match (e.action.as_str(), e.magnitude, metric) {
        ("burst", Some(Magnitude::Factor(l)), _) => ops.push(Op::Rate(t, l.from, l.to)),
        ("shift", Some(Magnitude::Relative(r)), Some(m)) => {
            let metric = b.str(&m);
            ops.push(Op::Shift {
                metric,
                relative: r,
            });
        }
        (action, Some(Magnitude::Factor(l)), Some(m)) => {
            let kind = match action {
                "drop" => AnomalyKind::Drop,
                "shift" => AnomalyKind::Shift,
                "trend" => AnomalyKind::Trend,
                _ => AnomalyKind::Spike,
            };
            let metric = b.str(&m);
            ops.push(Op::Anomaly {
                metric,
                kind,
                from: l.from,
                to: l.to,
            });
        }
        (_, Some(Magnitude::Relative(r)), Some(m)) => {
            let metric = b.str(&m);
            ops.push(Op::Shift {
                metric,
                relative: r,
            });
        }
        _ => {}
    }
    let message = o.message.clone().unwrap_or_default();
    let version = o.version.clone().unwrap_or_default();
    let event_kind = match e.action.as_str() {
        "deploy" => Some("deployment"),
        "config" => Some("config_change"),
        "scale" => Some("scaling"),
        _ => None,
    };
    // A repeating entry's event is written once, at offset 0: the runtime
    // emits it at the start of each occurrence.
    if let Some(kind) = event_kind {
        let at = start.unwrap_or(0.0);
        let details = match (e.action.as_str(), &o.instances, &o.fails) {
            ("scale", Some(n), _) if message.is_empty() => format!("scaled to {n} instances"),
            ("deploy", _, Some(f)) if message.is_empty() => {
                format!("deployed {version}; {f} failing")
            }
            ("deploy", _, None) if message.is_empty() => format!("deployed {version}"),
            _ => message.clone(),
        };
        let instances = match (e.action.as_str(), o.instances) {
            ("scale", Some(n)) => n,
            _ => 0,
        };
        let i = event(
            b, at, kind, resource, &details, &severity, &version, instances,
        );
        ops.push(Op::Event(i));
    }
    if is_incident(e) {
        let kind = if e.action == "deploy" {
            "failed_deployment"
        } else {
            e.action.as_str()
        };
        let (k, s) = (b.str(kind), b.str(&severity));
        ops.push(Op::Incident {
            kind: k,
            target: t,
            severity: s,
        });
        if let Some(at) = start {
            let details = if message.is_empty() {
                format!("{kind} started")
            } else {
                message.clone()
            };
            let i = event(
                b,
                at,
                "incident_start",
                resource,
                &details,
                &severity,
                "",
                0,
            );
            ops.push(Op::Event(i));
            event(
                b,
                at + length,
                "incident_end",
                resource,
                &format!("{kind} ended"),
                &severity,
                "",
                0,
            );
        }
    }
}

/// Lowers the traffic shape, the timeline and the events.
pub fn lower(b: &mut Builder, model: &Model) {
    let tr = &model.settings.traffic;
    let mut ops = vec![Op::Traffic {
        rate: tr.rate,
        timezone: b.str(&tr.timezone),
    }];
    ops.extend(tr.peaks.iter().map(|&(start, end)| Op::Peak { start, end }));
    ops.push(Op::Night(tr.night));
    ops.push(Op::Weekend(tr.weekend));
    for e in &model.timeline {
        entry(b, e, &mut ops);
    }
    ops.push(Op::End);
    b.pack.program = ops;
}
