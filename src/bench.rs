//! `tsim bench`: the sender measured side by side on this machine (see
//! the runtime's `bench` module for the rows), printed as a table or JSON.

use std::path::PathBuf;
use std::process::ExitCode;

use tsim_runtime::sink::otlp::BatchSizes;

/// The scenario benchmarked when none is given: the stock checkout
/// service graph (HTTP and database spans, retries, logs).
const DEFAULT: &str = "stock:checkout";

/// `tsim bench`'s flags.
#[derive(clap::Args, Debug)]
pub struct BenchArgs {
    /// A `.tsim` file, a pack or a stock scenario (default:
    /// `stock:checkout`).
    #[arg(value_name = "INPUT")]
    pub input: Option<PathBuf>,
    /// Wall time of each row, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 3.0)]
    pub seconds: f64,
    /// Spans per export request.
    #[arg(long, value_name = "N", default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..))]
    pub batch_spans: u32,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

fn rate(v: f64) -> String {
    if v >= 1e6 {
        format!("{:.2} M", v / 1e6)
    } else {
        format!("{:.0} k", v / 1e3)
    }
}

/// Runs the benchmark.
pub fn run(args: BenchArgs) -> ExitCode {
    if !(args.seconds.is_finite() && args.seconds > 0.0 && args.seconds <= 3600.0) {
        eprintln!("error: --seconds must be more than 0 and at most 3600");
        return ExitCode::from(2);
    }
    let input = args.input.clone().unwrap_or_else(|| PathBuf::from(DEFAULT));
    let Some(pack) = crate::run::input(&input, Vec::new()) else {
        return ExitCode::from(1);
    };
    let sizes = BatchSizes {
        spans: args.batch_spans as usize,
        ..BatchSizes::default()
    };
    eprintln!(
        "tsim bench: {} rows of {:.1} s each, on {} cores",
        6,
        args.seconds,
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    let rows = match tsim_runtime::bench::run(&pack, args.seconds, sizes) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(1);
        }
    };
    if args.json {
        crate::outln!(
            "{}",
            serde_json::to_string_pretty(&rows).unwrap_or_default()
        );
        return ExitCode::SUCCESS;
    }
    crate::outln!(
        "{:<38} {:>10} {:>10} {:>12} {:>7}",
        "",
        "spans/s",
        "items/s",
        "spans/CPU-s",
        "B/span"
    );
    for r in &rows {
        crate::outln!(
            "{:<38} {:>10} {:>10} {:>12} {:>7}",
            r.name,
            rate(r.spans_per_s),
            rate(r.items_per_s),
            r.spans_per_cpu_s.map_or("-".into(), rate),
            r.bytes_per_span.map_or("-".into(), |b| format!("{b:.0}")),
        );
    }
    if let [.., e2e, blast] = rows.as_slice() {
        crate::outln!(
            "end to end reaches {:.2}x the items/s of the pre-encoded blaster on the same transport",
            e2e.items_per_s / blast.items_per_s.max(1e-9)
        );
    }
    ExitCode::SUCCESS
}
