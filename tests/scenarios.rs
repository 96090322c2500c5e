//! The stock library and the examples: every file under `scenarios/` and
//! `examples/` checks cleanly (no errors, no warnings), with its imports,
//! and the documented `--set` presets apply; each compiles to a pack whose
//! sample run (its first minutes) emits what the scenario declares: spans
//! from every root service at roughly the declared rate, points of every
//! process metric, the declared log streams, and the same bytes again for
//! the same seed and start.

mod common;

use std::collections::BTreeSet;
use std::io;
use std::path::{Path, PathBuf};

use tsim_compiler::{check_file, compile, Options};
use tsim_pack::{MetricSource, Pack};
use tsim_runtime::sink::{EventRecord, LogRecord, MetricRecord, Sink, SpanRecord};

#[test]
fn every_stock_scenario_and_example_checks_cleanly() {
    let mut files = common::tsim_files(Path::new("scenarios"));
    files.extend(common::tsim_files(Path::new("examples")));
    assert!(files.len() >= 15, "found only {} files", files.len());
    for f in files {
        let out = check_file(&f, &Options::default());
        assert!(
            out.diagnostics.is_empty(),
            "{}:\n{}",
            f.display(),
            common::render(&out)
        );
        assert!(out.model.is_some());
    }
}

#[test]
fn the_stock_library_covers_every_reference_workload() {
    for f in [
        "scenarios/honeycomb-backfill.tsim",
        "scenarios/ingest-load.tsim",
        "scenarios/demo-stack.tsim",
        "scenarios/claude-code.tsim",
        "scenarios/triage/normal.tsim",
        "scenarios/checkout.tsim",
    ] {
        assert!(Path::new(f).exists(), "{f} is missing");
    }
    for name in [
        "degradation",
        "outage",
        "cascade",
        "deployment",
        "transient",
        "high-volume",
        "intermittent",
    ] {
        assert!(
            Path::new(&format!("scenarios/triage/{name}.tsim")).exists(),
            "triage/{name} is missing"
        );
    }
}

#[test]
fn importers_redefine_imported_params() {
    let dir = std::env::temp_dir().join(format!("tsim-redefine-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("mkdir");
    std::fs::write(dir.join("lib.tsim"), "param length = 1h\n").expect("write");
    let top = dir.join("top.tsim");
    let text = "import \"lib.tsim\"\nparam length = 30m\nscenario \"s\" { duration $length }\n\
                service \"a\" { endpoint \"GET /\" { latency 1ms } }\n";
    std::fs::write(&top, text).expect("write");
    let out = check_file(&top, &Options::default());
    let model = out.model.expect("the importer checks");
    assert_eq!(model.settings.duration, 1800.0);
    std::fs::remove_dir_all(&dir).expect("clean up");
    let backfill = check_file(
        Path::new("scenarios/honeycomb-backfill.tsim"),
        &Options {
            overrides: vec![("days".into(), "60d".into())],
            ..Options::default()
        },
    );
    assert_eq!(
        backfill.model.expect("checks").settings.duration,
        60.0 * 86_400.0
    );
}

/// The durations and descriptions each `--set variant=` of the Claude Code
/// scenario (REFERENCE D's presets) resolves to.
#[test]
fn the_claude_code_variants_are_chosen_by_a_param() {
    let path = Path::new("scenarios/claude-code.tsim");
    let cases = [
        (None, 3_600.0, "normal usage"),
        (Some("normal"), 3_600.0, "normal usage"),
        (Some("load-test"), 1_800.0, "load test"),
        (Some("degradation"), 2_700.0, "degradation"),
        (Some("daily"), 86_400.0, "daily cycle"),
        (Some("anomaly"), 3_600.0, "anomaly injection"),
    ];
    for (variant, duration, about) in cases {
        let overrides = variant
            .map(|v| vec![("variant".to_string(), v.to_string())])
            .unwrap_or_default();
        let out = check_file(
            path,
            &Options {
                overrides,
                ..Options::default()
            },
        );
        let text = common::render(&out);
        let model = out
            .model
            .unwrap_or_else(|| panic!("{variant:?} checks: {text}"));
        assert_eq!(model.settings.duration, duration, "{variant:?}");
        assert!(
            model.settings.description.starts_with(about),
            "{variant:?}: {}",
            model.settings.description
        );
        let anomalies = model.timeline.len();
        assert_eq!(anomalies > 0, variant == Some("anomaly"), "{variant:?}");
    }
}

/// A `--set` meant for the chosen arm does not fail the others (they are
/// checked with the defaults), and an importer's redefinition of a param
/// beats the imported file's chosen arm, as it beats any imported default.
#[test]
fn arms_are_checked_with_defaults_and_importers_keep_their_params() {
    let short = check_file(
        Path::new("scenarios/claude-code.tsim"),
        &Options {
            overrides: vec![("length".into(), "20m".into())],
            ..Options::default()
        },
    );
    let text = common::render(&short);
    let model = short.model.unwrap_or_else(|| panic!("{text}"));
    assert_eq!(model.settings.duration, 1200.0);
    let dir = std::env::temp_dir().join(format!("tsim-arm-import-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("mkdir");
    std::fs::write(
        dir.join("lib.tsim"),
        "param variant = \"short\"\nparam length = 1h\nselect $variant { \"short\" { param length = 30m } }\n\
         scenario \"s\" { duration $length }\nservice \"a\" { endpoint \"GET /\" { latency 1ms } }\n",
    )
    .expect("write");
    let top = dir.join("top.tsim");
    std::fs::write(&top, "import \"lib.tsim\"\nparam length = 2h\n").expect("write");
    let out = check_file(&top, &Options::default());
    let text = common::render(&out);
    assert_eq!(
        out.model
            .unwrap_or_else(|| panic!("{text}"))
            .settings
            .duration,
        7200.0
    );
    let lib = check_file(&dir.join("lib.tsim"), &Options::default());
    assert_eq!(lib.model.expect("checks").settings.duration, 1800.0);
    std::fs::remove_dir_all(&dir).expect("clean up");
}

#[test]
fn an_unknown_variant_names_the_arms() {
    let out = check_file(
        Path::new("scenarios/claude-code.tsim"),
        &Options {
            overrides: vec![("variant".into(), "load-tset".into())],
            ..Options::default()
        },
    );
    assert!(out.model.is_none());
    let text = common::render(&out);
    assert!(text.contains("tsim::unknown_choice"), "{text}");
    assert!(text.contains("did you mean `load-test`?"), "{text}");
    assert!(text.contains("--set variant"), "{text}");
}

/// What a sample run emitted, by kind and name, and a digest of it all.
#[derive(Default, PartialEq, Debug)]
struct Tally {
    spans: u64,
    root_spans: u64,
    logs: u64,
    metrics: u64,
    events: u64,
    span_services: BTreeSet<String>,
    metric_ids: BTreeSet<u32>,
    log_services: BTreeSet<String>,
    digest: u64,
}

impl Tally {
    fn mix(&mut self, parts: &[u64]) {
        for p in parts {
            self.digest = (self.digest ^ p).wrapping_mul(0x0100_0000_01b3);
        }
    }
}

impl Sink for Tally {
    fn span(&mut self, s: &SpanRecord<'_>) -> io::Result<()> {
        self.spans += 1;
        self.root_spans += u64::from(s.parent.is_none());
        if !self.span_services.contains(s.resource.name) {
            self.span_services.insert(s.resource.name.to_string());
        }
        let id = u64::from_le_bytes(s.span_id);
        self.mix(&[
            1,
            id,
            s.start_ns as u64,
            s.end_ns as u64,
            u64::from(s.failed),
        ]);
        Ok(())
    }
    fn log(&mut self, l: &LogRecord<'_>) -> io::Result<()> {
        self.logs += 1;
        if !self.log_services.contains(l.service) {
            self.log_services.insert(l.service.to_string());
        }
        self.mix(&[2, l.time_ns as u64, u64::from(l.severity_number)]);
        Ok(())
    }
    fn metric(&mut self, m: &MetricRecord<'_>) -> io::Result<()> {
        self.metrics += 1;
        self.metric_ids.insert(m.metric);
        self.mix(&[3, m.time_ns as u64, u64::from(m.metric)]);
        Ok(())
    }
    fn event(&mut self, e: &EventRecord<'_>) -> io::Result<()> {
        self.events += 1;
        self.mix(&[4, e.time_ns as u64]);
        Ok(())
    }
    fn finish(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Simulated time a sample covers: enough ticks for every process metric
/// and a few hundred requests at the stock rates, quick in a debug build.
const SAMPLE_NS: u64 = 120_000_000_000;

fn sample(pack: &Pack, start_ns: i64) -> Tally {
    let opts = tsim_runtime::sim::Options {
        start_ns,
        duration_ns: Some(pack.meta.duration_ns.min(SAMPLE_NS)),
        ..Default::default()
    };
    let mut tally = Tally::default();
    let sum = tsim_runtime::sim::run(pack, &opts, &mut tally, &mut |_, _, _| {})
        .expect("a sample run into memory succeeds");
    assert_eq!(sum.spans, tally.spans, "the summary counts every span");
    assert_eq!(
        sum.total(),
        tally.spans + tally.logs + tally.metrics + tally.events
    );
    tally
}

fn stock_and_examples() -> Vec<PathBuf> {
    let mut files = common::tsim_files(Path::new("scenarios"));
    files.retain(|f| !f.starts_with("scenarios/lib"));
    files.extend(common::tsim_files(Path::new("examples")));
    files
}

/// The ingest-load templates are sized for a release build's blaster:
/// ~600,000 metric points a tick. Their sample is the CLI's job.
fn sampled(f: &Path) -> bool {
    !f.ends_with("ingest-load.tsim")
}

#[test]
fn every_stock_scenario_emits_what_it_declares() {
    let start = 1_767_225_600_000_000_000; // 2026-01-01T00:00:00Z
    for f in stock_and_examples().into_iter().filter(|f| sampled(f)) {
        let name = f.display().to_string();
        let model = check_file(&f, &Options::default()).model.expect("checks");
        let bytes = compile(&model).unwrap_or_else(|e| panic!("{name}: {e}"));
        let pack = tsim_pack::decode(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        let got = sample(&pack, start);
        let s = |id: u32| pack.strings[id as usize].as_str();
        // Spans from every service that serves root requests.
        for root in &pack.calls.roots {
            let ep = &pack.calls.endpoints[root.endpoint as usize];
            let service = s(pack.resources[ep.resource as usize].name);
            assert!(
                got.span_services.contains(service),
                "{name}: no span from root service {service} in the sample"
            );
        }
        assert_eq!(
            pack.calls.roots.is_empty(),
            got.spans == 0,
            "{name}: spans iff roots"
        );
        // Points of every process metric (span-derived ones need spans).
        for (i, m) in pack.metrics.iter().enumerate() {
            let needs_spans = matches!(m.source, MetricSource::Spans { .. });
            if !needs_spans || got.spans > 0 {
                assert!(
                    got.metric_ids.contains(&(i as u32)),
                    "{name}: metric {} emitted no point in the sample",
                    s(m.name)
                );
            }
        }
        // Span logs when declared and spans ran.
        if !pack.logs.span_rules.is_empty() && got.spans > 0 {
            assert!(
                got.logs > 0,
                "{name}: logs from spans are declared, none came"
            );
        }
        // Same pack, seed and start: the same records.
        assert_eq!(sample(&pack, start), got, "{name}: a second run differs");
    }
}
