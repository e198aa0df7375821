//! Verifiable history at scale (`--only-audit`): on a store of many events, the latency
//! of inclusion and consistency proofs through the log API, the rate of a full offline
//! verification (which recomputes the whole Merkle tree), and next to it sled's bare
//! iteration of the same store, measured in the same run.

use std::path::Path;
use std::time::{Duration, Instant};

use antt_log::sled_log::{verify, SledConfig};
use antt_log::{EventLog, VerifiableLog};
use anyhow::Context;
use rand::{Rng, SeedableRng};

use crate::driver::percentile;
use crate::{log_api, memory};

/// Proofs timed of each kind.
const PROOFS_N: usize = 10_000;

pub struct AuditReport {
    pub events_n: u64,
    pub build_events_per_s: f64,
    pub inclusion: Latencies,
    pub consistency: Latencies,
    /// Signing a checkpoint, its consistency proof and one local witness's round trip.
    pub witnessed: Latencies,
    pub verify_duration: Duration,
    /// Of which copying the store's files (verification never opens the original).
    pub copy_duration: Duration,
    pub raw_iter_records_per_s: f64,
}

pub struct Latencies {
    pub p50: Duration,
    pub p99: Duration,
    pub max: Duration,
}

impl Latencies {
    fn of(mut samples: Vec<Duration>) -> Latencies {
        samples.sort();
        Latencies {
            p50: percentile(&samples, 0.50),
            p99: percentile(&samples, 0.99),
            max: samples.last().copied().unwrap_or_default(),
        }
    }
}

pub async fn run(base_dir: &Path, events_n: u64) -> anyhow::Result<AuditReport> {
    let temp = tempfile::Builder::new()
        .prefix("antt-bench-audit-")
        .tempdir_in(base_dir)
        .context("creating a temporary directory")?;
    let path = temp.path().join("log");
    eprintln!("audit: building {events_n} events");
    let build_events_per_s = memory::build_store(&path, events_n).await?;
    let log = log_api::open(SledConfig::new(&path)).await?;
    let size = log.tree_head().size;
    let mut rng = rand::rngs::StdRng::seed_from_u64(9162);
    eprintln!("audit: {PROOFS_N} inclusion proofs");
    let mut inclusion = Vec::with_capacity(PROOFS_N);
    for _ in 0..PROOFS_N {
        let position = rng.random_range(0..size);
        let started = Instant::now();
        log.inclusion_proof(position, size).await.context("inclusion proof")?;
        inclusion.push(started.elapsed());
    }
    eprintln!("audit: {PROOFS_N} consistency proofs");
    let mut consistency = Vec::with_capacity(PROOFS_N);
    for _ in 0..PROOFS_N {
        let old_size = rng.random_range(1..=size);
        let started = Instant::now();
        log.consistency_proof(old_size, size)
            .await
            .context("consistency proof")?;
        consistency.push(started.elapsed());
    }
    eprintln!("audit: {WITNESSED_N} checkpoints signed and cosigned by a local witness");
    let witnessed = Latencies::of(witness_rounds(&log, temp.path()).await?);
    log.close().await.context("closing the store")?;
    drop(log);
    eprintln!("audit: verifying the whole store offline");
    let verify_path = path.clone();
    let (verify_duration, copy_duration) = tokio::task::spawn_blocking(move || {
        let started = Instant::now();
        verify(&verify_path, &[], &mut |_, _| {}).map(|report| (started.elapsed(), report.copy_duration))
    })
    .await
    .context("verify task panicked")??;
    let raw_iter_records_per_s = raw_iteration_rate(&path)?;
    Ok(AuditReport {
        events_n,
        build_events_per_s,
        inclusion: Latencies::of(inclusion),
        witnessed,
        consistency: Latencies::of(consistency),
        verify_duration,
        copy_duration,
        raw_iter_records_per_s,
    })
}

/// Checkpoints timed with their witness round trip.
const WITNESSED_N: u64 = 200;

/// Signs checkpoints of the last [`WITNESSED_N`] sizes of the store in order and has each
/// cosigned by a witness on loopback: sign, consistency proof from the previous size,
/// HTTP submission, the witness's proof check, durable state write and cosignature.
async fn witness_rounds(log: &antt_log::sled_log::SledLog, dir: &Path) -> anyhow::Result<Vec<Duration>> {
    use antt_audit::checkpoint::{Checkpoint, SignedCheckpoint};
    use antt_audit::witness::AddCheckpointRequest;
    let signer = antt_audit::note::Signer::generate("antt-bench/log")?;
    let config = antt_witness::WitnessConfig {
        listen: "127.0.0.1:0".parse()?,
        state_dir: dir.join("witness"),
        key_file: dir.join("witness.key"),
        name: "antt-bench/witness".into(),
        logs: [(signer.name().to_string(), signer.verifier())].into(),
    };
    std::fs::create_dir_all(&config.state_dir)?;
    let witness = antt_witness::Witness::bind(config).await?;
    let url = format!("http://{}", witness.local_addr()?);
    let served = tokio::spawn(witness.run(std::future::pending()));
    let size = log.tree_head().size;
    let mut old_size = 0;
    let mut samples = Vec::new();
    for checkpoint_size in size.saturating_sub(WITNESSED_N) + 1..=size {
        let started = Instant::now();
        let checkpoint = Checkpoint {
            origin: signer.name().to_string(),
            size: checkpoint_size,
            root: log.root_at(checkpoint_size).await?,
            extensions: Vec::new(),
        };
        let signed = SignedCheckpoint::sign(checkpoint, &signer)?;
        let consistency_proof = match old_size {
            0 => Vec::new(),
            old => log.consistency_proof(old, checkpoint_size).await?,
        };
        let request = AddCheckpointRequest {
            old_size,
            consistency_proof,
            checkpoint_text: signed.to_text(),
        };
        let cosignatures = antt_witness::submit(&url, &request).await?;
        anyhow::ensure!(!cosignatures.is_empty(), "the witness answered without a cosignature");
        samples.push(started.elapsed());
        old_size = checkpoint_size;
    }
    served.abort();
    Ok(samples)
}

/// sled's bare iteration over the events tree: the floor any full verification stands on.
fn raw_iteration_rate(path: &Path) -> anyhow::Result<f64> {
    let db = sled::Config::new()
        .path(path)
        .segment_size(antt_log::limits::SLED_SEGMENT_SIZE_BYTES)
        .open()
        .context("opening the store with sled")?;
    let tree = db.open_tree("events").context("opening the events tree")?;
    let started = Instant::now();
    let mut records = 0u64;
    for item in tree.iter() {
        item.context("iterating")?;
        records += 1;
    }
    Ok(records as f64 / started.elapsed().as_secs_f64())
}

impl AuditReport {
    pub fn print(&self) {
        let ms = |duration: Duration| duration.as_secs_f64() * 1000.0;
        let verify_rate = self.events_n as f64 / self.verify_duration.as_secs_f64();
        println!("## Verifiable history ({} events)\n", self.events_n);
        println!(
            "Store built at {:.0} events/s (flush mode, 32 writers × 50 events).\n",
            self.build_events_per_s
        );
        println!("| measure | p50 | p99 | max |\n|---|---|---|---|");
        let rows = [
            (
                format!("inclusion proof (log API), {PROOFS_N} at random"),
                &self.inclusion,
            ),
            (
                format!("consistency proof (log API), {PROOFS_N} at random"),
                &self.consistency,
            ),
            (
                format!("checkpoint signed + consistency proof + local witness round trip, {WITNESSED_N} in order"),
                &self.witnessed,
            ),
        ];
        for (name, latencies) in rows {
            println!(
                "| {name} | {:.3} ms | {:.3} ms | {:.3} ms |",
                ms(latencies.p50),
                ms(latencies.p99),
                ms(latencies.max)
            );
        }
        println!(
            "\nFull offline verification (copy of the store, every record decoded, the chain and the whole Merkle tree recomputed, every stored node and the anchor compared): {:.1} s ({:.1} s of it copying the store), {:.0} events/s; sled's bare iteration of the same store: {:.0} records/s ({:.0} % of it).",
            self.verify_duration.as_secs_f64(),
            self.copy_duration.as_secs_f64(),
            verify_rate,
            self.raw_iter_records_per_s,
            100.0 * verify_rate / self.raw_iter_records_per_s
        );
    }
}
