//! A line diff for `tsim test`'s mismatches ([`crate::linediff`]), shown
//! as `-` (expected) and `+` (actual) lines with two lines of context
//! around each change.

use crate::linediff::{script, Edit};

/// The diff of `old` and `new` as text; empty when they are equal.
pub fn lines(old: &str, new: &str) -> String {
    let a: Vec<&str> = old.lines().collect();
    let b: Vec<&str> = new.lines().collect();
    let ops = script(&a, &b);
    let mut out = String::new();
    let changed: Vec<bool> = ops.iter().map(|o| !matches!(o, Edit::Same(_))).collect();
    for (i, op) in ops.iter().enumerate() {
        let near = |d: usize| {
            changed
                .get(i.saturating_sub(d)..(i + d + 1).min(changed.len()))
                .is_some_and(|w| w.iter().any(|c| *c))
        };
        match op {
            Edit::Same(l) if near(2) => out.push_str(&format!("   {l}\n")),
            Edit::Same(_) => {
                if !out.ends_with("...\n") && !out.is_empty() {
                    out.push_str("   ...\n");
                }
            }
            Edit::Del(l) => out.push_str(&format!(" - {l}\n")),
            Edit::Add(l) => out.push_str(&format!(" + {l}\n")),
        }
    }
    if changed.iter().any(|c| *c) {
        out
    } else {
        String::new()
    }
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
