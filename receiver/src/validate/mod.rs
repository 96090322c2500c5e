//! Validation: the violation kinds, findings of one request (collected
//! without a lock), the run-wide violation tally and state (behind the
//! receiver's mutex), and attribute helpers shared by the signal checks.

pub(crate) mod logs;
pub(crate) mod metrics;
pub(crate) mod series;
pub(crate) mod spans;
pub(crate) mod traces;

use std::collections::BTreeMap;

use opentelemetry_proto::tonic::common::v1::{any_value, KeyValue};
use opentelemetry_proto::tonic::resource::v1::Resource;

use crate::report::KindReport;

/// Sample messages kept per violation kind.
pub(crate) const MAX_SAMPLES: usize = 20;

/// The violation kinds, as they appear in [`crate::Report::violation_kinds`].
pub mod kinds {
    /// A resource without a non-empty string `service.name`.
    pub const SERVICE_NAME_MISSING: &str = "resource.service_name_missing";
    /// A span trace_id not 16 bytes, or all zero.
    pub const SPAN_TRACE_ID_INVALID: &str = "span.trace_id_invalid";
    /// A span span_id not 8 bytes, or all zero.
    pub const SPAN_ID_INVALID: &str = "span.span_id_invalid";
    /// A parent_span_id neither empty nor 8 non-zero bytes.
    pub const PARENT_SPAN_ID_INVALID: &str = "span.parent_span_id_invalid";
    /// A (trace_id, span_id) seen before in the run.
    pub const SPAN_DUPLICATE: &str = "span.duplicate_id";
    /// A parent_span_id naming no span of its trace by the end of the run.
    pub const PARENT_MISSING: &str = "span.parent_missing";
    /// start_time_unix_nano zero.
    pub const SPAN_START_MISSING: &str = "span.start_time_missing";
    /// end_time_unix_nano before start_time_unix_nano.
    pub const SPAN_END_BEFORE_START: &str = "span.end_before_start";
    /// An empty span name.
    pub const SPAN_NAME_EMPTY: &str = "span.name_empty";
    /// SPAN_KIND_UNSPECIFIED.
    pub const SPAN_KIND_UNSPECIFIED: &str = "span.kind_unspecified";
    /// A span kind outside the enum.
    pub const SPAN_KIND_UNKNOWN: &str = "span.kind_unknown";
    /// A status code outside the enum.
    pub const SPAN_STATUS_UNKNOWN: &str = "span.status_code_unknown";
    /// `http.*` attributes without `http.request.method`.
    pub const SEMCONV_HTTP_METHOD: &str = "semconv.http_request_method_missing";
    /// `db.*` attributes without `db.system.name`.
    pub const SEMCONV_DB_SYSTEM: &str = "semconv.db_system_name_missing";
    /// `messaging.*` attributes without `messaging.system`.
    pub const SEMCONV_MESSAGING_SYSTEM: &str = "semconv.messaging_system_missing";
    /// A log record with neither time_unix_nano nor observed_time_unix_nano.
    pub const LOG_TIME_MISSING: &str = "log.time_missing";
    /// A log trace_id neither empty nor 16 bytes.
    pub const LOG_TRACE_ID_INVALID: &str = "log.trace_id_invalid";
    /// A log span_id neither empty nor 8 bytes.
    pub const LOG_SPAN_ID_INVALID: &str = "log.span_id_invalid";
    /// A severity_number outside 0..=24.
    pub const LOG_SEVERITY_INVALID: &str = "log.severity_invalid";
    /// An empty metric name.
    pub const METRIC_NAME_EMPTY: &str = "metric.name_empty";
    /// A data point with time_unix_nano zero.
    pub const POINT_TIME_MISSING: &str = "metric.point_time_missing";
    /// A data point with start_time_unix_nano after time_unix_nano.
    pub const POINT_START_AFTER_TIME: &str = "metric.point_start_after_time";
    /// A gauge or sum value that is NaN or infinite.
    pub const VALUE_NOT_FINITE: &str = "metric.value_not_finite";
    /// bucket_counts not one longer than explicit_bounds.
    pub const HISTOGRAM_BUCKETS: &str = "metric.histogram_bucket_count";
    /// The bucket counts not adding up to the count.
    pub const HISTOGRAM_COUNT: &str = "metric.histogram_count_mismatch";
    /// explicit_bounds not strictly increasing.
    pub const HISTOGRAM_BOUNDS: &str = "metric.histogram_bounds_order";
    /// A cumulative monotonic sum or cumulative histogram count that went down.
    pub const CUMULATIVE_DECREASE: &str = "metric.cumulative_decrease";
}

/// The violations found in one request, before they are merged.
#[derive(Debug, Default)]
pub(crate) struct Findings {
    kinds: Vec<(&'static str, u64, Vec<String>)>,
}

impl Findings {
    /// Counts one violation; `message` is only built while samples are wanted.
    pub(crate) fn add(&mut self, kind: &'static str, message: impl FnOnce() -> String) {
        let i = match self.kinds.iter().position(|(k, _, _)| *k == kind) {
            Some(i) => i,
            None => {
                self.kinds.push((kind, 0, Vec::new()));
                self.kinds.len() - 1
            }
        };
        let entry = &mut self.kinds[i];
        entry.1 += 1;
        if entry.2.len() < MAX_SAMPLES {
            entry.2.push(message());
        }
    }

    #[cfg(test)]
    pub(crate) fn count(&self, kind: &str) -> u64 {
        self.kinds
            .iter()
            .find(|(k, _, _)| *k == kind)
            .map_or(0, |(_, n, _)| *n)
    }

    #[cfg(test)]
    pub(crate) fn total(&self) -> u64 {
        self.kinds.iter().map(|(_, n, _)| n).sum()
    }
}

/// The violations of the whole run.
#[derive(Debug, Default)]
pub(crate) struct Violations {
    pub(crate) total: u64,
    pub(crate) kinds: BTreeMap<&'static str, KindReport>,
}

impl Violations {
    pub(crate) fn merge(&mut self, findings: Findings) {
        for (kind, n, samples) in findings.kinds {
            self.total += n;
            let k = self.kinds.entry(kind).or_default();
            k.count += n;
            let room = MAX_SAMPLES.saturating_sub(k.samples.len());
            k.samples.extend(samples.into_iter().take(room));
        }
    }

    pub(crate) fn add(&mut self, kind: &'static str, message: impl FnOnce() -> String) {
        self.total += 1;
        let k = self.kinds.entry(kind).or_default();
        k.count += 1;
        if k.samples.len() < MAX_SAMPLES {
            k.samples.push(message());
        }
    }
}

/// The attribute `key`, if present.
pub(crate) fn attr<'a>(attrs: &'a [KeyValue], key: &str) -> Option<&'a any_value::Value> {
    attrs
        .iter()
        .find(|kv| kv.key == key)
        .and_then(|kv| kv.value.as_ref())
        .and_then(|v| v.value.as_ref())
}

/// The resource's `service.name` for messages, counting a violation when it
/// is missing, empty or not a string.
pub(crate) fn check_resource(resource: Option<&Resource>, f: &mut Findings) -> String {
    let attrs = resource.map_or(&[][..], |r| &r.attributes[..]);
    match attr(attrs, "service.name") {
        Some(any_value::Value::StringValue(s)) if !s.is_empty() => s.clone(),
        Some(any_value::Value::StringValue(_)) => {
            f.add(kinds::SERVICE_NAME_MISSING, || {
                "a resource has an empty service.name".to_string()
            });
            "(empty service.name)".to_string()
        }
        Some(_) => {
            f.add(kinds::SERVICE_NAME_MISSING, || {
                "a resource has a service.name that is not a string".to_string()
            });
            "(non-string service.name)".to_string()
        }
        None => {
            f.add(kinds::SERVICE_NAME_MISSING, || {
                let keys: Vec<&str> = attrs.iter().map(|kv| kv.key.as_str()).take(8).collect();
                format!("a resource has no service.name (attributes: {keys:?})")
            });
            "(no service.name)".to_string()
        }
    }
}

/// Lowercase hex of an id, for messages.
pub(crate) fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from_digit(u32::from(b >> 4), 16).unwrap_or('?'));
        s.push(char::from_digit(u32::from(b & 15), 16).unwrap_or('?'));
    }
    s
}

/// The run-wide validation state, behind the receiver's mutex.
#[derive(Debug)]
pub(crate) struct ValidationState {
    pub(crate) violations: Violations,
    pub(crate) spans: spans::SpanTracker,
    pub(crate) series: series::SeriesTracker,
}

impl ValidationState {
    pub(crate) fn new(max_tracked_spans: usize) -> ValidationState {
        ValidationState {
            violations: Violations::default(),
            spans: spans::SpanTracker::new(max_tracked_spans),
            series: series::SeriesTracker::new(series::MAX_SERIES),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_are_capped_but_counts_are_not() {
        let mut v = Violations::default();
        for round in 0..3 {
            let mut f = Findings::default();
            for i in 0..15 {
                f.add(kinds::SPAN_NAME_EMPTY, || format!("{round}/{i}"));
            }
            v.merge(f);
        }
        v.add(kinds::SPAN_NAME_EMPTY, || "late".into());
        let k = &v.kinds[kinds::SPAN_NAME_EMPTY];
        assert_eq!(k.count, 46);
        assert_eq!(v.total, 46);
        assert_eq!(k.samples.len(), MAX_SAMPLES);
        assert_eq!(k.samples[15], "1/0");
    }

    #[test]
    fn hex_ids() {
        assert_eq!(hex(&[0, 0xab, 0x1f]), "00ab1f");
    }
}
