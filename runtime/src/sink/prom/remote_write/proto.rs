//! The three messages of a Prometheus remote-write 1.0 request, as
//! `prompb/remote.proto` and `prompb/types.proto` number their fields:
//! `WriteRequest { repeated TimeSeries timeseries = 1; }`,
//! `TimeSeries { repeated Label labels = 1; repeated Sample samples = 2; }`,
//! `Label { string name = 1; string value = 2; }` and
//! `Sample { double value = 1; int64 timestamp = 2; }` (milliseconds), and
//! a request's body: the encoded message, snappy block-compressed.

use std::io;

/// `prometheus.WriteRequest` (metadata, field 3, is not sent).
#[derive(Clone, PartialEq, prost::Message)]
pub struct WriteRequest {
    /// The series of the request.
    #[prost(message, repeated, tag = "1")]
    pub timeseries: Vec<TimeSeries>,
}

/// `prometheus.TimeSeries`: labels sorted by name, samples in time order.
#[derive(Clone, PartialEq, prost::Message)]
pub struct TimeSeries {
    /// Its labels, `__name__` among them.
    #[prost(message, repeated, tag = "1")]
    pub labels: Vec<Label>,
    /// Its samples.
    #[prost(message, repeated, tag = "2")]
    pub samples: Vec<Sample>,
}

/// `prometheus.Label`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Label {
    /// The label name.
    #[prost(string, tag = "1")]
    pub name: String,
    /// Its value.
    #[prost(string, tag = "2")]
    pub value: String,
}

/// `prometheus.Sample`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Sample {
    /// The value.
    #[prost(double, tag = "1")]
    pub value: f64,
    /// Milliseconds since the Unix epoch.
    #[prost(int64, tag = "2")]
    pub timestamp: i64,
}

/// The body of a request: `req` encoded, snappy block-compressed (not the
/// framed stream format, which remote write does not take).
pub fn body(req: &WriteRequest) -> io::Result<Vec<u8>> {
    let encoded = prost::Message::encode_to_vec(req);
    snap::raw::Encoder::new()
        .compress_vec(&encoded)
        .map_err(|e| {
            io::Error::other(format!(
                "cannot snappy-compress a remote-write request: {e}"
            ))
        })
}

/// A request's body decoded back (tests, and any reader of our output).
pub fn decode(body: &[u8]) -> io::Result<WriteRequest> {
    let raw = snap::raw::Decoder::new()
        .decompress_vec(body)
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, format!("not snappy: {e}")))?;
    prost::Message::decode(raw.as_slice()).map_err(|e| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("not a WriteRequest: {e}"),
        )
    })
}
