//! `tsim run` and `tsim fixtures`: wiring inputs (a `.tsim` compiled in
//! memory, or a pack), the start instant and the sink to the runtime.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use tsim_compiler::{check_file, Options};
use tsim_pack::Pack;
use tsim_runtime::sim::{self, Summary};
use tsim_runtime::sink::ndjson::{NdjsonSink, ANSWER_KEY, FILES};
use tsim_runtime::sink::otlp_json::{self, OtlpJsonSink};
use tsim_runtime::sink::output::{self, TempFile};
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
/// (OTLP/JSON output has none), committed together with the four files.
/// Nothing is renamed into place unless every file was written and synced.
pub fn execute(
    pack: &Pack,
    opts: &sim::Options,
    target: &Target,
) -> Result<(Summary, Option<[u64; 4]>), String> {
    let mut bar = Bar::new();
    let mut tick = |done: u64, total: u64, sum: &Summary| bar.update(done, total, sum);
    let result = match target {
        Target::Null => sim::run(pack, opts, &mut NullSink, &mut tick).map(|s| (s, None)),
        Target::Ndjson(dir) => NdjsonSink::create(dir).and_then(|sink| {
            let mut sink = sink.hold();
            let sum = sim::run(pack, opts, &mut sink as &mut dyn Sink, &mut tick)?;
            let mut key = TempFile::create(&dir.join(ANSWER_KEY))?;
            std::io::Write::write_all(
                &mut key,
                (tsim_runtime::answer::to_json(&sum.incidents) + "\n").as_bytes(),
            )?;
            sink.commit_with(&mut [&mut key])?;
            Ok((sum, Some(sink.lines())))
        }),
        Target::OtlpJson(dir) => OtlpJsonSink::create(dir).and_then(|mut sink| {
            sim::run(pack, opts, &mut sink as &mut dyn Sink, &mut tick).map(|s| (s, None))
        }),
    };
    bar.finish();
    result.map_err(|e| e.to_string())
}

/// What a directory of an output tree may hold.
#[derive(Clone, Copy)]
pub enum Shape {
    /// Only these files (and their temporaries).
    Files(&'static [&'static str]),
    /// A fixture tree's root: `normal/`, `incidents/`, `noise/`.
    Tree,
    /// `incidents/` or `noise/`: fixture folders.
    Group,
    /// `normal/`: a fixture folder that may hold more fixture folders.
    Normal,
}

/// Refuses to write into `dir` when it holds anything tsim would not write
/// there, or when it or one of tsim's names in it is a symlink, unless
/// `force` (then foreign files are left alone and symlinked names are
/// replaced by the rename, never written through). A missing `dir` is fine.
fn check_dir(dir: &Path, force: bool, shape: Shape) -> Result<(), String> {
    let choose = "or choose an empty directory";
    let meta = match std::fs::symlink_metadata(dir) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(format!("cannot read {}: {e}", dir.display())),
    };
    if meta.file_type().is_symlink() {
        if !force {
            return Err(format!(
                "{} is a symlink; pass --force to write into where it points, {choose}",
                dir.display()
            ));
        }
    } else if !meta.is_dir() {
        return Err(format!("{} exists and is not a directory", dir.display()));
    }
    if !dir.is_dir() {
        return Err(format!("{} exists and is not a directory", dir.display()));
    }
    let entries =
        std::fs::read_dir(dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
    let mut names: Vec<_> = entries.flatten().map(|e| e.file_name()).collect();
    names.sort();
    for name in names {
        let path = dir.join(&name);
        let text = name.to_string_lossy();
        let kind = std::fs::symlink_metadata(&path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?
            .file_type();
        let own_file = |names: &[&str]| {
            names.contains(&text.as_ref())
                || output::temp_owner(&text).is_some_and(|o| names.contains(&o))
        };
        let sub = match shape {
            Shape::Files(files) if own_file(files) => None,
            Shape::Normal if own_file(NDJSON_FILES) => None,
            Shape::Tree => match text.as_ref() {
                "normal" => Some(Shape::Normal),
                "incidents" | "noise" => Some(Shape::Group),
                _ => {
                    foreign(&path, force)?;
                    continue;
                }
            },
            Shape::Group | Shape::Normal => Some(Shape::Files(NDJSON_FILES)),
            Shape::Files(_) => {
                foreign(&path, force)?;
                continue;
            }
        };
        match sub {
            None if kind.is_symlink() && !force => {
                return Err(format!(
                    "{} is a symlink; pass --force to replace the link itself (its target is left alone), {choose}",
                    path.display()
                ))
            }
            None if kind.is_file() || kind.is_symlink() => {}
            None => foreign(&path, force)?,
            Some(sub) if kind.is_dir() || kind.is_symlink() => check_dir(&path, force, sub)?,
            Some(_) => foreign(&path, force)?,
        }
    }
    Ok(())
}

/// The names tsim writes in a fixture folder (`tsim run --to ndjson:DIR`):
/// [`FILES`] and the answer key.
const NDJSON_FILES: &[&str] = &[
    "metrics.ndjson",
    "logs.ndjson",
    "traces.ndjson",
    "events.ndjson",
    ANSWER_KEY,
];

/// The error for an entry tsim did not write (none with `force`).
fn foreign(path: &Path, force: bool) -> Result<(), String> {
    if force {
        return Ok(());
    }
    let dir = path.parent().unwrap_or(Path::new("."));
    Err(format!(
        "{} is not empty: {} was not written by tsim; pass --force to replace tsim's files (others are left alone), or choose an empty directory",
        dir.display(),
        path.display()
    ))
}

/// `tsim run`.
pub fn run(
    input_path: &Path,
    target: &Target,
    start_flag: Option<&str>,
    duration: Option<&str>,
    overrides: Vec<(String, String)>,
    seed: Option<u64>,
    force: bool,
) -> ExitCode {
    let checked = match target {
        Target::Ndjson(dir) => check_dir(dir, force, Shape::Files(NDJSON_FILES)),
        Target::OtlpJson(dir) => check_dir(dir, force, Shape::Files(&otlp_json::FILES)),
        Target::Null => Ok(()),
    };
    if let Err(e) = checked {
        eprintln!("error: {e}");
        return ExitCode::from(1);
    }
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
/// An `out` holding only an earlier fixture tree is replaced; anything else
/// in it needs `force` (and is left alone).
pub fn fixtures(from: &Path, out: &Path, start_flag: Option<&str>, force: bool) -> ExitCode {
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
    if let Err(e) = check_dir(out, force, Shape::Tree) {
        eprintln!("error: {e}");
        return ExitCode::from(1);
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
    if failed {
        eprintln!(
            "error: the fixture tree under {} is incomplete (see above)",
            out.display()
        );
        return ExitCode::from(1);
    }
    println!(
        "written under {} ({} per folder, plus {ANSWER_KEY})",
        out.display(),
        FILES.join(", ")
    );
    ExitCode::SUCCESS
}
