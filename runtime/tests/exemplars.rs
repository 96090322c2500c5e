//! Derived histograms carry exemplars: per bucket, the latest span that fell
//! in it. Every exemplar names a span the run emitted, with that span's
//! duration as its value, inside its bucket's bounds, and ending at the
//! exemplar's time; a histogram declared with a process keeps none.

mod common;

use std::collections::HashMap;
use std::io;

use common::pack;
use tsim_runtime::plan::Plan;
use tsim_runtime::sim;
use tsim_runtime::sink::{EventRecord, Exemplar, LogRecord, MetricRecord, Point, Sink, SpanRecord};

const SCENARIO: &str = r#"
scenario "ex" { seed 5 duration 2m tick 10s traffic { rate 30/s } }
service "edge" {
  endpoint "GET /items/{id}" { latency lognormal(median: 20ms, p99: 400ms)  errors 5% status 503 }
}
metric "http.server.request.duration" histogram unit "s" per service from spans
metric "queue.wait" histogram unit "s" { buckets [10ms, 100ms] walk brownian(start: 50ms, drift: 0, volatility: 1ms) within 0s..1s }
"#;

#[derive(Default)]
struct Seen {
    /// (trace, span) -> (duration in seconds, end).
    spans: HashMap<([u8; 16], [u8; 8]), (f64, i64)>,
    /// (metric name, bounds, bucket index, exemplar).
    exemplars: Vec<(String, Vec<f64>, usize, Exemplar)>,
    histograms: HashMap<String, u64>,
}

impl Sink for Seen {
    fn link(&mut self, _: &Plan<'_>) -> io::Result<()> {
        Ok(())
    }
    fn span(&mut self, s: &SpanRecord<'_>) -> io::Result<()> {
        let d = (s.end_ns - s.start_ns) as f64 / 1e9;
        self.spans.insert((s.trace_id, s.span_id), (d, s.end_ns));
        Ok(())
    }
    fn log(&mut self, _: &LogRecord<'_>) -> io::Result<()> {
        Ok(())
    }
    fn event(&mut self, _: &EventRecord<'_>) -> io::Result<()> {
        Ok(())
    }
    fn metric(&mut self, m: &MetricRecord<'_>) -> io::Result<()> {
        if let Point::Histogram(h) = &m.point {
            *self.histograms.entry(m.name.to_string()).or_default() += 1;
            for (i, e) in h.exemplars.iter().enumerate() {
                if let Some(e) = e {
                    self.exemplars
                        .push((m.name.to_string(), h.bounds.to_vec(), i, *e));
                }
            }
        }
        Ok(())
    }
    fn finish(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn every_exemplar_is_an_emitted_span_inside_its_bucket() {
    let mut seen = Seen::default();
    let opts = sim::Options {
        start_ns: 1_700_000_000_000_000_000,
        ..Default::default()
    };
    sim::run(&pack(SCENARIO), &opts, &mut seen, &mut |_, _, _| {}).expect("runs");
    assert!(seen.histograms.get("queue.wait").is_some_and(|n| *n > 0));
    assert!(
        seen.exemplars
            .iter()
            .all(|(name, ..)| name == "http.server.request.duration"),
        "a process-driven histogram has no spans to point at"
    );
    // 12 ticks with several buckets each: many exemplars.
    assert!(seen.exemplars.len() > 30, "{}", seen.exemplars.len());
    let mut buckets_seen = std::collections::BTreeSet::new();
    for (_, bounds, i, e) in &seen.exemplars {
        let (duration, end) = seen
            .spans
            .get(&(e.trace_id, e.span_id))
            .copied()
            .unwrap_or_else(|| panic!("{e:?} names no emitted span"));
        assert_eq!(e.value, duration, "{e:?}");
        assert_eq!(e.time_ns, end, "{e:?}");
        let lower = if *i == 0 {
            f64::NEG_INFINITY
        } else {
            bounds[*i - 1]
        };
        let upper = bounds.get(*i).copied().unwrap_or(f64::INFINITY);
        assert!(
            lower < e.value && e.value <= upper,
            "{e:?} outside ({lower}, {upper}]"
        );
        buckets_seen.insert(*i);
    }
    // A lognormal with p99 20x its median spreads over several buckets.
    assert!(buckets_seen.len() >= 4, "{buckets_seen:?}");
}

/// Every trace's spans in decoded OTLP requests: (trace, span) -> (duration
/// in seconds, end).
fn otlp_spans(
    traces: &[opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest],
) -> HashMap<(Vec<u8>, Vec<u8>), (f64, u64)> {
    let mut out = HashMap::new();
    for r in traces {
        for rs in &r.resource_spans {
            for ss in &rs.scope_spans {
                for s in &ss.spans {
                    let d = (s.end_time_unix_nano - s.start_time_unix_nano) as f64 / 1e9;
                    out.insert(
                        (s.trace_id.clone(), s.span_id.clone()),
                        (d, s.end_time_unix_nano),
                    );
                }
            }
        }
    }
    out
}

/// The histogram data points of decoded OTLP requests, in order, with
/// their metric's name.
fn otlp_histograms(
    metrics: &[opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest],
) -> Vec<(
    String,
    opentelemetry_proto::tonic::metrics::v1::HistogramDataPoint,
)> {
    use opentelemetry_proto::tonic::metrics::v1::metric::Data;
    let mut out = Vec::new();
    for r in metrics {
        for rm in &r.resource_metrics {
            for sm in &rm.scope_metrics {
                for m in &sm.metrics {
                    if let Some(Data::Histogram(h)) = &m.data {
                        for p in &h.data_points {
                            out.push((m.name.clone(), p.clone()));
                        }
                    }
                }
            }
        }
    }
    out
}

#[test]
fn otlp_exemplars_name_emitted_spans_of_their_interval_in_protobuf_and_json() {
    use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
    use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
    use opentelemetry_proto::tonic::metrics::v1::exemplar;
    use prost::Message;
    use tsim_runtime::sink::otlp::{BatchSizes, Collected, OtlpSink, Signal};
    use tsim_runtime::sink::otlp_json::OtlpJsonSink;

    let p = pack(SCENARIO);
    let opts = sim::Options {
        start_ns: 1_700_000_000_000_000_000,
        ..Default::default()
    };
    let mut proto = OtlpSink::new(Collected::default(), BatchSizes::default());
    sim::run(&p, &opts, &mut proto, &mut |_, _, _| {}).expect("runs");
    let c = proto.into_requests();
    let decode = |signal| {
        c.requests
            .iter()
            .filter(move |(s, _, _)| *s == signal)
            .map(|(_, b, _)| &b[..])
    };
    let traces: Vec<ExportTraceServiceRequest> = decode(Signal::Traces)
        .map(|b| ExportTraceServiceRequest::decode(b).expect("decodes"))
        .collect();
    let metrics: Vec<ExportMetricsServiceRequest> = decode(Signal::Metrics)
        .map(|b| ExportMetricsServiceRequest::decode(b).expect("decodes"))
        .collect();

    let dir = std::env::temp_dir().join(format!("tsim-exemplars-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut json = OtlpJsonSink::create(&dir).expect("creates");
    sim::run(&p, &opts, &mut json, &mut |_, _, _| {}).expect("runs");
    let json_metrics: Vec<ExportMetricsServiceRequest> =
        std::fs::read_to_string(dir.join("metrics.jsonl"))
            .expect("metrics.jsonl")
            .lines()
            .map(|l| serde_json::from_str(l).expect("decodes as OTLP/JSON"))
            .collect();
    let _ = std::fs::remove_dir_all(&dir);

    let spans = otlp_spans(&traces);
    let points = otlp_histograms(&metrics);
    assert_eq!(
        points,
        otlp_histograms(&json_metrics),
        "JSON carries the same exemplars"
    );
    let tick = 10_000_000_000u64;
    let mut n = 0;
    let mut seen = std::collections::HashSet::new();
    for (name, point) in &points {
        if name == "queue.wait" {
            assert!(point.exemplars.is_empty(), "a process has no spans");
            continue;
        }
        assert!(point.exemplars.len() <= point.bucket_counts.len());
        for e in &point.exemplars {
            n += 1;
            let (duration, end) = spans
                .get(&(e.trace_id.clone(), e.span_id.clone()))
                .copied()
                .unwrap_or_else(|| panic!("{e:?} names no emitted span"));
            assert_eq!(e.value, Some(exemplar::Value::AsDouble(duration)), "{e:?}");
            assert_eq!(e.time_unix_nano, end, "{e:?}");
            assert!(e.filtered_attributes.is_empty());
            // Observed in this point's tick: ended before the point, not
            // before the tick began, and never repeated by a later point.
            assert!(
                e.time_unix_nano <= point.time_unix_nano + tick
                    && e.time_unix_nano + 2 * tick > point.time_unix_nano,
                "{e:?} is not of the tick ending {}",
                point.time_unix_nano
            );
            assert!(
                seen.insert((e.trace_id.clone(), e.span_id.clone(), name.clone())),
                "{e:?} repeated: a stale exemplar"
            );
        }
    }
    assert!(n > 30, "{n} exemplars");
}
