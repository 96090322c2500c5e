//! User-declared span events and span links: names and constant
//! attributes interned, generated attributes as [`tsim_pack::GenAttr`]s,
//! a link's target resolved to its endpoint program.

use tsim_pack::{EventDecl, LinkDecl};

use super::calls::Index;
use super::{convert, Builder, LowerError};
use crate::model::{SpanEvent, SpanLink};

/// The events of one span.
pub(super) fn events(b: &mut Builder, events: &[SpanEvent]) -> Vec<EventDecl> {
    events
        .iter()
        .map(|e| {
            let attrs: Vec<_> = e.attributes.iter().collect();
            let (attrs, gen_attrs) = convert::split(b, &attrs);
            EventDecl {
                name: b.str(&e.name),
                chance: e.chance,
                attrs,
                gen_attrs,
            }
        })
        .collect()
}

/// The links of one span.
pub(super) fn links(
    b: &mut Builder,
    ix: &Index<'_>,
    links: &[SpanLink],
) -> Result<Vec<LinkDecl>, LowerError> {
    links
        .iter()
        .map(|l| {
            let (endpoint, _) = ix.endpoint(&l.service, &l.endpoint)?;
            let attrs: Vec<_> = l.attributes.iter().collect();
            let (attrs, gen_attrs) = convert::split(b, &attrs);
            Ok(LinkDecl {
                endpoint,
                chance: l.chance,
                attrs,
                gen_attrs,
            })
        })
        .collect()
}
