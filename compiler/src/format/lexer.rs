//! The formatter's lexer: splits `.tsim` text into the tokens the layout
//! needs (words, strings, comments, brackets, punctuation and line breaks).
//!
//! It splits only where the grammar allows whitespace, so printing the
//! tokens with other spacing never changes what the text parses to: a
//! word is a maximal run of characters the grammar glues together
//! (`200/s`, `$rate`, `~5m`, `09:00-12:00`, `2026-01-05T09:00:00Z`,
//! `http.request.method`); `:` stays inside a word only between two digits
//! of a word that starts with a digit (a time of day or an instant).

/// One token of a line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Token<'a> {
    /// A name, keyword, number or quantity, as written.
    Word(&'a str),
    /// A string literal with its quotes and escapes, as written.
    Str(&'a str),
    /// A `//` comment, without trailing whitespace.
    Comment(&'a str),
    /// `{`, `[` or `(`.
    Open(char),
    /// `}`, `]` or `)`.
    Close(char),
    /// `,`.
    Comma,
    /// `:` between a name and its value.
    Colon,
    /// `=`.
    Eq,
    /// `->` in a ramp.
    Arrow,
    /// `..` in a range.
    Range,
    /// A line break.
    Newline,
}

/// Splits `text` into tokens. Total: any text yields tokens (an
/// unterminated string runs to the end of its line), but only text that
/// parses is ever formatted.
pub fn tokens(text: &str) -> Vec<Token<'_>> {
    let mut out = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        let rest = &text[i..];
        let (token, len) = match c {
            b'\n' => (Some(Token::Newline), 1),
            b' ' | b'\t' | b'\r' => (None, 1),
            b'/' if rest.starts_with("//") => {
                let len = rest.find('\n').unwrap_or(rest.len());
                (Some(Token::Comment(rest[..len].trim_end())), len)
            }
            b'"' => {
                let len = string_len(rest);
                (Some(Token::Str(&rest[..len])), len)
            }
            b'{' | b'[' | b'(' => (Some(Token::Open(char::from(c))), 1),
            b'}' | b']' | b')' => (Some(Token::Close(char::from(c))), 1),
            b',' => (Some(Token::Comma), 1),
            b'=' => (Some(Token::Eq), 1),
            b':' => (Some(Token::Colon), 1),
            b'-' if rest.starts_with("->") => (Some(Token::Arrow), 2),
            b'.' if rest.starts_with("..") => (Some(Token::Range), 2),
            _ => {
                let len = word_len(rest);
                (Some(Token::Word(&rest[..len])), len)
            }
        };
        out.extend(token);
        i += len;
    }
    out
}

/// The length of the string literal at the start of `rest` (which starts
/// with `"`): to the closing quote, past `\` escapes, or to the end of the
/// line when it is unterminated.
fn string_len(rest: &str) -> usize {
    let mut escaped = false;
    for (i, c) in rest.char_indices().skip(1) {
        match c {
            '\n' => return i,
            '"' if !escaped => return i + 1,
            '\\' if !escaped => escaped = true,
            _ => escaped = false,
        }
    }
    rest.len()
}

/// The length of the word at the start of `rest`: up to whitespace, a
/// quote, a bracket, `,`, `=`, `//`, `->`, `..` or a `:` that is not
/// inside a time.
fn word_len(rest: &str) -> usize {
    let bytes = rest.as_bytes();
    let timelike = bytes.first().is_some_and(u8::is_ascii_digit);
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        let next = bytes.get(i + 1).copied();
        let stop = match c {
            b' ' | b'\t' | b'\r' | b'\n' | b'"' | b'{' | b'}' | b'[' | b']' | b'(' | b')'
            | b',' | b'=' => true,
            b'/' => next == Some(b'/'),
            b'-' => next == Some(b'>'),
            b'.' => next == Some(b'.'),
            b':' => {
                let digits = i > 0
                    && bytes[i - 1].is_ascii_digit()
                    && next.is_some_and(|n| n.is_ascii_digit());
                !(timelike && digits)
            }
            _ => false,
        };
        if stop && i > 0 {
            break;
        }
        // A word always takes at least its first character (whole, if it
        // is not ASCII), so the lexer always moves on.
        i += rest[i..].chars().next().map_or(1, char::len_utf8);
        if stop {
            break;
        }
    }
    i
}

#[cfg(test)]
mod tests {
    use super::Token::*;
    use super::*;

    #[test]
    fn times_instants_and_quantities_stay_whole() {
        assert_eq!(
            tokens("peaks 09:00-12:00, 14:00-17:00"),
            vec![
                Word("peaks"),
                Word("09:00-12:00"),
                Comma,
                Word("14:00-17:00")
            ]
        );
        assert_eq!(
            tokens("start 2026-01-05T09:00:00+02:00"),
            vec![Word("start"), Word("2026-01-05T09:00:00+02:00")]
        );
        assert_eq!(
            tokens("every ~5m for $len rate 200/s"),
            vec![
                Word("every"),
                Word("~5m"),
                Word("for"),
                Word("$len"),
                Word("rate"),
                Word("200/s")
            ]
        );
    }

    #[test]
    fn punctuation_splits_where_the_grammar_allows_whitespace() {
        assert_eq!(
            tokens("f(p99:2ms,a:b)"),
            vec![
                Word("f"),
                Open('('),
                Word("p99"),
                Colon,
                Word("2ms"),
                Comma,
                Word("a"),
                Colon,
                Word("b"),
                Close(')')
            ]
        );
        assert_eq!(
            tokens("x1->x5 0..1 a.b=1"),
            vec![
                Word("x1"),
                Arrow,
                Word("x5"),
                Word("0"),
                Range,
                Word("1"),
                Word("a.b"),
                Eq,
                Word("1")
            ]
        );
    }

    #[test]
    fn strings_keep_escapes_and_comments_end_at_the_line() {
        assert_eq!(
            tokens("\"a \\\" // b\" // c  \r\nx"),
            vec![Str("\"a \\\" // b\""), Comment("// c"), Newline, Word("x")]
        );
        assert_eq!(
            tokens("rate 200/s// c"),
            vec![Word("rate"), Word("200/s"), Comment("// c")]
        );
    }
}
