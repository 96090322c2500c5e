//! gRPC status codes: what `rpc.response.status_code` carries on the spans
//! of gRPC endpoints (semantic conventions 1.44.0: the code's name as a
//! string, `"OK"`, `"DEADLINE_EXCEEDED"`), the mapping from the HTTP-style
//! status a scenario declares (`status pick {502, 504}`) to a code, and
//! which codes make a server span an error.
//!
//! The mapping follows the HTTP-to-RPC table of `google.rpc.Code`: 400
//! `INVALID_ARGUMENT`, 401 `UNAUTHENTICATED`, 403 `PERMISSION_DENIED`, 404
//! `NOT_FOUND`, 409 `ABORTED`, 416 `OUT_OF_RANGE`, 429
//! `RESOURCE_EXHAUSTED`, 499 `CANCELLED`, any other 4xx
//! `FAILED_PRECONDITION`; 501 `UNIMPLEMENTED`, 502 and 503 `UNAVAILABLE`,
//! 504 `DEADLINE_EXCEEDED`, 500 and any other 5xx `INTERNAL`; below 400
//! `OK`.

/// A gRPC status code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum GrpcCode {
    /// 0.
    Ok = 0,
    /// 1.
    Cancelled = 1,
    /// 2.
    Unknown = 2,
    /// 3.
    InvalidArgument = 3,
    /// 4.
    DeadlineExceeded = 4,
    /// 5.
    NotFound = 5,
    /// 6.
    AlreadyExists = 6,
    /// 7.
    PermissionDenied = 7,
    /// 8.
    ResourceExhausted = 8,
    /// 9.
    FailedPrecondition = 9,
    /// 10.
    Aborted = 10,
    /// 11.
    OutOfRange = 11,
    /// 12.
    Unimplemented = 12,
    /// 13.
    Internal = 13,
    /// 14.
    Unavailable = 14,
    /// 15.
    DataLoss = 15,
    /// 16.
    Unauthenticated = 16,
}

impl GrpcCode {
    /// The code for an HTTP-style status (see the module doc).
    pub fn from_http(status: u16) -> GrpcCode {
        match status {
            400 => GrpcCode::InvalidArgument,
            401 => GrpcCode::Unauthenticated,
            403 => GrpcCode::PermissionDenied,
            404 => GrpcCode::NotFound,
            409 => GrpcCode::Aborted,
            416 => GrpcCode::OutOfRange,
            429 => GrpcCode::ResourceExhausted,
            499 => GrpcCode::Cancelled,
            501 => GrpcCode::Unimplemented,
            502 | 503 => GrpcCode::Unavailable,
            504 => GrpcCode::DeadlineExceeded,
            _ if status < 400 => GrpcCode::Ok,
            _ if status < 500 => GrpcCode::FailedPrecondition,
            _ => GrpcCode::Internal,
        }
    }

    /// The name `rpc.response.status_code` (and `error.type`) carries.
    pub fn as_str(self) -> &'static str {
        match self {
            GrpcCode::Ok => "OK",
            GrpcCode::Cancelled => "CANCELLED",
            GrpcCode::Unknown => "UNKNOWN",
            GrpcCode::InvalidArgument => "INVALID_ARGUMENT",
            GrpcCode::DeadlineExceeded => "DEADLINE_EXCEEDED",
            GrpcCode::NotFound => "NOT_FOUND",
            GrpcCode::AlreadyExists => "ALREADY_EXISTS",
            GrpcCode::PermissionDenied => "PERMISSION_DENIED",
            GrpcCode::ResourceExhausted => "RESOURCE_EXHAUSTED",
            GrpcCode::FailedPrecondition => "FAILED_PRECONDITION",
            GrpcCode::Aborted => "ABORTED",
            GrpcCode::OutOfRange => "OUT_OF_RANGE",
            GrpcCode::Unimplemented => "UNIMPLEMENTED",
            GrpcCode::Internal => "INTERNAL",
            GrpcCode::Unavailable => "UNAVAILABLE",
            GrpcCode::DataLoss => "DATA_LOSS",
            GrpcCode::Unauthenticated => "UNAUTHENTICATED",
        }
    }

    /// Whether a server span with this code is an error: `UNKNOWN`,
    /// `DEADLINE_EXCEEDED`, `UNIMPLEMENTED`, `INTERNAL`, `UNAVAILABLE` and
    /// `DATA_LOSS` (the gRPC conventions' list); a client span is an error
    /// for every code but `OK`.
    pub fn server_error(self) -> bool {
        matches!(
            self,
            GrpcCode::Unknown
                | GrpcCode::DeadlineExceeded
                | GrpcCode::Unimplemented
                | GrpcCode::Internal
                | GrpcCode::Unavailable
                | GrpcCode::DataLoss
        )
    }
}

#[cfg(test)]
mod tests {
    use super::GrpcCode;

    #[test]
    fn http_statuses_map_to_grpc_codes() {
        let cases = [
            (200, "OK"),
            (400, "INVALID_ARGUMENT"),
            (404, "NOT_FOUND"),
            (418, "FAILED_PRECONDITION"),
            (429, "RESOURCE_EXHAUSTED"),
            (500, "INTERNAL"),
            (502, "UNAVAILABLE"),
            (503, "UNAVAILABLE"),
            (504, "DEADLINE_EXCEEDED"),
            (599, "INTERNAL"),
        ];
        for (http, name) in cases {
            assert_eq!(GrpcCode::from_http(http).as_str(), name, "{http}");
        }
        assert!(GrpcCode::Unavailable.server_error());
        assert!(!GrpcCode::NotFound.server_error());
        assert!(!GrpcCode::Ok.server_error());
    }
}
