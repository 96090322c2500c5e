//! A file run's guard against filling its disk: a thread that reads the
//! free space of the target's filesystem a few times a second and stops
//! the run (which then keeps nothing, as any stopped file run) before less
//! than a reserve would be left, so a run whose size was not known before
//! (`--rate max`) or was underestimated never fills the disk under other
//! programs.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

/// Free space a file run leaves: 256 MiB, or `TSIM_DISK_RESERVE` bytes.
pub const RESERVE: u64 = 256 << 20;

/// How often the free space is read.
const EVERY: Duration = Duration::from_millis(200);

/// The free space kept: [`RESERVE`], or the `TSIM_DISK_RESERVE` variable's
/// whole number of bytes.
pub fn reserve() -> Result<u64, String> {
    match std::env::var("TSIM_DISK_RESERVE") {
        Err(_) => Ok(RESERVE),
        Ok(v) => v.trim().parse().map_err(|_| {
            format!("TSIM_DISK_RESERVE={v}: expected a whole number of bytes, such as 268435456")
        }),
    }
}

/// The watching thread of one run.
pub struct DiskWatch {
    path: PathBuf,
    reserve: u64,
    done: Arc<AtomicBool>,
    /// The free space seen when it stopped the run (`u64::MAX`: it did not).
    tripped: Arc<AtomicU64>,
    thread: Option<JoinHandle<()>>,
}

impl DiskWatch {
    /// Watches the filesystem holding `path`, setting `stop` when its free
    /// space falls below `reserve`.
    pub fn start(path: &Path, reserve: u64, stop: Arc<AtomicBool>) -> DiskWatch {
        let done = Arc::new(AtomicBool::new(false));
        let tripped = Arc::new(AtomicU64::new(u64::MAX));
        let (d, t, at) = (done.clone(), tripped.clone(), path.to_path_buf());
        let thread = std::thread::Builder::new()
            .name("tsim-disk".into())
            .spawn(move || {
                while !d.load(Ordering::Relaxed) {
                    if let Ok(free) = crate::work::free_space(&at) {
                        if free < reserve {
                            t.store(free, Ordering::Relaxed);
                            stop.store(true, Ordering::Relaxed);
                            return;
                        }
                    }
                    std::thread::sleep(EVERY);
                }
            })
            .ok();
        DiskWatch {
            path: path.to_path_buf(),
            reserve,
            done,
            tripped,
            thread,
        }
    }

    /// Ends the watch; the error to report when it stopped the run.
    pub fn finish(mut self) -> Option<String> {
        self.end();
        let free = self.tripped.load(Ordering::Relaxed);
        (free != u64::MAX).then(|| {
            format!(
                "stopped before the disk filled: the filesystem holding {} was down to {} free, under the {} a run leaves; nothing was written (free some space, or shorten --duration or lower --rate; TSIM_DISK_RESERVE sets the reserve in bytes)",
                self.path.display(),
                tsim_compiler::bytes(free as f64),
                tsim_compiler::bytes(self.reserve as f64),
            )
        })
    }

    fn end(&mut self) {
        self.done.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for DiskWatch {
    fn drop(&mut self) {
        self.end();
    }
}
