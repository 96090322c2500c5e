//! Per-request values: samplers and generated attribute values
//! ([`values`]), and drawing one request through its endpoint's program
//! ([`request`]).

pub mod gen;
pub mod request;
pub mod trace;
pub mod values;
