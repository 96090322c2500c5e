//! Benchmarks: drawing requests through compiled programs (spans per
//! second per core, the walker alone), and whole runs into the null sink
//! (draw + ids + records + derived metrics and logs). Run with
//! `cargo bench -p tsim-runtime --bench draw`.

use std::path::Path;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use tsim_pack::Pack;
use tsim_runtime::draw::request::{Trace, Walker};
use tsim_runtime::plan::Plan;
use tsim_runtime::sim;
use tsim_runtime::sink::NullSink;
use tsim_runtime::streams::{stream, Purpose};
use tsim_runtime::timeline::Timeline;

const REQUESTS: usize = 1_000;

fn pack(name: &str) -> Pack {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../scenarios")
        .join(name);
    let out = tsim_compiler::check_file(&path, &tsim_compiler::Options::default());
    let model = out.model.expect("the stock scenario checks");
    tsim_pack::decode(&tsim_compiler::compile(&model).expect("compiles")).expect("decodes")
}

/// Draws `REQUESTS` requests across the roots; returns the spans drawn.
fn draw_batch(plan: &Plan<'_>, pack: &Pack, trace: &mut Trace) -> u64 {
    let quiet = Timeline::new(pack, 1).quiet();
    let mut rng = stream(1, Purpose::Requests, 0);
    let roots = &pack.calls.roots;
    let mut spans = 0;
    for i in 0..REQUESTS {
        // The rare 100,000-span root of ingest-load would dominate; draw the
        // common roots in turn (the run bench covers the weighted mix).
        let root = &roots[i % roots.len().min(3)];
        trace.clear();
        Walker::new(plan, &quiet, &plan.instances, &mut rng, None, trace).request(root.endpoint);
        spans += trace.spans.len() as u64;
    }
    spans
}

fn draw(c: &mut Criterion) {
    let mut group = c.benchmark_group("draw");
    for name in ["checkout.tsim", "ingest-load.tsim"] {
        let pack = pack(name);
        let plan = Plan::new(&pack);
        let mut trace = Trace::default();
        let spans = draw_batch(&plan, &pack, &mut trace);
        group.throughput(Throughput::Elements(spans));
        group.bench_function(name, |b| b.iter(|| draw_batch(&plan, &pack, &mut trace)));
    }
    group.finish();
}

fn run(c: &mut Criterion) {
    let mut group = c.benchmark_group("run-to-null");
    group.sample_size(10);
    for (name, millis) in [("checkout.tsim", 600_000), ("ingest-load.tsim", 200)] {
        let pack = pack(name);
        let opts = sim::Options {
            start_ns: 1_767_625_200_000_000_000,
            seed: None,
            duration_ns: Some(millis * 1_000_000),
            ..Default::default()
        };
        let once = || sim::run(&pack, &opts, &mut NullSink, &mut |_, _, _| {}).expect("runs");
        group.throughput(Throughput::Elements(once().spans));
        group.bench_function(name, |b| b.iter(once));
    }
    group.finish();
}

criterion_group!(benches, draw, run);
criterion_main!(benches);
