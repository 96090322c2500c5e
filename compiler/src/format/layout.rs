//! The formatter's layout: prints lexed tokens line by line, keeping the
//! user's line breaks (runs of blank lines become one; none after an
//! opening bracket, before a closing one, or at either end of the file),
//! indenting two spaces per open bracket and spacing tokens one way.

use super::lexer::Token;

/// Prints `tokens` in the canonical layout, ending with one newline
/// (nothing for a file with no tokens).
pub fn print(tokens: &[Token<'_>]) -> String {
    let mut out = String::new();
    let mut depth = 0usize;
    let mut blank_pending = false;
    let mut last_line_opens = true; // the file's start counts as an opener
    for line in tokens.split(|t| *t == Token::Newline) {
        let Some(first) = line.first() else {
            blank_pending = true;
            continue;
        };
        let leading_closers = line
            .iter()
            .take_while(|t| matches!(t, Token::Close(_)))
            .count();
        if blank_pending && !last_line_opens && !matches!(first, Token::Close(_)) {
            out.push('\n');
        }
        blank_pending = false;
        let indent = depth.saturating_sub(leading_closers);
        out.extend(std::iter::repeat_n("  ", indent));
        let mut prev: Option<&Token<'_>> = None;
        for t in line {
            if prev.is_some_and(|p| spaced(p, t)) {
                out.push(' ');
            }
            push(&mut out, t);
            match t {
                Token::Open(_) => depth += 1,
                Token::Close(_) => depth = depth.saturating_sub(1),
                _ => {}
            }
            prev = Some(t);
        }
        out.push('\n');
        last_line_opens = line
            .iter()
            .rev()
            .find(|t| !matches!(t, Token::Comment(_)))
            .is_some_and(|t| matches!(t, Token::Open(_)));
    }
    out
}

/// Appends one token's text.
fn push(out: &mut String, t: &Token<'_>) {
    match t {
        Token::Word(s) | Token::Str(s) | Token::Comment(s) => out.push_str(s),
        Token::Open(c) | Token::Close(c) => out.push(*c),
        Token::Comma => out.push(','),
        Token::Colon => out.push(':'),
        Token::Eq => out.push('='),
        Token::Arrow => out.push_str("->"),
        Token::Range => out.push_str(".."),
        Token::Newline => out.push('\n'),
    }
}

/// Whether one space separates `prev` and `next` on a line: none before
/// `,` and `:`, none inside `( )` and `[ ]` edges, none between a name and
/// its call's `(`, none around `..`, none in an empty `{}`; one elsewhere.
fn spaced(prev: &Token<'_>, next: &Token<'_>) -> bool {
    !matches!(
        (prev, next),
        (
            _,
            Token::Comma | Token::Colon | Token::Range | Token::Close(')' | ']')
        ) | (Token::Open('(' | '['), _)
            | (Token::Range, _)
            | (Token::Word(_), Token::Open('('))
            | (Token::Open('{'), Token::Close('}'))
    )
}
