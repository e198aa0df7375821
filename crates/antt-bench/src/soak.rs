//! `--soak SECONDS`: a real `anttd` process under a mixed load for a bounded time, for
//! manual runs. c clients ([`SOAK_CLIENTS_DEFAULT`]) share min(c, 8) HTTP/2 connections
//! and call, for a warm-up and then the given seconds, the mix of [`soak_mix`]: domain
//! commands each client plans so that the domain accepts them, and queries of views,
//! projections, the event store and the audit API. Reports per kind of call its count,
//! errors by gRPC code and latency; the server's resident memory at the start of the
//! window, at its end and at most over it; and at the end checks the log: every
//! acknowledged write at its position on its stream, the head against the acknowledged
//! events, and (with the server stopped) the whole store verified offline.

use std::collections::{BTreeMap, VecDeque};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use antt_proto::v1 as pb;
use antt_proto::v1::areas_client::AreasClient;
use antt_proto::v1::audit_client::AuditClient;
use antt_proto::v1::event_store_client::EventStoreClient;
use anyhow::Context;
use tonic::transport::Channel;

use crate::anttd_process::AnttdProcess;
use crate::domain;
use crate::driver::{Timing, Window};
use crate::grpc;
use crate::soak_calls::{CallError, Client, Shared};
use crate::soak_report::{LogCheck, MemoryFigures, SoakReport, Tally};

/// Clients of a soak unless `--soak-clients` says otherwise.
pub const SOAK_CLIENTS_DEFAULT: usize = 64;
/// Longest one call may take before the client gives up on it (counted as an error).
pub const SOAK_CALL_TIMEOUT_SECS: u64 = 10;
/// The mixed load before the window opens (and the starting memory is read).
pub const SOAK_WARMUP_SECS: u64 = 5;
/// Interval between two readings of the server's resident memory.
pub const SOAK_RSS_SAMPLE_MILLIS: u64 = 1_000;
/// The ids of each kind a client remembers for its queries (its latest ones).
pub const SOAK_KNOWN_IDS_MAX: usize = 64;

/// What to run.
pub struct SoakSpec {
    pub seconds: u64,
    pub clients: usize,
    pub anttd_bin: PathBuf,
}

/// Runs the soak in a temporary directory under `base_dir`, removed afterwards.
pub async fn run(base_dir: &Path, spec: SoakSpec) -> anyhow::Result<SoakReport> {
    let temp = tempfile::Builder::new()
        .prefix("antt-bench-soak-")
        .tempdir_in(base_dir)
        .context("creating a temporary directory")?;
    let server = AnttdProcess::start(&spec.anttd_bin, temp.path()).await?;
    eprintln!("soak: anttd pid {} on {}", server.pid, server.uri);
    let result = soak_server(&server, &spec).await;
    // The report names no machine path.
    let stderr = server
        .stderr()
        .replace(&temp.path().display().to_string(), "<temporary directory>");
    let data_dir = server.data_dir.clone();
    let exit = server.stop().await;
    let mut report = result.with_context(|| format!("the soak failed; the server's stderr:\n{stderr}"))?;
    report.server_exit = exit
        .map(|status| status.to_string())
        .map_err(|error| format!("{error:#}"));
    report.server_stderr = stderr;
    report.offline = offline_verify(data_dir, &report.log).await;
    temp.close().context("removing the temporary directory")?;
    Ok(report)
}

/// Setup, warm-up, window, and the checks over gRPC, against the running server.
async fn soak_server(server: &AnttdProcess, spec: &SoakSpec) -> anyhow::Result<SoakReport> {
    let setup_started = Instant::now();
    let mut channels = Vec::new();
    for _ in 0..grpc::connections_for(spec.clients) {
        channels.push(grpc::channel(&server.uri).await?);
    }
    let shared = set_up(&channels[0], spec.clients).await?;
    let mut clients = Vec::with_capacity(spec.clients);
    for idx in 0..spec.clients {
        let mut client = Client::new(idx, channels[idx % channels.len()].clone(), &shared);
        client
            .set_up()
            .await
            .with_context(|| format!("setting up client {idx}"))?;
        clients.push(client);
    }
    let setup_duration = setup_started.elapsed();
    eprintln!(
        "soak: set up in {:.1} s; {SOAK_WARMUP_SECS} s warm-up, then {} s",
        setup_duration.as_secs_f64(),
        spec.seconds
    );
    let window = Window::after_warmup(Timing {
        warmup: Duration::from_secs(SOAK_WARMUP_SECS),
        measure: Duration::from_secs(spec.seconds),
    });
    let sampler = tokio::spawn(sample_rss(server.pid, window));
    let tasks: Vec<_> = clients
        .into_iter()
        .map(|client| tokio::spawn(client.run_until(window)))
        .collect();
    let mut finished = Vec::with_capacity(tasks.len());
    for task in tasks {
        finished.push(task.await.context("soak client panicked")?);
    }
    let ended = Instant::now();
    let rss_end_kib = server.rss_kib()?;
    let samples = sampler.await.context("memory sampler panicked")??;
    let memory = MemoryFigures::new(samples, rss_end_kib, server.rss_peak_kib()?);
    let log = check_log(&channels[0], &shared, &finished).await?;
    Ok(SoakReport::new(
        spec,
        window,
        ended,
        setup_duration,
        &finished,
        memory,
        log,
    ))
}

/// The area tree (Thanh Hóa → Nga Sơn → Nga Thái, one village per client), and a first
/// checkpoint for the audit queries.
async fn set_up(channel: &Channel, clients: usize) -> anyhow::Result<Shared> {
    let [_, _, commune_id, first_village] = domain::register_area_chain(channel).await?;
    let mut villages = vec![first_village];
    let mut areas = AreasClient::new(channel.clone());
    for n in 2..=clients {
        let request = domain::register_area_request(
            "",
            &format!("Thôn {n}"),
            pb::AreaLevel::ResidentialArea,
            "thôn",
            &commune_id,
        );
        villages.push(request.area_id.clone());
        areas.register_area(request).await.context("Areas/RegisterArea")?;
    }
    let checkpoint = AuditClient::new(channel.clone())
        .create_checkpoint(pb::CreateCheckpointRequest {})
        .await
        .context("Audit/CreateCheckpoint")?
        .into_inner();
    let head = get_head(channel).await?;
    Ok(Shared {
        commune_id,
        villages,
        checkpoint: (checkpoint.tree_size, checkpoint.root_hash),
        setup_events: head.next_position,
    })
}

async fn get_head(channel: &Channel) -> anyhow::Result<pb::LogHead> {
    Ok(EventStoreClient::new(channel.clone())
        .get_head(pb::GetHeadRequest {})
        .await
        .context("EventStore/GetHead")?
        .into_inner())
}

/// The server's resident memory from the window's start, every [`SOAK_RSS_SAMPLE_MILLIS`],
/// until it closes: (time into the window, KiB).
async fn sample_rss(pid: u32, window: Window) -> anyhow::Result<Vec<(Duration, u64)>> {
    tokio::time::sleep_until(window.start.into()).await;
    let mut ticker = tokio::time::interval(Duration::from_millis(SOAK_RSS_SAMPLE_MILLIS));
    let mut samples = Vec::new();
    while Instant::now() <= window.end {
        ticker.tick().await;
        samples.push((window.start.elapsed(), crate::memory::process_status_kib(pid, "VmRSS")?));
    }
    Ok(samples)
}

/// Reads the whole log over gRPC: every acknowledged write must be there, at its
/// positions and on its stream, and the head must hold exactly the setup's events and
/// the acknowledged ones.
async fn check_log(channel: &Channel, shared: &Shared, clients: &[Client]) -> anyhow::Result<LogCheck> {
    let head = get_head(channel).await?;
    let mut expected: BTreeMap<u64, &str> = BTreeMap::new();
    for ack in clients.iter().flat_map(|client| &client.acks) {
        for position in ack.first_position..=ack.last_position {
            expected.insert(position, &ack.stream_id);
        }
    }
    let mut stream = EventStoreClient::new(channel.clone())
        .read_all(pb::ReadAllRequest {
            from_position: 0,
            filter: None,
            max_count: 0,
        })
        .await
        .context("EventStore/ReadAll of the whole log")?
        .into_inner();
    let (mut events_read, mut found, mut misplaced) = (0u64, 0u64, 0u64);
    let mut unacknowledged: BTreeMap<String, u64> = BTreeMap::new();
    while let Some(event) = stream.message().await.context("EventStore/ReadAll")? {
        events_read += 1;
        match expected.get(&event.position) {
            Some(stream_id) => {
                found += 1;
                misplaced += u64::from(*stream_id != event.stream_id);
            }
            None if event.position >= shared.setup_events => {
                let key = format!("{} on {}", event.event_type, event.stream_id);
                *unacknowledged.entry(key).or_default() += 1;
            }
            None => {}
        }
    }
    Ok(LogCheck {
        setup_events: shared.setup_events,
        acknowledged_writes: clients.iter().map(|client| client.acks.len() as u64).sum(),
        deduplicated_acks: clients
            .iter()
            .flat_map(|client| &client.acks)
            .filter(|ack| ack.deduplicated)
            .count() as u64,
        acknowledged_events: expected.len() as u64,
        acknowledged_found: found,
        misplaced,
        events_read,
        unacknowledged,
        checkpoint: clients
            .iter()
            .map(|client| client.checkpoint.clone())
            .max_by_key(|(size, _)| *size)
            .unwrap_or_else(|| shared.checkpoint.clone()),
        head,
    })
}

/// With the server stopped: the whole store verified (hash chain, Merkle nodes, head
/// anchor), its size and last hash against the head read over gRPC, and the root of the
/// latest checkpoint a client proved against recomputed from the records.
async fn offline_verify(data_dir: PathBuf, log: &LogCheck) -> Result<String, String> {
    let (size, root) = log.checkpoint.clone();
    let verified = tokio::task::spawn_blocking(move || antt_log::sled_log::verify(&data_dir, &[size], &mut |_, _| {}))
        .await
        .map_err(|error| format!("verify task panicked: {error}"))?
        .map_err(|error| format!("{error}"))?;
    let head = &log.head;
    let last_hash_equal = verified.last_hash.as_slice() == head.last_hash;
    let root_equal = verified
        .roots_at
        .iter()
        .any(|(at, hash)| *at == size && hash.as_slice() == root);
    if verified.events_checked != head.next_position || !last_hash_equal || !root_equal {
        return Err(format!(
            "the store holds {} events, the head said {}; last hashes equal: {last_hash_equal}; root at {size} equal to the checkpoint's: {root_equal}",
            verified.events_checked, head.next_position
        ));
    }
    Ok(format!(
        "{} events: hash chain, Merkle nodes and head anchor verified; last hash equals GetHead's; the root at {size} (the latest checkpoint proved against) equals the checkpoint's",
        verified.events_checked
    ))
}

/// Runs `call` under [`SOAK_CALL_TIMEOUT_SECS`].
pub async fn bounded<T>(call: impl std::future::Future<Output = Result<T, CallError>>) -> Result<T, CallError> {
    tokio::time::timeout(Duration::from_secs(SOAK_CALL_TIMEOUT_SECS), call)
        .await
        .unwrap_or(Err(CallError::Timeout))
}

/// Latest ids of one kind, at most [`SOAK_KNOWN_IDS_MAX`].
#[derive(Default)]
pub struct Known(VecDeque<String>);

impl Known {
    pub fn push(&mut self, id: String) {
        if self.0.len() == SOAK_KNOWN_IDS_MAX {
            self.0.pop_front();
        }
        self.0.push_back(id);
    }

    pub fn pick(&self, rng: &mut impl rand::Rng) -> Option<&str> {
        if self.0.is_empty() {
            return None;
        }
        Some(&self.0[rng.random_range(0..self.0.len())])
    }
}

/// Per kind of call, over all clients.
pub fn merged_tallies(clients: &[Client]) -> BTreeMap<crate::soak_mix::Op, Tally> {
    let mut merged: BTreeMap<_, Tally> = BTreeMap::new();
    for client in clients {
        for (op, tally) in &client.tallies {
            merged.entry(*op).or_default().add(tally);
        }
    }
    merged
}
