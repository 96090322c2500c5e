//! `tsim bench`: where a sender's time goes, measured side by side in one
//! run on this machine. Each row runs the scenario for the same wall time:
//!
//! 1. drawing requests only (the null sink);
//! 2. drawing and encoding OTLP protobuf (copy and patch), bytes counted;
//! 3. drawing and encoding OTLP/JSON;
//! 4. gzip (level 1) of the protobuf requests, per span;
//! 5. end to end: drawn, encoded and delivered over loopback OTLP/gRPC
//!    into a server that counts and does not decode ([`counting`]);
//! 6. the same transport fed pre-encoded requests in a loop (a blaster
//!    with no generation at all): the ceiling row 5 is compared with.
//!
//! Rates are spans per second of wall time, and per second of the
//! sending thread's CPU time where Linux reports it (`schedstat`); items
//! per second count every signal (spans, log records, metric points), the
//! measure rows 5 and 6 are compared by, since the blaster replays the
//! scenario's own mix of requests.

pub mod counting;

use std::io::Write;
use std::time::{Duration, Instant};

use tsim_pack::Pack;

use crate::sim::{self, Live, Pace, Shard};
use crate::sink::otlp::export::{Config, Exporter, Transport};
use crate::sink::otlp::{BatchSizes, Collected, Counted, OtlpSink, Requests, Signal};
use crate::sink::otlp_json::OtlpJsonSink;
use crate::sink::{NullSink, Sink};

/// One measured row.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Row {
    /// What was measured.
    pub name: &'static str,
    /// Spans per second of wall time.
    pub spans_per_s: f64,
    /// Items of every signal per second of wall time.
    pub items_per_s: f64,
    /// Spans per second of the sending thread's CPU time, when known.
    pub spans_per_cpu_s: Option<f64>,
    /// Bytes per span on the wire, where bytes were made.
    pub bytes_per_span: Option<f64>,
    /// Spans counted.
    pub spans: u64,
}

/// The sending thread's CPU time so far, from `/proc/thread-self/schedstat`.
fn cpu() -> Option<Duration> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: u64 = text.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(ns))
}

/// A run of `seconds` as fast as the sink takes it, from now (every row's options).
pub fn options(seconds: f64) -> sim::Options {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as i64);
    sim::Options {
        start_ns: now,
        duration_ns: Some((seconds * 1e9) as u64),
        live: Some(Live {
            pace: Pace::Max,
            jitter_ns: 0,
            shard: Shard::default(),
            multiplier: 1.0,
            timeline_speed: 1.0,
        }),
        ..Default::default()
    }
}

/// Wall and thread CPU time from a start, turned into a row.
struct Stopwatch {
    cpu: Option<Duration>,
    wall: Instant,
}

impl Stopwatch {
    fn start() -> Stopwatch {
        Stopwatch {
            cpu: cpu(),
            wall: Instant::now(),
        }
    }

    /// The row of `spans` (and `items` of every signal, `bytes` on the
    /// wire) made since the start.
    fn row(&self, name: &'static str, spans: u64, items: u64, bytes: Option<u64>) -> Row {
        let wall = self.wall.elapsed().as_secs_f64();
        let busy = cpu().zip(self.cpu).map(|(b, a)| b.saturating_sub(a));
        Row {
            name,
            spans_per_s: spans as f64 / wall,
            items_per_s: items as f64 / wall,
            spans_per_cpu_s: busy.map(|b| spans as f64 / b.as_secs_f64().max(1e-9)),
            bytes_per_span: bytes.and_then(|b| per_span(b, spans)),
            spans,
        }
    }
}

/// Runs `pack` into `sink` as fast as it goes for `seconds`.
fn timed(
    name: &'static str,
    pack: &Pack,
    seconds: f64,
    sink: &mut dyn Sink,
) -> Result<Row, String> {
    let watch = Stopwatch::start();
    let sum =
        sim::run(pack, &options(seconds), sink, &mut |_, _, _| {}).map_err(|e| e.to_string())?;
    Ok(watch.row(name, sum.spans, sum.spans + sum.logs + sum.metrics, None))
}

/// Counts JSON bytes per signal.
#[derive(Default)]
struct CountedJson(Counted);

impl Requests for CountedJson {
    fn request(&mut self, s: Signal, body: Vec<u8>, items: u64) -> std::io::Result<()> {
        self.0.request(s, body, items)
    }
}

fn per_span(bytes: u64, spans: u64) -> Option<f64> {
    (spans > 0).then(|| bytes as f64 / spans as f64)
}

/// Every row, `seconds` each.
pub fn run(pack: &Pack, seconds: f64, sizes: BatchSizes) -> Result<Vec<Row>, String> {
    let mut rows = Vec::new();
    rows.push(timed(
        "draw only (null sink)",
        pack,
        seconds,
        &mut NullSink,
    )?);
    let mut proto = OtlpSink::new(Counted::default(), sizes);
    let mut row = timed("draw + encode OTLP protobuf", pack, seconds, &mut proto)?;
    let c = *proto.requests();
    row.bytes_per_span = per_span(c.bytes[0], c.items[0]);
    rows.push(row);
    let mut json = OtlpJsonSink::with_sizes(CountedJson::default(), sizes);
    let mut row = timed("draw + encode OTLP/JSON", pack, seconds, &mut json)?;
    let c = json.into_requests().0;
    row.bytes_per_span = per_span(c.bytes[0], c.items[0]);
    rows.push(row);
    let sample = sample_requests(pack, sizes)?;
    rows.push(gzip(&sample, seconds));
    let server = counting::CountingServer::start(1).map_err(|e| format!("cannot listen: {e}"))?;
    let url = format!("http://{}", server.addr);
    let mut sink = OtlpSink::new(exporter(&url)?, sizes);
    let watch = Stopwatch::start();
    let sum = sim::run(pack, &options(seconds), &mut sink, &mut |_, _, _| {})
        .map_err(|e| e.to_string())?;
    let report = sink.into_requests();
    let delivery = report.stats().report();
    drop(report);
    let sent = delivery.signal(Signal::Traces);
    let items: u64 = delivery.signals.iter().map(|s| s.sent).sum();
    if sent.sent != sum.spans || items != sum.spans + sum.logs + sum.metrics {
        return Err(format!(
            "end to end: {} items generated, {items} delivered",
            sum.spans + sum.logs + sum.metrics
        ));
    }
    rows.push(watch.row(
        "end to end, loopback OTLP/gRPC",
        sent.sent,
        items,
        Some(sent.bytes),
    ));
    rows.push(blaster(&url, &sample, seconds)?);
    Ok(rows)
}

fn exporter(url: &str) -> Result<Exporter, String> {
    let mut c = Config::new(
        Transport::Grpc,
        [url.to_string(), url.to_string(), url.to_string()],
    );
    c.max_in_flight = 16;
    c.connections = 4;
    Exporter::start(c)
}

/// Half a second's worth of encoded requests of every signal, in order.
fn sample_requests(pack: &Pack, sizes: BatchSizes) -> Result<Sample, String> {
    let mut s = OtlpSink::new(Collected::default(), sizes);
    sim::run(pack, &options(0.5), &mut s, &mut |_, _, _| {}).map_err(|e| e.to_string())?;
    let out = s.into_requests().requests;
    if !out.iter().any(|(sig, _, _)| *sig == Signal::Traces) {
        return Err("the scenario emitted no spans".into());
    }
    Ok(out)
}

/// Encoded requests: (signal, body, items).
type Sample = Vec<(Signal, Vec<u8>, u64)>;

/// Gzip level 1 of the sample, for `seconds`.
fn gzip(sample: &Sample, seconds: f64) -> Row {
    let watch = Stopwatch::start();
    let (mut spans, mut zipped) = (0u64, 0u64);
    'outer: loop {
        for (_, body, n) in sample.iter().filter(|r| r.0 == Signal::Traces) {
            let mut enc = flate2::write::GzEncoder::new(
                Vec::with_capacity(body.len() / 4),
                flate2::Compression::fast(),
            );
            let done = enc.write_all(body).and_then(|()| enc.finish());
            zipped += done.map_or(0, |v| v.len() as u64);
            spans += n;
            if watch.wall.elapsed().as_secs_f64() >= seconds {
                break 'outer;
            }
        }
    }
    watch.row("gzip level 1 of the protobuf", spans, spans, Some(zipped))
}

/// The sample sent again and again through the same exporter and server.
fn blaster(url: &str, sample: &Sample, seconds: f64) -> Result<Row, String> {
    let mut ex = exporter(url)?;
    let stats = ex.stats();
    let watch = Stopwatch::start();
    'outer: loop {
        for (signal, body, n) in sample {
            ex.request(*signal, body.clone(), *n)
                .map_err(|e| e.to_string())?;
            if watch.wall.elapsed().as_secs_f64() >= seconds {
                break 'outer;
            }
        }
    }
    ex.finish().map_err(|e| e.to_string())?;
    let delivery = stats.report();
    let t = delivery.signal(Signal::Traces);
    let items: u64 = delivery.signals.iter().map(|s| s.sent).sum();
    // A blaster that lost requests would flatter the ratio it anchors.
    if delivery.lost() > 0 {
        return Err(format!(
            "the blaster lost {} items: {:?}",
            delivery.lost(),
            delivery.signals
        ));
    }
    Ok(watch.row(
        "pre-encoded blaster, same transport",
        t.sent,
        items,
        Some(t.bytes),
    ))
}
