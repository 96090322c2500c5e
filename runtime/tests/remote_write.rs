//! The remote-write sink: its requests decode (snappy, then the prompb
//! messages) to exactly the samples the OpenMetrics history file holds,
//! with sorted labels and millisecond timestamps, within the per-request
//! sample limit; and against a local receiver, the headers remote write
//! 1.0 asks for, a 503 retried until it is accepted and a 400 failed for
//! good with the receiver's reason, every sample accounted; over TLS
//! (`prom-rws://`) a self-signed receiver only with skip-verify.

mod common;
#[path = "common/terminator.rs"]
mod terminator;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;

use tsim_runtime::sim;
use tsim_runtime::sink::deliver::{Policy, Report, Settings};
use tsim_runtime::sink::otlp::{Collected, Signal};
use tsim_runtime::sink::prom::remote_write::client::{self, Config};
use tsim_runtime::sink::prom::remote_write::proto::{self, WriteRequest};
use tsim_runtime::sink::prom::{OpenMetricsSink, RemoteWriteSink};

const MONDAY: i64 = 1_700_438_400_000_000_000;

const SCENARIO: &str = r#"
scenario "rw" { seed 5 duration 5m tick 10s traffic { rate 20/s } }
resource { deployment.environment.name = "test" }
service "api" {
  version "1.2.3"  instances 2
  endpoint "GET /orders" { latency lognormal(median: 20ms, p99: 120ms)  errors 5% status 500 }
}
metric "system.cpu.utilization" gauge per instance unit "1" {
  walk brownian(start: 0.3, drift: 0, volatility: 0.02) within 0..1
}
metric "api.requests" counter from spans of "api"
metric "http.server.request.duration" histogram unit "s" per endpoint from spans
"#;

fn opts() -> sim::Options {
    sim::Options {
        start_ns: MONDAY,
        ..Default::default()
    }
}

/// A sample: its series (`name{k="v",...}`, labels sorted, none empty),
/// milliseconds and the bits of its value.
type Sample = (String, i64, u64);

fn series(name: &str, labels: &[(String, String)]) -> String {
    let mut sorted: Vec<_> = labels.iter().filter(|(_, v)| !v.is_empty()).collect();
    sorted.sort();
    let inner: Vec<String> = sorted.iter().map(|(k, v)| format!("{k}=\"{v}\"")).collect();
    format!("{name}{{{}}}", inner.join(","))
}

/// A sample line of the OpenMetrics file.
fn parse_line(line: &str) -> Sample {
    let (head, rest) = match line.find('{') {
        Some(i) => {
            let end = line.rfind('}').expect("a closing brace");
            let mut labels = Vec::new();
            let mut text = &line[i + 1..end];
            while let Some((k, after)) = text.split_once("=\"") {
                let mut value = String::new();
                let mut chars = after.char_indices();
                let mut close = after.len();
                while let Some((j, c)) = chars.next() {
                    match c {
                        '\\' => {
                            if let Some((_, e)) = chars.next() {
                                value.push(match e {
                                    'n' => '\n',
                                    other => other,
                                });
                            }
                        }
                        '"' => {
                            close = j;
                            break;
                        }
                        c => value.push(c),
                    }
                }
                labels.push((k.trim_start_matches(',').to_string(), value));
                text = &after[(close + 1).min(after.len())..];
            }
            (series(&line[..i], &labels), line[end + 1..].trim())
        }
        None => {
            let (n, r) = line.split_once(' ').expect("name value");
            (series(n, &[]), r)
        }
    };
    let mut parts = rest.split(' ');
    let value: f64 = parts.next().expect("a value").parse().expect("a float");
    let ts: f64 = parts.next().expect("a timestamp").parse().expect("seconds");
    (head, (ts * 1000.0).round() as i64, value.to_bits())
}

/// Every sample of decoded requests; checks each series' labels are
/// sorted, unique and not empty, with a `__name__`.
fn samples_of(requests: &[WriteRequest]) -> Vec<Sample> {
    let mut out = Vec::new();
    for r in requests {
        for ts in &r.timeseries {
            let names: Vec<&str> = ts.labels.iter().map(|l| l.name.as_str()).collect();
            assert!(
                names.windows(2).all(|w| w[0] < w[1]),
                "labels sorted and unique: {names:?}"
            );
            assert!(ts.labels.iter().all(|l| !l.value.is_empty()), "{names:?}");
            let name = ts
                .labels
                .iter()
                .find(|l| l.name == "__name__")
                .expect("a __name__")
                .value
                .clone();
            let pairs: Vec<(String, String)> = ts
                .labels
                .iter()
                .filter(|l| l.name != "__name__")
                .map(|l| (l.name.clone(), l.value.clone()))
                .collect();
            let key = series(&name, &pairs);
            assert!(
                ts.samples
                    .windows(2)
                    .all(|w| w[0].timestamp < w[1].timestamp),
                "{key}: samples in time order"
            );
            for s in &ts.samples {
                out.push((key.clone(), s.timestamp, s.value.to_bits()));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn requests_decode_to_exactly_the_openmetrics_samples() {
    let pack = common::pack(SCENARIO);
    let mut sink = RemoteWriteSink::new(Collected::default(), 500);
    sim::run(&pack, &opts(), &mut sink, &mut |_, _, _| {}).expect("runs");
    assert!(sink.ignored() > 0, "spans are counted, not sent");
    let collected = &sink.requests().requests;
    assert!(collected.len() > 2, "several requests: {}", collected.len());
    let mut decoded = Vec::new();
    for (signal, body, items) in collected {
        assert_eq!(*signal, Signal::Metrics);
        let r = proto::decode(body).expect("snappy block, then a WriteRequest");
        let n: usize = r.timeseries.iter().map(|t| t.samples.len()).sum();
        assert_eq!(n as u64, *items, "items are the request's samples");
        assert!(n <= 500, "at most --batch-points samples: {n}");
        decoded.push(r);
    }
    let got = samples_of(&decoded);

    let dir = std::env::temp_dir().join(format!("tsim-rw-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temp dir");
    let path = dir.join("history.om");
    let mut om = OpenMetricsSink::create(&path, pack.meta.duration_ns).expect("created");
    sim::run(&pack, &opts(), &mut om, &mut |_, _, _| {}).expect("runs");
    let text = std::fs::read_to_string(&path).expect("committed");
    let _ = std::fs::remove_dir_all(&dir);
    let mut want: Vec<Sample> = text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(parse_line)
        .collect();
    want.sort();
    assert_eq!(got.len() as u64, om.written().samples);
    assert_eq!(
        got, want,
        "remote write carries what the history file holds"
    );
    // Spot checks of the naming the two share.
    for name in [
        "api_requests_total{",
        "system_cpu_utilization_ratio{",
        "http_server_request_duration_seconds_bucket{",
        "target_info{",
    ] {
        assert!(got.iter().any(|s| s.0.starts_with(name)), "{name}");
    }
    assert!(got
        .iter()
        .all(|s| s.1 % 10_000 == 0 && s.1 >= MONDAY / 1_000_000));
}

/// What the local receiver saw: bodies, and headers of the first request.
#[derive(Default)]
struct Seen {
    bodies: Vec<Bytes>,
    headers: BTreeMap<String, String>,
}

/// A receiver answering `first` to the first `failures` requests, then 204.
fn receiver(first: u16, failures: u32) -> (String, Arc<Mutex<Seen>>) {
    let seen = Arc::new(Mutex::new(Seen::default()));
    let count = Arc::new(AtomicU32::new(0));
    let (tx, rx) = std::sync::mpsc::channel();
    let shared = seen.clone();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("binds");
            tx.send(listener.local_addr().expect("bound"))
                .expect("sends");
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let (seen, count) = (shared.clone(), count.clone());
                tokio::spawn(async move {
                    let svc = hyper::service::service_fn(move |req: Request<Incoming>| {
                        let (seen, count) = (seen.clone(), count.clone());
                        async move {
                            let headers: BTreeMap<String, String> = req
                                .headers()
                                .iter()
                                .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").into()))
                                .collect();
                            let body = req.into_body().collect().await.map(|b| b.to_bytes());
                            let n = count.fetch_add(1, Ordering::SeqCst);
                            let status = if n < failures { first } else { 204 };
                            if status == 204 {
                                let mut s = seen.lock().unwrap_or_else(|p| p.into_inner());
                                if s.headers.is_empty() {
                                    s.headers = headers;
                                }
                                s.bodies.push(body.unwrap_or_default());
                            }
                            let text = if status == 400 {
                                "out of bounds: sample too old"
                            } else {
                                ""
                            };
                            let mut r = Response::new(Full::new(Bytes::from(text)));
                            *r.status_mut() = hyper::StatusCode::from_u16(status).expect("status");
                            Ok::<_, std::convert::Infallible>(r)
                        }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), svc)
                        .await;
                });
            }
        });
    });
    let addr = rx.recv().expect("the receiver starts");
    (format!("http://{addr}/api/v1/write"), seen)
}

/// `http://ADDR/PATH` as `https://` through a TLS terminator; the
/// terminator's runtime is returned to keep it running.
fn over_tls(url: &str) -> (String, tokio::runtime::Runtime) {
    let rest = url.strip_prefix("http://").expect("an http URL");
    let (addr, path) = rest.split_once('/').expect("a path");
    let (tls, rt) = terminator::terminator(addr.parse().expect("an address"));
    (format!("https://{tls}/{path}"), rt)
}

fn send(url: String, insecure_skip_verify: bool) -> Report {
    let pack = common::pack(SCENARIO);
    let config = Config {
        url,
        timeout: Duration::from_secs(10),
        insecure_skip_verify,
        settings: Settings {
            retry: Policy {
                initial: Duration::from_millis(20),
                max: Duration::from_millis(100),
                give_up_after: Duration::from_secs(20),
            },
            stop: Some(Arc::new(AtomicBool::new(false))),
            ..Settings::default()
        },
    };
    let exporter = client::start(config).expect("starts");
    let stats = exporter.stats();
    let mut sink = RemoteWriteSink::new(exporter, 1000);
    sim::run(&pack, &opts(), &mut sink, &mut |_, _, _| {}).expect("runs");
    drop(sink);
    stats.report()
}

#[test]
fn a_503_is_retried_until_accepted_with_the_remote_write_headers() {
    let (url, seen) = receiver(503, 3);
    let r = send(url, false).signal(Signal::Metrics);
    assert!(r.generated > 0);
    assert_eq!((r.sent, r.failed), (r.generated, 0), "{r:?}");
    assert_eq!(r.retries, 3, "{r:?}");
    let seen = seen.lock().unwrap_or_else(|p| p.into_inner());
    for (k, v) in [
        ("content-encoding", "snappy"),
        ("content-type", "application/x-protobuf"),
        ("x-prometheus-remote-write-version", "0.1.0"),
    ] {
        assert_eq!(seen.headers.get(k).map(String::as_str), Some(v), "{k}");
    }
    assert!(seen
        .headers
        .get("user-agent")
        .is_some_and(|a| a.starts_with("tsim/")));
    let decoded: Vec<WriteRequest> = seen
        .bodies
        .iter()
        .map(|b| proto::decode(b).expect("decodes"))
        .collect();
    assert_eq!(samples_of(&decoded).len() as u64, r.sent);
}

#[test]
fn a_400_fails_every_sample_for_good_with_the_receivers_reason() {
    let (url, seen) = receiver(400, u32::MAX);
    let r = send(url, false).signal(Signal::Metrics);
    assert!(r.generated > 0);
    assert_eq!((r.sent, r.failed, r.retries), (0, r.generated, 0), "{r:?}");
    assert_eq!(
        r.failures.keys().collect::<Vec<_>>(),
        ["HTTP 400: out of bounds: sample too old"]
    );
    assert!(seen
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .bodies
        .is_empty());
}

#[test]
fn over_tls_a_self_signed_receiver_takes_everything_only_when_told_to_skip_verify() {
    let (url, seen) = receiver(204, 0);
    let (tls, _rt) = over_tls(&url);
    let r = send(tls.clone(), true).signal(Signal::Metrics);
    assert!(r.generated > 0);
    assert_eq!((r.sent, r.failed), (r.generated, 0), "{r:?}");
    let bodies = seen.lock().unwrap_or_else(|p| p.into_inner()).bodies.len();
    assert!(bodies > 0);
    let refused = send(tls, false).signal(Signal::Metrics);
    assert_eq!(
        (refused.sent, refused.failed),
        (0, refused.generated),
        "{refused:?}"
    );
    assert_eq!(
        seen.lock().unwrap_or_else(|p| p.into_inner()).bodies.len(),
        bodies
    );
}
