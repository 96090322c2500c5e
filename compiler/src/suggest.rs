//! "Did you mean" suggestions: the closest known name to a misspelt one.

/// The longest name a suggestion is looked for: the distance takes time
/// in the product of the lengths, and nobody mistypes a 5,000-character
/// name (found by fuzzing: a few such names took seconds each).
const MAX_TYPED: usize = 256;

/// The candidate closest to `word` by edit distance, if it is close enough
/// to be a plausible typo (about one edit per four characters).
pub fn closest<'a, I>(word: &str, candidates: I) -> Option<String>
where
    I: IntoIterator<Item = &'a str>,
{
    let word = word.to_lowercase();
    let len = word.chars().count();
    if len > MAX_TYPED {
        return None;
    }
    let limit = len.div_ceil(4);
    let mut best: Option<(usize, &str)> = None;
    for cand in candidates {
        let lower = cand.to_lowercase();
        // The distance is at least the difference in length: a candidate
        // that far off cannot be within the limit.
        if lower.chars().count().abs_diff(len) > limit {
            continue;
        }
        let d = distance(&word, &lower);
        if d <= limit && best.is_none_or(|(bd, bc)| d < bd || (d == bd && cand < bc)) {
            best = Some((d, cand));
        }
    }
    best.map(|(_, c)| c.to_string())
}

/// Levenshtein distance counting an adjacent swap as one edit.
fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev2 = vec![0usize; b.len() + 1];
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0usize; b.len() + 1];
    for i in 1..=a.len() {
        cur[0] = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(prev2[j - 2] + 1);
            }
            cur[j] = v;
        }
        std::mem::swap(&mut prev2, &mut prev);
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
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
