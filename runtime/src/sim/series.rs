//! Series shared by derived and process metrics: the labels of each row of
//! a series set, typed (text is rendered in sinks), and the service a row
//! belongs to (its `service.name` label, or the scenario's name).

use tsim_pack::{MetricDef, Pack, SeriesSet};

use crate::sink::{Label, Point, Value};

/// Receives metric points: (metric index, series, point).
pub type Emit<'a, 'p> = dyn FnMut(usize, &Series<'p>, Point<'_>) + 'a;

/// One series' labels.
#[derive(Clone, Debug)]
pub struct Series<'p> {
    /// The service it belongs to.
    pub service: &'p str,
    /// Its labels, in the set's key order (plus any the metric adds).
    pub labels: Vec<Label<'p>>,
}

/// The series of metric `_m` over `set`.
pub fn row_labels<'p>(
    pack: &'p Pack,
    _m: &MetricDef,
    set: &SeriesSet,
    scenario: &'p str,
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
            let labels = keys
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
                .collect();
            Series { service, labels }
        })
        .collect()
}
