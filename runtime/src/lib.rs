//! tsim's runtime: loads a compiled pack, schedules emissions over
//! simulated time, and writes them to a sink.
//!
//! - [`load`]: the safe pack loader;
//! - [`plan`]: the pack made ready to run, once;
//! - [`clock`]: simulated time to timestamps, and pacing;
//! - [`draw`]: per-request values: one request through its program;
//! - [`streams`]: random streams by purpose;
//! - [`sim`]: the simulation engine (timeline, traffic curve, traces,
//!   logs, metrics, events, answer key);
//! - [`sink`]: the sink seam and its records; NDJSON fixtures;
//! - [`inspect`]: `tsim inspect`;
//! - [`bench`]: `tsim bench`.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod answer;
pub mod bench;
pub mod clock;
pub mod draw;
pub mod fasthash;
pub mod fixtures;
pub mod inspect;
pub mod load;
pub mod plan;
pub mod shape;
pub mod sim;
pub mod sink;
pub mod streams;
pub mod time;
pub mod timeline;

pub use load::{load, load_bytes, LoadError};

/// The runtime's version, reported by `tsim --version` alongside the compiler's.
///
/// ```
/// assert!(!tsim_runtime::VERSION.is_empty());
/// ```
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
