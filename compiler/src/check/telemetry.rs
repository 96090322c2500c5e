//! Checking metrics and metric families: each metric has exactly one
//! source (spans or a process), histogram buckets increase, families name
//! known settings. Logs are checked in `logs`.

use super::Checker;
use crate::ast::{self, AttrKind, Unit, ValueKind};
use crate::diagnostic::{Diagnostic, Kind};
use crate::model::{Family, Metric, MetricSource};
use crate::suggest;

/// A family: its name, its settings with defaults, and the metrics it emits.
type FamilySpec = (
    &'static str,
    &'static [(&'static str, f64)],
    &'static [&'static str],
);

/// The families.
const FAMILIES: &[FamilySpec] = &[
    (
        "host",
        &[
            ("hosts", 10.0),
            ("extra_metrics", 0.0),
            ("series_multiplier", 1.0),
        ],
        &[
            "system.cpu.utilization",
            "system.cpu.time",
            "system.memory.usage",
            "system.memory.utilization",
            "system.disk.io",
            "system.disk.operations",
            "system.filesystem.usage",
            "system.network.io",
            "system.network.errors",
            "system.cpu.load_average.1m",
        ],
    ),
    (
        "kubernetes",
        &[
            ("clusters", 1.0),
            ("namespaces", 3.0),
            ("nodes", 3.0),
            ("pods", 30.0),
            ("containers", 1.0),
            ("extra_metrics", 0.0),
            ("series_multiplier", 1.0),
        ],
        &[
            "k8s.node.cpu.usage",
            "k8s.node.memory.usage",
            "k8s.node.network.io",
            "k8s.pod.cpu.usage",
            "k8s.pod.memory.usage",
            "k8s.pod.network.io",
            "k8s.container.cpu.limit",
            "k8s.container.memory.limit",
            "k8s.container.restarts",
            "k8s.deployment.available",
        ],
    ),
];

/// The metric names a family emits (empty for an unknown family).
pub fn family_metric_names(kind: &str) -> &'static [&'static str] {
    FAMILIES.iter().find(|f| f.0 == kind).map_or(&[], |f| f.2)
}

/// Prometheus' default buckets, in seconds.
const DEFAULT_SECONDS_BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];
/// The semantic conventions' advisory buckets for request durations
/// (HTTP server and client, RPC), in seconds.
const REQUEST_DURATION_BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0,
];
/// The semantic conventions' advisory buckets for database operation
/// durations, in seconds.
const DB_DURATION_BUCKETS: &[f64] = &[0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 10.0];

/// The buckets of a histogram that declares none: the conventions'
/// advisory ones for their duration metrics, Prometheus' defaults for
/// other seconds, else OpenTelemetry's defaults.
fn default_buckets(name: &str, unit: &str) -> &'static [f64] {
    match name {
        "http.server.request.duration"
        | "http.client.request.duration"
        | "rpc.server.call.duration"
        | "rpc.client.call.duration" => REQUEST_DURATION_BUCKETS,
        "db.client.operation.duration" => DB_DURATION_BUCKETS,
        _ if unit == "s" => DEFAULT_SECONDS_BUCKETS,
        _ => DEFAULT_BUCKETS,
    }
}

/// OpenTelemetry's default explicit buckets.
const DEFAULT_BUCKETS: &[f64] = &[
    0.0, 5.0, 10.0, 25.0, 50.0, 75.0, 100.0, 250.0, 500.0, 750.0, 1000.0, 2500.0, 5000.0, 7500.0,
    10000.0,
];

impl Checker<'_> {
    pub(super) fn metric(&mut self, m: &ast::Metric) -> Option<Metric> {
        let props = self.props(&m.props);
        let per = match &m.per {
            None => "scenario".to_string(),
            Some(p) => {
                const SCOPES: &[&str] = &["scenario", "service", "instance", "endpoint"];
                if !SCOPES.contains(&p.node.as_str()) {
                    let suggestion = suggest::closest(&p.node, SCOPES.iter().copied());
                    self.v.error(
                        Kind::UnknownScope {
                            name: p.node.clone(),
                            suggestion,
                        },
                        p.span,
                    );
                }
                p.node.clone()
            }
        };
        let unit = Self::value(&props, "unit")
            .and_then(|v| self.v.string(v))
            .unwrap_or_default();
        let description = Self::value(&props, "description")
            .and_then(|v| self.v.string(v))
            .unwrap_or_default();
        let walk = props.get("walk");
        let source = match (&m.from_spans, walk) {
            (Some(f), Some(w)) => {
                let kind = Kind::ConflictingStatements {
                    first: "from spans".into(),
                    second: "walk".into(),
                };
                self.v.diags.push(
                    Diagnostic::error(kind, w.span)
                        .with_label(f.span, "values already come from spans"),
                );
                None
            }
            (Some(f), None) => {
                if let Some(of) = &f.of {
                    let n = &self.names;
                    let known = n.services.contains_key(&of.node)
                        || n.databases.contains_key(&of.node)
                        || n.queues.contains_key(&of.node);
                    if !known {
                        let all = n
                            .services
                            .keys()
                            .chain(n.databases.keys())
                            .chain(n.queues.keys());
                        let suggestion = suggest::closest(&of.node, all.map(String::as_str));
                        let expected = "a service, a database or a queue".to_string();
                        let kind = Kind::UnknownTarget {
                            name: of.node.clone(),
                            expected,
                            suggestion,
                        };
                        self.v.error(kind, of.span);
                    }
                }
                Some(MetricSource::Spans(f.of.as_ref().map(|o| o.node.clone())))
            }
            (None, Some(w)) => {
                let process = w.value.as_ref().and_then(|v| self.v.process(v));
                let within_prop = w
                    .options
                    .iter()
                    .find(|o| o.key.node == "within")
                    .or(props.get("within").copied());
                let within = within_prop
                    .and_then(|p| p.value.as_ref())
                    .and_then(|v| self.v.bounds(v));
                process.map(|process| MetricSource::Process { process, within })
            }
            (None, None) => {
                let kind = Kind::MissingStatement {
                    what: format!("metric `{}`", m.name.node),
                    statement: "walk` or `from spans".into(),
                    example: "walk brownian(start: 0.5, drift: 0, volatility: 0.01)".into(),
                };
                self.v.error(kind, m.name.span);
                None
            }
        };
        let labels = self.all_attrs(&m.labels, AttrKind::Labels);
        let series = Self::value(&props, "series")
            .and_then(|v| self.v.count(v, "the series count", 1))
            .map(|n| n.min(u32::MAX as u64) as u32);
        let rate = Self::value(&props, "rate").and_then(|v| self.v.rate(v, "the observation rate"));
        let mut buckets = Vec::new();
        if let Some(p) = props.get("buckets") {
            if m.kind.node != "histogram" {
                let kind = Kind::ConflictingStatements {
                    first: m.kind.node.clone(),
                    second: "buckets".into(),
                };
                self.v.diags.push(
                    Diagnostic::error(kind, p.span).with_label(m.kind.span, "not a histogram"),
                );
            }
            buckets = p
                .value
                .as_ref()
                .and_then(|v| self.buckets(v))
                .unwrap_or_default();
        } else if m.kind.node == "histogram" {
            buckets = default_buckets(&m.name.node, &unit).to_vec();
        }
        Some(Metric {
            name: m.name.node.clone(),
            kind: m.kind.node.clone(),
            per,
            unit,
            description,
            source: source?,
            labels,
            series,
            buckets,
            rate,
        })
    }

    fn buckets(&mut self, v: &ast::Value) -> Option<Vec<f64>> {
        let v = self.v.deref(v)?;
        let ValueKind::List(items) = &v.node else {
            let found = self.v.describe(&v);
            let hint = Some("try `buckets [0.1, 0.5, 1]`".into());
            self.v.error(
                Kind::UnitMismatch {
                    expected: "a list of bucket bounds".into(),
                    found,
                    hint,
                },
                v.span,
            );
            return None;
        };
        let mut out: Vec<f64> = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let b = self
                .v
                .quantity(item, &[Unit::Number, Unit::Duration, Unit::Size])?
                .value;
            if let Some(&prev) = out.last() {
                if b <= prev {
                    let (previous, next) = (self.v.text(items[i - 1].span), self.v.text(item.span));
                    self.v
                        .error(Kind::UnsortedBuckets { previous, next }, item.span);
                    return None;
                }
            }
            out.push(b);
        }
        Some(out)
    }

    pub(super) fn family(&mut self, f: &ast::Family) -> Option<Family> {
        let Some((_, defaults, _)) = FAMILIES.iter().find(|x| x.0 == f.kind.node) else {
            let suggestion = suggest::closest(&f.kind.node, FAMILIES.iter().map(|x| x.0));
            self.v.error(
                Kind::UnknownFamily {
                    name: f.kind.node.clone(),
                    suggestion,
                },
                f.kind.span,
            );
            return None;
        };
        let mut settings: Vec<(String, f64)> =
            defaults.iter().map(|(k, v)| (k.to_string(), *v)).collect();
        let props = self.props(&f.settings);
        for (key, p) in props {
            let Some(slot) = settings.iter_mut().find(|(k, _)| k == key) else {
                let names: Vec<&str> = defaults.iter().map(|d| d.0).collect();
                let suggestion = suggest::closest(key, names.iter().copied());
                let kind = Kind::UnknownSetting {
                    family: f.kind.node.clone(),
                    name: key.into(),
                    expected: names.join(", "),
                    suggestion,
                };
                self.v.error(kind, p.key.span);
                continue;
            };
            let min = if key == "extra_metrics" { 0 } else { 1 };
            if let Some(n) = p
                .value
                .as_ref()
                .and_then(|v| self.v.count(v, &format!("`{key}`"), min))
            {
                slot.1 = n as f64;
            }
        }
        let labels = self.all_attrs(&f.labels, AttrKind::Labels);
        Some(Family {
            kind: f.kind.node.clone(),
            settings,
            labels,
        })
    }
}
