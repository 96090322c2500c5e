//! Per-request values: samplers and generated attribute values
//! ([`values`]), drawing one request through its endpoint's program
//! ([`request`]), and the gRPC status codes of RPC spans ([`grpc`]).

pub mod body;
pub mod gen;
pub mod grpc;
pub mod request;
pub mod trace;
pub mod values;
