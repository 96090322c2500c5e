//! Lowering: the checked [`Model`] to a [`Pack`]. Strings and attribute
//! lists are interned in first-use order (never hash-map order). Traces are
//! lowered to call programs whose values the runtime draws per request, and
//! logs to generators it draws per record; what is still pre-sampled
//! (resource attributes, metric series) comes from a PCG stream seeded by
//! the scenario seed and the component's name, so the same source, params
//! and seed give the same bytes everywhere.

mod calls;
mod convert;
mod logs;
mod metrics;
mod repeat_count;
pub(crate) mod sample;
mod size;
mod span_extras;
mod timeline;
mod trace_limits;

pub(crate) use metrics::{most_values, series_counts, SeriesCount, MAX_SERIES};
pub(crate) use size::Sizes;
pub(crate) use trace_limits::root_sizes;

use std::collections::HashMap;

use tsim_pack::{Attr, AttrValue, Pack, Resource, ResourceKind, StrId};

use crate::model::{self, Model};
use sample::Sampled;

/// The most spans a root endpoint's trace may be expected to hold: a trace
/// that big cannot be streamed sensibly.
pub const MAX_EXPECTED_SPANS_PER_TRACE: f64 = 1_000_000.0;

/// Why lowering failed (the model is checked, so only size limits remain:
/// lowering fails rather than cut a declaration short).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LowerError(pub String);

impl std::fmt::Display for LowerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for LowerError {}

/// Interns strings and attribute sets in first-use order.
#[derive(Default)]
pub(crate) struct Builder {
    pub pack: Pack,
    strings: HashMap<String, StrId>,
    sets: HashMap<Vec<AttrKey>, u32>,
    /// Resource name -> index (services first, then backends), so lookups
    /// by name stay constant-time however many resources there are.
    resource_ids: HashMap<String, u32>,
}

/// A hashable form of an attribute (floats by their bits).
#[derive(Clone, PartialEq, Eq, Hash)]
struct AttrKey(StrId, u8, u64);

impl Builder {
    /// Interns a string.
    pub fn str(&mut self, s: &str) -> StrId {
        if let Some(&id) = self.strings.get(s) {
            return id;
        }
        let id = self.pack.strings.len() as StrId;
        self.pack.strings.push(s.to_string());
        self.strings.insert(s.to_string(), id);
        id
    }

    /// A sampled value as a pack value, its text interned.
    pub fn value(&mut self, v: &Sampled) -> AttrValue {
        match v {
            Sampled::Str(s) => AttrValue::Str(self.str(s)),
            Sampled::Int(i) => AttrValue::Int(*i),
            Sampled::Float(f) => AttrValue::Float(*f),
            Sampled::Bool(b) => AttrValue::Bool(*b),
        }
    }

    /// A constant attribute value as a pack value, its text interned.
    pub fn scalar(&mut self, s: &model::Scalar) -> AttrValue {
        match s {
            model::Scalar::Str(v) => AttrValue::Str(self.str(v)),
            model::Scalar::Int(v) => AttrValue::Int(*v),
            model::Scalar::Float(v) => AttrValue::Float(*v),
            model::Scalar::Bool(v) => AttrValue::Bool(*v),
        }
    }

    /// Interns an attribute list (order kept).
    pub fn set(&mut self, attrs: &[(String, Sampled)]) -> u32 {
        let list: Vec<Attr> = attrs
            .iter()
            .map(|(k, v)| Attr {
                key: self.str(k),
                value: self.value(v),
            })
            .collect();
        self.set_of(list)
    }

    /// Interns an attribute list of already interned attributes.
    pub fn set_of(&mut self, list: Vec<Attr>) -> u32 {
        let key: Vec<AttrKey> = list
            .iter()
            .map(|a| match a.value {
                AttrValue::Str(s) => AttrKey(a.key, 0, u64::from(s)),
                AttrValue::Int(i) => AttrKey(a.key, 1, i as u64),
                AttrValue::Float(f) => AttrKey(a.key, 2, f.to_bits()),
                AttrValue::Bool(b) => AttrKey(a.key, 3, u64::from(b)),
            })
            .collect();
        if let Some(&id) = self.sets.get(&key) {
            return id;
        }
        let id = self.pack.attr_sets.len() as u32;
        self.pack.attr_sets.push(list);
        self.sets.insert(key, id);
        id
    }
}

impl Builder {
    /// The index of the resource named `name` (services first, then
    /// backends), once [`resources`] has lowered them.
    pub fn resource_id(&self, name: &str) -> Option<u32> {
        self.resource_ids.get(name).copied()
    }

    /// Knows every resource's index by name without building the
    /// resources (for estimates that lower calls only).
    pub fn name_resources(&mut self, model: &Model) {
        let names = model.services.iter().map(|s| &s.name);
        for (i, name) in names
            .chain(model.backends.iter().map(|b| &b.name))
            .enumerate()
        {
            self.resource_ids.entry(name.clone()).or_insert(i as u32);
        }
    }

    /// Adds a resource, remembering the first index of its name.
    fn push_resource(&mut self, name: &str, r: Resource) {
        let id = self.pack.resources.len() as u32;
        self.resource_ids.entry(name.to_string()).or_insert(id);
        self.pack.resources.push(r);
    }
}

/// Samples constant-valued attribute generators once (resources).
fn fixed_attrs(rng: &mut rand_pcg::Pcg64, attrs: &[model::Attr]) -> Vec<(String, Sampled)> {
    let mut out: Vec<(String, Sampled)> = Vec::new();
    for a in attrs {
        let lookup = |k: &str| out.iter().find(|(n, _)| n == k).map(|(_, v)| v.text());
        if let Some(v) = sample::generate(rng, &a.value, &lookup) {
            out.push((a.key.clone(), v));
        }
    }
    out
}

/// Lowers a checked model to a pack.
pub fn lower(model: &Model) -> Result<Pack, LowerError> {
    let mut b = Builder::default();
    let s = &model.settings;
    b.pack.meta.name = b.str(&s.name);
    b.pack.meta.description = b.str(&s.description);
    b.pack.meta.seed = s.seed;
    b.pack.meta.duration_ns = sample::nanos(s.duration);
    b.pack.meta.tick_ns = sample::nanos(s.tick).max(1);
    b.pack.meta.start = s.start;
    resources(&mut b, model);
    calls::lower(&mut b, model)?;
    metrics::lower(&mut b, model)?;
    logs::lower(&mut b, model);
    timeline::lower(&mut b, model);
    Ok(b.pack)
}

/// One resource per service, then per database and queue, in model order.
fn resources(b: &mut Builder, model: &Model) {
    let seed = model.settings.seed;
    for svc in &model.services {
        let mut rng = sample::rng(seed, &["resource", &svc.name]);
        let mut attrs = vec![("service.name".to_string(), Sampled::Str(svc.name.clone()))];
        attrs.push(("service.version".into(), Sampled::Str(svc.version.clone())));
        attrs.extend(fixed_attrs(&mut rng, &model.resource));
        attrs.extend(fixed_attrs(&mut rng, &svc.resource));
        let set = b.set(&dedup(attrs));
        let (name, version) = (b.str(&svc.name), b.str(&svc.version));
        b.push_resource(
            &svc.name,
            Resource {
                kind: ResourceKind::Service,
                name,
                version,
                instances: svc.instances,
                attrs: set,
            },
        );
    }
    for be in &model.backends {
        let mut rng = sample::rng(seed, &["resource", &be.name]);
        let mut attrs = vec![("service.name".to_string(), Sampled::Str(be.name.clone()))];
        if !be.version.is_empty() {
            attrs.push(("service.version".into(), Sampled::Str(be.version.clone())));
        }
        attrs.extend(fixed_attrs(&mut rng, &model.resource));
        attrs.extend(fixed_attrs(&mut rng, &be.resource));
        let set = b.set(&dedup(attrs));
        let kind = if be.kind == "queue" {
            ResourceKind::Queue
        } else {
            ResourceKind::Database
        };
        let (name, version) = (b.str(&be.name), b.str(&be.version));
        b.push_resource(
            &be.name,
            Resource {
                kind,
                name,
                version,
                instances: be.instances,
                attrs: set,
            },
        );
    }
}

/// Keeps the last value of each key, in first-seen order.
pub(crate) fn dedup(attrs: Vec<(String, Sampled)>) -> Vec<(String, Sampled)> {
    let mut out: Vec<(String, Sampled)> = Vec::with_capacity(attrs.len());
    for (k, v) in attrs {
        match out.iter_mut().find(|(n, _)| *n == k) {
            Some(slot) => slot.1 = v,
            None => out.push((k, v)),
        }
    }
    out
}
