//! Instance identity: every resource's `service.instance.id` is a version 4
//! format UUID, the same in every run of the same scenario and seed, new
//! with another seed, never shared by two instances, and the very id the
//! instance's per-instance metric series carry in their resource.
//! Deploys and scales replace instances: see `fleet.rs`.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{any_value::Value, KeyValue};
use opentelemetry_proto::tonic::metrics::v1::metric::Data;
use prost::Message;
use tsim_runtime::sim;
use tsim_runtime::sink::otlp::{BatchSizes, Collected, OtlpSink, Signal};

const SCENARIO: &str = r#"
scenario "instances" { seed 11 duration 1m tick 10s traffic { rate 100/s } }
service "api" {
  instances 4
  endpoint "GET /a" { latency 2ms  call "db-svc" "lookup" }
}
service "db-svc" {
  instances 3
  endpoint "lookup" { latency 1ms }
}
metric "system.cpu.utilization" gauge per instance unit "1" {
  walk brownian(start: 0.3, drift: 0, volatility: 0.01) within 0..1 }
"#;

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

/// What a run shows of its instances.
#[derive(Debug, PartialEq)]
struct Seen {
    /// Span resources: service.name -> its instance ids.
    resources: BTreeMap<String, BTreeSet<String>>,
    /// The ids the per-instance gauge's points carry.
    series: BTreeSet<String>,
}

fn run(seed: Option<u64>) -> Seen {
    let src = match seed {
        Some(s) => SCENARIO.replace("seed 11", &format!("seed {s}")),
        None => SCENARIO.to_string(),
    };
    let pack = common::pack(&src);
    let opts = sim::Options {
        start_ns: 1_767_621_600_000_000_000,
        ..Default::default()
    };
    let mut sink = OtlpSink::new(Collected::default(), BatchSizes::default());
    sim::run(&pack, &opts, &mut sink, &mut |_, _, _| {}).expect("runs");
    let mut seen = Seen {
        resources: BTreeMap::new(),
        series: BTreeSet::new(),
    };
    for (signal, body, _) in &sink.into_requests().requests {
        match signal {
            Signal::Traces => {
                let req = ExportTraceServiceRequest::decode(&body[..]).expect("decodes");
                for rs in req.resource_spans {
                    let attrs = rs.resource.expect("a resource").attributes;
                    let name = text(&attrs, "service.name").expect("service.name");
                    let id = text(&attrs, "service.instance.id").expect("an id");
                    seen.resources
                        .entry(name.to_string())
                        .or_default()
                        .insert(id.to_string());
                }
            }
            Signal::Metrics => {
                let req = ExportMetricsServiceRequest::decode(&body[..]).expect("decodes");
                for rm in &req.resource_metrics {
                    let attrs = &rm.resource.as_ref().expect("a resource").attributes;
                    for m in rm.scope_metrics.iter().flat_map(|s| &s.metrics) {
                        let Some(Data::Gauge(g)) = &m.data else {
                            continue;
                        };
                        for p in &g.data_points {
                            // The id is the resource's, not a point attribute.
                            assert_eq!(text(&p.attributes, "service.instance.id"), None);
                            let id = text(attrs, "service.instance.id").expect("an id");
                            seen.series.insert(id.to_string());
                        }
                    }
                }
            }
            Signal::Logs => {}
        }
    }
    seen
}

fn is_uuid_v4(id: &str) -> bool {
    let groups: Vec<&str> = id.split('-').collect();
    groups.iter().map(|g| g.len()).eq([8, 4, 4, 4, 12])
        && id
            .chars()
            .all(|c| c == '-' || c.is_ascii_digit() || ('a'..='f').contains(&c))
        && id.get(14..15) == Some("4")
        && matches!(id.get(19..20), Some("8" | "9" | "a" | "b"))
}

#[test]
fn instance_ids_are_stable_uuids_distinct_per_instance_and_shared_by_series() {
    let a = run(None);
    let counts: Vec<(&str, usize)> = a
        .resources
        .iter()
        .map(|(s, ids)| (s.as_str(), ids.len()))
        .collect();
    assert_eq!(counts, [("api", 4), ("db-svc", 3)], "{a:?}");
    let all: BTreeSet<&String> = a.resources.values().flatten().collect();
    assert_eq!(all.len(), 7, "an id shared by two instances: {a:?}");
    for id in &all {
        assert!(is_uuid_v4(id), "{id} is not a v4 UUID");
    }
    // The per-instance gauge names the same instances.
    assert_eq!(a.series.iter().collect::<BTreeSet<_>>(), all);
    // The same scenario and seed: the same ids; another seed: new ones.
    assert_eq!(run(None), a);
    let b = run(Some(12));
    let other: BTreeSet<&String> = b.resources.values().flatten().collect();
    assert!(other.is_disjoint(&all), "{b:?}");
}
