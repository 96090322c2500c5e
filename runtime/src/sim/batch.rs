//! Cutting a stretch of time into pieces small enough to draw at once.
//! Arrivals (root requests, standalone log records) are drawn as a Poisson
//! count and that many instants, then sorted and emitted: a stretch that
//! expects more than [`MAX_BATCH`] is cut into pieces, each drawn and
//! emitted before the next, so memory stays bounded whatever the rate and
//! a sink that fails or a stop request ends the stretch promptly. Counts
//! over disjoint pieces of a Poisson process are independent Poissons of
//! the pieces' shares of the mean, so the output is the same process; a
//! stretch that needs no cutting draws exactly as before.

use std::io;

/// The most arrivals a piece expects.
pub const MAX_BATCH: f64 = 65_536.0;

/// The most pieces one stretch is cut into (more would mean over 2^48
/// arrivals in one tick: a rate no run could emit).
const MAX_PIECES: f64 = 4_294_967_296.0;

/// How many pieces a stretch expecting `lambda` arrivals needs (1 for a
/// non-finite or non-positive mean, which draws nothing), or an error for
/// a mean no run can draw.
pub fn pieces(lambda: f64, what: &str) -> io::Result<u64> {
    if lambda.is_nan() || lambda <= MAX_BATCH {
        return Ok(1);
    }
    let k = (lambda / MAX_BATCH).ceil();
    if k > MAX_PIECES {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "{what} asks for {lambda:e} arrivals in one tick, more than a run can draw \
                 (at most {:e}): lower its rate",
                MAX_BATCH * MAX_PIECES
            ),
        ));
    }
    Ok(k as u64)
}

/// Piece `j` of `k` of `[a, b)`: consecutive, covering it, in order.
pub fn piece(a: u64, b: u64, j: u64, k: u64) -> (u64, u64) {
    let span = u128::from(b.saturating_sub(a));
    let at = |i: u64| {
        let off = span * u128::from(i) / u128::from(k.max(1));
        a + u64::try_from(off).unwrap_or(u64::MAX - a)
    };
    (at(j), at(j + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_means_are_not_cut() {
        assert_eq!(pieces(0.0, "x").ok(), Some(1));
        assert_eq!(pieces(MAX_BATCH, "x").ok(), Some(1));
        assert_eq!(pieces(f64::NAN, "x").ok(), Some(1));
        assert_eq!(pieces(-1.0, "x").ok(), Some(1));
    }

    #[test]
    fn large_means_are_cut_into_pieces_of_at_most_the_batch() {
        let k = pieces(10.0 * MAX_BATCH + 1.0, "x").ok();
        assert_eq!(k, Some(11));
        let e = pieces(1e300, "the traffic").expect_err("1e300 arrivals are refused");
        assert!(e.to_string().contains("the traffic asks for 1e300"), "{e}");
        assert!(pieces(f64::INFINITY, "x").is_err());
    }

    #[test]
    fn pieces_cover_the_stretch_in_order() {
        for (a, b, k) in [(0, 10, 3), (5, 6, 4), (0, u64::MAX, 7), (100, 100, 2)] {
            let mut at = a;
            for j in 0..k {
                let (p, q) = piece(a, b, j, k);
                assert_eq!(p, at);
                assert!(q >= p);
                at = q;
            }
            assert_eq!(at, b);
        }
    }
}
