//! The fleet: which instances of each resource run now, their
//! `service.instance.id`s and `service.version`, as the calendar's
//! deployments and scalings change them. A deploy (of a new version or the
//! same one: a restart) starts a new generation of every running
//! instance, so each gets a new id; a scale to N keeps the first N
//! instances that still run, gives the ones it adds a new generation and
//! stops the rest. Ids come from [`tsim_pack::instance_id`] (seed, name,
//! slot, generation): generation 0 is the declared fleet, so a scenario
//! without deploys or scalings names the ids it always did.

use tsim_pack::{Pack, StrId};

use crate::sink::ResourceRef;

/// The length of a UUID's text.
const UUID_LEN: usize = 36;

/// One resource's instances.
#[derive(Clone, Debug)]
struct Members {
    /// Instances running now (the first `count` slots).
    count: u32,
    /// The generation the last change started.
    generation: u32,
    /// Per slot: its generation and when (run offset, ns) it started.
    slots: Vec<(u32, u64)>,
    /// Per slot, its current id (`UUID_LEN` bytes each).
    ids: String,
}

/// What a change did: the slots that got a new instance (and id), sorted.
pub type Renewed = Vec<(u32, u32)>;

/// Every resource's running instances and version.
#[derive(Clone, Debug)]
pub struct Fleet<'p> {
    pack: &'p Pack,
    members: Vec<Members>,
    /// Each resource's instance count now (what spans are spread over).
    counts: Vec<u32>,
    /// Each resource's `service.version` now.
    versions: Vec<StrId>,
}

impl<'p> Fleet<'p> {
    /// The declared fleet of `pack` (generation 0, started at the run's
    /// start), with room for every slot a scaling reaches.
    pub fn new(pack: &'p Pack) -> Fleet<'p> {
        let members: Vec<Members> = (0..pack.resources.len() as u32)
            .map(|r| {
                let slots = tsim_pack::slots(pack, r);
                let mut m = Members {
                    count: pack
                        .resources
                        .get(r as usize)
                        .map_or(1, |x| x.instances)
                        .clamp(1, slots),
                    generation: 0,
                    slots: vec![(0, 0); slots as usize],
                    ids: String::with_capacity(slots as usize * UUID_LEN),
                };
                for k in 0..slots {
                    m.ids.push_str(&Self::make(pack, r, k, 0));
                }
                m
            })
            .collect();
        Fleet {
            pack,
            counts: members.iter().map(|m| m.count).collect(),
            versions: pack.resources.iter().map(|r| r.version).collect(),
            members,
        }
    }

    fn make(pack: &Pack, r: u32, k: u32, generation: u32) -> String {
        let name = pack
            .resources
            .get(r as usize)
            .and_then(|x| pack.strings.get(x.name as usize))
            .map_or("", String::as_str);
        tsim_pack::instance_id(pack.meta.seed, name, k, generation)
    }

    /// Starts slots `from..to` of `r` anew at `at` in the next generation.
    fn renew(&mut self, r: u32, from: u32, to: u32, at: u64, out: &mut Renewed) {
        let pack = self.pack;
        let Some(m) = self.members.get_mut(r as usize) else {
            return;
        };
        m.generation = m.generation.saturating_add(1);
        for k in from..to {
            let id = Self::make(pack, r, k, m.generation);
            let at_text = k as usize * UUID_LEN;
            if let (Some(slot), Some(_)) = (
                m.slots.get_mut(k as usize),
                m.ids.get(at_text..at_text + UUID_LEN),
            ) {
                *slot = (m.generation, at);
                m.ids.replace_range(at_text..at_text + UUID_LEN, &id);
                out.push((r, k));
            }
        }
    }

    /// A deployment of `r` at `at`: every running instance restarts with a
    /// new id, on `version` when it names one.
    pub fn deploy(&mut self, r: u32, version: Option<StrId>, at: u64) -> Renewed {
        if let (Some(v), Some(slot)) = (version, self.versions.get_mut(r as usize)) {
            *slot = v;
        }
        let mut out = Vec::new();
        let count = self.count(r);
        self.renew(r, 0, count, at, &mut out);
        out
    }

    /// A scaling of `r` to `n` instances at `at`: the instances it adds
    /// start with new ids, those beyond `n` stop.
    pub fn scale(&mut self, r: u32, n: u32, at: u64) -> Renewed {
        let mut out = Vec::new();
        let Some(m) = self.members.get(r as usize) else {
            return out;
        };
        let n = n.clamp(1, m.slots.len().max(1) as u32);
        let was = m.count;
        if n > was {
            self.renew(r, was, n, at, &mut out);
        }
        if let Some(m) = self.members.get_mut(r as usize) {
            m.count = n;
        }
        if let Some(c) = self.counts.get_mut(r as usize) {
            *c = n;
        }
        out
    }

    /// Instances of `r` running now (1 for an unknown resource).
    pub fn count(&self, r: u32) -> u32 {
        self.counts.get(r as usize).copied().unwrap_or(1)
    }

    /// Every resource's instance count now.
    pub fn counts(&self) -> &[u32] {
        &self.counts
    }

    /// Whether slot `k` of `r` runs now.
    pub fn runs(&self, r: u32, k: u32) -> bool {
        k < self.count(r)
    }

    /// When (run offset, ns) the instance in slot `k` of `r` started.
    pub fn started(&self, r: u32, k: u32) -> u64 {
        self.members
            .get(r as usize)
            .and_then(|m| m.slots.get(k as usize))
            .map_or(0, |s| s.1)
    }

    /// The `service.instance.id` of slot `k` of `r` now ("" when out of
    /// range).
    pub fn id(&self, r: u32, k: u32) -> &str {
        let at = k as usize * UUID_LEN;
        self.members
            .get(r as usize)
            .and_then(|m| m.ids.get(at..at + UUID_LEN))
            .unwrap_or("")
    }

    /// The `service.version` of `r` now.
    pub fn version(&self, r: u32) -> StrId {
        self.versions.get(r as usize).copied().unwrap_or(0)
    }

    /// Resource `r`'s instance `k` as records carry it now.
    pub fn resource_ref<'a>(
        &'a self,
        plan: &'a crate::plan::Plan<'_>,
        r: u32,
        k: u32,
    ) -> Option<ResourceRef<'a>> {
        let pack = plan.pack;
        let res = pack.resources.get(r as usize)?;
        let attrs = plan.resource_attrs.get(r as usize)?;
        Some(ResourceRef {
            id: r,
            instance: k,
            instance_id: self.id(r, k),
            name: plan.str(res.name),
            version: plan.str(self.version(r)),
            resource: res,
            attributes: crate::sink::Attributes::constant(pack, attrs),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::Fleet;
    use tsim_pack::{EventDef, Pack, Resource, ResourceKind};

    fn pack() -> Pack {
        let mut pack = Pack::default();
        pack.meta.seed = 5;
        pack.strings = vec!["api".into()];
        pack.resources.push(Resource {
            kind: ResourceKind::Service,
            name: 0,
            version: 0,
            instances: 2,
            attrs: 0,
        });
        pack.events.push(EventDef {
            resource: 0,
            instances: 4,
            ..EventDef::default()
        });
        pack
    }

    #[test]
    fn deploys_renew_every_running_instance_and_scales_only_the_added() {
        let pack = pack();
        let mut f = Fleet::new(&pack);
        let first = [f.id(0, 0).to_string(), f.id(0, 1).to_string()];
        assert_eq!(first[0], tsim_pack::instance_id(5, "api", 0, 0));
        assert_eq!(f.count(0), 2);
        assert_eq!(f.deploy(0, None, 10), vec![(0, 0), (0, 1)]);
        assert!(first.iter().all(|id| f.id(0, 0) != id && f.id(0, 1) != id));
        assert_eq!(f.started(0, 1), 10);
        let kept = f.id(0, 1).to_string();
        assert_eq!(f.scale(0, 4, 20), vec![(0, 2), (0, 3)]);
        assert_eq!((f.count(0), f.id(0, 1)), (4, kept.as_str()));
        assert!(f.scale(0, 1, 30).is_empty());
        assert!(!f.runs(0, 1));
        // Scaled back up, slot 1 is a new instance.
        assert_eq!(f.scale(0, 9, 40), vec![(0, 1), (0, 2), (0, 3)]);
        assert_ne!(f.id(0, 1), kept);
        assert_eq!(f.count(0), 4, "held to the slots the pack has");
        assert_eq!(f.id(0, 7), "");
    }
}
