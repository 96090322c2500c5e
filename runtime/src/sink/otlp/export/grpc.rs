//! OTLP/gRPC: pre-encoded request bytes sent through tonic with a codec
//! that passes bytes through (tonic's generated clients would re-encode
//! through prost types), over one or more HTTP/2 connections taken in
//! turn. Responses are decoded with the official types for their
//! `partial_success`; a RESOURCE_EXHAUSTED or other status carrying
//! `google.rpc.RetryInfo` gives its delay.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bytes::{Buf, BufMut, Bytes};
use http::uri::PathAndQuery;
use tonic::codec::{Codec, CompressionEncoding, DecodeBuf, Decoder, EncodeBuf, Encoder};
use tonic::metadata::{MetadataKey, MetadataValue};
use tonic::transport::{Channel, Endpoint};
use tonic::Status;
use tonic_types::StatusExt;

use super::response;
use crate::sink::deliver::retry::{chain, connect_failure, grpc_retryable, Attempt};
use crate::sink::deliver::{BoxFuture, Deliver};
use crate::sink::otlp::Signal;

/// A codec whose messages are already-encoded bytes.
#[derive(Clone, Copy, Default)]
struct Raw;

impl Codec for Raw {
    type Encode = Bytes;
    type Decode = Bytes;
    type Encoder = Raw;
    type Decoder = Raw;
    fn encoder(&mut self) -> Raw {
        Raw
    }
    fn decoder(&mut self) -> Raw {
        Raw
    }
}

impl Encoder for Raw {
    type Item = Bytes;
    type Error = Status;
    fn encode(&mut self, item: Bytes, dst: &mut EncodeBuf<'_>) -> Result<(), Status> {
        dst.put(item);
        Ok(())
    }
}

impl Decoder for Raw {
    type Item = Bytes;
    type Error = Status;
    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<Bytes>, Status> {
        Ok(Some(src.copy_to_bytes(src.remaining())))
    }
}

fn path(signal: Signal) -> PathAndQuery {
    PathAndQuery::from_static(match signal {
        Signal::Traces => "/opentelemetry.proto.collector.trace.v1.TraceService/Export",
        Signal::Metrics => "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export",
        Signal::Logs => "/opentelemetry.proto.collector.logs.v1.LogsService/Export",
    })
}

/// gRPC metadata to send with every request.
pub type Metadata = Vec<(
    MetadataKey<tonic::metadata::Ascii>,
    MetadataValue<tonic::metadata::Ascii>,
)>;

/// Checks headers as gRPC metadata: lowercase-able ASCII names and values.
pub fn metadata(headers: &[(String, String)]) -> Result<Metadata, String> {
    headers
        .iter()
        .map(|(k, v)| {
            let key = MetadataKey::from_bytes(k.to_ascii_lowercase().as_bytes())
                .map_err(|_| format!("header `{k}`: not a valid gRPC metadata name"))?;
            let value = MetadataValue::try_from(v.as_str()).map_err(|_| {
                format!("header `{k}`: its value is not valid gRPC metadata (printable ASCII)")
            })?;
            Ok((key, value))
        })
        .collect()
}

/// A gRPC client over `connections` connections.
pub struct Grpc {
    channels: Vec<Channel>,
    next: AtomicUsize,
    metadata: [Metadata; 3],
    gzip: bool,
    timeout: Duration,
}

impl Grpc {
    /// Connects lazily to `uri` (`http://host:port`, or `https://` over
    /// TLS, see [`crate::sink::deliver::tls`]); must be called inside the exporter's
    /// runtime.
    pub fn new(
        uri: &str,
        connections: usize,
        metadata: [Metadata; 3],
        gzip: bool,
        timeout: Duration,
        insecure: bool,
    ) -> Result<Grpc, String> {
        let endpoint = Endpoint::from_shared(uri.to_string())
            .map_err(|e| format!("{uri}: not a gRPC endpoint: {e}"))?
            .tcp_nodelay(true)
            .connect_timeout(Duration::from_secs(10))
            .timeout(timeout);
        let channels = if uri.starts_with("https://") {
            let connector = crate::sink::deliver::tls::grpc_connector(insecure)?;
            (0..connections.max(1))
                .map(|_| endpoint.connect_with_connector_lazy(connector.clone()))
                .collect()
        } else {
            (0..connections.max(1))
                .map(|_| endpoint.connect_lazy())
                .collect()
        };
        Ok(Grpc {
            channels,
            next: AtomicUsize::new(0),
            metadata,
            gzip,
            timeout,
        })
    }

    /// One attempt to send `body`.
    async fn unary(&self, signal: Signal, body: Bytes) -> Attempt {
        let i = self.next.fetch_add(1, Ordering::Relaxed) % self.channels.len();
        let mut client =
            tonic::client::Grpc::new(self.channels[i].clone()).max_decoding_message_size(16 << 20);
        if self.gzip {
            client = client.send_compressed(CompressionEncoding::Gzip);
        }
        client = client.accept_compressed(CompressionEncoding::Gzip);
        if let Err(e) = client.ready().await {
            return connect_failure(format!("cannot connect: {}", chain(&e)));
        }
        let mut request = tonic::Request::new(body);
        request.set_timeout(self.timeout);
        for (k, v) in &self.metadata[signal.index()] {
            request.metadata_mut().insert(k.clone(), v.clone());
        }
        match client.unary(request, path(signal), Raw).await {
            Ok(resp) => response::protobuf(signal, resp.get_ref()),
            Err(status) => classify(&status),
        }
    }
}

impl Deliver for Grpc {
    fn send(&self, signal: Signal, body: Bytes, _items: u64) -> BoxFuture<'_, Attempt> {
        Box::pin(self.unary(signal, body))
    }
}

/// A failed call's status as an attempt outcome.
fn classify(status: &Status) -> Attempt {
    let delay = status.get_details_retry_info().and_then(|r| r.retry_delay);
    let reason = format!("gRPC {:?}: {}", status.code(), status.message());
    // A status tonic made from a transport failure (the connection reset or
    // closed mid-call: it carries the error as its source) is not the
    // server's answer; the request may never have arrived, so it is retried
    // as a failed connection is.
    let transport = std::error::Error::source(status).is_some();
    if transport && reason.contains("certificate") {
        // The handshake refused the server's certificate: no retry helps.
        return connect_failure(reason);
    }
    let retry = transport
        || grpc_retryable(status.code())
        || (status.code() == tonic::Code::ResourceExhausted && delay.is_some());
    if retry {
        Attempt::Retry {
            after: delay,
            reason,
        }
    } else {
        Attempt::Fail { reason }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_are_classified_as_the_spec_says() {
        let unavailable = Status::unavailable("down");
        assert!(matches!(
            classify(&unavailable),
            Attempt::Retry { after: None, .. }
        ));
        let bad = Status::invalid_argument("no");
        assert!(matches!(classify(&bad), Attempt::Fail { .. }));
        let exhausted = Status::resource_exhausted("slow down");
        assert!(matches!(classify(&exhausted), Attempt::Fail { .. }));
        let details = tonic_types::ErrorDetails::with_retry_info(Some(Duration::from_secs(2)));
        let throttled =
            Status::with_error_details(tonic::Code::ResourceExhausted, "slow down", details);
        assert_eq!(
            classify(&throttled),
            Attempt::Retry {
                after: Some(Duration::from_secs(2)),
                reason: "gRPC ResourceExhausted: slow down".into()
            }
        );
        let reset = Status::from_error(Box::new(std::io::Error::other("connection reset")));
        assert_eq!(reset.code(), tonic::Code::Unknown);
        assert!(matches!(
            classify(&reset),
            Attempt::Retry { after: None, .. }
        ));
        assert!(matches!(
            classify(&Status::unknown("no")),
            Attempt::Fail { .. }
        ));
        assert!(metadata(&[("X-Team".into(), "k".into())]).is_ok());
        assert!(metadata(&[("bad key".into(), "k".into())]).is_err());
    }
}
