//! gRPC status codes end to end: endpoints that declare each HTTP-style
//! status get the gRPC code it maps to on their server and client spans,
//! the span status the gRPC conventions give that code on each side, and
//! `error.type` the code; a client that gives up at its timeout reports
//! `DEADLINE_EXCEEDED` (every span also passes the conventions' rules).

mod common;
// The suite's rules; this test uses the span rules only.
#[allow(dead_code)]
#[path = "conventions/rules.rs"]
mod rules;

use std::collections::BTreeMap;
use std::path::Path;

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::trace::v1::{span::SpanKind, Span};
use prost::Message;
use rules::Registry;
use tsim_runtime::sim;
use tsim_runtime::sink::otlp::{BatchSizes, Collected, OtlpSink, Signal};

/// Runs an inline scenario for its whole duration and collects its OTLP.
fn run_source(src: &str) -> Collected {
    let pack = common::pack(src);
    let opts = sim::Options {
        start_ns: 1_767_621_600_000_000_000,
        ..Default::default()
    };
    let mut sink = OtlpSink::new(Collected::default(), BatchSizes::default());
    sim::run(&pack, &opts, &mut sink, &mut |_, _, _| {}).expect("runs");
    sink.into_requests()
}

/// Every span of a run.
fn spans(c: &Collected) -> Vec<Span> {
    let mut out = Vec::new();
    for (signal, body, _) in &c.requests {
        if *signal == Signal::Traces {
            let req = ExportTraceServiceRequest::decode(&body[..]).expect("decodes");
            for rs in req.resource_spans {
                for ss in rs.scope_spans {
                    out.extend(ss.spans);
                }
            }
        }
    }
    out
}

#[test]
fn a_declared_status_on_a_grpc_endpoint_maps_to_its_grpc_code() {
    let src = r#"scenario "grpc-codes" { seed 7  duration 1m  tick 10s  traffic { rate 300/s } }
service "front" {
  endpoint "GET /go" {
    call "back" "unavailable" on_error ignore
    call "back" "deadline" on_error ignore
    call "back" "internal" on_error ignore
    call "back" "exhausted" on_error ignore
    call "back" "missing" on_error ignore
    call "back" "slow" timeout 10ms on_error ignore
  }
}
service "back" {
  endpoint "unavailable" { errors 30% status pick { 502: 1, 503: 1 } }
  endpoint "deadline" { errors 30% status 504 }
  endpoint "internal" { errors 30% }
  endpoint "exhausted" { errors 30% status 429 }
  endpoint "missing" { errors 30% status 404 }
  endpoint "slow" { latency uniform(5ms, 15ms) }
}
"#;
    let reg = Registry::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/semconv"));
    let spans = spans(&run_source(src));
    let mut problems = Vec::new();
    // (kind, method) -> code -> (spans, with status ERROR, error.type == code)
    type ByCode = BTreeMap<String, (u64, u64, u64)>;
    let mut seen: BTreeMap<(i32, String), ByCode> = BTreeMap::new();
    for s in &spans {
        rules::span(&reg, &mut problems, s);
        let a = &s.attributes;
        let (Some(method), Some(code)) = (
            rules::get(a, "rpc.method"),
            rules::get(a, "rpc.response.status_code"),
        ) else {
            continue;
        };
        let error = s.status.as_ref().is_some_and(|st| st.code == 2);
        let typed = rules::get(a, "error.type").as_deref() == Some(code.as_str());
        let e = seen
            .entry((s.kind, method))
            .or_default()
            .entry(code)
            .or_default();
        e.0 += 1;
        e.1 += u64::from(error);
        e.2 += u64::from(typed);
    }
    assert!(
        problems.is_empty(),
        "{:#?}",
        &problems[..problems.len().min(20)]
    );
    let server = SpanKind::Server as i32;
    let client = SpanKind::Client as i32;
    // method -> the code its failures carry, and whether a server span
    // with it is an error.
    let expected = [
        ("unavailable", "UNAVAILABLE", true),
        ("deadline", "DEADLINE_EXCEEDED", true),
        ("internal", "INTERNAL", true),
        ("exhausted", "RESOURCE_EXHAUSTED", false),
        ("missing", "NOT_FOUND", false),
    ];
    for (method, code, server_error) in expected {
        for kind in [server, client] {
            let codes = seen
                .get(&(kind, method.to_string()))
                .cloned()
                .unwrap_or_default();
            let names: Vec<&String> = codes.keys().collect();
            let mut want = [code, "OK"];
            want.sort();
            assert_eq!(names, want, "{method} kind {kind}: {codes:?}");
            let (n, errors, typed) = codes[code];
            let (ok, ok_errors, _) = codes["OK"];
            // About 30% of the requests fail.
            let share = n as f64 / (n + ok) as f64;
            assert!((0.25..0.35).contains(&share), "{method}: {share}");
            assert_eq!(ok_errors, 0, "{method} kind {kind}: an OK span is an error");
            let is_error = kind == client || server_error;
            assert_eq!(errors, if is_error { n } else { 0 }, "{method} kind {kind}");
            assert_eq!(
                typed, errors,
                "{method} kind {kind}: error.type is the code"
            );
        }
    }
    // A client that gives up reports DEADLINE_EXCEEDED; its server was fine.
    let slow = &seen[&(client, "slow".to_string())];
    let (n, errors, typed) = slow["DEADLINE_EXCEEDED"];
    assert!(n > 100 && errors == n && typed == n, "{slow:?}");
    assert_eq!(
        seen[&(server, "slow".to_string())]
            .keys()
            .collect::<Vec<_>>(),
        ["OK"]
    );
}
