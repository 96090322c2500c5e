//! tsim against the official OpenTelemetry Rust SDK, into the same sink in
//! the same run: one loopback OTLP/gRPC server that reads and counts every
//! request without decoding it ([`CountingServer`], one thread), then
//!
//! - A, tsim: the stock `scenarios/checkout.tsim` paced `max` for SECONDS
//!   through tsim's exporter (OTLP/gRPC, default settings);
//! - B, the SDK (`opentelemetry_sdk` + `opentelemetry-otlp`, tonic): a
//!   tracer provider with a `BatchSpanProcessor` (queue 65,536, batches of
//!   512, 10 ms delay) over the OTLP gRPC span exporter, fed by a loop
//!   creating traces shaped like tsim's (a server root with 8 HTTP
//!   attributes and four client children with theirs), for SECONDS:
//!   1. as fast as the loop goes (the processor drops what its queue
//!      cannot hold);
//!   2. paced at fixed deadlines below the rate it dropped at (its no-loss
//!      throughput; retried slower if it still drops).
//!
//! Delivered spans are what the server accepted: tsim's exporter counts
//! them, and the SDK's exporter is wrapped to count the spans of every
//! export that returned success. CPU is the whole process's (utime +
//! stime from `/proc/self/stat`, every thread, exited ones included) minus
//! the counting server's threads (their `schedstat`), so it is what the
//! sender spent: generating or creating spans, encoding, sending.
//!
//! Run with `cargo run --release -p tsim-runtime --example sdk_compare --
//! [SECONDS] [SDK_RATE]` (default 10 s; SDK_RATE, spans/s, fixes the paced
//! row's rate instead of deriving it from the tight loop).

use std::error::Error;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use opentelemetry::trace::{Span as _, SpanKind, TraceContextExt as _, Tracer as _};
use opentelemetry::trace::{Status, TracerProvider as _};
use opentelemetry::{Context, KeyValue, StringValue, Value};
use opentelemetry_otlp::WithExportConfig as _;
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{
    BatchConfigBuilder, BatchSpanProcessor, SdkTracer, SdkTracerProvider, SpanData, SpanExporter,
};
use opentelemetry_sdk::Resource;
use tsim_runtime::bench::counting::CountingServer;
use tsim_runtime::sim::{self, Live, Pace, Shard};
use tsim_runtime::sink::otlp::export::{Config, Exporter, Transport};
use tsim_runtime::sink::otlp::{BatchSizes, OtlpSink, Signal};

type Res<T> = Result<T, Box<dyn Error>>;

/// Clock ticks per second of `/proc/self/stat` (USER_HZ, 100 on Linux).
const USER_HZ: f64 = 100.0;

/// The process's CPU time so far, every thread, exited ones included.
fn process_cpu() -> Res<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat")?;
    // The fields after the command's closing parenthesis: state is the
    // 3rd field of the line, utime the 14th, stime the 15th.
    let rest = stat.rsplit_once(')').ok_or("bad /proc/self/stat")?.1;
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = f.get(11).ok_or("no utime")?.parse::<u64>()?
        + f.get(12).ok_or("no stime")?.parse::<u64>()?;
    Ok(Duration::from_secs_f64(ticks as f64 / USER_HZ))
}

/// CPU time of the counting server's threads (named `tsim-bench-sink`).
fn server_cpu() -> Duration {
    let mut ns = 0u64;
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return Duration::ZERO;
    };
    for t in tasks.flatten() {
        let comm = std::fs::read_to_string(t.path().join("comm")).unwrap_or_default();
        if comm.trim_end() != "tsim-bench-sink" {
            continue;
        }
        let sched = std::fs::read_to_string(t.path().join("schedstat")).unwrap_or_default();
        ns += sched
            .split_whitespace()
            .next()
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0);
    }
    Duration::from_nanos(ns)
}

/// CPU and wall clock and the server's counts at the start of a phase.
struct Meter<'a> {
    server: &'a CountingServer,
    cpu: Duration,
    srv: Duration,
    taken: (u64, u64),
    t0: Instant,
}

/// What a phase took.
struct Took {
    wall: Duration,
    /// The sender's CPU: the process's minus the server's.
    cpu: Duration,
    server_cpu: Duration,
    requests: u64,
    bytes: u64,
}

impl<'a> Meter<'a> {
    fn start(server: &'a CountingServer) -> Res<Meter<'a>> {
        Ok(Meter {
            server,
            cpu: process_cpu()?,
            srv: server_cpu(),
            taken: server.taken(),
            t0: Instant::now(),
        })
    }
    fn stop(self) -> Res<Took> {
        let wall = self.t0.elapsed();
        let cpu = process_cpu()?.saturating_sub(self.cpu);
        let srv = server_cpu().saturating_sub(self.srv);
        let (r, b) = self.server.taken();
        Ok(Took {
            wall,
            cpu: cpu.saturating_sub(srv),
            server_cpu: srv,
            requests: r - self.taken.0,
            bytes: b - self.taken.1,
        })
    }
}

/// One row of the table.
struct Row {
    name: String,
    created: u64,
    delivered: u64,
    lost: u64,
    /// Spans created but not yet delivered when the loop ended (queued in
    /// the batch processor or in an export): small when the rate is
    /// sustainable.
    backlog: Option<u64>,
    took: Took,
    bytes_per_span: f64,
}

impl Row {
    fn rate(&self) -> f64 {
        self.delivered as f64 / self.took.wall.as_secs_f64()
    }
    fn cpu_us(&self) -> f64 {
        self.took.cpu.as_secs_f64() * 1e6 / self.delivered.max(1) as f64
    }
}

fn checkout() -> Res<tsim_pack::Pack> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/checkout.tsim");
    let out = tsim_compiler::check_file(&path, &tsim_compiler::Options::default());
    let Some(model) = out.model else {
        return Err(format!("{}: does not check", path.display()).into());
    };
    Ok(tsim_pack::decode(&tsim_compiler::compile(&model)?)?)
}

/// Phase A: tsim sends the checkout scenario as fast as it goes.
fn tsim_phase(server: &CountingServer, url: &str, seconds: u64) -> Res<(Row, String)> {
    let pack = checkout()?;
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?;
    let opts = sim::Options {
        start_ns: now.as_nanos() as i64,
        duration_ns: Some(seconds * 1_000_000_000),
        live: Some(Live {
            pace: Pace::Max,
            jitter_ns: 0,
            shard: Shard::default(),
            multiplier: 1.0,
            timeline_speed: 1.0,
        }),
        ..Default::default()
    };
    let config = Config::new(
        Transport::Grpc,
        [url.to_string(), url.to_string(), url.to_string()],
    );
    let meter = Meter::start(server)?;
    let mut sink = OtlpSink::new(Exporter::start(config)?, BatchSizes::default());
    // The run finishes the sink: the exporter has delivered everything (or
    // counted it failed) when it returns.
    let sum = sim::run(&pack, &opts, &mut sink, &mut |_, _, _| {})?;
    let exporter = sink.into_requests();
    let report = exporter.stats().report();
    drop(exporter);
    let took = meter.stop()?;
    let t = report.signal(Signal::Traces);
    let (m, l) = (report.signal(Signal::Metrics), report.signal(Signal::Logs));
    let lost: u64 = report
        .signals
        .iter()
        .map(|s| s.generated.saturating_sub(s.sent))
        .sum();
    if lost > 0 || t.generated != sum.spans {
        eprintln!("tsim: lost {lost} items: {report:?}");
    }
    let note = format!(
        "tsim also generated, encoded and delivered {} log records and {} metric points \
         (span-derived access/error logs and RED histograms of checkout.tsim) in the same CPU \
         ({:.2} µs per record of any signal); {} trace requests, {} spans generated, {} failed, \
         {} rejected; other signals lost {}",
        l.sent,
        m.sent,
        took.cpu.as_secs_f64() * 1e6 / (t.sent + l.sent + m.sent).max(1) as f64,
        t.requests,
        t.generated,
        t.failed,
        t.rejected,
        lost - (t.generated - t.sent),
    );
    Ok((
        Row {
            name: "tsim (checkout.tsim, --rate max)".into(),
            created: sum.spans,
            delivered: t.sent,
            lost: t.generated - t.sent,
            backlog: None,
            bytes_per_span: t.bytes as f64 / t.sent.max(1) as f64,
            took,
        },
        note,
    ))
}

/// The SDK's OTLP span exporter, counting the spans of every export that
/// succeeded (and of those that failed).
#[derive(Debug)]
struct Counting {
    inner: opentelemetry_otlp::SpanExporter,
    sent: Arc<AtomicU64>,
    failed: Arc<AtomicU64>,
}

impl SpanExporter for Counting {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        let n = batch.len() as u64;
        let r = self.inner.export(batch).await;
        match r {
            Ok(()) => self.sent.fetch_add(n, Ordering::Relaxed),
            Err(_) => self.failed.fetch_add(n, Ordering::Relaxed),
        };
        r
    }
    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.inner.shutdown_with_timeout(timeout)
    }
    fn force_flush(&self) -> OTelSdkResult {
        self.inner.force_flush()
    }
    fn set_resource(&mut self, resource: &Resource) {
        self.inner.set_resource(resource);
    }
}

/// Attribute values drawn from small pools, made once (as tsim's `pool`
/// generators are), so the loop spends its time in the SDK.
struct Values {
    users: Vec<Value>,
    orders: Vec<Value>,
    agents: Vec<Value>,
    clients: Vec<Value>,
    i: usize,
}

impl Values {
    fn new() -> Values {
        let v = |s: String| Value::String(StringValue::from(s));
        Values {
            users: (0..5000).map(|n| v(format!("user-{n:05}"))).collect(),
            orders: (0..5000).map(|n| v(format!("ord-{n:07}"))).collect(),
            agents: ["curl/8.5.0", "Go-http-client/2.0", "okhttp/4.12.0"]
                .into_iter()
                .map(|s| v(s.to_string()))
                .collect(),
            clients: (0..256)
                .map(|n| v(format!("10.1.{}.{}", n / 16, n % 16)))
                .collect(),
            i: 0,
        }
    }
    fn next(&mut self) -> usize {
        // A cheap, well-spread walk over the pools.
        self.i = self
            .i
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.i >> 33
    }
    fn pick(&mut self, pool: fn(&Values) -> &Vec<Value>) -> Value {
        let n = self.next();
        let p = pool(self);
        p[n % p.len()].clone()
    }
}

/// Spans per trace the loop makes.
const SPANS_PER_TRACE: u64 = 5;

/// One trace like tsim's checkout: a server root with the HTTP server
/// attributes, two HTTP client calls and two database queries under it.
fn make_trace(tracer: &SdkTracer, v: &mut Values) {
    let status: i64 = if v.next() % 200 == 0 { 500 } else { 200 };
    let root = tracer
        .span_builder("GET /checkout")
        .with_kind(SpanKind::Server)
        .with_attributes([
            KeyValue::new("http.request.method", "GET"),
            KeyValue::new("http.route", "/checkout"),
            KeyValue::new("url.scheme", "https"),
            KeyValue::new("server.address", "api-gateway"),
            KeyValue::new("network.protocol.version", "1.1"),
            KeyValue::new("http.response.status_code", status),
            KeyValue::new("user_agent.original", v.pick(|v| &v.agents)),
            KeyValue::new("client.address", v.pick(|v| &v.clients)),
        ])
        .start(tracer);
    let cx = Context::current_with_span(root);
    let user = v.pick(|v| &v.users);
    let order = v.pick(|v| &v.orders);
    let children = [
        tracer
            .span_builder("GET /users/{id}")
            .with_kind(SpanKind::Client)
            .with_attributes([
                KeyValue::new("peer.service", "user-service"),
                KeyValue::new("http.request.method", "GET"),
                KeyValue::new("server.address", "user-service"),
                KeyValue::new("http.response.status_code", 200),
                KeyValue::new("user.id", user),
            ]),
        tracer
            .span_builder("SELECT users")
            .with_kind(SpanKind::Client)
            .with_attributes([
                KeyValue::new("db.system.name", "postgresql"),
                KeyValue::new("db.query.text", "SELECT * FROM users WHERE id = $1"),
                KeyValue::new("db.operation.name", "SELECT"),
                KeyValue::new("db.collection.name", "users"),
                KeyValue::new("server.address", "postgres"),
            ]),
        tracer
            .span_builder("POST /orders")
            .with_kind(SpanKind::Client)
            .with_attributes([
                KeyValue::new("peer.service", "order-service"),
                KeyValue::new("http.request.method", "POST"),
                KeyValue::new("server.address", "order-service"),
                KeyValue::new("http.response.status_code", status),
                KeyValue::new("order.id", order),
            ]),
        tracer
            .span_builder("INSERT orders")
            .with_kind(SpanKind::Client)
            .with_attributes([
                KeyValue::new("db.system.name", "postgresql"),
                KeyValue::new("db.query.text", "INSERT INTO orders"),
                KeyValue::new("db.operation.name", "INSERT"),
                KeyValue::new("db.collection.name", "orders"),
                KeyValue::new("server.address", "postgres"),
            ]),
    ];
    for b in children {
        let mut s = tracer.build_with_context(b, &cx);
        s.end();
    }
    let span = cx.span();
    if status >= 500 {
        span.set_status(Status::error("Internal Server Error"));
    }
    span.end();
}

/// How the SDK's loop runs.
#[derive(Clone, Copy)]
enum Loop {
    /// As fast as it goes.
    Tight,
    /// This many spans per second, at fixed deadlines.
    Paced(f64),
}

/// Phase B: the SDK for `seconds`, its own provider and exporter each time.
fn sdk_phase(
    rt: &tokio::runtime::Runtime,
    server: &CountingServer,
    url: &str,
    seconds: u64,
    how: Loop,
) -> Res<Row> {
    let sent = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let provider = {
        // The tonic exporter's channel needs the tokio runtime.
        let _entered = rt.enter();
        let inner = opentelemetry_otlp::SpanExporter::builder()
            .with_tonic()
            .with_endpoint(url)
            .with_timeout(Duration::from_secs(10))
            .build()?;
        let exporter = Counting {
            inner,
            sent: sent.clone(),
            failed: failed.clone(),
        };
        let processor = BatchSpanProcessor::builder(exporter)
            .with_batch_config(
                BatchConfigBuilder::default()
                    .with_max_queue_size(65_536)
                    .with_max_export_batch_size(512)
                    .with_scheduled_delay(Duration::from_millis(10))
                    .build(),
            )
            .build();
        let resource = Resource::builder()
            .with_service_name("api-gateway")
            .with_attributes([
                KeyValue::new("service.version", "2.1.0"),
                KeyValue::new("service.instance.id", "api-gateway-0"),
                KeyValue::new("deployment.environment", "prod"),
                KeyValue::new("cloud.region", "us-east-1"),
            ])
            .build();
        SdkTracerProvider::builder()
            .with_span_processor(processor)
            .with_resource(resource)
            .build()
    };
    let tracer = provider.tracer("sdk_compare");
    let mut values = Values::new();
    let meter = Meter::start(server)?;
    let t0 = Instant::now();
    let limit = Duration::from_secs(seconds);
    let mut created = 0u64;
    match how {
        Loop::Tight => {
            while t0.elapsed() < limit {
                make_trace(&tracer, &mut values);
                created += SPANS_PER_TRACE;
            }
        }
        Loop::Paced(rate) => loop {
            let e = t0.elapsed();
            if e >= limit {
                break;
            }
            let due = (e.as_secs_f64() * rate) as u64;
            if created + SPANS_PER_TRACE > due {
                std::thread::sleep(Duration::from_micros(200));
                continue;
            }
            while created + SPANS_PER_TRACE <= due {
                make_trace(&tracer, &mut values);
                created += SPANS_PER_TRACE;
            }
        },
    }
    let backlog = created.saturating_sub(sent.load(Ordering::Relaxed));
    // Exports what is queued, then stops the processor's thread.
    if let Err(e) = provider.shutdown_with_timeout(Duration::from_secs(60)) {
        eprintln!("sdk: shutdown: {e}");
    }
    let took = meter.stop()?;
    let delivered = sent.load(Ordering::Relaxed);
    let failed = failed.load(Ordering::Relaxed);
    let name = match how {
        Loop::Tight => "OTel SDK, tight loop".to_string(),
        Loop::Paced(r) => format!("OTel SDK, paced {:.0}k spans/s", r / 1e3),
    };
    if failed > 0 {
        eprintln!("{name}: {failed} spans in failed exports");
    }
    Ok(Row {
        name,
        created,
        delivered,
        lost: created - delivered,
        backlog: Some(backlog),
        bytes_per_span: took.bytes as f64 / delivered.max(1) as f64,
        took,
    })
}

/// Whether a paced row kept up: nothing lost, and little left queued when
/// the loop ended (about 50 ms of spans and two batches).
fn kept_up(row: &Row, rate: f64) -> bool {
    row.lost == 0 && row.backlog.unwrap_or(0) <= (rate * 0.05) as u64 + 1024
}

/// The highest paced rate the SDK keeps up with, probed in short runs:
/// from 90% of the tight loop's delivered rate up by 15% steps while it
/// keeps up, or down by 25% steps until it does.
fn no_loss_rate(
    rt: &tokio::runtime::Runtime,
    server: &CountingServer,
    url: &str,
    seconds: u64,
    tight: f64,
) -> Res<f64> {
    let probe = (seconds / 3).clamp(2, 5);
    let mut rate = (tight * 0.9).max(1000.0);
    let mut best = None;
    for _ in 0..8 {
        let row = sdk_phase(rt, server, url, probe, Loop::Paced(rate))?;
        let ok = kept_up(&row, rate);
        eprintln!(
            "probe {rate:.0} spans/s for {probe} s: {} lost, {} backlog, {}",
            row.lost,
            row.backlog.unwrap_or(0),
            if ok { "kept up" } else { "behind" }
        );
        match (ok, best) {
            (true, _) => {
                best = Some(rate);
                rate *= 1.15;
            }
            (false, Some(b)) => return Ok(b),
            (false, None) => rate *= 0.75,
        }
    }
    Ok(best.unwrap_or(rate))
}

fn print(rows: &[Row]) {
    let head = [
        "sender",
        "created",
        "delivered",
        "lost",
        "backlog at end",
        "wall s",
        "delivered/s",
        "CPU s",
        "CPU µs/span",
        "bytes/span",
        "server CPU s",
        "server reqs",
    ];
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            vec![
                r.name.clone(),
                r.created.to_string(),
                r.delivered.to_string(),
                r.lost.to_string(),
                r.backlog.map_or("-".into(), |b| b.to_string()),
                format!("{:.2}", r.took.wall.as_secs_f64()),
                format!("{:.0}", r.rate()),
                format!("{:.2}", r.took.cpu.as_secs_f64()),
                format!("{:.2}", r.cpu_us()),
                format!("{:.0}", r.bytes_per_span),
                format!("{:.2}", r.took.server_cpu.as_secs_f64()),
                r.took.requests.to_string(),
            ]
        })
        .collect();
    let width: Vec<usize> = (0..head.len())
        .map(|i| {
            cells
                .iter()
                .map(|c| c[i].chars().count())
                .chain([head[i].chars().count()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |c: &[String]| {
        let mut s = String::from("|");
        for (i, v) in c.iter().enumerate() {
            let pad = " ".repeat(width[i] - v.chars().count());
            if i == 0 {
                s += &format!(" {v}{pad} |");
            } else {
                s += &format!(" {pad}{v} |");
            }
        }
        s
    };
    println!("{}", line(&head.map(String::from)));
    let rule: String = width
        .iter()
        .map(|w| format!("|{}", "-".repeat(w + 2)))
        .collect();
    println!("{rule}|");
    for c in &cells {
        println!("{}", line(c));
    }
}

fn main() -> Res<()> {
    let mut args = std::env::args().skip(1);
    let seconds: u64 = match args.next() {
        Some(s) => s.parse().map_err(|e| format!("SECONDS: {e}"))?,
        None => 10,
    };
    let fixed_rate: Option<f64> = match args.next() {
        Some(s) => Some(s.parse().map_err(|e| format!("SDK_RATE: {e}"))?),
        None => None,
    };
    let server = CountingServer::start(1)?;
    let url = format!("http://{}", server.addr);
    println!(
        "counting server on {url}; {seconds} s per row; {} cores",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );

    let (tsim, note) = tsim_phase(&server, &url, seconds)?;
    eprintln!("A done: {:.0} spans/s", tsim.rate());

    // One sender thread, as tsim's exporter has on a 2-core machine.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("sdk-tokio")
        .enable_all()
        .build()?;
    let tight = sdk_phase(&rt, &server, &url, seconds, Loop::Tight)?;
    eprintln!("B1 done: {:.0} spans/s, {} lost", tight.rate(), tight.lost);
    let mut rate = match fixed_rate {
        Some(r) => r,
        None => no_loss_rate(&rt, &server, &url, seconds, tight.rate())?,
    };
    let mut paced = sdk_phase(&rt, &server, &url, seconds, Loop::Paced(rate))?;
    let mut tries = 1;
    while paced.lost > 0 && fixed_rate.is_none() && tries < 3 {
        eprintln!("B2 at {rate:.0} spans/s lost {}; slower", paced.lost);
        rate *= 0.85;
        paced = sdk_phase(&rt, &server, &url, seconds, Loop::Paced(rate))?;
        tries += 1;
    }
    let rows = [tsim, tight, paced];
    println!();
    print(&rows);
    println!();
    let (a, c) = (&rows[0], &rows[2]);
    println!(
        "tsim / SDK (no loss): {:.2}x delivered spans/s, {:.2}x less CPU per span",
        a.rate() / c.rate(),
        c.cpu_us() / a.cpu_us()
    );
    println!("note: {note}");
    println!(
        "note: the SDK rows' CPU covers creating the spans in the loop (ids, timestamps, \
         attributes), the batch processor, the SDK's conversion to protobuf structs, prost \
         encoding and tonic; tsim's covers drawing, copy-and-patch encoding and its exporter"
    );
    drop(rt);
    Ok(())
}
