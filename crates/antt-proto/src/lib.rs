//! Generated protobuf types for the `antt.v1` API.
//!
//! # Layout
//! - [`v1`]: every message of `proto/antt/v1/`, and with the `grpc` feature the tonic
//!   clients (`*_client`) and servers (`*_server`).
//! - [`FILE_DESCRIPTOR_SET`]: the encoded descriptors, for gRPC server reflection.
//!
//! *API Boundary:* these types are the wire contract. Services convert them to domain and
//! log types by hand, so that a change of an internal type never silently changes the wire.

/// Messages and services of the `antt.v1` protobuf package.
#[allow(clippy::all, missing_docs)]
pub mod v1 {
    include!(concat!(env!("OUT_DIR"), "/antt.v1.rs"));
}

/// Encoded `FileDescriptorSet` of every proto under `proto/antt/`.
pub const FILE_DESCRIPTOR_SET: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/antt_descriptor.bin"));
