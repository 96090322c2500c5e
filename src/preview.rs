//! `tsim preview FILE`: a scenario at a glance, as text: its traffic curve
//! over a weekday and a weekend day (one bar per hour, in the scenario's
//! time zone), every timeline window drawn over the run, and one request
//! drawn through each root endpoint.

use std::fmt::Write;
use std::path::Path;
use std::process::ExitCode;

use tsim_pack::program::{Op, Target};
use tsim_pack::Pack;
use tsim_runtime::shape::Shape;
use tsim_runtime::timeline::Timeline;

/// Columns of the bars and of the timeline chart.
const WIDTH: usize = 48;
/// Occurrences of a repeating block drawn at most.
const MAX_OCCURRENCES: u64 = 10_000;

fn s(pack: &Pack, id: u32) -> &str {
    pack.strings.get(id as usize).map_or("?", String::as_str)
}

fn target(pack: &Pack, t: &Target) -> String {
    match t {
        Target::All => "everything".into(),
        Target::Resource(r) => pack
            .resources
            .get(*r as usize)
            .map_or("?".into(), |x| s(pack, x.name).to_string()),
    }
}

fn factor(a: f64, b: f64) -> String {
    if a == b {
        format!("x{a}")
    } else {
        format!("x{a} -> x{b}")
    }
}

/// A timeline block in words: its incident, else its first effect.
fn label(pack: &Pack, timeline: &Timeline, i: usize) -> String {
    let Some(b) = timeline.blocks.get(i) else {
        return String::new();
    };
    if let Some((kind, t, _)) = &b.incident {
        return format!("{} {}", s(pack, *kind), target(pack, t));
    }
    let Some(op) = b.effects().first() else {
        return if b.events.is_empty() {
            "(no effect)".into()
        } else {
            "event".into()
        };
    };
    match op {
        Op::Errors(t, a, b) => format!(
            "errors {} {:.1}% -> {:.1}%",
            target(pack, t),
            a * 100.0,
            b * 100.0
        ),
        Op::Latency(t, a, b) => format!("latency {} {}", target(pack, t), factor(*a, *b)),
        Op::Rate(t, a, b) => format!("traffic {} {}", target(pack, t), factor(*a, *b)),
        Op::Anomaly {
            metric,
            kind,
            from,
            to,
        } => format!("{kind:?} {} {}", s(pack, *metric), factor(*from, *to)).to_lowercase(),
        Op::Shift { metric, relative } => {
            format!("shift {} {:+.0}%", s(pack, *metric), relative * 100.0)
        }
        other => format!("{other:?}").to_lowercase(),
    }
}

fn bar(level: f64) -> String {
    let n = (level * WIDTH as f64).round() as usize;
    "#".repeat(n.min(WIDTH))
}

fn traffic(o: &mut String, pack: &Pack) {
    let shape = Shape::new(pack);
    let zone = pack
        .program
        .iter()
        .find_map(|op| match op {
            Op::Traffic { timezone, .. } => Some(s(pack, *timezone)),
            _ => None,
        })
        .unwrap_or("UTC");
    let _ = writeln!(
        o,
        "traffic: peak {}/s root requests, {zone} (each bar: the hour's start, relative to peak)",
        shape.rate
    );
    for (day, weekend) in [("weekday", false), ("weekend", true)] {
        let _ = writeln!(o, "  {day}");
        for h in 0..24 {
            let level = shape.day_level(f64::from(h) * 3600.0, weekend);
            let _ = writeln!(
                o,
                "    {h:02}:00 {:>7.1}/s {:<WIDTH$} {:>3.0}%",
                shape.rate * level,
                bar(level),
                level * 100.0
            );
        }
    }
}

fn windows(o: &mut String, pack: &Pack) {
    let timeline = Timeline::new(pack, pack.meta.seed);
    let run = pack.meta.duration_ns.max(1);
    let fmt = tsim_runtime::time::format_duration;
    let _ = writeln!(
        o,
        "timeline: over the run's {} (one column: {})",
        fmt(run),
        fmt(run / WIDTH as u64)
    );
    if timeline.blocks.is_empty() {
        let _ = writeln!(o, "  (no timeline entries)");
        return;
    }
    let names: Vec<String> = (0..timeline.blocks.len())
        .map(|i| label(pack, &timeline, i))
        .collect();
    let pad = names.iter().map(String::len).max().unwrap_or(0).min(40);
    for (i, name) in names.iter().enumerate() {
        let mut cols = vec!['.'; WIDTH];
        let mut spans = Vec::new();
        for k in 0..MAX_OCCURRENCES {
            let Some((a, b)) = timeline.occurrence_window(i, k) else {
                break;
            };
            if a >= run {
                break;
            }
            spans.push((a, b.min(run)));
            if !timeline.repeats(i) {
                break;
            }
        }
        for (a, b) in &spans {
            let first = (*a as u128 * WIDTH as u128 / run as u128) as usize;
            let last = ((*b as u128 * WIDTH as u128).div_ceil(run as u128) as usize).max(first + 1);
            for c in cols.iter_mut().take(last.min(WIDTH)).skip(first) {
                *c = '#';
            }
        }
        let when = match spans.as_slice() {
            [] => "after the run".to_string(),
            [(a, b)] => format!("{}..{}", fmt(*a), fmt(*b)),
            many if many.len() as u64 == MAX_OCCURRENCES => {
                format!("{MAX_OCCURRENCES}+ times (drawn up to the {MAX_OCCURRENCES}th)")
            }
            many => format!("{} times", many.len()),
        };
        let name: String = name.chars().take(pad).collect();
        let chart: String = cols.into_iter().collect();
        let _ = writeln!(o, "  {name:<pad$} |{chart}| {when}");
    }
}

/// Runs `tsim preview`.
pub fn run(input: &Path, overrides: Vec<(String, String)>) -> ExitCode {
    let Some(pack) = crate::run::input(input, overrides) else {
        return ExitCode::from(1);
    };
    let mut o = String::new();
    let _ = writeln!(
        o,
        "scenario {:?}: {} at {} ticks, seed {}\n",
        s(&pack, pack.meta.name),
        tsim_runtime::time::format_duration(pack.meta.duration_ns),
        tsim_runtime::time::format_duration(pack.meta.tick_ns),
        pack.meta.seed
    );
    traffic(&mut o, &pack);
    o.push('\n');
    windows(&mut o, &pack);
    let _ = writeln!(
        o,
        "\nsample requests (one drawn through each root endpoint, no faults)"
    );
    o.push_str(&tsim_runtime::inspect::sample_traces(&pack));
    crate::stdout(format_args!("{o}"));
    ExitCode::SUCCESS
}
