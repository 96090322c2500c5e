//! What happens at fixed instants of a run: the pack's events at their
//! offsets, the events of repeating blocks at each occurrence, synthesised
//! start and end events of repeating incidents (and the end of a one-off
//! incident cut short by the run's end), the deployments and scalings that
//! change a service's instances (and version), and the windows of failed
//! deployments.

use std::io;

use tsim_pack::program::Target;
use tsim_pack::{StrId, NONE};

use super::Engine;
use crate::plan::Plan;
use crate::sink::{EventRecord, Sink};
use crate::timeline::{Cause, Timeline};

/// What a per-occurrence event of a repeating block is (in the order they
/// are emitted at one instant).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Repeat {
    /// An occurrence of an incident ends.
    End,
    /// An occurrence of an incident starts.
    Start,
    /// A pack event made by the block.
    Event,
}

/// What a deployment or a scaling does to a service's fleet.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Change {
    /// Every instance restarts (on the version, when the deploy names one).
    Deploy(Option<StrId>),
    /// The service runs this many instances from now on.
    Scale(u32),
}

impl Change {
    /// The change an event makes, if any.
    fn of(plan: &Plan<'_>, e: &tsim_pack::EventDef) -> Option<Change> {
        if e.resource == NONE {
            return None;
        }
        match plan.str(e.kind) {
            "deployment" => Some(Change::Deploy(
                Some(e.version).filter(|v| !plan.str(*v).is_empty()),
            )),
            "scaling" if e.instances > 0 => Some(Change::Scale(e.instances)),
            _ => None,
        }
    }
}

/// The run's calendar, built once.
pub(super) struct Calendar {
    /// Pack events at their own offsets, by time.
    pub fixed: Vec<usize>,
    pub next_fixed: usize,
    /// Events of repeating blocks, made per occurrence: (at, what, index).
    pub repeats: Vec<(u64, Repeat, u32)>,
    pub next_repeat: usize,
    /// Failed deployments: (occurrence, start, end, resource).
    pub health: Vec<(Cause, u64, u64, u32)>,
    /// Deployments and scalings: (at, resource, change), by time.
    pub changes: Vec<(u64, u32, Change)>,
    pub next_change: usize,
}

impl Calendar {
    /// The calendar of a run of `duration` ns.
    pub fn new(plan: &Plan<'_>, timeline: &Timeline, duration: u64) -> Calendar {
        let pack = plan.pack;
        let mut repeats = Vec::new();
        // Events of repeating blocks happen at each occurrence, not at the
        // offset written in the pack.
        let mut per_occurrence = vec![false; pack.events.len()];
        for (c, a, _) in timeline.repeating_events(duration) {
            for &e in timeline
                .blocks
                .get(c.block as usize)
                .map_or(&[][..], |b| &b.events)
            {
                repeats.push((a, Repeat::Event, e));
                if let Some(slot) = per_occurrence.get_mut(e as usize) {
                    *slot = true;
                }
            }
        }
        let mut events: Vec<usize> = (0..pack.events.len())
            .filter(|&i| !per_occurrence[i])
            .collect();
        events.sort_by_key(|&i| pack.events[i].at_ns);
        let mut health = Vec::new();
        for (c, a, b) in timeline.occurrences(duration) {
            match timeline.window(c.block as usize) {
                None => {
                    repeats.push((a, Repeat::Start, c.block));
                    repeats.push((b, Repeat::End, c.block));
                }
                // A one-off incident still open when the run ends: its end
                // event is the run's end (the pack's lies beyond it).
                Some((_, end)) if end > duration => repeats.push((duration, Repeat::End, c.block)),
                Some(_) => {}
            }
            let Some((kind, Target::Resource(r), _)) = timeline
                .blocks
                .get(c.block as usize)
                .and_then(|blk| blk.incident)
            else {
                continue;
            };
            if plan.str(kind) == "failed_deployment" {
                health.push((c, a, b, r));
            }
        }
        repeats.sort_unstable();
        let fixed = events.iter().filter_map(|&i| pack.events.get(i));
        let mut changes: Vec<(u64, u32, Change)> = fixed
            .filter_map(|e| Some((e.at_ns, e.resource, Change::of(plan, e)?)))
            .collect();
        for &(at, what, e) in &repeats {
            let ev = pack
                .events
                .get(e as usize)
                .filter(|_| what == Repeat::Event);
            if let Some((ev, c)) = ev.and_then(|ev| Some((ev, Change::of(plan, ev)?))) {
                changes.push((at, ev.resource, c));
            }
        }
        // Stable: two changes at one instant apply in the pack's order.
        changes.sort_by_key(|c| c.0);
        Calendar {
            fixed: events,
            next_fixed: 0,
            repeats,
            next_repeat: 0,
            health,
            changes,
            next_change: 0,
        }
    }
}

impl Engine<'_, '_> {
    /// Events in [t0, t1); the last tick also takes events at the very end.
    pub(super) fn events_until(
        &mut self,
        t1: u64,
        duration: u64,
        sink: &mut dyn Sink,
    ) -> io::Result<()> {
        let due = |at: u64| at < t1 || (t1 == duration && at <= duration);
        while let Some(&i) = self.calendar.fixed.get(self.calendar.next_fixed) {
            let at = self.pack.events[i].at_ns;
            if !due(at) {
                break;
            }
            self.event(i, at, sink)?;
            self.calendar.next_fixed += 1;
        }
        while let Some(&(at, what, id)) = self.calendar.repeats.get(self.calendar.next_repeat) {
            if !due(at) {
                break;
            }
            match what {
                Repeat::Event => self.event(id as usize, at, sink)?,
                Repeat::Start | Repeat::End => {
                    self.repeat_event(at, what == Repeat::Start, id, sink)?
                }
            }
            self.calendar.next_repeat += 1;
        }
        Ok(())
    }

    /// Pack event `i`, happening at `at`.
    fn event(&mut self, i: usize, at: u64, sink: &mut dyn Sink) -> io::Result<()> {
        let Some(e) = self.pack.events.get(i) else {
            return Ok(());
        };
        let version = self.s(e.version);
        sink.event(&EventRecord {
            time_ns: self.abs(at),
            kind: self.s(e.kind),
            service: (e.resource != NONE).then(|| self.res_name(e.resource)),
            details: self.s(e.details),
            severity: self.s(e.severity),
            version: (!version.is_empty()).then_some(version),
        })?;
        self.sum.events += 1;
        Ok(())
    }

    /// `incident_start` or `incident_end` of one occurrence of a repeating
    /// incident (one-off incidents have theirs in the pack).
    fn repeat_event(
        &mut self,
        at: u64,
        start: bool,
        block: u32,
        sink: &mut dyn Sink,
    ) -> io::Result<()> {
        let Some((kind, target, severity)) = self
            .timeline
            .blocks
            .get(block as usize)
            .and_then(|b| b.incident)
        else {
            return Ok(());
        };
        let kind = self.s(kind);
        self.message.clear();
        self.message.push_str(kind);
        self.message
            .push_str(if start { " started" } else { " ended" });
        sink.event(&EventRecord {
            time_ns: self.abs(at),
            kind: if start {
                "incident_start"
            } else {
                "incident_end"
            },
            service: match target {
                Target::Resource(r) => Some(self.res_name(r)),
                Target::All => None,
            },
            details: &self.message,
            severity: self.s(severity),
            version: None,
        })?;
        self.sum.events += 1;
        Ok(())
    }
}
