//! The stock library and the examples: every file under `scenarios/` and
//! `examples/` checks cleanly (no errors, no warnings), with its imports,
//! and the documented `--set` presets apply.

mod common;

use std::path::Path;

use tsim_compiler::{check_file, Options};

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
        "scenarios/claude-code-normal.tsim",
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
    let out = check_file(
        Path::new("scenarios/claude-code-load-test.tsim"),
        &Options::default(),
    );
    let model = out.model.expect("the load-test preset checks");
    assert_eq!(model.settings.duration, 1800.0);
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
