//! Series shared by derived and process metrics: the labels of each row of
//! a series set, typed (text is rendered in sinks), and the service a row
//! belongs to (its `service.name` label, or the scenario's name). A
//! per-instance row names its instance slot instead of carrying
//! `service.instance.id` as a label: the id belongs in the resource, and
//! changes when the instance is replaced (see [`super::fleet`]). A
//! sender that is one shard of several adds [`SHARD_LABEL`] to every
//! series, so a fleet's series never collide in a backend.

use tsim_pack::{InstanceIndex, MetricDef, Pack, SeriesSet};

use super::Shard;
use crate::sink::{Label, Point, Value};

/// The label every series of a sharded sender carries: its shard index.
pub const SHARD_LABEL: &str = "tsim.shard";

/// Receives metric points: (metric index, series, point).
pub type Emit<'a, 'p> = dyn FnMut(usize, &Series<'p>, Point<'_>) + 'a;

/// One series' labels.
#[derive(Clone, Debug)]
pub struct Series<'p> {
    /// The service it belongs to.
    pub service: &'p str,
    /// Its labels, in the set's key order (plus any the metric adds).
    pub labels: Vec<Label<'p>>,
    /// The (resource, instance slot) of a per-instance row.
    pub instance: Option<(u32, u32)>,
}

/// The key per-instance rows name their instance by.
pub const INSTANCE_KEY: &str = "service.instance.id";

/// The series of metric `_m` over `set`; `instances` finds the slot a
/// row's `service.instance.id` names.
pub fn row_labels<'p>(
    pack: &'p Pack,
    _m: &MetricDef,
    set: &SeriesSet,
    (scenario, instances): (&'p str, &InstanceIndex),
    shard: Shard,
) -> Vec<Series<'p>> {
    let keys: Vec<&'p str> = set
        .keys
        .iter()
        .map(|k| pack.strings.get(*k as usize).map_or("", String::as_str))
        .collect();
    set.rows
        .iter()
        .map(|row| {
            let mut service = scenario;
            let mut instance = None;
            let mut labels: Vec<Label<'p>> = keys
                .iter()
                .zip(row)
                .map(|(k, v)| {
                    let value = Value::from_attr(pack, *v);
                    if *k == "service.name" {
                        if let Value::Str(s) = value {
                            service = s;
                        }
                    }
                    Label { key: k, value }
                })
                .filter(|l| {
                    let Value::Str(id) = l.value else {
                        return true;
                    };
                    let slot = instances.get(id).filter(|_| l.key == INSTANCE_KEY);
                    instance = instance.or(slot);
                    slot.is_none()
                })
                .collect();
            if shard.count > 1 {
                labels.push(Label {
                    key: SHARD_LABEL,
                    value: Value::Int(i64::from(shard.index)),
                });
            }
            Series {
                service,
                labels,
                instance,
            }
        })
        .collect()
}
