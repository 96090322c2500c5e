//! The connection loop both listeners run: accept, serve each connection
//! with hyper-util's auto (HTTP/1.1 and h2c) builder, and on shutdown stop
//! accepting, shut connections down gracefully, wait for in-flight requests,
//! then for the connections to close (bounded).

use std::error::Error as StdError;
use std::sync::Arc;
use std::time::Duration;

use http::{Request, Response};
use hyper::body::{Body, Incoming};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::shared::Shared;

/// How long `stop` waits for requests in flight.
const REQUEST_GRACE: Duration = Duration::from_secs(30);
/// How long it then waits for connections to close.
const CONNECTION_GRACE: Duration = Duration::from_millis(500);

type BoxError = Box<dyn StdError + Send + Sync>;

/// Serves `listener` until `shutdown` turns true.
pub(crate) async fn serve<S, B>(
    listener: TcpListener,
    service: S,
    shared: Arc<Shared>,
    mut shutdown: watch::Receiver<bool>,
) where
    S: hyper::service::Service<Request<Incoming>, Response = Response<B>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<BoxError>,
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder.http1().header_read_timeout(None).keep_alive(true);
    builder
        .http2()
        .initial_stream_window_size(4 << 20)
        .initial_connection_window_size(8 << 20)
        .max_frame_size(1 << 20);
    let mut conns = JoinSet::new();
    let for_conns = shutdown.clone();
    loop {
        tokio::select! {
            () = stopped(&mut shutdown) => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    let _ = stream.set_nodelay(true);
                    let builder = builder.clone();
                    let service = service.clone();
                    let mut shutdown = for_conns.clone();
                    conns.spawn(async move {
                        let conn = builder.serve_connection(TokioIo::new(stream), service);
                        tokio::pin!(conn);
                        tokio::select! {
                            _ = conn.as_mut() => return,
                            () = stopped(&mut shutdown) => {}
                        }
                        conn.as_mut().graceful_shutdown();
                        let _ = conn.await;
                    });
                }
                // Out of file descriptors and the like: wait a little and go on.
                Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
            },
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
        }
    }
    drop(listener);
    let _ = tokio::time::timeout(REQUEST_GRACE, shared.inflight.idle()).await;
    let _ = tokio::time::timeout(CONNECTION_GRACE, async {
        while conns.join_next().await.is_some() {}
    })
    .await;
    conns.abort_all();
}

/// Returns once `shutdown` is true (or its sender is gone).
async fn stopped(shutdown: &mut watch::Receiver<bool>) {
    let _ = shutdown.wait_for(|stop| *stop).await;
}
