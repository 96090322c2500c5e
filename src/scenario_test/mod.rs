//! `tsim test [PATH]... [--update]`: snapshot tests for scenarios. Each
//! scenario runs into NDJSON fixtures in a scratch directory; a stable
//! summary of the run ([`summary`]) is compared with `NAME.snap` beside
//! `NAME.tsim`. A missing or different snapshot fails with a line diff;
//! `--update` writes them. Files without a `scenario` block (libraries
//! others import) are skipped, and say so.

mod diff;
mod summary;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use tsim_runtime::sim;
use tsim_runtime::sink::spec::Target;

use crate::execute::execute;

/// The start of a scenario that declares none (a run's bytes depend on
/// it, so it is fixed, not "now").
const DEFAULT_START: &str = "2026-01-05T00:00:00Z";

/// `tsim test`'s flags.
#[derive(clap::Args, Debug)]
pub struct TestArgs {
    /// Scenario files or directories of them (default: the current one).
    #[arg(value_name = "PATH")]
    paths: Vec<PathBuf>,
    /// Write every snapshot anew instead of comparing.
    #[arg(long)]
    update: bool,
    /// Run each scenario for this much simulated time instead of its own
    /// `duration` (the snapshot records it).
    #[arg(long, value_name = "DURATION")]
    duration: Option<String>,
}

/// How one file ended.
enum Verdict {
    Pass,
    Written,
    Skipped(&'static str),
    Failed(String),
}

/// The snapshot beside a scenario: `a/b.tsim` -> `a/b.snap`.
fn snap_path(file: &Path) -> PathBuf {
    file.with_extension("snap")
}

/// Runs `tsim test`.
pub fn run(args: TestArgs) -> ExitCode {
    let duration_ns = match args
        .duration
        .as_deref()
        .map(tsim_runtime::time::parse_duration)
    {
        None => None,
        Some(Ok(0)) => {
            eprintln!(
                "error: --duration 0: a test needs a run that ends; give a length such as 10m"
            );
            return ExitCode::from(2);
        }
        Some(Ok(d)) => Some(d),
        Some(Err(e)) => {
            eprintln!("error: --duration {e}");
            return ExitCode::from(2);
        }
    };
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.paths.clone()
    };
    if let Some(p) = paths.iter().find(|p| crate::stock::path(p).is_some()) {
        eprintln!(
            "error: {}: stock scenarios have no snapshot file to compare with; `tsim test` runs files of yours",
            p.display()
        );
        return ExitCode::from(2);
    }
    let files = crate::cli::expand(&paths);
    if files.is_empty() {
        eprintln!("error: no .tsim files under {}", paths[0].display());
        return ExitCode::from(2);
    }
    let (mut passed, mut failed, mut written, mut skipped) = (0, 0, 0, 0);
    for (i, file) in files.iter().enumerate() {
        match one(file, i, duration_ns, args.update) {
            Verdict::Pass => {
                passed += 1;
                crate::outln!("ok      {}", file.display());
            }
            Verdict::Written => {
                written += 1;
                crate::outln!("written {}", snap_path(file).display());
            }
            Verdict::Skipped(why) => {
                skipped += 1;
                crate::outln!("skipped {} ({why})", file.display());
            }
            Verdict::Failed(why) => {
                failed += 1;
                crate::outln!("FAILED  {}\n{why}", file.display());
            }
        }
    }
    crate::outln!("{passed} passed, {failed} failed, {written} written, {skipped} skipped");
    if failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// True when the file, with what it imports, declares `scenario "..." { }`
/// (a library that others import does not; a file that imports a
/// scenario to redefine its params does). A file that does not load
/// counts as a scenario, so that checking it reports its errors.
fn declares_scenario(file: &Path) -> bool {
    let mut sources = tsim_compiler::source::SourceMap::new();
    let read = |p: &Path| tsim_compiler::read::read_source(p);
    let (program, diags) = tsim_compiler::resolve::load(file, &read, &mut sources);
    !diags.is_empty()
        || program.files.iter().any(|(_, f)| {
            f.items
                .iter()
                .any(|i| matches!(i, tsim_compiler::ast::Item::Scenario(_)))
        })
}

/// What a scenario's `// tsim test: ...` line asks for: params to set and
/// a duration, for scenarios too big to test as declared.
#[derive(Default)]
struct Directive {
    set: Vec<(String, String)>,
    duration_ns: Option<u64>,
    text: String,
}

/// Reads the `// tsim test: [--set NAME=VALUE]... [--duration D]` line of
/// the file's opening comments, if it has one.
fn directive(file: &Path) -> Result<Directive, String> {
    let text = std::fs::read_to_string(file).unwrap_or_default();
    let Some(line) = text
        .lines()
        .take_while(|l| l.trim_start().starts_with("//") || l.trim().is_empty())
        .find_map(|l| l.trim_start().strip_prefix("// tsim test:"))
    else {
        return Ok(Directive::default());
    };
    let mut d = Directive {
        text: line.trim().to_string(),
        ..Directive::default()
    };
    let mut words = line.split_whitespace();
    while let Some(w) = words.next() {
        let value = words.next();
        match (w, value) {
            ("--set", Some(kv)) => {
                let (k, v) = kv
                    .split_once('=')
                    .ok_or_else(|| format!("`// tsim test:` --set {kv}: expected NAME=VALUE"))?;
                d.set.push((k.to_string(), v.to_string()));
            }
            ("--duration", Some(v)) => {
                d.duration_ns = Some(
                    tsim_runtime::time::parse_duration(v)
                        .map_err(|e| format!("`// tsim test:` --duration {e}"))?,
                );
            }
            _ => {
                return Err(format!(
                    "`// tsim test:` `{w}`: expected --set NAME=VALUE or --duration D"
                ))
            }
        }
    }
    Ok(d)
}

fn one(file: &Path, index: usize, duration_ns: Option<u64>, update: bool) -> Verdict {
    if !declares_scenario(file) {
        return Verdict::Skipped("no `scenario` block: a library");
    }
    let d = match directive(file) {
        Ok(d) => d,
        Err(e) => return Verdict::Failed(format!("  {e}")),
    };
    let duration_ns = duration_ns.or(d.duration_ns);
    let Some((pack, bytes, _)) = crate::run::input_bytes(file, d.set.clone()) else {
        return Verdict::Failed("  it does not check or compile (see above)".into());
    };
    let name = pack
        .strings
        .get(pack.meta.name as usize)
        .cloned()
        .unwrap_or_default();
    let start_ns = match pack.meta.start {
        Some((s, n)) => s.saturating_mul(1_000_000_000).saturating_add(i64::from(n)),
        None => tsim_runtime::time::parse_start(DEFAULT_START, 0).unwrap_or(0),
    };
    let dir = std::env::temp_dir().join(format!("tsim-test-{}-{index}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let opts = sim::Options {
        start_ns,
        duration_ns,
        stop: Some(crate::send::stop_flag()),
        ..Default::default()
    };
    let ran = execute(&pack, &opts, &Target::Ndjson(dir.clone()), None);
    let secs = |ns: u64| tsim_runtime::time::format_duration(ns);
    let mut shown = file
        .file_name()
        .map_or(String::new(), |f| f.to_string_lossy().into_owned());
    if !d.text.is_empty() {
        shown.push_str(&format!(" (tsim test: {})", d.text));
    }
    let header = summary::Header {
        name: &name,
        file: &shown,
        pack: (bytes.len(), crc(&bytes)),
        run: (
            pack.meta.seed,
            tsim_runtime::time::rfc3339(
                start_ns.div_euclid(1_000_000_000),
                start_ns.rem_euclid(1_000_000_000) as u32,
            ),
            secs(duration_ns.unwrap_or(pack.meta.duration_ns)),
            secs(pack.meta.duration_ns),
        ),
    };
    let text = ran.and_then(|_| summary::summarise(&header, &dir));
    let _ = std::fs::remove_dir_all(&dir);
    let text = match text {
        Ok(t) => t,
        Err(e) => return Verdict::Failed(format!("  the run failed: {e}")),
    };
    compare(file, &text, update)
}

fn crc(bytes: &[u8]) -> u32 {
    tsim_pack::crc32(bytes.get(..bytes.len().saturating_sub(4)).unwrap_or(&[]))
}

fn compare(file: &Path, actual: &str, update: bool) -> Verdict {
    let snap = snap_path(file);
    if update {
        return match tsim_runtime::sink::output::write(&snap, actual.as_bytes()) {
            Ok(()) => Verdict::Written,
            Err(e) => Verdict::Failed(format!("  cannot write {}: {e}", snap.display())),
        };
    }
    // A checkout with CRLF line ends (git's autocrlf) compares as LF.
    match std::fs::read_to_string(&snap).map(|t| t.replace("\r\n", "\n")) {
        Ok(expected) if expected == actual => Verdict::Pass,
        Ok(expected) => Verdict::Failed(format!(
            "  {} differs (- expected, + actual); `tsim test --update` accepts the new run:\n{}",
            snap.display(),
            diff::lines(&expected, actual)
        )),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Verdict::Failed(format!(
            "  no snapshot {}: `tsim test --update` writes it (read it before you commit it)",
            snap.display()
        )),
        Err(e) => Verdict::Failed(format!("  cannot read {}: {e}", snap.display())),
    }
}
