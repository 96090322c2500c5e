//! `tsim fixtures`: the incident-fixture tree, one NDJSON folder and
//! answer key per scenario of `--from`, its size estimated (and checked
//! against the free space) before anything is written.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use tsim_compiler::RunWork;
use tsim_runtime::sim;
use tsim_runtime::sink::ndjson::{ANSWER_KEY, FILES};
use tsim_runtime::sink::spec::Target;

use crate::dirs::{check_dir, Shape};
use crate::execute::{execute, Done};
use crate::run::{load, start, Loaded};
use crate::work;

/// Prints the estimate of a fixture tree (every scenario's NDJSON at its
/// own duration and curve), and refuses one that would not fit in the free
/// space under `out` unless `force`.
fn fixtures_fit(
    runs: &[(PathBuf, String, Loaded, i64)],
    out: &Path,
    force: bool,
) -> Result<(), String> {
    let (mut records, mut needed) = (0.0, 0.0);
    for (_, _, loaded, start_ns) in runs {
        let est = &loaded.estimate;
        let run = RunWork {
            duration_s: est.duration_s,
            multiplier: 1.0,
            mean_level: work::mean_level(&loaded.pack, *start_ns, est.duration_s),
            paced: None,
        };
        let e = est.for_run(&run);
        records += e.records;
        needed += e.ndjson_bytes;
    }
    let free = work::free_space(out).map_err(|e| {
        format!(
            "cannot read the free space of the filesystem holding {}: {e}",
            out.display()
        )
    })?;
    eprintln!(
        "tsim: estimate: about {} records, about {} of NDJSON into {} ({} free there)",
        tsim_compiler::sci(records),
        tsim_compiler::bytes(needed),
        out.display(),
        tsim_compiler::bytes(free as f64)
    );
    work::fits(needed, free, force, &format!("--out {}", out.display()))
}

/// `tsim fixtures`: the REFERENCE E tree from every scenario in `from`.
/// An `out` holding only an earlier fixture tree is replaced; anything else
/// in it needs `force` (and is left alone).
pub fn fixtures(from: &Path, out: &Path, start_flag: Option<&str>, force: bool) -> ExitCode {
    let mut files: Vec<PathBuf> = match from.to_str().and_then(|f| f.strip_prefix("stock:")) {
        Some(dir) => crate::stock::scenarios(dir),
        None => std::fs::read_dir(from)
            .map(|rd| {
                rd.flatten()
                    .map(|e| e.path())
                    .filter(|p| p.extension().is_some_and(|x| x == "tsim"))
                    .collect()
            })
            .unwrap_or_default(),
    };
    files.sort();
    if files.is_empty() {
        eprintln!("error: no .tsim files in {}", from.display());
        return ExitCode::from(2);
    }
    if let Err(e) = check_dir(out, force, Shape::Tree) {
        eprintln!("error: {e}");
        return ExitCode::from(1);
    }
    let mut failed = false;
    let mut runs = Vec::new();
    for f in files {
        let stem = f
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let Some(loaded) = load(&f, Vec::new()) else {
            failed = true;
            continue;
        };
        let start_ns = match start(start_flag, &loaded.pack) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("error: --start {e}");
                return ExitCode::from(2);
            }
        };
        runs.push((f, stem, loaded, start_ns));
    }
    if let Err(e) = fixtures_fit(&runs, out, force) {
        eprintln!("error: {e}");
        return ExitCode::from(1);
    }
    let stop = crate::send::stop_flag();
    table_row(
        "fixture",
        ["metrics", "logs", "traces", "events", "incidents"].map(String::from),
    );
    for (f, stem, Loaded { pack, .. }, start_ns) in runs {
        let folder = tsim_runtime::fixtures::folder(&pack, &stem);
        let opts = sim::Options {
            start_ns,
            stop: Some(stop.clone()),
            ..Default::default()
        };
        match execute(&pack, &opts, &Target::Ndjson(out.join(&folder)), None) {
            Ok(Done {
                summary: sum,
                lines: Some(lines),
                ..
            }) => {
                let n = sum.incidents.len() as u64;
                table_row(
                    &folder,
                    [lines[0], lines[1], lines[2], lines[3], n].map(|c| c.to_string()),
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
    crate::outln!(
        "written under {} ({} per folder, plus {ANSWER_KEY})",
        out.display(),
        FILES.join(", ")
    );
    ExitCode::SUCCESS
}

/// One row of the fixture table `tsim fixtures` and `tsim fixtures --list`
/// print: a folder and its metrics, logs, traces, events and incidents.
pub fn table_row(folder: &str, cells: [String; 5]) {
    let [m, l, t, e, i] = cells;
    crate::outln!("{folder:<28} {m:>10} {l:>10} {t:>10} {e:>8} {i:>9}");
}
