//! `tsim run` and `tsim fixtures`: wiring inputs (a `.tsim` compiled in
//! memory, or a pack), the start instant and the sink to the runtime.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use tsim_compiler::{check_file, Options};
use tsim_pack::Pack;
use tsim_runtime::sim::{self, Summary};
use tsim_runtime::sink::ndjson::{NdjsonSink, FILES};
use tsim_runtime::sink::otlp_json::OtlpJsonSink;
use tsim_runtime::sink::{NullSink, Sink};

use crate::progress::{self, Bar};

/// Where a run's output goes.
#[derive(Clone, Debug)]
pub enum Target {
    /// NDJSON fixtures in a directory.
    Ndjson(PathBuf),
    /// OTLP/JSON lines files (the Collector's file exporter layout) in a
    /// directory.
    OtlpJson(PathBuf),
    /// Nowhere (benchmarks).
    Null,
}

/// Parses `ndjson:DIR`, `otlp-json:DIR` or `null`.
pub fn parse_target(s: &str) -> Result<Target, String> {
    match s.split_once(':') {
        Some(("ndjson", dir)) if !dir.is_empty() => Ok(Target::Ndjson(PathBuf::from(dir))),
        Some(("otlp-json", dir)) if !dir.is_empty() => Ok(Target::OtlpJson(PathBuf::from(dir))),
        _ if s == "null" => Ok(Target::Null),
        _ => Err(format!(
            "expected `ndjson:DIR`, `otlp-json:DIR` or `null`, found `{s}`"
        )),
    }
}

/// Reads a pack file, or compiles a `.tsim` in memory (with the scenario's
/// own seed: `--seed` is applied by the runtime, the same way for both).
/// Errors are printed.
pub fn input(path: &Path, overrides: Vec<(String, String)>) -> Option<Pack> {
    let is_pack = {
        use std::io::Read;
        let mut magic = [0u8; 8];
        std::fs::File::open(path)
            .and_then(|mut f| f.read_exact(&mut magic))
            .is_ok()
            && magic == tsim_pack::MAGIC
    };
    if is_pack {
        if let Some((name, _)) = overrides.first() {
            eprintln!(
                "error: --set {name}=...: {} is a compiled pack, whose params are fixed; pass the .tsim source to set params",
                path.display()
            );
            return None;
        }
        return match tsim_runtime::load(path) {
            Ok((pack, _)) => Some(pack),
            Err(e) => {
                eprintln!("error: {e}");
                None
            }
        };
    }
    let out = check_file(
        path,
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
    match tsim_compiler::compile(&model).map(|b| tsim_pack::decode(&b)) {
        Ok(Ok(pack)) => Some(pack),
        Ok(Err(e)) => {
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
        (None, Some((s, n))) => Ok(s.saturating_mul(1_000_000_000).saturating_add(i64::from(n))),
        (None, None) => Ok(now_ns()),
    }
}

/// Runs `pack` into `target`; writes the answer key beside NDJSON output
/// (OTLP/JSON output has none).
pub fn execute(
    pack: &Pack,
    opts: &sim::Options,
    target: &Target,
) -> Result<(Summary, Option<[u64; 4]>), String> {
    let mut bar = Bar::new();
    let mut tick = |done: u64, total: u64, sum: &Summary| bar.update(done, total, sum);
    let result = match target {
        Target::Null => sim::run(pack, opts, &mut NullSink, &mut tick).map(|s| (s, None)),
        Target::Ndjson(dir) => {
            let mut sink =
                NdjsonSink::create(dir).map_err(|e| format!("cannot write fixtures: {e}"))?;
            let run = sim::run(pack, opts, &mut sink as &mut dyn Sink, &mut tick);
            run.and_then(|sum| {
                let key = dir.join("answer_key.json");
                std::fs::write(&key, tsim_runtime::answer::to_json(&sum.incidents) + "\n")
                    .map_err(|e| {
                        std::io::Error::new(e.kind(), format!("{}: {e}", key.display()))
                    })?;
                Ok((sum, Some(sink.lines())))
            })
        }
        Target::OtlpJson(dir) => {
            let mut sink =
                OtlpJsonSink::create(dir).map_err(|e| format!("cannot write OTLP/JSON: {e}"))?;
            sim::run(pack, opts, &mut sink as &mut dyn Sink, &mut tick).map(|s| (s, None))
        }
    };
    bar.finish();
    result.map_err(|e| format!("run failed: {e}"))
}

/// `tsim run`.
pub fn run(
    input_path: &Path,
    target: &Target,
    start_flag: Option<&str>,
    duration: Option<&str>,
    overrides: Vec<(String, String)>,
    seed: Option<u64>,
) -> ExitCode {
    let Some(pack) = input(input_path, overrides) else {
        return ExitCode::from(1);
    };
    let start_ns = match start(start_flag, &pack) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: --start {e}");
            return ExitCode::from(2);
        }
    };
    let duration_ns = match duration.map(tsim_runtime::time::parse_duration).transpose() {
        Ok(d) => d,
        Err(e) => {
            eprintln!("error: --duration {e}");
            return ExitCode::from(2);
        }
    };
    let opts = sim::Options {
        start_ns,
        seed,
        duration_ns,
    };
    match execute(&pack, &opts, target) {
        Ok((sum, _)) => {
            eprintln!("{}", progress::summary(&sum));
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}

/// `tsim fixtures`: the REFERENCE E tree from every scenario in `from`.
pub fn fixtures(from: &Path, out: &Path, start_flag: Option<&str>) -> ExitCode {
    let mut files: Vec<PathBuf> = std::fs::read_dir(from)
        .map(|rd| {
            rd.flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "tsim"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    if files.is_empty() {
        eprintln!("error: no .tsim files in {}", from.display());
        return ExitCode::from(2);
    }
    println!(
        "{:<28} {:>10} {:>10} {:>10} {:>8} {:>9}",
        "fixture", "metrics", "logs", "traces", "events", "incidents"
    );
    let mut failed = false;
    for f in files {
        let stem = f
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let Some(pack) = input(&f, Vec::new()) else {
            failed = true;
            continue;
        };
        let folder = tsim_runtime::fixtures::folder(&pack, &stem);
        let start_ns = match start(start_flag, &pack) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("error: --start {e}");
                return ExitCode::from(2);
            }
        };
        let opts = sim::Options {
            start_ns,
            seed: None,
            duration_ns: None,
        };
        match execute(&pack, &opts, &Target::Ndjson(out.join(&folder))) {
            Ok((sum, Some(lines))) => {
                println!(
                    "{:<28} {:>10} {:>10} {:>10} {:>8} {:>9}",
                    folder,
                    lines[0],
                    lines[1],
                    lines[2],
                    lines[3],
                    sum.incidents.len()
                );
            }
            Ok(_) => {}
            Err(e) => {
                eprintln!("{}: {e}", f.display());
                failed = true;
            }
        }
    }
    println!(
        "written under {} ({} per folder, plus answer_key.json)",
        out.display(),
        FILES.join(", ")
    );
    if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
