//! Derived histograms carry exemplars: per bucket, the latest span that fell
//! in it. Every exemplar names a span the run emitted, with that span's
//! duration as its value, inside its bucket's bounds, and ending at the
//! exemplar's time; a histogram declared with a process keeps none.

mod common;

use std::collections::HashMap;
use std::io;

use common::pack;
use tsim_runtime::plan::Plan;
use tsim_runtime::sim;
use tsim_runtime::sink::{EventRecord, Exemplar, LogRecord, MetricRecord, Point, Sink, SpanRecord};

const SCENARIO: &str = r#"
scenario "ex" { seed 5 duration 2m tick 10s traffic { rate 30/s } }
service "edge" {
  endpoint "GET /items/{id}" { latency lognormal(median: 20ms, p99: 400ms)  errors 5% status 503 }
}
metric "http.server.request.duration" histogram unit "s" per service from spans
metric "queue.wait" histogram unit "s" { buckets [10ms, 100ms] walk brownian(start: 50ms, drift: 0, volatility: 1ms) within 0s..1s }
"#;

#[derive(Default)]
struct Seen {
    /// (trace, span) -> (duration in seconds, end).
    spans: HashMap<([u8; 16], [u8; 8]), (f64, i64)>,
    /// (metric name, bounds, bucket index, exemplar).
    exemplars: Vec<(String, Vec<f64>, usize, Exemplar)>,
    histograms: HashMap<String, u64>,
}

impl Sink for Seen {
    fn link(&mut self, _: &Plan<'_>) -> io::Result<()> {
        Ok(())
    }
    fn span(&mut self, s: &SpanRecord<'_>) -> io::Result<()> {
        let d = (s.end_ns - s.start_ns) as f64 / 1e9;
        self.spans.insert((s.trace_id, s.span_id), (d, s.end_ns));
        Ok(())
    }
    fn log(&mut self, _: &LogRecord<'_>) -> io::Result<()> {
        Ok(())
    }
    fn event(&mut self, _: &EventRecord<'_>) -> io::Result<()> {
        Ok(())
    }
    fn metric(&mut self, m: &MetricRecord<'_>) -> io::Result<()> {
        if let Point::Histogram(h) = &m.point {
            *self.histograms.entry(m.name.to_string()).or_default() += 1;
            for (i, e) in h.exemplars.iter().enumerate() {
                if let Some(e) = e {
                    self.exemplars
                        .push((m.name.to_string(), h.bounds.to_vec(), i, *e));
                }
            }
        }
        Ok(())
    }
    fn finish(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn every_exemplar_is_an_emitted_span_inside_its_bucket() {
    let mut seen = Seen::default();
    let opts = sim::Options {
        start_ns: 1_700_000_000_000_000_000,
        ..Default::default()
    };
    sim::run(&pack(SCENARIO), &opts, &mut seen, &mut |_, _, _| {}).expect("runs");
    assert!(seen.histograms.get("queue.wait").is_some_and(|n| *n > 0));
    assert!(
        seen.exemplars
            .iter()
            .all(|(name, ..)| name == "http.server.request.duration"),
        "a process-driven histogram has no spans to point at"
    );
    // 12 ticks with several buckets each: many exemplars.
    assert!(seen.exemplars.len() > 30, "{}", seen.exemplars.len());
    let mut buckets_seen = std::collections::BTreeSet::new();
    for (_, bounds, i, e) in &seen.exemplars {
        let (duration, end) = seen
            .spans
            .get(&(e.trace_id, e.span_id))
            .copied()
            .unwrap_or_else(|| panic!("{e:?} names no emitted span"));
        assert_eq!(e.value, duration, "{e:?}");
        assert_eq!(e.time_ns, end, "{e:?}");
        let lower = if *i == 0 {
            f64::NEG_INFINITY
        } else {
            bounds[*i - 1]
        };
        let upper = bounds.get(*i).copied().unwrap_or(f64::INFINITY);
        assert!(
            lower < e.value && e.value <= upper,
            "{e:?} outside ({lower}, {upper}]"
        );
        buckets_seen.insert(*i);
    }
    // A lognormal with p99 20x its median spreads over several buckets.
    assert!(buckets_seen.len() >= 4, "{buckets_seen:?}");
}
