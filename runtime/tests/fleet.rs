//! Instances through a deploy and a scale, read back from the OTLP
//! requests a run sends: `service.instance.id` changes exactly at those
//! instants, spans and stream logs use exactly the instances running at
//! the time (spread evenly over them, within 4 sigma), and per-instance series live in the
//! resource of a running instance, their cumulative counts starting when
//! the instance did.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{any_value::Value, KeyValue};
use opentelemetry_proto::tonic::metrics::v1::metric::Data;
use prost::Message;
use tsim_runtime::sim;
use tsim_runtime::sink::otlp::{BatchSizes, Collected, OtlpSink, Signal};

const SCENARIO: &str = r#"
scenario "fleet" { seed 3 duration 30m tick 10s traffic { rate 40/s } }
service "api" {
  instances 2
  version "1.0.0"
  endpoint "GET /a" { latency 2ms }
}
metric "process.cpu.utilization" gauge per instance unit "1" {
  walk brownian(start: 0.3, drift: 0, volatility: 0.01) within 0..1 }
metric "api.requests" counter per instance from spans
logs "worker" { service "api" rate 20/s message "tick" }
timeline {
  at 10m deploy "api" version "2.0.0"
  at 20m scale "api" instances 5
}
"#;

const START: u64 = 1_767_621_600_000_000_000;
const MIN: u64 = 60_000_000_000;

fn text<'a>(attrs: &'a [KeyValue], key: &str) -> Option<&'a str> {
    match attrs
        .iter()
        .find(|a| a.key == key)?
        .value
        .as_ref()?
        .value
        .as_ref()?
    {
        Value::StringValue(s) => Some(s),
        _ => None,
    }
}

/// The window (0: before the deploy, 1: before the scale, 2: after) of an
/// offset from the run's start.
fn window(offset: u64) -> usize {
    (offset / (10 * MIN)).min(2) as usize
}

#[derive(Default)]
struct Seen {
    /// Per window: spans per instance id (with their version).
    spans: [BTreeMap<String, u64>; 3],
    /// Per window: stream logs per instance id.
    logs: [BTreeMap<String, u64>; 3],
    versions: [BTreeSet<String>; 3],
    /// Per window of a point's interval (time - tick): the ids of the gauge
    /// and counter series.
    gauge: [BTreeSet<String>; 3],
    counter: [BTreeSet<String>; 3],
    /// Counter points: (id, start offset, time offset, value).
    sums: Vec<(String, u64, u64, f64)>,
}

fn run() -> Seen {
    let pack = common::pack(SCENARIO);
    let opts = sim::Options {
        start_ns: START as i64,
        ..Default::default()
    };
    let mut sink = OtlpSink::new(Collected::default(), BatchSizes::default());
    sim::run(&pack, &opts, &mut sink, &mut |_, _, _| {}).expect("runs");
    let mut seen = Seen::default();
    for (signal, body, _) in &sink.into_requests().requests {
        match signal {
            Signal::Traces => {
                let req = ExportTraceServiceRequest::decode(&body[..]).expect("decodes");
                for rs in req.resource_spans {
                    let attrs = rs.resource.expect("a resource").attributes;
                    let id = text(&attrs, "service.instance.id")
                        .expect("an id")
                        .to_string();
                    let version = text(&attrs, "service.version").unwrap_or("").to_string();
                    for s in rs.scope_spans.iter().flat_map(|s| &s.spans) {
                        // Roots start at their arrival, when the instance was chosen.
                        if !s.parent_span_id.is_empty() {
                            continue;
                        }
                        let w = window(s.start_time_unix_nano - START);
                        *seen.spans[w].entry(id.clone()).or_default() += 1;
                        seen.versions[w].insert(version.clone());
                    }
                }
            }
            Signal::Metrics => {
                let req = ExportMetricsServiceRequest::decode(&body[..]).expect("decodes");
                for rm in &req.resource_metrics {
                    let attrs = &rm.resource.as_ref().expect("a resource").attributes;
                    let id = text(attrs, "service.instance.id").map(str::to_string);
                    for m in rm.scope_metrics.iter().flat_map(|s| &s.metrics) {
                        let id = id.clone().expect("a per-instance series has an instance");
                        match &m.data {
                            Some(Data::Gauge(g)) => {
                                for p in &g.data_points {
                                    assert_eq!(text(&p.attributes, "service.instance.id"), None);
                                    let w = window(p.time_unix_nano - START - 10_000_000_000);
                                    seen.gauge[w].insert(id.clone());
                                }
                            }
                            Some(Data::Sum(sum)) => {
                                for p in &sum.data_points {
                                    assert_eq!(text(&p.attributes, "service.instance.id"), None);
                                    let w = window(p.time_unix_nano - START - 10_000_000_000);
                                    seen.counter[w].insert(id.clone());
                                    let v = match p.value {
                                        Some(opentelemetry_proto::tonic::metrics::v1::number_data_point::Value::AsInt(i)) => i as f64,
                                        Some(opentelemetry_proto::tonic::metrics::v1::number_data_point::Value::AsDouble(d)) => d,
                                        None => 0.0,
                                    };
                                    seen.sums.push((
                                        id.clone(),
                                        p.start_time_unix_nano - START,
                                        p.time_unix_nano - START,
                                        v,
                                    ));
                                }
                            }
                            _ => {}
                        }
                    }
                }
            }
            Signal::Logs => {
                let req = ExportLogsServiceRequest::decode(&body[..]).expect("decodes");
                for rl in req.resource_logs {
                    let attrs = rl.resource.expect("a resource").attributes;
                    let id = text(&attrs, "service.instance.id").expect("an id");
                    for l in rl.scope_logs.iter().flat_map(|s| &s.log_records) {
                        let w = window(l.time_unix_nano - START);
                        *seen.logs[w].entry(id.to_string()).or_default() += 1;
                    }
                }
            }
        }
    }
    seen
}

#[test]
fn deploys_and_scales_replace_instances_and_their_series() {
    let seen = run();
    let ids = |w: usize| seen.spans[w].keys().cloned().collect::<BTreeSet<_>>();
    let (before, deployed, scaled) = (ids(0), ids(1), ids(2));
    // Exactly the running instances, in each window.
    assert_eq!((before.len(), deployed.len(), scaled.len()), (2, 2, 5));
    // The deploy replaced both; the scale kept them and added three new.
    assert!(before.is_disjoint(&deployed), "{before:?} {deployed:?}");
    assert!(deployed.is_subset(&scaled), "{deployed:?} {scaled:?}");
    assert!(before.is_disjoint(&scaled));
    assert_eq!(seen.versions[0], BTreeSet::from(["1.0.0".to_string()]));
    assert_eq!(seen.versions[1], BTreeSet::from(["2.0.0".to_string()]));
    // Spans and stream logs spread evenly over the running instances
    // (binomial, 4 sigma).
    for (w, counts) in seen.spans.iter().chain(&seen.logs).enumerate() {
        let w = w % 3;
        assert_eq!(counts.keys().cloned().collect::<BTreeSet<_>>(), ids(w));
        let n: u64 = counts.values().sum();
        let p = 1.0 / counts.len() as f64;
        let (mean, sd) = (n as f64 * p, (n as f64 * p * (1.0 - p)).sqrt());
        for (id, &c) in counts {
            assert!(
                (c as f64 - mean).abs() <= 4.0 * sd,
                "window {w}: {id} has {c} of {n}, expected {mean:.0} ± {:.0}",
                4.0 * sd
            );
        }
    }
    // Per-instance series are those of the running instances, in their
    // resource.
    for w in 0..3 {
        assert_eq!(seen.gauge[w], ids(w), "gauge, window {w}");
        assert_eq!(seen.counter[w], ids(w), "counter, window {w}");
    }
    // A counter of a new instance starts when it did, from zero.
    for (id, start, time, v) in &seen.sums {
        let born = if before.contains(id) {
            0
        } else if deployed.contains(id) {
            10 * MIN
        } else {
            20 * MIN
        };
        assert_eq!(
            *start, born,
            "{id}'s counter starts at its instance's start"
        );
        let spans: u64 = (window(born)..=window(time - 1))
            .map(|w| seen.spans[w].get(id).copied().unwrap_or(0))
            .sum();
        assert!(
            *v <= spans as f64,
            "{id} at {time}: {v} > its {spans} spans"
        );
    }
    // The same scenario and seed name the same instances.
    assert_eq!(run().spans, seen.spans);
}
