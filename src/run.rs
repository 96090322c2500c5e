//! `tsim run`: wiring inputs (a `.tsim` compiled in memory, or a pack),
//! the start instant, the re-checked work and the sink to the runtime.

use std::path::Path;
use std::process::ExitCode;

use tsim_compiler::{check_file_with, Estimate, Options, RunWork};
use tsim_pack::Pack;
use tsim_runtime::sim::{self, Live, Pace};
use tsim_runtime::sink::otlp_json;
use tsim_runtime::sink::output::{self, TempFile};
use tsim_runtime::sink::spec::Target;

use crate::dirs::{check_dir, Shape, NDJSON_FILES};
use crate::execute::{execute, Done};
use crate::live::LiveFlags;
use crate::progress;
use crate::send::SendFlags;
use crate::work;

/// Reads a pack file, or compiles a `.tsim` in memory (with the scenario's
/// own seed: `--seed` is applied by the runtime, the same way for both).
/// Errors are printed.
pub fn input(path: &Path, overrides: Vec<(String, String)>) -> Option<Pack> {
    input_with_params(path, overrides).map(|(pack, _)| pack)
}

/// The params a scenario resolved to, by name, each as written; `None`
/// for a compiled pack, which does not record them.
pub type Params = Option<std::collections::BTreeMap<String, String>>;

/// [`input`], with the params the scenario resolved to.
pub fn input_with_params(path: &Path, overrides: Vec<(String, String)>) -> Option<(Pack, Params)> {
    load(path, overrides).map(|l| (l.pack, l.params))
}

/// [`input_with_params`], with the pack's bytes.
pub fn input_bytes(
    path: &Path,
    overrides: Vec<(String, String)>,
) -> Option<(Pack, Vec<u8>, Params)> {
    load(path, overrides).map(|l| (l.pack, l.bytes, l.params))
}

/// A run's input: its pack, params and the work it asks for.
pub struct Loaded {
    /// The pack (compiled in memory from a `.tsim`, or read).
    pub pack: Pack,
    /// The pack's bytes.
    pub bytes: Vec<u8>,
    /// Its params.
    pub params: Params,
    /// The scenario's estimated work (from its model, or read from the
    /// pack).
    pub estimate: Estimate,
}

/// [`input_with_params`], with the scenario's estimate.
pub fn load(path: &Path, overrides: Vec<(String, String)>) -> Option<Loaded> {
    if let Some(e) = crate::stock::unknown(path) {
        eprintln!("error: {e}");
        return None;
    }
    let stock = crate::stock::path(path);
    let path = stock.as_deref().unwrap_or(path);
    let is_pack = !crate::stock::is_stock(path) && {
        use std::io::Read;
        let mut magic = [0u8; 8];
        std::fs::File::open(path)
            .and_then(|mut f| f.read_exact(&mut magic))
            .is_ok()
            && magic == tsim_pack::MAGIC
    };
    if !is_pack && path.extension().is_some_and(|x| x == "pack") {
        eprintln!(
            "error: {}: not a tsim pack (it does not start with the TSIMPACK magic; it may be empty or truncated); write one with `tsim compile FILE -o PACK`",
            path.display()
        );
        return None;
    }
    if is_pack {
        if let Some((name, _)) = overrides.first() {
            eprintln!(
                "error: --set {name}=...: {} is a compiled pack, whose params are fixed; pass the .tsim source to set params",
                path.display()
            );
            return None;
        }
        return match tsim_runtime::load(path) {
            Ok((pack, bytes)) => Some(Loaded {
                estimate: tsim_compiler::estimate_pack(&pack),
                pack,
                bytes,
                params: None,
            }),
            Err(e) => {
                eprintln!("error: {e}");
                None
            }
        };
    }
    let out = check_file_with(
        path,
        &crate::stock::read,
        &Options {
            overrides,
            seed: None,
        },
    );
    crate::cli::print_human(&out);
    let model = out.model.or_else(|| {
        eprintln!("{}: not run: the scenario has errors", path.display());
        None
    })?;
    match tsim_compiler::compile(&model).map(|b| (tsim_pack::decode(&b), b)) {
        Ok((Ok(pack), bytes)) => Some(Loaded {
            pack,
            bytes,
            estimate: tsim_compiler::estimate(&model),
            params: Some(model.params),
        }),
        Ok((Err(e), _)) => {
            eprintln!(
                "{}: internal error: the compiled pack does not load: {e}",
                path.display()
            );
            None
        }
        Err(e) => {
            eprintln!("{}: {e}", path.display());
            None
        }
    }
}

fn now_ns() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
}

/// Chooses the start: the flag, else the scenario's `start`, else now.
pub fn start(flag: Option<&str>, pack: &Pack) -> Result<i64, String> {
    match (flag, pack.meta.start) {
        (Some(text), _) => tsim_runtime::time::parse_start(text, now_ns()),
        (None, Some((s, n))) => s
            .checked_mul(1_000_000_000)
            .and_then(|s| s.checked_add(i64::from(n)))
            .ok_or_else(|| "the pack's start is outside 1677 to 2262".to_string()),
        (None, None) => Ok(now_ns()),
    }
}

/// What `tsim run` was asked.
pub struct RunRequest<'a> {
    /// The `.tsim` file or pack.
    pub input: &'a Path,
    /// Where to.
    pub target: &'a Target,
    /// `--start`.
    pub start: Option<&'a str>,
    /// `--duration`.
    pub duration: Option<&'a str>,
    /// `--set`.
    pub overrides: Vec<(String, String)>,
    /// `--seed`.
    pub seed: Option<u64>,
    /// `--force`.
    pub force: bool,
    /// Wall-clock replay.
    pub live: &'a LiveFlags,
    /// How OTLP sinks send.
    pub send: &'a SendFlags,
}

/// `tsim run`.
pub fn run(req: RunRequest<'_>) -> ExitCode {
    let RunRequest {
        input: input_path,
        target,
        start: start_flag,
        duration,
        overrides,
        seed,
        force,
        live,
        send,
    } = req;
    let live_flags = live;
    let follow = live.then_live;
    let live = match live.live() {
        Ok(l) => l.map(|l| (l, live.backdate_ns())),
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let checked = match target {
        Target::Ndjson(dir) => check_dir(dir, force, Shape::Files(NDJSON_FILES)),
        Target::OtlpJson(dir) => check_dir(dir, force, Shape::Files(&otlp_json::FILES)),
        Target::Null
        | Target::Otlp(_)
        | Target::OpenMetrics(_)
        | Target::Honeycomb(_)
        | Target::RemoteWrite(_) => Ok(()),
    };
    if let Err(e) = checked {
        eprintln!("error: {e}");
        return ExitCode::from(1);
    }
    let Some(Loaded { pack, estimate, .. }) = load(input_path, overrides) else {
        return ExitCode::from(1);
    };
    let start_ns = match (&live, start_flag) {
        (Some(_), Some(_)) => {
            eprintln!("error: --start: a live run (--rate, --speed) is stamped now; use --backdate to move it back");
            return ExitCode::from(2);
        }
        (Some((_, backdate)), None) => match backdate {
            Ok(b) => now_ns().saturating_sub(i64::try_from(*b).unwrap_or(i64::MAX)),
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(2);
            }
        },
        (None, _) => match start(start_flag, &pack) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("error: --start {e}");
                return ExitCode::from(2);
            }
        },
    };
    let files = matches!(target, Target::Ndjson(_) | Target::OtlpJson(_));
    let duration_ns = match duration.map(tsim_runtime::time::parse_duration).transpose() {
        Ok(Some(0) | None) if follow && files => {
            eprintln!("error: --then-live into files runs until stopped, and a stopped file run keeps nothing: give --duration (from the start) so it ends");
            return ExitCode::from(2);
        }
        Ok(Some(0) | None) if follow => Some(u64::MAX),
        Ok(Some(0)) if live.is_some() => Some(u64::MAX),
        Ok(Some(0)) => {
            eprintln!("error: --duration 0 (until stopped) needs a live run: add --rate RATE, --speed 1x or --then-live");
            return ExitCode::from(2);
        }
        Ok(d) => d,
        Err(e) => {
            eprintln!("error: --duration {e}");
            return ExitCode::from(2);
        }
    };
    let length = duration_ns.unwrap_or(pack.meta.duration_ns);
    if length != u64::MAX
        && i64::try_from(length)
            .ok()
            .and_then(|d| start_ns.checked_add(d))
            .is_none()
    {
        eprintln!("error: --start: the run would end after 2262-04-11T23:47:16Z, the last instant Unix nanoseconds can hold; start earlier or run shorter");
        return ExitCode::from(2);
    }
    let flags = work::Flags {
        duration,
        multiplier: live_flags.multiplier.as_deref(),
        rate: live_flags.rate.as_deref(),
    };
    let run = run_work(length, live.as_ref().map(|(l, _)| l), &estimate);
    let expected = RunWork {
        mean_level: work::mean_level(&pack, start_ns, run.duration_s),
        ..run
    };
    // `--rate max` writes as fast as the disk takes it: no size to refuse by.
    let as_fast = live
        .as_ref()
        .is_some_and(|(l, _)| matches!(l.pace, Pace::Max));
    let checked = crate::diskwatch::reserve().and_then(|reserve| {
        work::recheck(&estimate, &run, &flags)?;
        let rate_max = as_fast.then_some(reserve);
        work::disk(&estimate.for_run(&expected), &pack, target, force, rate_max)?;
        Ok(reserve)
    });
    let reserve = match checked {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let stop = crate::send::stop_flag();
    let watch = file_path(target)
        .map(|path| crate::diskwatch::DiskWatch::start(path, reserve, stop.clone()));
    let opts = sim::Options {
        start_ns,
        seed,
        duration_ns,
        stop: Some(stop.clone()),
        live: live.map(|(l, _)| l),
        follow,
    };
    let result = execute(&pack, &opts, target, Some(send));
    if let Some(e) = watch.and_then(crate::diskwatch::DiskWatch::finish) {
        eprintln!("error: {e}");
        return ExitCode::from(1);
    }
    match result {
        Ok(done) => report(&done, send),
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(if stop.load(std::sync::atomic::Ordering::Relaxed) {
                130
            } else {
                1
            })
        }
    }
}

/// The file or directory a file target writes.
fn file_path(target: &Target) -> Option<&std::path::Path> {
    match target {
        Target::Ndjson(p) | Target::OtlpJson(p) | Target::OpenMetrics(p) => Some(p),
        _ => None,
    }
}

/// What a run of `length` ns asks of the scenario estimated as `est`.
fn run_work(length: u64, live: Option<&Live>, est: &Estimate) -> RunWork {
    let duration_s = if length == u64::MAX {
        f64::INFINITY
    } else {
        length as f64 / 1e9
    };
    let paced = live.and_then(|l| match l.pace {
        Pace::Rate(r) => Some((r, l.timeline_speed)),
        // As fast as the sink takes: no rate to estimate by, so the
        // scenario's own.
        Pace::Max => Some((est.spans_per_s, l.timeline_speed)),
        Pace::Speed(_) => None,
    });
    RunWork {
        duration_s,
        multiplier: live.map_or(1.0, |l| l.multiplier),
        mean_level: 1.0,
        paced,
    }
}

/// Prints the end of a run (and writes `--summary`): 0 when everything
/// generated was delivered, 1 when anything was rejected or failed.
fn report(done: &Done, send: &SendFlags) -> ExitCode {
    eprintln!("{}", progress::summary(&done.summary));
    if let Some(note) = &done.note {
        eprintln!("{note}");
    }
    if let Some(r) = &done.delivery {
        eprintln!("{}", crate::send::delivery(r));
    }
    if let Some(path) = &send.summary {
        let text = crate::send::summary_json(&done.summary, done.delivery.as_ref());
        let written = TempFile::create(path).and_then(|mut f| {
            std::io::Write::write_all(&mut f, text.as_bytes())?;
            output::commit(&mut [&mut f])
        });
        if let Err(e) = written {
            eprintln!("error: cannot write {}: {e}", path.display());
            return ExitCode::from(1);
        }
    }
    match &done.delivery {
        Some(r) if r.fatal.is_some() => {
            eprintln!("error: {}", r.fatal.as_deref().unwrap_or_default());
            ExitCode::from(1)
        }
        Some(r) if r.lost() > 0 => {
            eprintln!(
                "error: {} of {} items were not delivered (see above)",
                r.lost(),
                r.signals.iter().map(|s| s.generated).sum::<u64>()
            );
            ExitCode::from(1)
        }
        _ => ExitCode::SUCCESS,
    }
}
