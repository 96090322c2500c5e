//! Pack mutations that reach the decoder's deep checks, and what an
//! accepted pack must then survive. A pack is split into its sections
//! (the table read back), one section's body is mutated (bits, bytes,
//! planted floats and varints, cuts, growth, a body from another pack) and
//! the pack is laid out again with a fresh table and CRC-32, so the
//! mutation is met by the section readers and the validator, not by the
//! checksum. Whole-file mutations (the table, the header, the tail) are
//! mixed in with the CRC fixed too.

use std::io;
use std::time::Duration;

use rand::RngExt;
use rand_pcg::Pcg64;
use tsim_pack::{crc32, Pack, FORMAT_VERSION, MAGIC};
use tsim_runtime::sim::{self, Options};
use tsim_runtime::sink::{EventRecord, LogRecord, MetricRecord, Sink, SpanRecord};

const HEADER: usize = 12;
const ENTRY: usize = 20;

/// A section: its tag and its body.
pub type Section = ([u8; 4], Vec<u8>);

/// The sections of a well-formed pack, in table order.
pub fn split(bytes: &[u8]) -> Option<Vec<Section>> {
    let count = usize::from(u16::from_le_bytes([*bytes.get(10)?, *bytes.get(11)?]));
    let mut out = Vec::with_capacity(count);
    for k in 0..count {
        let entry = bytes.get(HEADER + k * ENTRY..HEADER + (k + 1) * ENTRY)?;
        let tag: [u8; 4] = entry[..4].try_into().ok()?;
        let offset = u64::from_le_bytes(entry[4..12].try_into().ok()?);
        let len = u64::from_le_bytes(entry[12..20].try_into().ok()?);
        let start = usize::try_from(offset).ok()?;
        let end = start.checked_add(usize::try_from(len).ok()?)?;
        out.push((tag, bytes.get(start..end)?.to_vec()));
    }
    Some(out)
}

/// Lays `sections` out as a pack, table and checksum included.
pub fn join(sections: &[Section]) -> Vec<u8> {
    let mut out = MAGIC.to_vec();
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    out.extend_from_slice(&(sections.len() as u16).to_le_bytes());
    let mut offset = (HEADER + ENTRY * sections.len()) as u64;
    for (tag, body) in sections {
        out.extend_from_slice(tag);
        out.extend_from_slice(&offset.to_le_bytes());
        out.extend_from_slice(&(body.len() as u64).to_le_bytes());
        offset += body.len() as u64;
    }
    for (_, body) in sections {
        out.extend_from_slice(body);
    }
    with_crc(out)
}

/// Appends the CRC-32 of `body`.
pub fn with_crc(mut body: Vec<u8>) -> Vec<u8> {
    let crc = crc32(&body);
    body.extend_from_slice(&crc.to_le_bytes());
    body
}

/// Replaces the last four bytes by the CRC-32 of the rest.
pub fn fix_crc(mut bytes: Vec<u8>) -> Vec<u8> {
    let n = bytes.len().saturating_sub(4);
    bytes.truncate(n);
    with_crc(bytes)
}

/// Floats that break arithmetic: limits, specials, signs, tiny and huge.
const FLOATS: &[f64] = &[
    0.0,
    -0.0,
    1.0,
    -1.0,
    0.5,
    2.0,
    1e-300,
    5e-324,
    1e9,
    1e15,
    1e18,
    1e300,
    -1e300,
    f64::MAX,
    f64::MIN,
    f64::INFINITY,
    f64::NEG_INFINITY,
    f64::NAN,
    f64::EPSILON,
];

/// Integers planted as LEB128 varints: counts, indexes and durations.
const INTS: &[u64] = &[
    0,
    1,
    2,
    63,
    64,
    127,
    128,
    255,
    1 << 16,
    1 << 20,
    1 << 31,
    u32::MAX as u64,
    1 << 32,
    1 << 40,
    1 << 53,
    i64::MAX as u64,
    u64::MAX,
];

fn leb128(mut v: u64) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let byte = (v & 0x7F) as u8;
        v >>= 7;
        if v == 0 {
            out.push(byte);
            return out;
        }
        out.push(byte | 0x80);
    }
}

/// Mutates one body in place.
fn mutate_body(rng: &mut Pcg64, body: &mut Vec<u8>, donor: &[u8]) {
    let n = body.len();
    let at = rng.random_range(0..=n);
    match rng.random_range(0..9) {
        0 if at < n => body[at] ^= 1 << rng.random_range(0..8),
        1 if at < n => {
            let any = rng.random();
            body[at] = *pick(rng, &[0, 1, 0x7F, 0x80, 0xFF, any]);
        }
        2 => {
            let f = pick(rng, FLOATS).to_le_bytes();
            let end = (at + 8).min(n);
            body.splice(at..end, f);
        }
        3 => {
            let v = leb128(*pick(rng, INTS));
            let old = (at + rng.random_range(0..3)).min(n);
            body.splice(at..old, v);
        }
        4 if at < n => {
            let end = (at + rng.random_range(1..16)).min(n);
            body.drain(at..end);
        }
        5 => {
            let junk: Vec<u8> = (0..rng.random_range(1..16)).map(|_| rng.random()).collect();
            body.splice(at..at, junk);
        }
        6 => body.truncate(at),
        7 if !donor.is_empty() => {
            // A run of another pack's same section: plausible structure.
            let a = rng.random_range(0..donor.len());
            let b = (a + rng.random_range(1..64)).min(donor.len());
            body.splice(at..at, donor[a..b].iter().copied());
        }
        _ => *body = donor.to_vec(),
    }
}

fn pick<'a, T>(rng: &mut Pcg64, from: &'a [T]) -> &'a T {
    &from[rng.random_range(0..from.len())]
}

/// One mutation of `base` (a valid pack), with `donor` (another valid
/// pack) to splice from. The result always carries a correct checksum.
pub fn mutate(rng: &mut Pcg64, base: &[u8], donor: &[u8]) -> Vec<u8> {
    let (Some(mut sections), Some(theirs)) = (split(base), split(donor)) else {
        return base.to_vec();
    };
    match rng.random_range(0..10) {
        // Whole-file mutations: the table, the header, the tail.
        0 => {
            let mut bytes = base.to_vec();
            let i = rng.random_range(0..bytes.len().saturating_sub(4).max(1));
            bytes[i] ^= 1 << rng.random_range(0..8);
            fix_crc(bytes)
        }
        1 => {
            let mut bytes = base.to_vec();
            let cut = rng.random_range(0..bytes.len());
            bytes.truncate(cut);
            with_crc(bytes)
        }
        2 => {
            let mut body = base[..base.len().saturating_sub(4)].to_vec();
            body.extend((0..rng.random_range(1..64)).map(|_| rng.random::<u8>()));
            with_crc(body)
        }
        // Table-level: a section dropped, doubled or moved.
        3 => {
            let k = rng.random_range(0..sections.len());
            match rng.random_range(0..3) {
                0 => {
                    sections.remove(k);
                }
                1 => sections.insert(k, sections[k].clone()),
                _ => {
                    let j = rng.random_range(0..sections.len());
                    sections.swap(k, j);
                }
            }
            join(&sections)
        }
        // Body-level, one to three times: the deep checks.
        _ => {
            for _ in 0..rng.random_range(1..4) {
                let k = rng.random_range(0..sections.len());
                let tag = sections[k].0;
                let donor = theirs
                    .iter()
                    .find(|(t, _)| *t == tag)
                    .map_or(&[][..], |(_, b)| b.as_slice());
                mutate_body(rng, &mut sections[k].1, donor);
            }
            join(&sections)
        }
    }
}

/// Records a bounded run may emit before its sink ends it.
pub const RECORD_BUDGET: u64 = 5_000;

/// Simulated time a bounded run covers at most.
pub const RUN_NS: u64 = 120_000_000_000;

/// The message of the sink's refusal when the record budget is spent.
const SPENT: &str = "the fuzz record budget is spent";

/// A sink that counts records and refuses past [`RECORD_BUDGET`].
#[derive(Default)]
pub struct Budgeted {
    /// Records taken.
    pub records: u64,
}

impl Budgeted {
    fn take(&mut self) -> io::Result<()> {
        self.records += 1;
        match self.records > RECORD_BUDGET {
            true => Err(io::Error::other(SPENT)),
            false => Ok(()),
        }
    }
}

impl Sink for Budgeted {
    fn span(&mut self, _: &SpanRecord<'_>) -> io::Result<()> {
        self.take()
    }
    fn log(&mut self, _: &LogRecord<'_>) -> io::Result<()> {
        self.take()
    }
    fn metric(&mut self, _: &MetricRecord<'_>) -> io::Result<()> {
        self.take()
    }
    fn event(&mut self, _: &EventRecord<'_>) -> io::Result<()> {
        self.take()
    }
    fn finish(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// What an accepted pack must survive: it re-encodes to bytes that decode
/// and re-encode the same, `tsim inspect` renders it (text and JSON), and
/// a run of at most [`RUN_NS`] simulated or [`RECORD_BUDGET`] records ends
/// with a summary or the sink's refusal. Returns the records emitted.
pub fn survive(pack: &Pack, bytes: &[u8]) -> Result<u64, String> {
    let again = tsim_pack::encode(pack);
    match tsim_pack::decode(&again) {
        Ok(p) if tsim_pack::encode(&p) == again => {}
        Ok(_) => return Err("an accepted pack re-encodes differently twice".into()),
        Err(e) => {
            return Err(format!(
                "an accepted pack re-encodes to one that fails: {e}"
            ))
        }
    }
    let text = tsim_runtime::inspect::text(pack, bytes);
    if text.is_empty() {
        return Err("inspect printed nothing".into());
    }
    let _json = tsim_runtime::inspect::json(pack, bytes);
    let opts = Options {
        start_ns: 1_767_225_600_000_000_000,
        duration_ns: Some(pack.meta.duration_ns.min(RUN_NS)),
        ..Options::default()
    };
    let mut sink = Budgeted::default();
    match sim::run(pack, &opts, &mut sink, &mut |_, _, _| {}) {
        Ok(sum) if sum.total() == sink.records => Ok(sink.records),
        Ok(sum) => Err(format!(
            "the summary counts {} records, the sink took {}",
            sum.total(),
            sink.records
        )),
        Err(e) if e.to_string() == SPENT => Ok(sink.records),
        // A pack the runtime cannot honour (say, a rate past what can be
        // drawn) may be refused, in one clear line.
        Err(e) if e.kind() == io::ErrorKind::InvalidData && clear(&e.to_string()) => {
            Ok(sink.records)
        }
        Err(e) => Err(format!("the run failed: {e}")),
    }
}

fn clear(msg: &str) -> bool {
    !msg.is_empty() && !msg.contains('\n')
}

/// A run's budget in wall time: debug builds draw slowly.
pub const RUN_BUDGET: Duration = Duration::from_secs(30);
