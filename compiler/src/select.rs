//! `select $param { "name" { ... } ... }`: named presets in one scenario.
//! Before params are collected, each `select` is replaced by the items of
//! the arm its param names (the param's quoted default, or `--set
//! param=NAME`); the params an arm declares override the file's defaults.

use std::collections::BTreeMap;

use crate::ast::{Arm, Item, Select, Value, ValueKind};
use crate::diagnostic::{Diagnostic, Kind};
use crate::resolve::Program;
use crate::source::{SourceMap, Span, Spanned};
use crate::suggest;

/// What choosing did: the params the arms declared (to override the
/// files' defaults) and the choosing params' values as given by `--set`.
#[derive(Debug, Default)]
pub struct Chosen {
    /// `param` items of the chosen arms, in source order.
    pub params: Vec<(Spanned<String>, Value)>,
    /// For each choosing param set with `--set`, its value as a string.
    pub set: BTreeMap<String, Value>,
    /// The arms chosen: (param, arm name).
    pub arms: Vec<(String, String)>,
}

/// Replaces every `select` in `program` by its chosen arm's items.
pub fn choose(
    program: &mut Program,
    overrides: &[(String, String)],
    sources: &mut SourceMap,
) -> (Chosen, Vec<Diagnostic>) {
    let mut chosen = Chosen::default();
    let mut diags = Vec::new();
    let defaults = string_defaults(program);
    for (name, text) in overrides {
        if defaults.contains_key(name) && selects(program).any(|s| s.param.node == *name) {
            let id = sources.add(format!("--set {name}"), text.as_str());
            let span = Span {
                file: id,
                start: 0,
                end: u32::try_from(text.len()).unwrap_or(u32::MAX),
            };
            let plain = text.trim().trim_matches('"').to_string();
            chosen
                .set
                .insert(name.clone(), Spanned::new(ValueKind::Str(plain), span));
        }
    }
    for (_, file) in &mut program.files {
        let items = std::mem::take(&mut file.items);
        for item in items {
            let Item::Select(select) = item else {
                file.items.push(item);
                continue;
            };
            let value = chosen
                .set
                .get(&select.param.node)
                .or_else(|| defaults.get(&select.param.node));
            let Some(arm) = pick(&select, value, &mut diags) else {
                continue;
            };
            chosen
                .arms
                .push((select.param.node.clone(), arm.name.node.clone()));
            let mut declared: BTreeMap<String, Span> = BTreeMap::new();
            for item in arm.items {
                match item {
                    Item::Param { name, value, .. } => {
                        if let Some(first) = declared.get(&name.node) {
                            let kind = Kind::DuplicateName {
                                what: "param".into(),
                                name: name.node.clone(),
                            };
                            diags.push(
                                Diagnostic::error(kind, name.span)
                                    .with_label(*first, "first defined here"),
                            );
                            continue;
                        }
                        declared.insert(name.node.clone(), name.span);
                        chosen.params.push((name, value));
                    }
                    other => file.items.push(other),
                }
            }
        }
    }
    (chosen, diags)
}

/// Every arm of every `select` on a declared param: (its param, its name,
/// where it is named).
pub fn arms(program: &Program) -> Vec<(String, String, Span)> {
    let declared = string_defaults(program);
    selects(program)
        .filter(|s| declared.contains_key(&s.param.node))
        .flat_map(|s| {
            s.arms
                .iter()
                .map(|a| (s.param.node.clone(), a.name.node.clone(), a.name.span))
        })
        .collect()
}

fn selects(program: &Program) -> impl Iterator<Item = &Select> {
    program.files.iter().flat_map(|(_, f)| {
        f.items.iter().filter_map(|i| match i {
            Item::Select(s) => Some(s),
            _ => None,
        })
    })
}

/// The last top-level definition of each param (files come imports
/// first, so a later file's default wins, as in `resolve::params`).
fn string_defaults(program: &Program) -> BTreeMap<String, Value> {
    let mut out = BTreeMap::new();
    for (_, file) in &program.files {
        for item in &file.items {
            if let Item::Param { name, value, .. } = item {
                out.insert(name.node.clone(), value.clone());
            }
        }
    }
    out
}

/// Reports arms named twice (the second could never be chosen).
fn duplicate_arms(select: &Select, diags: &mut Vec<Diagnostic>) {
    for (i, arm) in select.arms.iter().enumerate() {
        if let Some(first) = select.arms[..i]
            .iter()
            .find(|a| a.name.node == arm.name.node)
        {
            let kind = Kind::DuplicateName {
                what: "select arm".into(),
                name: arm.name.node.clone(),
            };
            diags.push(
                Diagnostic::error(kind, arm.name.span)
                    .with_label(first.name.span, "first defined here"),
            );
        }
    }
}

/// The arm `value` names, or a diagnostic saying why there is none.
fn pick(select: &Select, value: Option<&Value>, diags: &mut Vec<Diagnostic>) -> Option<Arm> {
    duplicate_arms(select, diags);
    let param = select.param.node.clone();
    let Some(value) = value else {
        let reason = "there is no such param".to_string();
        diags.push(Diagnostic::error(
            Kind::BadChoiceParam { param, reason },
            select.param.span,
        ));
        return None;
    };
    let ValueKind::Str(wanted) = &value.node else {
        let reason = "its value must be a quoted string naming an arm".to_string();
        diags.push(
            Diagnostic::error(Kind::BadChoiceParam { param, reason }, select.param.span)
                .with_label(value.span, "its value"),
        );
        return None;
    };
    if let Some(arm) = select.arms.iter().find(|a| a.name.node == *wanted) {
        return Some(arm.clone());
    }
    let names = select.arms.iter().map(|a| a.name.node.as_str());
    let suggestion = suggest::closest(wanted, names.clone());
    let mut arms = names
        .map(|n| format!("\"{n}\""))
        .collect::<Vec<_>>()
        .join(", ");
    if arms.is_empty() {
        arms = "none (this `select` is empty)".into();
    }
    diags.push(
        Diagnostic::error(
            Kind::UnknownChoice {
                param,
                value: wanted.clone(),
                arms,
                suggestion,
            },
            value.span,
        )
        .with_label(select.param.span, "the select"),
    );
    None
}
