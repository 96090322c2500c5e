//! A `from spans` metric named as a convention counts exactly the spans
//! the convention covers: `http.server.request.duration` counts every HTTP
//! server span and no RPC one, splits them by status code with
//! `error.type` on the failed ones, and its failed share is the declared
//! error rate (within 4 sigma).

mod common;

use std::collections::BTreeMap;

use common::pack;
use tsim_runtime::sim;
use tsim_runtime::sink::memory::MemorySink;

const SCENARIO: &str = r#"
scenario "red" { seed 21 duration 10m tick 10m traffic { rate 40/s } }
service "edge" {
  endpoint "GET /items/{id}" { latency 4ms  errors 10% status 503  call "stock" "reserve" }
}
service "stock" { endpoint "reserve" { latency 2ms } }
metric "http.server.request.duration" histogram unit "s" per service from spans
"#;

#[test]
fn the_http_duration_histogram_counts_http_server_spans_only() {
    let mut sink = MemorySink::default();
    let opts = sim::Options {
        start_ns: 1_700_000_000_000_000_000,
        ..Default::default()
    };
    sim::run(&pack(SCENARIO), &opts, &mut sink, &mut |_, _, _| {}).expect("runs");
    let http: Vec<_> = sink.spans.iter().filter(|s| s.parent.is_none()).collect();
    let failed = http.iter().filter(|s| s.error).count() as f64;
    // The last (cumulative) `_count` of each series.
    let mut counts: BTreeMap<&str, f64> = BTreeMap::new();
    for p in &sink.metrics {
        if p.metric.starts_with("http.server.request.duration_count") {
            counts.insert(&p.metric, p.value);
        }
    }
    assert!(
        counts
            .keys()
            .all(|k| !k.contains("reserve") && !k.contains("status=")),
        "{counts:?}"
    );
    let total: f64 = counts.values().sum();
    let errors: f64 = counts
        .iter()
        .filter(|(k, _)| k.contains("error.type=\"503\""))
        .map(|(_, v)| v)
        .sum();
    assert_eq!(total, http.len() as f64, "{counts:?}");
    assert_eq!(errors, failed, "{counts:?}");
    // 10% declared: the failed share within 4 sigma of it.
    let n = total;
    let sigma = (0.1 * 0.9 / n).sqrt();
    assert!(((errors / n) - 0.1).abs() < 4.0 * sigma, "{errors} of {n}");
}

/// A `per instance` derived counter finds each instance's row by its
/// `service.instance.id` (a UUID, in the series' resource): one growing
/// series per instance, which
/// together count every server span.
#[test]
fn a_per_instance_counter_counts_each_instances_spans() {
    let scenario = r#"
scenario "inst" { seed 4 duration 2m tick 1m traffic { rate 30/s } }
service "api" { instances 3 endpoint "GET /" { latency 2ms } }
metric "requests" counter per instance from spans
"#;
    let mut sink = MemorySink::default();
    let opts = sim::Options {
        start_ns: 1_700_000_000_000_000_000,
        ..Default::default()
    };
    sim::run(&pack(scenario), &opts, &mut sink, &mut |_, _, _| {}).expect("runs");
    // Each instance's series is in its instance's resource.
    let mut last: BTreeMap<(&str, Option<&str>), f64> = BTreeMap::new();
    for p in &sink.metrics {
        if p.metric.starts_with("requests") {
            last.insert((&p.metric, p.instance_id.as_deref()), p.value);
        }
    }
    assert_eq!(last.len(), 3, "one series per instance: {last:?}");
    assert!(last.values().all(|v| *v > 0.0), "{last:?}");
    let spans = sink.spans.iter().filter(|s| s.parent.is_none()).count() as f64;
    assert_eq!(last.values().sum::<f64>(), spans, "{last:?}");
}

/// `rpc.server.call.duration` splits gRPC server spans by their
/// `rpc.response.status_code`: each code's `_count` is exactly the server
/// spans that carried it, and UNAVAILABLE (a declared 503) is the declared
/// share within 4 sigma.
#[test]
fn the_rpc_duration_histogram_splits_by_grpc_status() {
    let scenario = r#"
scenario "rpc" { seed 8 duration 5m tick 5m traffic { rate 40/s } }
service "edge" { endpoint "GET /" { latency 2ms  call "stock" "reserve" on_error ignore } }
service "stock" { endpoint "reserve" { latency 2ms  errors 20% status 503 } }
metric "rpc.server.call.duration" histogram unit "s" per service from spans
"#;
    let mut sink = MemorySink::default();
    let opts = sim::Options {
        start_ns: 1_700_000_000_000_000_000,
        ..Default::default()
    };
    sim::run(&pack(scenario), &opts, &mut sink, &mut |_, _, _| {}).expect("runs");
    let mut by_code: BTreeMap<String, f64> = BTreeMap::new();
    for s in &sink.spans {
        if s.operation == "reserve" && s.kind == tsim_pack::SpanKind::Server {
            let code = s
                .attributes
                .iter()
                .find(|(k, _)| k == "rpc.response.status_code")
                .map(|(_, v)| v.clone())
                .expect("a gRPC server span has its status code");
            *by_code.entry(code).or_default() += 1.0;
        }
    }
    let mut counts: BTreeMap<String, f64> = BTreeMap::new();
    for p in &sink.metrics {
        if let Some(rest) = p.metric.strip_prefix("rpc.server.call.duration_count") {
            let code = rest
                .split("rpc.response.status_code=\"")
                .nth(1)
                .and_then(|r| r.split('"').next())
                .unwrap_or_else(|| panic!("no status code in {}", p.metric));
            counts.insert(code.to_string(), p.value);
        }
    }
    assert_eq!(counts, by_code, "{counts:?} vs {by_code:?}");
    let n: f64 = by_code.values().sum();
    let failed = by_code.get("UNAVAILABLE").copied().unwrap_or(0.0);
    let sigma = (0.2 * 0.8 / n).sqrt();
    assert!(((failed / n) - 0.2).abs() < 4.0 * sigma, "{failed} of {n}");
}
