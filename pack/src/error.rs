//! Every way a pack can be rejected. Each is one line of text for the user;
//! none is a panic.

use std::fmt;

/// Why a pack was rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PackError {
    /// The file does not start with `TSIMPACK`.
    BadMagic,
    /// Written by another format version.
    UnsupportedVersion {
        /// The version in the file.
        found: u16,
        /// The version this build reads.
        supported: u16,
    },
    /// The file ends before a structure it declares.
    Truncated {
        /// What was being read.
        what: &'static str,
    },
    /// The checksum in the footer does not match the contents.
    ChecksumMismatch {
        /// The checksum in the footer.
        expected: u32,
        /// The checksum of the contents.
        got: u32,
    },
    /// A section tag this version does not know, or one given twice.
    UnknownTag {
        /// The tag.
        tag: [u8; 4],
    },
    /// A required section is absent.
    MissingSection {
        /// The tag.
        tag: [u8; 4],
    },
    /// A section or structure has bytes left over after it.
    TrailingBytes {
        /// Which.
        what: &'static str,
    },
    /// A value is out of its allowed range or refers to nothing.
    Invalid {
        /// What is wrong.
        what: String,
    },
}

fn tag_text(tag: &[u8; 4]) -> String {
    tag.iter()
        .map(|&b| if b.is_ascii_graphic() { b as char } else { '?' })
        .collect()
}

impl fmt::Display for PackError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PackError::BadMagic => write!(f, "not a tsim pack (bad magic number)"),
            PackError::UnsupportedVersion { found, supported } => write!(
                f,
                "pack format version {found} is not supported: this tsim reads version {supported}; {}",
                if found > supported {
                    "upgrade tsim, or recompile the scenario with this tsim"
                } else {
                    "recompile the scenario with this tsim (`tsim compile`)"
                }
            ),
            PackError::Truncated { what } => write!(f, "pack is truncated (while reading {what})"),
            PackError::ChecksumMismatch { expected, got } => {
                write!(f, "pack is corrupt: checksum {got:08x} does not match the stored {expected:08x}")
            }
            PackError::UnknownTag { tag } => write!(f, "pack has an unknown or repeated section `{}`", tag_text(tag)),
            PackError::MissingSection { tag } => write!(f, "pack lacks the `{}` section", tag_text(tag)),
            PackError::TrailingBytes { what } => write!(f, "pack is corrupt: unexpected bytes after {what}"),
            PackError::Invalid { what } => write!(f, "pack is corrupt: {what}"),
        }
    }
}

impl std::error::Error for PackError {}
