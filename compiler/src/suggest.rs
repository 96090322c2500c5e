//! "Did you mean" suggestions: the closest known name to a misspelt one.

use std::cell::Cell;

/// The most candidates one suggestion looks at.
const MAX_CANDIDATES: usize = 20_000;

/// The most candidates all suggestions of one check look at together:
/// thousands of near-miss names among thousands of declared ones would
/// otherwise cost millions of comparisons each. Past it, unknown names get
/// no suggestion (still in a deterministic order: the same input gives the
/// same suggestions).
const BUDGET: u64 = 500_000;

thread_local! {
    static SPENT: Cell<u64> = const { Cell::new(0) };
}

/// Starts a fresh [`BUDGET`] (called once per check).
pub fn reset_budget() {
    SPENT.with(|s| s.set(0));
}

/// The longest name a suggestion is looked for: the distance takes time
/// in the product of the lengths, and nobody mistypes a 5,000-character
/// name (found by fuzzing: a few such names took seconds each).
const MAX_TYPED: usize = 256;

/// The candidate closest to `word` by edit distance, if it is close enough
/// to be a plausible typo (about one edit per four characters). Candidates
/// whose length or letters alone rule them out are skipped before any
/// distance is computed, and the distance stops as soon as it exceeds the
/// limit, so a near miss among thousands of names stays cheap.
pub fn closest<'a, I>(word: &str, candidates: I) -> Option<String>
where
    I: IntoIterator<Item = &'a str>,
{
    let word: Vec<char> = word.to_lowercase().chars().collect();
    if word.len() > MAX_TYPED {
        return None;
    }
    let limit = word.len().div_ceil(4);
    let letters = Letters::of(word.iter().copied());
    let mut best: Option<(usize, &str)> = None;
    for cand in candidates.into_iter().take(MAX_CANDIDATES) {
        let spent = SPENT.with(|s| {
            let n = s.get().saturating_add(1);
            s.set(n);
            n
        });
        if spent > BUDGET {
            return None;
        }
        let n = cand.chars().count();
        if n.abs_diff(word.len()) > limit {
            continue;
        }
        let lower = cand.chars().flat_map(char::to_lowercase);
        if letters.bound(&Letters::of(lower.clone())) > limit {
            continue;
        }
        let lower: Vec<char> = lower.collect();
        let Some(d) = distance(&word, &lower, limit) else {
            continue;
        };
        if best.is_none_or(|(bd, bc)| d < bd || (d == bd && cand < bc)) {
            best = Some((d, cand));
        }
    }
    best.map(|(_, c)| c.to_string())
}

/// Counts of characters (by a small hash), for a cheap lower bound on the
/// edit distance: an edit changes at most one count up and one down (a
/// swap changes none).
struct Letters([u16; 64]);

impl Letters {
    fn of(word: impl Iterator<Item = char>) -> Letters {
        let mut counts = [0u16; 64];
        for c in word {
            if let Some(slot) = counts.get_mut(c as usize % 64) {
                *slot = slot.saturating_add(1);
            }
        }
        Letters(counts)
    }

    /// A lower bound on the edit distance between the two words.
    fn bound(&self, other: &Letters) -> usize {
        let (mut more, mut fewer) = (0usize, 0usize);
        for (a, b) in self.0.iter().zip(other.0.iter()) {
            if a > b {
                more += usize::from(a - b);
            } else {
                fewer += usize::from(b - a);
            }
        }
        more.max(fewer)
    }
}

/// Levenshtein distance counting an adjacent swap as one edit; `None` once
/// it is sure to exceed `limit` (every entry of a row is above it).
fn distance(a: &[char], b: &[char], limit: usize) -> Option<usize> {
    let mut prev2 = vec![0usize; b.len() + 1];
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0usize; b.len() + 1];
    for i in 1..=a.len() {
        cur[0] = i;
        let mut row_min = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(prev2[j - 2] + 1);
            }
            cur[j] = v;
            row_min = row_min.min(v);
        }
        if row_min > limit {
            return None;
        }
        std::mem::swap(&mut prev2, &mut prev);
        std::mem::swap(&mut prev, &mut cur);
    }
    let d = prev[b.len()];
    (d <= limit).then_some(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_a_close_name_and_ignores_far_ones() {
        let names = ["user-service", "order-service", "payment-service"];
        assert_eq!(
            closest("user-servce", names).as_deref(),
            Some("user-service")
        );
        assert_eq!(
            closest("latnecy", ["latency", "weight"]).as_deref(),
            Some("latency")
        );
        assert_eq!(closest("billing", names), None);
    }

    #[test]
    fn the_work_of_one_check_is_bounded() {
        reset_budget();
        let names: Vec<String> = (0..1000).map(|i| format!("svc-{i:05}")).collect();
        let mut answered = 0;
        for i in 0..(BUDGET / 1000 + 10) {
            let word = format!("svc-{:05}x", i % 1000);
            if closest(&word, names.iter().map(String::as_str)).is_some() {
                answered += 1;
            }
        }
        // Every call up to the budget found its name; the rest were cut.
        assert_eq!(answered, BUDGET / 1000);
        reset_budget();
        assert!(closest("svc-00001x", names.iter().map(String::as_str)).is_some());
    }

    #[test]
    fn a_swap_is_one_edit_and_the_bound_never_rules_out_a_match() {
        let a: Vec<char> = "latnecy".chars().collect();
        let b: Vec<char> = "latency".chars().collect();
        assert_eq!(distance(&a, &b, 2), Some(1));
        let letters = |w: &[char]| Letters::of(w.iter().copied());
        assert!(letters(&a).bound(&letters(&b)) <= 1);
        let far: Vec<char> = "weight".chars().collect();
        assert_eq!(distance(&a, &far, 2), None);
    }

    #[test]
    fn long_names_get_no_suggestion_and_far_lengths_are_skipped() {
        let long = "x".repeat(5000);
        let near = format!("y{}", &long[1..]);
        assert_eq!(closest(&near, [long.as_str()]), None);
        let typed = "x".repeat(MAX_TYPED);
        let near = format!("y{}", &typed[1..]);
        assert_eq!(
            closest(&near, [typed.as_str()]).as_deref(),
            Some(typed.as_str())
        );
        assert_eq!(
            closest("api", [long.as_str(), "apj"]).as_deref(),
            Some("apj")
        );
    }
}
