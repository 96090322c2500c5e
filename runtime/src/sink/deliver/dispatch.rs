//! The exporter's async side: the dispatcher that takes requests off the
//! queue (at most as many on the wire as the semaphore has permits), and
//! the delivery of one request through its retries, the shared outage
//! clock and the cancel a stop or a fatal answer sends.

use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use tokio::sync::{mpsc, watch, Semaphore};
use tokio::task::JoinSet;

use super::retry::{Attempt, Policy};
use super::stats::Stats;
use super::{Deliver, Halt};
use crate::sink::signal::Signal;
use crate::streams::mix;

/// One queued request.
pub(crate) struct Job {
    pub(crate) signal: Signal,
    pub(crate) body: Bytes,
    pub(crate) items: u64,
    pub(crate) seq: u64,
}

/// Takes requests off the queue, at most as many on the wire as the
/// semaphore has permits; on cancel, counts what is still queued failed
/// (with the fatal answer's reason when there was one).
pub(crate) async fn dispatch(
    mut rx: mpsc::Receiver<Job>,
    client: Arc<dyn Deliver>,
    stats: Arc<Stats>,
    permits: Arc<Semaphore>,
    policy: Policy,
    halt: Arc<Halt>,
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
            stats.failed(job.signal, job.items, halt.reason());
            break;
        };
        while tasks.try_join_next().is_some() {}
        let (client, stats, cancelled) = (client.clone(), stats.clone(), cancelled.clone());
        let (outage, halt) = (outage.clone(), halt.clone());
        tasks.spawn(async move {
            let run = Run {
                client: &*client,
                stats: &stats,
                outage: &outage,
                halt: &halt,
                policy,
            };
            run.deliver(job, cancelled).await;
            drop(permit);
        });
    }
    rx.close();
    while let Some(job) = rx.recv().await {
        stats.failed(job.signal, job.items, halt.reason());
    }
    while tasks.join_next().await.is_some() {}
}

/// A uniform number in [0, 1) for the jitter of retry `n` of request `seq`.
fn unit(seq: u64, n: u32) -> f64 {
    (mix(seq ^ mix(u64::from(n))) >> 11) as f64 / (1u64 << 53) as f64
}

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

/// What delivering one request needs.
struct Run<'a> {
    client: &'a dyn Deliver,
    stats: &'a Stats,
    outage: &'a Outage,
    halt: &'a Halt,
    policy: Policy,
}

impl Run<'_> {
    /// Sends one request until it is accepted, fails for good (a fatal
    /// answer ends the run), runs out of retry time, or is cancelled.
    async fn deliver(&self, job: Job, mut cancelled: watch::Receiver<bool>) {
        let (signal, items, stats) = (job.signal, job.items, self.stats);
        stats.started();
        let began = Instant::now();
        let body = self.client.wire_body(job.body);
        let mut n = 0u32;
        loop {
            stats.attempt(signal, body.len(), n > 0);
            let attempt = tokio::select! {
                a = self.client.send(signal, body.clone(), items) => a,
                _ = cancelled.wait_for(|v| *v) => {
                    stats.failed_started(signal, items, self.halt.reason());
                    return;
                }
            };
            let (after, reason) = match attempt {
                Attempt::Accepted { rejected, message } => {
                    self.outage.ok();
                    stats.accepted(signal, items, rejected, &message, began.elapsed());
                    return;
                }
                Attempt::Fail { reason } => {
                    stats.failed_started(signal, items, &reason);
                    return;
                }
                Attempt::Fatal { reason } => {
                    stats.failed_started(signal, items, &reason);
                    self.halt.fatal(&reason);
                    return;
                }
                Attempt::Retry { after, reason } => (after, reason),
            };
            let delay = self.policy.delay(n, after, unit(job.seq, n));
            if self.outage.failing().elapsed() + delay > self.policy.give_up_after {
                stats.failed_started(signal, items, &format!("gave up retrying: {reason}"));
                return;
            }
            n += 1;
            tokio::select! {
                () = tokio::time::sleep(delay) => {}
                _ = cancelled.wait_for(|v| *v) => {
                    stats.failed_started(signal, items, self.halt.reason());
                    return;
                }
            }
        }
    }
}
