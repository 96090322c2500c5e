//! The safe loader: reads a pack file and hands it to the validating
//! decoder. Every failure is one line naming the file; nothing here can
//! panic, hang or allocate more than the file's size on hostile input.

use std::fmt;
use std::path::{Path, PathBuf};

use tsim_pack::{decode, Pack, PackError};

/// The largest pack the loader reads (4 GiB), checked before reading.
pub const MAX_PACK_BYTES: u64 = 4 << 30;

/// Why a pack could not be loaded.
#[derive(Debug)]
pub enum LoadError {
    /// The file could not be read.
    Io {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        error: std::io::Error,
    },
    /// The file is larger than [`MAX_PACK_BYTES`].
    TooLarge {
        /// The file.
        path: PathBuf,
        /// Its size.
        size: u64,
    },
    /// The bytes are not a valid pack.
    Pack {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        error: PackError,
    },
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoadError::Io { path, error } => write!(f, "{}: cannot read: {error}", path.display()),
            LoadError::TooLarge { path, size } => {
                write!(
                    f,
                    "{}: {size} bytes is larger than the {MAX_PACK_BYTES}-byte pack limit",
                    path.display()
                )
            }
            LoadError::Pack { path, error } => write!(f, "{}: {error}", path.display()),
        }
    }
}

impl std::error::Error for LoadError {}

/// Loads and validates the pack at `path`.
pub fn load(path: &Path) -> Result<(Pack, Vec<u8>), LoadError> {
    let io = |error| LoadError::Io {
        path: path.to_path_buf(),
        error,
    };
    let meta = std::fs::metadata(path).map_err(io)?;
    if !meta.is_file() {
        // A device such as /dev/zero has no size and never ends; a FIFO
        // blocks: neither is read.
        return Err(io(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "not a regular file (a pack is a file written by `tsim compile`)",
        )));
    }
    let size = meta.len();
    if size > MAX_PACK_BYTES {
        return Err(LoadError::TooLarge {
            path: path.to_path_buf(),
            size,
        });
    }
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(
        &mut std::io::Read::take(std::fs::File::open(path).map_err(io)?, MAX_PACK_BYTES + 1),
        &mut bytes,
    )
    .map_err(io)?;
    if bytes.len() as u64 > MAX_PACK_BYTES {
        return Err(LoadError::TooLarge {
            path: path.to_path_buf(),
            size: bytes.len() as u64,
        });
    }
    let pack = decode(&bytes).map_err(|error| LoadError::Pack {
        path: path.to_path_buf(),
        error,
    })?;
    Ok((pack, bytes))
}

/// Validates pack bytes already in memory.
pub fn load_bytes(bytes: &[u8]) -> Result<Pack, PackError> {
    decode(bytes)
}
