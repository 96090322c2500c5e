//! Each violation kind detected on crafted requests, parents resolved across
//! requests and transports, and the span tracking limit.

use std::net::SocketAddr;

use opentelemetry_proto::tonic::trace::v1::Status;
use tsim_receiver::{kinds, Config, Faults};

use crate::common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_span_fields_are_found_over_grpc() {
    let r = start(Faults::default());
    let mut spans = Vec::new();
    let mut s = span(1, 1, None);
    s.trace_id = vec![1; 15];
    spans.push(s);
    let mut s = span(1, 2, None);
    s.span_id = vec![2; 7];
    spans.push(s);
    let mut s = span(1, 3, None);
    s.parent_span_id = vec![3; 3];
    spans.push(s);
    let mut s = span(1, 4, None);
    s.trace_id = vec![0; 16];
    spans.push(s);
    let mut s = span(1, 5, None);
    s.end_time_unix_nano = s.start_time_unix_nano - 1;
    spans.push(s);
    let mut s = span(1, 6, None);
    s.start_time_unix_nano = 0;
    spans.push(s);
    let mut s = span(1, 7, None);
    s.name.clear();
    s.kind = 0;
    s.status = Some(Status {
        code: 7,
        ..Default::default()
    });
    spans.push(s);
    let mut s = span(1, 8, None);
    s.attributes = vec![
        kv("http.route", "/"),
        kv("db.query.text", "SELECT 1"),
        kv("messaging.destination.name", "q"),
    ];
    spans.push(s);
    let mut c = trace_client(grpc(&r)).await;
    c.export(traces(None, spans)).await.expect("accepted");
    drop(c);
    let report = stop(r).await;
    assert_eq!(report.spans(), 8);
    for k in [
        kinds::SPAN_TRACE_ID_INVALID,
        kinds::SPAN_ID_INVALID,
        kinds::PARENT_SPAN_ID_INVALID,
        kinds::SPAN_END_BEFORE_START,
        kinds::SPAN_START_MISSING,
        kinds::SPAN_NAME_EMPTY,
        kinds::SPAN_KIND_UNSPECIFIED,
        kinds::SPAN_STATUS_UNKNOWN,
        kinds::SEMCONV_HTTP_METHOD,
        kinds::SEMCONV_DB_SYSTEM,
        kinds::SEMCONV_MESSAGING_SYSTEM,
        kinds::SERVICE_NAME_MISSING,
    ] {
        let want = if k == kinds::SPAN_TRACE_ID_INVALID {
            2
        } else {
            1
        };
        assert_eq!(kind(&report, k), want, "{k}: {}", report.render());
    }
    assert_eq!(report.violations, 13);
    let samples = &report.violation_kinds[kinds::SPAN_ID_INVALID].samples;
    assert!(samples[0].contains("span_id has 7 bytes"), "{samples:?}");
    assert!(report.render().contains(kinds::SPAN_ID_INVALID));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicates_are_found_across_requests_and_transports() {
    let r = start(Faults::default());
    let req = trace_of(42, 3);
    let mut c = trace_client(grpc(&r)).await;
    c.export(req.clone()).await.expect("accepted");
    drop(c);
    let a = post(http(&r), "/v1/traces", &req, Enc::Json).await;
    assert_eq!(a.status, 200);
    let report = stop(r).await;
    assert_eq!(
        kind(&report, kinds::SPAN_DUPLICATE),
        3,
        "{}",
        report.render()
    );
    assert_eq!(report.violations, 3);
    assert_eq!(report.spans(), 6);
    let sample = &report.violation_kinds[kinds::SPAN_DUPLICATE].samples[0];
    assert!(sample.contains(&format!("{:032x}", 42u128)), "{sample}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_orphan_parent_is_a_violation_only_at_stop() {
    let r = start(Faults::default());
    let req = traces(Some("api"), vec![span(7, 1, None), span(7, 2, Some(99))]);
    let a = post(http(&r), "/v1/traces", &req, Enc::Proto).await;
    assert_eq!(a.status, 200);
    let snapshot = r.report();
    assert_eq!(snapshot.pending_parents, 1);
    assert_eq!(snapshot.violations, 0);
    let report = stop(r).await;
    assert_eq!(
        kind(&report, kinds::PARENT_MISSING),
        1,
        "{}",
        report.render()
    );
    assert_eq!(report.violations, 1);
    assert_eq!(report.pending_parents, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_parent_arriving_in_a_later_request_is_not_a_violation() {
    let r = start(Faults::default());
    // children first, over HTTP/JSON; the root later, over gRPC; a grandchild last
    let children = traces(Some("api"), vec![span(9, 2, Some(1)), span(9, 3, Some(1))]);
    assert_eq!(
        post(http(&r), "/v1/traces", &children, Enc::JsonGzip)
            .await
            .status,
        200
    );
    assert_eq!(r.report().pending_parents, 2);
    let mut c = trace_client(grpc(&r)).await;
    c.export(traces(Some("api"), vec![span(9, 1, None)]))
        .await
        .expect("accepted");
    drop(c);
    assert_eq!(r.report().pending_parents, 0);
    let grandchild = traces(Some("api"), vec![span(9, 4, Some(3))]);
    assert_eq!(
        post(http(&r), "/v1/traces", &grandchild, Enc::Proto)
            .await
            .status,
        200
    );
    let report = stop(r).await;
    assert_eq!(report.violations, 0, "{}", report.render());
    assert_eq!(report.spans(), 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn histogram_inconsistencies_and_decreasing_counters() {
    let r = start(Faults::default());
    let first = metrics(
        Some("api"),
        vec![
            counter(
                "requests",
                vec![
                    number(10_000, 5.0, vec![kv("route", "/a")]),
                    number(10_000, 1.0, vec![kv("route", "/b")]),
                ],
            ),
            histogram(
                "latency",
                vec![histogram_point(10_000, 4, vec![1, 3], vec![10.0])],
            ),
            histogram(
                "broken",
                vec![
                    histogram_point(10_000, 4, vec![1, 1, 2], vec![10.0]),
                    histogram_point(10_000, 5, vec![1, 3], vec![10.0]),
                    histogram_point(10_000, 4, vec![1, 1, 2], vec![20.0, 10.0]),
                ],
            ),
            gauge("temperature", vec![number(10_000, f64::INFINITY, vec![])]),
        ],
    );
    assert_eq!(
        post(http(&r), "/v1/metrics", &first, Enc::Proto)
            .await
            .status,
        200
    );
    let second = metrics(
        Some("api"),
        vec![
            // /a goes down: a violation; /b goes up: fine
            counter(
                "requests",
                vec![
                    number(20_000, 3.0, vec![kv("route", "/a")]),
                    number(20_000, 2.0, vec![kv("route", "/b")]),
                ],
            ),
            histogram(
                "latency",
                vec![histogram_point(20_000, 2, vec![1, 1], vec![10.0])],
            ),
        ],
    );
    let mut c = metrics_client(grpc(&r)).await;
    c.export(second).await.expect("accepted");
    drop(c);
    // a reset (a new start time) is not a decrease
    let mut reset = number(30_000, 0.0, vec![kv("route", "/b")]);
    reset.start_time_unix_nano = 25_000;
    let third = metrics(Some("api"), vec![counter("requests", vec![reset])]);
    assert_eq!(
        post(http(&r), "/v1/metrics", &third, Enc::Json)
            .await
            .status,
        200
    );
    let report = stop(r).await;
    assert_eq!(
        kind(&report, kinds::HISTOGRAM_BUCKETS),
        1,
        "{}",
        report.render()
    );
    assert_eq!(kind(&report, kinds::HISTOGRAM_COUNT), 1);
    assert_eq!(kind(&report, kinds::HISTOGRAM_BOUNDS), 1);
    assert_eq!(kind(&report, kinds::VALUE_NOT_FINITE), 1);
    assert_eq!(kind(&report, kinds::CUMULATIVE_DECREASE), 2);
    assert_eq!(report.violations, 6);
    assert_eq!(report.points(), 7 + 3 + 1);
    assert_eq!(report.tracked_series, 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_service_names_and_bad_logs() {
    let r = start(Faults::default());
    let mut records = vec![log(1), log(2)];
    records[0].time_unix_nano = 0;
    records[1].severity_number = 30;
    let mut bad_ids = log(3);
    bad_ids.trace_id = vec![1; 4];
    bad_ids.span_id = vec![1; 4];
    records.push(bad_ids);
    assert_eq!(
        post(http(&r), "/v1/logs", &logs(None, records), Enc::ProtoGzip)
            .await
            .status,
        200
    );
    let mut c = metrics_client(grpc(&r)).await;
    c.export(metrics(
        Some(""),
        vec![gauge("", vec![number(0, 1.0, vec![])])],
    ))
    .await
    .expect("accepted");
    drop(c);
    let report = stop(r).await;
    for k in [
        kinds::LOG_TIME_MISSING,
        kinds::LOG_SEVERITY_INVALID,
        kinds::LOG_TRACE_ID_INVALID,
        kinds::LOG_SPAN_ID_INVALID,
        kinds::METRIC_NAME_EMPTY,
        kinds::POINT_TIME_MISSING,
    ] {
        assert_eq!(kind(&report, k), 1, "{k}: {}", report.render());
    }
    assert_eq!(kind(&report, kinds::SERVICE_NAME_MISSING), 2);
    assert_eq!(report.violations, 8);
    assert_eq!(report.logs(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tracking_stops_at_the_limit_without_false_violations() {
    let r = start_with(Config {
        grpc: None,
        http: Some(SocketAddr::from(([127, 0, 0, 1], 0))),
        faults: Faults::default(),
        max_tracked_spans: 3,
    });
    assert_eq!(
        post(http(&r), "/v1/traces", &trace_of(1, 3), Enc::Proto)
            .await
            .status,
        200
    );
    // a new trace after the limit: its orphan is not tracked
    let late = traces(Some("api"), vec![span(2, 2, Some(1))]);
    assert_eq!(
        post(http(&r), "/v1/traces", &late, Enc::Proto).await.status,
        200
    );
    let report = stop(r).await;
    assert!(report.tracking_stopped);
    assert_eq!(report.tracked_spans, 3);
    assert_eq!(report.violations, 0, "{}", report.render());
    assert!(report.render().contains("tracking stopped"));
}
