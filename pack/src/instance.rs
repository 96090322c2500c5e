//! Service instance identity: the `service.instance.id` of instance `k` of
//! a service in generation `g`, a version 4 format UUID that is a function
//! of the scenario's seed (the one the pack was sampled with,
//! [`crate::Meta::seed`]), the service's name, `k` and `g`, so the same
//! scenario and seed name the same instances in every run, every sink and
//! every metric series, and different instances never share an id. A
//! deploy starts a new generation of every instance, a scale one of the
//! instances it adds (the runtime's fleet keeps count). The compiler
//! writes the generation-0 ids into per-instance series rows, one row per
//! [`slots`]; [`InstanceIndex`] maps such an id back to its slot.

use std::collections::HashMap;

use crate::Pack;

/// SplitMix64's finaliser: a bijective mix of 64 bits.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The most instances a service or a scale may have.
pub const MAX_INSTANCES: u32 = 1_000_000;

/// 128 bits keyed by the seed, the name, the index and the generation
/// (FNV-1a over the name, then two mixed lanes; generation 0 folds in
/// nothing).
fn bits(seed: u64, service: &str, index: u32, generation: u32) -> u128 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in service.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
    }
    let base = mix(seed
        ^ mix(h ^ mix((u64::from(generation) << 32 | u64::from(index)) ^ 0x696e_7374_616e_6365)));
    let hi = mix(base ^ 0x9e37_79b9_7f4a_7c15);
    let lo = mix(base.wrapping_add(0x3c6e_f372_fe94_f82a));
    (u128::from(hi) << 64) | u128::from(lo)
}

/// The `service.instance.id` of instance `index` of `service` in
/// `generation`: a UUID in version 4 format
/// (`xxxxxxxx-xxxx-4xxx-[89ab]xxx-xxxxxxxxxxxx`), lower-case hex.
pub fn instance_id(seed: u64, service: &str, index: u32, generation: u32) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut v = bits(seed, service, index, generation);
    // Version 4 in bits 76..80, variant 10 in bits 62..64.
    v = (v & !(0xF << 76)) | (0x4 << 76);
    v = (v & !(0x3 << 62)) | (0x2 << 62);
    let mut out = String::with_capacity(36);
    for i in (0..32).rev() {
        out.push(HEX[((v >> (4 * i)) & 0xF) as usize] as char);
        if matches!(i, 24 | 20 | 16 | 12) {
            out.push('-');
        }
    }
    out
}

/// How many instance slots resource `r` of `pack` ever has: its declared
/// count or the largest a `scaling` event of it sets (at least 1, at most
/// [`MAX_INSTANCES`]).
pub fn slots(pack: &Pack, r: u32) -> u32 {
    let declared = pack.resources.get(r as usize).map_or(1, |x| x.instances);
    pack.events
        .iter()
        .filter(|e| e.resource == r)
        .map(|e| e.instances)
        .fold(declared, u32::max)
        .clamp(1, MAX_INSTANCES)
}

/// Every instance slot of a pack's resources by its generation-0 id: what
/// a metric series row's `service.instance.id` names.
#[derive(Clone, Debug, Default)]
pub struct InstanceIndex {
    by_id: HashMap<String, (u32, u32)>,
}

impl InstanceIndex {
    /// The ids of every instance of every resource of `pack`.
    pub fn new(pack: &Pack) -> InstanceIndex {
        let mut by_id = HashMap::new();
        for (r, res) in pack.resources.iter().enumerate() {
            let name = pack
                .strings
                .get(res.name as usize)
                .map_or("", String::as_str);
            for k in 0..slots(pack, r as u32) {
                by_id.insert(instance_id(pack.meta.seed, name, k, 0), (r as u32, k));
            }
        }
        InstanceIndex { by_id }
    }

    /// The (resource, instance) that `id` names, if any.
    pub fn get(&self, id: &str) -> Option<(u32, u32)> {
        self.by_id.get(id).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::{instance_id, InstanceIndex};
    use crate::{Pack, Resource, ResourceKind};

    #[test]
    fn the_index_maps_every_id_back_to_its_instance() {
        let mut pack = Pack::default();
        pack.meta.seed = 9;
        pack.strings = vec!["a".into(), "b".into()];
        for (name, instances) in [(0, 3), (1, 2)] {
            pack.resources.push(Resource {
                kind: ResourceKind::Service,
                name,
                version: 0,
                instances,
                attrs: 0,
            });
        }
        let index = InstanceIndex::new(&pack);
        assert_eq!(index.get(&instance_id(9, "a", 2, 0)), Some((0, 2)));
        assert_eq!(index.get(&instance_id(9, "b", 1, 0)), Some((1, 1)));
        assert_eq!(index.get(&instance_id(9, "b", 2, 0)), None);
        assert_eq!(index.get(&instance_id(8, "a", 0, 0)), None);
        assert_eq!(index.get("a-0"), None);
        // A scale to 5 adds slots 3 and 4 to "a".
        pack.events.push(crate::EventDef {
            resource: 0,
            instances: 5,
            ..crate::EventDef::default()
        });
        let index = InstanceIndex::new(&pack);
        assert_eq!(index.get(&instance_id(9, "a", 4, 0)), Some((0, 4)));
        assert_eq!(super::slots(&pack, 1), 2);
    }

    #[test]
    fn ids_are_uuid_v4_stable_and_distinct() {
        let a = instance_id(42, "checkout", 0, 0);
        assert_eq!(a, instance_id(42, "checkout", 0, 0));
        assert_eq!(a.len(), 36, "{a}");
        let groups: Vec<usize> = a.split('-').map(str::len).collect();
        assert_eq!(groups, [8, 4, 4, 4, 12], "{a}");
        assert_eq!(&a[14..15], "4", "{a}");
        assert!(matches!(&a[19..20], "8" | "9" | "a" | "b"), "{a}");
        let mut all = std::collections::BTreeSet::new();
        for seed in [1, 42] {
            for s in ["checkout", "cart", "checkou"] {
                for k in 0..50 {
                    for g in 0..4 {
                        assert!(all.insert(instance_id(seed, s, k, g)), "{seed} {s} {k} {g}");
                    }
                }
            }
        }
    }
}
