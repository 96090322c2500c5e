//! INTERNAL spans, `kind internal`, user-declared span events and links,
//! measured back from whole runs into the memory sink: the structure (an
//! internal span under its caller, same service and instance, no client
//! span), the declared chances within 4 binomial standard deviations, the
//! event times inside their spans, links only to spans emitted before, and
//! the same bytes from the same seed.

mod common;

use std::collections::HashMap;

use common::pack;
use tsim_pack::{Pack, SpanKind};
use tsim_runtime::sim;
use tsim_runtime::sink::memory::{MemorySink, Span};

/// Monday 2026-01-05 00:00:00 UTC.
const MONDAY: i64 = 1_767_571_200_000_000_000;

const SCENARIO: &str = r#"
scenario "spans" { seed 11 duration 10m tick 10s traffic { rate 20/s } }
service "billing" {
  instances 3
  endpoint "POST /invoices" {
    weight 90%
    latency 20ms
    event "invoice.created" { attributes { invoice.kind = "standard" } }
    internal "render invoice" {
      latency lognormal(median: 2ms, p99: 9ms)
      attributes { invoice.pages = 1..4 }
      event "cache.miss" { chance 20% attributes { cache.key = pool(100, "tpl-{n:03}") } }
      call "pdf" "POST /render" chance 50%
    }
  }
  endpoint "close books" {
    kind internal
    latency 200ms
    link "billing" "POST /invoices" { chance 30% attributes { link.reason = "batch" } }
    internal "sum ledger" { latency 3ms repeat 2 }
  }
}
service "pdf" { endpoint "POST /render" { latency 15ms } }
"#;

fn run(p: &Pack) -> MemorySink {
    let mut sink = MemorySink::default();
    let opts = sim::Options {
        start_ns: MONDAY,
        ..Default::default()
    };
    sim::run(p, &opts, &mut sink, &mut |_, _, _| {}).expect("runs");
    sink
}

/// |observed - expected| within 4 binomial standard deviations.
fn assert_rate(what: &str, hits: usize, n: usize, p: f64) {
    let sd = (n as f64 * p * (1.0 - p)).sqrt();
    let diff = (hits as f64 - n as f64 * p).abs();
    assert!(
        diff <= 4.0 * sd.max(0.5),
        "{what}: {hits} of {n}, expected {p} ({:.1} sd off)",
        diff / sd
    );
}

fn named<'a>(sink: &'a MemorySink, name: &'a str) -> impl Iterator<Item = &'a Span> {
    sink.spans.iter().filter(move |s| s.operation == name)
}

#[test]
fn an_internal_step_is_an_internal_child_on_the_callers_instance() {
    let sink = run(&pack(SCENARIO));
    let by_id: HashMap<[u8; 8], &Span> = sink.spans.iter().map(|s| (s.span_id, s)).collect();
    let renders: Vec<&Span> = named(&sink, "render invoice").collect();
    assert!(renders.len() > 1000, "{} renders", renders.len());
    for r in &renders {
        assert_eq!(r.kind, SpanKind::Internal);
        let parent = by_id[&r.parent.expect("a parent")];
        assert_eq!(parent.operation, "POST /invoices");
        assert_eq!(parent.kind, SpanKind::Server);
        assert_eq!(
            (r.service.as_str(), r.instance),
            ("billing", parent.instance)
        );
        assert!(r.start_ns >= parent.start_ns);
        assert!(r.start_ns + r.duration_ns as i64 <= parent.start_ns + parent.duration_ns as i64);
        assert!(
            !r.attributes
                .iter()
                .any(|(k, _)| k.starts_with("http.") || k.starts_with("rpc.")),
            "an INTERNAL span has no server attributes: {:?}",
            r.attributes
        );
        assert!(r.attributes.iter().any(|(k, _)| k == "invoice.pages"));
    }
    // The call inside it: a client span under the INTERNAL span, with `chance`.
    let calls = sink
        .spans
        .iter()
        .filter(|s| s.kind == SpanKind::Client)
        .inspect(|c| {
            assert_eq!(
                by_id[&c.parent.expect("a parent")].operation,
                "render invoice"
            )
        })
        .count();
    assert_rate("calls from the internal step", calls, renders.len(), 0.5);
}

#[test]
fn kind_internal_makes_a_root_internal_span_with_repeated_children() {
    let sink = run(&pack(SCENARIO));
    let roots: Vec<&Span> = named(&sink, "close books").collect();
    assert!(!roots.is_empty());
    for r in &roots {
        assert_eq!(r.kind, SpanKind::Internal);
        assert!(r.parent.is_none());
        assert!(r.code.is_none());
    }
    let sums = named(&sink, "sum ledger").count();
    assert_eq!(sums, 2 * roots.len(), "repeat 2");
}

#[test]
fn declared_event_chances_come_out_with_their_attributes_inside_the_span() {
    let sink = run(&pack(SCENARIO));
    let renders: Vec<&Span> = named(&sink, "render invoice").collect();
    let misses = renders
        .iter()
        .filter(|s| {
            s.events.iter().any(|(name, t, attrs)| {
                assert!(*t >= s.start_ns && *t <= s.start_ns + s.duration_ns as i64);
                assert!(attrs
                    .iter()
                    .any(|(k, v)| k == "cache.key" && v.starts_with("tpl-")));
                name == "cache.miss"
            })
        })
        .count();
    assert_rate("cache.miss events", misses, renders.len(), 0.2);
    for s in named(&sink, "POST /invoices") {
        assert_eq!(s.events.len(), 1, "chance 100% by default");
        assert_eq!(s.events[0].2, [("invoice.kind".into(), "standard".into())]);
    }
}

#[test]
fn links_go_to_spans_of_their_endpoint_emitted_before() {
    let sink = run(&pack(SCENARIO));
    let mut seen: HashMap<[u8; 8], &Span> = HashMap::new();
    let (mut closes, mut linked) = (0, 0);
    for s in &sink.spans {
        if s.operation == "close books" {
            closes += 1;
            assert!(s.links.len() <= 1);
            for (trace, span, attrs) in &s.links {
                linked += 1;
                let target = seen.get(span).expect("links point back to an emitted span");
                assert_eq!(target.operation, "POST /invoices");
                assert_eq!(&target.trace_id, trace);
                assert_eq!(attrs, &[("link.reason".to_string(), "batch".to_string())]);
            }
        } else {
            assert!(s.links.is_empty(), "{} has no links", s.operation);
        }
        seen.insert(s.span_id, s);
    }
    assert!(closes > 100, "{closes} close-books spans");
    assert_rate("links", linked, closes, 0.3);
}

#[test]
fn the_same_seed_gives_the_same_events_and_links() {
    let p = pack(SCENARIO);
    let (a, b) = (run(&p), run(&p));
    assert_eq!(a.spans, b.spans);
}
