//! Resolution before checking: loading a root file and everything it
//! imports (relative to the importing file, each file once, cycles and
//! missing files reported at the `import`), then collecting `param`s and
//! applying `--set` overrides to them.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

use crate::ast::{File, Item, Value, ValueKind};
use crate::check::estimate::whole;
use crate::diagnostic::{Diagnostic, Kind};
use crate::select::Chosen;
use crate::source::{FileId, SourceMap, Span};
use crate::suggest;
use crate::syntax;

/// Reads a file's text; tests and the CLI pass `std::fs::read_to_string`.
pub type Reader<'a> = &'a dyn Fn(&Path) -> std::io::Result<String>;

/// A root file and its imports, parsed, in dependency order (imports first).
#[derive(Clone, Debug, Default)]
pub struct Program {
    /// Parsed files.
    pub files: Vec<(FileId, File)>,
}

struct Loader<'a> {
    read: Reader<'a>,
    sources: &'a mut SourceMap,
    diags: Vec<Diagnostic>,
    program: Program,
    /// Canonical paths already loaded.
    seen: Vec<PathBuf>,
    /// Canonical paths and display names on the current import chain.
    stack: Vec<(PathBuf, String)>,
    /// Endpoints, databases and queues declared so far, in every file.
    declared: u64,
    /// Set once [`MAX_DECLARED`] is passed: nothing more is loaded.
    stopped: bool,
}

/// The most endpoints, databases and queues one scenario may declare, with
/// its imports. Checked as each file is parsed, so a scenario past it is
/// refused before its other files are read (a declaration costs a few
/// kilobytes until the pack is built).
pub const MAX_DECLARED: u64 = 100_000;

/// Endpoints, databases and queues declared by `items` (a `select`'s arms
/// all count: any of them may be chosen), and the span of the item that
/// passes `budget`, if one does.
fn declarations(items: &[Item], declared: &mut u64, budget: u64) -> Option<Span> {
    let mut past = None;
    for item in items {
        let n = match item {
            Item::Service(s) => s.endpoints.len() as u64,
            Item::Backend(_) => 1,
            Item::Select(s) => {
                for arm in &s.arms {
                    past = past.or(declarations(&arm.items, declared, budget));
                }
                0
            }
            _ => 0,
        };
        *declared = declared.saturating_add(n);
        if *declared > budget && past.is_none() {
            past = item_span(item);
        }
    }
    past
}

/// The diagnostic for a scenario past [`MAX_DECLARED`], `declared` counted
/// up to the file that passed it.
fn too_many_declared(declared: u64, span: Span) -> Diagnostic {
    Diagnostic::error(
        Kind::TooBig {
            what: "the scenario declares".into(),
            size: format!("at least {} endpoints, databases and queues", whole(declared as f64)),
            limit: whole(MAX_DECLARED as f64),
            hint: "declare fewer services and endpoints: many alike are better one endpoint with `variants`, `repeat` or a `pick` of attribute values".into(),
        },
        span,
    )
}

/// Whether `diags` hold a refusal by [`MAX_DECLARED`]: the program is then
/// incomplete and not checked further.
pub fn stopped_loading(diags: &[Diagnostic]) -> bool {
    diags
        .iter()
        .any(|d| matches!(&d.kind, Kind::TooBig { what, .. } if what == "the scenario declares"))
}

/// Where a declaring item is.
fn item_span(item: &Item) -> Option<Span> {
    match item {
        Item::Service(s) => Some(s.name.span),
        Item::Backend(b) => Some(b.name.span),
        Item::Select(s) => Some(s.span),
        _ => None,
    }
}

/// Joins and normalises a path lexically (no filesystem access, so the
/// result never depends on the machine's absolute layout).
fn normalise(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir if out.file_name().is_some() && !out.ends_with("..") => {
                out.pop();
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// Loads `root` and its imports.
pub fn load(root: &Path, read: Reader<'_>, sources: &mut SourceMap) -> (Program, Vec<Diagnostic>) {
    let mut loader = Loader {
        read,
        sources,
        diags: Vec::new(),
        program: Program::default(),
        seen: Vec::new(),
        stack: Vec::new(),
        declared: 0,
        stopped: false,
    };
    let name = root.display().to_string();
    loader.visit(root, name, None);
    (loader.program, loader.diags)
}

/// Parses source text given directly (no imports are followed).
pub fn load_text(name: &str, text: &str, sources: &mut SourceMap) -> (Program, Vec<Diagnostic>) {
    let id = sources.add(name, text);
    match syntax::parse_file(id, text) {
        Ok(file) => {
            let mut declared = 0;
            if let Some(span) = declarations(&file.items, &mut declared, MAX_DECLARED) {
                return (Program::default(), vec![too_many_declared(declared, span)]);
            }
            (
                Program {
                    files: vec![(id, file)],
                },
                Vec::new(),
            )
        }
        Err(d) => (Program::default(), d),
    }
}

impl Loader<'_> {
    fn visit(&mut self, path: &Path, display: String, from: Option<Span>) {
        let key = std::fs::canonicalize(path).unwrap_or_else(|_| normalise(path));
        if let Some(pos) = self.stack.iter().position(|(p, _)| *p == key) {
            let mut chain: Vec<&str> = self.stack[pos..].iter().map(|(_, n)| n.as_str()).collect();
            chain.push(&display);
            let kind = Kind::ImportCycle {
                chain: chain.join(" -> "),
            };
            let span = from.unwrap_or_default();
            self.diags.push(Diagnostic::error(kind, span));
            return;
        }
        if self.stopped || self.seen.contains(&key) {
            return;
        }
        let text = match (self.read)(path) {
            Ok(t) => t,
            Err(e) => {
                let span = match from {
                    Some(s) => s,
                    None => Span {
                        file: self.sources.add(display.clone(), ""),
                        start: 0,
                        end: 0,
                    },
                };
                let kind = match e.kind() {
                    std::io::ErrorKind::NotFound => Kind::MissingFile {
                        path: display,
                        reason: "no such file".to_string(),
                    },
                    std::io::ErrorKind::PermissionDenied => Kind::MissingFile {
                        path: display,
                        reason: "permission denied".to_string(),
                    },
                    std::io::ErrorKind::InvalidData => Kind::UnreadableFile {
                        path: display,
                        reason: e.to_string(),
                    },
                    _ => Kind::MissingFile {
                        path: display,
                        reason: e.to_string(),
                    },
                };
                self.diags.push(Diagnostic::error(kind, span));
                return;
            }
        };
        self.seen.push(key.clone());
        let id = self.sources.add(display.clone(), text.as_str());
        let file = match syntax::parse_file(id, &text) {
            Ok(f) => f,
            Err(d) => {
                self.diags.extend(d);
                return;
            }
        };
        if let Some(span) = declarations(&file.items, &mut self.declared, MAX_DECLARED) {
            self.stopped = true;
            self.diags.push(too_many_declared(self.declared, span));
            return;
        }
        self.stack.push((key, display.clone()));
        let base = Path::new(&display)
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        let real_base = path.parent().map(Path::to_path_buf).unwrap_or_default();
        for item in &file.items {
            if let Item::Import { path: target, .. } = item {
                let shown = normalise(&base.join(&target.node)).display().to_string();
                self.visit(&real_base.join(&target.node), shown, Some(target.span));
            }
        }
        self.stack.pop();
        self.program.files.push((id, file));
    }
}

fn same_shape(a: &ValueKind, b: &ValueKind) -> bool {
    match (a, b) {
        (ValueKind::Quantity(x), ValueKind::Quantity(y)) => x.unit == y.unit,
        (ValueKind::Str(_) | ValueKind::Ident(_), ValueKind::Str(_) | ValueKind::Ident(_)) => true,
        _ => std::mem::discriminant(a) == std::mem::discriminant(b),
    }
}

/// Reports each cycle of params defined by one another (`param a = $b`,
/// `param b = $a`) once, shown like a call cycle, at the param that starts
/// it in name order.
fn param_cycles(params: &BTreeMap<String, Value>, diags: &mut Vec<Diagnostic>) {
    let mut reported: Vec<&str> = Vec::new();
    for start in params.keys() {
        if reported.contains(&start.as_str()) {
            continue;
        }
        let mut chain: Vec<&str> = vec![start];
        let mut cur = start.as_str();
        while let Some(ValueKind::Param(next)) = params.get(cur).map(|v| &v.node) {
            if let Some(pos) = chain.iter().position(|c| *c == next) {
                let cycle = &chain[pos..];
                if cycle.iter().any(|c| reported.contains(c)) {
                    break;
                }
                reported.extend(cycle.iter().copied());
                let mut names: Vec<&str> = cycle.to_vec();
                names.push(next);
                let first = cycle[0];
                let span = params.get(first).map(|v| v.span).unwrap_or_default();
                diags.push(Diagnostic::error(
                    Kind::ParamCycle {
                        chain: names.join(" -> "),
                    },
                    span,
                ));
                break;
            }
            chain.push(next);
            cur = next;
        }
    }
}

/// Applies the params of chosen `select` arms over the defaults of the
/// file that holds the `select` and of its imports (with a value of the
/// same kind); a file that imports it and redefines the param keeps its
/// own value, as it would over any imported default.
fn arm_params(
    program: &Program,
    chosen: &Chosen,
    params: &mut BTreeMap<String, Value>,
    declared: &mut BTreeMap<String, Span>,
    diags: &mut Vec<Diagnostic>,
) {
    let order = |file| program.files.iter().position(|(id, _)| *id == file);
    for (name, value) in &chosen.params {
        let later = declared
            .get(&name.node)
            .is_some_and(|d| order(d.file) > order(name.span.file));
        if later {
            continue;
        }
        if let Some(earlier) = params.get(&name.node) {
            if !same_shape(&earlier.node, &value.node) {
                let kind = Kind::DuplicateName {
                    what: "param".into(),
                    name: name.node.clone(),
                };
                let first = declared.get(&name.node).copied().unwrap_or(earlier.span);
                diags.push(
                    Diagnostic::error(kind, name.span)
                        .with_label(first, "declared here with a value of another kind"),
                );
                continue;
            }
        }
        declared.insert(name.node.clone(), name.span);
        params.insert(name.node.clone(), value.clone());
    }
}

/// Collects params (reporting duplicates) and applies `--set name=value`
/// overrides; each override's text becomes a source of its own.
pub fn params(
    program: &Program,
    chosen: &Chosen,
    overrides: &[(String, String)],
    sources: &mut SourceMap,
) -> (BTreeMap<String, Value>, Vec<Diagnostic>) {
    let mut diags = Vec::new();
    let mut params: BTreeMap<String, Value> = BTreeMap::new();
    let mut declared: BTreeMap<String, Span> = BTreeMap::new();
    // Files come imports-first, so a later file may redefine an imported
    // param (with a value of the same kind) to give it its own default;
    // within one file a name is declared once.
    for (_, file) in &program.files {
        for item in &file.items {
            if let Item::Param { name, value, .. } = item {
                if let Some(first) = declared.get(&name.node) {
                    let earlier = params.get(&name.node).map(|v| &v.node);
                    if first.file != name.span.file
                        && earlier.is_some_and(|e| same_shape(e, &value.node))
                    {
                        declared.insert(name.node.clone(), name.span);
                        params.insert(name.node.clone(), value.clone());
                        continue;
                    }
                    let kind = Kind::DuplicateName {
                        what: "param".into(),
                        name: name.node.clone(),
                    };
                    diags.push(
                        Diagnostic::error(kind, name.span).with_label(*first, "first defined here"),
                    );
                    continue;
                }
                declared.insert(name.node.clone(), name.span);
                params.insert(name.node.clone(), value.clone());
            }
        }
    }
    arm_params(program, chosen, &mut params, &mut declared, &mut diags);
    param_cycles(&params, &mut diags);
    for (name, text) in overrides {
        if let Some(v) = chosen.set.get(name) {
            params.insert(name.clone(), v.clone());
            continue;
        }
        let shown = format!("{name}={text}");
        let id = sources.add(format!("--set {name}"), text.as_str());
        let whole = Span {
            file: id,
            start: 0,
            end: u32::try_from(text.len()).unwrap_or(u32::MAX),
        };
        let Some(default) = params.get(name) else {
            let reason = match suggest::closest(name, params.keys().map(String::as_str)) {
                Some(s) => format!("there is no param `{name}`; did you mean `{s}`?"),
                None if params.is_empty() => {
                    format!("there is no param `{name}`; this scenario declares none")
                }
                None => format!(
                    "there is no param `{name}`; the params are: {}",
                    params.keys().cloned().collect::<Vec<_>>().join(", ")
                ),
            };
            diags.push(Diagnostic::error(
                Kind::BadOverride {
                    text: shown,
                    reason,
                },
                whole,
            ));
            continue;
        };
        match syntax::parse_value(id, text) {
            Ok(v)
                if same_shape(&v.node, &default.node)
                    || matches!(default.node, ValueKind::Param(_)) =>
            {
                params.insert(name.clone(), v);
            }
            Ok(_) => {
                let default_text = sources.text(default.span).to_string();
                let reason =
                    format!("the value must be of the same kind as the default `{default_text}`");
                diags.push(
                    Diagnostic::error(
                        Kind::BadOverride {
                            text: shown,
                            reason,
                        },
                        whole,
                    )
                    .with_label(default.span, "the default"),
                );
            }
            Err(d) => diags.extend(d),
        }
    }
    (params, diags)
}
