//! Failure injection over both transports: the unavailable window, the
//! throttle window with its retry delay, random failures, partial success.

use std::time::{Duration, Instant};

use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceResponse;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceResponse;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceResponse;
use prost::Message;
use tonic::Code;
use tsim_receiver::{google_rpc, Faults};

use crate::common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unavailable_for_refuses_then_accepts() {
    let window = Duration::from_millis(1000);
    let began = Instant::now();
    let r = start(Faults {
        unavailable_for: window,
        ..Faults::default()
    });
    let a = post(http(&r), "/v1/traces", &trace_of(1, 2), Enc::Proto).await;
    assert_eq!(a.status, 503);
    let status = google_rpc::Status::decode(a.body).expect("a google.rpc.Status body");
    assert_eq!(status.code, 14);
    let mut c = trace_client(grpc(&r)).await;
    let err = c.export(trace_of(2, 2)).await.expect_err("refused");
    assert_eq!(err.code(), Code::Unavailable);
    assert!(
        began.elapsed() < window,
        "the test machine is too slow for this window"
    );

    tokio::time::sleep(window.saturating_sub(began.elapsed()) + Duration::from_millis(50)).await;
    c.export(trace_of(2, 2))
        .await
        .expect("accepted after the window");
    let a = post(http(&r), "/v1/traces", &trace_of(1, 2), Enc::Proto).await;
    assert_eq!(a.status, 200);
    drop(c);
    let report = stop(r).await;
    for t in [&report.traces.grpc, &report.traces.http] {
        assert_eq!(
            (
                t.requests,
                t.refused_unavailable,
                t.refused_throttled,
                t.items
            ),
            (2, 1, 0, 2)
        );
    }
    assert_eq!(
        report.traces.http.bytes,
        encode(&trace_of(1, 2), Enc::Proto).len() as u64
    );
    assert_eq!(report.refused_requests(), 2);
    assert_eq!(report.violations, 0, "{}", report.render());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttle_carries_the_retry_delay() {
    let r = start(Faults {
        throttle: Some(Duration::from_millis(1500)),
        throttle_for: Duration::from_secs(60),
        ..Faults::default()
    });
    let a = post(http(&r), "/v1/logs", &logs_of(3), Enc::Proto).await;
    assert_eq!(a.status, 429);
    assert_eq!(
        a.headers.get("retry-after").and_then(|v| v.to_str().ok()),
        Some("2")
    );
    let status = google_rpc::Status::decode(a.body).expect("a google.rpc.Status body");
    assert_eq!(status.code, 8);
    assert_eq!(status.retry_delay(), Some(Duration::from_millis(1500)));

    let a = post(http(&r), "/v1/logs", &logs_of(3), Enc::Json).await;
    assert_eq!(a.status, 429);
    let body: serde_json::Value = serde_json::from_slice(&a.body).expect("a JSON status");
    assert_eq!(body["code"], 8);
    assert_eq!(body["details"][0]["retryDelay"], "1.5s");

    let mut c = logs_client(grpc(&r)).await;
    let err = c.export(logs_of(3)).await.expect_err("throttled");
    assert_eq!(err.code(), Code::ResourceExhausted);
    assert_eq!(
        google_rpc::retry_delay(err.details()),
        Some(Duration::from_millis(1500))
    );
    drop(c);
    let report = stop(r).await;
    assert_eq!(report.logs.http.refused_throttled, 2);
    assert_eq!(report.logs.grpc.refused_throttled, 1);
    assert_eq!(report.logs(), 0);
    assert_eq!(report.refused_requests(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sub_second_throttle_says_retry_after_one_second() {
    let r = start(Faults {
        throttle: Some(Duration::from_millis(200)),
        throttle_for: Duration::from_secs(60),
        ..Faults::default()
    });
    let a = post(http(&r), "/v1/traces", &trace_of(1, 1), Enc::Proto).await;
    assert_eq!(a.status, 429);
    assert_eq!(
        a.headers.get("retry-after").and_then(|v| v.to_str().ok()),
        Some("1")
    );
    stop(r).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reject_rate_reports_partial_success() {
    let r = start(Faults {
        reject_rate: 0.5,
        ..Faults::default()
    });
    let mut t = trace_client(grpc(&r)).await;
    let resp = t
        .export(trace_of(1, 7))
        .await
        .expect("accepted")
        .into_inner();
    let ps = resp.partial_success.expect("a partial success");
    assert_eq!(ps.rejected_spans, 3);
    assert!(
        ps.error_message.contains("3 of 7 spans"),
        "{}",
        ps.error_message
    );
    let mut m = metrics_client(grpc(&r)).await;
    let resp = m
        .export(metrics_of(3))
        .await
        .expect("accepted")
        .into_inner();
    assert_eq!(
        resp.partial_success.map(|p| p.rejected_data_points),
        Some(4)
    );
    drop((t, m));

    let a = post(http(&r), "/v1/traces", &trace_of(2, 5), Enc::Json).await;
    assert_eq!(a.status, 200);
    let resp: ExportTraceServiceResponse = serde_json::from_slice(&a.body).expect("json answer");
    assert_eq!(resp.partial_success.map(|p| p.rejected_spans), Some(2));
    let a = post(http(&r), "/v1/logs", &logs_of(4), Enc::ProtoGzip).await;
    let resp = ExportLogsServiceResponse::decode(a.body).expect("protobuf answer");
    assert_eq!(
        resp.partial_success.map(|p| p.rejected_log_records),
        Some(2)
    );
    let a = post(http(&r), "/v1/metrics", &metrics_of(1), Enc::Proto).await;
    let resp = ExportMetricsServiceResponse::decode(a.body).expect("protobuf answer");
    assert_eq!(
        resp.partial_success.map(|p| p.rejected_data_points),
        Some(1)
    );

    let report = stop(r).await;
    assert_eq!(
        (report.traces.grpc.items, report.traces.grpc.rejected),
        (4, 3)
    );
    assert_eq!(
        (report.traces.http.items, report.traces.http.rejected),
        (3, 2)
    );
    assert_eq!(
        (report.metrics.grpc.items, report.metrics.grpc.rejected),
        (5, 4)
    );
    assert_eq!(
        (report.metrics.http.items, report.metrics.http.rejected),
        (2, 1)
    );
    assert_eq!((report.logs.http.items, report.logs.http.rejected), (2, 2));
    assert_eq!(report.rejected(), 12);
    assert_eq!(report.refused_requests(), 0);
}

/// Which of `n` sequential HTTP requests a receiver with `faults` refuses.
async fn refusals(faults: Faults, n: usize) -> (Vec<bool>, u64) {
    let r = start(faults);
    let mut refused = Vec::new();
    for i in 0..n {
        let a = post(http(&r), "/v1/logs", &logs_of(1), Enc::Proto).await;
        assert!(a.status == 200 || a.status == 503, "{i}: {}", a.status);
        refused.push(a.status == 503);
    }
    let report = stop(r).await;
    assert_eq!(
        report.logs.http.refused_unavailable,
        refused.iter().filter(|x| **x).count() as u64
    );
    (refused, report.logs())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fail_rate_is_seeded() {
    let faults = Faults {
        fail_rate: 0.5,
        seed: 11,
        ..Faults::default()
    };
    let (a, accepted) = refusals(faults.clone(), 40).await;
    let (b, _) = refusals(faults.clone(), 40).await;
    assert_eq!(a, b);
    assert_eq!(accepted, a.iter().filter(|x| !**x).count() as u64);
    let failed = a.iter().filter(|x| **x).count();
    assert!((8..=32).contains(&failed), "{failed} of 40");
    let (c, _) = refusals(Faults { seed: 12, ..faults }, 40).await;
    assert_ne!(a, c);
    let (all, accepted) = refusals(
        Faults {
            fail_rate: 1.0,
            ..Faults::default()
        },
        5,
    )
    .await;
    assert!(all.iter().all(|x| *x));
    assert_eq!(accepted, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grpc_fail_rate_answers_unavailable() {
    let r = start(Faults {
        fail_rate: 1.0,
        ..Faults::default()
    });
    let mut c = metrics_client(grpc(&r)).await;
    let err = c.export(metrics_of(1)).await.expect_err("refused");
    assert_eq!(err.code(), Code::Unavailable);
    drop(c);
    let report = stop(r).await;
    assert_eq!(report.metrics.grpc.refused_unavailable, 1);
    assert_eq!(report.metrics.grpc.bytes, 0);
    assert_eq!(report.points(), 0);
}
