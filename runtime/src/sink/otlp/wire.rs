//! Protobuf wire primitives, written straight into a byte buffer: tags,
//! varints, fixed64s, length-delimited fields, and nested messages whose
//! length is filled in when they close (no message structs, no second
//! pass). Only what OTLP needs.

/// Wire type of varints.
const VARINT: u32 = 0;
/// Wire type of fixed64 and double.
const FIXED64: u32 = 1;
/// Wire type of length-delimited fields.
const LEN: u32 = 2;

/// Appends `v` as a varint.
#[inline]
pub fn varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Bytes `v` takes as a varint.
#[inline]
pub fn varint_len(v: u64) -> usize {
    // 1 + floor(bits / 7), with 0 taking one byte.
    (64 - (v | 1).leading_zeros() as usize).div_ceil(7)
}

#[inline]
fn tag(out: &mut Vec<u8>, field: u32, wire: u32) {
    varint(out, u64::from(field << 3 | wire));
}

/// A varint field (uint32/uint64/int64/enum/bool); zero is left out, as
/// proto3 does.
#[inline]
pub fn uint_field(out: &mut Vec<u8>, field: u32, v: u64) {
    if v != 0 {
        tag(out, field, VARINT);
        varint(out, v);
    }
}

/// A `fixed64` field, written even when zero (ids and times are patched
/// in place, so they keep their width).
#[inline]
pub fn fixed64_field(out: &mut Vec<u8>, field: u32, v: u64) {
    tag(out, field, FIXED64);
    out.extend_from_slice(&v.to_le_bytes());
}

/// A time field: Unix nanoseconds as `fixed64` (before 1970 is 0).
#[inline]
pub fn time_field(out: &mut Vec<u8>, field: u32, unix_ns: i64) {
    fixed64_field(out, field, unix_ns.max(0) as u64);
}

/// A `double` field, written even when zero (for `optional double` and
/// values that must be present).
#[inline]
pub fn double_field(out: &mut Vec<u8>, field: u32, v: f64) {
    fixed64_field(out, field, v.to_bits());
}

/// A `bytes` or `string` field, written even when empty.
#[inline]
pub fn bytes_field(out: &mut Vec<u8>, field: u32, v: &[u8]) {
    tag(out, field, LEN);
    varint(out, v.len() as u64);
    out.extend_from_slice(v);
}

/// A `string` field; empty is left out, as proto3 does.
#[inline]
pub fn str_field(out: &mut Vec<u8>, field: u32, v: &str) {
    if !v.is_empty() {
        bytes_field(out, field, v.as_bytes());
    }
}

/// A packed `repeated fixed64` field; empty is left out.
pub fn packed_fixed64(out: &mut Vec<u8>, field: u32, vs: impl ExactSizeIterator<Item = u64>) {
    if vs.len() == 0 {
        return;
    }
    tag(out, field, LEN);
    varint(out, 8 * vs.len() as u64);
    for v in vs {
        out.extend_from_slice(&v.to_le_bytes());
    }
}

/// An open nested message: where its body starts in the buffer.
#[must_use = "a nested message must be closed with `end`"]
pub struct Open {
    body: usize,
}

/// Opens a nested message (or any length-delimited field) of `field`: the
/// tag and a one-byte length placeholder; [`end`] fills the length in.
#[inline]
pub fn begin(out: &mut Vec<u8>, field: u32) -> Open {
    tag(out, field, LEN);
    out.push(0);
    Open { body: out.len() }
}

/// Closes a nested message: writes its length, moving the body right when
/// the length needs more than the one byte reserved.
#[inline]
pub fn end(out: &mut Vec<u8>, open: Open) {
    let len = out.len() - open.body;
    let width = varint_len(len as u64);
    if width == 1 {
        out[open.body - 1] = len as u8;
        return;
    }
    let extra = width - 1;
    out.resize(out.len() + extra, 0);
    out.copy_within(open.body..open.body + len, open.body + extra);
    let mut at = open.body - 1;
    let mut v = len as u64;
    while v >= 0x80 {
        out[at] = (v as u8) | 0x80;
        v >>= 7;
        at += 1;
    }
    out[at] = v as u8;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_and_their_lengths_agree() {
        for v in [
            0u64,
            1,
            127,
            128,
            300,
            16_383,
            16_384,
            u32::MAX as u64,
            u64::MAX,
        ] {
            let mut out = Vec::new();
            varint(&mut out, v);
            assert_eq!(out.len(), varint_len(v), "{v}");
            let mut back = 0u64;
            for (i, b) in out.iter().enumerate() {
                back |= u64::from(b & 0x7f) << (7 * i);
            }
            assert_eq!(back, v);
        }
    }

    #[test]
    fn nested_messages_get_their_length_however_long() {
        for len in [0usize, 1, 127, 128, 20_000, 3_000_000] {
            let mut out = vec![9u8];
            let open = begin(&mut out, 2);
            out.extend(std::iter::repeat_n(7u8, len));
            end(&mut out, open);
            let mut want = vec![9u8, 0x12];
            varint(&mut want, len as u64);
            want.extend(std::iter::repeat_n(7u8, len));
            assert_eq!(out, want, "{len}");
        }
    }
}
