//! Helpers shared by the runtime's integration tests.

use tsim_compiler::{check_source, compile, Options};
use tsim_pack::{decode, Pack};

/// Checks, compiles and decodes a scenario given as source text; panics
/// with the diagnostics when it does not check.
pub fn pack(src: &str) -> Pack {
    let out = check_source("test.tsim", src, &Options::default());
    assert!(
        out.diagnostics.is_empty(),
        "{:?}",
        out.diagnostics
            .iter()
            .map(|d| d.kind.message())
            .collect::<Vec<_>>()
    );
    decode(&compile(&out.model.expect("checks")).expect("compiles")).expect("decodes")
}

/// A call (with a retry), a query, a publish with a consumer, error rates
/// (one with a declared type, so exceptions), span-derived logs, a log
/// stream, a gauge, a counter and a histogram from spans.
#[allow(dead_code)]
pub const OTLP_SCENARIO: &str = r#"
scenario "otlp" { seed 7 duration 10m tick 10s traffic { rate 20/s } }
resource { deployment.environment.name = "test" }
service "api" {
  version "1.2.3"  instances 2
  endpoint "GET /orders" {
    latency lognormal(median: 20ms, p99: 120ms)
    errors 5% status 500
    call "orders" "list" retries 1
    query "db" "SELECT * FROM orders"
    publish "bus" "orders.viewed" on_error ignore
  }
}
service "orders" {
  endpoint "list" {
    latency 5ms
    errors 10% status pick { 502: 1, 503: 1 } type "UpstreamError"
  }
}
service "audit" { endpoint "record" { consume "bus" "orders.viewed"  latency 2ms } }
database "db" { system postgresql  latency 2ms }
queue "bus" { system kafka }
metric "system.cpu.utilization" gauge per instance {
  walk brownian(start: 0.3, drift: 0, volatility: 0.02) within 0..1
}
metric "api.requests" counter from spans of "api"
metric "http.server.request.duration" histogram unit "s" per endpoint from spans
logs from spans { access  errors level ERROR message "upstream {peer} failed" }
logs "worker" {
  service "api"
  rate 5/s
  level pick { INFO: 8, WARN: 2 }
  message "job {job.id} done"
  attributes { job.id = pool(50, "job-{n:02}") }
}
"#;
