//! Run-wide metric series state for the cumulative checks: the last value of
//! each cumulative monotonic sum and cumulative histogram count, keyed by a
//! hash of resource attributes, scope name, metric name and point attributes.

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};

use opentelemetry_proto::tonic::common::v1::{any_value::Value, AnyValue, KeyValue};

use super::{kinds, Violations};

/// Series tracked at most.
pub(crate) const MAX_SERIES: usize = 1_000_000;

/// One observation of a cumulative series.
#[derive(Clone, Copy, Debug)]
pub(crate) struct SeriesObs<'a> {
    pub(crate) key: u64,
    pub(crate) metric: &'a str,
    pub(crate) start: u64,
    pub(crate) time: u64,
    pub(crate) value: f64,
}

#[derive(Clone, Copy, Debug)]
struct Last {
    start: u64,
    time: u64,
    value: f64,
}

/// The last value of every tracked series.
#[derive(Debug)]
pub(crate) struct SeriesTracker {
    last: HashMap<u64, Last>,
    max: usize,
    stopped: bool,
}

impl SeriesTracker {
    pub(crate) fn new(max: usize) -> SeriesTracker {
        SeriesTracker {
            last: HashMap::new(),
            max,
            stopped: false,
        }
    }

    /// A newer point (by time) with the same start time must not be lower;
    /// a new start time is a reset; older points (retries, reordering) are ignored.
    pub(crate) fn observe(&mut self, obs: &[SeriesObs<'_>], v: &mut Violations) {
        for o in obs {
            let next = Last {
                start: o.start,
                time: o.time,
                value: o.value,
            };
            if let Some(last) = self.last.get_mut(&o.key) {
                if o.time <= last.time {
                    continue;
                }
                if o.start == last.start && o.value < last.value {
                    v.add(kinds::CUMULATIVE_DECREASE, || {
                        format!(
                            "metric {:?}: a cumulative series went from {} at {} to {} at {}",
                            o.metric, last.value, last.time, o.value, o.time
                        )
                    });
                }
                *last = next;
            } else if self.last.len() >= self.max {
                self.stopped = true;
            } else {
                self.last.insert(o.key, next);
            }
        }
    }

    pub(crate) fn tracked(&self) -> u64 {
        self.last.len() as u64
    }

    pub(crate) fn stopped(&self) -> bool {
        self.stopped
    }
}

/// A hasher seeded with the parts shared by a resource's series.
pub(crate) fn hasher() -> DefaultHasher {
    DefaultHasher::new()
}

/// Hashes an attribute list independently of its order.
pub(crate) fn hash_attrs(h: &mut impl Hasher, attrs: &[KeyValue]) {
    let mut sorted: Vec<&KeyValue> = attrs.iter().collect();
    sorted.sort_by(|a, b| a.key.cmp(&b.key));
    sorted.len().hash(h);
    for kv in sorted {
        kv.key.hash(h);
        hash_value(h, kv.value.as_ref());
    }
}

fn hash_value(h: &mut impl Hasher, v: Option<&AnyValue>) {
    match v.and_then(|v| v.value.as_ref()) {
        None => 0u8.hash(h),
        Some(Value::StringValue(s)) => {
            1u8.hash(h);
            s.hash(h);
        }
        Some(Value::BoolValue(b)) => {
            2u8.hash(h);
            b.hash(h);
        }
        Some(Value::IntValue(i)) => {
            3u8.hash(h);
            i.hash(h);
        }
        Some(Value::DoubleValue(d)) => {
            4u8.hash(h);
            d.to_bits().hash(h);
        }
        Some(Value::ArrayValue(a)) => {
            5u8.hash(h);
            a.values.len().hash(h);
            for v in &a.values {
                hash_value(h, Some(v));
            }
        }
        Some(Value::KvlistValue(l)) => {
            6u8.hash(h);
            hash_attrs(h, &l.values);
        }
        Some(Value::BytesValue(b)) => {
            7u8.hash(h);
            b.hash(h);
        }
        Some(Value::StringValueStrindex(i)) => {
            8u8.hash(h);
            i.hash(h);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn o(key: u64, start: u64, time: u64, value: f64) -> SeriesObs<'static> {
        SeriesObs {
            key,
            metric: "m",
            start,
            time,
            value,
        }
    }

    #[test]
    fn decreases_resets_and_reordering() {
        let mut t = SeriesTracker::new(10);
        let mut v = Violations::default();
        t.observe(
            &[o(1, 1, 10, 5.0), o(1, 1, 20, 7.0), o(2, 1, 10, 1.0)],
            &mut v,
        );
        // an older point arriving late is ignored
        t.observe(&[o(1, 1, 15, 6.0)], &mut v);
        assert_eq!(v.total, 0);
        // a decrease
        t.observe(&[o(1, 1, 30, 4.0)], &mut v);
        assert_eq!(v.total, 1);
        // a reset (new start) is fine
        t.observe(&[o(1, 25, 40, 1.0)], &mut v);
        assert_eq!(v.total, 1);
        assert_eq!(t.tracked(), 2);
    }

    #[test]
    fn attribute_order_does_not_matter() {
        let kv = |k: &str, i: i64| KeyValue {
            key: k.into(),
            value: Some(AnyValue {
                value: Some(Value::IntValue(i)),
            }),
            ..Default::default()
        };
        let hash = |attrs: &[KeyValue]| {
            let mut h = hasher();
            hash_attrs(&mut h, attrs);
            h.finish()
        };
        assert_eq!(
            hash(&[kv("a", 1), kv("b", 2)]),
            hash(&[kv("b", 2), kv("a", 1)])
        );
        assert_ne!(
            hash(&[kv("a", 1), kv("b", 2)]),
            hash(&[kv("a", 2), kv("b", 1)])
        );
    }
}
