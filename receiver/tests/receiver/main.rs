//! Integration tests of tsim-receiver with real clients: tonic's generated
//! OTLP clients for gRPC and hyper-util's legacy client for HTTP.

mod common;
mod faults;
mod http_errors;
mod transports;
mod validation;
