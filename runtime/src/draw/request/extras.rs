//! A span's user-declared events (each with its chance, at a uniform time
//! within the span) and links (each with its chance, and a pick of which
//! recent span of the target endpoint the emitter links to). Drawn from the
//! request's stream only when the program declares some, so scenarios
//! without them draw exactly what they did.

use rand::RngExt;
use tsim_pack::EndpointProgram;

use super::Walker;
use crate::draw::trace::{DrawnEvent, DrawnLink, Trace};
use crate::draw::values::{chance, draw_attrs};

impl Walker<'_, '_> {
    /// Draws the events and links of span `idx` of `prog`, which runs from
    /// `start` to `end`.
    pub(super) fn extras(&mut self, idx: usize, prog: &EndpointProgram, start: u64, end: u64) {
        let pack = self.plan.pack;
        let first_event = self.trace.events.len() as u32;
        for (k, ev) in prog.events.iter().enumerate() {
            if !chance(self.rng, ev.chance) {
                continue;
            }
            let u = self.rng.random::<f64>();
            let at_ns = tsim_pack::uniform(start as f64, end as f64, u) as u64;
            let Trace { drawn, text, .. } = &mut *self.trace;
            let range = draw_attrs(pack, self.rng, ev.attrs, &ev.gen_attrs, drawn, text);
            self.trace.events.push(DrawnEvent {
                decl: k as u32,
                at_ns: at_ns.min(end).max(start),
                drawn: range,
            });
        }
        let first_link = self.trace.links.len() as u32;
        for (k, l) in prog.links.iter().enumerate() {
            if !chance(self.rng, l.chance) {
                continue;
            }
            let pick = self.rng.random::<u32>();
            let Trace { drawn, text, .. } = &mut *self.trace;
            let range = draw_attrs(pack, self.rng, l.attrs, &l.gen_attrs, drawn, text);
            self.trace.links.push(DrawnLink {
                decl: k as u32,
                pick,
                drawn: range,
            });
        }
        let (events, links) = (
            (first_event, self.trace.events.len() as u32),
            (first_link, self.trace.links.len() as u32),
        );
        if let Some(s) = self.trace.spans.get_mut(idx) {
            s.events = events;
            s.links = links;
        }
    }
}
