//! Following the wall clock (`--then-live`): a run that starts in the past
//! goes through the past at once, then continues in real time. Its records
//! are exactly those of the same simulated run (no gap, no overlap, same
//! order); nothing is handed over before its instant, and once the run has
//! caught up nothing is handed over much later than its instant.

mod common;

use std::io;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use common::pack;
use tsim_runtime::sim;
use tsim_runtime::sink::memory::MemorySink;
use tsim_runtime::sink::{EventRecord, LogRecord, MetricRecord, Sink, SpanRecord};

const SCENARIO: &str = r#"
scenario "follow" { seed 5 duration 1h tick 100ms traffic { rate 300/s } }
service "api" {
  endpoint "GET /a" { latency lognormal(median: 10ms, p99: 40ms)  call "db-svc" "q" }
}
service "db-svc" { endpoint "q" { latency 2ms } }
metric "up" gauge per service { walk constant(1) }
logs "worker" { service "api" rate 20/s message "tick" }
"#;

fn now_ns() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as i64)
}

/// A memory sink that notes when each record was handed over and the
/// instant it stands for (a span: its end; a point, a log: its time).
#[derive(Default)]
struct Timed {
    inner: MemorySink,
    /// (stamp, handed over), Unix ns.
    seen: Vec<(i64, i64)>,
}

impl Sink for Timed {
    fn span(&mut self, s: &SpanRecord<'_>) -> io::Result<()> {
        self.seen.push((s.end_ns, now_ns()));
        self.inner.span(s)
    }
    fn log(&mut self, l: &LogRecord<'_>) -> io::Result<()> {
        self.seen.push((l.time_ns, now_ns()));
        self.inner.log(l)
    }
    fn metric(&mut self, m: &MetricRecord<'_>) -> io::Result<()> {
        self.seen.push((m.time_ns, now_ns()));
        self.inner.metric(m)
    }
    fn event(&mut self, e: &EventRecord<'_>) -> io::Result<()> {
        self.inner.event(e)
    }
    fn finish(&mut self) -> io::Result<()> {
        self.inner.finish()
    }
}

#[test]
fn a_backfill_continues_in_real_time_with_the_records_of_the_simulated_run() {
    let p = pack(SCENARIO);
    let began = now_ns();
    // 2 s in the past, 1.5 s into the future.
    let start = began - 2_000_000_000;
    let opts = |follow| sim::Options {
        start_ns: start,
        duration_ns: Some(3_500_000_000),
        follow,
        ..Default::default()
    };
    let mut plain = MemorySink::default();
    sim::run(&p, &opts(false), &mut plain, &mut |_, _, _| {}).expect("runs");
    let mut timed = Timed::default();
    let clock = Instant::now();
    let sum = sim::run(&p, &opts(true), &mut timed, &mut |_, _, _| {}).expect("runs");
    let took = clock.elapsed().as_secs_f64();

    // The same records in the same order: following changes only when.
    assert!(plain.spans.len() > 1500, "{}", plain.spans.len());
    assert_eq!(timed.inner.spans, plain.spans);
    assert_eq!(timed.inner.logs, plain.logs);
    assert_eq!(timed.inner.metrics.len(), plain.metrics.len());
    assert_eq!(sum.simulated_ns, 3_500_000_000);

    // It ends when the simulated end comes, not before (the history took
    // no time), and not long after.
    let end = start + 3_500_000_000;
    let ended = now_ns();
    assert!(ended >= end, "ended {} ms early", (end - ended) / 1_000_000);
    assert!(took < 1.5 + 1.0, "took {took}s");

    let mut live = 0;
    for &(stamp, handed) in &timed.seen {
        // Never ahead of the wall clock.
        assert!(handed >= stamp, "{} ms early", (stamp - handed) / 1_000_000);
        if stamp > began + 200_000_000 {
            live += 1;
            // Caught up: handed over within a tick (and scheduling) of it.
            let late = handed - stamp;
            assert!(late < 250_000_000, "{} ms late", late / 1_000_000);
        }
    }
    assert!(live > 300, "{live} records in the live part");
}

#[test]
fn a_stop_ends_a_following_run_that_has_no_end() {
    let p = pack(SCENARIO);
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let opts = sim::Options {
        start_ns: now_ns() - 1_000_000_000,
        duration_ns: Some(u64::MAX),
        follow: true,
        stop: Some(stop.clone()),
        ..Default::default()
    };
    let flag = stop.clone();
    let stopper = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(700));
        flag.store(true, std::sync::atomic::Ordering::Relaxed);
    });
    let clock = Instant::now();
    let mut sink = MemorySink::default();
    let sum = sim::run(&p, &opts, &mut sink, &mut |_, _, _| {}).expect("runs");
    stopper.join().expect("joins");
    let took = clock.elapsed().as_secs_f64();
    assert!(sum.stopped);
    assert!((0.6..1.5).contains(&took), "took {took}s");
    // About 1.7 s simulated: the second of history and the 0.7 s live.
    let simulated = sum.simulated_ns as f64 / 1e9;
    assert!((1.4..2.3).contains(&simulated), "{simulated}s simulated");
}
