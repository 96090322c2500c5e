//! The fixture tree of REFERENCE E: which folder a scenario's fixtures go
//! in (`normal`, `incidents/<name>`, `noise/<name>`), decided from what its
//! timeline does.

use tsim_pack::program::Op;
use tsim_pack::Pack;

/// Incident kinds that make a scenario an incident fixture.
const INCIDENTS: &[&str] = &["outage", "degradation", "cascade", "failed_deployment"];

/// The folder (relative to the tree's root) for a scenario named `stem`.
pub fn folder(pack: &Pack, stem: &str) -> String {
    let s = |id: u32| pack.strings.get(id as usize).map_or("", String::as_str);
    let incident = pack
        .program
        .iter()
        .any(|op| matches!(op, Op::Incident { kind, .. } if INCIDENTS.contains(&s(*kind))));
    let timeline = pack
        .program
        .iter()
        .any(|op| matches!(op, Op::At { .. } | Op::Every { .. }));
    if incident {
        format!("incidents/{stem}")
    } else if timeline {
        format!("noise/{stem}")
    } else if stem == "normal" {
        "normal".into()
    } else {
        format!("normal/{stem}")
    }
}
