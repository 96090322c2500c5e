//! One signal's batch being built: a JSON array of
//! `{"time":RFC3339,"samplerate":N,"data":{...}}` events written straight
//! into one buffer, flushed at the batch's event count or before the body
//! would pass Honeycomb's batch size limit. An event that alone breaks a
//! per-event limit (1 MB of JSON, 2,000 fields, 64 KB strings) is taken
//! back out of the buffer and refused, with the reason.

use std::fmt::Write;

use super::fields::Fields;
use crate::sink::fmt;

/// The largest batch body sent (uncompressed): Honeycomb's documented
/// batch limit is 5 MB.
pub const MAX_BATCH_BYTES: usize = 5_000_000;

/// The largest event (uncompressed JSON): the documented limit is 1 MB.
pub const MAX_EVENT_BYTES: usize = 1_000_000;

/// Where one event went.
#[derive(Debug, PartialEq)]
pub enum Added {
    /// In the batch, which has room for more.
    Kept,
    /// In the batch; the batch is full (send it).
    Full,
    /// In a new batch: the finished one before it is handed back.
    Split(Vec<u8>, u64),
    /// Refused: it breaks a per-event limit.
    Refused(String),
}

/// A batch of events for one dataset.
pub struct Batch {
    body: String,
    events: u64,
    max_events: u64,
    max_bytes: usize,
    /// The size of the last batch sent (the next one's capacity).
    last: usize,
}

impl Batch {
    /// An empty batch of at most `max_events` events and `max_bytes` bytes.
    pub fn new(max_events: usize, max_bytes: usize) -> Batch {
        Batch {
            body: String::new(),
            events: 0,
            max_events: max_events.max(1) as u64,
            max_bytes: max_bytes.max(2),
            last: 1 << 12,
        }
    }

    /// Whether it holds no event.
    #[cfg(test)]
    pub fn is_empty(&self) -> bool {
        self.events == 0
    }

    /// Appends one event at `time_ns`, its `data` written by `write`.
    pub fn add(
        &mut self,
        time_ns: i64,
        samplerate: u32,
        write: impl FnOnce(&mut Fields<'_>),
    ) -> Added {
        if self.events == 0 {
            self.body.clear();
            self.body.reserve(self.last + self.last / 8);
            self.body.push('[');
        }
        let before = self.body.len();
        if self.events > 0 {
            self.body.push(',');
        }
        let start = self.body.len();
        self.body.push_str("{\"time\":\"");
        fmt::timestamp_nanos(&mut self.body, time_ns);
        self.body.push_str("\",\"samplerate\":");
        let _ = write!(self.body, "{samplerate}");
        self.body.push_str(",\"data\":");
        let mut fields = Fields::open(&mut self.body);
        write(&mut fields);
        let checked = fields.close();
        self.body.push('}');
        let size = self.body.len() - start;
        let limit = match checked {
            Err(reason) => Some(reason),
            Ok(()) if size > MAX_EVENT_BYTES => Some(format!(
                "a {size}-byte event, more than Honeycomb's {MAX_EVENT_BYTES}-byte limit"
            )),
            Ok(()) if size + 2 > self.max_bytes => Some(format!(
                "a {size}-byte event, more than the {}-byte batch limit",
                self.max_bytes
            )),
            Ok(()) => None,
        };
        if let Some(reason) = limit {
            self.body.truncate(before);
            return Added::Refused(reason);
        }
        // `]` closes the body.
        if self.events > 0 && self.body.len() + 1 > self.max_bytes {
            let event = self.body[start..].to_string();
            self.body.truncate(before);
            let done = self.take();
            self.body.push('[');
            self.body.push_str(&event);
            self.events = 1;
            return Added::Split(done.0, done.1);
        }
        self.events += 1;
        if self.events >= self.max_events {
            Added::Full
        } else {
            Added::Kept
        }
    }

    /// The finished body and its event count (empty: no events); the batch
    /// starts over.
    pub fn take(&mut self) -> (Vec<u8>, u64) {
        let n = self.events;
        if n == 0 {
            return (Vec::new(), 0);
        }
        self.body.push(']');
        self.last = self.body.len();
        let body = std::mem::replace(&mut self.body, String::with_capacity(self.last));
        self.events = 0;
        (body.into_bytes(), n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_split_under_the_byte_limit_and_refuse_oversized_events() {
        let mut b = Batch::new(100, 200);
        let mut sent = Vec::new();
        for i in 0..10 {
            match b.add(i, 1, |f| {
                f.str("k", "0123456789012345678901234567890123456789")
            }) {
                Added::Split(body, n) => sent.push((body, n)),
                Added::Kept => {}
                other => panic!("{other:?}"),
            }
        }
        let (rest, n) = b.take();
        sent.push((rest, n));
        let total: u64 = sent.iter().map(|s| s.1).sum();
        assert_eq!(total, 10);
        for (body, n) in &sent {
            assert!(body.len() <= 200, "{}", body.len());
            let v: Vec<serde_json::Value> = serde_json::from_slice(body).unwrap();
            assert_eq!(v.len() as u64, *n);
            assert_eq!(v[0]["samplerate"], 1);
            assert!(v[0]["time"].as_str().unwrap().ends_with('Z'));
        }
        let big = "x".repeat(300);
        assert!(matches!(
            b.add(0, 1, |f| f.str("k", &big)),
            Added::Refused(_)
        ));
        assert!(b.is_empty());
        assert!(matches!(b.add(0, 1, |f| f.int("k", 1)), Added::Kept));
        let mut full = Batch::new(2, MAX_BATCH_BYTES);
        assert_eq!(full.add(0, 1, |f| f.int("k", 1)), Added::Kept);
        assert_eq!(full.add(0, 1, |f| f.int("k", 1)), Added::Full);
        let (body, n) = full.take();
        assert_eq!(n, 2);
        assert_eq!(
            String::from_utf8(body).unwrap(),
            r#"[{"time":"1970-01-01T00:00:00.000000000Z","samplerate":1,"data":{"k":1}},{"time":"1970-01-01T00:00:00.000000000Z","samplerate":1,"data":{"k":1}}]"#
        );
    }
}
