//! Random streams, split by purpose and index from one function of
//! (seed, purpose, index): adding a metric never reshuffles trace IDs, and
//! shards or workers given different indices never share a stream.

use rand::SeedableRng;
use rand_pcg::Pcg64;

/// What a stream is for. Each purpose has its own constant, so streams of
/// different purposes never coincide.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u64)]
pub enum Purpose {
    /// Root-request arrivals and which endpoint each one hits.
    Arrivals = 1,
    /// Trace and span IDs.
    Ids = 2,
    /// Per-request values: latencies, errors, attributes, branches.
    Requests = 3,
    /// Trace shapes of endpoints with fixed shape variants (index: root, shape).
    Shapes = 4,
    /// Log records: standalone streams and the template picks of span logs.
    Logs = 5,
    /// Process-driven metrics (index: metric).
    Process = 6,
    /// Timeline jitter of repeating entries.
    Timeline = 7,
    /// Level and message shapes of log streams with fixed shape variants
    /// (index: stream, shape).
    LogShapes = 8,
}

/// SplitMix64's finaliser: a bijective mix of 64 bits.
pub fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// The 256-bit seed of stream (seed, purpose, index).
fn key(seed: u64, purpose: Purpose, index: u64) -> [u8; 32] {
    let a = mix(seed ^ mix(purpose as u64));
    let b = mix(a ^ mix(index.wrapping_add(0x7473_696d)));
    let mut out = [0u8; 32];
    for (i, w) in [a, b, mix(b ^ a.rotate_left(23)), mix(a ^ b.rotate_left(41))]
        .iter()
        .enumerate()
    {
        out[i * 8..i * 8 + 8].copy_from_slice(&w.to_le_bytes());
    }
    out
}

/// The stream for (seed, purpose, index).
pub fn stream(seed: u64, purpose: Purpose, index: u64) -> Pcg64 {
    Pcg64::from_seed(key(seed, purpose, index))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::RngExt;

    #[test]
    fn streams_differ_by_purpose_and_index_and_repeat_by_key() {
        let first = |p, i| stream(7, p, i).random::<u64>();
        assert_eq!(first(Purpose::Ids, 0), first(Purpose::Ids, 0));
        assert_ne!(first(Purpose::Ids, 0), first(Purpose::Ids, 1));
        assert_ne!(first(Purpose::Ids, 0), first(Purpose::Requests, 0));
        assert_ne!(
            stream(7, Purpose::Ids, 0).random::<u64>(),
            stream(8, Purpose::Ids, 0).random::<u64>()
        );
    }
}
