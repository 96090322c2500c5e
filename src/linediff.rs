//! Line diffs shared by `tsim fmt --check` and `tsim test`: the edit
//! script from one text's lines to another's (common start and end kept,
//! the middle matched by longest common subsequence, or replaced whole
//! when the match would be too large to compute).

/// Above this many cells (lines × lines, after the common start and end
/// are set aside) the match is not computed and the middle is replaced
/// whole.
const MAX_CELLS: usize = 4_000_000;

/// One line of an edit script.
#[derive(Clone, Copy, PartialEq)]
pub enum Edit<'a> {
    /// A line both texts have.
    Same(&'a str),
    /// A line only the old text has.
    Del(&'a str),
    /// A line only the new text has.
    Add(&'a str),
}

/// An edit script from `a` to `b`: common start and end kept, the middle
/// matched by longest common subsequence (or replaced whole when large).
pub fn script<'a>(a: &[&'a str], b: &[&'a str]) -> Vec<Edit<'a>> {
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
