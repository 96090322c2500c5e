//! Spans as protobuf `Span`s (`opentelemetry/proto/trace/v1/trace.proto`),
//! copy and patch: at link time every span site's constant part (name,
//! kind, constant attributes) is encoded once; each span is its ids and
//! times, a copy of its site's bytes, then what was drawn for it (drawn
//! attributes, HTTP status, `error.type`, retry count, the `exception`
//! event, user-declared events, the producer link, user-declared links,
//! the status). A user-declared event's name and constant attributes, and
//! a link's constant attributes, are encoded at link time too.

use super::common::{key_value, text_value};
use super::wire::{self, begin, end};
use crate::plan::Plan;
use crate::sink::{SpanRecord, Value};

use crate::sink::{
    is_http, ERROR_TYPE_KEY as ERROR, RESEND_KEY as RESEND, STATUS_CODE_KEY as CODE,
};

/// A site's constant part, encoded once.
#[derive(Default)]
struct Site {
    /// `name`, `kind` and the constant attributes that can never be
    /// shadowed.
    bytes: Vec<u8>,
    /// Whether a constant attribute has one of the shadowable names (then
    /// the constants are encoded per span, checking each).
    shadowable: bool,
    /// Whether it is an HTTP span (it has `http.*` attributes): only those
    /// carry `http.request.resend_count`.
    http: bool,
    /// Per user-declared event of the site's program: its `name` and
    /// constant attributes.
    events: Vec<Vec<u8>>,
    /// Per user-declared link: its constant attributes.
    links: Vec<Vec<u8>>,
}

/// The spans' encoder: every site's constant bytes.
#[derive(Default)]
pub struct Spans {
    sites: Vec<Site>,
    buf: String,
}

impl Spans {
    /// Encodes the constant part of every span site of `plan`.
    pub fn link(plan: &Plan<'_>) -> Spans {
        let sites = plan
            .sites
            .iter()
            .map(|site| {
                let mut bytes = Vec::with_capacity(64);
                wire::str_field(&mut bytes, 5, plan.str(site.name));
                wire::uint_field(&mut bytes, 6, site.kind as u64);
                let attrs = crate::sink::Attributes::new(plan.pack, site.attrs, &[], "");
                let http = is_http(&attrs);
                let shadowable = attrs
                    .constants()
                    .any(|(k, _)| k == CODE || k == ERROR || k == RESEND);
                if !shadowable {
                    for (k, v) in attrs.constants() {
                        key_value(&mut bytes, 9, k, v);
                    }
                }
                let program = plan.site_program(site).map(|p| p.program);
                let constants = |set: u32, field: u32, out: &mut Vec<u8>| {
                    let attrs = crate::sink::Attributes::new(plan.pack, set, &[], "");
                    for (k, v) in attrs.constants() {
                        key_value(out, field, k, v);
                    }
                };
                let events = program.map_or(&[][..], |p| &p.events[..]);
                let events = events
                    .iter()
                    .map(|e| {
                        let mut b = Vec::new();
                        wire::str_field(&mut b, 2, plan.str(e.name));
                        constants(e.attrs, 3, &mut b);
                        b
                    })
                    .collect();
                let links = program.map_or(&[][..], |p| &p.links[..]);
                let links = links
                    .iter()
                    .map(|l| {
                        let mut b = Vec::new();
                        constants(l.attrs, 4, &mut b);
                        b
                    })
                    .collect();
                Site {
                    bytes,
                    shadowable,
                    http,
                    events,
                    links,
                }
            })
            .collect();
        Spans {
            sites,
            buf: String::new(),
        }
    }

    /// Appends the body of the `Span` of `s`.
    pub fn span(&mut self, out: &mut Vec<u8>, s: &SpanRecord<'_>) {
        wire::bytes_field(out, 1, &s.trace_id);
        wire::bytes_field(out, 2, &s.span_id);
        if let Some(p) = s.parent {
            wire::bytes_field(out, 4, &p);
        }
        let site = self.sites.get(s.site as usize);
        let http = site.map_or_else(|| is_http(&s.attributes), |site| site.http);
        match site {
            Some(site) => out.extend_from_slice(&site.bytes),
            None => {
                wire::str_field(out, 5, s.name);
                wire::uint_field(out, 6, s.kind as u64);
            }
        }
        // The site's bytes hold its constant attributes unless one of them
        // could be shadowed by the record's own fields (or there is no
        // site): then they are encoded here, each checked.
        if site.is_none_or(|site| site.shadowable) {
            for (k, v) in s.attributes.constants() {
                if !s.shadows(k) {
                    key_value(out, 9, k, v);
                }
            }
        }
        wire::time_field(out, 7, s.start_ns);
        wire::time_field(out, 8, s.end_ns);
        for (k, v) in s.attributes.drawn() {
            if !s.shadows(k) {
                key_value(out, 9, k, v);
            }
        }
        if let Some(code) = s.http_status_code {
            key_value(out, 9, CODE, Value::Int(i64::from(code)));
        }
        if let Some(t) = s.error_type {
            text_value(out, 9, ERROR, t, &mut self.buf);
        }
        if s.resend_count > 0 && http {
            key_value(out, 9, RESEND, Value::Int(i64::from(s.resend_count)));
        }
        if let Some(e) = s.exception {
            let open = begin(out, 11);
            wire::time_field(out, 1, e.time_ns);
            wire::str_field(out, 2, "exception");
            text_value(out, 3, "exception.type", e.exception_type, &mut self.buf);
            end(out, open);
        }
        if !s.events.is_empty() {
            self.events(out, site, s);
        }
        if let Some((trace, span)) = s.link {
            let open = begin(out, 13);
            wire::bytes_field(out, 1, &trace);
            wire::bytes_field(out, 2, &span);
            end(out, open);
        }
        for l in s.links.iter() {
            let open = begin(out, 13);
            wire::bytes_field(out, 1, &l.trace_id);
            wire::bytes_field(out, 2, &l.span_id);
            match site {
                Some(site) => {
                    if let Some(b) = site.links.get(l.decl as usize) {
                        out.extend_from_slice(b);
                    }
                }
                None => {
                    for (k, v) in l.attributes.constants() {
                        key_value(out, 4, k, v);
                    }
                }
            }
            for (k, v) in l.attributes.drawn() {
                key_value(out, 4, k, v);
            }
            end(out, open);
        }
        let open = begin(out, 15);
        wire::str_field(out, 2, s.status_message);
        wire::uint_field(out, 3, s.status as u64);
        end(out, open);
    }

    /// The user-declared events: each its time, its site's constant bytes
    /// (name, constant attributes), then its drawn attributes.
    fn events(&self, out: &mut Vec<u8>, site: Option<&Site>, s: &SpanRecord<'_>) {
        for e in s.events.iter() {
            let open = begin(out, 11);
            wire::time_field(out, 1, e.time_ns);
            match site.and_then(|site| site.events.get(e.decl as usize)) {
                Some(b) => out.extend_from_slice(b),
                None => {
                    wire::str_field(out, 2, e.name);
                    for (k, v) in e.attributes.constants() {
                        key_value(out, 3, k, v);
                    }
                }
            }
            for (k, v) in e.attributes.drawn() {
                key_value(out, 3, k, v);
            }
            end(out, open);
        }
    }
}
