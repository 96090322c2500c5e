//! Output directories: what tsim may write into. A directory holding
//! anything tsim did not write, or symlinks, is refused unless `--force`;
//! an earlier tree of tsim's own files is replaced.

use std::path::Path;

use tsim_runtime::sink::ndjson::ANSWER_KEY;
use tsim_runtime::sink::output;

/// What a directory of an output tree may hold.
#[derive(Clone, Copy)]
pub enum Shape {
    /// Only these files (and their temporaries).
    Files(&'static [&'static str]),
    /// A fixture tree's root: `normal/`, `incidents/`, `noise/`.
    Tree,
    /// `incidents/` or `noise/`: fixture folders.
    Group,
    /// `normal/`: a fixture folder that may hold more fixture folders.
    Normal,
}

/// Refuses to write into `dir` when it holds anything tsim would not write
/// there, or when it or one of tsim's names in it is a symlink, unless
/// `force` (then foreign files are left alone and symlinked names are
/// replaced by the rename, never written through). A missing `dir` is fine.
pub fn check_dir(dir: &Path, force: bool, shape: Shape) -> Result<(), String> {
    let choose = "or choose an empty directory";
    let meta = match std::fs::symlink_metadata(dir) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(format!("cannot read {}: {e}", dir.display())),
    };
    if meta.file_type().is_symlink() {
        if !force {
            return Err(format!(
                "{} is a symlink; pass --force to write into where it points, {choose}",
                dir.display()
            ));
        }
    } else if !meta.is_dir() {
        return Err(format!("{} exists and is not a directory", dir.display()));
    }
    if !dir.is_dir() {
        return Err(format!("{} exists and is not a directory", dir.display()));
    }
    let entries =
        std::fs::read_dir(dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
    let mut names: Vec<_> = entries.flatten().map(|e| e.file_name()).collect();
    names.sort();
    for name in names {
        let path = dir.join(&name);
        let text = name.to_string_lossy();
        let kind = std::fs::symlink_metadata(&path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?
            .file_type();
        let own_file = |names: &[&str]| {
            names.contains(&text.as_ref())
                || output::temp_owner(&text).is_some_and(|o| names.contains(&o))
        };
        let sub = match shape {
            Shape::Files(files) if own_file(files) => None,
            Shape::Normal if own_file(NDJSON_FILES) => None,
            Shape::Tree => match text.as_ref() {
                "normal" => Some(Shape::Normal),
                "incidents" | "noise" => Some(Shape::Group),
                _ => {
                    foreign(&path, force)?;
                    continue;
                }
            },
            Shape::Group | Shape::Normal => Some(Shape::Files(NDJSON_FILES)),
            Shape::Files(_) => {
                foreign(&path, force)?;
                continue;
            }
        };
        match sub {
            None if kind.is_symlink() && !force => {
                return Err(format!(
                    "{} is a symlink; pass --force to replace the link itself (its target is left alone), {choose}",
                    path.display()
                ))
            }
            None if kind.is_file() || kind.is_symlink() => {}
            None => foreign(&path, force)?,
            Some(sub) if kind.is_dir() || kind.is_symlink() => check_dir(&path, force, sub)?,
            Some(_) => foreign(&path, force)?,
        }
    }
    Ok(())
}

/// The names tsim writes in a fixture folder (`tsim run --to ndjson:DIR`):
/// the four NDJSON files and the answer key.
pub const NDJSON_FILES: &[&str] = &[
    "metrics.ndjson",
    "logs.ndjson",
    "traces.ndjson",
    "events.ndjson",
    ANSWER_KEY,
];

/// The error for an entry tsim did not write (none with `force`).
fn foreign(path: &Path, force: bool) -> Result<(), String> {
    if force {
        return Ok(());
    }
    let dir = path.parent().unwrap_or(Path::new("."));
    Err(format!(
        "{} is not empty: {} was not written by tsim; pass --force to replace tsim's files (others are left alone), or choose an empty directory",
        dir.display(),
        path.display()
    ))
}
