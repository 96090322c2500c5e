//! The OTLP network exporter: a [`Requests`] that delivers encoded export
//! requests over gRPC or HTTP. The encoder's thread hands each request to a
//! bounded queue (back-pressure: when the senders are behind, the run
//! waits, memory stays flat); a dispatcher on a small tokio runtime keeps
//! at most `max_in_flight` requests on the wire, each retried as the OTLP
//! spec says ([`retry`]). Every item ends counted in [`stats`] as sent,
//! rejected (partial success) or failed with its reason: a permanent
//! error, retries given up, or a stop whose drain deadline passed.

mod grpc;
mod http;
mod response;
pub mod retry;
pub mod stats;
mod tls;

use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use tokio::sync::{mpsc, watch, Semaphore};
use tokio::task::JoinSet;

use super::{Requests, Signal};
use crate::streams::mix;
pub use retry::{Attempt, Policy};
pub use stats::{Report, SignalReport, Stats};

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
    /// Where each signal goes, in [`Signal::ALL`] order: for gRPC
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
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Config {
            transport,
            urls,
            headers: Default::default(),
            gzip: false,
            max_in_flight: 16,
            connections: 4,
            retry: Policy::default(),
            timeout: Duration::from_secs(10),
            drain: Duration::from_secs(10),
            stop: None,
            workers: cores.saturating_sub(1).clamp(1, 4),
            insecure_skip_verify: false,
        }
    }
}

enum Client {
    Grpc(grpc::Grpc),
    Http(Box<http::Http>),
}

impl Client {
    fn wire_body(&self, body: Bytes) -> Bytes {
        match self {
            Client::Grpc(_) => body,
            Client::Http(h) => h.wire_body(body),
        }
    }
    async fn send(&self, signal: Signal, body: Bytes) -> Attempt {
        match self {
            Client::Grpc(g) => g.send(signal, body).await,
            Client::Http(h) => h.send(signal, body).await,
        }
    }
}

struct Job {
    signal: Signal,
    body: Bytes,
    items: u64,
    seq: u64,
}

/// Delivers export requests; see the module documentation.
pub struct Exporter {
    rt: Option<tokio::runtime::Runtime>,
    tx: Option<mpsc::Sender<Job>>,
    dispatcher: Option<tokio::task::JoinHandle<()>>,
    cancel: watch::Sender<bool>,
    stats: Arc<Stats>,
    drain: Duration,
    stop: Option<Arc<AtomicBool>>,
    /// When the stop was first seen (the drain deadline runs from it).
    stopped_at: Option<Instant>,
    seq: u64,
}

impl Exporter {
    /// Starts the sender threads; connections are made on first use. An
    /// error names what is wrong with the settings (a bad URL or header).
    pub fn start(config: Config) -> Result<Exporter, String> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(config.workers.max(1))
            .thread_name("tsim-export")
            .enable_all()
            .build()
            .map_err(|e| format!("cannot start the sender threads: {e}"))?;
        let client = {
            let _entered = rt.enter();
            match config.transport {
                Transport::Grpc => Client::Grpc(grpc::Grpc::new(
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
                )?),
                Transport::Http { json } => Client::Http(Box::new(http::Http::new(
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
                )?)),
            }
        };
        let in_flight = config.max_in_flight.max(1);
        let (tx, rx) = mpsc::channel(in_flight);
        let (cancel, cancelled) = watch::channel(false);
        let stats = Arc::new(Stats::default());
        let dispatcher = rt.spawn(dispatch(
            rx,
            Arc::new(client),
            stats.clone(),
            Arc::new(Semaphore::new(in_flight)),
            config.retry,
            cancelled,
        ));
        Ok(Exporter {
            rt: Some(rt),
            tx: Some(tx),
            dispatcher: Some(dispatcher),
            cancel,
            stats,
            drain: config.drain,
            stop: config.stop,
            stopped_at: None,
            seq: 0,
        })
    }

    /// The live counters.
    pub fn stats(&self) -> Arc<Stats> {
        self.stats.clone()
    }

    /// The drain deadline, once a stop was seen (noting when it was).
    fn deadline(&mut self) -> Option<Instant> {
        let stopped = self
            .stop
            .as_ref()
            .is_some_and(|s| s.load(Ordering::Relaxed));
        if stopped && self.stopped_at.is_none() {
            self.stopped_at = Some(Instant::now());
        }
        let drain = self.drain;
        self.stopped_at.map(|at| {
            at.checked_add(drain)
                .unwrap_or(at + Duration::from_secs(1 << 30))
        })
    }

    /// Queues `job`, waiting while the queue is full; after a stop, only
    /// until the drain deadline (the job is handed back, not queued). A
    /// full queue never keeps a stopped run from ending.
    fn enqueue(&mut self, job: Job) -> Result<(), Job> {
        let Some(tx) = self.tx.clone() else {
            return Err(job);
        };
        if self.stop.is_none() {
            return tx.blocking_send(job).map_err(|e| e.0);
        }
        let job = match tx.try_send(job) {
            Ok(()) => return Ok(()),
            Err(mpsc::error::TrySendError::Closed(job)) => return Err(job),
            Err(mpsc::error::TrySendError::Full(job)) => job,
        };
        loop {
            let deadline = self.deadline();
            let wait = match deadline {
                Some(d) => d.saturating_duration_since(Instant::now()),
                // Looks at the stop flag this often while the queue is full.
                None => Duration::from_millis(50),
            };
            let Some(rt) = self.rt.as_ref().filter(|_| !wait.is_zero()) else {
                return Err(job);
            };
            let reserved = rt.block_on(async { tokio::time::timeout(wait, tx.reserve()).await });
            match reserved {
                Ok(Ok(permit)) => {
                    permit.send(job);
                    return Ok(());
                }
                Ok(Err(_)) => return Err(job),
                Err(_) => {}
            }
        }
    }

    /// Closes the queue and waits until everything is delivered or failed:
    /// without a stop, as long as the retry policy allows; after a stop, at
    /// most the drain deadline, then what is left is counted failed.
    fn shutdown(&mut self) {
        self.tx = None;
        let deadline = self.deadline();
        let (Some(rt), Some(mut dispatcher)) = (self.rt.take(), self.dispatcher.take()) else {
            return;
        };
        let drain = self.drain;
        let cancel = &self.cancel;
        let stop = self.stop.clone();
        rt.block_on(async move {
            let deadline = async {
                if let Some(d) = deadline {
                    tokio::time::sleep_until(d.into()).await;
                    return;
                }
                // A stop that comes while draining starts the deadline.
                loop {
                    if stop.as_ref().is_some_and(|s| s.load(Ordering::Relaxed)) {
                        tokio::time::sleep(drain).await;
                        return;
                    }
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            };
            tokio::select! {
                _ = &mut dispatcher => {}
                () = deadline => {
                    let _ = cancel.send(true);
                    let _ = dispatcher.await;
                }
            }
        });
        rt.shutdown_timeout(Duration::from_secs(1));
    }
}

impl Requests for Exporter {
    fn request(&mut self, signal: Signal, body: Vec<u8>, items: u64) -> io::Result<()> {
        self.stats.generated(signal, items);
        self.seq += 1;
        let job = Job {
            signal,
            body: Bytes::from(body),
            items,
            seq: self.seq,
        };
        if self.enqueue(job).is_err() {
            let reason = if self.stopped_at.is_some() {
                STOPPED
            } else {
                "the exporter had stopped before it was queued"
            };
            self.stats.failed(signal, items, reason);
        }
        Ok(())
    }

    fn finish(&mut self) -> io::Result<()> {
        self.shutdown();
        Ok(())
    }
}

impl Drop for Exporter {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// Takes requests off the queue, at most as many on the wire as the
/// semaphore has permits; on cancel, counts what is still queued failed.
async fn dispatch(
    mut rx: mpsc::Receiver<Job>,
    client: Arc<Client>,
    stats: Arc<Stats>,
    permits: Arc<Semaphore>,
    policy: Policy,
    cancelled: watch::Receiver<bool>,
) {
    let mut tasks = JoinSet::new();
    let outage = Arc::new(Outage::default());
    loop {
        let mut c = cancelled.clone();
        let job = tokio::select! {
            job = rx.recv() => job,
            _ = c.wait_for(|v| *v) => None,
        };
        let Some(job) = job else { break };
        let permit = tokio::select! {
            p = permits.clone().acquire_owned() => p.ok(),
            _ = c.wait_for(|v| *v) => None,
        };
        let Some(permit) = permit else {
            stats.failed(job.signal, job.items, STOPPED);
            break;
        };
        while tasks.try_join_next().is_some() {}
        let (client, stats, cancelled) = (client.clone(), stats.clone(), cancelled.clone());
        let outage = outage.clone();
        tasks.spawn(async move {
            deliver(job, &client, &stats, &outage, policy, cancelled).await;
            drop(permit);
        });
    }
    rx.close();
    while let Some(job) = rx.recv().await {
        stats.failed(job.signal, job.items, STOPPED);
    }
    while tasks.join_next().await.is_some() {}
}

/// Why items are failed when a stop's drain deadline passes.
const STOPPED: &str = "stopped before it was delivered (drain deadline passed)";

/// A uniform number in [0, 1) for the jitter of retry `n` of request `seq`.
fn unit(seq: u64, n: u32) -> f64 {
    (mix(seq ^ mix(u64::from(n))) >> 11) as f64 / (1u64 << 53) as f64
}

/// Sends one request until it is accepted, fails for good, runs out of
/// retry time, or is cancelled.
/// When the endpoint started failing: the first retryable failure since
/// the last success. Requests give up once the endpoint has failed for
/// the policy's `give_up_after`, whenever each of them was sent, so a dead
/// endpoint ends a run after that long, not that long per request.
#[derive(Default)]
struct Outage(std::sync::Mutex<Option<Instant>>);

impl Outage {
    fn ok(&self) {
        if let Ok(mut s) = self.0.lock() {
            *s = None;
        }
    }
    /// Since when it has been failing (from now, if it was not).
    fn failing(&self) -> Instant {
        match self.0.lock() {
            Ok(mut s) => *s.get_or_insert_with(Instant::now),
            Err(_) => Instant::now(),
        }
    }
}

async fn deliver(
    job: Job,
    client: &Client,
    stats: &Stats,
    outage: &Outage,
    policy: Policy,
    mut cancelled: watch::Receiver<bool>,
) {
    let (signal, items) = (job.signal, job.items);
    stats.started();
    let began = Instant::now();
    let body = client.wire_body(job.body);
    let mut n = 0u32;
    loop {
        stats.attempt(signal, body.len(), n > 0);
        let attempt = tokio::select! {
            a = client.send(signal, body.clone()) => a,
            _ = cancelled.wait_for(|v| *v) => {
                stats.failed_started(signal, items, STOPPED);
                return;
            }
        };
        let (after, reason) = match attempt {
            Attempt::Accepted { rejected, message } => {
                outage.ok();
                stats.accepted(signal, items, rejected, &message, began.elapsed());
                return;
            }
            Attempt::Fail { reason } => {
                stats.failed_started(signal, items, &reason);
                return;
            }
            Attempt::Retry { after, reason } => (after, reason),
        };
        let delay = policy.delay(n, after, unit(job.seq, n));
        if outage.failing().elapsed() + delay > policy.give_up_after {
            stats.failed_started(signal, items, &format!("gave up retrying: {reason}"));
            return;
        }
        n += 1;
        tokio::select! {
            () = tokio::time::sleep(delay) => {}
            _ = cancelled.wait_for(|v| *v) => {
                stats.failed_started(signal, items, STOPPED);
                return;
            }
        }
    }
}
