//! An OTLP receiver independent of tsim's: the official generated tonic
//! services for gRPC, a minimal hyper 1 server for OTLP/HTTP (bodies
//! decoded with prost, or serde for OTLP/JSON). It counts items, checks id
//! lengths, span id uniqueness and that parents and log span references
//! resolve, and records each request's `x-team` header. Told to, it
//! answers every request with a permanent error (HTTP 400, gRPC
//! INVALID_ARGUMENT) instead, or not at all.

use std::collections::{BTreeMap, HashSet};
use std::io::Read;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use opentelemetry_proto::tonic::collector::logs::v1::logs_service_server::{
    LogsService, LogsServiceServer,
};
use opentelemetry_proto::tonic::collector::logs::v1::{
    ExportLogsServiceRequest, ExportLogsServiceResponse,
};
use opentelemetry_proto::tonic::collector::metrics::v1::metrics_service_server::{
    MetricsService, MetricsServiceServer,
};
use opentelemetry_proto::tonic::collector::metrics::v1::{
    ExportMetricsServiceRequest, ExportMetricsServiceResponse,
};
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{
    TraceService, TraceServiceServer,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use opentelemetry_proto::tonic::metrics::v1::metric::Data;
use prost::Message;
use tonic::codec::CompressionEncoding;
use tonic::metadata::MetadataMap;
use tonic::transport::server::TcpIncoming;

/// How the server answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Answer {
    /// Accept everything (OK, empty response).
    Accept,
    /// HTTP 400 / gRPC INVALID_ARGUMENT to every request.
    Refuse,
    /// No answer for a minute.
    Stall,
}

/// Waits a minute when told to stall.
async fn stall(answer: Answer) {
    if answer == Answer::Stall {
        tokio::time::sleep(std::time::Duration::from_secs(60)).await;
    }
}

/// The message of a refusal.
pub const REFUSAL: &str = "bad request (independent test server)";

/// What arrived.
#[derive(Default, Debug)]
pub struct Seen {
    /// Requests per signal (traces, metrics, logs), refused ones included.
    pub requests: [u64; 3],
    /// Spans, metric data points and log records accepted.
    pub spans: u64,
    pub points: u64,
    pub logs: u64,
    /// Requests with a gzip body; OTLP/JSON requests.
    pub gzip: u64,
    pub json: u64,
    /// `x-team` header (metadata) values by how many requests had them
    /// ("" when absent).
    pub teams: BTreeMap<String, u64>,
    /// Id problems: wrong lengths, duplicate span ids (the first few).
    pub problems: Vec<String>,
    pub problem_count: u64,
    span_ids: HashSet<Vec<u8>>,
    parents: Vec<Vec<u8>>,
    log_spans: Vec<Vec<u8>>,
}

impl Seen {
    fn problem(&mut self, p: String) {
        self.problem_count += 1;
        if self.problems.len() < 10 {
            self.problems.push(p);
        }
    }

    fn header(&mut self, team: Option<&str>) {
        *self
            .teams
            .entry(team.unwrap_or("").to_string())
            .or_default() += 1;
    }

    fn traces(&mut self, r: &ExportTraceServiceRequest) {
        for rs in &r.resource_spans {
            for ss in &rs.scope_spans {
                for s in &ss.spans {
                    self.spans += 1;
                    if s.trace_id.len() != 16 || s.trace_id.iter().all(|b| *b == 0) {
                        self.problem(format!("span {:?}: trace id {:?}", s.name, s.trace_id));
                    }
                    if s.span_id.len() != 8 || s.span_id.iter().all(|b| *b == 0) {
                        self.problem(format!("span {:?}: span id {:?}", s.name, s.span_id));
                    }
                    if !s.parent_span_id.is_empty() {
                        if s.parent_span_id.len() != 8 {
                            self.problem(format!("span {:?}: parent {:?}", s.name, s.span_id));
                        }
                        self.parents.push(s.parent_span_id.clone());
                    }
                    if !self.span_ids.insert(s.span_id.clone()) {
                        self.problem(format!("span {:?}: duplicate id {:?}", s.name, s.span_id));
                    }
                }
            }
        }
    }

    fn metrics(&mut self, r: &ExportMetricsServiceRequest) {
        for rm in &r.resource_metrics {
            for sm in &rm.scope_metrics {
                for m in &sm.metrics {
                    self.points += match &m.data {
                        Some(Data::Gauge(g)) => g.data_points.len(),
                        Some(Data::Sum(s)) => s.data_points.len(),
                        Some(Data::Histogram(h)) => h.data_points.len(),
                        Some(Data::ExponentialHistogram(h)) => h.data_points.len(),
                        Some(Data::Summary(s)) => s.data_points.len(),
                        None => 0,
                    } as u64;
                }
            }
        }
    }

    fn logs(&mut self, r: &ExportLogsServiceRequest) {
        for rl in &r.resource_logs {
            for sl in &rl.scope_logs {
                for l in &sl.log_records {
                    self.logs += 1;
                    let (t, s) = (l.trace_id.len(), l.span_id.len());
                    if !matches!((t, s), (0, 0) | (16, 8)) {
                        self.problem(format!("log: trace id of {t} bytes, span id of {s}"));
                    }
                    if s == 8 {
                        self.log_spans.push(l.span_id.clone());
                    }
                }
            }
        }
    }

    /// Parent span ids and log span references that name no span that
    /// arrived.
    pub fn unresolved(&self) -> (usize, usize) {
        let missing = |ids: &[Vec<u8>]| ids.iter().filter(|p| !self.span_ids.contains(*p)).count();
        (missing(&self.parents), missing(&self.log_spans))
    }

    /// Log records that carry a span reference.
    pub fn logs_with_spans(&self) -> usize {
        self.log_spans.len()
    }
}

type Shared = Arc<Mutex<Seen>>;

fn lock(s: &Shared) -> std::sync::MutexGuard<'_, Seen> {
    s.lock().unwrap_or_else(|p| p.into_inner())
}

#[derive(Clone)]
struct Svc {
    seen: Shared,
    answer: Answer,
}

impl Svc {
    /// Counts a request in; `Err` when refusing it.
    fn admit(&self, signal: usize, meta: &MetadataMap) -> Result<(), tonic::Status> {
        let mut seen = lock(&self.seen);
        seen.requests[signal] += 1;
        seen.header(meta.get("x-team").and_then(|v| v.to_str().ok()));
        if meta.get("grpc-encoding").is_some_and(|v| v == "gzip") {
            seen.gzip += 1;
        }
        match self.answer {
            Answer::Refuse => Err(tonic::Status::invalid_argument(REFUSAL)),
            Answer::Accept | Answer::Stall => Ok(()),
        }
    }
}

#[tonic::async_trait]
impl TraceService for Svc {
    async fn export(
        &self,
        req: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
        self.admit(0, req.metadata())?;
        stall(self.answer).await;
        lock(&self.seen).traces(req.get_ref());
        Ok(tonic::Response::new(ExportTraceServiceResponse::default()))
    }
}

#[tonic::async_trait]
impl MetricsService for Svc {
    async fn export(
        &self,
        req: tonic::Request<ExportMetricsServiceRequest>,
    ) -> Result<tonic::Response<ExportMetricsServiceResponse>, tonic::Status> {
        self.admit(1, req.metadata())?;
        stall(self.answer).await;
        lock(&self.seen).metrics(req.get_ref());
        Ok(tonic::Response::new(ExportMetricsServiceResponse::default()))
    }
}

#[tonic::async_trait]
impl LogsService for Svc {
    async fn export(
        &self,
        req: tonic::Request<ExportLogsServiceRequest>,
    ) -> Result<tonic::Response<ExportLogsServiceResponse>, tonic::Status> {
        self.admit(2, req.metadata())?;
        stall(self.answer).await;
        lock(&self.seen).logs(req.get_ref());
        Ok(tonic::Response::new(ExportLogsServiceResponse::default()))
    }
}

fn reply(status: StatusCode, body: impl Into<Bytes>) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(body.into()));
    *r.status_mut() = status;
    r
}

fn decode<T: Message + Default + serde::de::DeserializeOwned>(
    body: &[u8],
    json: bool,
) -> Result<T, String> {
    if json {
        serde_json::from_slice(body).map_err(|e| e.to_string())
    } else {
        T::decode(body).map_err(|e| e.to_string())
    }
}

/// One OTLP/HTTP request.
async fn serve_http(
    svc: Svc,
    req: Request<hyper::body::Incoming>,
) -> Result<Response<Full<Bytes>>, std::convert::Infallible> {
    let signal = match req.uri().path() {
        "/v1/traces" => 0,
        "/v1/metrics" => 1,
        "/v1/logs" => 2,
        _ => return Ok(reply(StatusCode::NOT_FOUND, "unknown path")),
    };
    let header = |name: &str| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let team = header("x-team");
    let json = header("content-type").as_deref() == Some("application/json");
    let gzip = header("content-encoding").as_deref() == Some("gzip");
    let body = match req.into_body().collect().await {
        Ok(b) => b.to_bytes(),
        Err(e) => return Ok(reply(StatusCode::BAD_REQUEST, e.to_string())),
    };
    {
        let mut seen = lock(&svc.seen);
        seen.requests[signal] += 1;
        seen.header(team.as_deref());
        seen.gzip += u64::from(gzip);
        seen.json += u64::from(json);
    }
    if svc.answer == Answer::Refuse {
        return Ok(reply(StatusCode::BAD_REQUEST, REFUSAL));
    }
    stall(svc.answer).await;
    let body = if gzip {
        let mut out = Vec::new();
        if let Err(e) = flate2::read::GzDecoder::new(&body[..]).read_to_end(&mut out) {
            return Ok(reply(StatusCode::BAD_REQUEST, e.to_string()));
        }
        Bytes::from(out)
    } else {
        body
    };
    let decoded = match signal {
        0 => decode::<ExportTraceServiceRequest>(&body, json).map(|r| lock(&svc.seen).traces(&r)),
        1 => {
            decode::<ExportMetricsServiceRequest>(&body, json).map(|r| lock(&svc.seen).metrics(&r))
        }
        _ => decode::<ExportLogsServiceRequest>(&body, json).map(|r| lock(&svc.seen).logs(&r)),
    };
    Ok(match decoded {
        Err(e) => {
            lock(&svc.seen).problem(format!("an undecodable request: {e}"));
            reply(StatusCode::BAD_REQUEST, e)
        }
        // An empty response message, in either encoding.
        Ok(()) if json => reply(StatusCode::OK, "{}"),
        Ok(()) => reply(StatusCode::OK, Bytes::new()),
    })
}

/// The independent receiver: gRPC and HTTP listeners on 127.0.0.1, port 0,
/// served by its own runtime until dropped.
pub struct Independent {
    rt: Option<tokio::runtime::Runtime>,
    pub grpc: SocketAddr,
    pub http: SocketAddr,
    seen: Shared,
}

impl Independent {
    pub fn start(answer: Answer) -> Independent {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("a runtime");
        let seen = Shared::default();
        let svc = Svc {
            seen: seen.clone(),
            answer,
        };
        let local = SocketAddr::from(([127, 0, 0, 1], 0));
        let (grpc, http) = rt.block_on(async {
            let incoming = TcpIncoming::bind(local).expect("binds");
            let grpc = incoming.local_addr().expect("bound");
            let server = tonic::transport::Server::builder()
                .add_service(
                    TraceServiceServer::new(svc.clone())
                        .accept_compressed(CompressionEncoding::Gzip),
                )
                .add_service(
                    MetricsServiceServer::new(svc.clone())
                        .accept_compressed(CompressionEncoding::Gzip),
                )
                .add_service(
                    LogsServiceServer::new(svc.clone())
                        .accept_compressed(CompressionEncoding::Gzip),
                )
                .serve_with_incoming(incoming);
            tokio::spawn(server);
            let listener = tokio::net::TcpListener::bind(local).await.expect("binds");
            let http = listener.local_addr().expect("bound");
            tokio::spawn(async move {
                while let Ok((stream, _)) = listener.accept().await {
                    let svc = svc.clone();
                    let service = service_fn(move |req| serve_http(svc.clone(), req));
                    tokio::spawn(
                        hyper::server::conn::http1::Builder::new()
                            .serve_connection(TokioIo::new(stream), service),
                    );
                }
            });
            (grpc, http)
        });
        Independent {
            rt: Some(rt),
            grpc,
            http,
            seen,
        }
    }

    /// What arrived so far.
    pub fn seen(&self) -> std::sync::MutexGuard<'_, Seen> {
        lock(&self.seen)
    }
}

impl Drop for Independent {
    fn drop(&mut self) {
        if let Some(rt) = self.rt.take() {
            rt.shutdown_background();
        }
    }
}
