//! Builders of OTLP requests, HTTP and gRPC clients, and receiver helpers.

use std::io::Write;
use std::net::SocketAddr;

use bytes::Bytes;
use http::{HeaderMap, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use opentelemetry_proto::tonic::collector::logs::v1::logs_service_client::LogsServiceClient;
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::metrics::v1::metrics_service_client::MetricsServiceClient;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_client::TraceServiceClient;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{any_value::Value, AnyValue, KeyValue};
use opentelemetry_proto::tonic::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};
use opentelemetry_proto::tonic::metrics::v1::{
    metric::Data, number_data_point, Gauge, Histogram, HistogramDataPoint, Metric, NumberDataPoint,
    ResourceMetrics, ScopeMetrics, Sum,
};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span};
use tonic::transport::Channel;
use tsim_receiver::{Config, Faults, Receiver, Report};

/// A receiver on loopback port 0 for both transports.
pub fn start(faults: Faults) -> Receiver {
    start_with(Config {
        grpc: Some(SocketAddr::from(([127, 0, 0, 1], 0))),
        http: Some(SocketAddr::from(([127, 0, 0, 1], 0))),
        faults,
        ..Config::default()
    })
}

pub fn start_with(config: Config) -> Receiver {
    Receiver::start(config).expect("the receiver starts")
}

/// Stops a receiver off the async thread.
pub async fn stop(r: Receiver) -> Report {
    tokio::task::spawn_blocking(move || r.stop())
        .await
        .expect("stop does not panic")
}

pub fn kv(key: &str, value: &str) -> KeyValue {
    KeyValue {
        key: key.into(),
        value: Some(AnyValue {
            value: Some(Value::StringValue(value.into())),
        }),
        ..Default::default()
    }
}

pub fn resource(service: Option<&str>) -> Option<Resource> {
    Some(Resource {
        attributes: service
            .map(|s| vec![kv("service.name", s)])
            .unwrap_or_default(),
        ..Default::default()
    })
}

/// A valid span of trace `trace` with id `id`.
pub fn span(trace: u128, id: u64, parent: Option<u64>) -> Span {
    Span {
        trace_id: trace.to_be_bytes().to_vec(),
        span_id: id.to_be_bytes().to_vec(),
        parent_span_id: parent.map(|p| p.to_be_bytes().to_vec()).unwrap_or_default(),
        name: "GET /checkout".into(),
        kind: 2,
        start_time_unix_nano: 1_700_000_000_000_000_000,
        end_time_unix_nano: 1_700_000_000_050_000_000,
        attributes: vec![
            kv("http.request.method", "GET"),
            kv("http.route", "/checkout"),
        ],
        ..Default::default()
    }
}

pub fn traces(service: Option<&str>, spans: Vec<Span>) -> ExportTraceServiceRequest {
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: resource(service),
            scope_spans: vec![ScopeSpans {
                spans,
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
}

/// `n` valid spans of one trace: a root and its children.
pub fn trace_of(trace: u128, n: u64) -> ExportTraceServiceRequest {
    let spans = (1..=n)
        .map(|i| span(trace, i, (i > 1).then_some(1)))
        .collect();
    traces(Some("api"), spans)
}

pub fn log(i: u64) -> LogRecord {
    LogRecord {
        time_unix_nano: 1_700_000_000_000_000_000 + i,
        severity_number: 9,
        severity_text: "INFO".into(),
        body: Some(AnyValue {
            value: Some(Value::StringValue(format!("log {i}"))),
        }),
        ..Default::default()
    }
}

pub fn logs(service: Option<&str>, records: Vec<LogRecord>) -> ExportLogsServiceRequest {
    ExportLogsServiceRequest {
        resource_logs: vec![ResourceLogs {
            resource: resource(service),
            scope_logs: vec![ScopeLogs {
                log_records: records,
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
}

pub fn logs_of(n: u64) -> ExportLogsServiceRequest {
    logs(Some("api"), (0..n).map(log).collect())
}

pub fn number(time: u64, value: f64, attrs: Vec<KeyValue>) -> NumberDataPoint {
    NumberDataPoint {
        attributes: attrs,
        start_time_unix_nano: 1_000,
        time_unix_nano: time,
        value: Some(number_data_point::Value::AsDouble(value)),
        ..Default::default()
    }
}

pub fn histogram_point(
    time: u64,
    count: u64,
    buckets: Vec<u64>,
    bounds: Vec<f64>,
) -> HistogramDataPoint {
    HistogramDataPoint {
        start_time_unix_nano: 1_000,
        time_unix_nano: time,
        count,
        sum: Some(count as f64),
        bucket_counts: buckets,
        explicit_bounds: bounds,
        ..Default::default()
    }
}

pub fn gauge(name: &str, points: Vec<NumberDataPoint>) -> Metric {
    Metric {
        name: name.into(),
        data: Some(Data::Gauge(Gauge {
            data_points: points,
        })),
        ..Default::default()
    }
}

/// A cumulative monotonic sum.
pub fn counter(name: &str, points: Vec<NumberDataPoint>) -> Metric {
    Metric {
        name: name.into(),
        data: Some(Data::Sum(Sum {
            data_points: points,
            aggregation_temporality: 2,
            is_monotonic: true,
        })),
        ..Default::default()
    }
}

/// A cumulative histogram.
pub fn histogram(name: &str, points: Vec<HistogramDataPoint>) -> Metric {
    Metric {
        name: name.into(),
        data: Some(Data::Histogram(Histogram {
            data_points: points,
            aggregation_temporality: 2,
        })),
        ..Default::default()
    }
}

pub fn metrics(service: Option<&str>, metrics: Vec<Metric>) -> ExportMetricsServiceRequest {
    ExportMetricsServiceRequest {
        resource_metrics: vec![ResourceMetrics {
            resource: resource(service),
            scope_metrics: vec![ScopeMetrics {
                metrics,
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
}

/// A gauge, a counter and a histogram: `3 * n` points, all valid.
pub fn metrics_of(n: u64) -> ExportMetricsServiceRequest {
    let times = |i: u64| 2_000 + i;
    metrics(
        Some("api"),
        vec![
            gauge(
                "cpu",
                (0..n).map(|i| number(times(i), 0.5, vec![])).collect(),
            ),
            counter(
                "requests",
                (0..n).map(|i| number(times(i), i as f64, vec![])).collect(),
            ),
            histogram(
                "latency",
                (0..n)
                    .map(|i| histogram_point(times(i), i * 2, vec![i, i], vec![10.0]))
                    .collect(),
            ),
        ],
    )
}

pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(data).expect("gzip in memory");
    e.finish().expect("gzip in memory")
}

pub fn http_client() -> Client<HttpConnector, Full<Bytes>> {
    Client::builder(TokioExecutor::new()).build_http()
}

/// An HTTP answer.
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

/// Sends one request; `headers` are (name, value) pairs.
pub async fn send(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Vec<u8>,
) -> Answer {
    let mut req = Request::builder()
        .method(method)
        .uri(format!("http://{addr}{path}"));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let req = req
        .body(Full::new(Bytes::from(body)))
        .expect("a valid request");
    let resp = http_client()
        .request(req)
        .await
        .expect("the receiver answers");
    let status = resp.status();
    let headers = resp.headers().clone();
    let body = resp.into_body().collect().await.expect("a body").to_bytes();
    Answer {
        status,
        headers,
        body,
    }
}

/// How a test encodes an HTTP body.
#[derive(Clone, Copy, Debug)]
pub enum Enc {
    Proto,
    Json,
    ProtoGzip,
    JsonGzip,
}

impl Enc {
    pub const ALL: [Enc; 4] = [Enc::Proto, Enc::Json, Enc::ProtoGzip, Enc::JsonGzip];

    pub fn json(self) -> bool {
        matches!(self, Enc::Json | Enc::JsonGzip)
    }

    pub fn gzip(self) -> bool {
        matches!(self, Enc::ProtoGzip | Enc::JsonGzip)
    }
}

/// The body as sent on the wire.
pub fn encode<T: prost::Message + serde::Serialize>(msg: &T, enc: Enc) -> Vec<u8> {
    let raw = if enc.json() {
        serde_json::to_vec(msg).expect("json")
    } else {
        msg.encode_to_vec()
    };
    if enc.gzip() {
        gzip(&raw)
    } else {
        raw
    }
}

/// POSTs an OTLP message to `path` in `enc`.
pub async fn post<T: prost::Message + serde::Serialize>(
    addr: SocketAddr,
    path: &str,
    msg: &T,
    enc: Enc,
) -> Answer {
    let body = encode(msg, enc);
    let ct = if enc.json() {
        "application/json"
    } else {
        "application/x-protobuf"
    };
    let mut headers = vec![("content-type", ct)];
    if enc.gzip() {
        headers.push(("content-encoding", "gzip"));
    }
    send(addr, "POST", path, &headers, body).await
}

pub async fn trace_client(addr: SocketAddr) -> TraceServiceClient<Channel> {
    TraceServiceClient::connect(format!("http://{addr}"))
        .await
        .expect("connects")
}

pub async fn metrics_client(addr: SocketAddr) -> MetricsServiceClient<Channel> {
    MetricsServiceClient::connect(format!("http://{addr}"))
        .await
        .expect("connects")
}

pub async fn logs_client(addr: SocketAddr) -> LogsServiceClient<Channel> {
    LogsServiceClient::connect(format!("http://{addr}"))
        .await
        .expect("connects")
}

pub fn grpc(r: &Receiver) -> SocketAddr {
    r.grpc_addr().expect("a grpc listener")
}

pub fn http(r: &Receiver) -> SocketAddr {
    r.http_addr().expect("an http listener")
}

/// The count of one violation kind.
pub fn kind(report: &Report, kind: &str) -> u64 {
    report.violation_kinds.get(kind).map_or(0, |k| k.count)
}
