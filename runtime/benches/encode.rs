//! Benchmarks of the OTLP encoders, one group per signal, each over the
//! same simulated window of a small scenario that emits mostly that signal:
//!
//! - `null`: the run into the null sink (drawing only);
//! - `otlp-proto`: the run into `OtlpSink` with a byte counter (drawing +
//!   copy-and-patch protobuf encoding, batches of REFERENCE's sizes);
//! - `honeycomb`: the run into `HoneycombSink` with a counter (drawing +
//!   Events API JSON, one event per record plus exceptions and links);
//! - traces only, `otlp-json`: the run into `OtlpJsonSink` with a counter
//!   (drawing + OTLP/JSON encoding);
//! - traces only, `prost-encode`: no drawing; tsim's own requests of that
//!   run, decoded once into the official `opentelemetry_proto` (prost)
//!   message structs, encoded again with `Message::encode_to_vec`, one
//!   request (100 spans) at a time: what an SDK pays to serialise the
//!   same spans, which copy and patch avoids;
//! - traces only, `prost-clone-encode`: the same with each request cloned
//!   first (about what building the structs, with their strings and
//!   attribute vectors, costs on top).
//!
//! Throughput is records of the group's signal (spans, log records, data
//! points). The encode cost per record is `otlp-proto` minus `null`.
//! Run with `cargo bench -p tsim-runtime --bench encode`.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkGroup, Criterion, Throughput};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use prost::Message;
use tsim_pack::Pack;
use tsim_runtime::sim::{self, Summary};
use tsim_runtime::sink::honeycomb::HoneycombSink;
use tsim_runtime::sink::otlp::{BatchSizes, Collected, Counted, OtlpSink, Signal};
use tsim_runtime::sink::otlp_json::OtlpJsonSink;
use tsim_runtime::sink::{NullSink, Sink};

/// An HTTP service calling another, which queries a database: four spans
/// per request, ten generated attributes on the root, two on the callee.
/// No logs, no metrics.
const TRACES: &str = r#"
scenario "bench-traces" { seed 11 duration 1h traffic { rate 2000/s } }
resource { deployment.environment = "bench"  cloud.region = pick { "us-east-1": 5, "us-west-2": 3 } }
service "frontend" {
  version "3.2.1"  instances 4
  endpoint "GET /api/orders/{id}" {
    latency lognormal(median: 12ms, p99: 80ms)  errors 1% status pick { 500: 3, 503: 1 }
    attributes {
      user.id = pool(100000, "user-{n:06}")
      session.id = "{uuid}"
      request.id = "req-{hex:16}"
      cart.items = 1..40
      cart.value = 5.0..950.0
      user.premium = chance(10%)
      app.coupon = maybe(25%, pick { "SAVE10": 3, "FREESHIP": 1 })
      client.locale = pick { "en-US": 6, "de-DE": 2, "fr-FR": 1, "ja-JP": 1 }
      feature.flag = pick { "checkout-v2": 1, "control": 3 }
      session.age_s = exponential(mean: 600)
    }
    call "orders" "GET /orders/{id}"
  }
}
service "orders" {
  version "1.9.0"  instances 2
  endpoint "GET /orders/{id}" {
    latency lognormal(median: 5ms, p99: 40ms)  errors 0.5% status 500
    attributes { order.id = pool(1000000, "ord-{n:07}")  tenant.id = pool(200, "t-{n:03}") }
    query "postgres" "SELECT * FROM orders WHERE id = $1"
  }
}
database "postgres" { system postgresql  latency lognormal(median: 2ms, p99: 20ms) }
"#;

/// One log stream at 50,000 records/s with five generated attributes and
/// a templated message; one request a minute.
const LOGS: &str = r#"
scenario "bench-logs" { seed 12 duration 1h traffic { rate 1/m } }
resource { deployment.environment = "bench" }
service "api" { version "2.0.0"  instances 3  endpoint "GET /health" { latency 1ms } }
logs "app" {
  service "api"
  rate 50000/s
  level pick { DEBUG: 10, INFO: 70, WARN: 15, ERROR: 5 }
  message "user {user.id} did {n}"
  attributes {
    user.id = pool(100000, "user-{n:06}")
    n = 1..1000
    request.id = "req-{hex:16}"
    http.route = pick { "/api/orders": 5, "/api/users": 3, "/api/cart": 2 }
    duration_ms = exponential(mean: 40)
  }
}
"#;

/// About 500 series sampled every 100 ms: four gauges / up-down counters /
/// counters per instance of a 100-instance service, and a histogram from
/// spans per endpoint; 20 requests a second.
const METRICS: &str = r#"
scenario "bench-metrics" { seed 13 duration 1h tick 100ms traffic { rate 20/s } }
resource { deployment.environment = "bench" }
service "api" {
  version "2.0.0"  instances 100
  endpoint "GET /orders" { latency lognormal(median: 10ms, p99: 80ms)  errors 1% status 500 }
  endpoint "POST /orders" { latency lognormal(median: 30ms, p99: 200ms) }
}
metric "system.cpu.utilization" gauge per instance {
  walk brownian(start: 0.35, drift: 0, volatility: 0.02) within 0..1 }
metric "process.memory.usage" gauge unit "By" per instance {
  walk mean_revert(mean: 400000000, speed: 0.1, volatility: 1000000, start: 300000000) }
metric "http.server.active_requests" updown per instance {
  walk mean_revert(mean: 20, speed: 0.2, volatility: 2) within 0..1000 }
metric "jobs.processed" counter per instance {
  labels { queue = pick { "emails": 1, "webhooks": 2 } }
  walk poisson(rate: 5/s) }
metric "http.server.request.duration" histogram unit "s" per endpoint from spans
"#;

/// Checks, compiles and decodes a scenario given as source text.
fn pack(name: &str, src: &str) -> Pack {
    let out = tsim_compiler::check_source(name, src, &tsim_compiler::Options::default());
    assert!(
        out.diagnostics.is_empty(),
        "{name}: {:?}",
        out.diagnostics
            .iter()
            .map(|d| d.kind.message())
            .collect::<Vec<_>>()
    );
    let model = out.model.expect("the bench scenario checks");
    tsim_pack::decode(&tsim_compiler::compile(&model).expect("compiles")).expect("decodes")
}

/// A run of `seconds` of simulated time from a fixed instant.
fn options(seconds: u64) -> sim::Options {
    sim::Options {
        start_ns: 1_767_625_200_000_000_000,
        seed: None,
        duration_ns: Some(seconds * 1_000_000_000),
        ..Default::default()
    }
}

fn run(pack: &Pack, opts: &sim::Options, sink: &mut dyn Sink) -> Summary {
    sim::run(pack, opts, sink, &mut |_, _, _| {}).expect("runs")
}

/// Records of `signal` in a run.
fn items(sum: &Summary, signal: Signal) -> u64 {
    match signal {
        Signal::Traces => sum.spans,
        Signal::Metrics => sum.metrics,
        Signal::Logs => sum.logs,
    }
}

fn short(group: &mut BenchmarkGroup<'_, criterion::measurement::WallTime>) {
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));
}

/// The group of `signal`: the null sink and the protobuf encoder over the
/// same run (and for traces the JSON encoder and the prost baselines).
fn common(c: &mut Criterion, signal: Signal, src: &str, seconds: u64) {
    let pack = pack(signal.name(), src);
    let opts = options(seconds);
    let sum = run(&pack, &opts, &mut NullSink);
    let n = items(&sum, signal);
    assert!(
        n > 0,
        "the {} scenario emits {}",
        signal.name(),
        signal.items()
    );
    let mut proto = OtlpSink::new(Counted::default(), BatchSizes::default());
    run(&pack, &opts, &mut proto);
    let mut json = OtlpJsonSink::with_sizes(Counted::default(), BatchSizes::default());
    run(&pack, &opts, &mut json);
    let i = signal.index();
    let (p, j) = (*proto.requests(), json.into_requests());
    eprintln!(
        "encode-{}: {n} {} per run ({} s simulated), {} requests; bytes per record: \
         protobuf {:.0}, JSON {:.0}",
        signal.name(),
        signal.items(),
        seconds,
        p.requests[i],
        p.bytes[i] as f64 / n as f64,
        j.bytes[i] as f64 / n as f64,
    );
    let mut group = c.benchmark_group(format!("encode-{}", signal.name()));
    short(&mut group);
    group.throughput(Throughput::Elements(n));
    group.bench_function("null", |b| b.iter(|| run(&pack, &opts, &mut NullSink)));
    group.bench_function("otlp-proto", |b| {
        b.iter(|| {
            let mut sink = OtlpSink::new(Counted::default(), BatchSizes::default());
            run(&pack, &opts, &mut sink);
            let c = *sink.requests();
            assert_eq!(c.items[signal.index()], n);
            c.bytes
        })
    });
    group.bench_function("honeycomb", |b| {
        b.iter(|| {
            let mut sink = HoneycombSink::new(Counted::default(), BatchSizes::default(), 1);
            run(&pack, &opts, &mut sink);
            let c = *sink.requests();
            // Traces: spans plus their exception and link events.
            assert!(c.items[signal.index()] >= n);
            c.bytes
        })
    });
    if signal == Signal::Traces {
        traces_only(&mut group, &pack, &opts, n);
    }
    group.finish();
}

/// The JSON encoder and the prost baselines, for traces.
fn traces_only(
    group: &mut BenchmarkGroup<'_, criterion::measurement::WallTime>,
    pack: &Pack,
    opts: &sim::Options,
    spans: u64,
) {
    group.bench_function("otlp-json", |b| {
        b.iter(|| {
            let mut sink = OtlpJsonSink::with_sizes(Counted::default(), BatchSizes::default());
            run(pack, opts, &mut sink);
            let c = sink.into_requests();
            assert_eq!(c.items[Signal::Traces.index()], spans);
            c.bytes
        })
    });

    // tsim's own requests of the same run, decoded once.
    let mut collected = OtlpSink::new(Collected::default(), BatchSizes::default());
    run(pack, opts, &mut collected);
    let requests: Vec<ExportTraceServiceRequest> = collected
        .into_requests()
        .requests
        .iter()
        .filter(|(s, _, _)| *s == Signal::Traces)
        .map(|(_, body, _)| ExportTraceServiceRequest::decode(&body[..]).expect("decodes"))
        .collect();
    let decoded: u64 = requests
        .iter()
        .flat_map(|r| &r.resource_spans)
        .flat_map(|r| &r.scope_spans)
        .map(|s| s.spans.len() as u64)
        .sum();
    assert_eq!(decoded, spans);
    // The same messages give the same bytes: the baseline encodes what
    // tsim sends.
    let proto_bytes: usize = requests.iter().map(|r| r.encode_to_vec().len()).sum();
    eprintln!(
        "encode-traces: {spans} spans in {} requests, {:.0} protobuf bytes per span",
        requests.len(),
        proto_bytes as f64 / spans as f64
    );
    group.bench_function("prost-encode", |b| {
        b.iter(|| {
            let mut bytes = 0;
            for r in &requests {
                bytes += black_box(r.encode_to_vec()).len();
            }
            bytes
        })
    });
    group.bench_function("prost-clone-encode", |b| {
        b.iter(|| {
            let mut bytes = 0;
            for r in &requests {
                let owned = black_box(r.clone());
                bytes += black_box(owned.encode_to_vec()).len();
            }
            bytes
        })
    });
}

fn traces(c: &mut Criterion) {
    common(c, Signal::Traces, TRACES, 3);
}

fn logs(c: &mut Criterion) {
    common(c, Signal::Logs, LOGS, 2);
}

fn metrics(c: &mut Criterion) {
    common(c, Signal::Metrics, METRICS, 5);
}

criterion_group!(benches, traces, logs, metrics);
criterion_main!(benches);
