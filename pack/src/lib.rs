//! The tsim pack: what a compiled scenario holds, and its versioned binary
//! form. The compiler builds a [`Pack`] and [`encode`]s it; the runtime
//! [`decode`]s it, which validates everything before returning.
//!
//! # Layout (format version 4)
//!
//! ```text
//! offset  size  field
//! 0       8     magic "TSIMPACK"
//! 8       2     format version, u16 little-endian
//! 10      2     section count N, u16 little-endian
//! 12      20*N  section table: tag [4]u8, offset u64 LE, length u64 LE
//! ...           sections, in table order: META STRS ATTR RSRC CALL SERI
//!               METR LOGS EVNT PROG (each appears exactly once)
//! end-4   4     CRC-32 (IEEE) of every byte before it, u32 LE
//! ```
//!
//! Inside sections, integers are LEB128 varints (signed ones zigzag),
//! floats are 8 bytes little-endian, strings live once in `STRS` and are
//! referred to by index, attribute lists live once in `ATTR`. Enums are a
//! tag byte followed by their fields; a list is a varint count followed by
//! its items. `PROG` is the timeline program (see [`program`]).
//!
//! `CALL` holds the endpoint call programs ([`Calls`], see [`calls`]): for
//! every endpoint of every service its resource, name, protocol, own
//! latency distribution, error model, constant attribute set, generated
//! attributes and steps (calls to other endpoints, database queries,
//! publishes with their consuming endpoints, `parallel` blocks of steps);
//! then the root endpoints with their traffic weights and shape counts;
//! then the network hop and the `parallel` stagger distributions. The
//! runtime draws every request from these. In detail:
//!
//! ```text
//! CALL      = count endpoint*  count root*  dist(hop)  dist(stagger)
//! endpoint  = program
//! program   = resource name protocol dist(latency) errors attrs
//!             count gen_attr*  steps  count event*  count link*
//! protocol  = 0 method route | 1 (rpc) | 2 (consumer) | 3 (internal)
//! event     = name chance:f64 attrs count gen_attr*
//! link      = endpoint chance:f64 attrs count gen_attr*
//! steps     = count step*
//! step      = 0 endpoint attrs options                 (call)
//!           | 1 backend options                        (query)
//!           | 2 backend count consumer* options        (publish)
//!           | 3 steps                                  (parallel)
//!           | 4 program options                        (internal)
//! backend   = resource name kind:u8 attrs count gen_attr* dist(latency) errors
//! options   = chance:f64 retries (0 | 1 timeout_ns) dist(repeat) on_error:u8
//! errors    = rate:f64 (0 | 1 gen)(status) (0 | 1 gen)(error type)
//! root      = endpoint weight:f64 shapes
//! gen_attr  = key gen
//! gen       = 0 value | 1 count (value weight:f64)* | 2 lo:i hi:i
//!           | 3 lo:f64 hi:f64 | 4 parts | 5 size parts | 6 p:f64
//!           | 7 dist | 8 p:f64 gen                     (maybe)
//! parts     = count (0 str | 1 width:u8 | 2 width:u8 | 3 | 4 str)*
//! dist      = 0 f64 | 1 min max | 2 mean sd | 3 mu sigma | 4 mean
//!           | 5 scale shape | 6 count (value:f64 weight:f64)*
//! ```
//!
//! `parallel` blocks and `internal` steps nest at most [`MAX_STEP_DEPTH`] deep, `maybe`s at most
//! [`MAX_GEN_DEPTH`]; the call graph must be acyclic and at most
//! [`MAX_CALL_DEPTH`] endpoints deep.
//!
//! `LOGS` holds the standalone log streams ([`LogStream`]) and the
//! span-derived rules ([`SpanLogRule`]) as generators, like `CALL`: the
//! runtime draws each record's level, message template and attributes, and
//! fills the template's `{placeholders}` (from the record's attributes, or
//! from the span for rules). A level and a message are each a constant
//! string or a pick of strings; a stream's resource is none or a service.
//! `gen_attr` and `gen` are as in `CALL`:
//!
//! ```text
//! LOGS      = count stream*  count rule*
//! stream    = name resource(0 none | i + 1) rate:f64 gen(level) gen(message)
//!             attrs count gen_attr* shapes body
//! rule      = errors_only:u8(0 | 1) gen(level) gen(message) attrs count gen_attr* body
//! body      = u8(0)  |  u8(1) attrs count gen_attr*
//! ```
//!
//! A `body` of 1 is a structured body ([`LogBody`]): a map of fields drawn
//! per record in place of the message (whose generator is then `""`).
//!
//! A stream's `shapes` is 0 when every record's level and message are drawn
//! afresh, N when they come from one of N fixed shape seeds.
//!
//! `SERI` holds the label sets metrics share ([`SeriesSet`]): keys, rows of
//! values, and each row's weight, its share of a process-driven metric's
//! volume (none: equal shares; else one per row, summing to 1):
//!
//! ```text
//! SERI      = count set*
//! set       = count key*  count row*  value*(keys x rows)  count weight:f64*
//! ```
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

pub mod calls;
mod codec;
mod crc;
mod error;
pub mod instance;
pub mod program;
mod read;
pub mod template;
mod types;
mod validate;
mod wire;

/// The OpenTelemetry semantic-conventions release a pack's attributes
/// follow (the compiler writes them, sinks name it as the schema URL).
pub const SEMCONV_VERSION: &str = "1.44.0";

pub use calls::*;
pub use codec::{decode, encode, peek_version, FORMAT_VERSION, MAGIC, TAGS};
pub use crc::crc32;
pub use error::PackError;
pub use instance::{instance_id, slots, InstanceIndex, MAX_INSTANCES};
pub use types::*;
pub use wire::{Reader, Writer};
