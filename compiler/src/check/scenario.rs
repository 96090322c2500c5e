//! Checking the `scenario` block: its name, seed, duration, tick and
//! start (every instant of the run representable as Unix nanoseconds),
//! and its traffic curve (rate, peaks, night and weekend levels, time
//! zone).

use super::Checker;
use crate::ast::Unit;
use crate::diagnostic::{Diagnostic, Kind};
use crate::model::Settings;

impl Checker<'_> {
    pub(super) fn scenario(&mut self, s: &crate::ast::Scenario) -> Settings {
        let mut out = Settings {
            name: s.name.node.clone(),
            ..Settings::default()
        };
        let props = self.props(&s.props);
        if let Some(v) = Self::value(&props, "description") {
            out.description = self.v.string(v).unwrap_or_default();
        }
        if let Some(v) = Self::value(&props, "seed") {
            out.seed = self.v.count(v, "the seed", 0).unwrap_or(out.seed);
        }
        if let Some(v) = Self::value(&props, "duration") {
            out.duration = self
                .v
                .positive_duration(v, "the duration")
                .unwrap_or(out.duration);
        }
        if let Some(v) = Self::value(&props, "tick") {
            if let Some(t) = self.v.positive_duration(v, "the tick") {
                // The runtime steps at least 1 ms at a time; a shorter tick
                // would silently become 1 ms.
                if t < 1e-3 {
                    self.v
                        .out_of_range(v, "the tick", "1ms up to 36500d (100 years)");
                } else {
                    out.tick = t;
                }
            }
        }
        out.variants = self.variants(Self::value(&props, "variants"));
        out.hop =
            Self::value(&props, "hop").and_then(|v| self.v.dist(v, Unit::Duration, "the hop"));
        if let Some(v) = Self::value(&props, "start") {
            if let Some(d) = self.v.deref(v) {
                match d.node {
                    crate::ast::ValueKind::Instant { secs, nanos } => {
                        if run_fits(secs, nanos, out.duration) {
                            out.start = Some((secs, nanos));
                        } else {
                            self.v.out_of_range(
                                &d,
                                "the start",
                                "instants from 1677-09-21T00:12:44Z to 2262-04-11T23:47:16Z, \
                                 the whole run (start plus duration) inside them",
                            );
                        }
                    }
                    _ => {
                        let found = self.v.describe(&d);
                        let hint =
                            Some("write an RFC 3339 instant such as `2026-01-05T00:00:00Z`".into());
                        self.v.error(
                            Kind::UnitMismatch {
                                expected: "an instant".into(),
                                found,
                                hint,
                            },
                            d.span,
                        );
                    }
                }
            }
        }
        for (i, t) in s.traffic.iter().enumerate() {
            if i > 0 {
                let kind = Kind::DuplicateStatement {
                    statement: "traffic".into(),
                };
                self.v.diags.push(
                    Diagnostic::error(kind, t.span)
                        .with_label(s.traffic[0].span, "first given here"),
                );
                continue;
            }
            out.traffic = self.traffic(t);
        }
        out
    }

    fn traffic(&mut self, t: &crate::ast::Traffic) -> crate::model::Traffic {
        let mut out = crate::model::Traffic::default();
        let props = self.props(&t.props);
        if let Some(v) = Self::value(&props, "rate") {
            out.rate = self.v.rate(v, "the traffic rate").unwrap_or(out.rate);
        }
        if let Some(v) = Self::value(&props, "timezone") {
            if let Some(name) = self.v.string(v) {
                if valid_timezone(&name) {
                    out.timezone = name;
                } else {
                    let names: Vec<String> =
                        jiff::tz::db().available().map(|n| n.to_string()).collect();
                    let suggestion =
                        crate::suggest::closest(&name, names.iter().map(String::as_str));
                    self.v.error(Kind::BadTimezone { name, suggestion }, v.span);
                }
            }
        }
        if let Some(v) = Self::value(&props, "peaks") {
            if let crate::ast::ValueKind::List(ws) = &v.node {
                for w in ws {
                    if let crate::ast::ValueKind::Window(a, b) = w.node {
                        if a >= b {
                            let text = self.v.text(w.span);
                            let (low, high) = text.split_once('-').unwrap_or((&text, ""));
                            self.v.error(
                                Kind::EmptyRange {
                                    low: low.into(),
                                    high: high.into(),
                                },
                                w.span,
                            );
                        } else {
                            out.peaks.push((a, b));
                        }
                    }
                }
            }
        }
        if let Some(v) = Self::value(&props, "night") {
            out.night = self.v.share(v, "the night level").unwrap_or(out.night);
        }
        if let Some(v) = Self::value(&props, "weekend") {
            out.weekend = self.v.share(v, "the weekend level").unwrap_or(out.weekend);
        }
        out
    }
}

/// Whether a run from `secs`.`nanos` (Unix time) lasting `duration`
/// seconds has every instant representable as signed 64-bit Unix
/// nanoseconds (what OTLP and the runtime carry): 1677 to 2262.
fn run_fits(secs: i64, nanos: u32, duration: f64) -> bool {
    let start = secs
        .checked_mul(1_000_000_000)
        .and_then(|s| s.checked_add(i64::from(nanos)));
    let length = duration * 1e9;
    match start {
        Some(s) if (0.0..9.2e18).contains(&length) => s.checked_add(length as i64).is_some(),
        _ => false,
    }
}

/// Accepts `UTC`/`GMT`, fixed offsets such as `+02:00`, and names in the
/// IANA time-zone database bundled with jiff (the one the runtime uses).
fn valid_timezone(name: &str) -> bool {
    if matches!(name, "UTC" | "GMT" | "Etc/UTC") {
        return true;
    }
    if let Some(rest) = name.strip_prefix(['+', '-']) {
        return rest.len() == 5 && crate::syntax::parse_offset(rest).is_some();
    }
    jiff::tz::TimeZone::get(name).is_ok()
}
