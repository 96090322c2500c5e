//! What the receiver cannot take: unknown paths, other methods and content
//! types, undecodable bodies over both transports, bodies over the limit.

use bytes::Bytes;
use http::Request;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use prost::Message;
use tsim_receiver::{google_rpc, Faults, MAX_BODY};

use crate::common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn not_found_method_not_allowed_unsupported_media_type() {
    let r = start(Faults::default());
    let addr = http(&r);
    let body = encode(&logs_of(1), Enc::Proto);
    let a = send(
        addr,
        "POST",
        "/v1/spans",
        &[("content-type", "application/x-protobuf")],
        body.clone(),
    )
    .await;
    assert_eq!(a.status, 404);
    let a = send(addr, "GET", "/v1/logs", &[], Vec::new()).await;
    assert_eq!(a.status, 405);
    assert_eq!(
        a.headers.get("allow").and_then(|v| v.to_str().ok()),
        Some("POST")
    );
    let a = send(
        addr,
        "POST",
        "/v1/logs",
        &[("content-type", "text/plain")],
        body.clone(),
    )
    .await;
    assert_eq!(a.status, 415);
    let a = send(addr, "POST", "/v1/logs", &[], body.clone()).await;
    assert_eq!(a.status, 415);
    let a = send(
        addr,
        "POST",
        "/v1/logs",
        &[
            ("content-type", "application/x-protobuf"),
            ("content-encoding", "br"),
        ],
        body.clone(),
    )
    .await;
    assert_eq!(a.status, 415);
    let a = send(
        addr,
        "POST",
        "/v1/logs",
        &[("content-type", "application/x-protobuf; charset=binary")],
        body,
    )
    .await;
    assert_eq!(a.status, 200);
    let report = stop(r).await;
    let e = &report.http_errors;
    assert_eq!(
        (e.not_found, e.method_not_allowed, e.unsupported_media_type),
        (1, 1, 3)
    );
    assert_eq!(report.logs.http.requests, 5);
    assert_eq!(report.logs(), 1);
    assert_eq!(report.decode_errors(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn undecodable_bodies_are_400_and_counted() {
    let r = start(Faults::default());
    let addr = http(&r);
    let proto = [("content-type", "application/x-protobuf")];
    let json = [("content-type", "application/json")];
    let a = send(addr, "POST", "/v1/traces", &proto, vec![0xff, 0xff, 0xff]).await;
    assert_eq!(a.status, 400);
    let status = google_rpc::Status::decode(a.body).expect("a google.rpc.Status body");
    assert!(status.message.contains("protobuf"), "{}", status.message);
    let a = send(
        addr,
        "POST",
        "/v1/traces",
        &json,
        b"{\"resourceSpans\": 5}".to_vec(),
    )
    .await;
    assert_eq!(a.status, 400);
    let body: serde_json::Value = serde_json::from_slice(&a.body).expect("a JSON status");
    assert_eq!(body["code"], 3);
    // a bad hex id in JSON
    let bad_id = br#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"zz","spanId":"0102030405060708"}]}]}]}"#;
    let a = send(addr, "POST", "/v1/traces", &json, bad_id.to_vec()).await;
    assert_eq!(a.status, 400);
    let a = send(
        addr,
        "POST",
        "/v1/metrics",
        &[
            ("content-type", "application/x-protobuf"),
            ("content-encoding", "gzip"),
        ],
        b"not gzip".to_vec(),
    )
    .await;
    assert_eq!(a.status, 400);
    let report = stop(r).await;
    assert_eq!(report.traces.http.decode_errors, 3);
    assert_eq!(report.metrics.http.decode_errors, 1);
    assert_eq!(report.decode_errors(), 4);
    assert_eq!(report.spans(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_over_the_limit_are_413() {
    let r = start(Faults::default());
    // 64 MiB and one byte of zeros, gzipped to a small body
    let bomb = gzip(&vec![0u8; MAX_BODY + 1]);
    let a = send(
        http(&r),
        "POST",
        "/v1/logs",
        &[
            ("content-type", "application/x-protobuf"),
            ("content-encoding", "gzip"),
        ],
        bomb,
    )
    .await;
    assert_eq!(a.status, 413);
    let report = stop(r).await;
    assert_eq!(report.http_errors.payload_too_large, 1);
    assert_eq!(report.logs(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_undecodable_grpc_message_is_counted() {
    let r = start(Faults::default());
    let client = Client::builder(TokioExecutor::new())
        .http2_only(true)
        .build_http::<Full<Bytes>>();
    // a gRPC frame (uncompressed, 4 bytes) holding an invalid protobuf
    let frame = vec![0, 0, 0, 0, 4, 0xff, 0xff, 0xff, 0xff];
    let req = Request::builder()
        .method("POST")
        .uri(format!(
            "http://{}/opentelemetry.proto.collector.trace.v1.TraceService/Export",
            grpc(&r)
        ))
        .header("content-type", "application/grpc")
        .header("te", "trailers")
        .body(Full::new(Bytes::from(frame)))
        .expect("a request");
    let resp = client.request(req).await.expect("an answer");
    let status = resp
        .headers()
        .get("grpc-status")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let _ = resp.into_body().collect().await;
    assert_eq!(status.as_deref(), Some("13"));
    // an unknown service is UNIMPLEMENTED and counted nowhere
    let req = Request::builder()
        .method("POST")
        .uri(format!("http://{}/some.Other/Export", grpc(&r)))
        .header("content-type", "application/grpc")
        .body(Full::new(Bytes::new()))
        .expect("a request");
    let resp = client.request(req).await.expect("an answer");
    assert_eq!(
        resp.headers()
            .get("grpc-status")
            .and_then(|v| v.to_str().ok()),
        Some("12")
    );
    drop(client);
    let report = stop(r).await;
    assert_eq!(report.traces.grpc.decode_errors, 1);
    assert_eq!(report.traces.grpc.requests, 1);
    assert_eq!(report.traces.grpc.bytes, 9);
    assert_eq!(report.spans(), 0);
}
