//! tsim's runtime: loads a compiled pack, links its templates for a sink,
//! schedules emissions over simulated or wall-clock time and sends them.
//!
//! Today it holds the safe pack loader ([`load`]) and `tsim inspect`
//! ([`inspect`]); scheduling and sinks arrive with the simulation issue.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod inspect;
pub mod load;
pub mod time;

pub use load::{load, load_bytes, LoadError};

/// The runtime's version, reported by `tsim --version` alongside the compiler's.
///
/// ```
/// assert!(!tsim_runtime::VERSION.is_empty());
/// ```
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
