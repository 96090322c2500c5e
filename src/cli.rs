//! Flag parsing and the `check` subcommand's output (human or JSON).

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};
use tsim_compiler::{check_file_with, Options, Outcome, Record, Report, Severity};

/// tsim: a declarative scenario language for synthetic telemetry.
///
/// Write services, call topology, traffic, metrics, logs and a timeline of
/// incidents in a `.tsim` file; tsim checks it, compiles it to a
/// deterministic pack and runs it: over simulated time into NDJSON fixtures
/// or OTLP/JSON lines files or an OpenMetrics history for Prometheus'
/// backfill, or live over OTLP/gRPC, OTLP/HTTP and the Honeycomb Events
/// API, or as a Prometheus `/metrics` endpoint (`tsim serve`).
#[derive(Parser, Debug)]
#[command(name = "tsim", version, about, long_about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Flags shared by commands that compile a scenario.
#[derive(Args, Debug)]
struct CompileFlags {
    /// Override a `param` of a `.tsim` source: `--set rate=500/s`
    /// (repeatable). A pack's params are fixed: pass the source to set them.
    #[arg(long = "set", value_name = "NAME=VALUE", value_parser = parse_set)]
    set: Vec<(String, String)>,
    /// Replace the scenario's seed: the seed of every value drawn per
    /// request (and of resource, series and log samples when compiling).
    #[arg(long, value_name = "N")]
    seed: Option<u64>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Check scenario files: syntax, names, units, ranges, call cycles, timeline.
    ///
    /// Exit status: 0 when every file is clean (warnings allowed), 1 when any
    /// file has errors, 2 on usage errors.
    #[command(after_help = crate::help::CHECK)]
    Check {
        /// The `.tsim` files to check, each with its imports; a directory
        /// means every `.tsim` file under it.
        #[arg(required = true, value_name = "PATH")]
        files: Vec<PathBuf>,
        /// Override a `param`: `--set rate=500/s` (repeatable).
        #[arg(long = "set", value_name = "NAME=VALUE", value_parser = parse_set)]
        set: Vec<(String, String)>,
        /// How to print diagnostics.
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
    },
    /// Compile a scenario to a pack: a deterministic, versioned binary of
    /// endpoint call programs (the call structure and the distributions of
    /// every value), metric series, log streams, events and the timeline
    /// program.
    ///
    /// Exit status: 0 on success, 1 on errors in the scenario or when the
    /// pack cannot be written, 2 on usage errors.
    #[command(after_help = crate::help::COMPILE)]
    Compile {
        /// The `.tsim` file.
        #[arg(value_name = "FILE")]
        file: PathBuf,
        /// Where to write the pack (as a temporary renamed into place; never
        /// the input or one of its imports).
        #[arg(short, long, value_name = "PACK")]
        output: PathBuf,
        #[command(flatten)]
        flags: CompileFlags,
    },
    /// Run a scenario (a `.tsim`, compiled in memory, or a pack) into a
    /// sink: over simulated time as fast as possible, or live on the wall
    /// clock with `--rate` or `--speed`. Every request is drawn afresh
    /// through its endpoint's program: latencies, errors, status codes,
    /// attributes, branches, retries and timeouts.
    ///
    /// `--to ndjson:DIR` writes metrics.ndjson, logs.ndjson, traces.ndjson,
    /// events.ndjson and answer_key.json; `--to otlp-json:DIR` writes
    /// traces.jsonl, metrics.jsonl and logs.jsonl, one OTLP/JSON export
    /// request per line (the Collector's file exporter layout);
    /// `--to openmetrics:FILE` writes the run's metrics (only: spans, logs
    /// and events are left out, and the summary says how many) as one
    /// OpenMetrics file with timestamps, named as the OpenTelemetry spec's
    /// Prometheus translation says, for `promtool tsdb create-blocks-from
    /// openmetrics FILE DIR` (the history is held in memory until the end,
    /// up to 1 GiB; a longer run is refused before it starts);
    /// `--to otlp-grpc://HOST:PORT` and `--to otlp-http://HOST:PORT` send
    /// OTLP, retrying as the spec says, and account for every item as sent,
    /// rejected or failed; `--to honeycomb:DATASET` sends events to the
    /// Honeycomb Events API with their own timestamps (the key from
    /// `--api-key`, HONEYCOMB_API_KEY or ./.env; a refused key stops the
    /// run at once); `--to prom-rw://HOST:PORT/PATH` sends the same metrics
    /// as Prometheus remote write 1.0 (`prom-rws://` over TLS); `--to null`
    /// discards (benchmarks). The same input,
    /// seed and start give byte-identical output.
    ///
    /// Files are written as temporaries and renamed into place only when
    /// the whole run succeeded: a failed or interrupted run leaves DIR as it
    /// was. A DIR holding anything but tsim's files, or symlinks, needs
    /// `--force`. Before it starts, the run's work with `--duration`,
    /// `--multiplier` and `--rate` is held to the limits `tsim check` uses
    /// (exit 2 past one); a file run prints its estimated records and bytes
    /// and is refused (exit 2) when they exceed the free space there,
    /// unless `--force`. Ctrl-C or SIGTERM stops a run at the next tick; an OTLP run
    /// then delivers what is in flight (up to `--drain`) and prints its
    /// summary. Exit status: 0 on success, 1 when the run or a write fails,
    /// DIR is refused, or anything sent was rejected or failed, 2 on usage
    /// errors, 130 for an interrupted file run.
    #[command(after_help = crate::help::RUN)]
    Run {
        /// A `.tsim` file, a pack, or a stock scenario (`stock:checkout`; see
        /// `tsim list`).
        #[arg(value_name = "INPUT")]
        input: PathBuf,
        /// Where to: `ndjson:DIR`, `otlp-json:DIR`, `openmetrics:FILE`,
        /// `honeycomb:DATASET`, `prom-rw://HOST:PORT/PATH` (`prom-rws://`
        /// over TLS), `otlp-grpc://HOST:PORT`,
        /// `otlp-http://HOST:PORT[/PREFIX][?encoding=json]` (`otlp-grpcs://`,
        /// `otlp-https://` over TLS), `otlp` (from the standard
        /// OTEL_EXPORTER_OTLP_* variables) or `null`.
        #[arg(long, value_name = "SINK", value_parser = parse_target)]
        to: tsim_runtime::sink::spec::Target,
        /// Start instant: RFC 3339, `now`, or `now-35d`. Default: the
        /// scenario's `start`, else now.
        #[arg(long, value_name = "TIME")]
        start: Option<String>,
        /// Time to cover, e.g. `10m` (default: the scenario's duration); in a
        /// live run wall-clock time, and `0` runs until stopped.
        #[arg(long, value_name = "DURATION")]
        duration: Option<String>,
        /// Write into a DIR that holds other files too (they are left
        /// alone) or symlinks at tsim's file names (the links are replaced,
        /// their targets untouched). Without it such a DIR is refused; a DIR
        /// holding only tsim's own files is replaced. Also starts a file
        /// run whose estimated size (printed before it starts) is more than
        /// the free space of the target's filesystem.
        #[arg(long)]
        force: bool,
        #[command(flatten)]
        flags: CompileFlags,
        #[command(flatten)]
        live: Box<crate::live::LiveFlags>,
        #[command(flatten)]
        send: Box<crate::send::SendFlags>,
    },
    /// Build the incident-fixture tree (from the built-in stock library by
    /// default, so it works from any directory): one folder per scenario
    /// of `--from`, under `normal/`, `incidents/<name>/` or `noise/<name>/`,
    /// each with the four NDJSON files and an answer key; prints what it made
    /// (`--list DIR` lists a tree made earlier).
    ///
    /// An `--out` DIR that holds only an earlier fixture tree (tsim's own
    /// folders and files) is replaced without `--force`; anything else in
    /// it is refused unless `--force`. Every file is written as a
    /// temporary and renamed into place only when its folder is complete.
    ///
    /// `--list DIR` writes nothing: it lists the tree at DIR, one line per
    /// fixture folder with the records in each NDJSON file and the entries
    /// of its answer key (exit status 1 when DIR is not a fixture tree or a
    /// file is missing or unreadable).
    #[command(after_help = crate::help::FIXTURES)]
    Fixtures {
        /// List the fixture tree at DIR (made by `tsim fixtures --out DIR`)
        /// instead of building one.
        #[arg(long, value_name = "DIR", conflicts_with_all = ["out", "from", "start", "force"])]
        list: Option<PathBuf>,
        /// Where to write the tree.
        #[arg(long, value_name = "DIR", default_value = "fixtures")]
        out: PathBuf,
        /// The scenarios to build from: a directory of `.tsim` files, or
        /// `stock:triage` (the built-in incident and noise scenarios, the
        /// same as `scenarios/triage` in the source tree).
        #[arg(long, value_name = "DIR", default_value = "stock:triage")]
        from: PathBuf,
        /// Start instant for every fixture (default: each scenario's `start`).
        #[arg(long, value_name = "TIME")]
        start: Option<String>,
        /// Write into an `--out` that holds other files too (they are left
        /// alone) or symlinks (links at tsim's file names are replaced,
        /// their targets untouched); and start even when the tree's
        /// estimated size (printed first) is more than the free space there.
        #[arg(long)]
        force: bool,
    },
    /// Print what a scenario compiles to: the pack's header, section sizes,
    /// counts, resources, one request drawn through each root endpoint,
    /// metrics, log streams, events and the disassembled timeline program
    /// (`--format json`: the same facts as structured JSON, every metric
    /// listed).
    ///
    /// A pack that is truncated, corrupt or from another format version is
    /// rejected with one line saying why (exit status 1).
    #[command(after_help = crate::help::INSPECT)]
    Inspect {
        /// A pack, a `.tsim` file (compiled in memory) or a stock scenario.
        #[arg(value_name = "INPUT")]
        pack: PathBuf,
        /// Output format.
        #[arg(long, value_enum, default_value_t = InspectFormat::Text)]
        format: InspectFormat,
        /// Override a `param` of a `.tsim` source: `--set variant=load-test`
        /// (repeatable).
        #[arg(long = "set", value_name = "NAME=VALUE", value_parser = parse_set)]
        set: Vec<(String, String)>,
    },
    /// Show a scenario at a glance: its traffic curve over a weekday and a
    /// weekend day (a bar per hour, in its time zone), every timeline
    /// window drawn over the run, and one request drawn through each root
    /// endpoint.
    #[command(after_help = crate::help::PREVIEW)]
    Preview {
        /// A `.tsim` file, a pack, or a stock scenario (`stock:checkout`).
        #[arg(value_name = "INPUT")]
        input: PathBuf,
        /// Override a `param`: `--set rate=500/s` (repeatable).
        #[arg(long = "set", value_name = "NAME=VALUE", value_parser = parse_set)]
        set: Vec<(String, String)>,
    },
    /// List the stock scenarios built into tsim, one line each; run one with
    /// `tsim run stock:NAME`, check or compile it the same way.
    #[command(after_help = crate::help::LIST)]
    List,
    /// Receive OTLP over gRPC and HTTP (protobuf or JSON, gzip or not),
    /// validate and count what arrives: ids, parent links, times,
    /// data points, required attributes. Listens on loopback by default and
    /// prints the bound addresses (port 0 picks a free one). Can be told to
    /// fail, throttle or reject, to test a sender's retries.
    ///
    /// Stops on Ctrl-C or SIGTERM with a report. Exit status: 0 when
    /// nothing violated the checks, 1 when something did, 2 on usage errors.
    #[command(after_help = crate::help::RECEIVE)]
    Receive(crate::receive::ReceiveArgs),
    /// Serve a scenario's metrics live for Prometheus to scrape: the
    /// scenario runs on the wall clock (its traffic, timeline and metric
    /// ticks in real time, or `--speed`), and `GET /metrics` shows the
    /// latest value of every series, named as the OpenTelemetry spec's
    /// Prometheus translation says, in the text format 0.0.4, or
    /// OpenMetrics 1.0 (with exemplars on histograms derived from spans)
    /// when `Accept` asks for `application/openmetrics-text`. `GET /health`
    /// answers `{"status":"healthy","uptime":"..."}`, `GET /config` the
    /// scenario, every param as resolved, and the seed. Series carry their own `job` and
    /// `instance` labels: scrape with `honor_labels: true`. Spans, logs and
    /// events are simulated (RED metrics derive from them) but not served.
    ///
    /// Ctrl-C or SIGTERM stops it. Exit status: 0 on a clean stop, 1 when
    /// the scenario or the address fails, 2 on usage errors.
    #[command(after_help = crate::help::SERVE)]
    Serve(crate::serve::ServeArgs),
    /// Measure the sender on this machine, side by side in one run: drawing
    /// requests, encoding OTLP protobuf and JSON, gzip, and delivering over
    /// loopback OTLP/gRPC into a counting server, against a blaster of
    /// pre-encoded requests on the same transport.
    #[command(after_help = crate::help::BENCH)]
    Bench(crate::bench::BenchArgs),
    /// Snapshot-test scenarios: run each `.tsim` under PATH (default: the
    /// current directory) into NDJSON fixtures and compare a stable summary
    /// of the run (what it compiles to, record counts, a digest of every
    /// fixture byte, requests, failed share, p50 and p99 overall and per
    /// incident, the first lines) with `NAME.snap` beside `NAME.tsim`.
    /// `--update` writes the snapshots; read them before committing.
    ///
    /// Exit status: 0 when every snapshot matches, 1 when one differs or is
    /// missing (a line diff is printed), 2 on usage errors.
    #[command(after_help = crate::help::TEST)]
    Test(crate::scenario_test::TestArgs),
    /// Format `.tsim` files in place in the one canonical layout: two
    /// spaces per open bracket, one space between tokens (`a: b` in
    /// arguments, `name = value`), your line breaks kept (runs of blank
    /// lines become one), every comment kept. Formatting twice changes
    /// nothing, and never changes what a file means.
    ///
    /// A file that does not parse is refused with its syntax errors and
    /// left as it was. Exit status: 0 when every file is formatted (or, with
    /// `--check`, already was), 1 when a file was refused or `--check`
    /// found files to change, 2 on usage errors.
    #[command(after_help = crate::help::FMT)]
    Fmt(crate::fmt::FmtArgs),
    /// Start a new scenario: writes NAME.tsim from a template (a small,
    /// commented scenario that checks and runs as it is) named after the
    /// file. An existing file is never replaced.
    ///
    /// Exit status: 0 when the file was written, 1 when it exists or cannot
    /// be written, 2 on usage errors.
    #[command(after_help = crate::help::NEW)]
    New(crate::new::NewArgs),
    /// Print a completion script for bash, zsh, fish, powershell or elvish:
    /// every subcommand, flag and choice of value.
    ///
    /// Bash: `tsim completions bash > ~/.local/share/bash-completion/completions/tsim`;
    /// zsh: `tsim completions zsh > ~/.zfunc/_tsim` (with `~/.zfunc` in
    /// `fpath`); fish: `tsim completions fish > ~/.config/fish/completions/tsim.fish`.
    #[command(after_help = crate::help::COMPLETIONS)]
    Completions(crate::completions::CompletionsArgs),
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum InspectFormat {
    /// Stable, human-readable text.
    Text,
    /// One JSON object: header, counts, resources, sample traces,
    /// metrics, logs, events and program, structured.
    Json,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Format {
    /// Rendered reports with source snippets, on stderr.
    Human,
    /// One JSON array of records (file, line, column, code, message, help) on stdout.
    Json,
}

fn parse_target(s: &str) -> Result<tsim_runtime::sink::spec::Target, String> {
    tsim_runtime::sink::spec::parse(s, &|k| std::env::var(k).ok())
}

pub(crate) fn parse_set(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_string(), v.trim().to_string())),
        _ => Err(format!("expected NAME=VALUE, found `{s}`")),
    }
}

/// Parses the command line and runs the chosen subcommand.
pub fn run() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Check { files, set, format } => check(&files, set, format),
        Command::Compile {
            file,
            output,
            flags,
        } => compile(&file, &output, flags),
        Command::Inspect { pack, format, set } => inspect(&pack, format, set),
        Command::Preview { input, set } => crate::preview::run(&input, set),
        Command::Run {
            input,
            to,
            start,
            duration,
            force,
            flags,
            live,
            send,
        } => crate::run::run(crate::run::RunRequest {
            input: &input,
            target: &to,
            start: start.as_deref(),
            duration: duration.as_deref(),
            overrides: flags.set,
            seed: flags.seed,
            force,
            live: &live,
            send: &send,
        }),
        Command::Receive(args) => crate::receive::run(args),
        Command::Serve(args) => crate::serve::run(args),
        Command::List => {
            crate::stdout(format_args!("{}", crate::stock::list()));
            ExitCode::SUCCESS
        }
        Command::Bench(args) => crate::bench::run(args),
        Command::Test(args) => crate::scenario_test::run(args),
        Command::Fmt(args) => crate::fmt::run(args),
        Command::New(args) => crate::new::run(args),
        Command::Completions(args) => {
            crate::completions::run(args, &mut <Cli as clap::CommandFactory>::command())
        }
        Command::Fixtures {
            list: Some(dir), ..
        } => crate::fixtures_list::run(&dir),
        Command::Fixtures {
            list: None,
            out,
            from,
            start,
            force,
        } => crate::fixtures::fixtures(&from, &out, start.as_deref(), force),
    }
}

/// Prints an outcome's diagnostics as rendered reports on stderr.
pub fn print_human(out: &Outcome) {
    let mut stderr = std::io::stderr().lock();
    for d in &out.diagnostics {
        let report = miette::Report::new(Report::new(d, &out.sources));
        let _ = writeln!(stderr, "{report:?}");
    }
}

fn compile(file: &std::path::Path, output: &std::path::Path, flags: CompileFlags) -> ExitCode {
    let started = std::time::Instant::now();
    let stock = crate::stock::path(file);
    let file = stock.as_deref().unwrap_or(file);
    let out = check_file_with(
        file,
        &crate::stock::read,
        &Options {
            overrides: flags.set,
            seed: flags.seed,
        },
    );
    print_human(&out);
    let Some(model) = &out.model else {
        eprintln!("{}: not compiled: the scenario has errors", file.display());
        return ExitCode::from(1);
    };
    let bytes = match tsim_compiler::compile(model) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("{}: {e}", file.display());
            return ExitCode::from(1);
        }
    };
    if let Some(source) = overwrites_source(output, file, &out.sources) {
        eprintln!(
            "error: -o {} is the scenario's source {}; choose another output file",
            output.display(),
            source.display()
        );
        return ExitCode::from(1);
    }
    if let Err(e) = tsim_runtime::sink::output::write(output, &bytes) {
        eprintln!("error: {e}");
        return ExitCode::from(1);
    }
    eprintln!(
        "{}: wrote {} bytes in {:.2?}",
        output.display(),
        bytes.len(),
        started.elapsed()
    );
    ExitCode::SUCCESS
}

/// The source (`file` or one it imports) that `output` names, if any:
/// canonical paths are compared, so links and `./` spellings are caught.
fn overwrites_source(
    output: &std::path::Path,
    file: &std::path::Path,
    sources: &tsim_compiler::SourceMap,
) -> Option<PathBuf> {
    let out = std::fs::canonicalize(output).ok()?;
    let mut paths = vec![file.to_path_buf()];
    for i in 0.. {
        let Some(s) = sources.get(tsim_compiler::source::FileId(i)) else {
            break;
        };
        paths.push(PathBuf::from(&s.name));
    }
    paths
        .into_iter()
        .find(|p| std::fs::canonicalize(p).is_ok_and(|c| c == out))
}

fn inspect(path: &std::path::Path, format: InspectFormat, set: Vec<(String, String)>) -> ExitCode {
    match crate::run::input_bytes(path, set) {
        Some((pack, bytes, _)) => {
            match format {
                InspectFormat::Text => crate::stdout(format_args!(
                    "{}",
                    tsim_runtime::inspect::text(&pack, &bytes)
                )),
                InspectFormat::Json => {
                    crate::outln!("{:#}", tsim_runtime::inspect::json(&pack, &bytes))
                }
            }
            ExitCode::SUCCESS
        }
        None => ExitCode::from(1),
    }
}

/// Expands directories into the `.tsim` files under them, sorted (symlinks
/// inside them are not followed).
pub(crate) fn expand(paths: &[PathBuf]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for p in paths {
        if let Some(stock) = crate::stock::path(p) {
            out.push(stock);
            continue;
        }
        if !p.is_dir() {
            out.push(p.clone());
            continue;
        }
        let mut found = Vec::new();
        let mut stack = vec![p.clone()];
        while let Some(dir) = stack.pop() {
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for e in entries.flatten() {
                let path = e.path();
                // Symlinks are not followed: two links back to `.` would
                // make the walk exponential.
                let Ok(kind) = e.file_type() else {
                    continue;
                };
                if kind.is_dir() {
                    stack.push(path);
                } else if !kind.is_symlink() && path.extension().is_some_and(|x| x == "tsim") {
                    found.push(path);
                }
            }
        }
        found.sort();
        out.extend(found);
    }
    out
}

fn check(paths: &[PathBuf], overrides: Vec<(String, String)>, format: Format) -> ExitCode {
    let options = Options {
        overrides,
        seed: None,
    };
    let files = expand(paths);
    if files.is_empty() {
        eprintln!("error: no .tsim files found under the given directories");
        return ExitCode::from(2);
    }
    let mut failed = false;
    let mut records = Vec::new();
    let mut stderr = std::io::stderr().lock();
    for file in &files {
        let out = check_file_with(file, &crate::stock::read, &options);
        failed |= out.has_errors();
        match format {
            Format::Json => {
                records.extend(out.diagnostics.iter().map(|d| Record::new(d, &out.sources)))
            }
            Format::Human => {
                for d in &out.diagnostics {
                    let report = miette::Report::new(Report::new(d, &out.sources));
                    let _ = writeln!(stderr, "{report:?}");
                }
            }
        }
        if matches!(format, Format::Human) {
            let errors = out
                .diagnostics
                .iter()
                .filter(|d| d.severity == Severity::Error)
                .count();
            let warnings = out.diagnostics.len() - errors;
            let status = if errors == 0 { "ok" } else { "failed" };
            let _ = writeln!(
                stderr,
                "{}: {status} ({errors} errors, {warnings} warnings)",
                file.display()
            );
        }
    }
    if let Format::Json = format {
        match serde_json::to_string_pretty(&records) {
            Ok(json) => crate::outln!("{json}"),
            Err(e) => {
                let _ = writeln!(stderr, "error: cannot encode diagnostics: {e}");
                return ExitCode::from(1);
            }
        }
    }
    if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
