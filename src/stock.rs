//! The stock library, compiled into the binary: every scenario under
//! `scenarios/` (and the libraries they import), so `tsim run
//! stock:checkout`, `tsim fixtures` and `tsim list` work from any directory
//! without a checkout. Stock files have virtual paths under `stock/`;
//! their imports resolve among themselves.

use std::path::{Path, PathBuf};

/// Every stock file: its path under `scenarios/` and its text.
pub const FILES: &[(&str, &str)] = &[
    ("checkout.tsim", include_str!("../scenarios/checkout.tsim")),
    (
        "claude-code.tsim",
        include_str!("../scenarios/claude-code.tsim"),
    ),
    (
        "demo-stack.tsim",
        include_str!("../scenarios/demo-stack.tsim"),
    ),
    (
        "honeycomb-backfill.tsim",
        include_str!("../scenarios/honeycomb-backfill.tsim"),
    ),
    (
        "ingest-load.tsim",
        include_str!("../scenarios/ingest-load.tsim"),
    ),
    (
        "kubernetes-fleet.tsim",
        include_str!("../scenarios/kubernetes-fleet.tsim"),
    ),
    (
        "lib/triage.tsim",
        include_str!("../scenarios/lib/triage.tsim"),
    ),
    (
        "triage/cascade.tsim",
        include_str!("../scenarios/triage/cascade.tsim"),
    ),
    (
        "triage/degradation.tsim",
        include_str!("../scenarios/triage/degradation.tsim"),
    ),
    (
        "triage/deployment.tsim",
        include_str!("../scenarios/triage/deployment.tsim"),
    ),
    (
        "triage/high-volume.tsim",
        include_str!("../scenarios/triage/high-volume.tsim"),
    ),
    (
        "triage/intermittent.tsim",
        include_str!("../scenarios/triage/intermittent.tsim"),
    ),
    (
        "triage/normal.tsim",
        include_str!("../scenarios/triage/normal.tsim"),
    ),
    (
        "triage/outage.tsim",
        include_str!("../scenarios/triage/outage.tsim"),
    ),
    (
        "triage/transient.tsim",
        include_str!("../scenarios/triage/transient.tsim"),
    ),
];

/// The virtual directory stock files live under.
const ROOT: &str = "stock";

/// `stock:NAME` (`stock:checkout`, `stock:triage/outage`) as a stock
/// file's virtual path, when it names one; other text is not stock.
pub fn path(spec: &Path) -> Option<PathBuf> {
    let name = spec.to_str()?.strip_prefix("stock:")?;
    let name = name.strip_suffix(".tsim").unwrap_or(name);
    let file = format!("{name}.tsim");
    FILES
        .iter()
        .any(|(p, _)| *p == file)
        .then(|| Path::new(ROOT).join(file))
}

/// The error for a `stock:` name that names no stock scenario; `None`
/// for anything else.
pub fn unknown(spec: &Path) -> Option<String> {
    let name = spec.to_str()?.strip_prefix("stock:")?;
    if path(spec).is_some() {
        return None;
    }
    let names: Vec<String> = FILES
        .iter()
        .filter(|(p, _)| !p.starts_with("lib/"))
        .map(|(p, _)| p.trim_end_matches(".tsim").to_string())
        .collect();
    let hint = tsim_compiler::suggest::closest(name, names.iter().map(String::as_str))
        .map_or(String::new(), |s| format!("; did you mean `stock:{s}`?"));
    Some(format!(
        "there is no stock scenario `{name}`{hint} (`tsim list` shows them)"
    ))
}

/// The text of a stock file by its virtual path (`..` resolved, as an
/// import `../lib/triage.tsim` from `stock/triage/` gives it).
pub fn text(path: &Path) -> Option<&'static str> {
    let mut parts: Vec<&str> = Vec::new();
    for c in path.components() {
        match c {
            std::path::Component::Normal(p) => parts.push(p.to_str()?),
            std::path::Component::ParentDir => {
                parts.pop()?;
            }
            std::path::Component::CurDir => {}
            _ => return None,
        }
    }
    let (root, rest) = parts.split_first()?;
    if *root != ROOT {
        return None;
    }
    let rel = rest.join("/");
    FILES.iter().find(|(p, _)| *p == rel).map(|(_, t)| *t)
}

/// Whether a path is a stock file's virtual path.
pub fn is_stock(path: &Path) -> bool {
    text(path).is_some()
}

/// Reads a scenario: a stock file from the binary, anything else from
/// disk (safely, see `tsim_compiler::read`).
pub fn read(path: &Path) -> std::io::Result<String> {
    match text(path) {
        Some(t) => Ok(t.to_string()),
        None => tsim_compiler::read::read_source(path),
    }
}

/// The stock scenarios of `dir` (`""` for the top level, `triage`), by
/// virtual path, sorted; libraries (`lib/`) are not scenarios.
pub fn scenarios(dir: &str) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = FILES
        .iter()
        .filter(|(p, _)| Path::new(p).parent().and_then(Path::to_str) == Some(dir))
        .map(|(p, _)| Path::new(ROOT).join(p))
        .collect();
    out.sort();
    out
}

/// `tsim list`: each stock scenario's `stock:` name and the first line of
/// its opening comment.
pub fn list() -> String {
    let mut out = String::new();
    for dir in ["", "triage"] {
        for p in scenarios(dir) {
            let text = text(&p).unwrap_or("");
            let about = text
                .lines()
                .next()
                .and_then(|l| l.strip_prefix("//"))
                .map_or("", str::trim);
            let rel = p.strip_prefix(ROOT).unwrap_or(&p).with_extension("");
            out.push_str(&format!("stock:{:<26} {about}\n", rel.display()));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_resolve_and_imports_stay_inside_the_library() {
        assert_eq!(
            path(Path::new("stock:checkout")),
            Some(PathBuf::from("stock/checkout.tsim"))
        );
        assert!(path(Path::new("stock:triage/outage")).is_some());
        assert!(path(Path::new("stock:nope")).is_none());
        let e = unknown(Path::new("stock:chekout")).expect("unknown");
        assert!(e.contains("did you mean `stock:checkout`"), "{e}");
        assert!(unknown(Path::new("stock:checkout")).is_none());
        assert!(path(Path::new("scenarios/checkout.tsim")).is_none());
        assert!(text(Path::new("stock/lib/triage.tsim")).is_some());
        assert!(text(Path::new("stock/triage/../lib/triage.tsim")).is_some());
        assert!(text(Path::new("stock/../scenarios/checkout.tsim")).is_none());
        assert_eq!(scenarios("triage").len(), 8);
        assert!(list().contains("stock:triage/outage"));
    }

    #[test]
    fn every_file_under_scenarios_is_built_in() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
        let mut on_disk = Vec::new();
        let mut stack = vec![root.clone()];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).expect("reads scenarios/").flatten() {
                let p = e.path();
                if p.is_dir() {
                    stack.push(p);
                } else if p.extension().is_some_and(|x| x == "tsim") {
                    on_disk.push(p);
                }
            }
        }
        assert_eq!(on_disk.len(), FILES.len(), "add new stock files to FILES");
        for p in on_disk {
            let rel = p.strip_prefix(&root).expect("under scenarios/");
            let rel = rel.to_str().expect("utf-8");
            let text = std::fs::read_to_string(&p).expect("reads");
            let built = FILES.iter().find(|(f, _)| *f == rel).map(|(_, t)| *t);
            assert_eq!(built, Some(text.as_str()), "{rel}");
        }
    }
}
