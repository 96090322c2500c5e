//! `tsim serve`: a scenario run live on the wall clock into the latest
//! value of every series, served as a Prometheus `/metrics` page (with
//! `/health` and `/config`) until Ctrl-C or the end of `--duration`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};

use crate::run::Params;
use tsim_runtime::sim::{self, Live, Pace, Shard};
use tsim_runtime::sink::prom::http::Server;
use tsim_runtime::sink::prom::{Latest, LatestSink};

/// `tsim serve`'s flags.
#[derive(clap::Args, Debug)]
pub struct ServeArgs {
    /// A `.tsim` file, a pack, or a stock scenario (`stock:demo-stack`).
    #[arg(value_name = "INPUT")]
    input: PathBuf,
    /// Where to listen (port 0 picks a free one; the address is printed).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:9464")]
    listen: SocketAddr,
    /// Override a `param` of a `.tsim` source: `--set rate=500/s` (repeatable).
    #[arg(long = "set", value_name = "NAME=VALUE", value_parser = crate::cli::parse_set)]
    set: Vec<(String, String)>,
    /// Replace the scenario's seed.
    #[arg(long, value_name = "N")]
    seed: Option<u64>,
    /// The scenario's speed: `1x` is real time, `60x` an hour a minute.
    #[arg(long, value_name = "SPEED", default_value = "1x")]
    speed: String,
    /// Stop after this much wall-clock time (default: run until stopped).
    #[arg(long, value_name = "DURATION")]
    duration: Option<String>,
}

fn speed(s: &str) -> Result<f64, String> {
    let v: f64 = s
        .strip_suffix('x')
        .unwrap_or(s)
        .trim()
        .parse()
        .map_err(|_| format!("--speed `{s}`: expected a factor like `1x` or `60x`"))?;
    if !(v.is_finite() && v > 0.0) {
        return Err(format!("--speed `{s}`: must be more than 0"));
    }
    Ok(v)
}

fn now_ns() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
}

/// The `/config` page: scenario, every param as resolved (`null` for a
/// compiled pack, which does not record them), those given with `--set`,
/// seed, speed.
fn config(pack: &tsim_pack::Pack, params: &Params, args: &ServeArgs, seed: u64) -> String {
    let name = pack
        .strings
        .get(pack.meta.name as usize)
        .map_or("", String::as_str);
    let set: serde_json::Map<String, serde_json::Value> = args
        .set
        .iter()
        .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
        .collect();
    serde_json::json!({
        "scenario": name,
        "params": params,
        "set": set,
        "seed": seed,
        "speed": args.speed,
    })
    .to_string()
}

/// Runs `tsim serve`.
pub fn run(args: ServeArgs) -> ExitCode {
    let factor = match speed(&args.speed) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let duration_ns = match args
        .duration
        .as_deref()
        .map(tsim_runtime::time::parse_duration)
    {
        None | Some(Ok(0)) => u64::MAX,
        Some(Ok(d)) => d,
        Some(Err(e)) => {
            eprintln!("error: --duration {e}");
            return ExitCode::from(2);
        }
    };
    let Some((pack, params)) = crate::run::input_with_params(&args.input, args.set.clone()) else {
        return ExitCode::from(1);
    };
    let seed = args.seed.unwrap_or(pack.meta.seed);
    let latest = Arc::new(Mutex::new(Latest::default()));
    let server = match Server::start(
        args.listen,
        latest.clone(),
        config(&pack, &params, &args, seed),
    ) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(1);
        }
    };
    eprintln!(
        "tsim serve: http://{}/metrics (also /health, /config); Ctrl-C stops",
        server.addr()
    );
    let stop = crate::send::stop_flag();
    let opts = sim::Options {
        start_ns: now_ns(),
        seed: args.seed,
        duration_ns: Some(duration_ns),
        stop: Some(stop),
        live: Some(Live {
            pace: Pace::Speed(factor),
            jitter_ns: 0,
            shard: Shard::default(),
            multiplier: 1.0,
            timeline_speed: 1.0,
        }),
        follow: false,
    };
    let mut sink = LatestSink {
        shared: latest.clone(),
        ignored: 0,
    };
    let result = sim::run(&pack, &opts, &mut sink, &mut |_, _, _| {});
    server.stop();
    match result {
        Ok(sum) => {
            let series = latest.lock().map_or(0, |l| l.series());
            eprintln!("{}", crate::progress::summary(&sum));
            eprintln!(
                "tsim serve: {series} series served (metrics only: {} spans, logs and events not served)",
                sink.ignored
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}
