//! Attribute values as sinks see them, and the one function that turns a
//! value into text (log placeholders, NDJSON labels, `error.type`).

use tsim_pack::{Attr, AttrValue, Pack};

use super::fmt;
use crate::draw::values::{DVal, Drawn};

/// A typed attribute or label value.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Value<'a> {
    /// Text.
    Str(&'a str),
    /// Integer.
    Int(i64),
    /// Float.
    Float(f64),
    /// Boolean.
    Bool(bool),
}

impl<'a> Value<'a> {
    /// A pack value, its strings resolved.
    pub fn from_attr(pack: &'a Pack, v: AttrValue) -> Value<'a> {
        match v {
            AttrValue::Str(s) => {
                Value::Str(pack.strings.get(s as usize).map_or("", String::as_str))
            }
            AttrValue::Int(i) => Value::Int(i),
            AttrValue::Float(f) => Value::Float(f),
            AttrValue::Bool(b) => Value::Bool(b),
        }
    }

    /// A drawn value, its text resolved against the pack and the arena.
    pub fn from_drawn(pack: &'a Pack, text: &'a str, v: DVal) -> Value<'a> {
        match v {
            DVal::Str(s) => Value::Str(pack.strings.get(s as usize).map_or("", String::as_str)),
            DVal::Text(a, b) => Value::Str(text.get(a as usize..b as usize).unwrap_or("")),
            DVal::Int(i) => Value::Int(i),
            DVal::Float(f) => Value::Float(f),
            DVal::Bool(b) => Value::Bool(b),
        }
    }

    /// Appends the value as text.
    pub fn write(&self, out: &mut String) {
        match *self {
            Value::Str(s) => out.push_str(s),
            Value::Int(i) => {
                use std::fmt::Write;
                let _ = write!(out, "{i}");
            }
            Value::Float(f) => fmt::number(out, f),
            Value::Bool(b) => out.push_str(if b { "true" } else { "false" }),
        }
    }
}

/// Appends a drawn value's text (used for `{attribute}` in patterns).
pub fn write_dval(out: &mut String, pack: &Pack, arena: &str, v: DVal) {
    Value::from_drawn(pack, arena, v).write(out)
}

fn key(pack: &Pack, k: u32) -> &str {
    pack.strings.get(k as usize).map_or("", String::as_str)
}

/// A span's or record's attributes: constant ones from the pack, then the
/// ones drawn for this request, then the ones the walk worked out for it
/// (`url.full`, `rpc.response.status_code`), which count as drawn.
#[derive(Clone, Copy, Debug)]
pub struct Attributes<'a> {
    pack: &'a Pack,
    constant: &'a [Attr],
    drawn: &'a [Drawn],
    text: &'a str,
    extra: &'a [(&'a str, Value<'a>)],
}

impl<'a> Attributes<'a> {
    /// Attributes from a constant set and drawn values.
    pub fn new(pack: &'a Pack, set: u32, drawn: &'a [Drawn], text: &'a str) -> Attributes<'a> {
        let constant = pack
            .attr_sets
            .get(set as usize)
            .map_or(&[][..], Vec::as_slice);
        Attributes {
            pack,
            constant,
            drawn,
            text,
            extra: &[],
        }
    }

    /// These attributes and `extra` after the drawn ones.
    pub fn with_extra(self, extra: &'a [(&'a str, Value<'a>)]) -> Attributes<'a> {
        Attributes { extra, ..self }
    }

    /// Constant attributes only.
    pub fn constant(pack: &'a Pack, constant: &'a [Attr]) -> Attributes<'a> {
        Attributes {
            pack,
            constant,
            drawn: &[],
            text: "",
            extra: &[],
        }
    }

    /// No attributes.
    pub fn empty(pack: &'a Pack) -> Attributes<'a> {
        Attributes {
            pack,
            constant: &[],
            drawn: &[],
            text: "",
            extra: &[],
        }
    }

    /// Every attribute, constant ones first.
    pub fn iter(&self) -> impl Iterator<Item = (&'a str, Value<'a>)> + 'a {
        self.constants().chain(self.drawn())
    }

    /// The constant attributes (the same for every record of a site).
    pub fn constants(&self) -> impl Iterator<Item = (&'a str, Value<'a>)> + 'a {
        let pack = self.pack;
        self.constant
            .iter()
            .map(move |a| (key(pack, a.key), Value::from_attr(pack, a.value)))
    }

    /// The attributes drawn (or worked out) for this record.
    pub fn drawn(&self) -> impl Iterator<Item = (&'a str, Value<'a>)> + 'a {
        let (pack, text) = (self.pack, self.text);
        self.drawn
            .iter()
            .map(move |d| (key(pack, d.key), Value::from_drawn(pack, text, d.value)))
            .chain(self.extra.iter().copied())
    }

    /// The value of `name`, if present.
    pub fn get(&self, name: &str) -> Option<Value<'a>> {
        self.iter().find(|(k, _)| *k == name).map(|(_, v)| v)
    }

    /// How many there are.
    pub fn len(&self) -> usize {
        self.constant.len() + self.drawn.len() + self.extra.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
