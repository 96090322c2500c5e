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
use super::{Builder, LowerError};
use crate::model::{Metric, MetricSource as Src, Model};
pub(crate) use labels::most_values;
use labels::{domain, label_rows, label_weights, normalise};

/// The most series one metric (or one family level) may have; `tsim
/// check` refuses more, and lowering fails rather than cut a set short.
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

/// How many instance slots `name` (declared with `declared`) ever has:
/// the declared count or the largest a `scale` of it sets. A per-instance
/// series set has a row per slot; the runtime emits those of the
/// instances running at the time.
fn slots(model: &Model, name: &str, declared: u32) -> u32 {
    model
        .timeline
        .iter()
        .filter(|e| e.action == "scale" && e.target.as_ref().is_some_and(|t| t.1 == name))
        .filter_map(|e| e.overrides.instances)
        .fold(declared, u32::max)
}

/// The scope's keys and rows (`per service` gives one row per service).
fn scope_rows(model: &Model, m: &Metric) -> (Vec<&'static str>, Vec<Vec<Sampled>>) {
    let of = match &m.source {
        Src::Spans(Some(name)) => Some(name.as_str()),
        _ => None,
    };
    let services: Vec<(&str, u32, Vec<&str>)> =
        match of.and_then(|n| model.backends.iter().find(|b| b.name == n)) {
            Some(b) => vec![(
                b.name.as_str(),
                slots(model, &b.name, b.instances),
                Vec::new(),
            )],
            None => model
                .services
                .iter()
                .filter(|s| of.is_none_or(|n| n == s.name))
                .map(|s| {
                    (
                        s.name.as_str(),
                        slots(model, &s.name, s.instances),
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
                        let id = tsim_pack::instance_id(model.settings.seed, s.0, i, 0);
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

/// The error for a series set past [`MAX_SERIES`] (`tsim check` refuses
/// such a scenario first; this keeps lowering from cutting it silently).
pub(super) fn too_many_series(what: &str, count: f64) -> LowerError {
    LowerError(format!(
        "{what} would make {count} series, more than the limit of {MAX_SERIES}"
    ))
}

fn declared(b: &mut Builder, model: &Model, m: &Metric) -> Result<(), LowerError> {
    let count = metric_count(model, m);
    if count.widest > MAX_SERIES as f64 {
        return Err(too_many_series(
            &format!("metric `{}`", m.name),
            count.widest,
        ));
    }
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
    if let Some(n) = m.series.filter(|n| labels.len() < *n as usize) {
        return Err(LowerError(format!(
            "metric `{}` declares `series {n}`, but its labels made only {} distinct sets; declare at most that many, or give its labels more values",
            m.name,
            labels.len()
        )));
    }
    let label_weight = label_weights(&m.labels, &labels);
    let mut keys: Vec<String> = scope_keys.iter().map(|k| k.to_string()).collect();
    keys.extend(m.labels.iter().map(|l| l.key.clone()));
    // Scope rows share equally; within one, the label weights decide.
    let mut rows = Vec::new();
    let mut raw = Vec::new();
    for s in &scope {
        for (l, w) in labels.iter().zip(&label_weight) {
            if rows.len() >= MAX_SERIES {
                let all = (scope.len() as f64) * (labels.len() as f64);
                return Err(too_many_series(&format!("metric `{}`", m.name), all));
            }
            rows.push(s.iter().chain(l.iter()).cloned().collect::<Vec<_>>());
            raw.push(*w);
        }
    }
    let series_set = add_set(b, &keys, &rows, normalise(&raw));
    let source = match &m.source {
        Src::Spans(of) => MetricSource::Spans {
            of: of.as_deref().and_then(|n| b.resource_id(n)).unwrap_or(NONE),
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
    Ok(())
}

/// Lowers declared metrics, then families.
pub fn lower(b: &mut Builder, model: &Model) -> Result<(), LowerError> {
    for m in &model.metrics {
        declared(b, model, m)?;
    }
    for f in &model.families {
        family::family(b, model, f)?;
    }
    Ok(())
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
    /// What the widest set is made of: the factors whose product is
    /// `widest`, each a setting (or scope) name and its value, e.g.
    /// `[("nodes", 1e6), ("series_multiplier", 2)]`.
    pub factors: Vec<(&'static str, f64)>,
    /// The family level of the widest set (`host`, `node`, `pod`,
    /// `container`), empty for a metric.
    pub level: &'static str,
    /// Series rows built (all of its sets).
    pub rows: f64,
    /// Points emitted per tick (a family's metrics share their level's rows).
    pub points: f64,
}

/// The series and points of every metric and family of `model`.
pub(crate) fn series_counts(model: &Model) -> Vec<SeriesCount> {
    let mut out: Vec<SeriesCount> = model
        .metrics
        .iter()
        .map(|m| metric_count(model, m))
        .collect();
    out.extend(model.families.iter().map(family_count));
    out
}

/// A declared metric's series: its scope's rows times its label sets.
pub(crate) fn metric_count(model: &Model, m: &Metric) -> SeriesCount {
    let (scope_name, scope) = scope_count(model, m);
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
    SeriesCount {
        name: m.name.clone(),
        family: false,
        widest: rows,
        factors: vec![(scope_name, scope), ("label sets", labels)],
        level: "",
        rows,
        points: rows,
    }
}

/// Rows of a metric's scope (`per instance`: every instance of every
/// service it covers), and what they are.
fn scope_count(model: &Model, m: &Metric) -> (&'static str, f64) {
    let of = match &m.source {
        Src::Spans(Some(name)) => Some(name.as_str()),
        _ => None,
    };
    let what = match m.per.as_str() {
        "service" => "services",
        "instance" => "instances",
        "endpoint" => "endpoints",
        _ => "scenario",
    };
    if let Some(b) = of.and_then(|n| model.backends.iter().find(|b| b.name == n)) {
        return match m.per.as_str() {
            "instance" => (what, f64::from(slots(model, &b.name, b.instances))),
            _ => (what, 1.0),
        };
    }
    let services = model
        .services
        .iter()
        .filter(|s| of.is_none_or(|n| n == s.name));
    let n = match m.per.as_str() {
        "service" => services.count() as f64,
        "instance" => services
            .map(|s| f64::from(slots(model, &s.name, s.instances)))
            .sum(),
        "endpoint" => services.map(|s| s.endpoints.len() as f64).sum(),
        _ => 1.0,
    };
    (what, n)
}

/// One family level's series: its name, the factors of its row count
/// and how many metrics share its set.
struct LevelCount {
    level: &'static str,
    factors: Vec<(&'static str, f64)>,
    metrics: f64,
}

impl LevelCount {
    fn rows(&self) -> f64 {
        self.factors.iter().map(|f| f.1).product()
    }
}

/// A family's series, level by level (the same counts `family` builds).
pub(crate) fn family_count(f: &crate::model::Family) -> SeriesCount {
    let get = |k: &str| {
        f.settings
            .iter()
            .find(|(n, _)| n == k)
            .map_or(0.0, |(_, v)| *v)
            .max(1.0)
    };
    let mult = ("series_multiplier", get("series_multiplier"));
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
    let levels: Vec<LevelCount> = if f.kind == "host" {
        vec![LevelCount {
            level: "host",
            factors: vec![("hosts", get("hosts")), mult],
            metrics: per_level(specs::Level::Host) + extra,
        }]
    } else {
        let pods = ("pods", get("pods"));
        vec![
            LevelCount {
                level: "node",
                factors: vec![("nodes", get("nodes")), mult],
                metrics: per_level(specs::Level::Node),
            },
            LevelCount {
                level: "pod",
                factors: vec![pods, mult],
                metrics: per_level(specs::Level::Pod) + extra,
            },
            LevelCount {
                level: "container",
                factors: vec![pods, ("containers", get("containers")), mult],
                metrics: per_level(specs::Level::Container),
            },
        ]
    };
    let widest = levels.iter().max_by(|a, b| a.rows().total_cmp(&b.rows()));
    SeriesCount {
        name: f.kind.clone(),
        family: true,
        widest: widest.map_or(0.0, LevelCount::rows),
        factors: widest.map_or_else(Vec::new, |l| l.factors.clone()),
        level: widest.map_or("", |l| l.level),
        rows: levels.iter().map(LevelCount::rows).sum(),
        points: levels.iter().map(|l| l.rows() * l.metrics).sum(),
    }
}
