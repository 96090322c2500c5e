//! Message templates: the `{name}` placeholders in log bodies that the
//! runtime fills per record, from the record's attributes (log streams) or
//! from the span (span-derived logs). One scanner for every filler, so they
//! agree on the syntax.

/// Appends `template` to `out`, replacing each `{name}` by what `resolve`
/// writes; when `resolve` returns false the placeholder is kept as written.
/// A `{` without a closing `}` is copied as plain text.
pub fn fill_placeholders(
    template: &str,
    out: &mut String,
    mut resolve: impl FnMut(&str, &mut String) -> bool,
) {
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let Some(len) = rest[open..].find('}') else {
            break;
        };
        out.push_str(&rest[..open]);
        let placeholder = &rest[open..=open + len];
        if !resolve(&placeholder[1..len], out) {
            out.push_str(placeholder);
        }
        rest = &rest[open + len + 1..];
    }
    out.push_str(rest);
}

#[cfg(test)]
mod tests {
    use super::fill_placeholders;

    fn fill(t: &str) -> String {
        let mut out = String::new();
        fill_placeholders(t, &mut out, |name, out| {
            if name == "id" {
                out.push_str("42");
                true
            } else {
                false
            }
        });
        out
    }

    #[test]
    fn fills_known_keeps_unknown_and_copies_unclosed_braces() {
        assert_eq!(fill("job {id} took {ms}ms"), "job 42 took {ms}ms");
        assert_eq!(fill("a {id} {b"), "a 42 {b");
        assert_eq!(fill("no placeholders"), "no placeholders");
    }
}
