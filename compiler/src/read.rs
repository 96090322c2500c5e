//! Reading a scenario file safely: only regular files (a FIFO, a device
//! such as `/dev/zero` or `/dev/stdin`, or a directory would hang or read
//! without end), at most [`MAX_SOURCE`] bytes, UTF-8 only (a UTF-8 byte
//! order mark is skipped; UTF-16 and other invalid bytes are refused with
//! the offset of the first bad byte). Refusals are `InvalidData` errors the
//! loader reports as `tsim::unreadable_file`.

use std::io::{self, Read};
use std::path::Path;

/// The largest scenario file read (16 MiB).
pub const MAX_SOURCE: u64 = 16 << 20;

fn refuse(reason: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, reason)
}

/// Reads `path` as scenario source text.
pub fn read_source(path: &Path) -> io::Result<String> {
    let meta = std::fs::metadata(path)?;
    if meta.is_dir() {
        return Err(refuse("it is a directory, not a .tsim file".into()));
    }
    if !meta.is_file() {
        return Err(refuse(
            "it is not a regular file (a FIFO, socket or device cannot be read as a scenario)"
                .into(),
        ));
    }
    if meta.len() > MAX_SOURCE {
        return Err(refuse(format!(
            "it is {} bytes; scenario files are limited to {} MiB",
            meta.len(),
            MAX_SOURCE >> 20
        )));
    }
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(MAX_SOURCE + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_SOURCE {
        return Err(refuse(format!(
            "it grew past {} MiB while being read",
            MAX_SOURCE >> 20
        )));
    }
    decode(bytes)
}

/// UTF-8 text, without a leading byte order mark.
fn decode(mut bytes: Vec<u8>) -> io::Result<String> {
    if bytes.starts_with(&[0xEF, 0xBB, 0xBF]) {
        bytes.drain(..3);
    }
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return Err(refuse(
            "it is UTF-16 (it starts with a UTF-16 byte order mark); save it as UTF-8".into(),
        ));
    }
    String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let byte = e.as_bytes().get(at).copied().unwrap_or(0);
        refuse(format!(
            "it is not UTF-8: byte 0x{byte:02X} at offset {at} is not valid UTF-8; save it as UTF-8"
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_utf8_without_its_bom_and_anything_else_is_refused_with_where() {
        assert_eq!(
            decode(b"\xEF\xBB\xBFscenario".to_vec()).unwrap(),
            "scenario"
        );
        let e = decode(b"ab\xFFc".to_vec()).unwrap_err().to_string();
        assert!(e.contains("0xFF at offset 2"), "{e}");
        let e = decode(b"\xFF\xFEs\x00".to_vec()).unwrap_err().to_string();
        assert!(e.contains("UTF-16"), "{e}");
        let e = read_source(Path::new("/dev/null")).unwrap_err().to_string();
        assert!(e.contains("not a regular file"), "{e}");
        let e = read_source(Path::new("/")).unwrap_err().to_string();
        assert!(e.contains("directory"), "{e}");
    }
}
