//! The HTTP side of `tsim serve`: a small hyper server on its own thread
//! answering `GET /metrics` from a shared [`Latest`] (the text format
//! 0.0.4, or OpenMetrics 1.0 when `Accept` asks for
//! `application/openmetrics-text`), `GET /health`
//! (`{"status":"healthy","uptime":"3h45m"}`), `GET /config` (a JSON text
//! given at start) and 404 for anything else. [`Server::stop`] stops
//! accepting and lets requests in flight finish.

use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use bytes::Bytes;
use http::{header, Method, Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::watch;

use super::exposition::Format;
use super::latest::Latest;
use crate::time::format_duration;

/// What the pages are made from.
struct Pages {
    latest: Arc<Mutex<Latest>>,
    config: String,
    began: Instant,
}

/// A running server.
pub struct Server {
    addr: SocketAddr,
    stop: watch::Sender<bool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// The format an `Accept` header asks for: OpenMetrics when it names
/// `application/openmetrics-text` (with a q above 0), else text 0.0.4.
pub fn negotiate(accept: Option<&str>) -> Format {
    let Some(accept) = accept else {
        return Format::Text;
    };
    let wants = accept.split(',').any(|item| {
        let mut parts = item.split(';').map(str::trim);
        let media = parts.next().unwrap_or("");
        let refused = parts.any(|p| {
            p.strip_prefix("q=")
                .and_then(|q| q.trim().parse::<f64>().ok())
                .is_some_and(|q| q <= 0.0)
        });
        media.eq_ignore_ascii_case("application/openmetrics-text") && !refused
    });
    if wants {
        Format::OpenMetrics
    } else {
        Format::Text
    }
}

fn response(status: StatusCode, content_type: &str, body: String) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = status;
    if let Ok(v) = header::HeaderValue::from_str(content_type) {
        r.headers_mut().insert(header::CONTENT_TYPE, v);
    }
    r
}

/// The answer to one request.
fn answer(pages: &Pages, req: &Request<Incoming>) -> Response<Full<Bytes>> {
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return response(
            StatusCode::METHOD_NOT_ALLOWED,
            "text/plain; charset=utf-8",
            "only GET is served\n".into(),
        );
    }
    match req.uri().path() {
        "/metrics" => {
            let accept = req
                .headers()
                .get(header::ACCEPT)
                .and_then(|v| v.to_str().ok());
            let format = negotiate(accept);
            let page = pages
                .latest
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .render(format);
            response(StatusCode::OK, format.content_type(), page)
        }
        "/health" => {
            let up = pages.began.elapsed().as_nanos();
            let up = format_duration(u64::try_from(up).unwrap_or(u64::MAX));
            let body = serde_json::json!({"status": "healthy", "uptime": up}).to_string();
            response(StatusCode::OK, "application/json", body)
        }
        "/config" => response(StatusCode::OK, "application/json", pages.config.clone()),
        _ => response(
            StatusCode::NOT_FOUND,
            "text/plain; charset=utf-8",
            "not found: try /metrics, /health or /config\n".into(),
        ),
    }
}

/// Returns once `stop` is true (or its sender is gone).
async fn stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|s| *s).await;
}

async fn accept_loop(listener: TcpListener, pages: Arc<Pages>, mut stop: watch::Receiver<bool>) {
    let mut conns = tokio::task::JoinSet::new();
    loop {
        tokio::select! {
            () = stopped(&mut stop) => break,
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else {
                    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                    continue;
                };
                let pages = pages.clone();
                let mut stop = stop.clone();
                conns.spawn(async move {
                    let service = service_fn(move |req| {
                        let r = answer(&pages, &req);
                        async move { Ok::<_, std::convert::Infallible>(r) }
                    });
                    let conn = http1::Builder::new().serve_connection(TokioIo::new(stream), service);
                    tokio::pin!(conn);
                    tokio::select! {
                        _ = conn.as_mut() => {}
                        () = stopped(&mut stop) => {
                            conn.as_mut().graceful_shutdown();
                            let _ = tokio::time::timeout(std::time::Duration::from_secs(2), conn).await;
                        }
                    }
                });
            }
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
        }
    }
    drop(listener);
    let _ = tokio::time::timeout(std::time::Duration::from_secs(3), async {
        while conns.join_next().await.is_some() {}
    })
    .await;
    conns.abort_all();
}

impl Server {
    /// Binds `listen` and serves from `latest`; `config` is the body of
    /// `/config`. Fails when the address cannot be bound.
    pub fn start(
        listen: SocketAddr,
        latest: Arc<Mutex<Latest>>,
        config: String,
    ) -> io::Result<Server> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let std_listener = std::net::TcpListener::bind(listen)
            .map_err(|e| io::Error::new(e.kind(), format!("cannot listen on {listen}: {e}")))?;
        std_listener.set_nonblocking(true)?;
        let addr = std_listener.local_addr()?;
        let (stop, watch) = watch::channel(false);
        let pages = Arc::new(Pages {
            latest,
            config,
            began: Instant::now(),
        });
        let thread = std::thread::Builder::new()
            .name("tsim-serve".into())
            .spawn(move || {
                rt.block_on(async move {
                    match TcpListener::from_std(std_listener) {
                        Ok(listener) => accept_loop(listener, pages, watch).await,
                        Err(e) => eprintln!("error: cannot serve on {addr}: {e}"),
                    }
                });
            })?;
        Ok(Server {
            addr,
            stop,
            thread: Some(thread),
        })
    }

    /// The bound address (port 0 picks a free one).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops accepting, lets requests in flight finish, joins the thread.
    pub fn stop(mut self) {
        let _ = self.stop.send(true);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_picks_openmetrics_only_when_asked() {
        assert_eq!(negotiate(None), Format::Text);
        assert_eq!(negotiate(Some("text/plain;version=0.0.4")), Format::Text);
        let prometheus = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
        assert_eq!(negotiate(Some(prometheus)), Format::OpenMetrics);
        assert_eq!(
            negotiate(Some("application/openmetrics-text; q=0")),
            Format::Text
        );
        assert_eq!(negotiate(Some("*/*")), Format::Text);
    }
}
