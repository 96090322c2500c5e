//! tsim's runtime: loads a compiled pack, links its templates for a sink,
//! schedules emissions over simulated or wall-clock time and sends them.
//!
//! This crate is a skeleton until the pack format lands; see
//! `shared/DESIGN.md` ("The runtime's hot path") for what it will own.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

/// The runtime's version, reported by `tsim --version` alongside the compiler's.
///
/// ```
/// assert!(!tsim_runtime::VERSION.is_empty());
/// ```
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
