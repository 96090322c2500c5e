//! Delivery shared by every network sink: a [`Requests`] that hands
//! encoded requests to a [`Deliver`] client (OTLP over gRPC or HTTP, the
//! Honeycomb Events API, ...). The encoder's thread puts each request on a
//! bounded queue (back-pressure: when the senders are behind, the run
//! waits, memory stays flat); a dispatcher on a small tokio runtime keeps
//! at most `max_in_flight` requests on the wire, each retried with backoff
//! ([`retry`]). Every item ends counted in [`stats`] as sent, rejected or
//! failed with its reason: a permanent error, retries given up, a stop
//! whose drain deadline passed, or a fatal answer ([`Attempt::Fatal`],
//! such as a refused API key) that ends the whole run at once.

mod dispatch;
pub mod http;
pub mod retry;
pub mod stats;
pub mod tls;

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use bytes::Bytes;
use tokio::sync::{mpsc, watch, Semaphore};

pub use retry::{Attempt, Policy};
pub use stats::{Report, SignalReport, Stats};

use super::signal::Signal;
use dispatch::{dispatch, Job};

/// Where finished requests go: the network exporter, a benchmark's
/// counter, a test's collector.
pub trait Requests {
    /// One complete encoded request of `signal`, holding `items` records
    /// (spans, data points, log records, or events).
    fn request(&mut self, signal: Signal, body: Vec<u8>, items: u64) -> io::Result<()>;
    /// `items` the encoder refused to send (e.g. an event above the
    /// destination's size limit), with why: counted failed by the exporter.
    /// By default the refusal is an error, so nothing is dropped unseen.
    fn refuse(&mut self, signal: Signal, items: u64, reason: &str) -> io::Result<()> {
        let _ = (signal, items);
        Err(io::Error::other(reason.to_string()))
    }
    /// Called once after the last request.
    fn finish(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A boxed future, as [`Deliver::send`] returns.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// One transport: how a request's body goes on the wire and what became of
/// one attempt to send it.
pub trait Deliver: Send + Sync + 'static {
    /// The body as it goes on the wire (e.g. gzipped), once per request.
    fn wire_body(&self, body: Bytes) -> Bytes {
        body
    }
    /// One attempt to send `body` (as [`Deliver::wire_body`] made it),
    /// which holds `items` records of `signal`.
    fn send(&self, signal: Signal, body: Bytes, items: u64) -> BoxFuture<'_, Attempt>;
}

/// How the exporter queues, retries and stops, whatever the transport.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Requests on the wire at once.
    pub max_in_flight: usize,
    /// Retries.
    pub retry: Policy,
    /// After a stop (`stop` set), how long to keep delivering what is
    /// queued or in flight before counting it failed.
    pub drain: Duration,
    /// Set when the run is stopped (Ctrl-C): the drain deadline applies.
    /// A fatal answer sets it too, so the run ends at once.
    pub stop: Option<Arc<AtomicBool>>,
    /// Sender threads.
    pub workers: usize,
}

impl Default for Settings {
    /// 16 in flight, the default retry policy, a 10 s drain, one sender
    /// thread per spare core (1 to 4).
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Settings {
            max_in_flight: 16,
            retry: Policy::default(),
            drain: Duration::from_secs(10),
            stop: None,
            workers: cores.saturating_sub(1).clamp(1, 4),
        }
    }
}

/// Why items are failed when a stop's drain deadline passes.
pub const STOPPED: &str = "stopped before it was delivered (drain deadline passed)";

/// The end of the run: a cancel every sender watches, and the reason of a
/// fatal answer when one came (then everything left fails with it).
pub(crate) struct Halt {
    cancel: watch::Sender<bool>,
    fatal: OnceLock<String>,
    stop: Option<Arc<AtomicBool>>,
    stats: Arc<Stats>,
}

impl Halt {
    /// Why what is still queued or in flight fails.
    pub(crate) fn reason(&self) -> &str {
        self.fatal.get().map_or(STOPPED, String::as_str)
    }
    /// A fatal answer: stop the run and cancel every request.
    pub(crate) fn fatal(&self, reason: &str) {
        if self.fatal.set(reason.to_string()).is_ok() {
            self.stats.fatal(reason);
        }
        if let Some(s) = &self.stop {
            s.store(true, Ordering::SeqCst);
        }
        let _ = self.cancel.send(true);
    }
    fn cancel(&self) {
        let _ = self.cancel.send(true);
    }
}

/// Delivers requests through a [`Deliver`]; see the module documentation.
pub struct Exporter {
    rt: Option<tokio::runtime::Runtime>,
    tx: Option<mpsc::Sender<Job>>,
    dispatcher: Option<tokio::task::JoinHandle<()>>,
    halt: Arc<Halt>,
    stats: Arc<Stats>,
    drain: Duration,
    stop: Option<Arc<AtomicBool>>,
    /// When the stop was first seen (the drain deadline runs from it).
    stopped_at: Option<Instant>,
    seq: u64,
}

impl Exporter {
    /// Starts the sender threads and the client `make` builds (inside the
    /// exporter's runtime, where tonic and hyper need to be made); an error
    /// is `make`'s, or that the threads cannot start.
    pub fn start_with<C, F>(settings: Settings, make: F) -> Result<Exporter, String>
    where
        C: Deliver,
        F: FnOnce() -> Result<C, String>,
    {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(settings.workers.max(1))
            .thread_name("tsim-export")
            .enable_all()
            .build()
            .map_err(|e| format!("cannot start the sender threads: {e}"))?;
        let client: Arc<dyn Deliver> = {
            let _entered = rt.enter();
            Arc::new(make()?)
        };
        let in_flight = settings.max_in_flight.max(1);
        let (tx, rx) = mpsc::channel(in_flight);
        let (cancel, cancelled) = watch::channel(false);
        let stats = Arc::new(Stats::default());
        let halt = Arc::new(Halt {
            cancel,
            fatal: OnceLock::new(),
            stop: settings.stop.clone(),
            stats: stats.clone(),
        });
        let dispatcher = rt.spawn(dispatch(
            rx,
            client,
            stats.clone(),
            Arc::new(Semaphore::new(in_flight)),
            settings.retry,
            halt.clone(),
            cancelled,
        ));
        Ok(Exporter {
            rt: Some(rt),
            tx: Some(tx),
            dispatcher: Some(dispatcher),
            halt,
            stats,
            drain: settings.drain,
            stop: settings.stop,
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
        let halt = self.halt.clone();
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
                    halt.cancel();
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
        if let Some(reason) = self.halt.fatal.get() {
            self.stats.failed(signal, items, reason);
            return Ok(());
        }
        self.seq += 1;
        let job = Job {
            signal,
            body: Bytes::from(body),
            items,
            seq: self.seq,
        };
        if self.enqueue(job).is_err() {
            let reason = if self.halt.fatal.get().is_some() || self.stopped_at.is_some() {
                self.halt.reason()
            } else {
                "the exporter had stopped before it was queued"
            };
            self.stats.failed(signal, items, reason);
        }
        Ok(())
    }

    fn refuse(&mut self, signal: Signal, items: u64, reason: &str) -> io::Result<()> {
        self.stats.generated(signal, items);
        self.stats.failed(signal, items, reason);
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
