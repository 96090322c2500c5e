//! Metric points as OTLP/JSON: one `Metric` per (metric, point kind) in a
//! resource's scope, holding its data points: gauges, cumulative sums and
//! cumulative explicit-bucket histograms. A series' labels are its data
//! points' attributes, except `service.name`, which is the resource's. A
//! derived histogram's points carry the exemplars observed in their
//! interval (one per bucket at most).

use std::collections::HashMap;

use super::json::{self, KeyValues, ATTRIBUTES};
use crate::sink::{fmt, Exemplar, MetricRecord, Point};

/// The request field names of metrics.
pub const NAMES: super::batch::Names = super::batch::Names {
    resources: "resourceMetrics",
    scopes: "scopeMetrics",
    records: "metrics",
};

/// `AGGREGATION_TEMPORALITY_CUMULATIVE`.
const CUMULATIVE: u8 = 2;

/// One resource's metrics in a request, in the order they first appeared.
#[derive(Default)]
pub struct Metrics {
    entries: Vec<Entry>,
    /// The entry of each (metric, point kind).
    index: HashMap<(u32, u8), usize>,
}

struct Entry {
    /// The metric's fields up to the opening of its `dataPoints`.
    head: String,
    /// Its encoded data points, comma-separated.
    points: String,
}

impl Metrics {
    /// Appends the data point of `m` to its metric.
    pub fn add(&mut self, m: &MetricRecord<'_>) {
        let key = (m.metric, m.point.otlp_kind());
        let i = match self.index.get(&key) {
            Some(&i) => i,
            None => {
                self.entries.push(Entry {
                    head: head(m),
                    points: String::with_capacity(256),
                });
                self.index.insert(key, self.entries.len() - 1);
                self.entries.len() - 1
            }
        };
        let points = &mut self.entries[i].points;
        super::batch::push_item(points, |out| point(out, m));
    }

    /// Appends the `Metric` objects, comma-separated.
    pub fn render(&self, out: &mut String) {
        for (i, e) in self.entries.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(&e.head);
            out.push_str(&e.points);
            out.push_str("]}}");
        }
    }
}

/// `{"name":...,"description":...,"unit":...,"<kind>":{...,"dataPoints":[`.
fn head(m: &MetricRecord<'_>) -> String {
    let mut out = String::with_capacity(128);
    out.push_str("{\"name\":");
    fmt::string(&mut out, m.name);
    if !m.description.is_empty() {
        out.push_str(",\"description\":");
        fmt::string(&mut out, m.description);
    }
    if !m.unit.is_empty() {
        out.push_str(",\"unit\":");
        fmt::string(&mut out, m.unit);
    }
    match m.point {
        Point::Gauge(_) => out.push_str(",\"gauge\":{\"dataPoints\":["),
        Point::Sum { monotonic, .. } => {
            out.push_str(",\"sum\":{\"aggregationTemporality\":");
            out.push(char::from(b'0' + CUMULATIVE));
            out.push_str(if monotonic {
                ",\"isMonotonic\":true,\"dataPoints\":["
            } else {
                ",\"isMonotonic\":false,\"dataPoints\":["
            });
        }
        Point::Histogram(_) => {
            out.push_str(",\"histogram\":{\"aggregationTemporality\":");
            out.push(char::from(b'0' + CUMULATIVE));
            out.push_str(",\"dataPoints\":[");
        }
    }
    out
}

/// Appends one data point (a `NumberDataPoint` or a `HistogramDataPoint`).
fn point(out: &mut String, m: &MetricRecord<'_>) {
    out.push('{');
    if !matches!(m.point, Point::Gauge(_)) {
        out.push_str("\"startTimeUnixNano\":");
        json::nanos(out, m.start_ns);
        out.push(',');
    }
    out.push_str("\"timeUnixNano\":");
    json::nanos(out, m.time_ns);
    match m.point {
        Point::Gauge(v) | Point::Sum { value: v, .. } => {
            out.push_str(",\"asDouble\":");
            json::double(out, v);
        }
        Point::Histogram(h) => {
            out.push_str(",\"count\":");
            json::uint(out, h.count);
            out.push_str(",\"sum\":");
            json::double(out, h.sum);
            out.push_str(",\"bucketCounts\":[");
            for (i, c) in h.counts.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                json::uint(out, *c);
            }
            out.push_str("],\"explicitBounds\":[");
            for (i, b) in h.bounds.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                json::double(out, *b);
            }
            out.push(']');
            if !h.min.is_nan() {
                out.push_str(",\"min\":");
                json::double(out, h.min);
            }
            if !h.max.is_nan() {
                out.push_str(",\"max\":");
                json::double(out, h.max);
            }
            exemplars(out, h.exemplars);
        }
    }
    let mut kv = KeyValues::new(out, ATTRIBUTES);
    for l in m.labels.iter().filter(|l| l.key != "service.name") {
        kv.value(l.key, l.value);
    }
    kv.close();
    out.push('}');
}

/// Appends `,"exemplars":[...]` when there are any: time, `asDouble`, span
/// and trace ids (no filtered attributes).
fn exemplars(out: &mut String, es: &[Option<Exemplar>]) {
    let mut first = true;
    for e in es.iter().flatten() {
        out.push_str(if first { ",\"exemplars\":[" } else { "," });
        first = false;
        out.push_str("{\"timeUnixNano\":");
        json::nanos(out, e.time_ns);
        out.push_str(",\"asDouble\":");
        json::double(out, e.value);
        out.push_str(",\"spanId\":");
        json::id(out, &e.span_id);
        out.push_str(",\"traceId\":");
        json::id(out, &e.trace_id);
        out.push('}');
    }
    if !first {
        out.push(']');
    }
}
