//! A line diff for `tsim test`'s mismatches: the longest common
//! subsequence of the two snapshots' lines, shown as `-` (expected) and
//! `+` (actual) lines with two lines of context around each change.

/// The diff of `old` and `new` as text; empty when they are equal.
pub fn lines(old: &str, new: &str) -> String {
    let a: Vec<&str> = old.lines().collect();
    let b: Vec<&str> = new.lines().collect();
    let ops = script(&a, &b);
    let mut out = String::new();
    let changed: Vec<bool> = ops.iter().map(|o| !matches!(o, Op::Same(_))).collect();
    for (i, op) in ops.iter().enumerate() {
        let near = |d: usize| {
            changed
                .get(i.saturating_sub(d)..(i + d + 1).min(changed.len()))
                .is_some_and(|w| w.iter().any(|c| *c))
        };
        match op {
            Op::Same(l) if near(2) => out.push_str(&format!("   {l}\n")),
            Op::Same(_) => {
                if !out.ends_with("...\n") && !out.is_empty() {
                    out.push_str("   ...\n");
                }
            }
            Op::Old(l) => out.push_str(&format!(" - {l}\n")),
            Op::New(l) => out.push_str(&format!(" + {l}\n")),
        }
    }
    if changed.iter().any(|c| *c) {
        out
    } else {
        String::new()
    }
}

enum Op<'a> {
    Same(&'a str),
    Old(&'a str),
    New(&'a str),
}

/// The edit script from `a` to `b` (LCS by dynamic programming: snapshot
/// files are tens of lines, so the quadratic table is small; past 2,000
/// lines a side, every line is shown as changed).
fn script<'a>(a: &[&'a str], b: &[&'a str]) -> Vec<Op<'a>> {
    const MAX: usize = 2_000;
    if a.len() > MAX || b.len() > MAX {
        let mut out: Vec<Op<'a>> = a.iter().map(|l| Op::Old(l)).collect();
        out.extend(b.iter().map(|l| Op::New(l)));
        return out;
    }
    let (n, m) = (a.len(), b.len());
    let mut t = vec![0u32; (n + 1) * (m + 1)];
    let at = |i: usize, j: usize| i * (m + 1) + j;
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            t[at(i, j)] = if a[i] == b[j] {
                t[at(i + 1, j + 1)] + 1
            } else {
                t[at(i + 1, j)].max(t[at(i, j + 1)])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    let mut out = Vec::new();
    while i < n && j < m {
        if a[i] == b[j] {
            out.push(Op::Same(a[i]));
            i += 1;
            j += 1;
        } else if t[at(i + 1, j)] >= t[at(i, j + 1)] {
            out.push(Op::Old(a[i]));
            i += 1;
        } else {
            out.push(Op::New(b[j]));
            j += 1;
        }
    }
    out.extend(a[i..].iter().map(|l| Op::Old(l)));
    out.extend(b[j..].iter().map(|l| Op::New(l)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shows_changed_lines_with_context_and_nothing_for_equal_text() {
        assert_eq!(lines("a\nb\n", "a\nb\n"), "");
        let d = lines("1\n2\n3\n4\n5\n6\n7\n", "1\n2\n3\nX\n5\n6\n7\n");
        assert_eq!(d, "   2\n   3\n - 4\n + X\n   5\n   6\n   ...\n");
        let added = lines("a\n", "a\nb\n");
        assert!(added.contains(" + b"), "{added}");
    }
}
