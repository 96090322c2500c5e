//! The few `google.rpc` messages OTLP error answers carry: `Status` (the
//! gRPC `grpc-status-details-bin` and the OTLP/HTTP error body) and
//! `RetryInfo` (the delay of a throttled answer), hand-written for prost.

/// `google.rpc.Status`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Status {
    #[prost(int32, tag = "1")]
    pub code: i32,
    #[prost(string, tag = "2")]
    pub message: String,
    #[prost(message, repeated, tag = "3")]
    pub details: Vec<Any>,
}

/// `google.protobuf.Any`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Any {
    #[prost(string, tag = "1")]
    pub type_url: String,
    #[prost(bytes = "vec", tag = "2")]
    pub value: Vec<u8>,
}

/// `google.rpc.RetryInfo`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct RetryInfo {
    #[prost(message, optional, tag = "1")]
    pub retry_delay: Option<Duration>,
}

/// `google.protobuf.Duration`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Duration {
    #[prost(int64, tag = "1")]
    pub seconds: i64,
    #[prost(int32, tag = "2")]
    pub nanos: i32,
}

/// The type URL of a packed [`RetryInfo`].
pub const RETRY_INFO_TYPE_URL: &str = "type.googleapis.com/google.rpc.RetryInfo";

impl Status {
    /// A status whose one detail is a [`RetryInfo`] carrying `delay`.
    pub fn with_retry_delay(
        code: i32,
        message: impl Into<String>,
        delay: std::time::Duration,
    ) -> Status {
        let info = RetryInfo {
            retry_delay: Some(Duration {
                seconds: i64::try_from(delay.as_secs()).unwrap_or(i64::MAX),
                nanos: i32::try_from(delay.subsec_nanos()).unwrap_or(0),
            }),
        };
        Status {
            code,
            message: message.into(),
            details: vec![Any {
                type_url: RETRY_INFO_TYPE_URL.to_string(),
                value: prost::Message::encode_to_vec(&info),
            }],
        }
    }

    /// The delay of the first [`RetryInfo`] detail, if any.
    pub fn retry_delay(&self) -> Option<std::time::Duration> {
        let any = self
            .details
            .iter()
            .find(|a| a.type_url == RETRY_INFO_TYPE_URL)?;
        let info: RetryInfo = prost::Message::decode(any.value.as_slice()).ok()?;
        let d = info.retry_delay?;
        let secs = u64::try_from(d.seconds).ok()?;
        let nanos = u32::try_from(d.nanos).ok()?;
        Some(std::time::Duration::new(secs, nanos))
    }
}

/// The retry delay in gRPC status details (the bytes of `grpc-status-details-bin`,
/// as `tonic::Status::details` gives them).
pub fn retry_delay(status_details: &[u8]) -> Option<std::time::Duration> {
    let status: Status = prost::Message::decode(status_details).ok()?;
    status.retry_delay()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_delay_round_trips() {
        let s = Status::with_retry_delay(8, "slow down", std::time::Duration::from_millis(2500));
        let bytes = prost::Message::encode_to_vec(&s);
        assert_eq!(
            retry_delay(&bytes),
            Some(std::time::Duration::from_millis(2500))
        );
        assert_eq!(retry_delay(b"\xff"), None);
    }
}
