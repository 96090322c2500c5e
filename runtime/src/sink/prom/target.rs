//! Where a series comes from, in Prometheus terms: its `job` and
//! `instance` labels (from `service.namespace`, `service.name` and the
//! `service.instance.id` of a per-instance series' resource), its other
//! labels made legal, and the labels of the `target_info` series of each
//! (job, instance): the resource's other attributes (`service.version` as
//! the instance runs it, `telemetry.sdk.*`, declared ones). A deploy or a
//! scale replaces instances, so their targets end and new ones begin.

use std::collections::HashMap;

use super::naming;
use crate::plan::Plan;
use crate::sink::{sdk_attributes, MetricRecord, Value, RESOURCE_KEYS};

/// The resource attributes that make `job` and `instance`.
const JOB_KEYS: [&str; 3] = ["service.name", "service.namespace", "service.instance.id"];

/// A resource's attributes as text, by service name.
#[derive(Default)]
pub struct Targets {
    by_service: HashMap<String, Resource>,
}

/// One service's resource, rendered once.
#[derive(Clone, Debug, Default)]
struct Resource {
    namespace: Option<String>,
    /// (original key, value): `service.version`, then the declared ones.
    attributes: Vec<(String, String)>,
}

/// A series' target: `job` and `instance`, and the service it is of.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Target {
    /// `job`.
    pub job: String,
    /// `instance` ("" when the series has no `service.instance.id`).
    pub instance: String,
    /// The `service.version` its instance runs (per-instance series; the
    /// others show the declared one).
    pub version: Option<String>,
    /// `service.name`.
    pub service: String,
}

fn text(v: Value<'_>) -> String {
    let mut s = String::new();
    v.write(&mut s);
    s
}

impl Targets {
    /// Renders every service resource of the plan.
    pub fn new(plan: &Plan<'_>) -> Targets {
        let pack = plan.pack;
        let mut by_service = HashMap::new();
        for (i, r) in pack.resources.iter().enumerate() {
            let mut res = Resource::default();
            let version = plan.str(r.version);
            if !version.is_empty() {
                res.attributes
                    .push(("service.version".into(), version.to_string()));
            }
            for a in plan.resource_attrs.get(i).map_or(&[][..], Vec::as_slice) {
                let key = plan.str(a.key);
                let value = text(Value::from_attr(pack, a.value));
                if key == "service.namespace" {
                    res.namespace = Some(value);
                } else if !RESOURCE_KEYS.contains(&key) && !JOB_KEYS.contains(&key) {
                    res.attributes.push((key.to_string(), value));
                }
            }
            by_service
                .entry(plan.str(r.name).to_string())
                .or_insert(res);
        }
        Targets { by_service }
    }

    /// The target of a metric point's series.
    pub fn of(&self, m: &MetricRecord<'_>) -> Target {
        let namespace = self
            .by_service
            .get(m.service)
            .and_then(|r| r.namespace.as_deref());
        let instance = match &m.resource {
            Some(r) => r.instance_id.to_string(),
            None => String::new(),
        };
        Target {
            job: naming::job(namespace, m.service),
            instance,
            version: m.resource.map(|r| r.version.to_string()),
            service: m.service.to_string(),
        }
    }

    /// The labels of the target's `target_info`: `job`, `instance`, then
    /// its resource's other attributes and `telemetry.sdk.*`.
    pub fn info_labels(&self, t: &Target) -> Vec<(String, String)> {
        let mut pairs: Vec<(&str, String)> =
            vec![("job", t.job.clone()), ("instance", t.instance.clone())];
        if let Some(r) = self.by_service.get(&t.service) {
            let attributes = r.attributes.iter().map(|(k, v)| (k.as_str(), v.clone()));
            match &t.version {
                // The instance's version stands for the declared one.
                Some(v) => {
                    if !v.is_empty() {
                        pairs.push(("service.version", v.clone()));
                    }
                    pairs.extend(attributes.filter(|(k, _)| *k != "service.version"));
                }
                None => pairs.extend(attributes),
            }
        }
        pairs.extend(sdk_attributes().map(|(k, v)| (k, v.to_string())));
        naming::labels(&pairs)
    }
}

/// A series' labels: `job`, `instance`, and its own labels other than
/// `service.name` and `service.instance.id` (resource attributes, which
/// `job` and `instance` stand for), names made legal and merged.
pub fn series_labels(m: &MetricRecord<'_>, t: &Target) -> Vec<(String, String)> {
    let mut pairs: Vec<(&str, String)> =
        vec![("job", t.job.clone()), ("instance", t.instance.clone())];
    pairs.extend(
        m.labels
            .iter()
            .filter(|l| !JOB_KEYS.contains(&l.key))
            .map(|l| (l.key, text(l.value))),
    );
    naming::labels(&pairs)
}
