//! OTLP over TLS (`otlp-grpcs://`, `otlp-https://`): a run sent through a
//! real TLS terminator (rustls, a self-signed certificate made here) in
//! front of tsim's receiver arrives whole over both transports with
//! `--insecure-skip-verify`, and without it the self-signed certificate is
//! refused: nothing is delivered and every item is counted failed.

mod common;
#[path = "common/terminator.rs"]
mod terminator;

use common::{pack, OTLP_SCENARIO};
use terminator::terminator;
use tsim_receiver::{Config as ReceiverConfig, Receiver};
use tsim_runtime::sim;
use tsim_runtime::sink::otlp::export::{Config, Exporter, Policy, Transport};
use tsim_runtime::sink::otlp::{BatchSizes, OtlpSink, Signal};

/// Monday 2026-01-05 14:00:00 UTC.
const START: i64 = 1_767_621_600_000_000_000;

fn send(
    transport: Transport,
    url: String,
    insecure: bool,
    minute: i64,
) -> (sim::Summary, tsim_runtime::sink::otlp::export::Report) {
    let p = pack(OTLP_SCENARIO);
    let urls = match transport {
        Transport::Grpc => [url.clone(), url.clone(), url],
        Transport::Http { .. } => ["traces", "metrics", "logs"].map(|s| format!("{url}/v1/{s}")),
    };
    let mut config = Config::new(transport, urls);
    config.insecure_skip_verify = insecure;
    config.retry = Policy {
        give_up_after: std::time::Duration::from_millis(600),
        ..Policy::default()
    };
    let exporter = Exporter::start(config).expect("starts");
    let stats = exporter.stats();
    let mut sink = OtlpSink::new(exporter, BatchSizes::default());
    let opts = sim::Options {
        // Each run its own start, so its own trace ids.
        start_ns: START + minute * 60_000_000_000,
        duration_ns: Some(60_000_000_000),
        ..Default::default()
    };
    let sum = sim::run(&p, &opts, &mut sink, &mut |_, _, _| {}).expect("runs");
    drop(sink);
    (sum, stats.report())
}

#[test]
fn both_transports_deliver_over_tls_and_a_self_signed_certificate_is_refused_unless_told() {
    let receiver = Receiver::start(ReceiverConfig {
        grpc: Some("127.0.0.1:0".parse().expect("addr")),
        http: Some("127.0.0.1:0".parse().expect("addr")),
        ..ReceiverConfig::default()
    })
    .expect("the receiver starts");
    let (grpcs, _g) = terminator(receiver.grpc_addr().expect("grpc"));
    let (https, _h) = terminator(receiver.http_addr().expect("http"));
    let (a, ra) = send(Transport::Grpc, format!("https://{grpcs}"), true, 0);
    let (b, rb) = send(
        Transport::Http { json: false },
        format!("https://{https}"),
        true,
        1,
    );
    for r in [&ra, &rb] {
        assert!(r.balanced() && r.lost() == 0, "{r:?}");
    }
    let report = receiver.report();
    assert_eq!(report.spans(), a.spans + b.spans);
    assert_eq!(report.logs(), a.logs + b.logs);
    assert_eq!(report.points(), a.metrics + b.metrics);
    // Verified against the system's roots, the self-signed certificate
    // fails the handshake: nothing arrives, everything is counted failed.
    let (c, rc) = send(Transport::Grpc, format!("https://{grpcs}"), false, 2);
    let t = rc.signal(Signal::Traces);
    assert_eq!((t.sent, t.failed), (0, c.spans), "{t:?}");
    assert!(
        t.failures.keys().all(|r| r.contains("certificate")),
        "{:?}",
        t.failures
    );
    assert!(rc.balanced());
    let (_, rd) = send(
        Transport::Http { json: false },
        format!("https://{https}"),
        false,
        3,
    );
    assert_eq!(rd.signal(Signal::Traces).sent, 0);
    assert!(rd.balanced());
    let last = receiver.stop();
    assert_eq!(last.spans(), a.spans + b.spans, "nothing more arrived");
    assert_eq!(last.violations, 0, "{}", last.render());
}
