//! OTLP/gRPC: the three tonic services (gzip both ways, 64 MiB messages),
//! and the wrapper around their routes that counts requests and wire bytes,
//! refuses requests by the fault plan before they are decoded, and notices
//! decoding errors.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use http::{Request, Response};
use http_body_util::BodyExt;
use hyper::body::Incoming;
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
use tonic::codegen::{CompressionEncoding, Service};
use tonic::service::Routes;
use tonic::{Code, Status};

use crate::faults::Admission;
use crate::google_rpc;
use crate::shared::Shared;
use crate::stats::{add, bump, Signal, Transport};
use crate::MAX_BODY;

const TRACES_PATH: &str = "/opentelemetry.proto.collector.trace.v1.TraceService/Export";
const METRICS_PATH: &str = "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export";
const LOGS_PATH: &str = "/opentelemetry.proto.collector.logs.v1.LogsService/Export";

#[derive(Clone)]
struct Otlp(Arc<Shared>);

#[tonic::async_trait]
impl TraceService for Otlp {
    async fn export(
        &self,
        request: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, Status> {
        Ok(tonic::Response::new(
            self.0.accept_traces(Transport::Grpc, request.get_ref()),
        ))
    }
}

#[tonic::async_trait]
impl MetricsService for Otlp {
    async fn export(
        &self,
        request: tonic::Request<ExportMetricsServiceRequest>,
    ) -> Result<tonic::Response<ExportMetricsServiceResponse>, Status> {
        Ok(tonic::Response::new(
            self.0.accept_metrics(Transport::Grpc, request.get_ref()),
        ))
    }
}

#[tonic::async_trait]
impl LogsService for Otlp {
    async fn export(
        &self,
        request: tonic::Request<ExportLogsServiceRequest>,
    ) -> Result<tonic::Response<ExportLogsServiceResponse>, Status> {
        Ok(tonic::Response::new(
            self.0.accept_logs(Transport::Grpc, request.get_ref()),
        ))
    }
}

/// The routes of the three services.
pub(crate) fn routes(shared: Arc<Shared>) -> Routes {
    let svc = Otlp(shared);
    let traces = TraceServiceServer::new(svc.clone())
        .accept_compressed(CompressionEncoding::Gzip)
        .send_compressed(CompressionEncoding::Gzip)
        .max_decoding_message_size(MAX_BODY);
    let metrics = MetricsServiceServer::new(svc.clone())
        .accept_compressed(CompressionEncoding::Gzip)
        .send_compressed(CompressionEncoding::Gzip)
        .max_decoding_message_size(MAX_BODY);
    let logs = LogsServiceServer::new(svc)
        .accept_compressed(CompressionEncoding::Gzip)
        .send_compressed(CompressionEncoding::Gzip)
        .max_decoding_message_size(MAX_BODY);
    Routes::new(traces)
        .add_service(metrics)
        .add_service(logs)
        .prepare()
}

/// The answer to a throttled request: RESOURCE_EXHAUSTED with a RetryInfo.
fn throttled(delay: Duration) -> Status {
    let message = "tsim receive: throttled (--throttle)";
    let details =
        google_rpc::Status::with_retry_delay(Code::ResourceExhausted as i32, message, delay);
    Status::with_details(
        Code::ResourceExhausted,
        message,
        prost::Message::encode_to_vec(&details).into(),
    )
}

/// Handles one HTTP/2 request of the gRPC listener.
pub(crate) async fn handle(
    shared: Arc<Shared>,
    mut routes: Routes,
    req: Request<Incoming>,
) -> Result<Response<tonic::body::Body>, Infallible> {
    let _inflight = shared.inflight.enter();
    let signal = match req.uri().path() {
        TRACES_PATH => Some(Signal::Traces),
        METRICS_PATH => Some(Signal::Metrics),
        LOGS_PATH => Some(Signal::Logs),
        _ => None,
    };
    let Some(signal) = signal else {
        std::future::poll_fn(|cx| Service::<Request<Incoming>>::poll_ready(&mut routes, cx))
            .await?;
        return routes.call(req).await;
    };
    let cell = shared.stats.cell(signal, Transport::Grpc);
    bump(&cell.requests);
    match shared.admit(signal, Transport::Grpc) {
        Admission::Accept => {}
        Admission::Unavailable => {
            return Ok(
                Status::unavailable("tsim receive: unavailable (injected failure)").into_http(),
            );
        }
        Admission::Throttled(delay) => return Ok(throttled(delay).into_http()),
    }
    let gzip = req
        .headers()
        .get("grpc-encoding")
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"gzip"));
    if gzip {
        bump(&cell.gzip_requests);
    }
    let counter = Arc::clone(&shared);
    let req = req.map(move |body| {
        body.map_frame(move |frame| {
            if let Some(data) = frame.data_ref() {
                add(
                    &counter.stats.cell(signal, Transport::Grpc).bytes,
                    data.len() as u64,
                );
            }
            frame
        })
    });
    std::future::poll_fn(|cx| Service::<Request<Incoming>>::poll_ready(&mut routes, cx)).await?;
    let response = routes.call(req).await?;
    // Our handlers always answer OK, so an error status in the headers is
    // tonic's: a message that did not decode or decompress, or was too large.
    if response
        .headers()
        .get("grpc-status")
        .is_some_and(|v| v.as_bytes() != b"0")
    {
        bump(&cell.decode_errors);
    }
    Ok(response)
}
