//! Checking the timeline: each entry's schedule fits inside the run (an
//! `every` period is at least 1s), its target is the right kind of thing,
//! it takes only the overrides its kind allows, an entry that lasts no time
//! has no overrides that need a window, and overlapping incidents on one
//! target do not contradict.

use super::Checker;
use crate::ast::{self, Unit, ValueKind};
use crate::diagnostic::{Diagnostic, Kind};
use crate::model::{Entry, Level, Magnitude, Overrides, Schedule};
use crate::source::Span;
use crate::suggest;

/// The shortest `every` period, seconds: closer occurrences would make
/// millions of windows in an ordinary run.
const MIN_PERIOD: f64 = 1.0;

/// The overrides that act over an entry's window (rather than at its start).
const WINDOWED: &[&str] = &["errors", "latency", "rate", "status", "type"];

/// What each action may target, the overrides it takes, and an example.
fn rules(
    action: &str,
) -> (
    &'static [&'static str],
    &'static [&'static str],
    &'static str,
) {
    const FAULT: &[&str] = &["errors", "latency", "status", "type", "message", "severity"];
    match action {
        "outage" | "degradation" | "cascade" => (
            &["service", "database", "queue"],
            FAULT,
            "at 30m for 10m outage \"postgres\" { errors 80% }",
        ),
        "intermittent" => (
            &["service", "database", "queue"],
            FAULT,
            "at 0s for 1h intermittent errors 15%",
        ),
        "deploy" => (
            &["service"],
            &[
                "version", "fails", "errors", "latency", "message", "severity",
            ],
            "at 1h deploy \"api\" version \"2.0.0\"",
        ),
        "config" => (
            &["service", "database", "queue"],
            &["errors", "latency", "message", "severity"],
            "at 1h config \"api\" message \"pool size 10 -> 50\"",
        ),
        "scale" => (
            &["service", "database", "queue"],
            &["instances", "message", "severity"],
            "at 1h scale \"api\" instances 6",
        ),
        "burst" => (
            &["service"],
            &["errors", "message", "severity"],
            "every ~10m for 1m burst x4",
        ),
        _ => (
            &["metric"],
            &["message", "severity"],
            "every ~5m for 20s spike \"system.cpu.utilization\" x3",
        ),
    }
}

fn needs_target(action: &str) -> bool {
    !matches!(action, "intermittent" | "burst")
}

fn needs_magnitude(action: &str) -> bool {
    matches!(action, "spike" | "drop" | "shift" | "trend" | "burst")
}

/// A checked entry plus what the conflict check needs.
struct Checked {
    entry: Entry,
    span: Span,
    window: Option<(f64, f64)>,
}

impl Checker<'_> {
    pub(super) fn timeline(&mut self, timelines: &[&ast::Timeline], duration: f64) -> Vec<Entry> {
        let mut checked: Vec<Checked> = Vec::new();
        for t in timelines {
            for e in &t.entries {
                if let Some(c) = self.entry(e, duration) {
                    checked.push(c);
                }
            }
        }
        self.conflicts(&checked);
        checked.into_iter().map(|c| c.entry).collect()
    }

    fn entry(&mut self, e: &ast::Entry, duration: f64) -> Option<Checked> {
        let action = e.action.node.as_str();
        let (kinds, allowed, example) = rules(action);
        let target = match &e.target {
            Some(t) => self.target(t, kinds),
            None if needs_target(action) => {
                self.v.error(
                    Kind::MissingTarget {
                        action: action.into(),
                        example: example.into(),
                    },
                    e.action.span,
                );
                None
            }
            None => None,
        };
        let magnitude = match &e.magnitude {
            Some(m) => self.magnitude(m),
            None if needs_magnitude(action) => {
                self.v.error(
                    Kind::MissingMagnitude {
                        action: action.into(),
                        example: example.into(),
                    },
                    e.action.span,
                );
                None
            }
            None => None,
        };
        let schedule = self.schedule(
            &e.when,
            action,
            e.overrides.iter().any(|o| o.key.node == "fails"),
            duration,
        );
        let overrides = self.overrides(action, &e.overrides, allowed);
        let timed = match &schedule {
            Some(sch) => self.has_window(e, sch, allowed),
            None => true,
        };
        let window = match &schedule {
            Some(Schedule::Once { start, length, .. }) => Some((*start, start + length)),
            _ => None,
        };
        let entry = Entry {
            action: action.into(),
            target: target.clone(),
            schedule: schedule?,
            magnitude,
            overrides,
        };
        if (e.target.is_some() && target.is_none())
            || (needs_magnitude(action) && entry.magnitude.is_none())
            || !timed
        {
            return None;
        }
        Some(
            Checked {
                entry,
                span: e.span,
                window,
            }
            .entry_with_defaults(),
        )
    }

    fn target(&mut self, t: &ast::Name, kinds: &[&str]) -> Option<(String, String)> {
        let name = &t.node;
        for kind in kinds {
            let found = match *kind {
                "service" => self.names.services.contains_key(name),
                "database" => self.names.databases.contains_key(name),
                "queue" => self.names.queues.contains_key(name),
                _ => self.names.metrics.contains_key(name),
            };
            if found {
                return Some((kind.to_string(), name.clone()));
            }
        }
        let mut candidates: Vec<&str> = Vec::new();
        for kind in kinds {
            match *kind {
                "service" => candidates.extend(self.names.services.keys().map(String::as_str)),
                "database" => candidates.extend(self.names.databases.keys().map(String::as_str)),
                "queue" => candidates.extend(self.names.queues.keys().map(String::as_str)),
                _ => candidates.extend(self.names.metrics.keys().map(String::as_str)),
            }
        }
        let suggestion = suggest::closest(name, candidates);
        let kind = match kinds {
            ["metric"] => Kind::UnknownMetric {
                name: name.clone(),
                suggestion,
            },
            ["service"] => Kind::UnknownService {
                name: name.clone(),
                suggestion,
            },
            _ => Kind::UnknownTarget {
                name: name.clone(),
                expected: a_list(kinds),
                suggestion,
            },
        };
        self.v.error(kind, t.span);
        None
    }

    fn magnitude(&mut self, m: &ast::Value) -> Option<Magnitude> {
        let v = self.v.deref(m)?;
        match &v.node {
            ValueKind::Quantity(q) if q.unit == Unit::Percent => {
                Some(Magnitude::Relative(q.value / 100.0))
            }
            _ => self
                .v
                .level(&v, |s, x| s.factor(x, "the magnitude"))
                .map(Magnitude::Factor),
        }
    }

    fn schedule(
        &mut self,
        when: &ast::When,
        action: &str,
        fails: bool,
        duration: f64,
    ) -> Option<Schedule> {
        match when {
            ast::When::At {
                at,
                ramp,
                for_,
                span,
            } => {
                let start = self.v.duration(at, "the start");
                let ramp_v = ramp.as_ref().map(|r| self.v.duration(r, "the ramp"));
                let for_v = for_
                    .as_ref()
                    .map(|f| self.v.positive_duration(f, "the length"));
                let (start, ramp_v, for_v) = (
                    start?,
                    ramp_v.unwrap_or(Some(0.0))?,
                    for_v.map_or(Some(None), |f| f.map(Some))?,
                );
                let is_event = matches!(action, "deploy" | "config" | "scale");
                let length = match for_v {
                    Some(l) => l,
                    None if is_event && fails => 300.0_f64.min((duration - start).max(0.0)),
                    None if is_event => 0.0,
                    None => (duration - start).max(ramp_v),
                };
                let end = start + length.max(ramp_v);
                if start >= duration || end > duration + 1e-9 {
                    let kind = Kind::WindowOutsideRun {
                        end: fmt_secs(end.max(start)),
                        duration: fmt_secs(duration),
                    };
                    self.v.error(kind, *span);
                    return None;
                }
                if let (Some(r), Some(l)) = (ramp.as_ref(), for_v) {
                    if ramp_v > l {
                        self.v
                            .out_of_range(r, "the ramp", "at most the entry's `for` length");
                        return None;
                    }
                }
                Some(Schedule::Once {
                    start,
                    length: length.max(ramp_v),
                    ramp: ramp_v,
                })
            }
            ast::When::Every { every, for_, .. } => {
                let v = self.v.deref(every)?;
                let (period, jitter) = match &v.node {
                    ValueKind::Approx(q) if q.unit == Unit::Duration => (q.value, true),
                    _ => (self.v.positive_duration(&v, "the period")?, false),
                };
                if period < MIN_PERIOD {
                    let period = self.v.text(v.span);
                    self.v.error(Kind::PeriodTooShort { period }, v.span);
                    return None;
                }
                // Without `for`, an event is an instant and a failing
                // deployment fails for 5 minutes (at most the period).
                let length = match for_ {
                    Some(f) => self.v.positive_duration(f, "the length")?,
                    None if action == "deploy" && fails => 300.0_f64.min(period),
                    None => 0.0,
                };
                if length > period {
                    if let Some(f) = for_ {
                        self.v.out_of_range(
                            f,
                            "the length",
                            &format!("at most the period {}", fmt_secs(period)),
                        );
                    }
                    return None;
                }
                Some(Schedule::Every {
                    period,
                    jitter,
                    length,
                })
            }
        }
    }

    /// An entry that lasts no time (an event without `for`, a repeating
    /// entry without `for`) cannot apply overrides that act over a window,
    /// and a repeating incident, burst or anomaly without one does nothing:
    /// both are reported. False when something was.
    fn has_window(&mut self, e: &ast::Entry, schedule: &Schedule, allowed: &[&str]) -> bool {
        let length = match schedule {
            Schedule::Once { length, .. } | Schedule::Every { length, .. } => *length,
        };
        if length > 0.0 {
            return true;
        }
        let action = e.action.node.as_str();
        let (example, when_span) = match &e.when {
            ast::When::At { at, span, .. } => (
                format!("at {} for 5m {action} ...", self.v.text(at.span)),
                *span,
            ),
            ast::When::Every { every, span, .. } => {
                let period = match schedule {
                    Schedule::Every { period, .. } => *period,
                    Schedule::Once { .. } => 600.0,
                };
                let length = fmt_secs((period / 2.0).min(300.0));
                (
                    format!(
                        "every {} for {length} {action} ...",
                        self.v.text(every.span)
                    ),
                    *span,
                )
            }
        };
        let windowed: Vec<&ast::Prop> = e
            .overrides
            .iter()
            .filter(|p| {
                WINDOWED.contains(&p.key.node.as_str()) && allowed.contains(&p.key.node.as_str())
            })
            .collect();
        let mut found: Vec<(String, Span)> = windowed
            .iter()
            .map(|p| {
                (
                    format!("the `{}` override of this `{action}`", p.key.node),
                    p.key.span,
                )
            })
            .collect();
        let repeating = matches!(schedule, Schedule::Every { .. });
        if found.is_empty() && repeating && !matches!(action, "deploy" | "config" | "scale") {
            found.push((format!("a repeating `{action}`"), e.action.span));
        }
        for (what, span) in &found {
            let kind = Kind::MissingLength {
                what: what.clone(),
                example: example.clone(),
            };
            self.v
                .diags
                .push(Diagnostic::error(kind, *span).with_label(when_span, "no `for` here"));
        }
        found.is_empty()
    }

    fn overrides(&mut self, action: &str, props: &[ast::Prop], allowed: &[&str]) -> Overrides {
        let mut o = Overrides::default();
        let props = self.props(props);
        for (key, p) in &props {
            if !allowed.contains(key) {
                let kind = Kind::UnsupportedOverride {
                    action: action.into(),
                    property: key.to_string(),
                    allowed: allowed.join(", "),
                };
                self.v.error(kind, p.key.span);
                continue;
            }
            let Some(v) = &p.value else { continue };
            match *key {
                "errors" => o.errors = self.v.level(v, |s, x| s.share(x, "the error rate")),
                "latency" => o.latency = self.v.level(v, |s, x| s.factor(x, "the latency factor")),
                "rate" => o.rate = self.v.level(v, |s, x| s.factor(x, "the rate factor")),
                "status" => o.status = self.status(v),
                "type" => o.error_type = self.v.generator(v),
                "version" => o.version = self.v.string(v),
                "fails" => o.fails = self.v.string(v),
                "instances" => {
                    o.instances = self
                        .v
                        .count_in(v, "the instance count", 1, super::services::MAX_INSTANCES)
                        .map(|n| n as u32)
                }
                "message" => o.message = self.v.string(v),
                _ => o.severity = self.v.string(v),
            }
        }
        o
    }

    /// Overlapping one-off entries on one target must not set one override differently.
    fn conflicts(&mut self, checked: &[Checked]) {
        for (i, a) in checked.iter().enumerate() {
            for b in &checked[..i] {
                let (Some((a0, a1)), Some((b0, b1))) = (a.window, b.window) else {
                    continue;
                };
                if a.entry.target.is_none()
                    || a.entry.target != b.entry.target
                    || a0 >= b1
                    || b0 >= a1
                {
                    continue;
                }
                let (x, y) = (&a.entry.overrides, &b.entry.overrides);
                let clash = [
                    (
                        "errors",
                        x.errors.is_some() && y.errors.is_some() && x.errors != y.errors,
                    ),
                    (
                        "latency",
                        x.latency.is_some() && y.latency.is_some() && x.latency != y.latency,
                    ),
                    (
                        "version",
                        x.version.is_some() && y.version.is_some() && x.version != y.version,
                    ),
                    (
                        "instances",
                        x.instances.is_some()
                            && y.instances.is_some()
                            && x.instances != y.instances,
                    ),
                ];
                if let Some((property, _)) = clash.iter().find(|c| c.1) {
                    let target = a
                        .entry
                        .target
                        .as_ref()
                        .map(|t| t.1.clone())
                        .unwrap_or_default();
                    let kind = Kind::ConflictingIncidents {
                        target,
                        property: property.to_string(),
                    };
                    self.v.diags.push(
                        Diagnostic::error(kind, a.span).with_label(b.span, "overlaps this entry"),
                    );
                }
            }
        }
    }
}

impl Checked {
    /// Fills the documented defaults of each incident kind.
    fn entry_with_defaults(mut self) -> Checked {
        let o = &mut self.entry.overrides;
        let full = |x: f64| Some(Level { from: x, to: x });
        match self.entry.action.as_str() {
            "outage" | "cascade" if o.errors.is_none() && o.latency.is_none() => {
                o.errors = full(1.0)
            }
            "degradation" if o.latency.is_none() && o.errors.is_none() => {
                o.latency = Some(Level { from: 1.0, to: 4.0 })
            }
            "intermittent" if o.errors.is_none() => o.errors = full(0.15),
            _ => {}
        }
        self
    }
}

/// Formats seconds as a tsim duration: `1h10m`, `45s`, `0s`.
pub fn fmt_secs(secs: f64) -> String {
    let mut rest = secs.max(0.0).round() as u64;
    if rest == 0 {
        return "0s".into();
    }
    let mut out = String::new();
    for (unit, size) in [("d", 86_400), ("h", 3600), ("m", 60), ("s", 1)] {
        if rest >= size {
            out.push_str(&format!("{}{unit}", rest / size));
            rest %= size;
        }
    }
    out
}

/// `a service, a database or a queue`.
fn a_list(kinds: &[&str]) -> String {
    let items: Vec<String> = kinds.iter().map(|k| format!("a {k}")).collect();
    match items.split_last() {
        Some((last, init)) if !init.is_empty() => format!("{} or {last}", init.join(", ")),
        _ => items.concat(),
    }
}
