//! `tsim fixtures --list DIR`: lists a fixture tree made by `tsim
//! fixtures` (`normal/`, `normal/<name>/`, `incidents/<name>/`,
//! `noise/<name>/`) with the records in each of its four NDJSON files and
//! the entries of its answer key, in the layout `tsim fixtures` prints.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use tsim_runtime::sink::ndjson::{ANSWER_KEY, FILES};

/// The largest answer key read (they hold one entry per incident).
const MAX_ANSWER_KEY: u64 = 64 << 20;

/// One fixture folder's counts; `None` for a file that is missing or
/// unreadable (the problem is in `problems`).
struct Row {
    name: String,
    records: [Option<u64>; 4],
    incidents: Option<usize>,
}

/// Runs `tsim fixtures --list DIR`.
pub fn run(dir: &Path) -> ExitCode {
    let folders = match folders(dir) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(1);
        }
    };
    let mut problems = Vec::new();
    crate::fixtures::table_row(
        "fixture",
        ["metrics", "logs", "traces", "events", "incidents"].map(String::from),
    );
    for (name, path) in &folders {
        let row = row(name, path, &mut problems);
        let cell = |n: Option<u64>| n.map_or("-".to_string(), |n| n.to_string());
        let incidents = row.incidents.map(|n| n as u64);
        let [m, l, t, e] = row.records;
        crate::fixtures::table_row(&row.name, [m, l, t, e, incidents].map(cell));
    }
    crate::outln!("{} fixtures under {}", folders.len(), dir.display());
    for p in &problems {
        eprintln!("error: {p}");
    }
    if problems.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// The fixture folders of the tree at `dir`, by their names in it
/// (`normal`, `incidents/outage`), sorted within each group. Errors when
/// `dir` is not a directory or holds no fixture group; other entries are
/// named on stderr and skipped.
fn folders(dir: &Path) -> Result<Vec<(String, PathBuf)>, String> {
    let make = format!("make one with `tsim fixtures --out {}`", dir.display());
    let meta = std::fs::metadata(dir).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => format!("{} does not exist; {make}", dir.display()),
        _ => format!("cannot read {}: {e}", dir.display()),
    })?;
    if !meta.is_dir() {
        return Err(format!("{} is not a directory; {make}", dir.display()));
    }
    let mut out = Vec::new();
    let (mut groups, mut skipped) = (0, Vec::new());
    for (name, path) in entries(dir)? {
        match name.as_str() {
            "normal" if is_dir(&path) => {
                groups += 1;
                if FILES.iter().any(|f| path.join(f).exists()) {
                    out.push(("normal".to_string(), path.clone()));
                }
                out.extend(subfolders("normal", &path)?);
            }
            "incidents" | "noise" if is_dir(&path) => {
                groups += 1;
                out.extend(subfolders(&name, &path)?);
            }
            _ => skipped.push(path),
        }
    }
    if groups == 0 {
        return Err(format!(
            "{} is not a fixture tree: it has no normal/, incidents/ or noise/ folder; {make}",
            dir.display()
        ));
    }
    for p in skipped {
        eprintln!("note: skipped {}: not part of a fixture tree", p.display());
    }
    Ok(out)
}

/// The fixture folders directly under `group` (files of a `normal`
/// fixture itself are not folders and are passed over quietly).
fn subfolders(group: &str, path: &Path) -> Result<Vec<(String, PathBuf)>, String> {
    let mut out = Vec::new();
    for (name, p) in entries(path)? {
        if is_dir(&p) {
            out.push((format!("{group}/{name}"), p));
        } else if !(group == "normal" && (FILES.contains(&name.as_str()) || name == ANSWER_KEY)) {
            eprintln!("note: skipped {}: not a fixture folder", p.display());
        }
    }
    Ok(out)
}

/// The entries of `dir`, sorted by name.
fn entries(dir: &Path) -> Result<Vec<(String, PathBuf)>, String> {
    let rd = std::fs::read_dir(dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
    let mut out: Vec<(String, PathBuf)> = rd
        .flatten()
        .map(|e| (e.file_name().to_string_lossy().into_owned(), e.path()))
        .collect();
    out.sort();
    Ok(out)
}

/// A real directory (a symlink is not followed).
fn is_dir(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.is_dir())
}

/// One fixture folder's counts; what could not be counted goes to
/// `problems`.
fn row(name: &str, path: &Path, problems: &mut Vec<String>) -> Row {
    let mut records = [None; 4];
    for (slot, file) in records.iter_mut().zip(FILES) {
        match count_lines(&path.join(file)) {
            Ok(n) => *slot = Some(n),
            Err(e) => problems.push(format!("{name}: {e}")),
        }
    }
    let incidents = match answer_key(&path.join(ANSWER_KEY)) {
        Ok(n) => Some(n),
        Err(e) => {
            problems.push(format!("{name}: {e}"));
            None
        }
    };
    Row {
        name: name.to_string(),
        records,
        incidents,
    }
}

/// The records (non-empty lines) of an NDJSON file, read in blocks.
fn count_lines(path: &Path) -> Result<u64, String> {
    let mut f = open(path)?;
    let mut buf = vec![0u8; 1 << 16];
    let (mut lines, mut in_line) = (0u64, false);
    loop {
        let n = f
            .read(&mut buf)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let Some(block) = buf.get(..n).filter(|b| !b.is_empty()) else {
            break;
        };
        for &b in block {
            if b == b'\n' {
                lines += u64::from(in_line);
                in_line = false;
            } else {
                in_line = true;
            }
        }
    }
    Ok(lines + u64::from(in_line))
}

/// The number of entries in an answer key (a JSON array).
fn answer_key(path: &Path) -> Result<usize, String> {
    let f = open(path)?;
    let mut text = String::new();
    f.take(MAX_ANSWER_KEY + 1)
        .read_to_string(&mut text)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    if text.len() as u64 > MAX_ANSWER_KEY {
        return Err(format!(
            "{} is larger than {} MiB; not an answer key tsim wrote",
            path.display(),
            MAX_ANSWER_KEY >> 20
        ));
    }
    match serde_json::from_str::<serde_json::Value>(&text) {
        Ok(serde_json::Value::Array(entries)) => Ok(entries.len()),
        Ok(_) => Err(format!("{} is not a JSON array", path.display())),
        Err(e) => Err(format!("{} is not valid JSON: {e}", path.display())),
    }
}

/// Opens a fixture file, saying which is missing.
fn open(path: &Path) -> Result<std::fs::File, String> {
    std::fs::File::open(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => format!("{} is missing", path.display()),
        _ => format!("cannot read {}: {e}", path.display()),
    })
}
