//! The host and Kubernetes families: one series set per level (hosts;
//! nodes, pods and containers with their clusters and namespaces), the
//! family's labels and shards added to each row, then the metrics of
//! `specs` and the extra synthetic ones, each on its level's set.

use rand::RngExt;
use rand_pcg::Pcg64;
use tsim_pack::{MetricDef, MetricKind, MetricSource};

use super::specs::{ops, percent_level, Level, Spec, HOST, KUBERNETES};
use super::{add_set, family_count, too_many_series, MAX_SERIES};
use crate::lower::sample::{self, Sampled};
use crate::lower::{Builder, LowerError};
use crate::model::{Family, Model};

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

pub(super) fn family(b: &mut Builder, model: &Model, f: &Family) -> Result<(), LowerError> {
    let count = family_count(f);
    if count.widest > MAX_SERIES as f64 {
        let what = format!("the {} level of family `{}`", count.level, f.kind);
        return Err(too_many_series(&what, count.widest));
    }
    let mut rng = sample::rng(model.settings.seed, &["family", &f.kind]);
    let mult = setting(f, "series_multiplier").max(1);
    let text = |s: String| Sampled::Str(s);
    let extra_keys: Vec<String> = f.labels.iter().map(|l| l.key.clone()).collect();
    let mut sets: Vec<(Level, u32)> = Vec::new();
    let mut build = |b: &mut Builder,
                     rng: &mut Pcg64,
                     level: Level,
                     base_keys: &[&str],
                     base: Vec<Vec<Sampled>>|
     -> Result<(), LowerError> {
        let mut keys: Vec<String> = base_keys.iter().map(|k| k.to_string()).collect();
        for k in &extra_keys {
            if !keys.contains(k) {
                keys.push(k.clone());
            }
        }
        if mult > 1 {
            keys.push("series.shard".into());
        }
        let total = base.len().saturating_mul(mult);
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
                if rows.len() >= MAX_SERIES {
                    let what = format!("a level of family `{}`", f.kind);
                    return Err(too_many_series(&what, total as f64));
                }
                rows.push(r.into_iter().map(|(_, v)| v).collect());
            }
        }
        // Family series share equally.
        let id = add_set(b, &keys, &rows, Vec::new());
        sets.push((level, id));
        Ok(())
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
        )?;
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
        )?;
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
        )?;
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
        )?;
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
        "tsim.synthetic.system"
    } else {
        "tsim.synthetic.k8s"
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
    Ok(())
}
