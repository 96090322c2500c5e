//! What the exporter tests share: a run of [`OTLP_SCENARIO`] into an
//! exporter, tsim's receiver, waits with a deadline, and the assertions
//! that nothing was lost.

use std::net::SocketAddr;
use std::sync::mpsc::RecvTimeoutError;
use std::time::{Duration, Instant};

use crate::common::{pack, OTLP_SCENARIO};
use tsim_receiver::{Config as ReceiverConfig, Faults, Receiver, Report as Received};
use tsim_runtime::sim::{self, Summary};
use tsim_runtime::sink::otlp::export::{Config, Exporter, Policy, Report, Transport};
use tsim_runtime::sink::otlp::{BatchSizes, OtlpSink, Signal};
use tsim_runtime::sink::otlp_json::OtlpJsonSink;

/// Monday 2026-01-05 14:00:00 UTC.
pub const START: i64 = 1_767_621_600_000_000_000;

/// How long any one wait may take before the test fails.
pub const PATIENCE: Duration = Duration::from_secs(45);

/// Runs `f` on a thread; panics if it takes longer than [`PATIENCE`] (the
/// thread is left behind and ends with the test process).
pub fn within<T: Send + 'static>(what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
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

pub fn localhost() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

pub fn grpc_urls(a: SocketAddr) -> [String; 3] {
    let u = format!("http://{a}");
    [u.clone(), u.clone(), u]
}

pub fn http_urls(a: SocketAddr) -> [String; 3] {
    Signal::ALL.map(|s| format!("http://{a}/v1/{}", s.name()))
}

/// A finished run and what its exporter reported.
pub struct Run {
    pub sum: Summary,
    pub report: Report,
    pub took: Duration,
}

/// One minute of [`OTLP_SCENARIO`] into an exporter to `urls`, with quick
/// retries (50 ms doubling up to 500 ms, for 30 s); `tweak` changes the
/// settings (a `stop` flag set there is the run's too).
pub fn export(
    transport: Transport,
    urls: [String; 3],
    tweak: impl FnOnce(&mut Config) + Send + 'static,
) -> Run {
    within("the run", move || {
        let p = pack(OTLP_SCENARIO);
        let mut c = Config::new(transport, urls);
        c.retry = Policy {
            initial: Duration::from_millis(50),
            max: Duration::from_millis(500),
            give_up_after: Duration::from_secs(30),
        };
        tweak(&mut c);
        let stop = c.stop.clone();
        let exporter = Exporter::start(c).expect("the exporter starts");
        let stats = exporter.stats();
        let opts = sim::Options {
            start_ns: START,
            duration_ns: Some(60_000_000_000),
            stop,
            ..Default::default()
        };
        let began = Instant::now();
        let sum = if transport == (Transport::Http { json: true }) {
            let mut sink = OtlpJsonSink::with_sizes(exporter, BatchSizes::default());
            sim::run(&p, &opts, &mut sink, &mut |_, _, _| {})
        } else {
            let mut sink = OtlpSink::new(exporter, BatchSizes::default());
            sim::run(&p, &opts, &mut sink, &mut |_, _, _| {})
        }
        .expect("the run completes");
        let took = began.elapsed();
        let report = stats.report();
        if !sum.stopped {
            assert!(
                sum.spans > 1000 && sum.logs > 100 && sum.metrics > 10,
                "{sum:?}"
            );
        }
        Run { sum, report, took }
    })
}

pub fn receiver(faults: Faults) -> Receiver {
    Receiver::start(ReceiverConfig {
        grpc: Some(localhost()),
        http: Some(localhost()),
        faults,
        ..ReceiverConfig::default()
    })
    .expect("the receiver starts")
}

/// Runs into a fresh tsim receiver with `faults` over `transport`;
/// returns the run and the receiver's final report.
pub fn into_receiver(transport: Transport, gzip: bool, faults: Faults) -> (Run, Received) {
    let r = receiver(faults);
    let urls = match transport {
        Transport::Grpc => grpc_urls(r.grpc_addr().expect("grpc")),
        Transport::Http { .. } => http_urls(r.http_addr().expect("http")),
    };
    let run = export(transport, urls, move |c| c.gzip = gzip);
    let got = within("the receiver's stop", move || r.stop());
    (run, got)
}

/// The receiver accepted exactly what the run emitted, with no violations.
pub fn assert_received_all(run: &Run, got: &Received) {
    let s = &run.sum;
    assert_eq!(
        (got.spans(), got.logs(), got.points()),
        (s.spans, s.logs, s.metrics),
        "accepted (spans, logs, points) vs the run's summary"
    );
    assert!(got.complete);
    assert_eq!(got.violations, 0, "violations: {:?}", got.violation_kinds);
    assert_eq!(got.decode_errors(), 0);
}

/// Every item generated was sent: none failed or rejected.
pub fn assert_all_sent(run: &Run) {
    let r = &run.report;
    assert!(r.balanced(), "{r:?}");
    let generated = [run.sum.spans, run.sum.metrics, run.sum.logs];
    for (s, want) in Signal::ALL.into_iter().zip(generated) {
        let c = r.signal(s);
        assert_eq!(c.generated, want, "{s:?} generated");
        assert_eq!((c.sent, c.rejected, c.failed), (want, 0, 0), "{s:?}: {c:?}");
    }
    assert_eq!(r.in_flight, 0);
    assert_eq!(r.lost(), 0);
}

pub fn retries(r: &Report) -> u64 {
    r.signals.iter().map(|s| s.retries).sum()
}

pub fn requests(r: &Report) -> u64 {
    r.signals.iter().map(|s| s.requests).sum()
}

pub fn counts(got: &Received, s: Signal) -> tsim_receiver::TransportCounts {
    match s {
        Signal::Traces => got.traces.total(),
        Signal::Metrics => got.metrics.total(),
        Signal::Logs => got.logs.total(),
    }
}

pub fn unavailable(got: &Received) -> u64 {
    Signal::ALL
        .iter()
        .map(|s| counts(got, *s).refused_unavailable)
        .sum()
}

pub fn throttled(got: &Received) -> u64 {
    Signal::ALL
        .iter()
        .map(|s| counts(got, *s).refused_throttled)
        .sum()
}
