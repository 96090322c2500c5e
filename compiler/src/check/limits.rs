//! The documented limits a checked scenario must pass, as `tsim::too_big`
//! diagnostics (and `tsim::out_of_range` for a `series` count its labels
//! cannot make), each at the setting to lower and saying how big: the work
//! of [`estimate`], traces, series sets and histogram observations.

use super::estimate::{
    bytes, estimate, sci, short, whole, Estimate, ARRIVAL_BYTES, MAX_ARRIVALS_PER_TICK,
    MAX_OBSERVATIONS_PER_TICK, MAX_RECORDS, MAX_RECORDS_PER_TICK, MAX_SERIES_ROWS, ROW_BYTES,
};
use crate::ast::{Item, Prop};
use crate::diagnostic::{Diagnostic, Kind};
use crate::lower::{
    most_values, root_sizes, series_counts, SeriesCount, MAX_EXPECTED_SPANS_PER_TRACE, MAX_SERIES,
};
use crate::model::Model;
use crate::source::Span;

/// Where the settings an estimate blames were written.
#[derive(Default)]
struct Sites {
    scenario: Option<Span>,
    rate: Option<Span>,
    tick: Option<Span>,
    duration: Option<Span>,
}

fn prop_span(props: &[Prop], key: &str) -> Option<Span> {
    props
        .iter()
        .find(|p| p.key.node == key)
        .map(|p| p.value.as_ref().map_or(p.span, |v| v.span))
}

fn sites(items: &[&Item]) -> Sites {
    let mut out = Sites::default();
    for item in items {
        if let Item::Scenario(s) = item {
            out.scenario = Some(s.name.span);
            out.tick = prop_span(&s.props, "tick");
            out.duration = prop_span(&s.props, "duration");
            out.rate = s.traffic.first().and_then(|t| prop_span(&t.props, "rate"));
            break;
        }
    }
    out
}

/// A span for a diagnostic about the whole scenario: the first of
/// `choices` that was written, else the first item.
fn first_of(choices: &[Option<Span>], items: &[&Item]) -> Option<Span> {
    choices.iter().flatten().next().copied().or_else(|| {
        items.iter().find_map(|i| match i {
            Item::Service(s) => Some(s.name.span),
            Item::Metric(m) => Some(m.name.span),
            Item::Family(f) => Some(f.kind.span),
            Item::LogStream(l) => Some(l.name.span),
            _ => None,
        })
    })
}

fn too_big(what: String, size: String, limit: String, hint: &str, span: Span) -> Diagnostic {
    Diagnostic::error(
        Kind::TooBig {
            what,
            size,
            limit,
            hint: hint.into(),
        },
        span,
    )
}

/// Every limit `model` passes, as diagnostics for those it does not.
pub(super) fn limits(model: &Model, items: &[&Item]) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let at = sites(items);
    let est = estimate(model);
    traces(model, items, &mut out);
    if !out.is_empty() {
        // Traces too big make every other figure too big as well.
        return out;
    }
    let tick = short(model.settings.tick);
    if est.arrivals_per_tick > MAX_ARRIVALS_PER_TICK {
        if let Some(span) = first_of(&[at.rate, at.tick, at.scenario], items) {
            out.push(too_big(
                "one tick holds".into(),
                format!(
                    "about {} root requests ({}/s x a {tick}s tick; {} to draw them)",
                    sci(est.arrivals_per_tick),
                    sci(est.requests_per_s),
                    bytes(est.arrivals_per_tick * ARRIVAL_BYTES)
                ),
                format!("{} root requests per tick", sci(MAX_ARRIVALS_PER_TICK)),
                "try a lower `rate`, or a shorter `tick`",
                span,
            ));
        }
    } else if est.records_per_tick > MAX_RECORDS_PER_TICK {
        let stream = busiest_stream(model, items).filter(|_| est.logs_per_s > est.spans_per_s);
        if let Some(span) = first_of(&[stream, at.rate, at.tick, at.scenario], items) {
            out.push(too_big(
                "one tick emits".into(),
                format!(
                    "about {} records ({} spans/s and {} log records/s over a {tick}s tick, and {} metric points)",
                    sci(est.records_per_tick),
                    sci(est.spans_per_s),
                    sci(est.logs_per_s),
                    sci(est.points_per_s * model.settings.tick)
                ),
                format!("{} records per tick", sci(MAX_RECORDS_PER_TICK)),
                "try a lower `rate` (or log stream `rate`s), or a shorter `tick`",
                span,
            ));
        }
    }
    series(model, items, &est, &at, &mut out);
    label_domains(model, items, &mut out);
    observations(model, items, &mut out);
    if est.records > MAX_RECORDS || !est.records.is_finite() {
        if let Some(span) = first_of(&[at.rate, at.duration, at.scenario], items) {
            out.push(too_big(
                "the run emits".into(),
                format!(
                    "about {} records ({} spans/s from {} requests/s x {} spans per trace, {} log records/s, {} metric points/s, over {}s; about {} of NDJSON)",
                    sci(est.records),
                    sci(est.spans_per_s),
                    sci(est.requests_per_s),
                    short(est.spans_per_trace),
                    sci(est.logs_per_s),
                    sci(est.points_per_s),
                    short(est.duration_s),
                    bytes(est.ndjson_bytes)
                ),
                format!("{} records a run", sci(MAX_RECORDS)),
                "try a lower `rate` (or log stream `rate`s, or fewer series), or a shorter `duration`",
                span,
            ));
        }
    }
    out
}

/// The name of the log stream with the highest rate.
fn busiest_stream(model: &Model, items: &[&Item]) -> Option<Span> {
    let top = model
        .log_streams
        .iter()
        .max_by(|a, b| a.rate.total_cmp(&b.rate))?;
    items.iter().find_map(|i| match i {
        Item::LogStream(l) if l.name.node == top.name => Some(l.name.span),
        _ => None,
    })
}

/// Root endpoints whose traces are expected to hold too many spans.
fn traces(model: &Model, items: &[&Item], out: &mut Vec<Diagnostic>) {
    let Ok(roots) = root_sizes(model) else {
        return;
    };
    for r in roots {
        let Some(spans) = r
            .spans
            .filter(|n| *n > MAX_EXPECTED_SPANS_PER_TRACE || !n.is_finite())
        else {
            continue;
        };
        let span = items.iter().find_map(|i| match i {
            Item::Service(s) if s.name.node == r.service => s
                .endpoints
                .iter()
                .find(|e| e.name.node == r.endpoint)
                .map(|e| e.name.span),
            _ => None,
        });
        let Some(span) = span else {
            continue;
        };
        let size = if spans.is_finite() {
            format!("about {} spans", sci(spans))
        } else {
            "an unbounded number of spans".into()
        };
        out.push(too_big(
            format!(
                "a trace of `{}` \"{}\" is expected to hold",
                r.service, r.endpoint
            ),
            format!("{size} (counting every retry)"),
            format!("{} spans a trace", sci(MAX_EXPECTED_SPANS_PER_TRACE)),
            &r.why,
            span,
        ));
    }
}

/// Metrics and families with too many series, and too many in all.
fn series(model: &Model, items: &[&Item], est: &Estimate, at: &Sites, out: &mut Vec<Diagnostic>) {
    for c in series_counts(model) {
        if c.widest <= MAX_SERIES as f64 {
            continue;
        }
        let Some(d) = series_too_big(&c, items) else {
            continue;
        };
        out.push(d);
    }
    if est.series > MAX_SERIES_ROWS {
        if let Some(span) = first_of(&[at.scenario], items) {
            out.push(too_big(
                "the metrics and families build".into(),
                format!(
                    "about {} series rows (memory about {})",
                    sci(est.series),
                    bytes(est.series * ROW_BYTES)
                ),
                format!("{} series rows", sci(MAX_SERIES_ROWS)),
                "try fewer series per metric or family, or fewer instances",
                span,
            ));
        }
    }
}

/// `tsim::too_big` for one metric or family level past [`MAX_SERIES`]:
/// how many series and what they multiply, at the setting to lower.
fn series_too_big(c: &SeriesCount, items: &[&Item]) -> Option<Diagnostic> {
    let product = c
        .factors
        .iter()
        .map(|(name, v)| {
            if c.family {
                format!("`{name}` {}", whole(*v))
            } else {
                format!("{} {name}", whole(*v))
            }
        })
        .collect::<Vec<_>>()
        .join(" x ");
    let limit = format!("{} series", whole(MAX_SERIES as f64));
    if c.family {
        let f = items.iter().find_map(|i| match i {
            Item::Family(f) if f.kind.node == c.name => Some(f),
            _ => None,
        })?;
        // The written setting with the largest value, else the family.
        let span = c
            .factors
            .iter()
            .filter_map(|(name, v)| prop_span(&f.settings, name).map(|s| (s, *v)))
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .map_or(f.kind.span, |(s, _)| s);
        let names: Vec<String> = c.factors.iter().map(|(n, _)| format!("`{n}`")).collect();
        let hint = format!("try a smaller {}", or_list(&names));
        return Some(too_big(
            format!("family `{}` builds", c.name),
            format!(
                "{} series at its {} level ({product})",
                whole(c.widest),
                c.level
            ),
            limit,
            &hint,
            span,
        ));
    }
    let m = items.iter().find_map(|i| match i {
        Item::Metric(m) if m.name.node == c.name => Some(m),
        _ => None,
    })?;
    let span = prop_span(&m.props, "series").unwrap_or(m.name.span);
    Some(too_big(
        format!("metric `{}` has", c.name),
        format!("{} series ({product})", whole(c.widest)),
        limit,
        "try a smaller `series`, fewer label choices, or fewer `instances` (for `per instance`)",
        span,
    ))
}

/// `a`, `a or b`, `a, b or c`.
fn or_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} or {last}", rest.join(", ")),
    }
}

/// Metrics that declare `series N` when their labels can make fewer than
/// N distinct sets (lowering would otherwise fail: it never makes fewer
/// series than declared, nor repeats one).
fn label_domains(model: &Model, items: &[&Item], out: &mut Vec<Diagnostic>) {
    for m in &model.metrics {
        let Some(n) = m.series.filter(|_| !m.labels.is_empty()) else {
            continue;
        };
        let Some(most) = m
            .labels
            .iter()
            .map(|l| most_values(&l.value, &m.labels))
            .try_fold(1.0, |a, d| d.map(|d| a * d))
        else {
            continue;
        };
        if f64::from(n) <= most {
            continue;
        }
        let span = items.iter().find_map(|i| match i {
            Item::Metric(a) if a.name.node == m.name => {
                prop_span(&a.props, "series").or(Some(a.name.span))
            }
            _ => None,
        });
        if let Some(span) = span {
            out.push(Diagnostic::error(
                Kind::OutOfRange {
                    what: "`series`".into(),
                    value: n.to_string(),
                    allowed: format!(
                        "at most {} for metric `{}`: the distinct label sets its labels make (or give the labels more values)",
                        whole(most),
                        m.name
                    ),
                },
                span,
            ));
        }
    }
}

/// Process histograms whose `rate` draws more observations in a tick than
/// [`MAX_OBSERVATIONS_PER_TICK`] (the run would spend its time on them and
/// not look at Ctrl-C until the tick ends).
fn observations(model: &Model, items: &[&Item], out: &mut Vec<Diagnostic>) {
    let tick = model.settings.tick;
    for m in &model.metrics {
        let Some(rate) = m.rate.filter(|_| m.kind == "histogram") else {
            continue;
        };
        let per_tick = rate * tick;
        if per_tick <= MAX_OBSERVATIONS_PER_TICK && per_tick.is_finite() {
            continue;
        }
        let span = items.iter().find_map(|i| match i {
            Item::Metric(a) if a.name.node == m.name => {
                prop_span(&a.props, "rate").or(Some(a.name.span))
            }
            _ => None,
        });
        if let Some(span) = span {
            out.push(too_big(
                format!("histogram `{}` draws", m.name),
                format!(
                    "about {} observations per series in one tick ({}/s x a {}s tick)",
                    sci(per_tick),
                    sci(rate),
                    short(tick)
                ),
                format!("{} observations per tick", sci(MAX_OBSERVATIONS_PER_TICK)),
                "try a lower `rate` on the metric, or a shorter `tick`",
                span,
            ));
        }
    }
}
