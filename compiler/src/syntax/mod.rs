//! Text to syntax tree: the pest parser generated from `grammar/tsim.pest`,
//! the user-facing names of its rules, and the builder that turns pest's
//! pairs into the spanned [`crate::ast`].

mod build;
mod names;
mod parser;
mod recover;
mod values;

pub use build::{parse_file, parse_value};

/// Reads `hh:mm` as a UTC offset in seconds.
pub fn parse_offset(text: &str) -> Option<u32> {
    let (h, m) = text.split_once(':')?;
    let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
    (h <= 23 && m <= 59).then_some(h * 3600 + m * 60)
}
