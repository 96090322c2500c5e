//! `tsim inspect`'s text form: stable, line-oriented, snapshot-tested.

use std::fmt::Write;

use tsim_pack::{crc32, Pack, ResourceKind};

use super::drawn::{drawn_traces, log_gens};
use super::{count_steps, num, secs, View, METRIC_LINES};

/// Renders a pack (and the bytes it was read from) as stable text.
pub fn text(pack: &Pack, bytes: &[u8]) -> String {
    let v = View { pack, bytes };
    let m = &pack.meta;
    let mut o = String::new();
    let crc = crc32(bytes.get(..bytes.len().saturating_sub(4)).unwrap_or(&[]));
    let _ = writeln!(
        o,
        "pack {:?}: format {}, {} bytes, crc32 {crc:08x}",
        v.s(m.name),
        tsim_pack::FORMAT_VERSION,
        bytes.len()
    );
    let start = m
        .start
        .map_or("(none)".to_string(), |(s, n)| crate::time::rfc3339(s, n));
    let _ = writeln!(
        o,
        "seed {}, duration {}, tick {}, start {start}",
        m.seed,
        secs(m.duration_ns),
        secs(m.tick_ns)
    );
    if !v.s(m.description).is_empty() {
        let _ = writeln!(o, "description {:?}", v.s(m.description));
    }
    let _ = writeln!(o, "\nsections");
    for (tag, len) in v.sections() {
        let _ = writeln!(o, "  {tag}  {len:>10} B");
    }
    let steps = count_steps(pack);
    let services = pack
        .resources
        .iter()
        .filter(|r| r.kind == ResourceKind::Service)
        .count();
    let series: usize = pack.series_sets.iter().map(|s| s.rows.len()).sum();
    let metric_series: usize = pack
        .metrics
        .iter()
        .map(|m| {
            pack.series_sets
                .get(m.series_set as usize)
                .map_or(0, |s| s.rows.len())
        })
        .sum();
    let log_shapes: usize = pack.logs.streams.iter().map(|s| s.shapes as usize).sum();
    let _ = writeln!(o, "\ncounts");
    let _ = writeln!(o, "  strings          {}", pack.strings.len());
    let _ = writeln!(o, "  attribute sets   {}", pack.attr_sets.len());
    let _ = writeln!(
        o,
        "  resources        {} ({services} services, {} backends)",
        pack.resources.len(),
        pack.resources.len() - services
    );
    let _ = writeln!(
        o,
        "  endpoints        {} with {steps} steps; {} roots",
        pack.calls.endpoints.len(),
        pack.calls.roots.len()
    );
    let _ = writeln!(
        o,
        "  metrics          {} with {metric_series} series ({} series sets, {series} rows)",
        pack.metrics.len(),
        pack.series_sets.len()
    );
    let _ = writeln!(
        o,
        "  log streams      {} with {log_shapes} fixed shapes; span log rules {}",
        pack.logs.streams.len(),
        pack.logs.span_rules.len()
    );
    let _ = writeln!(o, "  events           {}", pack.events.len());
    let _ = writeln!(o, "  program          {} instructions", pack.program.len());

    let _ = writeln!(o, "\nresources");
    for (i, r) in pack.resources.iter().enumerate() {
        let kind = match r.kind {
            ResourceKind::Service => "service",
            ResourceKind::Database => "database",
            ResourceKind::Queue => "queue",
        };
        let _ = writeln!(
            o,
            "  [{i}] {kind} {:?} version {:?} x{} {}",
            v.s(r.name),
            v.s(r.version),
            r.instances,
            v.attrs(r.attrs)
        );
    }

    let _ = writeln!(
        o,
        "\ntraces (one request drawn through each root endpoint; values vary per request)"
    );
    drawn_traces(&mut o, &v, pack);

    let _ = writeln!(o, "\nmetrics");
    for m in pack.metrics.iter().take(METRIC_LINES) {
        let _ = writeln!(o, "  {}", v.metric_line(m));
    }
    if pack.metrics.len() > METRIC_LINES {
        let _ = writeln!(
            o,
            "  ... {} more metrics",
            pack.metrics.len() - METRIC_LINES
        );
    }
    let _ = writeln!(o, "\nlogs");
    for s in &pack.logs.streams {
        let shapes = if s.shapes == 0 {
            "drawn per record".to_string()
        } else {
            format!("{} fixed shapes", s.shapes)
        };
        let _ = writeln!(
            o,
            "  stream {:?} from {} at {}/s, {shapes}",
            v.s(s.name),
            v.resource(s.resource),
            num(s.rate),
        );
        log_gens(&mut o, &v, &s.level, &s.message, s.attrs, &s.gen_attrs);
    }
    for r in &pack.logs.span_rules {
        let _ = writeln!(
            o,
            "  from spans ({})",
            if r.errors_only { "errors" } else { "access" },
        );
        log_gens(&mut o, &v, &r.level, &r.message, r.attrs, &r.gen_attrs);
    }
    let _ = writeln!(o, "\nevents");
    for (i, e) in pack.events.iter().enumerate() {
        let _ = writeln!(
            o,
            "  #{i} at {} {} {} {:?} severity={} version={:?}",
            secs(e.at_ns),
            v.s(e.kind),
            v.resource(e.resource),
            v.s(e.details),
            v.s(e.severity),
            v.s(e.version)
        );
    }
    let _ = writeln!(o, "\nprogram");
    for (at, op) in tsim_pack::program::offsets(&pack.program)
        .iter()
        .zip(&pack.program)
    {
        let _ = writeln!(o, "  {at:04x}  {}", v.op(op));
    }
    o
}
