//! The fuzz harness the fuzz targets share: how many cases to run and from
//! which seed (`TSIM_FUZZ_CASES`, `TSIM_FUZZ_SEED`, `TSIM_FUZZ_CASE` to
//! replay one), each case's own random stream, and [`guarded`], which runs
//! one case on its own thread under a wall-time budget and a memory limit
//! (the process's resident set, read from `/proc/self/status`) and turns a
//! panic, a hang or a blow-up into a [`Failure`] that names the case.

#![allow(dead_code)]

pub mod packs;

use std::fmt;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use rand::SeedableRng;
use rand_pcg::Pcg64;

/// The resident set a case may grow the process to: far above what any
/// case needs (tens of MiB), far below the machine (24 GiB).
pub const RSS_LIMIT_KIB: u64 = 1536 * 1024;

/// How a run of one target is set: defaults unless the environment says.
#[derive(Clone, Copy, Debug)]
pub struct Run {
    /// The seed every case's stream derives from.
    pub seed: u64,
    /// The number of cases.
    pub cases: u64,
    /// Only this case (a replay), when set.
    pub only: Option<u64>,
}

impl Run {
    /// `default_cases` from `seed`, unless `TSIM_FUZZ_CASES`,
    /// `TSIM_FUZZ_SEED` or `TSIM_FUZZ_CASE` say otherwise. A value that is
    /// not a number fails the test rather than being ignored.
    pub fn from_env(seed: u64, default_cases: u64) -> Run {
        Run {
            seed: env_u64("TSIM_FUZZ_SEED").unwrap_or(seed),
            cases: env_u64("TSIM_FUZZ_CASES").unwrap_or(default_cases),
            only: env_u64("TSIM_FUZZ_CASE"),
        }
    }

    /// The case indexes to run.
    pub fn indexes(&self) -> Box<dyn Iterator<Item = u64>> {
        match self.only {
            Some(i) => Box::new(std::iter::once(i)),
            None => Box::new(0..self.cases),
        }
    }

    /// Case `i`'s own random stream: a case replays alone.
    pub fn rng(&self, i: u64) -> Pcg64 {
        Pcg64::seed_from_u64(self.seed ^ i.wrapping_mul(0x9E37_79B9_7F4A_7C15))
    }

    /// How to replay case `i` of `target`.
    pub fn replay(&self, target: &str, i: u64) -> String {
        format!(
            "replay: TSIM_FUZZ_SEED={} TSIM_FUZZ_CASE={i} cargo test --test {target}",
            self.seed
        )
    }
}

fn env_u64(name: &str) -> Option<u64> {
    let text = std::env::var(name).ok()?;
    let text = text.trim();
    let parsed = match text.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => text.parse(),
    };
    match parsed {
        Ok(n) => Some(n),
        Err(e) => panic!("{name}={text:?} is not a number: {e}"),
    }
}

/// Why a case failed.
#[derive(Debug)]
pub enum Failure {
    /// It panicked, with this message.
    Panic(String),
    /// It was still running after this long.
    Timeout(Duration),
    /// The resident set reached this many KiB.
    Memory(u64),
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Panic(m) => write!(f, "panicked: {m}"),
            Failure::Timeout(d) => write!(f, "still running after {d:?}"),
            Failure::Memory(kib) => write!(
                f,
                "grew the resident set to {kib} KiB (limit {RSS_LIMIT_KIB} KiB)"
            ),
        }
    }
}

/// One target at a time per test binary: the memory figures are the
/// process's, so a case is measured alone.
pub fn serial() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Runs `f` on its own thread within `budget` of wall time while the
/// process's resident set stays under [`RSS_LIMIT_KIB`]. A case past the
/// budget is abandoned (its thread ends with the test binary); one past the
/// memory limit is reported before it can take the machine down.
pub fn guarded<T, F>(budget: Duration, f: F) -> Result<T, Failure>
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    reset_peak_rss();
    let (tx, rx) = mpsc::channel();
    let worker = std::thread::Builder::new()
        .name("fuzz-case".into())
        // Deeply nested inputs are part of the corpus: give a case the
        // main thread's stack, not a spawned thread's 2 MiB.
        .stack_size(8 << 20)
        .spawn(move || {
            // The receiver is gone only when the case was abandoned.
            let _ = tx.send(f());
        })
        .map_err(|e| Failure::Panic(format!("cannot spawn the case thread: {e}")))?;
    let began = Instant::now();
    loop {
        match rx.recv_timeout(Duration::from_millis(20)) {
            Ok(value) => {
                let _ = worker.join();
                // A case quicker than one look at the resident set is
                // judged by the peak since it began.
                return match peak_rss_kib().filter(|k| *k > RSS_LIMIT_KIB) {
                    Some(kib) => Err(Failure::Memory(kib)),
                    None => Ok(value),
                };
            }
            Err(RecvTimeoutError::Disconnected) => {
                return Err(Failure::Panic(panic_message(worker.join())));
            }
            Err(RecvTimeoutError::Timeout) => {}
        }
        if let Some(kib) = rss_kib().filter(|k| *k > RSS_LIMIT_KIB) {
            return Err(Failure::Memory(kib));
        }
        if began.elapsed() > budget {
            return Err(Failure::Timeout(began.elapsed()));
        }
    }
}

fn panic_message(joined: std::thread::Result<()>) -> String {
    match joined {
        Ok(()) => "the case ended without a result".into(),
        Err(payload) => payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic without a message".into()),
    }
}

/// Starts a new peak: the kernel sets the process's peak resident set to
/// what it holds now (`/proc/self/clear_refs`, Linux 4.0 and later).
fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// The process's resident set now, in KiB (`None` off Linux).
pub fn rss_kib() -> Option<u64> {
    status_kib("VmRSS:")
}

/// The process's peak resident set, in KiB (`None` off Linux).
pub fn peak_rss_kib() -> Option<u64> {
    status_kib("VmHWM:")
}

fn status_kib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
}

/// Fails the test for `failure` of case `i`, saving `input` where the
/// message says so the case can be looked at (and replayed).
pub fn fail(target: &str, run: &Run, i: u64, input: &[u8], ext: &str, failure: &Failure) -> ! {
    let path = std::env::temp_dir().join(format!("tsim-fuzz-{target}-{}-{i}.{ext}", run.seed));
    let saved = match std::fs::write(&path, input) {
        Ok(()) => format!("input saved to {}", path.display()),
        Err(e) => format!("input not saved ({e})"),
    };
    let preview: String = match std::str::from_utf8(input) {
        Ok(text) => text.chars().take(2000).collect(),
        Err(_) => format!("{} bytes, not text", input.len()),
    };
    panic!(
        "{target}: case {i} {failure}\n{}\n{saved}\n--- input (first 2000 characters) ---\n{preview}",
        run.replay(target, i)
    );
}
