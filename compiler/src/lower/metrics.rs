//! Metrics: each declared metric's series (its scope's rows times sampled
//! label sets), their weights (each series' share of the metric's volume,
//! from its labels' pick weights) and process parameters; and the host and
//! Kubernetes families, whose metrics share one series set per level (host,
//! node, pod, container) so hundreds of thousands of series stay small in
//! the pack.

use std::collections::BTreeSet;

use rand::RngExt;
use rand_pcg::Pcg64;
use tsim_pack::{AttrValue, MetricDef, MetricKind, MetricSource, Process, SeriesSet, NONE};

use super::sample::{self, Sampled};
use super::{resource_index, Builder};
use crate::model::{Attr, Dist, Family, Generator, Metric, MetricSource as Src, Model};

/// The most series one metric may have.
const MAX_SERIES: usize = 1_000_000;
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

/// How many distinct values a generator can produce (capped), for label sets.
fn domain(g: &Generator) -> usize {
    match g {
        Generator::Const(_) => 1,
        Generator::Pick(e) => e.len().max(1),
        Generator::IntRange(a, b) => usize::try_from(b.saturating_sub(*a).saturating_add(1))
            .unwrap_or(usize::MAX)
            .max(1),
        Generator::Pool { size, .. } => usize::try_from(*size).unwrap_or(usize::MAX).max(1),
        Generator::Bool(_) => 2,
        Generator::Maybe(_, inner) => domain(inner).saturating_add(1),
        _ => DEFAULT_LABEL_SETS,
    }
}

/// Every value a label can take, when it is a short list.
fn values(g: &Generator) -> Option<Vec<Sampled>> {
    Some(match g {
        Generator::Const(s) => vec![sample::scalar(s)],
        Generator::Pick(e) => e.iter().map(|(s, _)| sample::scalar(s)).collect(),
        Generator::Bool(_) => vec![Sampled::Bool(true), Sampled::Bool(false)],
        Generator::IntRange(a, b) if b.saturating_sub(*a) < 1000 => {
            (*a..=*b).map(Sampled::Int).collect()
        }
        _ => return None,
    })
}

/// Every combination of the labels' values, in declaration order, when
/// they are all short lists and there are at most `n` combinations.
fn all_rows(labels: &[Attr], n: usize) -> Option<Vec<Vec<Sampled>>> {
    let lists: Vec<Vec<Sampled>> = labels
        .iter()
        .map(|l| values(&l.value))
        .collect::<Option<_>>()?;
    let total = lists
        .iter()
        .try_fold(1usize, |a, l| a.checked_mul(l.len()))?;
    if total > n {
        return None;
    }
    let mut rows: Vec<Vec<Sampled>> = vec![Vec::new()];
    for list in &lists {
        rows = rows
            .iter()
            .flat_map(|r| {
                list.iter().map(move |v| {
                    let mut r = r.clone();
                    r.push(v.clone());
                    r
                })
            })
            .collect();
    }
    Some(rows)
}

/// `n` distinct label rows: every combination when they fit, else
/// sampled from the generators.
fn label_rows(rng: &mut Pcg64, labels: &[Attr], n: usize) -> Vec<Vec<Sampled>> {
    if let Some(rows) = all_rows(labels, n) {
        return rows;
    }
    let mut seen = BTreeSet::new();
    let mut rows = Vec::new();
    for _ in 0..n.saturating_mul(20).max(1) {
        if rows.len() >= n {
            break;
        }
        let mut row: Vec<(String, Sampled)> = Vec::new();
        for a in labels {
            let lookup = |k: &str| row.iter().find(|(n, _)| n == k).map(|(_, v)| v.text());
            let v = sample::generate(rng, &a.value, &lookup).unwrap_or(Sampled::Str(String::new()));
            row.push((a.key.clone(), v));
        }
        let key: Vec<String> = row.iter().map(|(_, v)| v.text()).collect();
        if seen.insert(key) {
            rows.push(row.into_iter().map(|(_, v)| v).collect());
        }
    }
    rows
}

/// What `label_rows` puts in a row for a label a `maybe` left out.
fn absent() -> Sampled {
    Sampled::Str(String::new())
}

/// Whether a generator's values have probabilities of their own (a
/// constant, a pick, a chance, a picked number, a `maybe`), rather than
/// being equally likely.
fn weighted(g: &Generator) -> bool {
    matches!(
        g,
        Generator::Const(_)
            | Generator::Pick(_)
            | Generator::Bool(_)
            | Generator::Dist(Dist::Pick(_))
            | Generator::Maybe(..)
    )
}

/// The share of a weighted choice that the matching entries have: their
/// weight over the total (1 when the weights are unusable, so the choice
/// counts as equal shares).
fn pick_share(entries: impl Iterator<Item = (bool, f64)>) -> f64 {
    let (mut matched, mut total) = (0.0, 0.0);
    for (hit, w) in entries {
        total += w;
        if hit {
            matched += w;
        }
    }
    if total.is_finite() && total > 0.0 {
        matched / total
    } else {
        1.0
    }
}

/// A probability as sampling uses it: clamped to 0..=1 (a non-finite one
/// counts as 1/2).
fn chance(p: f64) -> f64 {
    if p.is_finite() {
        p.clamp(0.0, 1.0)
    } else {
        0.5
    }
}

/// How likely generator `g` is to give `v`, up to a factor that is the
/// same for every row: a pick's matching weight over its total, a chance's
/// probability, 1 for a constant; values of a generator without weights (a
/// range, a pool, a pattern, a distribution) are equally likely, one of
/// the `distinct` present values seen; a `maybe` mixes its inner share with
/// the chance of being left out.
fn share(g: &Generator, v: &Sampled, distinct: usize) -> f64 {
    match g {
        Generator::Const(c) => {
            if sample::scalar(c) == *v {
                1.0
            } else {
                0.0
            }
        }
        Generator::Pick(entries) => {
            pick_share(entries.iter().map(|(c, w)| (sample::scalar(c) == *v, *w)))
        }
        Generator::Bool(p) => {
            let p = chance(*p);
            match v {
                Sampled::Bool(true) => p,
                Sampled::Bool(false) => 1.0 - p,
                _ => 0.0,
            }
        }
        Generator::Dist(Dist::Pick(entries)) => {
            pick_share(entries.iter().map(|(x, w)| (Sampled::Float(*x) == *v, *w)))
        }
        Generator::Maybe(p, inner) => {
            let p = chance(*p);
            let left_out = *v == absent();
            let present = if left_out && !weighted(inner) {
                0.0
            } else {
                share(inner, v, distinct)
            };
            p * present + if left_out { 1.0 - p } else { 0.0 }
        }
        _ => 1.0 / distinct.max(1) as f64,
    }
}

/// Each label row's unnormalised weight: the product over its labels of
/// [`share`]. `distinct` for a label is the number of different values
/// (other than "left out") it has across `rows`.
fn label_weights(labels: &[Attr], rows: &[Vec<Sampled>]) -> Vec<f64> {
    let distinct: Vec<usize> = (0..labels.len())
        .map(|j| {
            rows.iter()
                .filter_map(|r| r.get(j))
                .filter(|v| **v != absent())
                .map(Sampled::text)
                .collect::<BTreeSet<_>>()
                .len()
        })
        .collect();
    rows.iter()
        .map(|row| {
            labels
                .iter()
                .zip(row)
                .zip(&distinct)
                .map(|((l, v), &d)| share(&l.value, v, d))
                .product()
        })
        .collect()
}

/// Normalises row weights to sum to 1. Empty (equal shares) when they are
/// all the same, or when they cannot be normalised (none, or a total that
/// is zero or not finite).
fn normalise(raw: &[f64]) -> Vec<f64> {
    let Some(&first) = raw.first() else {
        return Vec::new();
    };
    if raw.iter().all(|&w| w == first) {
        return Vec::new();
    }
    let total: f64 = raw.iter().sum();
    let usable = raw.iter().all(|w| w.is_finite() && *w >= 0.0);
    if !(usable && total.is_finite() && total > 0.0) {
        return Vec::new();
    }
    let weights: Vec<f64> = raw.iter().map(|w| w / total).collect();
    let sum: f64 = weights.iter().sum();
    if (sum - 1.0).abs() <= 1e-9 {
        weights
    } else {
        Vec::new()
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
                    (0..s.1).map(move |i| vec![text(s.0), Sampled::Str(format!("{}-{i}", s.0))])
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

/// A family metric: name, kind, unit, process, bounds, level.
type Spec = (
    &'static str,
    MetricKind,
    &'static str,
    fn() -> Process,
    Option<(f64, f64)>,
    Level,
);

#[derive(Clone, Copy, PartialEq)]
enum Level {
    Host,
    Node,
    Pod,
    Container,
}

fn util() -> Process {
    Process::Brownian {
        start: 0.35,
        drift: 0.0,
        volatility: 0.01,
    }
}
fn memory() -> Process {
    Process::MeanRevert {
        start: 4e9,
        mean: 4e9,
        speed: 0.01,
        volatility: 2e7,
    }
}
fn io() -> Process {
    Process::Poisson {
        rate: Box::new(Process::MeanRevert {
            start: 5e5,
            mean: 5e5,
            speed: 0.05,
            volatility: 2e4,
        }),
    }
}
fn ops() -> Process {
    Process::Poisson {
        rate: Box::new(Process::Constant {
            value: 50.0,
            noise: 5.0,
        }),
    }
}
fn cores() -> Process {
    Process::Constant {
        value: 2.0,
        noise: 0.0,
    }
}
fn rare() -> Process {
    Process::Poisson {
        rate: Box::new(Process::Constant {
            value: 0.0005,
            noise: 0.0,
        }),
    }
}
fn percent_level() -> Process {
    Process::MeanRevert {
        start: 50.0,
        mean: 50.0,
        speed: 0.05,
        volatility: 2.0,
    }
}

const HOST: &[Spec] = &[
    (
        "system.cpu.utilization",
        MetricKind::Gauge,
        "1",
        util,
        Some((0.0, 1.0)),
        Level::Host,
    ),
    (
        "system.cpu.time",
        MetricKind::Counter,
        "s",
        ops,
        None,
        Level::Host,
    ),
    (
        "system.memory.usage",
        MetricKind::Gauge,
        "By",
        memory,
        Some((0.0, 6.4e10)),
        Level::Host,
    ),
    (
        "system.memory.utilization",
        MetricKind::Gauge,
        "1",
        util,
        Some((0.0, 1.0)),
        Level::Host,
    ),
    (
        "system.disk.io",
        MetricKind::Counter,
        "By",
        io,
        None,
        Level::Host,
    ),
    (
        "system.disk.operations",
        MetricKind::Counter,
        "{operation}",
        ops,
        None,
        Level::Host,
    ),
    (
        "system.filesystem.usage",
        MetricKind::Gauge,
        "By",
        memory,
        Some((0.0, 1e12)),
        Level::Host,
    ),
    (
        "system.network.io",
        MetricKind::Counter,
        "By",
        io,
        None,
        Level::Host,
    ),
    (
        "system.network.errors",
        MetricKind::Counter,
        "{error}",
        rare,
        None,
        Level::Host,
    ),
    (
        "system.cpu.load_average.1m",
        MetricKind::Gauge,
        "{thread}",
        util,
        Some((0.0, 64.0)),
        Level::Host,
    ),
];

const KUBERNETES: &[Spec] = &[
    (
        "k8s.node.cpu.usage",
        MetricKind::Gauge,
        "{cpu}",
        util,
        Some((0.0, 64.0)),
        Level::Node,
    ),
    (
        "k8s.node.memory.usage",
        MetricKind::Gauge,
        "By",
        memory,
        Some((0.0, 2.6e11)),
        Level::Node,
    ),
    (
        "k8s.node.network.io",
        MetricKind::Counter,
        "By",
        io,
        None,
        Level::Node,
    ),
    (
        "k8s.pod.cpu.usage",
        MetricKind::Gauge,
        "{cpu}",
        util,
        Some((0.0, 16.0)),
        Level::Pod,
    ),
    (
        "k8s.pod.memory.usage",
        MetricKind::Gauge,
        "By",
        memory,
        Some((0.0, 6.4e10)),
        Level::Pod,
    ),
    (
        "k8s.pod.network.io",
        MetricKind::Counter,
        "By",
        io,
        None,
        Level::Pod,
    ),
    (
        "k8s.container.cpu.limit",
        MetricKind::Gauge,
        "{cpu}",
        cores,
        None,
        Level::Container,
    ),
    (
        "k8s.container.memory.limit",
        MetricKind::Gauge,
        "By",
        memory,
        None,
        Level::Container,
    ),
    (
        "k8s.container.restarts",
        MetricKind::Counter,
        "{restart}",
        rare,
        None,
        Level::Container,
    ),
    (
        "k8s.deployment.available",
        MetricKind::Gauge,
        "{pod}",
        cores,
        None,
        Level::Pod,
    ),
];

const REGIONS: &[&str] = &["us-east-1", "us-west-2", "eu-west-1", "ap-southeast-1"];
const NAMESPACES: &[&str] = &[
    "default",
    "checkout",
    "payments",
    "search",
    "platform",
    "monitoring",
    "ingress",
    "data",
    "ml",
    "auth",
];
const APPS: &[&str] = &[
    "api", "web", "worker", "cart", "catalog", "orders", "billing", "auth", "search", "notifier",
];

fn setting(f: &Family, key: &str) -> usize {
    f.settings
        .iter()
        .find(|(k, _)| k == key)
        .map_or(0, |(_, v)| *v as usize)
}

fn family(b: &mut Builder, model: &Model, f: &Family) {
    let mut rng = sample::rng(model.settings.seed, &["family", &f.kind]);
    let mult = setting(f, "series_multiplier").max(1);
    let text = |s: String| Sampled::Str(s);
    let extra_keys: Vec<String> = f.labels.iter().map(|l| l.key.clone()).collect();
    let mut sets: Vec<(Level, u32)> = Vec::new();
    let mut build = |b: &mut Builder,
                     rng: &mut Pcg64,
                     level: Level,
                     base_keys: &[&str],
                     base: Vec<Vec<Sampled>>| {
        let mut keys: Vec<String> = base_keys.iter().map(|k| k.to_string()).collect();
        for k in &extra_keys {
            if !keys.contains(k) {
                keys.push(k.clone());
            }
        }
        if mult > 1 {
            keys.push("series.shard".into());
        }
        let mut rows = Vec::new();
        for row in base {
            for shard in 0..mult {
                let mut r: Vec<(String, Sampled)> = base_keys
                    .iter()
                    .map(|k| k.to_string())
                    .zip(row.iter().cloned())
                    .collect();
                for l in &f.labels {
                    let lookup = |k: &str| r.iter().find(|(n, _)| n == k).map(|(_, v)| v.text());
                    let v = sample::generate(rng, &l.value, &lookup)
                        .unwrap_or(Sampled::Str(String::new()));
                    match r.iter_mut().find(|(n, _)| *n == l.key) {
                        Some(slot) => slot.1 = v,
                        None => r.push((l.key.clone(), v)),
                    }
                }
                if mult > 1 {
                    r.push(("series.shard".into(), Sampled::Int(shard as i64)));
                }
                rows.push(r.into_iter().map(|(_, v)| v).take(keys.len()).collect());
                if rows.len() >= MAX_SERIES {
                    break;
                }
            }
        }
        // Family series share equally.
        let id = add_set(b, &keys, &rows, Vec::new());
        sets.push((level, id));
    };
    let specs: &[Spec] = if f.kind == "host" { HOST } else { KUBERNETES };
    if f.kind == "host" {
        let hosts = setting(f, "hosts").max(1);
        let rows = (0..hosts)
            .map(|i| {
                vec![
                    text(format!("host-{i:04}")),
                    text("linux".into()),
                    text(REGIONS[i % REGIONS.len()].into()),
                    text(format!(
                        "{}{}",
                        REGIONS[i % REGIONS.len()],
                        ["a", "b", "c"][(i / REGIONS.len()) % 3]
                    )),
                ]
            })
            .collect();
        build(
            b,
            &mut rng,
            Level::Host,
            &["host.name", "os.type", "cloud.region", "availability_zone"],
            rows,
        );
    } else {
        let clusters = setting(f, "clusters").max(1);
        let namespaces = setting(f, "namespaces").max(1);
        let nodes = setting(f, "nodes").max(1);
        let pods = setting(f, "pods").max(1);
        let containers = setting(f, "containers").max(1);
        let cluster = |i: usize| format!("cluster-{}", i % clusters);
        let node = |i: usize| format!("node-{}-{:03}", i % clusters, i / clusters);
        let node_rows = (0..nodes)
            .map(|i| vec![text(cluster(i)), text(node(i))])
            .collect();
        build(
            b,
            &mut rng,
            Level::Node,
            &["k8s.cluster.name", "k8s.node.name"],
            node_rows,
        );
        let mut pod_names = Vec::with_capacity(pods);
        for i in 0..pods {
            let app = APPS[i % APPS.len()];
            let hash: u32 = rng.random_range(0..0xFF_FFFF);
            let suffix: u32 = rng.random_range(0..0xF_FFFF);
            let ns = NAMESPACES[(i / APPS.len()) % namespaces.min(NAMESPACES.len())];
            pod_names.push((
                cluster(i),
                ns,
                node(i % nodes),
                format!("{app}-{hash:06x}-{suffix:05x}"),
                app,
            ));
        }
        let pod_rows = pod_names
            .iter()
            .map(|p| {
                vec![
                    text(p.0.clone()),
                    text(p.1.into()),
                    text(p.2.clone()),
                    text(p.3.clone()),
                ]
            })
            .collect();
        build(
            b,
            &mut rng,
            Level::Pod,
            &[
                "k8s.cluster.name",
                "k8s.namespace.name",
                "k8s.node.name",
                "k8s.pod.name",
            ],
            pod_rows,
        );
        let container_rows = pod_names
            .iter()
            .flat_map(|p| {
                (0..containers).map(move |c| {
                    let name = if c == 0 {
                        p.4.to_string()
                    } else {
                        format!("sidecar-{c}")
                    };
                    vec![
                        Sampled::Str(p.0.clone()),
                        Sampled::Str(p.1.into()),
                        Sampled::Str(p.2.clone()),
                        Sampled::Str(p.3.clone()),
                        Sampled::Str(name),
                    ]
                })
            })
            .collect();
        build(
            b,
            &mut rng,
            Level::Container,
            &[
                "k8s.cluster.name",
                "k8s.namespace.name",
                "k8s.node.name",
                "k8s.pod.name",
                "container.name",
            ],
            container_rows,
        );
    }
    let set_of = |level: Level| {
        sets.iter()
            .find(|s| s.0 == level)
            .or(sets.first())
            .map_or(0, |s| s.1)
    };
    let empty = b.str("");
    for (name, kind, unit, p, within, level) in specs {
        let def = MetricDef {
            name: b.str(name),
            kind: *kind,
            unit: b.str(unit),
            description: empty,
            series_set: set_of(*level),
            source: MetricSource::Process(p()),
            within: *within,
            buckets: Vec::new(),
            rate: 0.0,
        };
        b.pack.metrics.push(def);
    }
    let prefix = if f.kind == "host" {
        "system.synthetic"
    } else {
        "k8s.synthetic"
    };
    let level = if f.kind == "host" {
        Level::Host
    } else {
        Level::Pod
    };
    for i in 0..setting(f, "extra_metrics") {
        let (kind, p) = if i % 2 == 0 {
            (MetricKind::Gauge, percent_level())
        } else {
            (MetricKind::Counter, ops())
        };
        let def = MetricDef {
            name: b.str(&format!("{prefix}.metric_{i:04}")),
            kind,
            unit: b.str("1"),
            description: empty,
            series_set: set_of(level),
            source: MetricSource::Process(p),
            within: None,
            buckets: Vec::new(),
            rate: 0.0,
        };
        b.pack.metrics.push(def);
    }
}

/// Lowers declared metrics, then families.
pub fn lower(b: &mut Builder, model: &Model) {
    for m in &model.metrics {
        declared(b, model, m);
    }
    for f in &model.families {
        family(b, model, f);
    }
}
