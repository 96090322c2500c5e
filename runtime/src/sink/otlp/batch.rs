//! One export request being assembled as protobuf: encoded records grouped
//! by resource, groups in the order they first appeared (hash maps only
//! find a group, they never order the output). A resource is encoded once
//! per run and copied into each request that carries it; buffers are
//! reused from request to request, so a steady run allocates nothing.

use crate::fasthash::FastMap;

use super::common;
use super::wire::{self, varint, varint_len};
use crate::sink::ResourceRef;

/// One resource's records in a request, as they go inside its scope.
pub trait Body: Default {
    /// Empties it, keeping its buffers.
    fn clear(&mut self);
    /// The encoded length of what [`Body::write`] appends.
    fn len(&self) -> usize;
    /// Appends the scope's record fields.
    fn write(&self, out: &mut Vec<u8>);
}

/// Records that are already encoded fields of the scope message.
impl Body for Vec<u8> {
    fn clear(&mut self) {
        Vec::clear(self);
    }
    fn len(&self) -> usize {
        Vec::len(self)
    }
    fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(self);
    }
}

/// The encoded length of a length-delimited field of a small field number
/// (one tag byte) with an `n`-byte body.
pub fn field_len(n: usize) -> usize {
    1 + varint_len(n as u64) + n
}

/// Appends the tag (small field number, length-delimited) and length.
pub fn field_head(out: &mut Vec<u8>, field: u32, n: usize) {
    out.push((field << 3 | 2) as u8);
    varint(out, n as u64);
}

struct Group<T> {
    /// Which resource cache entry.
    resource: usize,
    body: T,
}

/// Every resource seen in the run, encoded once.
#[derive(Default)]
struct Resources {
    encoded: Vec<Vec<u8>>,
    /// The entry of each (resource, instance, version).
    instances: FastMap<(u32, u32), Vec<(String, usize)>>,
    /// The entry of each service known by name only.
    services: FastMap<String, usize>,
}

impl Resources {
    fn instance(&mut self, r: &ResourceRef<'_>) -> usize {
        let versions = self.instances.entry((r.id, r.instance)).or_default();
        if let Some(&(_, i)) = versions.iter().find(|(v, _)| v == r.version) {
            return i;
        }
        let mut bytes = Vec::with_capacity(256);
        common::resource(&mut bytes, r);
        self.encoded.push(bytes);
        versions.push((r.version.to_string(), self.encoded.len() - 1));
        self.encoded.len() - 1
    }

    fn service(&mut self, service: &str, with_sdk: bool) -> usize {
        if let Some(&i) = self.services.get(service) {
            return i;
        }
        let mut bytes = Vec::with_capacity(128);
        common::service_resource(&mut bytes, service, with_sdk);
        self.encoded.push(bytes);
        self.services
            .insert(service.to_string(), self.encoded.len() - 1);
        self.encoded.len() - 1
    }
}

/// A request's records by resource; `T` holds one resource's records.
pub struct Batch<T> {
    groups: Vec<Group<T>>,
    /// Groups in use (the rest are kept for their buffers).
    used: usize,
    /// The group of each resource cache entry in this request.
    by_resource: FastMap<usize, usize>,
    resources: Resources,
    scope: Vec<u8>,
    /// `schema_url` (field 3 of every `Resource*` and `Scope*` message).
    schema: Vec<u8>,
    /// Records (or data points) added.
    len: usize,
    /// When it is full.
    cap: usize,
}

impl<T: Body> Batch<T> {
    /// An empty batch holding up to `cap` records.
    pub fn new(cap: usize) -> Batch<T> {
        let mut scope = Vec::new();
        common::scope(&mut scope);
        let mut schema = Vec::new();
        wire::str_field(&mut schema, 3, crate::sink::SCHEMA_URL);
        Batch {
            groups: Vec::new(),
            used: 0,
            by_resource: FastMap::default(),
            resources: Resources::default(),
            scope,
            schema,
            len: 0,
            cap: cap.max(1),
        }
    }

    fn group(&mut self, resource: usize) -> &mut T {
        let i = match self.by_resource.get(&resource) {
            Some(&i) => i,
            None => {
                if self.used == self.groups.len() {
                    self.groups.push(Group {
                        resource,
                        body: T::default(),
                    });
                } else {
                    let g = &mut self.groups[self.used];
                    g.resource = resource;
                    g.body.clear();
                }
                self.used += 1;
                self.by_resource.insert(resource, self.used - 1);
                self.used - 1
            }
        };
        &mut self.groups[i].body
    }

    /// The records of a resource instance's group (its current version's).
    pub fn instance(&mut self, r: &ResourceRef<'_>) -> &mut T {
        let resource = self.resources.instance(r);
        self.group(resource)
    }

    /// The records of a group whose resource is only a `service.name`
    /// (with the `telemetry.sdk.*` attributes when `with_sdk`).
    pub fn service(&mut self, service: &str, with_sdk: bool) -> &mut T {
        let resource = self.resources.service(service, with_sdk);
        self.group(resource)
    }

    /// Counts `n` records added; true when the batch is full.
    pub fn added(&mut self, n: usize) -> bool {
        self.len += n;
        self.len >= self.cap
    }

    /// Records added since the last request.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Appends the batch as an export request (`resource_*` entries, field
    /// 1 of every `Export*ServiceRequest`) to `out`, and empties it.
    pub fn render(&mut self, out: &mut Vec<u8>) {
        for g in &self.groups[..self.used] {
            let resource = &self.resources.encoded[g.resource];
            let scoped = field_len(self.scope.len()) + g.body.len() + self.schema.len();
            let whole = field_len(resource.len()) + field_len(scoped) + self.schema.len();
            field_head(out, 1, whole);
            field_head(out, 1, resource.len());
            out.extend_from_slice(resource);
            field_head(out, 2, scoped);
            field_head(out, 1, self.scope.len());
            out.extend_from_slice(&self.scope);
            g.body.write(out);
            out.extend_from_slice(&self.schema);
            out.extend_from_slice(&self.schema);
        }
        self.used = 0;
        self.by_resource.clear();
        self.len = 0;
    }
}

/// Appends a record as a length-delimited field: `write` encodes its body,
/// whose length is filled in afterwards.
#[inline]
pub fn push_record(items: &mut Vec<u8>, field: u32, write: impl FnOnce(&mut Vec<u8>)) {
    let open = wire::begin(items, field);
    write(items);
    wire::end(items, open);
}
