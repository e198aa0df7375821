//! The `antt` command-line client as a library: what the binary runs, so that other
//! programs (the end-to-end tests) can run an import, the demo, the ten-year report or
//! the analytics export without spawning it.
//!
//! - [`report`]: `antt report`: the Projections answers of each year as tables, printed
//!   as Markdown (Vietnamese headings) or JSON (stable English keys).
//! - [`export`]: `antt export <query>`: the Analytics service's rows as CSV or Parquet.
//! - [`demo`]: `antt demo nga-son`: a district's decade recorded through the public API.
//! - [`backup`]: `antt admin backup | restore | backup-keys | restore-keys`.
//! - [`names`]: enum values as stable English keys and as Vietnamese labels.
//! - [`dates`], [`error`], [`client`]: dates and times on the command line, what can go
//!   wrong and how it is told, connecting to anttd.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

pub mod append;
pub mod audit;
pub mod backup;
pub mod bundle;
pub mod cli;
pub mod client;
pub mod dates;
pub mod demo;
pub mod error;
pub mod export;
pub mod forget;
pub mod health;
pub mod import;
pub mod names;
pub mod output;
pub mod projections_admin;
pub mod read;
pub mod recover;
pub mod report;
pub mod tail;
pub mod verify;
pub mod witness;
