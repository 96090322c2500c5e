//! Metric points as protobuf (`opentelemetry/proto/metrics/v1/metrics.proto`):
//! one `Metric` per (metric, point kind) in a resource's scope, holding its
//! data points: gauges, cumulative sums and cumulative explicit-bucket
//! histograms. A series' labels are its data points' attributes, except
//! `service.name`, which is the resource's. A derived histogram's points
//! carry the exemplars observed in their interval (one per bucket at most).

use crate::fasthash::FastMap;

use super::batch::{field_head, field_len, push_record, Body};
use super::common::key_value;
use super::wire;
use crate::sink::{Exemplar, MetricRecord, Point};

/// `AGGREGATION_TEMPORALITY_CUMULATIVE`.
const CUMULATIVE: u8 = 2;

/// One resource's metrics in a request, in the order they first appeared.
#[derive(Default)]
pub struct Metrics {
    entries: Vec<Entry>,
    /// Entries in use (the rest are kept for their buffers).
    used: usize,
    /// The entry of each (metric, point kind).
    index: FastMap<(u32, u8), usize>,
}

#[derive(Default)]
struct Entry {
    /// `name`, `description`, `unit`.
    head: Vec<u8>,
    /// The field of its data (gauge 5, sum 7, histogram 9).
    data: u32,
    /// The data's fields after its points (temporality, monotonic).
    tail: Vec<u8>,
    /// Its encoded data points.
    points: Vec<u8>,
}

impl Entry {
    fn data_len(&self) -> usize {
        self.points.len() + self.tail.len()
    }
    fn len(&self) -> usize {
        self.head.len() + field_len(self.data_len())
    }
}

impl Metrics {
    /// Appends the data point of `m` to its metric.
    pub fn add(&mut self, m: &MetricRecord<'_>) {
        let key = (m.metric, m.point.otlp_kind());
        let i = match self.index.get(&key) {
            Some(&i) => i,
            None => {
                if self.used == self.entries.len() {
                    self.entries.push(Entry::default());
                }
                let e = &mut self.entries[self.used];
                head(e, m);
                e.points.clear();
                self.used += 1;
                self.index.insert(key, self.used - 1);
                self.used - 1
            }
        };
        let e = &mut self.entries[i];
        // `data_points` is field 1 of gauges, sums and histograms alike.
        push_record(&mut e.points, 1, |out| point(out, m));
    }
}

impl Body for Metrics {
    fn clear(&mut self) {
        self.used = 0;
        self.index.clear();
    }
    fn len(&self) -> usize {
        self.entries[..self.used]
            .iter()
            .map(|e| field_len(e.len()))
            .sum()
    }
    fn write(&self, out: &mut Vec<u8>) {
        for e in &self.entries[..self.used] {
            field_head(out, 2, e.len());
            out.extend_from_slice(&e.head);
            field_head(out, e.data, e.data_len());
            out.extend_from_slice(&e.points);
            out.extend_from_slice(&e.tail);
        }
    }
}

/// Fills an entry's head and tail for the metric of `m`.
fn head(e: &mut Entry, m: &MetricRecord<'_>) {
    e.head.clear();
    wire::str_field(&mut e.head, 1, m.name);
    wire::str_field(&mut e.head, 2, m.description);
    wire::str_field(&mut e.head, 3, m.unit);
    e.tail.clear();
    match m.point {
        Point::Gauge(_) => e.data = 5,
        Point::Sum { monotonic, .. } => {
            e.data = 7;
            wire::uint_field(&mut e.tail, 2, u64::from(CUMULATIVE));
            wire::uint_field(&mut e.tail, 3, u64::from(monotonic));
        }
        Point::Histogram(_) => {
            e.data = 9;
            wire::uint_field(&mut e.tail, 2, u64::from(CUMULATIVE));
        }
    }
}

/// Appends the body of one data point (a `NumberDataPoint` or a
/// `HistogramDataPoint`).
fn point(out: &mut Vec<u8>, m: &MetricRecord<'_>) {
    let attrs = match m.point {
        Point::Histogram(_) => 9,
        _ => 7,
    };
    for l in m.labels.iter().filter(|l| l.key != "service.name") {
        key_value(out, attrs, l.key, l.value);
    }
    if !matches!(m.point, Point::Gauge(_)) {
        wire::time_field(out, 2, m.start_ns);
    }
    wire::time_field(out, 3, m.time_ns);
    match m.point {
        Point::Gauge(v) | Point::Sum { value: v, .. } => wire::double_field(out, 4, v),
        Point::Histogram(h) => {
            wire::fixed64_field(out, 4, h.count);
            wire::double_field(out, 5, h.sum);
            wire::packed_fixed64(out, 6, h.counts.iter().copied());
            wire::packed_fixed64(out, 7, h.bounds.iter().map(|b| b.to_bits()));
            if !h.min.is_nan() {
                wire::double_field(out, 11, h.min);
            }
            if !h.max.is_nan() {
                wire::double_field(out, 12, h.max);
            }
            for e in h.exemplars.iter().flatten() {
                push_record(out, 8, |out| exemplar(out, e));
            }
        }
    }
}

/// Appends the body of an `Exemplar`: time, `as_double`, span and trace
/// ids (no filtered attributes).
fn exemplar(out: &mut Vec<u8>, e: &Exemplar) {
    wire::time_field(out, 2, e.time_ns);
    wire::double_field(out, 3, e.value);
    wire::bytes_field(out, 4, &e.span_id);
    wire::bytes_field(out, 5, &e.trace_id);
}
