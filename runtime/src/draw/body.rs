//! Structured log bodies (`body { }`): their fields drawn per record, after
//! the record's attributes, so that a field's pattern can borrow them.

use rand_pcg::Pcg64;
use tsim_pack::{Attr, LogBody, Pack, StrId};

use super::gen::{GenCtx, Lookup, RecordAttrs};
use super::values::Drawn;

/// What a body field's `{name}` may borrow, in order: the body's constant
/// fields and the fields drawn before it, the record's attributes, then
/// whatever `more` resolves (a span's fields, for span-derived logs).
struct BodyLookup<'x> {
    body: RecordAttrs<'x>,
    record: RecordAttrs<'x>,
    more: &'x dyn Lookup,
}

impl Lookup for BodyLookup<'_> {
    fn append(&self, key: StrId, arena: &mut String) -> bool {
        self.body.append(key, arena)
            || self.record.append(key, arena)
            || self.more.append(key, arena)
    }
}

/// The record a body belongs to: its constant attribute set and the range
/// of `drawn` its generated attributes took.
#[derive(Clone, Copy, Debug)]
pub struct Record {
    /// Constant attribute set.
    pub set: u32,
    /// Range of its drawn attributes.
    pub drawn: (u32, u32),
}

/// Draws the generated fields of `body`, appending to `drawn` (and their
/// text to `text`); returns the range of `drawn` they took.
pub fn draw_body(
    pack: &Pack,
    rng: &mut Pcg64,
    body: &LogBody,
    record: Record,
    more: &dyn Lookup,
    drawn: &mut Vec<Drawn>,
    text: &mut String,
) -> (u32, u32) {
    let first = drawn.len();
    let set = |id: u32| -> &[Attr] {
        pack.attr_sets
            .get(id as usize)
            .map_or(&[][..], Vec::as_slice)
    };
    let ctx = GenCtx { pack };
    for g in &body.gen_attrs {
        let lookup = BodyLookup {
            body: RecordAttrs {
                pack,
                constant: set(body.attrs),
                drawn: drawn.get(first..).unwrap_or(&[]),
            },
            record: RecordAttrs {
                pack,
                constant: set(record.set),
                drawn: drawn
                    .get(record.drawn.0 as usize..record.drawn.1 as usize)
                    .unwrap_or(&[]),
            },
            more,
        };
        if let Some(value) = ctx.draw(rng, &g.gen, text, &lookup) {
            drawn.push(Drawn { key: g.key, value });
        }
    }
    (first as u32, drawn.len() as u32)
}

/// Resolves `{name}` by a name-keyed filler, such as a span's fields.
pub struct FillLookup<'x> {
    /// The pack the names are interned in.
    pub pack: &'x Pack,
    /// Appends the value of a name; false when it has none.
    pub fill: &'x dyn Fn(&str, &mut String) -> bool,
}

impl Lookup for FillLookup<'_> {
    fn append(&self, key: StrId, arena: &mut String) -> bool {
        let name = self
            .pack
            .strings
            .get(key as usize)
            .map_or("", String::as_str);
        (self.fill)(name, arena)
    }
}
