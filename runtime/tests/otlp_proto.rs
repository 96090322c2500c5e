//! The OTLP protobuf encoder held to the OTLP/JSON sink: one run encoded
//! both ways decodes, with the official OpenTelemetry types (prost for the
//! protobuf, serde for the JSON), to the same export requests, request for
//! request. So ids, times, resources, scopes, attributes in order,
//! statuses, events, links and every kind of data point are what the JSON
//! sink (itself checked field by field in `otlp_json.rs`) writes, and the
//! copy-and-patch bytes decode as OTLP.

mod common;

use common::{pack, OTLP_SCENARIO};
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::metrics::v1::metric::Data;
use prost::Message;
use tsim_pack::Pack;
use tsim_runtime::sim;
use tsim_runtime::sink::otlp::{BatchSizes, Collected, OtlpSink, Signal};
use tsim_runtime::sink::otlp_json::OtlpJsonSink;

/// Monday 2026-01-05 14:00:00 UTC.
const START: i64 = 1_767_621_600_000_000_000;

fn opts(minutes: u64) -> sim::Options {
    sim::Options {
        start_ns: START,
        seed: None,
        duration_ns: Some(minutes * 60_000_000_000),
        ..Default::default()
    }
}

fn lines<T: serde::de::DeserializeOwned>(dir: &std::path::Path, file: &str) -> Vec<T> {
    std::fs::read_to_string(dir.join(file))
        .expect(file)
        .lines()
        .map(|l| serde_json::from_str(l).expect("decodes as OTLP/JSON"))
        .collect()
}

fn decoded<T: Message + Default>(c: &Collected, signal: Signal) -> Vec<T> {
    c.requests
        .iter()
        .filter(|(s, _, _)| *s == signal)
        .map(|(_, b, _)| T::decode(&b[..]).expect("decodes as OTLP protobuf"))
        .collect()
}

fn both(p: &Pack, minutes: u64, name: &str) -> (Collected, std::path::PathBuf, sim::Summary) {
    let dir = std::env::temp_dir().join(format!("tsim-otlp-proto-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut json = OtlpJsonSink::create(&dir).expect("creates");
    let a = sim::run(p, &opts(minutes), &mut json, &mut |_, _, _| {}).expect("runs");
    let mut proto = OtlpSink::new(Collected::default(), BatchSizes::default());
    let b = sim::run(p, &opts(minutes), &mut proto, &mut |_, _, _| {}).expect("runs");
    assert_eq!((a.spans, a.logs, a.metrics), (b.spans, b.logs, b.metrics));
    (proto.into_requests(), dir, b)
}

#[test]
fn protobuf_requests_decode_to_what_the_json_sink_writes() {
    let p = pack(OTLP_SCENARIO);
    let (c, dir, sum) = both(&p, 10, "same");
    let traces: Vec<ExportTraceServiceRequest> = decoded(&c, Signal::Traces);
    let metrics: Vec<ExportMetricsServiceRequest> = decoded(&c, Signal::Metrics);
    let logs: Vec<ExportLogsServiceRequest> = decoded(&c, Signal::Logs);
    assert!(traces.len() > 100 && !metrics.is_empty() && logs.len() > 10);
    let json_traces: Vec<ExportTraceServiceRequest> = lines(&dir, "traces.jsonl");
    let json_metrics: Vec<ExportMetricsServiceRequest> = lines(&dir, "metrics.jsonl");
    let json_logs: Vec<ExportLogsServiceRequest> = lines(&dir, "logs.jsonl");
    assert_eq!(traces.len(), json_traces.len());
    for (i, (a, b)) in traces.iter().zip(&json_traces).enumerate() {
        assert_eq!(a, b, "traces request {i}");
    }
    assert_eq!(metrics.len(), json_metrics.len());
    for (a, b) in metrics.iter().zip(&json_metrics) {
        let flat = |r: &ExportMetricsServiceRequest| {
            r.resource_metrics
                .iter()
                .flat_map(|r| r.scope_metrics.iter().flat_map(|s| s.metrics.clone()))
                .collect::<Vec<_>>()
        };
        for (x, y) in flat(a).iter().zip(&flat(b)) {
            if let (Some(Data::Histogram(h)), Some(Data::Histogram(k))) = (&x.data, &y.data) {
                for (p, q) in h.data_points.iter().zip(&k.data_points) {
                    assert_eq!(p, q, "metric {}", x.name);
                }
            }
            assert_eq!(x, y, "metric {}", x.name);
        }
        assert_eq!(a, b);
    }
    assert_eq!(logs, json_logs);
    // Each request says how many items it holds, and they add up.
    let items = |s: Signal| -> u64 { c.requests.iter().filter(|r| r.0 == s).map(|r| r.2).sum() };
    let spans: usize = traces
        .iter()
        .flat_map(|r| &r.resource_spans)
        .flat_map(|r| &r.scope_spans)
        .map(|s| s.spans.len())
        .sum();
    assert_eq!(items(Signal::Traces), sum.spans);
    assert_eq!(spans as u64, sum.spans);
    assert_eq!(items(Signal::Logs), sum.logs);
    assert_eq!(items(Signal::Metrics), sum.metrics);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn batches_hold_at_most_their_size_and_runs_repeat_byte_for_byte() {
    let p = pack(OTLP_SCENARIO);
    let sizes = BatchSizes {
        spans: 7,
        points: 13,
        logs: 3,
    };
    let run = || {
        let mut s = OtlpSink::new(Collected::default(), sizes);
        sim::run(&p, &opts(1), &mut s, &mut |_, _, _| {}).expect("runs");
        s.into_requests()
    };
    let (a, b) = (run(), run());
    assert_eq!(a.requests, b.requests);
    for (signal, body, items) in &a.requests {
        let cap = match signal {
            Signal::Traces => sizes.spans,
            Signal::Metrics => sizes.points,
            Signal::Logs => sizes.logs,
        };
        assert!(*items >= 1 && *items as usize <= cap, "{signal:?} {items}");
        assert!(!body.is_empty());
    }
}
