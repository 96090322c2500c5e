//! Fuzzing the pack decoder and the runtime behind it. Packs compiled from
//! every stock scenario are mutated with their checksum recomputed (see
//! `fuzzing::packs`): a section's body changed, a section dropped, doubled
//! or moved, the file cut or grown. Decoding must end within its budget
//! with a pack or a one-line error; a pack it accepts must re-encode
//! stably, render in `tsim inspect` and run (bounded in simulated time and
//! records) into a sink without panicking or hanging.

mod common;
mod fuzzing;

use std::path::Path;
use std::sync::OnceLock;
use std::time::Duration;

use rand::RngExt;
use tsim_compiler::{check_file, compile, Options};

use fuzzing::packs::{self, RUN_BUDGET};
use fuzzing::{Failure, Run};

/// Decoding a pack of a few KiB takes microseconds; this is for a hang.
const DECODE_BUDGET: Duration = Duration::from_secs(10);

/// Every stock scenario and example, compiled once, by file.
fn stock_packs() -> &'static [(String, Vec<u8>)] {
    static PACKS: OnceLock<Vec<(String, Vec<u8>)>> = OnceLock::new();
    PACKS.get_or_init(|| {
        let mut files = common::tsim_files(Path::new("scenarios"));
        files.retain(|f| !f.starts_with("scenarios/lib"));
        files.extend(common::tsim_files(Path::new("examples")));
        files
            .iter()
            .map(|f| {
                let out = check_file(f, &Options::default());
                let model = out
                    .model
                    .unwrap_or_else(|| panic!("{} does not check", f.display()));
                let bytes = compile(&model).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
                (f.display().to_string(), bytes)
            })
            .collect()
    })
}

/// Decodes `bytes` within the budget: the pack, or its error's text.
fn decode(bytes: Vec<u8>) -> Result<Result<tsim_pack::Pack, String>, Failure> {
    fuzzing::guarded(DECODE_BUDGET, move || {
        tsim_pack::decode(&bytes).map_err(|e| e.to_string())
    })
}

/// Case `i`: a mutation of one stock pack. A run's cases start from
/// `bases` (all stock packs for the decoder; for the runtime, those a debug
/// build runs in milliseconds: ingest-load takes seconds to set up its
/// 600,000 series, so it is fuzzed in release runs only).
fn case(run: &Run, i: u64, bases: &[&[u8]]) -> Vec<u8> {
    let mut rng = run.rng(i);
    let base = bases[i as usize % bases.len()];
    let donor = bases[rng.random_range(0..bases.len())];
    packs::mutate(&mut rng, base, donor)
}

fn bases(quick_only: bool) -> Vec<&'static [u8]> {
    let heavy =
        |name: &str| quick_only && cfg!(debug_assertions) && name.ends_with("ingest-load.tsim");
    stock_packs()
        .iter()
        .filter(|(name, _)| !heavy(name))
        .map(|(_, b)| b.as_slice())
        .collect()
}

#[test]
fn mutated_packs_decode_or_fail_in_one_line() {
    let _serial = fuzzing::serial();
    let run = Run::from_env(0x9ac4, 4000);
    let bases = bases(false);
    let (mut accepted, mut total) = (0u64, 0u64);
    for i in run.indexes() {
        let bytes = case(&run, i, &bases);
        total += 1;
        let failure = match decode(bytes.clone()) {
            Ok(Ok(_)) => {
                accepted += 1;
                continue;
            }
            Ok(Err(msg)) if !msg.is_empty() && !msg.contains('\n') => continue,
            Ok(Err(msg)) => Failure::Panic(format!("an unclear error: {msg:?}")),
            Err(f) => f,
        };
        fuzzing::fail("fuzz_pack", &run, i, &bytes, "pack", &failure);
    }
    eprintln!("fuzz_pack: {accepted} of {total} mutated packs accepted");
    // Most mutations break something the decoder checks; if nearly all
    // were accepted the mutations would not be reaching it.
    assert!(
        run.only.is_some() || accepted * 2 < total,
        "{accepted} of {total} accepted"
    );
}

#[test]
fn accepted_mutations_inspect_and_run_within_budget() {
    let _serial = fuzzing::serial();
    let run = Run::from_env(0x5eed, 1000);
    let bases = bases(true);
    let (mut ran, mut records) = (0u64, 0u64);
    for i in run.indexes() {
        let bytes = case(&run, i, &bases);
        let Ok(Ok(pack)) = decode(bytes.clone()) else {
            continue;
        };
        let shared = bytes.clone();
        let failure = match fuzzing::guarded(RUN_BUDGET, move || packs::survive(&pack, &shared)) {
            Ok(Ok(n)) => {
                ran += 1;
                records += n;
                continue;
            }
            Ok(Err(problem)) => Failure::Panic(problem),
            Err(f) => f,
        };
        fuzzing::fail("fuzz_pack", &run, i, &bytes, "pack", &failure);
    }
    eprintln!("fuzz_pack: {ran} accepted mutations ran, {records} records");
    assert!(
        run.only.is_some() || ran > 20,
        "only {ran} mutations were accepted and ran"
    );
}

#[test]
fn every_stock_pack_survives_unmutated() {
    for bytes in bases(true) {
        let pack = tsim_pack::decode(bytes).expect("a stock pack loads");
        let records = packs::survive(&pack, bytes).expect("a stock pack runs");
        assert!(records > 0, "a stock pack's bounded run emitted nothing");
    }
}

#[test]
fn split_and_join_give_the_pack_back() {
    for (name, bytes) in stock_packs().iter() {
        let sections = packs::split(bytes).expect("a stock pack splits");
        assert_eq!(sections.len(), tsim_pack::TAGS.len(), "{name}");
        assert_eq!(&packs::join(&sections), bytes, "{name}");
    }
}

/// The hello pack with its traffic at `rate` per second.
fn hello_at(rate: f64) -> tsim_pack::Pack {
    let (_, bytes) = stock_packs()
        .iter()
        .find(|(name, _)| name.ends_with("hello.tsim"))
        .expect("examples/hello.tsim is stock");
    let mut pack = tsim_pack::decode(bytes).expect("hello loads");
    for op in &mut pack.program {
        if let tsim_pack::program::Op::Traffic { rate: r, .. } = op {
            *r = rate;
        }
    }
    let bytes = tsim_pack::encode(&pack);
    tsim_pack::decode(&bytes).expect("a huge rate is still a valid pack")
}

#[test]
fn a_huge_rate_is_drawn_piece_by_piece_in_bounded_memory() {
    // Found by this fuzzer: a tick's arrivals were drawn all at once, so
    // 1e12 requests a second filled memory before the first span. Now they
    // come piece by piece and the sink's refusal ends the run at once.
    let _serial = fuzzing::serial();
    let pack = hello_at(1e12);
    let ran = fuzzing::guarded(RUN_BUDGET, move || {
        let opts = tsim_runtime::sim::Options {
            duration_ns: Some(10_000_000_000),
            ..Default::default()
        };
        let mut sink = packs::Budgeted::default();
        let r = tsim_runtime::sim::run(&pack, &opts, &mut sink, &mut |_, _, _| {});
        (
            r.map(|s| s.total()).map_err(|e| e.to_string()),
            sink.records,
        )
    });
    let (result, records) = ran.unwrap_or_else(|f| panic!("{f}"));
    assert_eq!(records, packs::RECORD_BUDGET + 1, "{result:?}");
    assert!(result.is_err_and(|e| e.contains("budget")));
}

#[test]
fn a_rate_no_run_can_draw_is_an_error_not_silence() {
    // Poisson draws of a mean past 2^64 used to give 0: no traffic at all.
    for rate in [1e30, f64::MAX] {
        let pack = hello_at(rate);
        let opts = tsim_runtime::sim::Options {
            duration_ns: Some(10_000_000_000),
            ..Default::default()
        };
        let mut sink = packs::Budgeted::default();
        let e = tsim_runtime::sim::run(&pack, &opts, &mut sink, &mut |_, _, _| {})
            .expect_err("an undrawable rate is refused");
        assert!(e.to_string().contains("the traffic asks for"), "{e}");
        assert_eq!(sink.records, 0);
        // The fuzz harness takes such a refusal (long run, seed 0x51, case
        // 14426: a planted 1e306 rate) as a clear answer, not a failure.
        let bytes = tsim_pack::encode(&pack);
        assert_eq!(packs::survive(&pack, &bytes), Ok(0));
    }
}
