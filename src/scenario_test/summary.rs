//! What `tsim test` compares: a stable summary of one scenario's run into
//! NDJSON fixtures: what it compiles to, the run's settings, record
//! counts, a digest of every fixture byte, headline statistics of the root
//! requests (count, failed share, p50, p99) overall and per incident of the
//! answer key, and the first lines of each file.

use std::fmt::Write;
use std::path::Path;

use tsim_runtime::sink::ndjson::{ANSWER_KEY, FILES};

/// First lines shown per fixture file.
const FIRST_LINES: usize = 2;

/// One root request: its start (Unix ns), duration (ms), failed.
struct Root {
    start_ns: i64,
    ms: f64,
    failed: bool,
}

/// FNV-1a, 64 bits: a stable digest of the fixture bytes.
fn fnv(hash: &mut u64, bytes: &[u8]) {
    for b in bytes {
        *hash ^= u64::from(*b);
        *hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
}

/// The root span of a `traces.ndjson` line, if it is one.
fn root(line: &str, n: usize) -> Result<Option<Root>, String> {
    // Only roots are parsed: their parent is empty.
    if !line.contains("\"parent_span_id\":\"\"") {
        return Ok(None);
    }
    let v: serde_json::Value =
        serde_json::from_str(line).map_err(|e| format!("traces.ndjson line {n}: {e}"))?;
    let start = v["timestamp"].as_str().unwrap_or_default();
    Ok(Some(Root {
        start_ns: tsim_runtime::time::parse_start(start, 0)
            .map_err(|e| format!("traces.ndjson line {n}: {e}"))?,
        ms: v["duration_ms"].as_f64().unwrap_or(0.0),
        failed: v["status"] == "error",
    }))
}

/// `N roots, failed X%, p50 Yms, p99 Zms` of the roots in `[from, to)`.
fn headline(roots: &[Root], from: i64, to: i64) -> String {
    let mut ms: Vec<f64> = roots
        .iter()
        .filter(|r| r.start_ns >= from && r.start_ns < to)
        .map(|r| r.ms)
        .collect();
    let failed = roots
        .iter()
        .filter(|r| r.start_ns >= from && r.start_ns < to && r.failed)
        .count();
    if ms.is_empty() {
        return "0 roots".into();
    }
    ms.sort_by(f64::total_cmp);
    let rank = |q: f64| {
        let i = ((q * ms.len() as f64).ceil() as usize).saturating_sub(1);
        ms.get(i.min(ms.len() - 1)).copied().unwrap_or(0.0)
    };
    format!(
        "{} roots, failed {:.2}%, p50 {:.3}ms, p99 {:.3}ms",
        ms.len(),
        failed as f64 * 100.0 / ms.len() as f64,
        rank(0.5),
        rank(0.99)
    )
}

/// What the run was: for the summary's header.
pub struct Header<'a> {
    /// The scenario's name.
    pub name: &'a str,
    /// The file, as given.
    pub file: &'a str,
    /// Pack size and CRC.
    pub pack: (usize, u32),
    /// Seed, start (RFC 3339), duration run and the scenario's own.
    pub run: (u64, String, String, String),
}

/// The summary of a fixture directory written by the run of `h`.
pub fn summarise(h: &Header<'_>, dir: &Path) -> Result<String, String> {
    let read =
        |name: &str| std::fs::read_to_string(dir.join(name)).map_err(|e| format!("{name}: {e}"));
    let mut o = String::new();
    let _ = writeln!(
        o,
        "# tsim test: a summary of this scenario's run; `tsim test --update` rewrites it"
    );
    let _ = writeln!(o, "scenario {:?} from {}", h.name, h.file);
    let _ = writeln!(o, "pack {} bytes, crc32 {:08x}", h.pack.0, h.pack.1);
    let (seed, start, ran, declared) = &h.run;
    let _ = writeln!(
        o,
        "run seed {seed}, start {start}, duration {ran} (declared {declared})"
    );
    let mut digest = 0xcbf2_9ce4_8422_2325u64;
    let mut counts = Vec::new();
    let mut firsts = String::new();
    let mut roots = Vec::new();
    for name in FILES {
        // Streamed line by line: a long run's fixtures need not fit in memory.
        let file = std::fs::File::open(dir.join(name)).map_err(|e| format!("{name}: {e}"))?;
        let mut lines = 0usize;
        for line in std::io::BufRead::lines(std::io::BufReader::new(file)) {
            let line = line.map_err(|e| format!("{name}: {e}"))?;
            fnv(&mut digest, line.as_bytes());
            fnv(&mut digest, b"\n");
            lines += 1;
            if lines <= FIRST_LINES {
                let _ = writeln!(firsts, "  {name}  {line}");
            }
            if name == "traces.ndjson" {
                roots.extend(root(&line, lines)?);
            }
        }
        counts.push(format!("{} {lines}", name.trim_end_matches(".ndjson")));
    }
    let key = read(ANSWER_KEY)?;
    fnv(&mut digest, key.as_bytes());
    let _ = writeln!(o, "records {}", counts.join(", "));
    let _ = writeln!(
        o,
        "digest {digest:016x} (FNV-1a of the four files and the answer key)"
    );
    let _ = writeln!(o, "requests {}", headline(&roots, i64::MIN, i64::MAX));
    let incidents: serde_json::Value =
        serde_json::from_str(&key).map_err(|e| format!("{ANSWER_KEY}: {e}"))?;
    for i in incidents.as_array().into_iter().flatten() {
        let text = |k: &str| i[k].as_str().unwrap_or_default().to_string();
        let at = |k: &str| tsim_runtime::time::parse_start(&text(k), 0);
        let (Ok(from), Ok(to)) = (at("start"), at("end")) else {
            return Err(format!(
                "{ANSWER_KEY}: an incident without a readable start and end: {i}"
            ));
        };
        let _ = writeln!(
            o,
            "incident {} {} {}..{}: {}",
            text("kind"),
            text("root_cause"),
            text("start"),
            text("end"),
            headline(&roots, from, to)
        );
    }
    let _ = writeln!(o, "first lines");
    o.push_str(&firsts);
    Ok(o)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headlines_count_fail_and_rank() {
        let roots: Vec<Root> = (1..=100)
            .map(|i| Root {
                start_ns: i,
                ms: i as f64,
                failed: i % 10 == 0,
            })
            .collect();
        assert_eq!(
            headline(&roots, i64::MIN, i64::MAX),
            "100 roots, failed 10.00%, p50 50.000ms, p99 99.000ms"
        );
        assert_eq!(
            headline(&roots, 1, 11),
            "10 roots, failed 10.00%, p50 5.000ms, p99 10.000ms"
        );
        assert_eq!(headline(&roots, 500, 600), "0 roots");
    }
}
