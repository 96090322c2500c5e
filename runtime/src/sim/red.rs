//! RED metrics derived from the spans actually emitted, so metrics and
//! traces agree. Each `from spans` metric counts the spans it covers per
//! series row (service, endpoint or instance) and tick:
//!
//! - counters: cumulative requests, or failed requests when the metric's
//!   name mentions errors or failures;
//! - gauges: the error percentage (names with "error") or requests per
//!   second;
//! - histograms: cumulative `_bucket{le=..}`, `_count` and `_sum` of
//!   durations in the metric's unit (`ms` or seconds).

use std::collections::HashMap;

use tsim_pack::{AttrValue, MetricKind, MetricSource, Pack, ResourceKind, SpanKind, NONE};

use super::series::{histogram, row_labels, Emit, Series};

/// Accumulators of one row.
#[derive(Clone, Default)]
struct Row {
    count: u64,
    errors: u64,
    total_count: u64,
    total_errors: u64,
    sum: f64,
    buckets: Vec<u64>,
}

/// One derived metric.
pub struct Derived {
    metric: usize,
    of: u32,
    of_backend: bool,
    rows: Vec<Row>,
    index: HashMap<(String, String, String), usize>,
    keys: (Option<usize>, Option<usize>, Option<usize>),
    /// Display names and services per row.
    pub series: Vec<Series>,
    errors_only: bool,
    millis: bool,
}

/// All derived metrics of a pack.
pub struct Red {
    /// The metrics.
    pub metrics: Vec<Derived>,
}

fn text(pack: &Pack, v: &AttrValue) -> String {
    match v {
        AttrValue::Str(s) => pack.strings.get(*s as usize).cloned().unwrap_or_default(),
        AttrValue::Int(i) => i.to_string(),
        AttrValue::Float(f) => f.to_string(),
        AttrValue::Bool(b) => b.to_string(),
    }
}

impl Red {
    /// Sets up every `from spans` metric.
    pub fn new(pack: &Pack, scenario: &str) -> Red {
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
            let keys = (
                key_of("service.name"),
                key_of("endpoint"),
                key_of("service.instance.id"),
            );
            let mut index = HashMap::new();
            for (r, row) in set.rows.iter().enumerate() {
                let get = |k: Option<usize>| {
                    k.and_then(|i| row.get(i))
                        .map(|v| text(pack, v))
                        .unwrap_or_default()
                };
                index
                    .entry((get(keys.0), get(keys.1), get(keys.2)))
                    .or_insert(r);
            }
            let name = pack.strings.get(m.name as usize).map_or("", String::as_str);
            let lower = name.to_ascii_lowercase();
            let unit = pack.strings.get(m.unit as usize).map_or("", String::as_str);
            let buckets = m.buckets.len() + 1;
            metrics.push(Derived {
                metric: mi,
                of,
                of_backend: of != NONE
                    && pack
                        .resources
                        .get(of as usize)
                        .is_some_and(|r| r.kind != ResourceKind::Service),
                rows: vec![
                    Row {
                        buckets: vec![0; buckets],
                        ..Row::default()
                    };
                    set.rows.len()
                ],
                index,
                keys,
                series: row_labels(pack, m, set, scenario),
                errors_only: lower.contains("error") || lower.contains("fail"),
                millis: unit == "ms",
            });
        }
        Red { metrics }
    }

    /// Counts one emitted span.
    #[allow(clippy::too_many_arguments)]
    pub fn observe(
        &mut self,
        pack: &Pack,
        kind: SpanKind,
        resource: u32,
        peer: u32,
        name: &str,
        duration_ns: u64,
        error: bool,
        span_id: &[u8; 8],
    ) {
        let server = matches!(kind, SpanKind::Server | SpanKind::Consumer);
        for d in &mut self.metrics {
            let (applies, owner) = if d.of_backend {
                (!server && peer == d.of, peer)
            } else {
                (server && (d.of == NONE || d.of == resource), resource)
            };
            if !applies {
                continue;
            }
            let Some(res) = pack.resources.get(owner as usize) else {
                continue;
            };
            let service = pack
                .strings
                .get(res.name as usize)
                .map_or("", String::as_str);
            let instance = if d.keys.2.is_some() {
                let k = u64::from_le_bytes(*span_id) % u64::from(res.instances.max(1));
                format!("{service}-{k}")
            } else {
                String::new()
            };
            let key = (
                if d.keys.0.is_some() {
                    service.to_string()
                } else {
                    String::new()
                },
                if d.keys.1.is_some() {
                    name.to_string()
                } else {
                    String::new()
                },
                instance,
            );
            let Some(&r) = d.index.get(&key) else {
                continue;
            };
            let row = &mut d.rows[r];
            row.count += 1;
            row.errors += u64::from(error);
            let v = duration_ns as f64 / if d.millis { 1e6 } else { 1e9 };
            row.sum += v;
            let bounds = &pack.metrics[d.metric].buckets;
            let b = bounds.iter().position(|&x| v <= x).unwrap_or(bounds.len());
            if let Some(c) = row.buckets.get_mut(b) {
                *c += 1;
            }
        }
    }

    /// Emits this tick's points through `emit(metric, series, name_suffix, le, value)` and resets per-tick counts.
    pub fn flush(&mut self, pack: &Pack, dt: f64, emit: &mut Emit<'_>) {
        for d in &mut self.metrics {
            let m = &pack.metrics[d.metric];
            for (row, series) in d.rows.iter_mut().zip(&d.series) {
                row.total_count += row.count;
                row.total_errors += row.errors;
                match m.kind {
                    MetricKind::Counter => {
                        let v = if d.errors_only {
                            row.total_errors
                        } else {
                            row.total_count
                        };
                        emit(d.metric, series, "", None, v as f64);
                    }
                    MetricKind::Gauge | MetricKind::UpDown => {
                        let v = if d.errors_only {
                            if row.count == 0 {
                                0.0
                            } else {
                                row.errors as f64 / row.count as f64 * 100.0
                            }
                        } else {
                            row.count as f64 / dt.max(1e-9)
                        };
                        emit(d.metric, series, "", None, v);
                    }
                    MetricKind::Histogram => {
                        histogram(
                            emit,
                            d.metric,
                            series,
                            &m.buckets,
                            &row.buckets,
                            row.total_count,
                            row.sum,
                        );
                    }
                }
                row.count = 0;
                row.errors = 0;
            }
        }
    }
}
