//! The library half of `antt`: what other crates call directly as well as the command
//! line — the ten-year report and the analytics export, run by the end-to-end tests
//! against a real server — and what those share with the commands of the binary.
//!
//! - [`report`]: `antt report`: the Projections answers of each year as tables, printed
//!   as Markdown (Vietnamese headings) or JSON (stable English keys).
//! - [`export`]: `antt export <query>`: the Analytics service's rows as CSV or Parquet.
//! - [`names`]: enum values as stable English keys and as Vietnamese labels.
//! - [`dates`], [`error`], [`client`]: dates and times on the command line, what can go
//!   wrong and how it is told, connecting to anttd.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

pub mod client;
pub mod dates;
pub mod error;
pub mod export;
pub mod names;
pub mod report;
