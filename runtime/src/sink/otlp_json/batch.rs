//! One export request being assembled: encoded records grouped by
//! resource, groups in the order they first appeared (hash maps only find
//! a group, they never order the output), rendered as one JSON line.

use std::collections::HashMap;

use super::json;
use crate::sink::ResourceRef;

/// The field names of one signal's request: `resourceSpans`, `scopeSpans`,
/// `spans` and so on.
pub struct Names {
    /// The request's list of resources.
    pub resources: &'static str,
    /// A resource's list of scopes.
    pub scopes: &'static str,
    /// A scope's list of records.
    pub records: &'static str,
}

struct Group<T> {
    /// `service.version` of an instance's group ("" for a service's).
    version: String,
    /// The encoded resource.
    resource: String,
    /// Its records.
    body: T,
}

/// A request's records by resource; `T` holds one resource's records.
pub struct Batch<T> {
    groups: Vec<Group<T>>,
    /// The latest group of each resource instance (a deployment changes
    /// its version, and so its resource, within a batch).
    instances: HashMap<(u32, u32), usize>,
    /// The group of each service known by name only.
    services: HashMap<String, usize>,
    /// Records (or data points) added.
    len: usize,
    /// When it is full.
    cap: usize,
}

impl<T: Default> Batch<T> {
    /// An empty batch holding up to `cap` records.
    pub fn new(cap: usize) -> Batch<T> {
        Batch {
            groups: Vec::new(),
            instances: HashMap::new(),
            services: HashMap::new(),
            len: 0,
            cap: cap.max(1),
        }
    }

    /// The records of a resource instance's group, created when new.
    pub fn instance(&mut self, r: &ResourceRef<'_>) -> &mut T {
        let key = (r.id, r.instance);
        let found = self
            .instances
            .get(&key)
            .copied()
            .filter(|&i| self.groups[i].version == r.version);
        let i = match found {
            Some(i) => i,
            None => {
                let mut resource = String::with_capacity(256);
                json::resource(&mut resource, r);
                self.groups.push(Group {
                    version: r.version.to_string(),
                    resource,
                    body: T::default(),
                });
                self.instances.insert(key, self.groups.len() - 1);
                self.groups.len() - 1
            }
        };
        &mut self.groups[i].body
    }

    /// The records of a group whose resource is only a `service.name`
    /// (with the `telemetry.sdk.*` attributes when `with_sdk`).
    pub fn service(&mut self, service: &str, with_sdk: bool) -> &mut T {
        let i = match self.services.get(service) {
            Some(&i) => i,
            None => {
                let mut resource = String::with_capacity(128);
                json::service_resource(&mut resource, service, with_sdk);
                self.groups.push(Group {
                    version: String::new(),
                    resource,
                    body: T::default(),
                });
                self.services
                    .insert(service.to_string(), self.groups.len() - 1);
                self.groups.len() - 1
            }
        };
        &mut self.groups[i].body
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

    /// Renders the batch as one request line into `line` (cleared first,
    /// no newline) and empties it; false, and nothing rendered, when empty.
    /// `body` appends a group's records, comma-separated.
    pub fn render(
        &mut self,
        line: &mut String,
        names: &Names,
        body: impl Fn(&T, &mut String),
    ) -> bool {
        line.clear();
        if self.groups.is_empty() {
            return false;
        }
        line.push('{');
        json::field(line, names.resources);
        line.push('[');
        for (i, g) in self.groups.iter().enumerate() {
            if i > 0 {
                line.push(',');
            }
            line.push_str("{\"resource\":");
            line.push_str(&g.resource);
            line.push(',');
            json::field(line, names.scopes);
            line.push_str("[{\"scope\":");
            json::scope(line);
            line.push(',');
            json::field(line, names.records);
            line.push('[');
            body(&g.body, line);
            line.push_str("],\"schemaUrl\":\"");
            line.push_str(crate::sink::SCHEMA_URL);
            line.push_str("\"}],\"schemaUrl\":\"");
            line.push_str(crate::sink::SCHEMA_URL);
            line.push_str("\"}");
        }
        line.push_str("]}");
        self.groups.clear();
        self.instances.clear();
        self.services.clear();
        self.len = 0;
        true
    }
}

/// Appends `item` to a comma-separated list of encoded records.
pub fn push_item(items: &mut String, item: impl FnOnce(&mut String)) {
    if !items.is_empty() {
        items.push(',');
    }
    item(items);
}
