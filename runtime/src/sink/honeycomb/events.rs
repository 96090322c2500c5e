//! Records as Honeycomb events, their fields named as Honeycomb's own OTLP
//! ingest names them (honeycombio/husky): a span's event carries
//! `trace.trace_id`, `trace.span_id`, `trace.parent_id` (not on roots),
//! `name`, `span.kind` and `type` (lowercase), `duration_ms`,
//! `status_code` (0 unset, 1 ok, 2 error), `status_message`, `error` (on
//! spans whose status is error), `span.num_events`, `span.num_links`,
//! `meta.signal_type`, the resource's and scope's fields
//! (`library.name`, `library.version`), then every attribute. A span's
//! exception is its own event (`meta.annotation_type: span_event`, name
//! `exception`, `trace.parent_id` = the span), and so is its link
//! (`meta.annotation_type: link`, `trace.link.trace_id`,
//! `trace.link.span_id`). Logs carry `body`, `severity` (lowercase),
//! `severity_code` (the number), `severity_text` and their trace context;
//! a metric point is one event (`meta.annotation_type: metric_event`) with
//! the metric's name as its value field and its labels as fields; a
//! histogram has husky's fields `NAME.count`, `.sum`, `.avg` and
//! `.p001`, `.p01`, `.p05`, `.p10`, `.p25`, `.p50`, `.p75`, `.p90`, `.p95`,
//! `.p99`, `.p999`, plus `.min` and `.max`. Husky takes a quantile as the
//! bound of the bucket that holds it; here it is interpolated within that
//! bucket (closer to the truth; the same names, so boards carry over).
//! Husky also merges the points of one resource, instant and label set
//! into one event; here each point is its own event.

use super::fields::Fields;
use crate::sink::{
    sdk_attributes, HistogramPoint, LogRecord, MetricRecord, Point, ResourceRef, SpanEvent,
    SpanLink, SpanRecord, ERROR_TYPE_KEY, RESEND_KEY, RESOURCE_KEYS, SCOPE_NAME, STATUS_CODE_KEY,
};
use crate::VERSION;
use tsim_pack::{SpanKind, Status};

/// `span.kind` as Honeycomb writes it.
pub fn kind(k: SpanKind) -> &'static str {
    match k {
        SpanKind::Internal => "internal",
        SpanKind::Server => "server",
        SpanKind::Client => "client",
        SpanKind::Producer => "producer",
        SpanKind::Consumer => "consumer",
    }
}

/// `severity` as Honeycomb writes it, from the OpenTelemetry number.
pub fn severity(n: u8) -> &'static str {
    match n {
        1..=4 => "trace",
        5..=8 => "debug",
        9..=12 => "info",
        13..=16 => "warn",
        17..=20 => "error",
        21..=24 => "fatal",
        _ => "unspecified",
    }
}

/// The resource's fields: `service.name`, `service.version` (when set),
/// `service.instance.id` (the instance's UUID), `telemetry.sdk.*`, its
/// declared attributes, then the scope's `library.name` and
/// `library.version` (as the OTLP sinks send them).
fn resource(f: &mut Fields<'_>, r: &ResourceRef<'_>) {
    f.str("service.name", r.name);
    if !r.version.is_empty() {
        f.str("service.version", r.version);
    }
    f.str("service.instance.id", r.instance_id);
    for (k, v) in sdk_attributes() {
        f.str(k, v);
    }
    for (k, v) in r.attributes.iter() {
        if !RESOURCE_KEYS.contains(&k) {
            f.value(k, v);
        }
    }
    scope(f);
}

/// A service known by name only, as the OTLP sinks send its resource.
fn service(f: &mut Fields<'_>, name: &str) {
    f.str("service.name", name);
    for (k, v) in sdk_attributes() {
        f.str(k, v);
    }
    scope(f);
}

fn scope(f: &mut Fields<'_>) {
    f.str("library.name", SCOPE_NAME);
    f.str("library.version", VERSION);
}

fn status_code(s: Status) -> i64 {
    s as u8 as i64
}

/// A span's own event.
pub fn span(f: &mut Fields<'_>, s: &SpanRecord<'_>, buf: &mut String) {
    f.id("trace.trace_id", &s.trace_id);
    f.id("trace.span_id", &s.span_id);
    if let Some(p) = s.parent {
        f.id("trace.parent_id", &p);
    }
    f.str("name", s.name);
    f.str("span.kind", kind(s.kind));
    f.str("type", kind(s.kind));
    f.int("status_code", status_code(s.status));
    if !s.status_message.is_empty() {
        f.str("status_message", s.status_message);
    }
    if s.status == Status::Error {
        f.bool("error", true);
    }
    f.float("duration_ms", s.duration_ns() as f64 / 1e6);
    let events = usize::from(s.exception.is_some()) + s.events.len();
    let links = usize::from(s.link.is_some()) + s.links.len();
    f.int("span.num_events", events as i64);
    f.int("span.num_links", links as i64);
    f.str("meta.signal_type", "trace");
    resource(f, &s.resource);
    attributes(f, s, buf);
    // Honeycomb copies an exception event's attributes onto its span.
    if let Some(e) = s.exception {
        if s.attributes.get("exception.type").is_none() {
            f.text("exception.type", e.exception_type, buf);
        }
    }
}

/// The record's attributes, then `http.response.status_code`, `error.type`
/// and `http.request.resend_count` (a drawn attribute of one of these names
/// gives way to the record's own field), as the OTLP sinks write them.
fn attributes(f: &mut Fields<'_>, s: &SpanRecord<'_>, buf: &mut String) {
    for (k, v) in s.attributes.iter() {
        if !s.shadows(k) {
            f.value(k, v);
        }
    }
    if let Some(code) = s.http_status_code {
        f.int(STATUS_CODE_KEY, i64::from(code));
    }
    if let Some(t) = s.error_type {
        f.text(ERROR_TYPE_KEY, t, buf);
    }
    if s.writes_resend() {
        f.int(RESEND_KEY, i64::from(s.resend_count));
    }
}

/// The fields every annotation of a span (its exception, its link) shares.
fn annotation(f: &mut Fields<'_>, s: &SpanRecord<'_>, kind: &str) {
    f.id("trace.trace_id", &s.trace_id);
    f.id("trace.parent_id", &s.span_id);
    f.str("parent_name", s.name);
    f.str("meta.annotation_type", kind);
    f.str("meta.signal_type", "trace");
    resource(f, &s.resource);
    if s.status == Status::Error {
        f.bool("error", true);
    }
}

/// A span's exception as a span event (its time is the exception's).
pub fn exception(f: &mut Fields<'_>, s: &SpanRecord<'_>, buf: &mut String) {
    let Some(e) = s.exception else { return };
    f.str("name", "exception");
    annotation(f, s, "span_event");
    let since = e.time_ns.saturating_sub(s.start_ns).max(0) as f64 / 1e6;
    f.float("meta.time_since_span_start_ms", since);
    f.text("exception.type", e.exception_type, buf);
}

/// A span's link as a link event (at the span's start).
pub fn link(f: &mut Fields<'_>, s: &SpanRecord<'_>) {
    let Some((trace, span)) = s.link else { return };
    annotation(f, s, "link");
    f.id("trace.link.trace_id", &trace);
    f.id("trace.link.span_id", &span);
}

/// A user-declared span event (its time is the event's).
pub fn user_event(f: &mut Fields<'_>, s: &SpanRecord<'_>, e: &SpanEvent<'_>) {
    f.str("name", e.name);
    annotation(f, s, "span_event");
    let since = e.time_ns.saturating_sub(s.start_ns).max(0) as f64 / 1e6;
    f.float("meta.time_since_span_start_ms", since);
    for (k, v) in e.attributes.iter() {
        f.value(k, v);
    }
}

/// A user-declared link as a link event (at the span's start).
pub fn user_link(f: &mut Fields<'_>, s: &SpanRecord<'_>, l: &SpanLink<'_>) {
    annotation(f, s, "link");
    f.id("trace.link.trace_id", &l.trace_id);
    f.id("trace.link.span_id", &l.span_id);
    for (k, v) in l.attributes.iter() {
        f.value(k, v);
    }
}

/// A log record's event.
pub fn log(f: &mut Fields<'_>, r: &LogRecord<'_>, buf: &mut String) {
    f.str("severity", severity(r.severity_number));
    f.int("severity_code", i64::from(r.severity_number));
    if !r.severity_text.is_empty() {
        f.str("severity_text", r.severity_text);
    }
    f.str("meta.signal_type", "log");
    if let Some(t) = r.trace_id {
        f.id("trace.trace_id", &t);
        f.str("meta.annotation_type", "span_event");
    }
    if let Some(s) = r.span_id {
        f.id("trace.parent_id", &s);
    }
    match r.body.fields {
        // A structured body's fields become the event's own, unless an
        // attribute of the same name is written below.
        Some(fields) => {
            for (k, v) in fields.iter() {
                if r.attributes.get(k).is_none() {
                    f.value(k, v);
                }
            }
        }
        None => {
            buf.clear();
            r.body.render(buf);
            f.str("body", buf);
        }
    }
    match &r.resource {
        Some(res) => resource(f, res),
        None => service(f, r.service),
    }
    for (k, v) in r.attributes.iter() {
        f.value(k, v);
    }
}

/// A metric point's event.
pub fn metric(f: &mut Fields<'_>, m: &MetricRecord<'_>, buf: &mut String) {
    f.str("meta.signal_type", "metric");
    f.str("meta.annotation_type", "metric_event");
    match &m.resource {
        Some(r) => resource(f, r),
        None => service(f, m.service),
    }
    for l in m.labels {
        f.value(l.key, l.value);
    }
    match m.point {
        Point::Gauge(v) | Point::Sum { value: v, .. } => f.float(m.name, v),
        Point::Histogram(h) => histogram(f, m.name, &h, buf),
    }
}

/// The percentiles a histogram's event carries.
const QUANTILES: [(&str, f64); 11] = [
    ("p001", 0.001),
    ("p01", 0.01),
    ("p05", 0.05),
    ("p10", 0.1),
    ("p25", 0.25),
    ("p50", 0.5),
    ("p75", 0.75),
    ("p90", 0.9),
    ("p95", 0.95),
    ("p99", 0.99),
    ("p999", 0.999),
];

fn histogram(f: &mut Fields<'_>, name: &str, h: &HistogramPoint<'_>, buf: &mut String) {
    let mut sub = |suffix: &str, v: f64, f: &mut Fields<'_>| {
        buf.clear();
        buf.push_str(name);
        buf.push('.');
        buf.push_str(suffix);
        f.float(buf, v);
    };
    sub("count", h.count as f64, f);
    sub("sum", h.sum, f);
    if h.count == 0 {
        return;
    }
    sub("avg", h.sum / h.count as f64, f);
    if h.min.is_finite() {
        sub("min", h.min, f);
    }
    if h.max.is_finite() {
        sub("max", h.max, f);
    }
    for (suffix, q) in QUANTILES {
        if let Some(v) = quantile(h, q) {
            sub(suffix, v, f);
        }
    }
}

/// The `q` quantile estimated from the buckets: linear within the bucket
/// that holds it, the first and last buckets bounded by the minimum and
/// maximum seen.
pub fn quantile(h: &HistogramPoint<'_>, q: f64) -> Option<f64> {
    if h.count == 0 {
        return None;
    }
    let rank = q * h.count as f64;
    let mut seen = 0u64;
    for (i, &c) in h.counts.iter().enumerate() {
        if c == 0 {
            continue;
        }
        if (seen + c) as f64 >= rank {
            let lower = match i.checked_sub(1).and_then(|j| h.bounds.get(j)) {
                Some(&b) => b.max(if h.min.is_finite() { h.min } else { b }),
                None if h.min.is_finite() => h.min,
                None => h.bounds.first().copied().unwrap_or(0.0).min(0.0),
            };
            let upper = match h.bounds.get(i) {
                Some(&b) if h.max.is_finite() => b.min(h.max),
                Some(&b) => b,
                None if h.max.is_finite() => h.max,
                None => lower,
            };
            let within = (rank - seen as f64) / c as f64;
            return Some(lower + (upper - lower) * within);
        }
        seen += c;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_interpolate_within_the_bucket_that_holds_them() {
        let h = HistogramPoint {
            bounds: &[10.0, 20.0],
            counts: &[0, 10, 0],
            count: 10,
            sum: 150.0,
            min: 12.0,
            max: 18.0,
            exemplars: &[],
        };
        assert_eq!(quantile(&h, 0.5), Some(15.0));
        assert_eq!(quantile(&h, 1.0), Some(18.0));
        let empty = HistogramPoint {
            counts: &[0, 0, 0],
            count: 0,
            ..h
        };
        assert_eq!(quantile(&empty, 0.5), None);
        assert_eq!(severity(9), "info");
        assert_eq!(severity(17), "error");
        assert_eq!(severity(0), "unspecified");
    }

    #[test]
    fn a_structured_body_becomes_event_fields_and_attributes_win() {
        let pack = tsim_pack::Pack {
            strings: ["msg", "job done", "tier", "gold", "free"]
                .iter()
                .map(|s| s.to_string())
                .collect(),
            ..Default::default()
        };
        let attr = |key, value| tsim_pack::Attr {
            key,
            value: tsim_pack::AttrValue::Str(value),
        };
        let body = [attr(0, 1), attr(2, 3)];
        let attrs = [attr(2, 4)];
        let record = LogRecord {
            time_ns: 0,
            service: "api",
            resource: None,
            severity_number: 9,
            severity_text: "INFO",
            body: crate::sink::Body {
                template: "",
                fill: None,
                fields: Some(crate::sink::Attributes::constant(&pack, &body)),
            },
            attributes: crate::sink::Attributes::constant(&pack, &attrs),
            trace_id: None,
            span_id: None,
        };
        let (mut out, mut buf) = (String::new(), String::new());
        let mut f = Fields::open(&mut out);
        log(&mut f, &record, &mut buf);
        f.close().expect("no field too long");
        assert!(out.contains(r#""msg":"job done""#), "{out}");
        assert!(
            out.contains(r#""tier":"free""#) && !out.contains("gold"),
            "{out}"
        );
        assert!(!out.contains(r#""body""#), "{out}");
    }
}
