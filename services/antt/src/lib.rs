//! The `antt` command-line client as a library: what the binary runs, so that other
//! programs (the end-to-end tests) can run an import or the demo without spawning it.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

pub mod append;
pub mod audit;
pub mod bundle;
pub mod cli;
pub mod client;
pub mod dates;
pub mod demo;
pub mod error;
pub mod forget;
pub mod import;
pub mod output;
pub mod read;
pub mod recover;
pub mod tail;
pub mod verify;
pub mod witness;
