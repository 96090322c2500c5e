//! Metrics: each declared metric's series (its scope's rows times sampled
//! label sets), their weights (each series' share of the metric's volume,
//! from its labels' pick weights) and process parameters; and the host and
//! Kubernetes families, whose metrics share one series set per level (host,
//! node, pod, container) so hundreds of thousands of series stay small in
//! the pack.
//!
//! This module lowers declared metrics and interns series sets; `labels`
//! chooses label rows and weighs them, `family` lowers the families from
//! the metric lists in `specs`.

mod family;
mod labels;
mod specs;

use tsim_pack::{AttrValue, MetricDef, MetricKind, MetricSource, SeriesSet, NONE};

use super::sample::{self, Sampled};
use super::{resource_index, Builder};
use crate::model::{Metric, MetricSource as Src, Model};
use labels::{domain, label_rows, label_weights, normalise};

/// The most series one metric (or one family level) may have; `tsim
/// check` refuses more, so the caps below never cut a checked scenario.
pub(crate) const MAX_SERIES: usize = 1_000_000;
/// Label sets sampled when a metric does not declare `series`.
const DEFAULT_LABEL_SETS: usize = 1_000;

fn kind(k: &str) -> MetricKind {
    match k {
        "counter" => MetricKind::Counter,
        "updown" => MetricKind::UpDown,
        "histogram" => MetricKind::Histogram,
        _ => MetricKind::Gauge,
    }
}

/// The scope's keys and rows (`per service` gives one row per service).
fn scope_rows(model: &Model, m: &Metric) -> (Vec<&'static str>, Vec<Vec<Sampled>>) {
    let of = match &m.source {
        Src::Spans(Some(name)) => Some(name.as_str()),
        _ => None,
    };
    let services: Vec<(&str, u32, Vec<&str>)> =
        match of.and_then(|n| model.backends.iter().find(|b| b.name == n)) {
            Some(b) => vec![(b.name.as_str(), b.instances, Vec::new())],
            None => model
                .services
                .iter()
                .filter(|s| of.is_none_or(|n| n == s.name))
                .map(|s| {
                    (
                        s.name.as_str(),
                        s.instances,
                        s.endpoints.iter().map(|e| e.name.as_str()).collect(),
                    )
                })
                .collect(),
        };
    let text = |s: &str| Sampled::Str(s.to_string());
    match m.per.as_str() {
        "service" => (
            vec!["service.name"],
            services.iter().map(|s| vec![text(s.0)]).collect(),
        ),
        "instance" => (
            vec!["service.name", "service.instance.id"],
            services
                .iter()
                .flat_map(|s| {
                    (0..s.1).map(move |i| {
                        let id = tsim_pack::instance_id(model.settings.seed, s.0, i);
                        vec![text(s.0), Sampled::Str(id)]
                    })
                })
                .collect(),
        ),
        "endpoint" => (
            vec!["service.name", "endpoint"],
            services
                .iter()
                .flat_map(|s| s.2.iter().map(move |e| vec![text(s.0), text(e)]))
                .collect(),
        ),
        _ => (Vec::new(), vec![Vec::new()]),
    }
}

/// Adds a series set (or finds the same one), with `weights` as in
/// [`SeriesSet::weights`]: empty, or one per row summing to 1.
fn add_set(b: &mut Builder, keys: &[String], rows: &[Vec<Sampled>], weights: Vec<f64>) -> u32 {
    let keys: Vec<u32> = keys.iter().map(|k| b.str(k)).collect();
    let rows: Vec<Vec<AttrValue>> = rows
        .iter()
        .map(|r| r.iter().map(|v| b.value(v)).collect())
        .collect();
    let set = SeriesSet {
        keys,
        rows,
        weights,
    };
    if let Some(i) = b.pack.series_sets.iter().position(|s| *s == set) {
        return i as u32;
    }
    b.pack.series_sets.push(set);
    (b.pack.series_sets.len() - 1) as u32
}

fn declared(b: &mut Builder, model: &Model, m: &Metric) {
    let mut rng = sample::rng(model.settings.seed, &["metric", &m.name]);
    let (scope_keys, scope) = scope_rows(model, m);
    let wanted = m.series.map_or_else(
        || {
            m.labels
                .iter()
                .map(|l| domain(&l.value))
                .fold(1usize, |a, d| a.saturating_mul(d))
                .min(DEFAULT_LABEL_SETS)
        },
        |s| s as usize,
    );
    let labels = if m.labels.is_empty() {
        vec![Vec::new()]
    } else {
        label_rows(&mut rng, &m.labels, wanted)
    };
    let label_weight = label_weights(&m.labels, &labels);
    let mut keys: Vec<String> = scope_keys.iter().map(|k| k.to_string()).collect();
    keys.extend(m.labels.iter().map(|l| l.key.clone()));
    // Scope rows share equally; within one, the label weights decide. The
    // weights follow the rows actually emitted (after the series cap).
    let mut rows = Vec::new();
    let mut raw = Vec::new();
    'outer: for s in &scope {
        for (l, w) in labels.iter().zip(&label_weight) {
            if rows.len() >= MAX_SERIES {
                break 'outer;
            }
            rows.push(s.iter().chain(l.iter()).cloned().collect::<Vec<_>>());
            raw.push(*w);
        }
    }
    let series_set = add_set(b, &keys, &rows, normalise(&raw));
    let source = match &m.source {
        Src::Spans(of) => MetricSource::Spans {
            of: of
                .as_deref()
                .and_then(|n| resource_index(model, n))
                .unwrap_or(NONE),
        },
        Src::Process { process: p, .. } => MetricSource::Process(p.clone()),
    };
    let within = match &m.source {
        Src::Process { within, .. } => *within,
        Src::Spans(_) => None,
    };
    let def = MetricDef {
        name: b.str(&m.name),
        kind: kind(&m.kind),
        unit: b.str(&m.unit),
        description: b.str(&m.description),
        series_set,
        source,
        within,
        buckets: m.buckets.clone(),
        rate: m.rate.unwrap_or(0.0),
    };
    b.pack.metrics.push(def);
}

/// Lowers declared metrics, then families.
pub fn lower(b: &mut Builder, model: &Model) {
    for m in &model.metrics {
        declared(b, model, m);
    }
    for f in &model.families {
        family::family(b, model, f);
    }
}

/// How many series one metric or family makes and how many points per
/// tick, counted without building a row (for the work estimate: a
/// scenario asking for a billion series is refused before any is made).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct SeriesCount {
    /// A declared metric's name, or a family's kind.
    pub name: String,
    /// Whether this is a family.
    pub family: bool,
    /// The most series one of its series sets holds (one metric's, or one
    /// family level's).
    pub widest: f64,
    /// Series rows built (all of its sets).
    pub rows: f64,
    /// Points emitted per tick (a family's metrics share their level's rows).
    pub points: f64,
}

/// The series and points of every metric and family of `model`.
pub(crate) fn series_counts(model: &Model) -> Vec<SeriesCount> {
    let mut out = Vec::new();
    for m in &model.metrics {
        let scope = scope_count(model, m);
        let labels = match m.series {
            _ if m.labels.is_empty() => 1.0,
            Some(n) => f64::from(n),
            None => m
                .labels
                .iter()
                .map(|l| domain(&l.value) as f64)
                .product::<f64>()
                .min(DEFAULT_LABEL_SETS as f64),
        };
        let rows = scope * labels;
        out.push(SeriesCount {
            name: m.name.clone(),
            family: false,
            widest: rows,
            rows,
            points: rows,
        });
    }
    for f in &model.families {
        out.push(family_count(f));
    }
    out
}

/// Rows of a metric's scope (`per instance`: every instance of every
/// service it covers).
fn scope_count(model: &Model, m: &Metric) -> f64 {
    let of = match &m.source {
        Src::Spans(Some(name)) => Some(name.as_str()),
        _ => None,
    };
    if let Some(b) = of.and_then(|n| model.backends.iter().find(|b| b.name == n)) {
        return match m.per.as_str() {
            "instance" => f64::from(b.instances),
            "service" | "endpoint" => 1.0,
            _ => 1.0,
        };
    }
    let services = model
        .services
        .iter()
        .filter(|s| of.is_none_or(|n| n == s.name));
    match m.per.as_str() {
        "service" => services.count() as f64,
        "instance" => services.map(|s| f64::from(s.instances)).sum(),
        "endpoint" => services.map(|s| s.endpoints.len() as f64).sum(),
        _ => 1.0,
    }
}

fn family_count(f: &crate::model::Family) -> SeriesCount {
    let get = |k: &str| {
        f.settings
            .iter()
            .find(|(n, _)| n == k)
            .map_or(0.0, |(_, v)| *v)
            .max(1.0)
    };
    let mult = get("series_multiplier");
    let extra = f
        .settings
        .iter()
        .find(|(n, _)| n == "extra_metrics")
        .map_or(0.0, |(_, v)| *v);
    let per_level = |level: specs::Level| {
        let specs: &[specs::Spec] = if f.kind == "host" {
            specs::HOST
        } else {
            specs::KUBERNETES
        };
        specs.iter().filter(|s| s.5 == level).count() as f64
    };
    let levels: Vec<(f64, f64)> = if f.kind == "host" {
        let hosts = get("hosts") * mult;
        vec![(hosts, per_level(specs::Level::Host) + extra)]
    } else {
        let pods = get("pods") * mult;
        vec![
            (get("nodes") * mult, per_level(specs::Level::Node)),
            (pods, per_level(specs::Level::Pod) + extra),
            (pods * get("containers"), per_level(specs::Level::Container)),
        ]
    };
    SeriesCount {
        name: f.kind.clone(),
        family: true,
        widest: levels.iter().map(|l| l.0).fold(0.0, f64::max),
        rows: levels.iter().map(|l| l.0).sum(),
        points: levels.iter().map(|(rows, metrics)| rows * metrics).sum(),
    }
}
