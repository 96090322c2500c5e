//! One `tsim bench` row alone, for a profiler: `cargo run --release -p
//! tsim-runtime --example profile_row -- ROW SECONDS` with ROW one of
//! `draw`, `proto`, `json`. Runs the checkout scenario as fast as it goes.

use tsim_runtime::sim;
use tsim_runtime::sink::otlp::{BatchSizes, Counted, OtlpSink};
use tsim_runtime::sink::otlp_json::OtlpJsonSink;
use tsim_runtime::sink::{NullSink, Sink};

type Res<T> = Result<T, Box<dyn std::error::Error>>;

fn checkout() -> Res<tsim_pack::Pack> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/checkout.tsim");
    let out = tsim_compiler::check_file(&path, &tsim_compiler::Options::default());
    let Some(model) = out.model else {
        return Err(format!("{}: does not check", path.display()).into());
    };
    Ok(tsim_pack::decode(&tsim_compiler::compile(&model)?)?)
}

fn main() -> Res<()> {
    let mut args = std::env::args().skip(1);
    let row = args.next().unwrap_or_else(|| "proto".into());
    let seconds: f64 = args.next().map_or(Ok(5.0), |s| s.parse())?;
    let pack = checkout()?;
    let opts = tsim_runtime::bench::options(seconds);
    let mut proto = OtlpSink::new(Counted::default(), BatchSizes::default());
    let mut json = OtlpJsonSink::with_sizes(Counted::default(), BatchSizes::default());
    let mut null = NullSink;
    let sink: &mut dyn Sink = match row.as_str() {
        "draw" => &mut null,
        "json" => &mut json,
        _ => &mut proto,
    };
    let t = std::time::Instant::now();
    let sum = sim::run(&pack, &opts, sink, &mut |_, _, _| {})?;
    let wall = t.elapsed().as_secs_f64();
    println!(
        "{row}: {} spans, {} logs, {} points in {wall:.2}s: {:.0} spans/s",
        sum.spans,
        sum.logs,
        sum.metrics,
        sum.spans as f64 / wall
    );
    Ok(())
}
