//! `tsim-receiver`: an OTLP receiver over gRPC (tonic) and HTTP/1.1 (hyper)
//! that decodes and validates what arrives, counts it per signal and
//! transport, and can be told to fail so that exporters' retry paths can be
//! tested. It runs on its own tokio runtime, so sync code and tests drive it
//! through [`Receiver::start`], [`Receiver::report`] and [`Receiver::stop`].
//!
//! | file | owns |
//! | --- | --- |
//! | `lib.rs` | the API: [`Config`], [`Receiver`] |
//! | `faults.rs` | [`Faults`] and the per-request decision |
//! | `shared.rs` | the state both servers share; processing a decoded request |
//! | `server.rs` | the accept loop and graceful shutdown |
//! | `grpc.rs` | the tonic services and the counting, refusing wrapper |
//! | `http.rs` | the OTLP/HTTP handler |
//! | `stats.rs` | atomic counters per signal and transport |
//! | `report.rs` | [`Report`] and its rendering |
//! | `validate/` | the checks (traces, spans, logs, metrics, series) |
//! | `google_rpc.rs` | `google.rpc.Status` and `RetryInfo` |
//! | `signal.rs` | [`wait_for_signal`] |

#![forbid(unsafe_code)]

mod faults;
pub mod google_rpc;
mod grpc;
mod http;
mod report;
mod server;
mod shared;
mod signal;
mod stats;
mod validate;

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use hyper::service::service_fn;
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use faults::Faults;
pub use report::{HttpErrors, KindReport, Report, SignalReport, TransportCounts};
pub use signal::wait_for_signal;
pub use validate::kinds;

use shared::Shared;

/// The largest request body (and decoded gRPC message) accepted: 64 MiB.
pub const MAX_BODY: usize = 64 << 20;

/// How long [`Receiver::stop`] waits for the servers at most.
const STOP_TIMEOUT: Duration = Duration::from_secs(40);

/// What to listen on and how to behave.
#[derive(Clone, Debug)]
pub struct Config {
    /// The gRPC listener; `None` for none. Port 0 picks a free port.
    pub grpc: Option<SocketAddr>,
    /// The HTTP listener; `None` for none. Port 0 picks a free port.
    pub http: Option<SocketAddr>,
    pub faults: Faults,
    /// Spans whose ids are tracked for duplicate and parent checks at most.
    pub max_tracked_spans: usize,
}

impl Default for Config {
    /// gRPC on 127.0.0.1:4317, HTTP on 127.0.0.1:4318, no faults, 20 million tracked spans.
    fn default() -> Config {
        Config {
            grpc: Some(SocketAddr::from((Ipv4Addr::LOCALHOST, 4317))),
            http: Some(SocketAddr::from((Ipv4Addr::LOCALHOST, 4318))),
            faults: Faults::default(),
            max_tracked_spans: 20_000_000,
        }
    }
}

/// A running receiver with its own tokio runtime on background threads
/// (usable from sync code and tests, inside another runtime too).
pub struct Receiver {
    shared: Arc<Shared>,
    grpc_addr: Option<SocketAddr>,
    http_addr: Option<SocketAddr>,
    shutdown: watch::Sender<bool>,
    servers: Vec<JoinHandle<()>>,
    runtime: Option<tokio::runtime::Runtime>,
}

impl std::fmt::Debug for Receiver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Receiver")
            .field("grpc_addr", &self.grpc_addr)
            .field("http_addr", &self.http_addr)
            .finish_non_exhaustive()
    }
}

impl Receiver {
    /// Binds the listeners and starts serving; the addresses are bound when it returns.
    pub fn start(config: Config) -> std::io::Result<Receiver> {
        let threads = std::thread::available_parallelism().map_or(2, |n| n.get().clamp(2, 8));
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads)
            .thread_name("tsim-receiver")
            .enable_all()
            .build()?;
        let bind = |addr: Option<SocketAddr>| -> std::io::Result<Option<std::net::TcpListener>> {
            let Some(addr) = addr else { return Ok(None) };
            let l = std::net::TcpListener::bind(addr)?;
            l.set_nonblocking(true)?;
            Ok(Some(l))
        };
        let grpc = bind(config.grpc)?;
        let http = bind(config.http)?;
        let grpc_addr = grpc.as_ref().map(|l| l.local_addr()).transpose()?;
        let http_addr = http.as_ref().map(|l| l.local_addr()).transpose()?;
        let shared = Arc::new(Shared::new(config.faults, config.max_tracked_spans));
        let (shutdown, stop_rx) = watch::channel(false);
        let mut servers = Vec::new();
        {
            let _entered = runtime.enter();
            if let Some(l) = grpc {
                let listener = tokio::net::TcpListener::from_std(l)?;
                let routes = grpc::routes(Arc::clone(&shared));
                let s = Arc::clone(&shared);
                let service =
                    service_fn(move |req| grpc::handle(Arc::clone(&s), routes.clone(), req));
                servers.push(runtime.spawn(server::serve(
                    listener,
                    service,
                    Arc::clone(&shared),
                    stop_rx.clone(),
                )));
            }
            if let Some(l) = http {
                let listener = tokio::net::TcpListener::from_std(l)?;
                let s = Arc::clone(&shared);
                let service = service_fn(move |req| http::handle(Arc::clone(&s), req));
                servers.push(runtime.spawn(server::serve(
                    listener,
                    service,
                    Arc::clone(&shared),
                    stop_rx,
                )));
            }
        }
        Ok(Receiver {
            shared,
            grpc_addr,
            http_addr,
            shutdown,
            servers,
            runtime: Some(runtime),
        })
    }

    /// The bound gRPC address, if listening.
    pub fn grpc_addr(&self) -> Option<SocketAddr> {
        self.grpc_addr
    }

    /// The bound HTTP address, if listening.
    pub fn http_addr(&self) -> Option<SocketAddr> {
        self.http_addr
    }

    /// A snapshot so far: parent references not resolved yet are reported as
    /// `pending_parents`, not as violations.
    pub fn report(&self) -> Report {
        self.shared.report(false)
    }

    /// Stops listening, waits for requests in flight, resolves parents and
    /// returns the final report.
    pub fn stop(mut self) -> Report {
        let _ = self.shutdown.send(true);
        if let Some(runtime) = self.runtime.take() {
            let (done_tx, done_rx) = std::sync::mpsc::channel();
            let servers = std::mem::take(&mut self.servers);
            runtime.spawn(async move {
                for s in servers {
                    let _ = s.await;
                }
                let _ = done_tx.send(());
            });
            let _ = done_rx.recv_timeout(STOP_TIMEOUT);
            runtime.shutdown_background();
        }
        self.shared.report(true)
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handles_move_across_threads() {
        fn send_sync<T: Send + Sync>() {}
        send_sync::<Receiver>();
        send_sync::<Report>();
        send_sync::<Config>();
    }

    #[test]
    fn default_config() {
        let c = Config::default();
        assert_eq!(c.grpc, Some(SocketAddr::from(([127, 0, 0, 1], 4317))));
        assert_eq!(c.http, Some(SocketAddr::from(([127, 0, 0, 1], 4318))));
        assert_eq!(c.max_tracked_spans, 20_000_000);
        assert_eq!(c.faults.fail_rate, 0.0);
    }
}
