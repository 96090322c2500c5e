//! The OTLP network exporter end to end: runs of a scenario with every
//! signal, through `OtlpSink<Exporter>` (protobuf over gRPC or HTTP) and
//! `OtlpJsonSink<Exporter>` (OTLP/JSON over HTTP), into tsim's receiver and
//! into an independent one built on the official generated services
//! (`export/independent.rs`). Delivery loses nothing: what the receiver
//! accepted is exactly what the run emitted, over every transport, through
//! injected unavailability, throttling and random failures; rejections
//! and permanent failures are counted where they belong, never lost.

mod common;
#[path = "export/independent.rs"]
mod independent;
#[path = "export/proxy.rs"]
mod proxy;
#[path = "export/support.rs"]
mod support;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use independent::{Answer, Independent, REFUSAL};
use proxy::Cutter;
use support::*;
use tsim_receiver::{Faults, Report as Received};
use tsim_runtime::sink::otlp::export::Transport;
use tsim_runtime::sink::otlp::Signal;

/// 1: every signal over one transport, clean: all of it accepted, one
/// request per export request, over the transport and encoding asked.
fn clean(transport: Transport, gzip: bool) {
    let (run, got) = into_receiver(transport, gzip, Faults::default());
    assert_received_all(&run, &got);
    assert_all_sent(&run);
    assert_eq!(retries(&run.report), 0);
    for s in Signal::ALL {
        let (mine, theirs) = (run.report.signal(s), counts(&got, s));
        assert_eq!(theirs.requests, mine.requests, "{s:?} requests");
        assert_eq!(theirs.gzip_requests, if gzip { mine.requests } else { 0 });
        let json = transport == (Transport::Http { json: true });
        assert_eq!(theirs.json_requests, if json { mine.requests } else { 0 });
        assert_eq!(theirs.refused(), 0);
        match transport {
            // Each gRPC message travels behind a 5-byte frame header.
            Transport::Grpc if !gzip => {
                assert_eq!(theirs.bytes, mine.bytes + 5 * mine.requests, "{s:?} bytes")
            }
            Transport::Grpc => assert!(theirs.bytes > 0),
            Transport::Http { .. } => assert_eq!(theirs.bytes, mine.bytes, "{s:?} bytes"),
        }
    }
    let wrong = match transport {
        Transport::Grpc => [&got.traces.http, &got.metrics.http, &got.logs.http],
        Transport::Http { .. } => [&got.traces.grpc, &got.metrics.grpc, &got.logs.grpc],
    };
    assert!(
        wrong.iter().all(|c| c.requests == 0),
        "the other listener got requests"
    );
}

#[test]
fn grpc_delivers_every_signal() {
    clean(Transport::Grpc, false);
}

#[test]
fn grpc_gzip_delivers_every_signal() {
    clean(Transport::Grpc, true);
}

#[test]
fn http_protobuf_delivers_every_signal() {
    clean(Transport::Http { json: false }, false);
}

#[test]
fn http_protobuf_gzip_delivers_every_signal() {
    clean(Transport::Http { json: false }, true);
}

#[test]
fn http_json_delivers_every_signal() {
    clean(Transport::Http { json: true }, false);
}

#[test]
fn http_json_gzip_delivers_every_signal() {
    clean(Transport::Http { json: true }, true);
}

/// 2 and 9: into the independent receiver, with a header on every
/// request: the counts are the summary's, ids are well formed and unique,
/// every parent and every log's span reference resolves, and the header
/// (gRPC metadata) arrived with every request.
fn independent(transport: Transport, gzip: bool) {
    let server = Independent::start(Answer::Accept);
    let urls = match transport {
        Transport::Grpc => grpc_urls(server.grpc),
        Transport::Http { .. } => http_urls(server.http),
    };
    let run = export(transport, urls, move |c| {
        c.gzip = gzip;
        c.headers = std::array::from_fn(|_| vec![("x-team".into(), "team-42".into())]);
    });
    assert_all_sent(&run);
    let seen = server.seen();
    let s = &run.sum;
    assert_eq!(
        (seen.spans, seen.logs, seen.points),
        (s.spans, s.logs, s.metrics)
    );
    assert_eq!(seen.problem_count, 0, "{:?}", seen.problems);
    assert_eq!(
        seen.unresolved(),
        (0, 0),
        "unresolved parents, log span references"
    );
    assert!(seen.logs_with_spans() > 0);
    let sent: Vec<u64> = run.report.signals.iter().map(|c| c.requests).collect();
    assert_eq!(seen.requests.to_vec(), sent);
    let total: u64 = sent.iter().sum();
    assert_eq!(
        seen.teams.iter().collect::<Vec<_>>(),
        vec![(&"team-42".to_string(), &total)],
        "x-team on every request"
    );
    assert_eq!(seen.gzip, if gzip { total } else { 0 });
    let json = transport == (Transport::Http { json: true });
    assert_eq!(seen.json, if json { total } else { 0 });
}

#[test]
fn independent_grpc_receiver_counts_the_summary() {
    independent(Transport::Grpc, false);
}

#[test]
fn independent_grpc_gzip_receiver_counts_the_summary() {
    independent(Transport::Grpc, true);
}

#[test]
fn independent_http_receiver_counts_the_summary() {
    independent(Transport::Http { json: false }, false);
    independent(Transport::Http { json: false }, true);
}

#[test]
fn independent_http_json_receiver_counts_the_summary() {
    independent(Transport::Http { json: true }, true);
}

/// 3: `faults` injected, over gRPC and HTTP at once: nothing is lost,
/// every refused attempt was retried (and only those), and `check` holds
/// for the receiver's counts.
fn survives(faults: Faults, check: fn(Transport, &Run, &Received)) {
    let cases = [Transport::Grpc, Transport::Http { json: false }].map(|t| {
        let f = faults.clone();
        std::thread::spawn(move || (t, into_receiver(t, false, f)))
    });
    for case in cases {
        let (t, (run, got)) = case.join().expect("the case runs");
        assert_received_all(&run, &got);
        assert_all_sent(&run);
        let refused = got.refused_requests();
        assert!(refused > 0, "{t:?}: nothing was refused");
        assert_eq!(
            retries(&run.report),
            refused,
            "{t:?}: one retry per refusal"
        );
        assert_eq!(requests(&run.report), got.requests(), "{t:?}: attempts");
        check(t, &run, &got);
    }
}

#[test]
fn an_unavailable_window_loses_nothing() {
    survives(
        Faults {
            unavailable_for: Duration::from_millis(1500),
            ..Faults::default()
        },
        |t, run, got| {
            assert_eq!(unavailable(got), got.refused_requests());
            // Nothing could be accepted before the window closed.
            assert!(
                run.took > Duration::from_millis(1000),
                "{t:?}: {:?}",
                run.took
            );
        },
    );
}

#[test]
fn throttling_is_retried_after_the_servers_delay() {
    survives(
        Faults {
            throttle: Some(Duration::from_millis(600)),
            throttle_for: Duration::from_secs(1),
            ..Faults::default()
        },
        |t, run, got| {
            assert_eq!(throttled(got), got.refused_requests());
            // At most 16 requests are on the wire; each waits the server's
            // delay (gRPC RetryInfo 600 ms; HTTP Retry-After, whole seconds:
            // 1 s) before trying again, so within the 1 s window each is
            // refused at most twice (gRPC) or once (HTTP). A backoff of
            // 50-500 ms that ignored the delay would retry more often.
            let most = match t {
                Transport::Grpc => 2 * 16,
                Transport::Http { .. } => 16,
            };
            assert!(retries(&run.report) <= most, "{t:?}: {:?}", run.report);
            assert!(
                run.took > Duration::from_millis(500),
                "{t:?}: {:?}",
                run.took
            );
        },
    );
}

#[test]
fn random_failures_lose_nothing() {
    survives(
        Faults {
            fail_rate: 0.3,
            seed: 11,
            ..Faults::default()
        },
        |t, run, got| {
            assert_eq!(unavailable(got), got.refused_requests());
            // About 30% of attempts were refused (at least 10%).
            let all = requests(&run.report);
            assert!(got.refused_requests() * 10 >= all, "{t:?}: {all} attempts");
        },
    );
}

/// Connections reset while requests are in flight (a collector restart, a
/// load balancer's cut): the requests are retried, nothing is lost.
#[test]
fn connections_cut_mid_request_lose_nothing() {
    let cases = [Transport::Grpc, Transport::Http { json: false }].map(|t| {
        std::thread::spawn(move || {
            let r = receiver(Faults::default());
            let target = match t {
                Transport::Grpc => r.grpc_addr(),
                Transport::Http { .. } => r.http_addr(),
            };
            // Many small requests, slowly, so cuts find them on the wire.
            let cutter = Cutter::start(target.expect("listens"), Duration::from_millis(40), 10);
            let urls = match t {
                Transport::Grpc => grpc_urls(cutter.addr),
                Transport::Http { .. } => http_urls(cutter.addr),
            };
            let run = export(t, urls, |c| c.max_in_flight = 4);
            let cut = cutter.cut();
            drop(cutter);
            (t, run, within("the receiver's stop", move || r.stop()), cut)
        })
    });
    for case in cases {
        let (t, run, got, cut) = case.join().expect("the case runs");
        assert!(cut > 0, "{t:?}: no connection was cut");
        assert_all_sent(&run);
        // At least once: a request cut after the receiver took it but
        // before its answer came back arrives twice. Every span arrived;
        // the surplus is exactly the duplicates, and nothing else is wrong
        // (no parent is missing).
        let dups = got
            .violation_kinds
            .get("span.duplicate_id")
            .map_or(0, |k| k.count);
        assert_eq!(got.violations, dups, "{t:?}: {:?}", got.violation_kinds);
        let s = &run.sum;
        assert_eq!(got.spans(), s.spans + dups, "{t:?}");
        assert!(got.logs() >= s.logs && got.points() >= s.metrics, "{t:?}");
    }
}

/// 4: partial success: what the receiver rejected is what the exporter
/// counts rejected, item for item, per signal.
#[test]
fn rejected_items_are_counted_not_lost() {
    let cases = [
        Transport::Grpc,
        Transport::Http { json: false },
        Transport::Http { json: true },
    ]
    .map(|t| {
        std::thread::spawn(move || {
            let faults = Faults {
                reject_rate: 0.1,
                ..Faults::default()
            };
            (t, into_receiver(t, false, faults))
        })
    });
    for case in cases {
        let (t, (run, got)) = case.join().expect("the case runs");
        let r = &run.report;
        assert!(r.balanced(), "{r:?}");
        let generated = [run.sum.spans, run.sum.metrics, run.sum.logs];
        for (s, want) in Signal::ALL.into_iter().zip(generated) {
            let (mine, theirs) = (r.signal(s), counts(&got, s));
            assert_eq!(mine.generated, want);
            assert_eq!(mine.rejected, theirs.rejected, "{t:?} {s:?} rejected");
            assert_eq!(mine.sent, theirs.items, "{t:?} {s:?} sent");
            assert_eq!(mine.sent + mine.rejected, want, "{t:?} {s:?}");
            assert_eq!((mine.failed, mine.retries), (0, 0), "{t:?} {s:?}");
            if mine.rejected > 0 {
                assert!(
                    mine.rejections.iter().all(|m| m.contains("--reject-rate")),
                    "{:?}",
                    mine.rejections
                );
            }
        }
        // 100 spans a request, a tenth of each rejected.
        let spans = r.signal(Signal::Traces);
        let n = run.sum.spans;
        assert_eq!(spans.rejected, n / 100 * 10 + n % 100 / 10, "{t:?}");
        assert_eq!(r.lost(), got.rejected());
        assert_eq!(got.violations, 0, "{:?}", got.violation_kinds);
    }
}

/// 5: a permanent failure (HTTP 400, gRPC INVALID_ARGUMENT) fails every
/// request at once, with the server's reason, and is never retried.
#[test]
fn permanent_failures_are_not_retried() {
    for (transport, reason) in [
        (
            Transport::Http { json: false },
            format!("HTTP 400: {REFUSAL}"),
        ),
        (Transport::Grpc, format!("gRPC InvalidArgument: {REFUSAL}")),
    ] {
        let server = Independent::start(Answer::Refuse);
        let urls = match transport {
            Transport::Grpc => grpc_urls(server.grpc),
            Transport::Http { .. } => http_urls(server.http),
        };
        let run = export(transport, urls, |_| {});
        let r = &run.report;
        assert!(r.balanced(), "{r:?}");
        let seen = server.seen();
        let generated = [run.sum.spans, run.sum.metrics, run.sum.logs];
        for (s, want) in Signal::ALL.into_iter().zip(generated) {
            let c = r.signal(s);
            assert_eq!((c.sent, c.rejected, c.failed), (0, 0, want), "{s:?}");
            assert_eq!(c.retries, 0, "{s:?}");
            assert_eq!(seen.requests[s.index()], c.requests, "{s:?}");
            let reasons: Vec<_> = c.failures.iter().collect();
            assert_eq!(reasons, vec![(&reason, &want)], "{s:?}");
        }
        assert!(run.took < Duration::from_secs(10), "{:?}", run.took);
    }
}

/// 6: nothing listening: every request is retried until `give_up_after`,
/// then failed as given up; the run still ends, soon.
#[test]
fn an_unreachable_endpoint_gives_up_in_time() {
    let free = std::net::TcpListener::bind(localhost())
        .and_then(|l| l.local_addr())
        .expect("a free port");
    for (transport, urls) in [
        (Transport::Http { json: false }, http_urls(free)),
        (Transport::Grpc, grpc_urls(free)),
    ] {
        let run = export(transport, urls, |c| {
            c.retry.give_up_after = Duration::from_secs(1);
            // Every request on the wire at once: each gets its own second.
            c.max_in_flight = 256;
        });
        let r = &run.report;
        assert!(r.balanced(), "{r:?}");
        let generated = [run.sum.spans, run.sum.metrics, run.sum.logs];
        for (s, want) in Signal::ALL.into_iter().zip(generated) {
            let c = r.signal(s);
            assert_eq!(
                (c.sent, c.rejected, c.failed),
                (0, 0, want),
                "{transport:?} {s:?}"
            );
            assert!(c.retries > 0, "{transport:?} {s:?}");
            assert!(
                c.failures
                    .keys()
                    .all(|k| k.starts_with("gave up retrying: ")),
                "{:?}",
                c.failures
            );
        }
        assert!(
            run.took < Duration::from_secs(5),
            "{transport:?}: {:?}",
            run.took
        );
    }
}

/// A server that never answers: each attempt ends at the exporter's
/// timeout and is retried until `give_up_after`, then failed as given up.
#[test]
fn attempts_time_out_and_are_given_up() {
    let server = Independent::start(Answer::Stall);
    for (transport, urls, why) in [
        (
            Transport::Http { json: false },
            http_urls(server.http),
            "no answer within 200ms",
        ),
        (Transport::Grpc, grpc_urls(server.grpc), "gRPC "),
    ] {
        let run = export(transport, urls, |c| {
            c.timeout = Duration::from_millis(200);
            c.retry.give_up_after = Duration::from_secs(1);
            c.max_in_flight = 256;
        });
        let r = &run.report;
        assert!(r.balanced(), "{r:?}");
        let generated = [run.sum.spans, run.sum.metrics, run.sum.logs];
        for (s, want) in Signal::ALL.into_iter().zip(generated) {
            let c = r.signal(s);
            assert_eq!((c.sent, c.failed), (0, want), "{transport:?} {s:?}");
            assert!(c.retries > 0, "{transport:?} {s:?}");
            assert!(
                c.failures
                    .keys()
                    .all(|k| k.starts_with(&format!("gave up retrying: {why}"))),
                "{:?}",
                c.failures
            );
        }
        assert!(
            run.took < Duration::from_secs(5),
            "{transport:?}: {:?}",
            run.took
        );
    }
    let seen = server.seen();
    assert!(seen.requests.iter().all(|n| *n > 0), "{:?}", seen.requests);
    assert_eq!((seen.spans, seen.points, seen.logs), (0, 0, 0));
}

/// A stop (Ctrl-C) while the receiver refuses everything and the queue is
/// full: the run still ends within the drain deadline, and what was not
/// delivered by then is failed as stopped, every item accounted for.
#[test]
fn a_stop_during_an_outage_ends_at_the_drain_deadline() {
    let r = receiver(Faults {
        unavailable_for: Duration::from_secs(60),
        ..Faults::default()
    });
    let url = grpc_urls(r.grpc_addr().expect("grpc"));
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    let stopper = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(300));
        flag.store(true, Ordering::SeqCst);
    });
    let run = export(Transport::Grpc, url, move |c| {
        c.stop = Some(stop);
        c.drain = Duration::from_millis(500);
    });
    stopper.join().expect("stops");
    let got = within("the receiver's stop", move || r.stop());
    assert!(run.sum.stopped, "{:?}", run.sum);
    assert!(run.took < Duration::from_secs(3), "{:?}", run.took);
    let rep = &run.report;
    assert!(rep.balanced(), "{rep:?}");
    assert_eq!(rep.in_flight, 0);
    let reason = "stopped before it was delivered (drain deadline passed)";
    let generated = [run.sum.spans, run.sum.metrics, run.sum.logs];
    for (s, want) in Signal::ALL.into_iter().zip(generated) {
        let c = rep.signal(s);
        assert_eq!(c.generated, want, "{s:?}");
        assert_eq!((c.sent, c.rejected, c.failed), (0, 0, want), "{s:?}");
        if want > 0 {
            let reasons: Vec<_> = c.failures.iter().collect();
            assert_eq!(reasons, vec![(&reason.to_string(), &want)], "{s:?}");
        }
    }
    assert!(run.sum.spans > 0);
    assert_eq!((got.spans(), got.logs(), got.points()), (0, 0, 0));
    assert!(got.refused_requests() > 0);
}

/// A dead endpoint ends a run once it has failed for `give_up_after`,
/// however many requests are queued behind the one in flight: the give-up
/// clock is the endpoint's outage, not each request's own.
#[test]
fn a_dead_endpoint_gives_up_once_not_once_per_request() {
    use tsim_runtime::sink::otlp::export::{Config, Exporter, Policy};
    use tsim_runtime::sink::otlp::Requests;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let url = format!("http://127.0.0.1:{port}");
    let mut config = Config::new(Transport::Grpc, [url.clone(), url.clone(), url]);
    config.max_in_flight = 1;
    config.retry = Policy {
        give_up_after: Duration::from_millis(500),
        ..Policy::default()
    };
    let mut exporter = Exporter::start(config).expect("starts");
    let stats = exporter.stats();
    let began = std::time::Instant::now();
    for _ in 0..40 {
        exporter
            .request(Signal::Traces, vec![0x0a, 0x00], 10)
            .expect("queued");
    }
    exporter.finish().expect("finishes");
    let took = began.elapsed();
    let t = stats.report().signal(Signal::Traces);
    assert_eq!((t.generated, t.sent, t.failed), (400, 0, 400), "{t:?}");
    assert!(
        t.failures.keys().all(|r| r.starts_with("gave up retrying")),
        "{:?}",
        t.failures
    );
    // Per request it would be 40 x 0.5 s.
    assert!(took < Duration::from_secs(5), "{took:?}");
}
