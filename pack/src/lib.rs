//! The tsim pack: what a compiled scenario holds, and its versioned binary
//! form. The compiler builds a [`Pack`] and [`encode`]s it; the runtime
//! [`decode`]s it, which validates everything before returning.
//!
//! # Layout (format version 1)
//!
//! ```text
//! offset  size  field
//! 0       8     magic "TSIMPACK"
//! 8       2     format version, u16 little-endian
//! 10      2     section count N, u16 little-endian
//! 12      20*N  section table: tag [4]u8, offset u64 LE, length u64 LE
//! ...           sections, in table order: META STRS ATTR RSRC TRAC SERI
//!               METR LOGS EVNT PROG (each appears exactly once)
//! end-4   4     CRC-32 (IEEE) of every byte before it, u32 LE
//! ```
//!
//! Inside sections, integers are LEB128 varints (signed ones zigzag),
//! floats are 8 bytes little-endian, strings live once in `STRS` and are
//! referred to by index, attribute lists live once in `ATTR`. A span's
//! parent is written as the distance back to it (0 for the root). `PROG` is
//! the timeline program (see [`program`]).
//!
//! # When the version changes
//!
//! Bump [`FORMAT_VERSION`] whenever a section's bytes change meaning or
//! layout, a section is added or removed, or an enum gains a value older
//! readers would reject. Readers accept exactly their own version and name
//! the other in the error, so users know which tsim to use. Adding a field
//! is a layout change. Changing what the compiler *samples* (without
//! changing the layout) does not need a bump, but changes the golden pack.
//!
//! ```
//! use tsim_pack::{decode, encode, Pack};
//! let mut pack = Pack::default();
//! pack.strings = vec!["demo".into()];
//! pack.meta.tick_ns = 1_000_000_000;
//! pack.program = vec![tsim_pack::program::Op::End];
//! let bytes = encode(&pack);
//! assert_eq!(decode(&bytes), Ok(pack));
//! assert!(decode(&bytes[..bytes.len() - 1]).is_err());
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod codec;
mod crc;
mod error;
pub mod program;
mod read;
pub mod template;
mod types;
mod validate;
mod wire;

pub use codec::{decode, encode, peek_version, FORMAT_VERSION, MAGIC, TAGS};
pub use crc::crc32;
pub use error::PackError;
pub use types::*;
pub use wire::{Reader, Writer};
