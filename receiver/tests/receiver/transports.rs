//! Exact counts for each signal over each transport and encoding, gzip, and
//! the response encodings.

use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceResponse;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceResponse;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceResponse;
use prost::Message;
use tonic::codec::CompressionEncoding;
use tsim_receiver::Faults;

use crate::common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grpc_counts_every_signal_plain_and_gzip() {
    let r = start(Faults::default());
    let addr = grpc(&r);
    let mut t = trace_client(addr).await;
    let resp = t
        .export(trace_of(1, 5))
        .await
        .expect("accepted")
        .into_inner();
    assert_eq!(resp.partial_success, None);
    let mut tz = trace_client(addr)
        .await
        .send_compressed(CompressionEncoding::Gzip)
        .accept_compressed(CompressionEncoding::Gzip);
    tz.export(trace_of(2, 3)).await.expect("accepted");

    let mut m = metrics_client(addr).await;
    let plain = metrics_of(4);
    m.export(plain.clone()).await.expect("accepted");
    let mut mz = metrics_client(addr)
        .await
        .send_compressed(CompressionEncoding::Gzip);
    mz.export(metrics_of(2)).await.expect("accepted");

    let mut l = logs_client(addr).await;
    l.export(logs_of(7)).await.expect("accepted");
    let mut lz = logs_client(addr)
        .await
        .send_compressed(CompressionEncoding::Gzip);
    lz.export(logs_of(3)).await.expect("accepted");

    let snapshot = r.report();
    assert!(!snapshot.complete);
    assert_eq!(snapshot.spans(), 8);
    drop((t, tz, m, mz, l, lz));
    let report = stop(r).await;
    assert!(report.complete);

    let tr = &report.traces.grpc;
    assert_eq!(
        (tr.requests, tr.items, tr.gzip_requests, tr.rejected),
        (2, 8, 1, 0)
    );
    let mt = &report.metrics.grpc;
    assert_eq!((mt.requests, mt.items, mt.gzip_requests), (2, 18, 1));
    let lg = &report.logs.grpc;
    assert_eq!((lg.requests, lg.items, lg.gzip_requests), (2, 10, 1));
    // the plain message is its encoding plus the 5-byte gRPC frame header
    // (and the gzip one some compressed bytes)
    assert!(report.metrics.grpc.bytes > plain.encoded_len() as u64 + 5 + 5);
    assert_eq!(report.traces.http, Default::default());
    assert_eq!(
        (report.spans(), report.points(), report.logs()),
        (8, 18, 10)
    );
    assert_eq!(report.requests(), 6);
    assert_eq!(report.violations, 0, "{}", report.render());
    assert_eq!(report.decode_errors(), 0);
    assert_eq!(report.refused_requests(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grpc_plain_bytes_are_exact() {
    let r = start(Faults::default());
    let mut l = logs_client(grpc(&r)).await;
    let req = logs_of(11);
    l.export(req.clone()).await.expect("accepted");
    l.export(req.clone()).await.expect("accepted");
    drop(l);
    let report = stop(r).await;
    assert_eq!(report.logs.grpc.bytes, 2 * (req.encoded_len() as u64 + 5));
    assert_eq!(report.logs(), 22);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_counts_every_signal_in_every_encoding() {
    let r = start(Faults::default());
    let addr = http(&r);
    let mut bytes = [0u64; 3];
    for (i, enc) in Enc::ALL.into_iter().enumerate() {
        let t = trace_of(100 + i as u128, 4);
        let a = post(addr, "/v1/traces", &t, enc).await;
        assert_eq!(a.status, 200, "{enc:?}");
        let ct = a
            .headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if enc.json() {
            assert_eq!(ct, "application/json");
            let resp: ExportTraceServiceResponse =
                serde_json::from_slice(&a.body).expect("json answer");
            assert_eq!(resp.partial_success, None);
        } else {
            assert_eq!(ct, "application/x-protobuf");
            let resp = ExportTraceServiceResponse::decode(a.body).expect("protobuf answer");
            assert_eq!(resp.partial_success, None);
        }
        bytes[0] += encode(&t, enc).len() as u64;

        let m = metrics_of(1);
        let a = post(addr, "/v1/metrics", &m, enc).await;
        assert_eq!(a.status, 200, "{enc:?}");
        if !enc.json() {
            ExportMetricsServiceResponse::decode(a.body).expect("protobuf answer");
        }
        bytes[1] += encode(&m, enc).len() as u64;

        let l = logs_of(2);
        let a = post(addr, "/v1/logs", &l, enc).await;
        assert_eq!(a.status, 200, "{enc:?}");
        if !enc.json() {
            ExportLogsServiceResponse::decode(a.body).expect("protobuf answer");
        }
        bytes[2] += encode(&l, enc).len() as u64;
    }
    let report = stop(r).await;
    let (t, m, l) = (&report.traces.http, &report.metrics.http, &report.logs.http);
    assert_eq!(
        (t.requests, t.items, t.gzip_requests, t.json_requests),
        (4, 16, 2, 2)
    );
    assert_eq!(
        (m.requests, m.items, m.gzip_requests, m.json_requests),
        (4, 12, 2, 2)
    );
    assert_eq!(
        (l.requests, l.items, l.gzip_requests, l.json_requests),
        (4, 8, 2, 2)
    );
    assert_eq!([t.bytes, m.bytes, l.bytes], bytes);
    assert_eq!(report.traces.grpc, Default::default());
    assert_eq!(report.violations, 0, "{}", report.render());
    assert_eq!(report.tracked_spans, 16);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_listener_only_and_a_summary_that_serializes() {
    let r = start_with(tsim_receiver::Config {
        grpc: None,
        http: Some(std::net::SocketAddr::from(([127, 0, 0, 1], 0))),
        ..Default::default()
    });
    assert!(r.grpc_addr().is_none());
    let a = post(http(&r), "/v1/logs", &logs_of(1), Enc::Proto).await;
    assert_eq!(a.status, 200);
    let report = stop(r).await;
    let json = serde_json::to_value(&report).expect("serializes");
    assert_eq!(json["logs"]["http"]["items"], 1);
    assert_eq!(json["violations"], 0);
    assert!(
        report.render().contains("1 log records"),
        "{}",
        report.render()
    );
}

#[test]
fn usable_from_sync_code_with_a_raw_http_request() {
    use std::io::{Read, Write};
    let r = start(Faults::default());
    let body = encode(&logs_of(2), Enc::Proto);
    let mut s = std::net::TcpStream::connect(http(&r)).expect("connects");
    let head = format!(
        "POST /v1/logs HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).expect("writes");
    s.write_all(&body).expect("writes");
    let mut answer = String::new();
    let _ = s.read_to_string(&mut answer);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    let report = r.stop();
    assert_eq!(report.logs(), 2);
}

#[test]
fn a_taken_port_is_an_error() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("binds");
    let err = tsim_receiver::Receiver::start(tsim_receiver::Config {
        grpc: None,
        http: Some(taken.local_addr().expect("an address")),
        ..Default::default()
    })
    .expect_err("the port is taken");
    assert_eq!(err.kind(), std::io::ErrorKind::AddrInUse);
}
