//! RED metrics derived from the spans actually emitted, so metrics and
//! traces agree. Each `from spans` metric counts the spans it covers per
//! series row (service, endpoint or instance) and tick:
//!
//! - counters: cumulative requests, or failed requests when the metric's
//!   name mentions errors or failures, per row and `status`;
//! - gauges: the error percentage (names with "error") or requests per
//!   second, per row;
//! - histograms: cumulative `_bucket{le=..}`, `_count` and `_sum` of
//!   durations in the metric's unit (`ms` or seconds), per row and `status`.
//!
//! `status` is the HTTP status code when the span has one, else `OK` or
//! `ERROR`. A metric with a semantic-conventions name follows the
//! conventions instead ([`convention`]). Rows are found through indices
//! built once, so counting a span allocates nothing but a new series.

mod convention;

use std::collections::{BTreeMap, HashMap};

use crate::fasthash::FastMap;

/// (resource, endpoint name, instance): which row a span counts into.
type RowKey = (u32, u32, u32);

use tsim_pack::{AttrValue, MetricKind, MetricSource, Pack, ResourceKind, SpanKind, NONE};

use super::fleet::Renewed;
use super::series::{row_labels, Emit, Series};
use crate::draw::grpc::GrpcCode;
use crate::draw::request::ErrorType;
use crate::plan::Site;
use crate::sink::{Exemplar, HistogramPoint, Label, Point, Value};
use convention::Flavor;

/// A span as a derived metric sees it.
pub struct Observed<'s> {
    /// Its site, and the site's index in the plan.
    pub site: (&'s Site, u32),
    /// Emitting instance.
    pub instance: u32,
    /// Duration.
    pub duration_ns: u64,
    /// Whether it failed.
    pub failed: bool,
    /// Its HTTP status code.
    pub code: Option<u16>,
    /// Its error type, when it failed.
    pub error_type: Option<ErrorType>,
    /// Its gRPC status code, when it is a gRPC span.
    pub rpc: Option<GrpcCode>,
    /// Its trace and span ids.
    pub ids: ([u8; 16], [u8; 8]),
    /// When it ended, Unix nanoseconds.
    pub end_ns: i64,
}

/// Accumulators of one series.
#[derive(Clone, Default)]
struct Row {
    count: u64,
    errors: u64,
    total_count: u64,
    total_errors: u64,
    sum: f64,
    min: f64,
    max: f64,
    buckets: Vec<u64>,
    /// Per bucket, the latest span that fell in it this tick (histograms by
    /// status), cleared when the tick's point is emitted.
    exemplars: Vec<Option<Exemplar>>,
}

/// The `status` key of an observed span.
fn red_status(o: &Observed<'_>) -> u32 {
    status_key(o.code.map(i64::from), o.failed)
}

/// A status code as a sortable key: HTTP codes as they are, `OK` 1, `ERROR` 2.
pub fn status_key(code: Option<i64>, error: bool) -> u32 {
    match code {
        Some(c) if (100..600).contains(&c) => c as u32,
        _ => 1 + u32::from(error),
    }
}

fn status_value(key: u32) -> Value<'static> {
    match key {
        1 => Value::Str("OK"),
        2 => Value::Str("ERROR"),
        c => Value::Int(i64::from(c)),
    }
}

/// One derived metric.
struct Derived<'p> {
    metric: usize,
    of: u32,
    of_backend: bool,
    /// (resource, endpoint name, instance) -> row; NONE where the set has no such key.
    index: FastMap<RowKey, usize>,
    keys: (bool, bool, bool),
    series: Vec<Series<'p>>,
    /// Per-row accumulators (gauges).
    rows: Vec<Row>,
    /// Per (row, site, status, error type) accumulators and their series
    /// (counters, histograms); site and error type only for a metric that
    /// follows the conventions.
    by_status: BTreeMap<(usize, u32, u32, u32), (Series<'p>, Row)>,
    errors_only: bool,
    millis: bool,
    flavor: Flavor,
    /// Error types seen, by text (their key in `by_status`).
    error_types: FastMap<&'p str, u32>,
    /// Per span site, whether this metric's convention counts it (decided
    /// on the site's first span, not on every one).
    counted_sites: FastMap<u32, bool>,
}

/// All derived metrics of a pack.
pub struct Red<'p> {
    metrics: Vec<Derived<'p>>,
}

fn text(pack: &Pack, v: &AttrValue) -> String {
    match v {
        AttrValue::Str(s) => pack.strings.get(*s as usize).cloned().unwrap_or_default(),
        AttrValue::Int(i) => i.to_string(),
        AttrValue::Float(f) => f.to_string(),
        AttrValue::Bool(b) => b.to_string(),
    }
}

impl<'p> Red<'p> {
    /// Sets up every `from spans` metric.
    pub fn new(pack: &'p Pack, scenario: &'p str, shard: super::Shard) -> Red<'p> {
        let string_id: HashMap<&str, u32> = pack
            .strings
            .iter()
            .enumerate()
            .map(|(i, s)| (s.as_str(), i as u32))
            .collect();
        let resource_id: HashMap<String, u32> = pack
            .resources
            .iter()
            .enumerate()
            .map(|(i, r)| {
                (
                    pack.strings
                        .get(r.name as usize)
                        .cloned()
                        .unwrap_or_default(),
                    i as u32,
                )
            })
            .collect();
        let instances = tsim_pack::InstanceIndex::new(pack);
        let mut metrics = Vec::new();
        for (mi, m) in pack.metrics.iter().enumerate() {
            let MetricSource::Spans { of } = m.source else {
                continue;
            };
            let Some(set) = pack.series_sets.get(m.series_set as usize) else {
                continue;
            };
            let key_of = |name: &str| {
                set.keys
                    .iter()
                    .position(|k| pack.strings.get(*k as usize).is_some_and(|s| s == name))
            };
            let (ks, ke, ki) = (
                key_of("service.name"),
                key_of("endpoint"),
                key_of("service.instance.id"),
            );
            let mut index = HashMap::default();
            for (r, row) in set.rows.iter().enumerate() {
                let get = |k: Option<usize>| k.and_then(|i| row.get(i)).map(|v| text(pack, v));
                let service = get(ks);
                let resource = service
                    .as_ref()
                    .and_then(|s| resource_id.get(s).copied())
                    .unwrap_or(NONE);
                let endpoint = get(ke)
                    .and_then(|e| string_id.get(e.as_str()).copied())
                    .unwrap_or(NONE);
                let instance = get(ki)
                    .and_then(|id| instances.get(&id))
                    .filter(|&(r, _)| r == resource)
                    .map_or(NONE, |(_, k)| k);
                index.entry((resource, endpoint, instance)).or_insert(r);
            }
            let name = pack
                .strings
                .get(m.name as usize)
                .map_or("", String::as_str)
                .to_ascii_lowercase();
            let unit = pack.strings.get(m.unit as usize).map_or("", String::as_str);
            let buckets = m.buckets.len() + 1;
            let flavor = Flavor::of(pack.strings.get(m.name as usize).map_or("", String::as_str));
            let mut series = row_labels(pack, m, set, (scenario, &instances), shard);
            if flavor != Flavor::Plain {
                // The conventions' method and route replace `endpoint`.
                for s in &mut series {
                    s.labels.retain(|l| l.key != "endpoint");
                }
            }
            metrics.push(Derived {
                metric: mi,
                of,
                of_backend: of != NONE
                    && pack
                        .resources
                        .get(of as usize)
                        .is_some_and(|r| r.kind != ResourceKind::Service),
                index,
                keys: (ks.is_some(), ke.is_some(), ki.is_some()),
                rows: vec![
                    Row {
                        buckets: vec![0; buckets],
                        min: f64::NAN,
                        max: f64::NAN,
                        ..Row::default()
                    };
                    set.rows.len()
                ],
                series,
                by_status: BTreeMap::new(),
                errors_only: name.contains("error") || name.contains("fail"),
                millis: unit == "ms",
                flavor,
                error_types: FastMap::default(),
                counted_sites: FastMap::default(),
            });
        }
        Red { metrics }
    }

    /// Counts one emitted span.
    pub fn observe(&mut self, pack: &'p Pack, o: &Observed<'_>) {
        let (site, site_id) = o.site;
        let server = matches!(site.kind, SpanKind::Server | SpanKind::Consumer);
        let error = red_status(o);
        for d in &mut self.metrics {
            let (applies, owner) = if d.flavor != Flavor::Plain {
                let owner = if site.kind == SpanKind::Client && d.of_backend {
                    site.peer
                } else {
                    site.resource
                };
                let of = d.of == NONE || d.of == owner;
                let flavor = d.flavor;
                let counts = *d
                    .counted_sites
                    .entry(site_id)
                    .or_insert_with(|| flavor.counts(pack, site));
                (of && counts, owner)
            } else if d.of_backend {
                (!server && site.peer == d.of, site.peer)
            } else {
                (
                    server && (d.of == NONE || d.of == site.resource),
                    site.resource,
                )
            };
            if !applies {
                continue;
            }
            let instance = if d.keys.2 { o.instance } else { NONE };
            let key = (
                if d.keys.0 { owner } else { NONE },
                if d.keys.1 { site.name } else { NONE },
                instance,
            );
            let Some(&r) = d.index.get(&key) else {
                continue;
            };
            let v = o.duration_ns as f64 / if d.millis { 1e6 } else { 1e9 };
            let bounds = &pack.metrics[d.metric].buckets;
            let b = bounds.iter().position(|&x| v <= x).unwrap_or(bounds.len());
            let count_into = |row: &mut Row| {
                row.count += 1;
                row.errors += u64::from(o.failed);
                row.sum += v;
                row.min = if row.min.is_nan() { v } else { row.min.min(v) };
                row.max = if row.max.is_nan() { v } else { row.max.max(v) };
                if let Some(c) = row.buckets.get_mut(b) {
                    *c += 1;
                }
            };
            if matches!(
                pack.metrics[d.metric].kind,
                MetricKind::Gauge | MetricKind::UpDown
            ) {
                count_into(&mut d.rows[r]);
                continue;
            }
            let slot = match d.flavor {
                Flavor::Plain => (r, NONE, error, 0),
                flavor => {
                    let failed = o.error_type.filter(|_| o.failed);
                    let err = failed.map_or(0, |e| {
                        let text = convention::error_text(pack, e);
                        let next = d.error_types.len() as u32 + 1;
                        *d.error_types.entry(text).or_insert(next)
                    });
                    let code = match flavor {
                        Flavor::HttpServer | Flavor::HttpClient => o.code.map_or(0, u32::from),
                        // gRPC codes after the HTTP range, so the keys never meet.
                        Flavor::RpcServer => o.rpc.map_or(0, |c| 1_000 + u32::from(c as u8)),
                        _ => 0,
                    };
                    (r, site_id, code, err)
                }
            };
            let entry = d.by_status.entry(slot).or_insert_with(|| {
                let mut s = d.series[r].clone();
                match d.flavor {
                    Flavor::Plain => s.labels.push(Label {
                        key: "status",
                        value: status_value(error),
                    }),
                    flavor => flavor.labels(
                        pack,
                        site,
                        (o.code, o.rpc),
                        o.error_type.filter(|_| o.failed),
                        &mut s.labels,
                    ),
                }
                let histogram = pack.metrics[d.metric].kind == MetricKind::Histogram;
                let exemplars = if histogram { bounds.len() + 1 } else { 0 };
                (
                    s,
                    Row {
                        buckets: vec![0; bounds.len() + 1],
                        exemplars: vec![None; exemplars],
                        min: f64::NAN,
                        max: f64::NAN,
                        ..Row::default()
                    },
                )
            });
            count_into(&mut entry.1);
            if let Some(e) = entry.1.exemplars.get_mut(b) {
                *e = Some(Exemplar {
                    trace_id: o.ids.0,
                    span_id: o.ids.1,
                    value: v,
                    time_ns: o.end_ns,
                });
            }
        }
    }

    /// Ends the series of renewed instances: their next spans start new
    /// cumulative series (a new process counts from zero).
    pub fn renew(&mut self, renewed: &Renewed) {
        if renewed.is_empty() {
            return;
        }
        for d in &mut self.metrics {
            let series = &d.series;
            let gone = |row: usize| {
                series
                    .get(row)
                    .and_then(|s| s.instance)
                    .is_some_and(|i| renewed.binary_search(&i).is_ok())
            };
            d.by_status.retain(|k, _| !gone(k.0));
        }
    }

    /// Emits this tick's points and resets per-tick counts.
    pub fn flush(&mut self, pack: &Pack, dt: f64, emit: &mut Emit<'_, 'p>) {
        for d in &mut self.metrics {
            let m = &pack.metrics[d.metric];
            match m.kind {
                MetricKind::Gauge | MetricKind::UpDown => {
                    for (row, series) in d.rows.iter_mut().zip(&d.series) {
                        let v = if d.errors_only {
                            if row.count == 0 {
                                0.0
                            } else {
                                row.errors as f64 / row.count as f64 * 100.0
                            }
                        } else {
                            row.count as f64 / dt.max(1e-9)
                        };
                        emit(d.metric, series, Point::Gauge(v));
                        row.count = 0;
                        row.errors = 0;
                    }
                }
                MetricKind::Counter | MetricKind::Histogram => {
                    for (series, row) in d.by_status.values_mut() {
                        row.total_count += row.count;
                        row.total_errors += row.errors;
                        if m.kind == MetricKind::Counter {
                            let v = if d.errors_only {
                                row.total_errors
                            } else {
                                row.total_count
                            };
                            if !d.errors_only || row.total_errors > 0 {
                                let point = Point::Sum {
                                    value: v as f64,
                                    monotonic: true,
                                };
                                emit(d.metric, series, point);
                            }
                        } else {
                            let point = Point::Histogram(HistogramPoint {
                                bounds: &m.buckets,
                                counts: &row.buckets,
                                count: row.total_count,
                                sum: row.sum,
                                min: row.min,
                                max: row.max,
                                exemplars: &row.exemplars,
                            });
                            emit(d.metric, series, point);
                            // Only this interval's exemplars: none goes stale.
                            row.exemplars.fill(None);
                        }
                        row.count = 0;
                        row.errors = 0;
                    }
                }
            }
        }
    }
}
