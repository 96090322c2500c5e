//! Structured log bodies (`body { }`): the OTLP protobuf and OTLP/JSON
//! sinks write them as a `kvlistValue` the official protos decode alike,
//! their patterns borrow the record's attributes and (for span-derived
//! logs) the span's fields, and a pick in a body comes out in its declared
//! proportions.

mod common;

use common::pack;
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value::Value as Any;
use opentelemetry_proto::tonic::logs::v1::LogRecord;
use prost::Message;
use tsim_runtime::sim;
use tsim_runtime::sink::otlp::{BatchSizes, Collected, OtlpSink, Signal};
use tsim_runtime::sink::otlp_json::OtlpJsonSink;

const SCENARIO: &str = r#"
scenario "bodies" { seed 11 duration 10m tick 10s traffic { rate 20/s } }
service "api" {
  endpoint "GET /users/{id}" { latency 5ms errors 10% status 503 }
}
logs from spans {
  errors level ERROR body { event = "failed", request = "{request}", status = "{status}" }
  access body { request = "{request}", tier = "{tier}", took = "{duration_ms}" }
    attributes { tier = pick { "gold": 1, "free": 3 } }
}
logs "worker" {
  service "api"
  rate 5/s
  attributes { job.id = pool(50, "job-{n:02}") }
  body { msg = "job {job.id} done", attempt = 1..4, ok = true }
}
"#;

/// Monday 2026-01-05 14:00:00 UTC.
const START: i64 = 1_767_621_600_000_000_000;

fn opts() -> sim::Options {
    sim::Options {
        start_ns: START,
        seed: None,
        duration_ns: Some(600_000_000_000),
        ..Default::default()
    }
}

fn records(requests: &[ExportLogsServiceRequest]) -> Vec<LogRecord> {
    requests
        .iter()
        .flat_map(|r| &r.resource_logs)
        .flat_map(|r| &r.scope_logs)
        .flat_map(|s| s.log_records.clone())
        .collect()
}

/// The body's fields, or a panic when the body is not a map.
fn fields(r: &LogRecord) -> Vec<(String, Any)> {
    match r.body.as_ref().and_then(|b| b.value.clone()) {
        Some(Any::KvlistValue(list)) => list
            .values
            .into_iter()
            .map(|kv| (kv.key, kv.value.and_then(|v| v.value).expect("a value")))
            .collect(),
        other => panic!("body is not a map: {other:?}"),
    }
}

fn text<'a>(f: &'a [(String, Any)], key: &str) -> &'a str {
    match f.iter().find(|(k, _)| k == key) {
        Some((_, Any::StringValue(s))) => s,
        other => panic!("no string field {key}: {other:?}"),
    }
}

fn attr(r: &LogRecord, key: &str) -> String {
    match r
        .attributes
        .iter()
        .find(|kv| kv.key == key)
        .and_then(|kv| kv.value.clone())
    {
        Some(v) => match v.value {
            Some(Any::StringValue(s)) => s,
            other => panic!("{key} is not a string: {other:?}"),
        },
        None => panic!("no attribute {key}"),
    }
}

#[test]
fn structured_bodies_are_maps_filled_from_the_record_and_the_span() {
    let p = pack(SCENARIO);
    let mut proto = OtlpSink::new(Collected::default(), BatchSizes::default());
    let sum = sim::run(&p, &opts(), &mut proto, &mut |_, _, _| {}).expect("runs");
    let requests: Vec<ExportLogsServiceRequest> = proto
        .into_requests()
        .requests
        .iter()
        .filter(|(s, _, _)| *s == Signal::Logs)
        .map(|(_, b, _)| ExportLogsServiceRequest::decode(&b[..]).expect("decodes"))
        .collect();
    let logs = records(&requests);
    assert_eq!(logs.len() as u64, sum.logs);

    let dir = std::env::temp_dir().join(format!("tsim-log-bodies-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut json = OtlpJsonSink::create(&dir).expect("creates");
    sim::run(&p, &opts(), &mut json, &mut |_, _, _| {}).expect("runs");
    drop(json);
    let json_requests: Vec<ExportLogsServiceRequest> =
        std::fs::read_to_string(dir.join("logs.jsonl"))
            .expect("logs.jsonl")
            .lines()
            .map(|l| serde_json::from_str(l).expect("decodes as OTLP/JSON"))
            .collect();
    assert_eq!(
        requests, json_requests,
        "protobuf and OTLP/JSON bodies agree"
    );
    let _ = std::fs::remove_dir_all(&dir);

    let (mut access, mut gold, mut errors, mut jobs) = (0u64, 0u64, 0u64, 0u64);
    for r in &logs {
        let f = fields(r);
        if r.trace_id.is_empty() {
            jobs += 1;
            let job = attr(r, "job.id");
            assert_eq!(text(&f, "msg"), format!("job {job} done"));
            assert!(f
                .iter()
                .any(|(k, v)| k == "ok" && *v == Any::BoolValue(true)));
            match f.iter().find(|(k, _)| k == "attempt") {
                // Integer ranges include both ends.
                Some((_, Any::IntValue(n))) => assert!((1..=4).contains(n), "attempt {n}"),
                other => panic!("attempt: {other:?}"),
            }
        } else if r.severity_text == "ERROR" {
            errors += 1;
            assert_eq!(text(&f, "event"), "failed");
            assert_eq!(text(&f, "status"), "503");
        } else {
            access += 1;
            let request = text(&f, "request");
            let id = request
                .strip_prefix("GET /users/")
                .expect("a concrete path");
            assert!(
                !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()),
                "{request}"
            );
            let tier = text(&f, "tier");
            assert_eq!(tier, attr(r, "tier"), "the body borrows the attribute");
            gold += u64::from(tier == "gold");
            let took: f64 = text(&f, "took").parse().expect("a duration");
            assert!(took > 0.0);
        }
        for (k, v) in &f {
            if let Any::StringValue(s) = v {
                assert!(!s.contains('{'), "unfilled placeholder in field {k}: {s}");
            }
        }
    }
    assert!(
        access > 1000 && errors > 50 && jobs > 1000,
        "{access} {errors} {jobs}"
    );
    // `tier` is 1 in 4 gold: within 4 sigma of a binomial share.
    let (n, p) = (access as f64, 0.25);
    let sigma = (n * p * (1.0 - p)).sqrt();
    assert!(
        (gold as f64 - n * p).abs() < 4.0 * sigma,
        "{gold} of {access} gold"
    );
}
