//! The Honeycomb sink against a local server holding it to the Events
//! API's contract (`honeycomb/server.rs`): everything generated arrives
//! once and is accounted, the fields are what the scenario declared, batches
//! stay under the size limit, throttling loses nothing, per-event
//! rejections are counted, and a refused key ends the run at once without
//! the key showing anywhere.

mod common;
#[path = "honeycomb/server.rs"]
mod server;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::AtomicBool;
use std::sync::mpsc::RecvTimeoutError;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;

use common::{pack, OTLP_SCENARIO};
use server::{Behaviour, Server};
use tsim_runtime::sim::{self, Summary};
use tsim_runtime::sink::deliver::{Policy, Report, Settings};
use tsim_runtime::sink::honeycomb::client::{self, Config};
use tsim_runtime::sink::honeycomb::key::ApiKey;
use tsim_runtime::sink::honeycomb::HoneycombSink;
use tsim_runtime::sink::otlp::{BatchSizes, Signal};

/// Monday 2026-01-05 14:00:00 UTC.
const START: i64 = 1_767_621_600_000_000_000;
const MINUTE: u64 = 60_000_000_000;
const KEY: &str = "hcaik_test_0123456789abcdef";
const PATIENCE: Duration = Duration::from_secs(60);

fn within<T: Send + 'static>(what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    match rx.recv_timeout(PATIENCE) {
        Ok(v) => v,
        Err(RecvTimeoutError::Timeout) => panic!("{what}: no result within {PATIENCE:?}"),
        Err(RecvTimeoutError::Disconnected) => panic!("{what}: panicked (see above)"),
    }
}

fn config(s: &Server, key: &str) -> Config {
    Config {
        api: s.url(),
        datasets: ["tsim".into(), "tsim".into(), "tsim".into()],
        key: ApiKey::new(key, "the test").expect("a key"),
        gzip: false,
        timeout: Duration::from_secs(10),
        insecure_skip_verify: false,
        settings: Settings {
            retry: Policy {
                initial: Duration::from_millis(50),
                max: Duration::from_millis(500),
                give_up_after: Duration::from_secs(30),
            },
            stop: Some(Arc::new(AtomicBool::new(false))),
            ..Settings::default()
        },
    }
}

struct Run {
    sum: Summary,
    report: Report,
    took: Duration,
}

/// `duration_ns` of [`OTLP_SCENARIO`] into the Events API as `c` says, in
/// batches of at most `max_bytes`.
fn send(c: Config, duration_ns: u64, max_bytes: usize) -> Run {
    within("the run", move || {
        let p = pack(OTLP_SCENARIO);
        let stop = c.settings.stop.clone();
        let exporter = client::start(c).expect("the exporter starts");
        let stats = exporter.stats();
        let opts = sim::Options {
            start_ns: START,
            duration_ns: Some(duration_ns),
            stop,
            ..Default::default()
        };
        let began = Instant::now();
        let mut sink = HoneycombSink::with_limit(exporter, BatchSizes::default(), 1, max_bytes);
        let sum = sim::run(&p, &opts, &mut sink, &mut |_, _, _| {}).expect("the run ends");
        drop(sink);
        Run {
            sum,
            report: stats.report(),
            took: began.elapsed(),
        }
    })
}

fn is_hex(v: &Value, len: usize) -> bool {
    v.as_str()
        .is_some_and(|s| s.len() == len && s.bytes().all(|b| b.is_ascii_hexdigit()))
}

fn annotation(e: &Value) -> Option<&str> {
    e["data"]["meta.annotation_type"].as_str()
}

fn signal(e: &Value) -> &str {
    e["data"]["meta.signal_type"].as_str().unwrap_or("")
}

#[test]
fn everything_generated_arrives_once_and_is_accounted() {
    let s = server::start(Behaviour::new(KEY));
    let run = send(config(&s, KEY), MINUTE, server::MAX_BODY);
    let r = &run.report;
    assert!(r.balanced(), "{r:?}");
    assert_eq!(r.lost(), 0, "{r:?}");
    let h = s.held();
    assert!(h.violations.is_empty(), "{:?}", h.violations);
    let events = h.of("tsim");
    let sent: u64 = r.signals.iter().map(|s| s.sent).sum();
    assert_eq!(events.len() as u64, sent);
    // One event per span, log record and point, plus one per exception
    // and link.
    let spans: Vec<&Value> = events
        .iter()
        .filter(|e| signal(e) == "trace" && annotation(e).is_none())
        .collect();
    assert_eq!(spans.len() as u64, run.sum.spans);
    let by_signal = |t: &str| events.iter().filter(|e| signal(e) == t).count() as u64;
    assert_eq!(by_signal("log"), run.sum.logs);
    assert_eq!(by_signal("metric"), run.sum.metrics);
    assert_eq!(by_signal("trace"), r.signal(Signal::Traces).sent);
    let ids: BTreeSet<(&str, &str)> = spans
        .iter()
        .map(|e| {
            (
                e["data"]["trace.trace_id"].as_str().unwrap_or(""),
                e["data"]["trace.span_id"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(ids.len(), spans.len(), "a span arrived twice");
    let exceptions = events
        .iter()
        .filter(|e| annotation(e) == Some("span_event") && signal(e) == "trace")
        .count();
    let links = events
        .iter()
        .filter(|e| annotation(e) == Some("link"))
        .count();
    assert!(
        exceptions > 0 && links > 0,
        "{exceptions} exceptions, {links} links"
    );
    assert_eq!(
        exceptions + links + spans.len(),
        r.signal(Signal::Traces).generated as usize
    );
}

#[test]
fn fields_are_what_the_scenario_declared() {
    let s = server::start(Behaviour::new(KEY));
    let run = send(config(&s, KEY), MINUTE, server::MAX_BODY);
    assert_eq!(run.report.lost(), 0, "{:?}", run.report);
    let h = s.held();
    let events = h.of("tsim");
    let spans: BTreeMap<(String, String), &Value> = events
        .iter()
        .filter(|e| signal(e) == "trace" && annotation(e).is_none())
        .map(|e| {
            let d = &e["data"];
            let key = (
                d["trace.trace_id"].as_str().unwrap_or("").to_string(),
                d["trace.span_id"].as_str().unwrap_or("").to_string(),
            );
            (key, e)
        })
        .collect();
    let end = START + MINUTE as i64;
    let mut orders = (0u64, 0u64);
    for ((trace, _), e) in &spans {
        let d = &e["data"];
        assert!(
            is_hex(&d["trace.trace_id"], 32) && is_hex(&d["trace.span_id"], 16),
            "{d}"
        );
        let t = e["time"].as_str().expect("a time");
        assert_eq!(t.len(), "2026-01-05T14:00:00.123456789Z".len(), "{t}");
        assert!(t.starts_with("2026-01-05T14:0"), "{t}");
        assert!(d["duration_ms"].as_f64().is_some_and(|v| v >= 0.0), "{d}");
        assert_eq!(e["samplerate"], 1);
        assert_eq!(d["meta.signal_type"], "trace");
        let code = d["status_code"].as_i64().expect("status_code");
        assert_eq!(d["error"].as_bool().unwrap_or(false), code == 2, "{d}");
        assert_eq!(d["type"], d["span.kind"]);
        match d.get("trace.parent_id") {
            Some(p) => {
                let parent = p.as_str().expect("hex").to_string();
                assert!(
                    spans.contains_key(&(trace.clone(), parent)),
                    "a parent that was not sent: {d}"
                );
            }
            None => assert!(
                d["span.kind"] == "server" || d["span.kind"] == "consumer",
                "a root: {d}"
            ),
        }
        assert_eq!(d["deployment.environment.name"], "test");
        assert_eq!(d["library.name"], "tsim");
        if d["service.name"] == "api" {
            assert_eq!(d["service.version"], "1.2.3");
        }
        if d["service.name"] == "orders" && d["span.kind"] == "server" {
            assert_eq!(d["name"], "list");
            orders.0 += 1;
            if d["error"] == true {
                orders.1 += 1;
            }
            if d["span.num_events"] == 1 {
                assert_eq!(d["exception.type"], "UpstreamError", "{d}");
            }
        }
    }
    // `errors 10%` on orders: within 4 sigma.
    let (n, k) = (orders.0 as f64, orders.1 as f64);
    let sigma = (n * 0.1 * 0.9).sqrt();
    assert!(
        n > 100.0 && (k - 0.1 * n).abs() < 4.0 * sigma,
        "{k} errors of {n}"
    );
    for e in events
        .iter()
        .filter(|e| signal(e) == "trace" && annotation(e).is_some())
    {
        let d = &e["data"];
        let trace = d["trace.trace_id"].as_str().unwrap_or("").to_string();
        let parent = d["trace.parent_id"].as_str().unwrap_or("").to_string();
        let span = spans
            .get(&(trace, parent))
            .unwrap_or_else(|| panic!("an annotation of a span that was not sent: {d}"));
        assert_eq!(d["parent_name"], span["data"]["name"]);
        if annotation(e) == Some("link") {
            assert!(is_hex(&d["trace.link.trace_id"], 32) && is_hex(&d["trace.link.span_id"], 16));
            assert_eq!(span["data"]["span.num_links"], 1);
        } else {
            assert_eq!(d["name"], "exception");
            assert_eq!(d["exception.type"], "UpstreamError");
            assert_eq!(span["data"]["span.num_events"], 1);
        }
    }
    let logs: Vec<&Value> = events.iter().filter(|e| signal(e) == "log").collect();
    let severities = [("info", 9), ("warn", 13), ("error", 17)];
    let mut jobs = 0;
    for e in &logs {
        let d = &e["data"];
        let sev = d["severity"].as_str().expect("severity");
        let code = severities
            .iter()
            .find(|s| s.0 == sev)
            .expect("a declared level")
            .1;
        assert_eq!(d["severity_code"], code, "{d}");
        let body = d["body"].as_str().expect("a body");
        if let Some(rest) = body.strip_prefix("job job-") {
            jobs += 1;
            assert!(rest.ends_with(" done"), "{body}");
            assert_eq!(d["service.name"], "api");
        }
        if d.get("trace.trace_id").is_some() {
            assert_eq!(d["meta.annotation_type"], "span_event");
            assert!(is_hex(&d["trace.parent_id"], 16));
        }
    }
    assert!(jobs > 0);
    let metrics: Vec<&Value> = events.iter().filter(|e| signal(e) == "metric").collect();
    let cpu: Vec<f64> = metrics
        .iter()
        .filter_map(|e| e["data"]["system.cpu.utilization"].as_f64())
        .collect();
    assert!(
        !cpu.is_empty() && cpu.iter().all(|v| (0.0..=1.0).contains(v)),
        "{cpu:?}"
    );
    let hist = metrics
        .iter()
        .find(|e| {
            e["data"]
                .get("http.server.request.duration.count")
                .is_some()
        })
        .expect("a histogram point");
    let d = &hist["data"];
    let (count, sum) = (
        d["http.server.request.duration.count"]
            .as_f64()
            .unwrap_or(0.0),
        d["http.server.request.duration.sum"]
            .as_f64()
            .unwrap_or(0.0),
    );
    if count > 0.0 {
        let avg = d["http.server.request.duration.avg"].as_f64().expect("avg");
        assert!((avg - sum / count).abs() < 1e-9);
        assert_eq!(d["meta.annotation_type"], "metric_event", "{d}");
        // Husky's percentile fields, in order.
        let names = [
            "p001", "p01", "p05", "p10", "p25", "p50", "p75", "p90", "p95", "p99", "p999",
        ];
        let values: Vec<f64> = names
            .iter()
            .map(|p| {
                d[format!("http.server.request.duration.{p}")]
                    .as_f64()
                    .unwrap_or_else(|| panic!("no {p}: {d}"))
            })
            .collect();
        assert!(values.windows(2).all(|w| w[0] <= w[1]), "{d}");
    }
    let last = events
        .iter()
        .filter_map(|e| e["time"].as_str())
        .max()
        .expect("times");
    let mut end_text = String::new();
    tsim_runtime::sink::fmt::timestamp_nanos(&mut end_text, end + 60_000_000_000);
    assert!(last < end_text.as_str(), "{last}");
}

#[test]
fn batches_split_under_the_limit_and_gzip_is_accepted() {
    let s = server::start(Behaviour::new(KEY));
    let mut c = config(&s, KEY);
    c.gzip = true;
    let run = send(c, MINUTE / 4, 20_000);
    assert_eq!(run.report.lost(), 0, "{:?}", run.report);
    let h = s.held();
    assert!(h.violations.is_empty(), "{:?}", h.violations);
    let requests: u64 = run.report.signals.iter().map(|s| s.requests).sum();
    assert_eq!(h.gzipped, requests);
    assert_eq!(
        h.total() as u64,
        run.report.signals.iter().map(|s| s.sent).sum::<u64>()
    );
    // Each uncompressed body held to 20,000 bytes: more requests than the
    // event counts alone would make.
    let traces = run.report.signal(Signal::Traces);
    assert!(traces.requests > traces.sent.div_ceil(100), "{traces:?}");
}

#[test]
fn an_event_over_the_limit_is_refused_with_its_reason() {
    let s = server::start(Behaviour::new(KEY));
    // No event fits in 40 bytes.
    let run = send(config(&s, KEY), MINUTE / 6, 40);
    let r = &run.report;
    assert!(r.balanced(), "{r:?}");
    let t = r.signal(Signal::Traces);
    assert_eq!(t.failed, t.generated);
    assert!(
        t.failures
            .keys()
            .any(|k| k.starts_with("refused: a ") && k.contains("40-byte batch limit")),
        "{t:?}"
    );
    assert_eq!(s.held().total(), 0);
}

#[test]
fn throttling_and_unavailability_are_retried_without_loss() {
    let mut b = Behaviour::new(KEY);
    b.throttle = 2;
    b.unavailable = 1;
    let s = server::start(b);
    let run = send(config(&s, KEY), MINUTE / 6, server::MAX_BODY);
    let r = &run.report;
    assert_eq!(r.lost(), 0, "{r:?}");
    let h = s.held();
    assert_eq!(h.statuses.get(&429), Some(&2));
    assert_eq!(h.statuses.get(&503), Some(&1));
    let retries: u64 = r.signals.iter().map(|s| s.retries).sum();
    assert_eq!(retries, 3);
    assert_eq!(
        h.total() as u64,
        r.signals.iter().map(|s| s.sent).sum::<u64>()
    );
    // Retry-After: 1 was honoured.
    assert!(run.took >= Duration::from_secs(1), "{:?}", run.took);
}

#[test]
fn per_event_rejections_are_counted_with_their_error() {
    let mut b = Behaviour::new(KEY);
    b.refuse_every = Some(7);
    let s = server::start(b);
    let run = send(config(&s, KEY), MINUTE / 6, server::MAX_BODY);
    let r = &run.report;
    assert!(r.balanced(), "{r:?}");
    let h = s.held();
    let rejected: u64 = r.signals.iter().map(|s| s.rejected).sum();
    assert!(h.refused > 0);
    assert_eq!(rejected, h.refused);
    assert_eq!(
        h.total() as u64,
        r.signals.iter().map(|s| s.sent).sum::<u64>()
    );
    assert!(r
        .signals
        .iter()
        .flat_map(|s| &s.rejections)
        .any(|m| m == "HTTP 400: refused by the test server"));
}

#[test]
fn a_refused_key_ends_the_run_at_once_and_never_shows() {
    let s = server::start(Behaviour::new(KEY));
    let wrong = "hcaik_wrong_key_never_shown_42";
    // Ten simulated minutes: a run that did not stop would take a while.
    let run = send(config(&s, wrong), 10 * MINUTE, server::MAX_BODY);
    let r = &run.report;
    assert!(r.balanced(), "{r:?}");
    let fatal = r.fatal.as_deref().expect("a fatal reason");
    assert!(
        fatal.contains("HTTP 401") && fatal.contains("API key"),
        "{fatal}"
    );
    assert_eq!(r.signals.iter().map(|s| s.sent).sum::<u64>(), 0);
    assert!(r.signals.iter().all(|s| s.failed == s.generated));
    assert!(run.sum.stopped, "the run went on");
    let h = s.held();
    assert!(
        h.bad_keys >= 1 && h.bad_keys <= 16,
        "{} requests with the bad key",
        h.bad_keys
    );
    let text = format!("{r:?} {}", serde_json::to_string(r).expect("serializes"));
    assert!(!text.contains(wrong), "the key shows: {text}");
    assert!(run.took < Duration::from_secs(20), "{:?}", run.took);
}
