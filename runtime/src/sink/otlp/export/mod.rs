//! The OTLP network exporter: the shared [`Exporter`] (queue, requests in
//! flight, retries, accounting; see [`crate::sink::deliver`]) delivering
//! encoded export requests through an OTLP/gRPC or OTLP/HTTP client, each
//! answer read as the OTLP spec says (partial success, retryable codes).

mod grpc;
mod http;
mod response;

use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

use crate::sink::deliver::Settings;
pub use crate::sink::deliver::{retry, stats};
pub use crate::sink::deliver::{Attempt, Exporter, Policy, Report, SignalReport, Stats};

/// How requests travel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transport {
    /// OTLP/gRPC.
    Grpc,
    /// OTLP/HTTP with protobuf bodies, or JSON when `json`.
    Http {
        /// `application/json` bodies (the encoder must then be JSON).
        json: bool,
    },
}

/// The exporter's settings.
#[derive(Clone, Debug)]
pub struct Config {
    /// The transport.
    pub transport: Transport,
    /// Where each signal goes, in [`crate::sink::Signal::ALL`] order: for gRPC
    /// `http://host:port` (the same for all three), for HTTP the full URL
    /// (`http://host:port/v1/traces`, ...).
    pub urls: [String; 3],
    /// Headers (gRPC metadata) sent with every request, per signal.
    pub headers: [Vec<(String, String)>; 3],
    /// Gzip request bodies.
    pub gzip: bool,
    /// Requests on the wire at once.
    pub max_in_flight: usize,
    /// gRPC connections (HTTP uses a pool sized by the requests in flight).
    pub connections: usize,
    /// Retries.
    pub retry: Policy,
    /// One attempt's timeout.
    pub timeout: Duration,
    /// After a stop (`stop` set), how long to keep delivering what is
    /// queued or in flight before counting it failed.
    pub drain: Duration,
    /// Set when the run is stopped (Ctrl-C): the drain deadline applies.
    pub stop: Option<Arc<AtomicBool>>,
    /// Sender threads.
    pub workers: usize,
    /// Accept any server certificate over TLS (self-signed test endpoints).
    pub insecure_skip_verify: bool,
}

impl Config {
    /// Defaults for `transport` to `urls`: no headers, no gzip, 16 in
    /// flight over 4 gRPC connections, the default retry policy, 10 s
    /// timeout and drain, one sender thread per spare core (at least 1).
    pub fn new(transport: Transport, urls: [String; 3]) -> Config {
        let defaults = Settings::default();
        Config {
            transport,
            urls,
            headers: Default::default(),
            gzip: false,
            max_in_flight: defaults.max_in_flight,
            connections: 4,
            retry: defaults.retry,
            timeout: Duration::from_secs(10),
            drain: defaults.drain,
            stop: None,
            workers: defaults.workers,
            insecure_skip_verify: false,
        }
    }
}

impl Config {
    /// The transport-independent part.
    fn settings(&self) -> Settings {
        Settings {
            max_in_flight: self.max_in_flight,
            retry: self.retry,
            drain: self.drain,
            stop: self.stop.clone(),
            workers: self.workers,
        }
    }
}

impl Exporter {
    /// Starts an OTLP exporter; connections are made on first use. An
    /// error names what is wrong with the settings (a bad URL or header).
    pub fn start(config: Config) -> Result<Exporter, String> {
        let settings = config.settings();
        match config.transport {
            Transport::Grpc => Exporter::start_with(settings, || {
                grpc::Grpc::new(
                    &config.urls[0],
                    config.connections,
                    [
                        grpc::metadata(&config.headers[0])?,
                        grpc::metadata(&config.headers[1])?,
                        grpc::metadata(&config.headers[2])?,
                    ],
                    config.gzip,
                    config.timeout,
                    config.insecure_skip_verify,
                )
            }),
            Transport::Http { json } => Exporter::start_with(settings, || {
                http::Http::new(
                    config.urls.clone(),
                    json,
                    config.gzip,
                    [
                        http::header_map(&config.headers[0])?,
                        http::header_map(&config.headers[1])?,
                        http::header_map(&config.headers[2])?,
                    ],
                    config.timeout,
                    config.insecure_skip_verify,
                )
            }),
        }
    }
}
