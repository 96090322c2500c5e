//! A benchmark's receiving end: an OTLP/gRPC and OTLP/HTTP server on
//! loopback that reads every request body, counts requests and bytes, and
//! answers success without decoding (so the sender, not the receiver, is
//! what is measured). gRPC answers are an empty `Export*ServiceResponse`
//! with `grpc-status: 0` in the trailers; HTTP answers are `200` with an
//! empty protobuf body.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Request, Response};
use http_body_util::BodyExt;
use hyper::body::{Body, Frame, Incoming};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use tokio::net::TcpListener;

/// What the server has taken.
#[derive(Default, Debug)]
pub struct Counts {
    /// Requests answered.
    pub requests: AtomicU64,
    /// Body bytes read (as on the wire).
    pub bytes: AtomicU64,
}

/// A running counting server.
pub struct CountingServer {
    /// Where it listens.
    pub addr: SocketAddr,
    /// Its counts.
    pub counts: Arc<Counts>,
    rt: Option<tokio::runtime::Runtime>,
}

impl CountingServer {
    /// Listens on 127.0.0.1 (a free port) with `threads` threads.
    pub fn start(threads: usize) -> std::io::Result<CountingServer> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads.max(1))
            .thread_name("tsim-bench-sink")
            .enable_all()
            .build()?;
        let listener = rt.block_on(TcpListener::bind("127.0.0.1:0"))?;
        let addr = listener.local_addr()?;
        let counts = Arc::new(Counts::default());
        let c = counts.clone();
        rt.spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let _ = stream.set_nodelay(true);
                let c = c.clone();
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |req| answer(req, c.clone()));
                    let _ = auto::Builder::new(TokioExecutor::new())
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Ok(CountingServer {
            addr,
            counts,
            rt: Some(rt),
        })
    }

    /// Requests and bytes taken so far.
    pub fn taken(&self) -> (u64, u64) {
        (
            self.counts.requests.load(Ordering::Relaxed),
            self.counts.bytes.load(Ordering::Relaxed),
        )
    }
}

impl Drop for CountingServer {
    fn drop(&mut self) {
        if let Some(rt) = self.rt.take() {
            rt.shutdown_background();
        }
    }
}

async fn answer(
    req: Request<Incoming>,
    counts: Arc<Counts>,
) -> Result<Response<Reply>, Infallible> {
    let grpc = req
        .headers()
        .get(http::header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/grpc"));
    let mut body = req.into_body();
    let mut n = 0u64;
    while let Some(frame) = body.frame().await {
        match frame {
            Ok(f) => n += f.data_ref().map_or(0, |d| d.len() as u64),
            Err(_) => break,
        }
    }
    counts.bytes.fetch_add(n, Ordering::Relaxed);
    counts.requests.fetch_add(1, Ordering::Relaxed);
    let reply = if grpc {
        Response::builder()
            .header(http::header::CONTENT_TYPE, "application/grpc")
            .body(Reply::grpc())
    } else {
        Response::builder()
            .header(http::header::CONTENT_TYPE, "application/x-protobuf")
            .body(Reply::http())
    };
    Ok(reply.unwrap_or_else(|_| Response::new(Reply::http())))
}

/// A reply body: one data frame, then (for gRPC) the status trailers.
pub struct Reply {
    data: Option<Bytes>,
    trailers: Option<HeaderMap>,
}

impl Reply {
    fn grpc() -> Reply {
        let mut t = HeaderMap::new();
        t.insert("grpc-status", HeaderValue::from_static("0"));
        Reply {
            // An empty message: uncompressed flag, length 0.
            data: Some(Bytes::from_static(&[0, 0, 0, 0, 0])),
            trailers: Some(t),
        }
    }
    fn http() -> Reply {
        Reply {
            data: None,
            trailers: None,
        }
    }
}

impl Body for Reply {
    type Data = Bytes;
    type Error = Infallible;
    fn poll_frame(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        if let Some(d) = self.data.take() {
            return Poll::Ready(Some(Ok(Frame::data(d))));
        }
        Poll::Ready(self.trailers.take().map(|t| Ok(Frame::trailers(t))))
    }
}
