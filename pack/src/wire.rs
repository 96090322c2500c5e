//! Primitive encodings: LEB128 varints, zigzag integers, little-endian
//! floats. The [`Reader`] checks every length and offset against what is
//! left (checked arithmetic, no unchecked slicing) and refuses counts that
//! could not fit in the remaining bytes, so hostile input cannot make it
//! allocate more than the input's size.

use crate::error::PackError;

/// Appends encoded values to a byte buffer.
#[derive(Default)]
pub struct Writer {
    /// The bytes written so far.
    pub buf: Vec<u8>,
}

impl Writer {
    /// An unsigned varint.
    pub fn u(&mut self, mut v: u64) {
        loop {
            let byte = (v & 0x7F) as u8;
            v >>= 7;
            if v == 0 {
                self.buf.push(byte);
                return;
            }
            self.buf.push(byte | 0x80);
        }
    }

    /// A signed varint (zigzag).
    pub fn i(&mut self, v: i64) {
        self.u(((v << 1) ^ (v >> 63)) as u64);
    }

    /// A float, 8 bytes little-endian.
    pub fn f(&mut self, v: f64) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }

    /// One byte.
    pub fn byte(&mut self, v: u8) {
        self.buf.push(v);
    }

    /// A length-prefixed byte string.
    pub fn bytes(&mut self, v: &[u8]) {
        self.u(v.len() as u64);
        self.buf.extend_from_slice(v);
    }
}

/// Reads encoded values from a byte slice, never past its end.
pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
    what: &'static str,
}

impl<'a> Reader<'a> {
    /// A reader over `buf`; `what` names it in errors.
    pub fn new(buf: &'a [u8], what: &'static str) -> Self {
        Reader { buf, pos: 0, what }
    }

    fn truncated(&self) -> PackError {
        PackError::Truncated { what: self.what }
    }

    /// Bytes not yet read.
    pub fn remaining(&self) -> usize {
        self.buf.len().saturating_sub(self.pos)
    }

    /// Fails unless everything was read.
    pub fn finish(&self) -> Result<(), PackError> {
        if self.remaining() == 0 {
            Ok(())
        } else {
            Err(PackError::TrailingBytes { what: self.what })
        }
    }

    /// One byte.
    pub fn byte(&mut self) -> Result<u8, PackError> {
        let b = *self.buf.get(self.pos).ok_or_else(|| self.truncated())?;
        self.pos += 1;
        Ok(b)
    }

    /// An unsigned varint (at most 10 bytes, no overflow).
    pub fn u(&mut self) -> Result<u64, PackError> {
        let mut v: u64 = 0;
        for shift in (0..70).step_by(7) {
            let b = self.byte()?;
            let part = u64::from(b & 0x7F);
            if shift == 63 && part > 1 {
                return Err(PackError::Invalid {
                    what: format!("varint overflow in {}", self.what),
                });
            }
            v |= part << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(PackError::Invalid {
            what: format!("varint too long in {}", self.what),
        })
    }

    /// An unsigned varint that must fit in u32.
    pub fn u32(&mut self) -> Result<u32, PackError> {
        let v = self.u()?;
        u32::try_from(v).map_err(|_| PackError::Invalid {
            what: format!("value {v} too large in {}", self.what),
        })
    }

    /// A signed varint.
    pub fn i(&mut self) -> Result<i64, PackError> {
        let v = self.u()?;
        Ok(((v >> 1) as i64) ^ -((v & 1) as i64))
    }

    /// A float; NaN and infinities are rejected.
    pub fn f(&mut self) -> Result<f64, PackError> {
        let raw = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(raw);
        let v = f64::from_le_bytes(a);
        if v.is_finite() {
            Ok(v)
        } else {
            Err(PackError::Invalid {
                what: format!("a non-finite number in {}", self.what),
            })
        }
    }

    /// `n` raw bytes.
    pub fn take(&mut self, n: usize) -> Result<&'a [u8], PackError> {
        let end = self.pos.checked_add(n).ok_or_else(|| self.truncated())?;
        let s = self
            .buf
            .get(self.pos..end)
            .ok_or_else(|| self.truncated())?;
        self.pos = end;
        Ok(s)
    }

    /// A length-prefixed byte string.
    pub fn bytes(&mut self) -> Result<&'a [u8], PackError> {
        let n = self.u()?;
        let n = usize::try_from(n).map_err(|_| self.truncated())?;
        self.take(n)
    }

    /// A count of items each at least `min_size` bytes long; refuses counts
    /// the remaining bytes could not hold.
    pub fn count(&mut self, min_size: usize) -> Result<usize, PackError> {
        let n = self.u()?;
        let n = usize::try_from(n).map_err(|_| self.truncated())?;
        if n.checked_mul(min_size.max(1))
            .is_none_or(|need| need > self.remaining())
        {
            return Err(self.truncated());
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_round_trip_at_the_edges() {
        let values = [0u64, 1, 127, 128, 300, u32::MAX as u64, u64::MAX];
        let mut w = Writer::default();
        for v in values {
            w.u(v);
        }
        for v in [0i64, -1, 1, i64::MIN, i64::MAX] {
            w.i(v);
        }
        let mut r = Reader::new(&w.buf, "test");
        for v in values {
            assert_eq!(r.u(), Ok(v));
        }
        for v in [0i64, -1, 1, i64::MIN, i64::MAX] {
            assert_eq!(r.i(), Ok(v));
        }
        assert_eq!(r.finish(), Ok(()));
    }

    #[test]
    fn overlong_and_overflowing_varints_are_rejected() {
        let mut r = Reader::new(&[0xFF; 11], "test");
        assert!(r.u().is_err());
        let mut r = Reader::new(
            &[0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F],
            "test",
        );
        assert!(r.u().is_err());
    }

    #[test]
    fn counts_larger_than_the_input_are_refused() {
        let mut w = Writer::default();
        w.u(1 << 40);
        let mut r = Reader::new(&w.buf, "test");
        assert!(r.count(1).is_err());
    }
}
