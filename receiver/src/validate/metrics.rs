//! The checks of one metrics export request that need no run-wide state:
//! names, point times, finite values, histogram consistency. It also
//! collects the cumulative observations that [`super::series::SeriesTracker`] checks.

use std::hash::{Hash, Hasher};

use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::common::v1::KeyValue;
use opentelemetry_proto::tonic::metrics::v1::{
    metric::Data, number_data_point, HistogramDataPoint, Metric, NumberDataPoint,
};

use super::series::{hash_attrs, hasher, SeriesObs};
use super::{check_resource, kinds, Findings};

/// AGGREGATION_TEMPORALITY_CUMULATIVE.
const CUMULATIVE: i32 = 2;

/// Checks every data point of `req`, pushing cumulative observations onto
/// `obs`. Returns the number of data points.
pub(crate) fn check<'a>(
    req: &'a ExportMetricsServiceRequest,
    f: &mut Findings,
    obs: &mut Vec<SeriesObs<'a>>,
) -> u64 {
    let mut n = 0;
    for rm in &req.resource_metrics {
        let service = check_resource(rm.resource.as_ref(), f);
        let mut base = hasher();
        hash_attrs(
            &mut base,
            rm.resource.as_ref().map_or(&[][..], |r| &r.attributes[..]),
        );
        for sm in &rm.scope_metrics {
            let mut scope = base.clone();
            sm.scope
                .as_ref()
                .map_or("", |s| s.name.as_str())
                .hash(&mut scope);
            for m in &sm.metrics {
                n += check_metric(m, &service, &scope, f, obs);
            }
        }
    }
    n
}

fn check_metric<'a, H: Hasher + Clone>(
    m: &'a Metric,
    service: &str,
    scope: &H,
    f: &mut Findings,
    obs: &mut Vec<SeriesObs<'a>>,
) -> u64 {
    if m.name.is_empty() {
        f.add(kinds::METRIC_NAME_EMPTY, || {
            format!("a metric of {service} has an empty name")
        });
    }
    let who = || format!("metric {:?} of {service}", m.name);
    let series = |tag: u8, attrs: &[KeyValue]| {
        let mut h = scope.clone();
        m.name.hash(&mut h);
        tag.hash(&mut h);
        hash_attrs(&mut h, attrs);
        h.finish()
    };
    let times = |start: u64, time: u64, f: &mut Findings| {
        if time == 0 {
            f.add(kinds::POINT_TIME_MISSING, || {
                format!("{}: a data point has time_unix_nano 0", who())
            });
        } else if start > time {
            f.add(kinds::POINT_START_AFTER_TIME, || {
                format!(
                    "{}: a data point starts at {start}, after its time {time}",
                    who()
                )
            });
        }
    };
    match &m.data {
        None => 0,
        Some(Data::Gauge(g)) => {
            for p in &g.data_points {
                times(p.start_time_unix_nano, p.time_unix_nano, f);
                finite(p, f, &who);
            }
            g.data_points.len() as u64
        }
        Some(Data::Sum(s)) => {
            let tracked = s.is_monotonic && s.aggregation_temporality == CUMULATIVE;
            for p in &s.data_points {
                times(p.start_time_unix_nano, p.time_unix_nano, f);
                let value = finite(p, f, &who);
                if let (true, Some(value)) = (tracked, value) {
                    obs.push(SeriesObs {
                        key: series(1, &p.attributes),
                        metric: &m.name,
                        start: p.start_time_unix_nano,
                        time: p.time_unix_nano,
                        value,
                    });
                }
            }
            s.data_points.len() as u64
        }
        Some(Data::Histogram(h)) => {
            let tracked = h.aggregation_temporality == CUMULATIVE;
            for p in &h.data_points {
                times(p.start_time_unix_nano, p.time_unix_nano, f);
                histogram(p, f, &who);
                if tracked {
                    obs.push(SeriesObs {
                        key: series(2, &p.attributes),
                        metric: &m.name,
                        start: p.start_time_unix_nano,
                        time: p.time_unix_nano,
                        value: p.count as f64,
                    });
                }
            }
            h.data_points.len() as u64
        }
        Some(Data::ExponentialHistogram(h)) => {
            for p in &h.data_points {
                times(p.start_time_unix_nano, p.time_unix_nano, f);
            }
            h.data_points.len() as u64
        }
        Some(Data::Summary(s)) => {
            for p in &s.data_points {
                times(p.start_time_unix_nano, p.time_unix_nano, f);
            }
            s.data_points.len() as u64
        }
    }
}

/// The point's value as f64, counting a violation when it is not finite.
fn finite(p: &NumberDataPoint, f: &mut Findings, who: &dyn Fn() -> String) -> Option<f64> {
    match p.value {
        Some(number_data_point::Value::AsDouble(d)) => {
            if d.is_finite() {
                Some(d)
            } else {
                f.add(kinds::VALUE_NOT_FINITE, || {
                    format!("{}: a data point has value {d}", who())
                });
                None
            }
        }
        Some(number_data_point::Value::AsInt(i)) => Some(i as f64),
        None => None,
    }
}

fn histogram(p: &HistogramDataPoint, f: &mut Findings, who: &dyn Fn() -> String) {
    if !p.bucket_counts.is_empty() {
        if p.bucket_counts.len() != p.explicit_bounds.len() + 1 {
            f.add(kinds::HISTOGRAM_BUCKETS, || {
                format!(
                    "{}: {} bucket counts for {} bounds, want {}",
                    who(),
                    p.bucket_counts.len(),
                    p.explicit_bounds.len(),
                    p.explicit_bounds.len() + 1
                )
            });
        }
        let sum = p
            .bucket_counts
            .iter()
            .fold(0u64, |a, b| a.saturating_add(*b));
        if sum != p.count {
            f.add(kinds::HISTOGRAM_COUNT, || {
                format!(
                    "{}: bucket counts add up to {sum}, count is {}",
                    who(),
                    p.count
                )
            });
        }
    }
    // NaN bounds count as out of order
    if p.explicit_bounds
        .windows(2)
        .any(|w| w[0].partial_cmp(&w[1]) != Some(std::cmp::Ordering::Less))
    {
        f.add(kinds::HISTOGRAM_BOUNDS, || {
            format!(
                "{}: explicit_bounds {:?} are not strictly increasing",
                who(),
                p.explicit_bounds
            )
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use opentelemetry_proto::tonic::metrics::v1::{
        Gauge, Histogram, ResourceMetrics, ScopeMetrics, Sum,
    };

    fn point(time: u64, v: f64) -> NumberDataPoint {
        NumberDataPoint {
            start_time_unix_nano: 1,
            time_unix_nano: time,
            value: Some(number_data_point::Value::AsDouble(v)),
            ..Default::default()
        }
    }

    fn hist(count: u64, buckets: Vec<u64>, bounds: Vec<f64>) -> HistogramDataPoint {
        HistogramDataPoint {
            start_time_unix_nano: 1,
            time_unix_nano: 10,
            count,
            bucket_counts: buckets,
            explicit_bounds: bounds,
            ..Default::default()
        }
    }

    fn metric(name: &str, data: Data) -> Metric {
        Metric {
            name: name.into(),
            data: Some(data),
            ..Default::default()
        }
    }

    #[test]
    fn each_kind_is_found() {
        let metrics = vec![
            metric(
                "",
                Data::Gauge(Gauge {
                    data_points: vec![point(5, 1.0)],
                }),
            ),
            metric(
                "g",
                Data::Gauge(Gauge {
                    data_points: vec![
                        point(0, 1.0),
                        NumberDataPoint {
                            start_time_unix_nano: 9,
                            ..point(5, 1.0)
                        },
                        point(5, f64::NAN),
                    ],
                }),
            ),
            metric(
                "h",
                Data::Histogram(Histogram {
                    aggregation_temporality: CUMULATIVE,
                    data_points: vec![
                        hist(3, vec![1, 2], vec![1.0]),
                        hist(3, vec![1, 1, 1], vec![1.0]),
                        hist(5, vec![1, 2, 1], vec![1.0, 2.0]),
                        hist(3, vec![1, 1, 1], vec![2.0, 1.0]),
                        hist(3, vec![], vec![]),
                    ],
                }),
            ),
            metric(
                "s",
                Data::Sum(Sum {
                    aggregation_temporality: CUMULATIVE,
                    is_monotonic: true,
                    data_points: vec![point(5, 1.0), point(6, 2.0)],
                }),
            ),
        ];
        let req = ExportMetricsServiceRequest {
            resource_metrics: vec![ResourceMetrics {
                scope_metrics: vec![ScopeMetrics {
                    metrics,
                    ..Default::default()
                }],
                ..Default::default()
            }],
        };
        let mut f = Findings::default();
        let mut obs = Vec::new();
        assert_eq!(check(&req, &mut f, &mut obs), 1 + 3 + 5 + 2);
        for kind in [
            kinds::SERVICE_NAME_MISSING,
            kinds::METRIC_NAME_EMPTY,
            kinds::POINT_TIME_MISSING,
            kinds::POINT_START_AFTER_TIME,
            kinds::VALUE_NOT_FINITE,
            kinds::HISTOGRAM_BUCKETS,
            kinds::HISTOGRAM_COUNT,
            kinds::HISTOGRAM_BOUNDS,
        ] {
            assert_eq!(f.count(kind), 1, "{kind}");
        }
        assert_eq!(f.total(), 8);
        assert_eq!(obs.len(), 5 + 2);
        // the histogram and the sum are different series; points of one series share a key
        assert_eq!(obs[0].key, obs[1].key);
        assert_ne!(obs[0].key, obs[5].key);
        assert_eq!(obs[5].key, obs[6].key);
    }
}
