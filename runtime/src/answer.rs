//! The incident answer key: every incident window of a run, with its kind,
//! start and end, root cause, severity, and the services the simulation
//! actually slowed or failed because of it (ground truth for scoring triage
//! tools). Written as `answer_key.json` beside NDJSON fixtures.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use tsim_pack::program::Target;
use tsim_pack::Pack;

use crate::time::rfc3339;
use crate::timeline::{Cause, Timeline};

/// One incident window.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Incident {
    /// `outage`, `degradation`, `cascade`, `intermittent`, `failed_deployment`.
    pub kind: String,
    /// RFC 3339 start.
    pub start: String,
    /// RFC 3339 end.
    pub end: String,
    /// The service, database or queue at fault (`*` for all).
    pub root_cause: String,
    /// Severity.
    pub severity: String,
    /// Services whose spans the incident slowed or failed, sorted.
    pub affected_services: Vec<String>,
}

fn instant(start_ns: i64, rel: u64) -> String {
    let t = start_ns.saturating_add(rel as i64);
    rfc3339(
        t.div_euclid(1_000_000_000),
        t.rem_euclid(1_000_000_000) as u32,
    )
}

/// The incidents of a run that began at `start_ns` and covered `duration`
/// ns: every occurrence of every incident entry (a repeating entry gives
/// one incident per occurrence), with the services its faults touched.
pub fn incidents(
    pack: &Pack,
    timeline: &Timeline,
    start_ns: i64,
    duration: u64,
    touched: &BTreeMap<Cause, BTreeSet<u32>>,
) -> Vec<Incident> {
    let s = |id: u32| pack.strings.get(id as usize).cloned().unwrap_or_default();
    let name = |r: u32| {
        pack.resources
            .get(r as usize)
            .map_or_else(String::new, |x| s(x.name))
    };
    let mut out = Vec::new();
    for (cause, a, b) in timeline.occurrences(duration) {
        let Some((kind, target, severity)) = timeline
            .blocks
            .get(cause.block as usize)
            .and_then(|blk| blk.incident)
        else {
            continue;
        };
        let mut affected: Vec<String> = touched
            .get(&cause)
            .into_iter()
            .flatten()
            .map(|r| name(*r))
            .collect();
        affected.sort();
        affected.dedup();
        out.push(Incident {
            kind: s(kind),
            start: instant(start_ns, a),
            end: instant(start_ns, b),
            root_cause: match target {
                Target::All => "*".into(),
                Target::Resource(r) => name(r),
            },
            severity: s(severity),
            affected_services: affected,
        });
    }
    out
}

/// The answer key as pretty JSON.
pub fn to_json(incidents: &[Incident]) -> String {
    serde_json::to_string_pretty(incidents).unwrap_or_else(|_| "[]".into())
}
