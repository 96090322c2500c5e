//! LOGS-section checks: each stream's name, resource (none or a service),
//! rate, attributes and generated attributes, and each span rule's; a level
//! or message must be a generator of strings only.

use super::Ctx;
use crate::calls::Gen;
use crate::error::PackError;
use crate::types::*;

impl Ctx<'_> {
    /// A log level or message: a valid generator that yields only strings,
    /// a constant string or a pick of strings.
    fn text_gen(&self, g: &Gen, what: &str, at: &str) -> Result<(), PackError> {
        let at = format!("{at} {what}");
        self.gen(g, &at, 0)?;
        let found = match g {
            Gen::Const(AttrValue::Str(_)) => return Ok(()),
            Gen::Pick(choices) => match choices
                .iter()
                .find(|(v, _)| !matches!(v, AttrValue::Str(_)))
            {
                None => return Ok(()),
                Some((v, _)) => format!("a pick with {}", value_kind(v)),
            },
            Gen::Const(v) => value_kind(v).to_string(),
            Gen::IntRange(..) => "an integer range".into(),
            Gen::FloatRange(..) => "a float range".into(),
            Gen::Pattern(_) => "a pattern".into(),
            Gen::Pool { .. } => "a pool".into(),
            Gen::Bool(_) => "a chance".into(),
            Gen::Dist(_) => "a distribution".into(),
            Gen::Maybe(..) => "a `maybe`".into(),
        };
        Err(self.bad(format!(
            "{at} is {found}, not a string or a pick of strings"
        )))
    }

    fn log_stream(&self, i: usize, s: &LogStream) -> Result<(), PackError> {
        let at = format!("log stream {i}");
        self.s(s.name, &at)?;
        if s.resource != NONE {
            self.res_kind(s.resource, ResourceKind::Service, &at)?;
        }
        self.nonneg(s.rate, "rate", &at)?;
        self.text_gen(&s.level, "level", &at)?;
        self.text_gen(&s.message, "message", &at)?;
        self.set(s.attrs, &at)?;
        self.gen_attrs(&s.gen_attrs, &at)?;
        self.body(s.body.as_ref(), &at)
    }

    /// A structured body: its field set and generated fields.
    fn body(&self, b: Option<&LogBody>, at: &str) -> Result<(), PackError> {
        let Some(b) = b else { return Ok(()) };
        let at = format!("{at} body");
        self.set(b.attrs, &at)?;
        self.gen_attrs(&b.gen_attrs, &at)
    }

    fn span_rule(&self, i: usize, r: &SpanLogRule) -> Result<(), PackError> {
        let at = format!("span log rule {i}");
        self.text_gen(&r.level, "level", &at)?;
        self.text_gen(&r.message, "message", &at)?;
        self.set(r.attrs, &at)?;
        self.gen_attrs(&r.gen_attrs, &at)?;
        self.body(r.body.as_ref(), &at)
    }

    pub(super) fn logs(&self) -> Result<(), PackError> {
        for (i, s) in self.pack.logs.streams.iter().enumerate() {
            self.log_stream(i, s)?;
        }
        for (i, r) in self.pack.logs.span_rules.iter().enumerate() {
            self.span_rule(i, r)?;
        }
        Ok(())
    }
}

/// What kind of value `v` is, for messages.
fn value_kind(v: &AttrValue) -> &'static str {
    match v {
        AttrValue::Str(_) => "a string",
        AttrValue::Int(_) => "an integer",
        AttrValue::Float(_) => "a float",
        AttrValue::Bool(_) => "a boolean",
    }
}
