//! (c) The floor: what sled itself does with the same bytes, with no log on top.
//!
//! One writer thread inserts records of the log's record size under a u64 big-endian
//! counter key, then per group calls `Db::flush()` and `fdatasync` on `<dir>/db`: the same
//! durability step the log's group commit takes in fsync mode.

use std::fs::File;
use std::path::Path;
use std::time::{Duration, Instant};

use antt_log::sled_log::SledConfig;
use anyhow::Context;

use crate::driver::{Measured, Timing, Window};

/// The tree raw sled writes, named as the log's.
pub const TREE: &str = "events";

/// The sled configuration raw sled runs with: what `SledLog` sets up (its default page
/// cache, the segment size from `antt_log::limits`, sled's defaults otherwise), so the
/// floor is the same engine tuned the same way.
pub fn config(path: &Path) -> sled::Config {
    sled::Config::new()
        .path(path)
        .cache_capacity(SledConfig::new(path).cache_capacity_bytes)
        .segment_size(antt_log::limits::SLED_SEGMENT_SIZE_BYTES)
}

/// Inserts `group_events` records per durable flush until the window closes. Latency is
/// per group (insert + flush + fdatasync), throughput in events.
pub async fn run(dir: &Path, group_events: usize, record: &[u8], timing: Timing) -> anyhow::Result<Measured> {
    let path = dir.join("raw-sled");
    let record = record.to_vec();
    tokio::task::spawn_blocking(move || run_blocking(&path, group_events, &record, timing))
        .await
        .context("raw sled task panicked")?
}

fn run_blocking(path: &Path, group_events: usize, record: &[u8], timing: Timing) -> anyhow::Result<Measured> {
    let db = config(path)
        .open()
        .with_context(|| format!("opening sled at {}", path.display()))?;
    let tree = db.open_tree(TREE).context("opening the events tree")?;
    let data_file = File::open(path.join("db")).context("opening sled's data file for fdatasync")?;
    let window = Window::after_warmup(timing);
    let mut latencies: Vec<Duration> = Vec::new();
    let mut key = 0u64;
    while Instant::now() < window.end {
        let started = Instant::now();
        for _ in 0..group_events {
            tree.insert(key.to_be_bytes(), record).context("sled insert")?;
            key += 1;
        }
        db.flush().context("sled flush")?;
        data_file.sync_data().context("fdatasync of sled's data file")?;
        let finished = Instant::now();
        if window.contains(finished) {
            latencies.push(finished - started);
        }
    }
    drop(tree);
    drop(db);
    Ok(Measured::from_samples(latencies, group_events, window.duration()))
}
