//! Pack bytes: [`encode`] writes the layout described in the crate docs;
//! [`decode`] checks magic, version, checksum, the section table and every
//! section, then every cross-reference, before returning anything.
//!
//! This module writes the header, the section table, the checksum and the
//! small sections (META, STRS, ATTR, RSRC, SERI, METR, EVNT); `calls`
//! writes CALL (with the distributions and generators LOGS shares), `logs`
//! writes LOGS.

mod calls;
mod logs;

use crate::crc::crc32;
use crate::error::PackError;
use crate::program;
use crate::types::*;
use crate::wire::Writer;

/// `TSIMPACK`.
pub const MAGIC: [u8; 8] = *b"TSIMPACK";
/// The format version this build writes and reads. Bump it whenever the
/// bytes of any section change meaning or layout (see the crate docs).
pub const FORMAT_VERSION: u16 = 4;
/// The section tags, in the order they are written.
pub const TAGS: [[u8; 4]; 10] = [
    *b"META", *b"STRS", *b"ATTR", *b"RSRC", *b"CALL", *b"SERI", *b"METR", *b"LOGS", *b"EVNT",
    *b"PROG",
];

const HEADER: usize = 8 + 2 + 2;
const ENTRY: usize = 4 + 8 + 8;
const FOOTER: usize = 4;

fn attr_value(w: &mut Writer, v: &AttrValue) {
    match *v {
        AttrValue::Str(s) => {
            w.byte(0);
            w.u(u64::from(s));
        }
        AttrValue::Int(i) => {
            w.byte(1);
            w.i(i);
        }
        AttrValue::Float(f) => {
            w.byte(2);
            w.f(f);
        }
        AttrValue::Bool(b) => {
            w.byte(if b { 4 } else { 3 });
        }
    }
}

fn process(w: &mut Writer, p: &Process) {
    match p {
        Process::Constant { value, noise } => {
            w.byte(0);
            w.f(*value);
            w.f(*noise);
        }
        Process::Brownian {
            start,
            drift,
            volatility,
        } => {
            w.byte(1);
            w.f(*start);
            w.f(*drift);
            w.f(*volatility);
        }
        Process::MeanRevert {
            start,
            mean,
            speed,
            volatility,
        } => {
            w.byte(2);
            w.f(*start);
            w.f(*mean);
            w.f(*speed);
            w.f(*volatility);
        }
        Process::Poisson { rate } => {
            w.byte(3);
            process(w, rate);
        }
    }
}

fn opt_u32(w: &mut Writer, v: u32) {
    // NONE is written as 0, index i as i + 1: small and unambiguous.
    w.u(if v == NONE { 0 } else { u64::from(v) + 1 });
}

fn section(pack: &Pack, tag: &[u8; 4]) -> Vec<u8> {
    let mut w = Writer::default();
    match tag {
        b"META" => {
            let m = &pack.meta;
            w.u(u64::from(m.name));
            w.u(u64::from(m.description));
            w.u(m.seed);
            w.u(m.duration_ns);
            w.u(m.tick_ns);
            match m.start {
                None => w.byte(0),
                Some((s, n)) => {
                    w.byte(1);
                    w.i(s);
                    w.u(u64::from(n));
                }
            }
        }
        b"STRS" => {
            w.u(pack.strings.len() as u64);
            for s in &pack.strings {
                w.bytes(s.as_bytes());
            }
        }
        b"ATTR" => {
            w.u(pack.attr_sets.len() as u64);
            for set in &pack.attr_sets {
                w.u(set.len() as u64);
                for a in set {
                    w.u(u64::from(a.key));
                    attr_value(&mut w, &a.value);
                }
            }
        }
        b"RSRC" => {
            w.u(pack.resources.len() as u64);
            for r in &pack.resources {
                w.byte(r.kind as u8);
                w.u(u64::from(r.name));
                w.u(u64::from(r.version));
                w.u(u64::from(r.instances));
                w.u(u64::from(r.attrs));
            }
        }
        b"CALL" => calls::calls(&mut w, &pack.calls),
        b"SERI" => {
            w.u(pack.series_sets.len() as u64);
            for s in &pack.series_sets {
                w.u(s.keys.len() as u64);
                for k in &s.keys {
                    w.u(u64::from(*k));
                }
                w.u(s.rows.len() as u64);
                for row in &s.rows {
                    for v in row {
                        attr_value(&mut w, v);
                    }
                }
                // 0 (equal shares) or one weight per row.
                w.u(s.weights.len() as u64);
                for x in &s.weights {
                    w.f(*x);
                }
            }
        }
        b"METR" => {
            w.u(pack.metrics.len() as u64);
            for m in &pack.metrics {
                w.u(u64::from(m.name));
                w.byte(m.kind as u8);
                w.u(u64::from(m.unit));
                w.u(u64::from(m.description));
                w.u(u64::from(m.series_set));
                match &m.source {
                    MetricSource::Spans { of } => {
                        w.byte(0);
                        opt_u32(&mut w, *of);
                    }
                    MetricSource::Process(p) => {
                        w.byte(1);
                        process(&mut w, p);
                    }
                }
                match m.within {
                    None => w.byte(0),
                    Some((lo, hi)) => {
                        w.byte(1);
                        w.f(lo);
                        w.f(hi);
                    }
                }
                w.u(m.buckets.len() as u64);
                for b in &m.buckets {
                    w.f(*b);
                }
                w.f(m.rate);
            }
        }
        b"LOGS" => logs::logs(&mut w, &pack.logs),
        b"EVNT" => {
            w.u(pack.events.len() as u64);
            for e in &pack.events {
                w.u(e.at_ns);
                w.u(u64::from(e.kind));
                opt_u32(&mut w, e.resource);
                w.u(u64::from(e.details));
                w.u(u64::from(e.severity));
                w.u(u64::from(e.version));
                w.u(u64::from(e.instances));
            }
        }
        _ => program::encode(&pack.program, &mut w),
    }
    w.buf
}

/// Writes a pack. The same pack always gives the same bytes.
pub fn encode(pack: &Pack) -> Vec<u8> {
    let bodies: Vec<Vec<u8>> = TAGS.iter().map(|t| section(pack, t)).collect();
    let mut out = Vec::with_capacity(bodies.iter().map(Vec::len).sum::<usize>() + 256);
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    out.extend_from_slice(&(TAGS.len() as u16).to_le_bytes());
    let mut offset = (HEADER + ENTRY * TAGS.len()) as u64;
    for (tag, body) in TAGS.iter().zip(&bodies) {
        out.extend_from_slice(tag);
        out.extend_from_slice(&offset.to_le_bytes());
        out.extend_from_slice(&(body.len() as u64).to_le_bytes());
        offset += body.len() as u64;
    }
    for body in &bodies {
        out.extend_from_slice(body);
    }
    let crc = crc32(&out);
    out.extend_from_slice(&crc.to_le_bytes());
    out
}

/// Reads the header far enough to tell the format version, without
/// validating anything else (for "which tsim wrote this" messages).
pub fn peek_version(bytes: &[u8]) -> Result<u16, PackError> {
    if bytes.len() < 10 {
        return Err(if bytes.len() >= 8 && bytes[..8] != MAGIC {
            PackError::BadMagic
        } else {
            PackError::Truncated { what: "the header" }
        });
    }
    if bytes[..8] != MAGIC {
        return Err(PackError::BadMagic);
    }
    Ok(u16::from_le_bytes([bytes[8], bytes[9]]))
}

/// Reads and validates a pack.
pub fn decode(bytes: &[u8]) -> Result<Pack, PackError> {
    let version = peek_version(bytes)?;
    if version != FORMAT_VERSION {
        return Err(PackError::UnsupportedVersion {
            found: version,
            supported: FORMAT_VERSION,
        });
    }
    if bytes.len() < HEADER + FOOTER {
        return Err(PackError::Truncated { what: "the header" });
    }
    let body_end = bytes.len() - FOOTER;
    let mut stored = [0u8; 4];
    stored.copy_from_slice(&bytes[body_end..]);
    let expected = u32::from_le_bytes(stored);
    let got = crc32(&bytes[..body_end]);
    if expected != got {
        return Err(PackError::ChecksumMismatch { expected, got });
    }
    let count = usize::from(u16::from_le_bytes([bytes[10], bytes[11]]));
    let table_end = count
        .checked_mul(ENTRY)
        .and_then(|n| n.checked_add(HEADER))
        .ok_or(PackError::Truncated {
            what: "the section table",
        })?;
    let table = bytes
        .get(HEADER..table_end)
        .filter(|_| table_end <= body_end)
        .ok_or(PackError::Truncated {
            what: "the section table",
        })?;
    let mut found: Vec<Option<&[u8]>> = vec![None; TAGS.len()];
    for entry in table.chunks_exact(ENTRY) {
        let mut tag = [0u8; 4];
        tag.copy_from_slice(&entry[..4]);
        let num = |r: &[u8]| {
            let mut a = [0u8; 8];
            a.copy_from_slice(r);
            u64::from_le_bytes(a)
        };
        let (offset, len) = (num(&entry[4..12]), num(&entry[12..20]));
        let idx = TAGS
            .iter()
            .position(|t| *t == tag)
            .ok_or(PackError::UnknownTag { tag })?;
        if found[idx].is_some() {
            return Err(PackError::UnknownTag { tag });
        }
        let start =
            usize::try_from(offset).map_err(|_| PackError::Truncated { what: "a section" })?;
        let end = usize::try_from(len)
            .ok()
            .and_then(|l| start.checked_add(l))
            .ok_or(PackError::Truncated { what: "a section" })?;
        if start < table_end || end > body_end {
            return Err(PackError::Truncated { what: "a section" });
        }
        found[idx] = Some(&bytes[start..end]);
    }
    let get = |i: usize| found[i].ok_or(PackError::MissingSection { tag: TAGS[i] });
    let pack = crate::read::sections(
        get(0)?,
        get(1)?,
        get(2)?,
        get(3)?,
        get(4)?,
        get(5)?,
        get(6)?,
        get(7)?,
        get(8)?,
        get(9)?,
    )?;
    crate::validate::check(&pack)?;
    Ok(pack)
}
