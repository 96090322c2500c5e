//! The short diff `tsim fmt --check` prints: unified-style hunks (`-` the
//! file's line, `+` the formatted one, one line of context) for the first
//! few differences, from a longest-common-subsequence match of the lines.

use std::fmt::Write;

use crate::linediff::{script, Edit};

/// How many hunks are shown per file.
const HUNKS: usize = 3;
/// Lines of context around a change.
const CONTEXT: usize = 1;

/// The first hunks of the difference between `old` and `new`.
pub fn first_hunks(old: &str, new: &str) -> String {
    let a: Vec<&str> = old.lines().collect();
    let b: Vec<&str> = new.lines().collect();
    let edits = script(&a, &b);
    let changed: Vec<usize> = edits
        .iter()
        .enumerate()
        .filter(|(_, e)| !matches!(e, Edit::Same(_)))
        .map(|(i, _)| i)
        .collect();
    let mut ranges: Vec<(usize, usize)> = Vec::new();
    for &i in &changed {
        let (lo, hi) = (
            i.saturating_sub(CONTEXT),
            (i + CONTEXT + 1).min(edits.len()),
        );
        match ranges.last_mut() {
            Some(last) if lo <= last.1 => last.1 = hi,
            _ => ranges.push((lo, hi)),
        }
    }
    let mut out = String::new();
    for &(lo, hi) in ranges.iter().take(HUNKS) {
        let (old_line, new_line) = positions(&edits[..lo]);
        let _ = writeln!(out, "@@ -{} +{} @@", old_line + 1, new_line + 1);
        for e in edits.get(lo..hi).unwrap_or_default() {
            let _ = match e {
                Edit::Same(l) => writeln!(out, "  {l}"),
                Edit::Del(l) => writeln!(out, "- {l}"),
                Edit::Add(l) => writeln!(out, "+ {l}"),
            };
        }
    }
    if ranges.len() > HUNKS {
        let _ = writeln!(out, "... and {} more changes", ranges.len() - HUNKS);
    }
    out
}

/// How many old and new lines the edits cover.
fn positions(edits: &[Edit<'_>]) -> (usize, usize) {
    edits.iter().fold((0, 0), |(o, n), e| match e {
        Edit::Same(_) => (o + 1, n + 1),
        Edit::Del(_) => (o + 1, n),
        Edit::Add(_) => (o, n + 1),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hunks_show_the_changed_lines_with_context() {
        let d = first_hunks("a\nb\n  c\nd\ne\n", "a\nb\nc\nd\ne\n");
        assert_eq!(d, "@@ -2 +2 @@\n  b\n-   c\n+ c\n  d\n");
    }
}
