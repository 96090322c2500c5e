//! The short diff `tsim fmt --check` prints: unified-style hunks (`-` the
//! file's line, `+` the formatted one, one line of context) for the first
//! few differences, from a longest-common-subsequence match of the lines.

use std::fmt::Write;

/// How many hunks are shown per file.
const HUNKS: usize = 3;
/// Lines of context around a change.
const CONTEXT: usize = 1;
/// Above this many cells (lines × lines, after the common start and end
/// are set aside) the match is not computed and one hunk shows the span.
const MAX_CELLS: usize = 4_000_000;

/// One line of an edit script.
#[derive(Clone, Copy, PartialEq)]
enum Edit<'a> {
    Same(&'a str),
    Del(&'a str),
    Add(&'a str),
}

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

/// An edit script from `a` to `b`: common start and end kept, the middle
/// matched by longest common subsequence (or replaced whole when large).
fn script<'a>(a: &[&'a str], b: &[&'a str]) -> Vec<Edit<'a>> {
    let pre = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let suf = a[pre..]
        .iter()
        .rev()
        .zip(b[pre..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let (am, bm) = (&a[pre..a.len() - suf], &b[pre..b.len() - suf]);
    let mut edits: Vec<Edit<'a>> = a[..pre].iter().map(|l| Edit::Same(l)).collect();
    if am.len().saturating_mul(bm.len()) > MAX_CELLS {
        edits.extend(am.iter().map(|l| Edit::Del(l)));
        edits.extend(bm.iter().map(|l| Edit::Add(l)));
    } else {
        edits.extend(lcs(am, bm));
    }
    edits.extend(a[a.len() - suf..].iter().map(|l| Edit::Same(l)));
    edits
}

/// The edit script of a longest-common-subsequence match.
fn lcs<'a>(a: &[&'a str], b: &[&'a str]) -> Vec<Edit<'a>> {
    let w = b.len() + 1;
    // len[i * w + j]: the LCS length of a[i..] and b[j..].
    let mut len = vec![0u32; (a.len() + 1) * w];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            len[i * w + j] = if a[i] == b[j] {
                len[(i + 1) * w + j + 1] + 1
            } else {
                len[(i + 1) * w + j].max(len[i * w + j + 1])
            };
        }
    }
    let (mut i, mut j, mut out) = (0, 0, Vec::new());
    while i < a.len() && j < b.len() {
        if a[i] == b[j] {
            out.push(Edit::Same(a[i]));
            (i, j) = (i + 1, j + 1);
        } else if len[(i + 1) * w + j] >= len[i * w + j + 1] {
            out.push(Edit::Del(a[i]));
            i += 1;
        } else {
            out.push(Edit::Add(b[j]));
            j += 1;
        }
    }
    out.extend(a[i..].iter().map(|l| Edit::Del(l)));
    out.extend(b[j..].iter().map(|l| Edit::Add(l)));
    out
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
