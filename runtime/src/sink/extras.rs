//! A span's user-declared events and links as sinks read them: views over
//! the drawn trace and the pack, iterated without allocating.

use tsim_pack::{EventDecl, Pack};

use super::Attributes;
use crate::draw::trace::DrawnEvent;
use crate::draw::values::Drawn;

/// One user-declared span event.
#[derive(Clone, Copy, Debug)]
pub struct SpanEvent<'a> {
    /// Which of its program's events (a sink's constant encodings are
    /// indexed by it).
    pub decl: u32,
    /// Event name.
    pub name: &'a str,
    /// When, Unix nanoseconds.
    pub time_ns: i64,
    /// Its attributes.
    pub attributes: Attributes<'a>,
}

/// A span's user-declared events.
#[derive(Clone, Copy, Debug)]
pub struct SpanEvents<'a> {
    pack: &'a Pack,
    decls: &'a [EventDecl],
    events: &'a [DrawnEvent],
    drawn: &'a [Drawn],
    text: &'a str,
    /// The trace's start, Unix nanoseconds.
    at_ns: i64,
}

impl<'a> SpanEvents<'a> {
    /// The events `events` (declared by `decls`) of a trace that started
    /// at `at_ns`, with the trace's drawn values.
    pub fn new(
        pack: &'a Pack,
        decls: &'a [EventDecl],
        events: &'a [DrawnEvent],
        drawn: &'a [Drawn],
        text: &'a str,
        at_ns: i64,
    ) -> Self {
        SpanEvents {
            pack,
            decls,
            events,
            drawn,
            text,
            at_ns,
        }
    }

    /// No events.
    pub fn none(pack: &'a Pack) -> Self {
        SpanEvents::new(pack, &[], &[], &[], "", 0)
    }

    /// How many.
    pub fn len(&self) -> usize {
        self.events.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// The events in order.
    pub fn iter(&self) -> impl Iterator<Item = SpanEvent<'a>> + 'a {
        let Self {
            pack,
            decls,
            events,
            drawn,
            text,
            at_ns,
        } = *self;
        events.iter().filter_map(move |e| {
            let decl = decls.get(e.decl as usize)?;
            let values = drawn
                .get(e.drawn.0 as usize..e.drawn.1 as usize)
                .unwrap_or(&[]);
            Some(SpanEvent {
                decl: e.decl,
                name: pack
                    .strings
                    .get(decl.name as usize)
                    .map_or("", String::as_str),
                time_ns: at_ns.saturating_add(e.at_ns as i64),
                attributes: Attributes::new(pack, decl.attrs, values, text),
            })
        })
    }
}

/// A user-declared link, resolved to a span emitted before.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ResolvedLink {
    /// Which of its program's links.
    pub decl: u32,
    /// The linked trace.
    pub trace_id: [u8; 16],
    /// The linked span.
    pub span_id: [u8; 8],
    /// Constant attributes (attribute set).
    pub attrs: u32,
    /// Drawn attributes: a range of the trace's drawn values.
    pub drawn: (u32, u32),
}

/// One user-declared span link.
#[derive(Clone, Copy, Debug)]
pub struct SpanLink<'a> {
    /// Which of its program's links (a sink's constant encodings are
    /// indexed by it).
    pub decl: u32,
    /// The linked trace.
    pub trace_id: [u8; 16],
    /// The linked span.
    pub span_id: [u8; 8],
    /// Link attributes.
    pub attributes: Attributes<'a>,
}

/// A span's user-declared links.
#[derive(Clone, Copy, Debug)]
pub struct SpanLinks<'a> {
    pack: &'a Pack,
    links: &'a [ResolvedLink],
    drawn: &'a [Drawn],
    text: &'a str,
}

impl<'a> SpanLinks<'a> {
    /// Links `links` with the trace's drawn values.
    pub fn new(
        pack: &'a Pack,
        links: &'a [ResolvedLink],
        drawn: &'a [Drawn],
        text: &'a str,
    ) -> Self {
        SpanLinks {
            pack,
            links,
            drawn,
            text,
        }
    }

    /// No links.
    pub fn none(pack: &'a Pack) -> Self {
        SpanLinks::new(pack, &[], &[], "")
    }

    /// How many.
    pub fn len(&self) -> usize {
        self.links.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.links.is_empty()
    }

    /// The links in order.
    pub fn iter(&self) -> impl Iterator<Item = SpanLink<'a>> + 'a {
        let Self {
            pack,
            links,
            drawn,
            text,
        } = *self;
        links.iter().map(move |l| {
            let values = drawn
                .get(l.drawn.0 as usize..l.drawn.1 as usize)
                .unwrap_or(&[]);
            SpanLink {
                decl: l.decl,
                trace_id: l.trace_id,
                span_id: l.span_id,
                attributes: Attributes::new(pack, l.attrs, values, text),
            }
        })
    }
}
