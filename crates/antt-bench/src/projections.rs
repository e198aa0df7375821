//! Projections (`--only-projections`, and part of the full run): what keeping the
//! bitemporal projections of `antt-projections` costs, next to baselines of the same run.
//!
//! 1. A store of domain events appended through `SledLog` (flush mode, one command's
//!    events per append, [`BUILD_WRITERS`] writers): areas (province → districts →
//!    communes → villages), then security protection teams in the villages filled the way
//!    the domain rows fill them ([`crate::domain`]: quota [`domain::LONG_TEAM_QUOTA`], so a
//!    team stream ends at 51 events, every [`domain::BACKDATED_EVERY`]th member nominated
//!    and appointed with dates before the members already recorded). Each command is
//!    decided through the team's timeline as the server decides it, and its events carry
//!    the envelope `anttd` gives them (request id, request SHA-256, decision number).
//! 2. In a fresh child process (`--projection-probe DIR`): `read_all` of the whole log,
//!    twice, then a rebuild of the projections from scratch into a fresh `SledStore`
//!    (`Engine::step` until the head), resident memory after it, then the same rebuild
//!    again by a replica of `Engine::apply` with a timer per phase.
//! 3. Durable appends (fsync, as the log rows) of team commands at 1 and 16 writers,
//!    with an `Engine::run` following the log live on its own tokio task and without, in
//!    alternating windows on fresh stores.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use antt_domain::area::{self, Area};
use antt_domain::team::{self, Team};
use antt_domain::{AnyEvent, AreaFacts, Context, Date, Decision, DomainEvent, Timeline};
use antt_log::event::{Direction, ReadAllRequest, ReadStreamRequest};
use antt_log::sled_log::{SledConfig, SledLog, SyncMode};
use antt_log::{AppendRequest, EventLog, ExpectedVersion, NewEvent};
use antt_projections::bitemporal::Pending;
use antt_projections::derive::{diff, ValidRow};
use antt_projections::record::Record;
use antt_projections::store::{SledStore, Store};
use antt_projections::{limits, Engine};
use antt_proto::v1 as pb;
use anyhow::{bail, Context as _};
use uuid::Uuid;

use crate::cpu;
use crate::domain;
use crate::driver::{Measured, Samples, Timing, Window};
use crate::log_api;
use crate::memory;
use crate::report::{self, rate, Better, Goal};

/// Writers appending while the store is built.
pub const BUILD_WRITERS: usize = 32;
/// Writer counts of the append rows.
pub const WRITERS: [usize; 2] = [1, 16];
/// Windows each append row is split into, per variant, taken in turn (without, with,
/// without, …) so that both see the same load on a busy machine.
pub const ROUNDS: usize = 3;
/// The area tree: districts of the province, communes per district, villages per commune.
pub const DISTRICTS: usize = 4;
pub const COMMUNES_PER_DISTRICT: usize = 10;
pub const VILLAGES_PER_COMMUNE: usize = 5;
/// Commands per team: establish, then nominate and appoint each member.
pub const COMMANDS_PER_TEAM: usize = 1 + 2 * domain::LONG_TEAM_QUOTA as usize;
/// Recorded as the events' actor.
const ACTOR: &str = "antt-bench";

/// Everything the projections section measured.
pub struct ProjectionsReport {
    pub events_n: u64,
    pub area_events_n: u64,
    pub teams_n: u64,
    pub build_events_per_s: f64,
    pub build_duration: Duration,
    pub log_size_bytes: u64,
    pub probe: ProjectionProbe,
    pub appends: Vec<AppendRow>,
    pub timing: Timing,
}

/// One append row: the same writers with and without the engine following the log.
pub struct AppendRow {
    pub writers: usize,
    pub without: Result<Variant, String>,
    /// The engine on a task of the benchmark's runtime (which its writers run on too).
    pub with: Result<Variant, String>,
    /// The engine on a runtime of its own (one thread): how much of the cost is the
    /// engine's work holding up a worker of the writers' runtime.
    pub with_own_thread: Result<Variant, String>,
}

/// How the engine follows the log in a window.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Follow {
    Not,
    /// `tokio::spawn(engine.run(stop))` on the benchmark's runtime.
    Task,
    /// `engine.run(stop)` on a current-thread runtime of its own thread.
    OwnThread,
}

/// A running engine.
enum Follower {
    Task(tokio::task::JoinHandle<Result<(), antt_projections::EngineError>>),
    Thread(std::thread::JoinHandle<anyhow::Result<()>>),
}

impl Follower {
    async fn finish(self) -> anyhow::Result<()> {
        match self {
            Follower::Task(task) => task.await.context("engine task panicked")?.context("Engine::run"),
            Follower::Thread(thread) => tokio::task::spawn_blocking(move || thread.join())
                .await
                .context("joining the engine thread")?
                .map_err(|_| anyhow::anyhow!("the engine thread panicked"))?,
        }
    }
}

/// The windows of one variant, added up.
pub struct Variant {
    pub measured: Measured,
    /// Events the engine had still to apply when a window closed (largest over the
    /// windows), and the longest it then took to reach the head; zero without it.
    pub lag_events_max: u64,
    pub catch_up_max: Duration,
    /// The process's CPU time (every thread) from each window's start, warm-up included,
    /// until its appends ended (with the engine: until the engine reached the head), per
    /// event appended in that time, and as cores kept busy; None where `/proc` is unreadable.
    pub cpu: Option<VariantCpu>,
}

#[derive(Clone, Copy, Debug, Default)]
pub struct VariantCpu {
    pub cpu: Duration,
    pub wall: Duration,
    pub events_n: u64,
}

impl VariantCpu {
    pub fn us_per_event(&self) -> f64 {
        self.cpu.as_secs_f64() * 1e6 / self.events_n.max(1) as f64
    }

    pub fn cores(&self) -> f64 {
        self.cpu.as_secs_f64() / self.wall.as_secs_f64().max(f64::MIN_POSITIVE)
    }
}

/// What the child process measured.
#[derive(Clone, Debug, Default)]
pub struct ProjectionProbe {
    pub rss_before_open_kib: u64,
    pub events_read_n: u64,
    pub read_cold_s: f64,
    pub read_warm_s: f64,
    pub rss_after_read_kib: u64,
    pub rebuild_s: f64,
    pub rebuild_flush_s: f64,
    pub rebuild_applied: u64,
    pub rebuild_steps: u64,
    pub rss_after_rebuild_kib: u64,
    pub rss_peak_kib: u64,
    pub current_rows_n: u64,
    pub history_rows_n: u64,
    pub time_marks_n: u64,
    pub store_bytes: u64,
    pub store_size_on_disk_bytes: u64,
    pub phases: Phases,
    /// The replica again, walking every record's whole timeline per event
    /// (`--projection-full-walk`).
    pub full_walk: Option<FullWalk>,
}

/// Seconds of the replica when every event walks its record's whole timeline again.
#[derive(Clone, Debug, Default)]
pub struct FullWalk {
    pub total_s: f64,
    pub derive_s: f64,
    pub derive_backdated_s: f64,
    pub apply_s: f64,
}

impl ProjectionProbe {
    pub fn read_cold_events_per_s(&self) -> f64 {
        self.events_read_n as f64 / self.read_cold_s
    }

    pub fn read_warm_events_per_s(&self) -> f64 {
        self.events_read_n as f64 / self.read_warm_s
    }

    pub fn rebuild_events_per_s(&self) -> f64 {
        self.rebuild_applied as f64 / self.rebuild_s
    }
}

/// Seconds spent in each phase of applying the log, measured by [`timed_rebuild`].
#[derive(Clone, Debug, Default)]
pub struct Phases {
    /// `read_all` pages.
    pub read_s: f64,
    /// `AnyEvent::decode` of every event.
    pub decode_s: f64,
    /// A record's earlier events read from its stream, the first time it is met.
    pub load_s: f64,
    /// The rows the event withdrew and made (`Record::push_and_diff`: the record's walk
    /// carried one day on, or walked again when the event is backdated).
    pub derive_s: f64,
    /// Of which for events dated before another event of their record (the whole walk
    /// again), and how many they were.
    pub derive_backdated_s: f64,
    pub backdated_n: u64,
    /// The differences turned into writes (a withdrawn row is read back first).
    pub pending_s: f64,
    /// One `Store::apply` per page.
    pub apply_s: f64,
    pub total_s: f64,
    pub events_n: u64,
    pub loads_n: u64,
    pub rows_opened_n: u64,
    pub rows_closed_n: u64,
    pub writes_n: u64,
}

impl Phases {
    fn set(&mut self, key: &str, value: f64) -> bool {
        let field = match key {
            "phase_read_s" => &mut self.read_s,
            "phase_decode_s" => &mut self.decode_s,
            "phase_load_s" => &mut self.load_s,
            "phase_derive_s" => &mut self.derive_s,
            "phase_derive_backdated_s" => &mut self.derive_backdated_s,
            "phase_pending_s" => &mut self.pending_s,
            "phase_apply_s" => &mut self.apply_s,
            "phase_total_s" => &mut self.total_s,
            _ => return false,
        };
        *field = value;
        true
    }

    fn set_count(&mut self, key: &str, value: u64) -> bool {
        let field = match key {
            "phase_events_n" => &mut self.events_n,
            "phase_loads_n" => &mut self.loads_n,
            "phase_backdated_n" => &mut self.backdated_n,
            "phase_rows_opened_n" => &mut self.rows_opened_n,
            "phase_rows_closed_n" => &mut self.rows_closed_n,
            "phase_writes_n" => &mut self.writes_n,
            _ => return false,
        };
        *field = value;
        true
    }

    fn print_lines(&self) {
        for (key, value) in [
            ("phase_read_s", self.read_s),
            ("phase_decode_s", self.decode_s),
            ("phase_load_s", self.load_s),
            ("phase_derive_s", self.derive_s),
            ("phase_derive_backdated_s", self.derive_backdated_s),
            ("phase_pending_s", self.pending_s),
            ("phase_apply_s", self.apply_s),
            ("phase_total_s", self.total_s),
        ] {
            println!("{key}={value}");
        }
        for (key, value) in [
            ("phase_events_n", self.events_n),
            ("phase_loads_n", self.loads_n),
            ("phase_backdated_n", self.backdated_n),
            ("phase_rows_opened_n", self.rows_opened_n),
            ("phase_rows_closed_n", self.rows_closed_n),
            ("phase_writes_n", self.writes_n),
        ] {
            println!("{key}={value}");
        }
    }
}

/// Builds the store, probes it in a child process, then runs the append rows.
pub async fn run(base_dir: &Path, events_n: u64, timing: Timing, full_walk: bool) -> anyhow::Result<ProjectionsReport> {
    let temp = tempfile::Builder::new()
        .prefix("antt-bench-projections-")
        .tempdir_in(base_dir)
        .context("creating a temporary directory")?;
    let path = temp.path().join("log");
    eprintln!("projections: building {events_n} domain events");
    let started = Instant::now();
    let built = build_store(&path, events_n).await?;
    let build_duration = started.elapsed();
    let log_size_bytes = crate::directory_size_bytes(&path)?;
    eprintln!("projections: read_all and a rebuild in a child process");
    let probe_path = path.clone();
    let probe = tokio::task::spawn_blocking(move || probe_in_child(&probe_path, full_walk))
        .await
        .context("probe task panicked")??;
    temp.close().context("removing the temporary directory")?;
    let mut appends = Vec::new();
    for writers in WRITERS {
        eprintln!("projections: appends at {writers} writers, with and without the engine");
        appends.push(append_row(base_dir, writers, timing).await);
    }
    Ok(ProjectionsReport {
        events_n,
        area_events_n: built.area_events_n,
        teams_n: built.teams_n,
        build_events_per_s: events_n as f64 / build_duration.as_secs_f64(),
        build_duration,
        log_size_bytes,
        probe,
        appends,
        timing,
    })
}

// ---------------------------------------------------------------------------------------
// The events.

fn date(year: i32, month: u32, day: u32) -> Date {
    // The generator's dates are constants that exist.
    Date::new(year, month, day).unwrap_or(Date::MIN)
}

fn days_after(day: Date, days: i64) -> Date {
    Date::from_days_since_unix_epoch(day.days_since_unix_epoch() + days)
}

fn context() -> Context {
    Context {
        recorded_date: date(2024, 12, 31),
        actor: ACTOR.to_owned(),
    }
}

fn decision(number: &str, issued_by: &str, issued_on: Date) -> Decision {
    Decision {
        number: number.to_owned(),
        issued_by: issued_by.to_owned(),
        issued_on,
    }
}

/// One command's events as `anttd` appends them (`commands::new_event`): ids derived from
/// the request id, its digest and decision number in the metadata, protobuf payloads.
fn command_request<E: DomainEvent>(
    stream_id: String,
    expected: ExpectedVersion,
    rpc: &str,
    decision: Option<&Decision>,
    events: &[E],
) -> AppendRequest {
    let request_id = Uuid::new_v4();
    let digest = anttd::commands::request_digest(rpc, &request_id.to_string());
    let events = events
        .iter()
        .enumerate()
        .map(|(index, event)| {
            let encoded = event.encode();
            let mut metadata = std::collections::BTreeMap::from([
                (anttd::commands::METADATA_REQUEST_ID.to_owned(), request_id.to_string()),
                (
                    anttd::commands::METADATA_REQUEST_SHA256.to_owned(),
                    antt_audit::encoding::hex(&digest),
                ),
            ]);
            if let Some(decision) = decision {
                metadata.insert(anttd::commands::METADATA_DECISION.to_owned(), decision.number.clone());
            }
            NewEvent {
                event_id: anttd::commands::event_id(request_id, index),
                event_type: encoded.event_type.to_owned(),
                schema_version: encoded.schema_version,
                effective_at: Some(anttd::commands::effective_instant(event.effective_date())),
                actor: ACTOR.to_owned(),
                correlation_id: Some(request_id),
                causation_id: None,
                metadata,
                content_type: anttd::commands::CONTENT_TYPE_PROTOBUF.to_owned(),
                payload: encoded.payload,
            }
        })
        .collect();
    AppendRequest {
        stream_id,
        expected,
        events,
    }
}

/// The area tree, registered through each area's timeline: the appends in order (a
/// parent before its children), and the villages teams are formed in.
pub fn area_requests() -> anyhow::Result<(Vec<AppendRequest>, Vec<AreaFacts>)> {
    let registered_on = date(2008, 1, 1);
    let mut requests = Vec::new();
    let mut register = |parent: Option<&AreaFacts>,
                        level: pb::AreaLevel,
                        code: Option<String>,
                        name: String,
                        division_type: &str|
     -> anyhow::Result<AreaFacts> {
        let area_id = Uuid::new_v4();
        let command = area::Command::Register(area::Register {
            area_id,
            official_code: code,
            name,
            level,
            division_type: division_type.to_owned(),
            parent: parent.cloned(),
            formed_from: Vec::new(),
            effective_date: registered_on,
            decision: None,
        });
        let events = Timeline::<Area>::new()
            .decide(command, &context())
            .map_err(|error| anyhow::anyhow!("registering an area: {error}"))?;
        requests.push(command_request(
            anttd::areas::stream_id(area_id),
            ExpectedVersion::NoStream,
            "antt.v1.Areas/RegisterArea",
            None,
            &events,
        ));
        Ok(AreaFacts {
            area_id,
            level,
            valid_from: registered_on,
            ended_on: None,
            division_type: division_type.to_owned(),
        })
    };
    let province = register(
        None,
        pb::AreaLevel::Province,
        Some("38".to_owned()),
        "Tỉnh Thanh Hóa".to_owned(),
        "tỉnh",
    )?;
    let mut villages = Vec::new();
    for district_n in 0..DISTRICTS {
        let district = register(
            Some(&province),
            pb::AreaLevel::District,
            Some(format!("{}", 401 + district_n)),
            format!("Huyện {}", district_n + 1),
            "huyện",
        )?;
        for commune_n in 0..COMMUNES_PER_DISTRICT {
            let commune = register(
                Some(&district),
                pb::AreaLevel::Commune,
                Some(format!("{}", 16_000 + district_n * 100 + commune_n)),
                format!("Xã {}-{}", district_n + 1, commune_n + 1),
                "xã",
            )?;
            for village_n in 0..VILLAGES_PER_COMMUNE {
                villages.push(register(
                    Some(&commune),
                    pb::AreaLevel::ResidentialArea,
                    None,
                    format!("Thôn {}", village_n + 1),
                    "thôn",
                )?);
            }
        }
    }
    Ok((requests, villages))
}

/// A writer filling teams one command per append, as a client of the domain rows does:
/// establish a team in a village, then nominate and appoint its members one after
/// another (every [`domain::BACKDATED_EVERY`]th with earlier dates) until the quota is
/// full, then the next team. Each command is decided through the team's timeline.
pub struct TeamWriter {
    villages: Arc<Vec<AreaFacts>>,
    next_village: usize,
    village_step: usize,
    /// The writer's persons, appointed into each of its teams in turn.
    persons: Vec<Uuid>,
    team: Option<TeamInProgress>,
    teams_started: u64,
    ctx: Context,
}

struct TeamInProgress {
    team_id: Uuid,
    stream_id: String,
    timeline: Timeline<Team>,
    /// The next command: 0 establishes, then nominate and appoint per member.
    next: usize,
    /// Local positions: only their order matters to the timeline.
    position: u64,
}

impl TeamWriter {
    pub fn new(villages: Arc<Vec<AreaFacts>>, writer_idx: usize, writers: usize) -> TeamWriter {
        TeamWriter {
            next_village: writer_idx % villages.len().max(1),
            village_step: writers.max(1),
            villages,
            persons: (0..domain::LONG_TEAM_QUOTA).map(|_| Uuid::new_v4()).collect(),
            team: None,
            teams_started: 0,
            ctx: context(),
        }
    }

    pub fn teams_started(&self) -> u64 {
        self.teams_started
    }

    /// The next command's append (one event).
    pub fn next_request(&mut self) -> anyhow::Result<AppendRequest> {
        if self.team.as_ref().is_none_or(|team| team.next >= COMMANDS_PER_TEAM) {
            let team_id = Uuid::new_v4();
            self.team = Some(TeamInProgress {
                team_id,
                stream_id: anttd::forces::team_stream(team_id),
                timeline: Timeline::new(),
                next: 0,
                position: 0,
            });
            self.teams_started += 1;
        }
        let village = self.villages[self.next_village].clone();
        let (Some(team), ctx) = (self.team.as_mut(), &self.ctx) else {
            bail!("no team in progress");
        };
        let established_on = date(2024, 7, 15);
        let (rpc, command, decided_by) = match team.next {
            0 => {
                let decision = decision("12/QĐ-UBND", "Chủ tịch UBND xã", established_on);
                let command = team::Command::Establish(team::Establish {
                    team_id: team.team_id,
                    name: format!("Tổ bảo vệ ANTT {}", self.teams_started),
                    force_type: pb::ForceType::SecurityProtectionTeam,
                    area: village,
                    sponsor_organisation: String::new(),
                    quota: Some(domain::LONG_TEAM_QUOTA),
                    managing_level: pb::AreaLevel::Commune,
                    managing_body: "UBND xã".to_owned(),
                    formed_from: Vec::new(),
                    effective_date: established_on,
                    decision: Some(decision.clone()),
                });
                ("antt.v1.Forces/EstablishTeam", command, Some(decision))
            }
            n => {
                let person = (n - 1) / 2;
                let (nominated_on, appointed_on) = member_dates(person);
                let person_id = self.persons[person];
                if (n - 1).is_multiple_of(2) {
                    let command = team::Command::Nominate(team::Nominate {
                        person_id,
                        nominated_by: "Hội Cựu chiến binh xã".to_owned(),
                        effective_date: nominated_on,
                    });
                    ("antt.v1.Forces/NominateMember", command, None)
                } else {
                    let decision = decision("45/QĐ-UBND", "Chủ tịch UBND xã", appointed_on);
                    let command = team::Command::Appoint(team::Appoint {
                        person_id,
                        role: pb::MemberRole::Member,
                        effective_date: appointed_on,
                        decision: decision.clone(),
                        term_end: None,
                    });
                    ("antt.v1.Forces/AppointMember", command, Some(decision))
                }
            }
        };
        let events = team
            .timeline
            .decide(command, ctx)
            .map_err(|error| anyhow::anyhow!("{rpc} on {}: {error}", team.stream_id))?;
        let expected = match team.next {
            0 => ExpectedVersion::NoStream,
            n => ExpectedVersion::Exact(n as u64 - 1),
        };
        let request = command_request(team.stream_id.clone(), expected, rpc, decided_by.as_ref(), &events);
        for event in events {
            team.timeline.push(team.position, event);
            team.position += 1;
        }
        team.next += 1;
        if team.next >= COMMANDS_PER_TEAM {
            self.next_village = (self.next_village + self.village_step) % self.villages.len();
        }
        Ok(request)
    }
}

/// A member's nomination and appointment days. Members join over weeks, one after
/// another, from 1 August; every [`domain::BACKDATED_EVERY`]th is typed in backdated,
/// with days in the second half of July, before every member already recorded.
fn member_dates(person: usize) -> (Date, Date) {
    let every = domain::BACKDATED_EVERY;
    if person % every == every - 1 {
        let nominated = days_after(date(2024, 7, 16), 2 * (person / every) as i64);
        (nominated, days_after(nominated, 1))
    } else {
        let nominated = days_after(date(2024, 8, 1), 2 * person as i64);
        (nominated, days_after(nominated, 1))
    }
}

// ---------------------------------------------------------------------------------------
// The store.

pub struct Built {
    pub area_events_n: u64,
    pub teams_n: u64,
}

/// Appends the areas, then teams from [`BUILD_WRITERS`] writers until `events_n` events
/// are stored (flush mode, one command per append).
pub async fn build_store(path: &Path, events_n: u64) -> anyhow::Result<Built> {
    let mut config = SledConfig::new(path);
    config.sync_mode = SyncMode::Flush;
    let log = Arc::new(log_api::open(config).await?);
    let (areas, villages) = area_requests()?;
    let area_events_n = areas.len() as u64;
    for request in areas {
        log.append(request).await.context("appending an area")?;
    }
    let villages = Arc::new(villages);
    let claimed = Arc::new(AtomicU64::new(area_events_n));
    let mut tasks = Vec::new();
    for writer_idx in 0..BUILD_WRITERS {
        let (log, villages, claimed) = (Arc::clone(&log), Arc::clone(&villages), Arc::clone(&claimed));
        tasks.push(tokio::spawn(async move {
            let mut writer = TeamWriter::new(villages, writer_idx, BUILD_WRITERS);
            while claimed.fetch_add(1, Ordering::Relaxed) < events_n {
                let request = writer.next_request()?;
                log.append(request).await.context("append while building the store")?;
            }
            anyhow::Ok(writer.teams_started())
        }));
    }
    let mut teams_n = 0;
    for task in tasks {
        teams_n += task.await.context("store builder panicked")??;
    }
    log.close().await.context("closing the built store")?;
    drop(log);
    Ok(Built { area_events_n, teams_n })
}

// ---------------------------------------------------------------------------------------
// The child process: read_all, the rebuild, the phases.

/// Runs the probe in a child process over the log at `path` and parses its report.
pub fn probe_in_child(path: &Path, full_walk: bool) -> anyhow::Result<ProjectionProbe> {
    let mut args = vec!["--projection-probe".as_ref(), path.as_os_str()];
    if full_walk {
        args.push("--projection-full-walk".as_ref());
    }
    let report = crate::memory::child_report(&args, "projection probe")?;
    let mut probe = ProjectionProbe::default();
    for (key, value) in &report {
        let (key, value) = (key.as_str(), value.as_str());
        let int = || {
            value
                .parse::<u64>()
                .with_context(|| format!("probe value {key}={value}"))
        };
        let float = || {
            value
                .parse::<f64>()
                .with_context(|| format!("probe value {key}={value}"))
        };
        match key {
            "rss_before_open_kib" => probe.rss_before_open_kib = int()?,
            "events_read_n" => probe.events_read_n = int()?,
            "read_cold_s" => probe.read_cold_s = float()?,
            "read_warm_s" => probe.read_warm_s = float()?,
            "rss_after_read_kib" => probe.rss_after_read_kib = int()?,
            "rebuild_s" => probe.rebuild_s = float()?,
            "rebuild_flush_s" => probe.rebuild_flush_s = float()?,
            "rebuild_applied" => probe.rebuild_applied = int()?,
            "rebuild_steps" => probe.rebuild_steps = int()?,
            "rss_after_rebuild_kib" => probe.rss_after_rebuild_kib = int()?,
            "rss_peak_kib" => probe.rss_peak_kib = int()?,
            "current_rows_n" => probe.current_rows_n = int()?,
            "history_rows_n" => probe.history_rows_n = int()?,
            "time_marks_n" => probe.time_marks_n = int()?,
            "store_bytes" => probe.store_bytes = int()?,
            "store_size_on_disk_bytes" => probe.store_size_on_disk_bytes = int()?,
            "full_walk_total_s" => probe.full_walk.get_or_insert_with(FullWalk::default).total_s = float()?,
            "full_walk_derive_s" => probe.full_walk.get_or_insert_with(FullWalk::default).derive_s = float()?,
            "full_walk_derive_backdated_s" => {
                probe.full_walk.get_or_insert_with(FullWalk::default).derive_backdated_s = float()?
            }
            "full_walk_apply_s" => probe.full_walk.get_or_insert_with(FullWalk::default).apply_s = float()?,
            key if key.starts_with("phase_") && key.ends_with("_n") => {
                probe.phases.set_count(key, int()?);
            }
            key if key.starts_with("phase_") => {
                probe.phases.set(key, float()?);
            }
            _ => {}
        }
    }
    Ok(probe)
}

/// The child's side: read the log twice, rebuild the projections beside it, report
/// `key=value` lines on stdout.
pub async fn probe_main(path: &Path, full_walk: bool) -> anyhow::Result<()> {
    println!("rss_before_open_kib={}", memory::status_kib("VmRSS")?);
    let log = Arc::new(log_api::open(SledConfig::new(path)).await?);
    let (events_n, cold) = memory::read_all_pass(&log).await?;
    let (warm_events_n, warm) = memory::read_all_pass(&log).await?;
    if warm_events_n != events_n {
        bail!("the warm pass read {warm_events_n} events, the cold one {events_n}");
    }
    println!("events_read_n={events_n}");
    println!("read_cold_s={}", cold.as_secs_f64());
    println!("read_warm_s={}", warm.as_secs_f64());
    println!("rss_after_read_kib={}", memory::status_kib("VmRSS")?);

    let store_dir = sibling(path, "projections");
    let store = Arc::new(open_store(&store_dir).await?);
    let mut engine = Engine::open(Arc::clone(&log), Arc::clone(&store)).context("opening the engine")?;
    let started = Instant::now();
    let mut steps = 0u64;
    while !engine.step().await.context("Engine::step")? {
        steps += 1;
    }
    let rebuild = started.elapsed();
    let flush_started = Instant::now();
    store.flush().context("flushing the projection store")?;
    println!("rebuild_s={}", rebuild.as_secs_f64());
    println!("rebuild_flush_s={}", flush_started.elapsed().as_secs_f64());
    println!("rebuild_applied={}", engine.applied());
    println!("rebuild_steps={}", steps + 1);
    println!("rss_after_rebuild_kib={}", memory::status_kib("VmRSS")?);
    println!("rss_peak_kib={}", memory::status_kib("VmHWM")?);
    let mut counts: HashMap<u8, u64> = HashMap::new();
    let mut bytes = 0u64;
    store
        .scan(&[], None, &mut |key, value| {
            *counts.entry(key.first().copied().unwrap_or(0)).or_default() += 1;
            bytes += (key.len() + value.len()) as u64;
            true
        })
        .context("counting the rows")?;
    println!("current_rows_n={}", counts.get(&b'C').copied().unwrap_or(0));
    println!("history_rows_n={}", counts.get(&b'H').copied().unwrap_or(0));
    println!("time_marks_n={}", counts.get(&b'T').copied().unwrap_or(0));
    println!("store_bytes={bytes}");
    drop(engine);
    drop(store);
    println!("store_size_on_disk_bytes={}", crate::directory_size_bytes(&store_dir)?);

    let phases_dir = sibling(path, "projections-phases");
    let phases_store = open_store(&phases_dir).await?;
    timed_rebuild(&log, &phases_store, false).await?.print_lines();
    drop(phases_store);
    if full_walk {
        let full_dir = sibling(path, "projections-full-walk");
        let full_store = open_store(&full_dir).await?;
        let phases = timed_rebuild(&log, &full_store, true).await?;
        println!("full_walk_total_s={}", phases.total_s);
        println!("full_walk_derive_s={}", phases.derive_s);
        println!("full_walk_derive_backdated_s={}", phases.derive_backdated_s);
        println!("full_walk_apply_s={}", phases.apply_s);
    }
    log.close().await.context("closing the log")?;
    Ok(())
}

fn sibling(path: &Path, name: &str) -> PathBuf {
    path.parent()
        .map_or_else(|| PathBuf::from(name), |parent| parent.join(name))
}

async fn open_store(dir: &Path) -> anyhow::Result<SledStore> {
    let dir = dir.to_path_buf();
    tokio::task::spawn_blocking(move || {
        SledStore::open(&dir, antt_projections::store::DEFAULT_CACHE_CAPACITY_BYTES)
            .with_context(|| format!("opening {}", dir.display()))
    })
    .await
    .context("open task panicked")?
}

/// What `Engine::apply` does for a whole log, from position 0 into an empty `store`,
/// with a timer around each phase. A replica (the engine keeps its phases private):
/// its total is printed next to the engine's own rebuild so that a drift shows.
///
/// With `full_walk`, every event walks its record's whole timeline again and is diffed
/// against the rows kept from the last walk: what the engine did before it kept the walk
/// ([`antt_projections::derive::Derivation`]).
async fn timed_rebuild(log: &SledLog, store: &SledStore, full_walk: bool) -> anyhow::Result<Phases> {
    let mut phases = Phases::default();
    let mut cache: HashMap<String, Record> = HashMap::new();
    let mut full_walk_rows: HashMap<String, Vec<ValidRow>> = HashMap::new();
    // The latest effective date of each record so far: an event dated before it is
    // backdated, and takes the whole walk.
    let mut latest: HashMap<String, Date> = HashMap::new();
    let mut applied = 0u64;
    let started = Instant::now();
    loop {
        let clock = Instant::now();
        let page = log
            .read_all(ReadAllRequest {
                from_position: applied,
                max_count: limits::APPLY_BATCH_EVENTS_MAX,
                filter: Default::default(),
            })
            .await
            .context("read_all")?;
        phases.read_s += clock.elapsed().as_secs_f64();
        if page.events.is_empty() {
            break;
        }
        let mut pending = Pending::new(store);
        for event in &page.events {
            let position = event.position;
            let clock = Instant::now();
            let decoded = AnyEvent::decode(&event.event_type, event.schema_version, &event.payload);
            phases.decode_s += clock.elapsed().as_secs_f64();
            phases.events_n += 1;
            let decoded = match decoded {
                Ok(decoded) if Record::for_event(&decoded).is_some() => Some(decoded),
                Ok(_) | Err(antt_domain::DecodeError::UnknownEventType { .. }) => None,
                Err(error) => bail!("the event at {position} does not decode: {error}"),
            };
            if let Some(decoded) = decoded {
                if !cache.contains_key(&event.stream_id) {
                    let clock = Instant::now();
                    let record = load(log, &event.stream_id, &decoded, position, event.stream_version).await?;
                    phases.load_s += clock.elapsed().as_secs_f64();
                    if event.stream_version > 0 {
                        phases.loads_n += 1;
                    }
                    cache.insert(event.stream_id.clone(), record);
                }
                let Some(record) = cache.get_mut(&event.stream_id) else {
                    bail!("the record just cached is missing");
                };
                let effective = effective_date(&decoded);
                let latest = latest.entry(event.stream_id.clone()).or_insert(effective);
                let backdated = effective < *latest;
                *latest = (*latest).max(effective);
                let clock = Instant::now();
                let (gone, new) = if full_walk {
                    let before = full_walk_rows
                        .remove(&event.stream_id)
                        .unwrap_or_else(|| record.derive());
                    record
                        .push(position, decoded)
                        .map_err(|error| anyhow::anyhow!("the event at {position}: {error}"))?;
                    let after = record.derive();
                    let changed = diff(&before, &after);
                    full_walk_rows.insert(event.stream_id.clone(), after);
                    changed
                } else {
                    record
                        .push_and_diff(position, decoded)
                        .map_err(|error| anyhow::anyhow!("the event at {position}: {error}"))?
                };
                let seconds = clock.elapsed().as_secs_f64();
                phases.derive_s += seconds;
                if backdated {
                    phases.derive_backdated_s += seconds;
                    phases.backdated_n += 1;
                }
                let clock = Instant::now();
                for row in &gone {
                    pending.close(row, position).context("closing a row")?;
                }
                for row in &new {
                    pending.open(row, position);
                }
                phases.pending_s += clock.elapsed().as_secs_f64();
                phases.rows_closed_n += gone.len() as u64;
                phases.rows_opened_n += new.len() as u64;
            }
            pending.mark_time(event.recorded_at.0, position + 1);
            applied = position + 1;
        }
        let clock = Instant::now();
        let writes = pending.finish(applied);
        phases.writes_n += writes.len() as u64;
        store.apply(writes).context("Store::apply")?;
        phases.apply_s += clock.elapsed().as_secs_f64();
        if page.reached_head() {
            break;
        }
    }
    phases.total_s = started.elapsed().as_secs_f64();
    Ok(phases)
}

/// The effective date of an event of a kind that has rows.
fn effective_date(event: &AnyEvent) -> Date {
    match event {
        AnyEvent::Area(event) => event.effective_date(),
        AnyEvent::Team(event) => event.effective_date(),
        AnyEvent::Incident(event) => event.effective_date(),
        AnyEvent::Rating(event) => event.effective_date(),
        _ => Date::MIN,
    }
}

/// The engine's `load`: the record of `stream_id` as its events before `before` (of
/// stream version `version`) make it.
async fn load(log: &SledLog, stream_id: &str, first: &AnyEvent, before: u64, version: u64) -> anyhow::Result<Record> {
    let Some(mut record) = Record::for_event(first) else {
        bail!("no record of this kind");
    };
    if version == 0 {
        return Ok(record);
    }
    let mut from_version = 0;
    'pages: loop {
        let page = log
            .read_stream(ReadStreamRequest {
                stream_id: stream_id.to_owned(),
                from_version: Some(from_version),
                direction: Direction::Forwards,
                max_count: antt_log::limits::READ_PAGE_EVENTS_MAX,
            })
            .await
            .context("read_stream")?;
        let Some(last) = page.last() else { break };
        from_version = last.stream_version + 1;
        for event in page {
            if event.position >= before {
                break 'pages;
            }
            let decoded = AnyEvent::decode(&event.event_type, event.schema_version, &event.payload)
                .context("decoding a stream's event")?;
            record
                .push(event.position, decoded)
                .map_err(|error| anyhow::anyhow!("{error}"))?;
        }
    }
    Ok(record)
}

// ---------------------------------------------------------------------------------------
// Appends with the engine following the log, and without.

async fn append_row(base_dir: &Path, writers: usize, timing: Timing) -> AppendRow {
    let round_timing = |round: usize| Timing {
        warmup: if round == 0 { timing.warmup } else { timing.warmup / 2 },
        measure: timing.measure / ROUNDS as u32,
    };
    let mut variants: [Result<Totals, String>; 3] =
        [Ok(Totals::default()), Ok(Totals::default()), Ok(Totals::default())];
    for round in 0..ROUNDS {
        for (variant, follow) in variants.iter_mut().zip([Follow::Not, Follow::Task, Follow::OwnThread]) {
            let Ok(totals) = variant else { continue };
            match window(base_dir, writers, round_timing(round), follow).await {
                Ok(result) => totals.add(result),
                Err(error) => *variant = Err(format!("{error:#}")),
            }
        }
    }
    let [without, with, with_own_thread] = variants.map(|variant| variant.map(Totals::finish));
    AppendRow {
        writers,
        without,
        with,
        with_own_thread,
    }
}

/// The windows of a variant so far.
#[derive(Default)]
struct Totals {
    samples: Samples,
    lag_events_max: u64,
    catch_up_max: Duration,
    /// None once a window could not read its CPU time.
    cpu: Option<VariantCpu>,
    windows_n: usize,
}

impl Totals {
    fn add(&mut self, window: WindowResult) {
        self.samples.add(window.samples);
        self.lag_events_max = self.lag_events_max.max(window.lag_events);
        self.catch_up_max = self.catch_up_max.max(window.catch_up);
        self.cpu = match (self.windows_n, self.cpu, window.cpu) {
            (0, _, Some(cpu)) => Some(cpu),
            (_, Some(total), Some(cpu)) => Some(VariantCpu {
                cpu: total.cpu + cpu.cpu,
                wall: total.wall + cpu.wall,
                events_n: total.events_n + cpu.events_n,
            }),
            _ => None,
        };
        self.windows_n += 1;
    }

    fn finish(self) -> Variant {
        Variant {
            measured: self.samples.measured(1),
            lag_events_max: self.lag_events_max,
            catch_up_max: self.catch_up_max,
            cpu: self.cpu,
        }
    }
}

struct WindowResult {
    samples: Samples,
    lag_events: u64,
    catch_up: Duration,
    cpu: Option<VariantCpu>,
}

/// One window on a fresh store (default fsync config), the areas registered before it;
/// with `engine`, an `Engine::run` over a fresh `SledStore` follows the log from the
/// start, and is waited for to reach the head after the window.
async fn window(base_dir: &Path, writers: usize, timing: Timing, follow: Follow) -> anyhow::Result<WindowResult> {
    let temp = tempfile::Builder::new()
        .prefix("antt-bench-projections-appends-")
        .tempdir_in(base_dir)
        .context("creating a temporary directory")?;
    let log = Arc::new(log_api::open(SledConfig::new(temp.path().join("log"))).await?);
    let (areas, villages) = area_requests()?;
    for request in areas {
        log.append(request).await.context("appending an area")?;
    }
    let mut follower = None;
    if follow != Follow::Not {
        let store = Arc::new(open_store(&temp.path().join("projections")).await?);
        let engine = Engine::open(Arc::clone(&log), store).context("opening the engine")?;
        let mut progress = engine.watch();
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let task = if follow == Follow::Task {
            Follower::Task(tokio::spawn(engine.run(stop_rx)))
        } else {
            Follower::Thread(std::thread::spawn(move || {
                tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .context("building the engine's runtime")?
                    .block_on(engine.run(stop_rx))
                    .context("Engine::run")
            }))
        };
        let head = log.head().next_position;
        progress
            .wait_for(|progress| progress.applied >= head || progress.halted.is_some())
            .await
            .context("the engine stopped")?;
        follower = Some((progress, stop_tx, task));
    }
    let villages = Arc::new(villages);
    let cpu_before = (cpu::now(), Instant::now(), log.head().next_position);
    let window = Window::after_warmup(timing);
    let mut tasks = Vec::new();
    for writer_idx in 0..writers {
        let (log, villages) = (Arc::clone(&log), Arc::clone(&villages));
        tasks.push(tokio::spawn(async move {
            let mut writer = TeamWriter::new(villages, writer_idx, writers);
            let mut latencies = Vec::new();
            while Instant::now() < window.end {
                let request = writer.next_request()?;
                let started = Instant::now();
                log.append(request).await.context("SledLog::append")?;
                let finished = Instant::now();
                if window.contains(finished) {
                    latencies.push(finished - started);
                }
            }
            anyhow::Ok(latencies)
        }));
    }
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.extend(task.await.context("writer task panicked")??);
    }
    let samples = Samples {
        latencies,
        window: window.duration(),
    };
    let mut result = WindowResult {
        samples,
        lag_events: 0,
        catch_up: Duration::ZERO,
        cpu: None,
    };
    if let Some((mut progress, stop_tx, task)) = follower {
        let head = log.head().next_position;
        let caught_up_from = Instant::now();
        result.lag_events = head.saturating_sub(progress.borrow().applied);
        let reached = progress
            .wait_for(|progress| progress.applied >= head || progress.halted.is_some())
            .await
            .context("the engine stopped")?
            .clone();
        result.catch_up = caught_up_from.elapsed();
        if let Some(halted) = reached.halted {
            bail!("the engine halted: {halted}");
        }
        result.cpu = window_cpu(cpu_before, log.head().next_position);
        let _ = stop_tx.send(true);
        task.finish().await?;
    } else {
        result.cpu = window_cpu(cpu_before, log.head().next_position);
    }
    log.close().await.context("closing SledLog")?;
    drop(log);
    temp.close().context("removing the temporary directory")?;
    Ok(result)
}

/// The CPU time, wall time and events appended since `before`.
fn window_cpu(before: (Option<cpu::CpuTimes>, Instant, u64), head: u64) -> Option<VariantCpu> {
    let (cpu_before, started, head_before) = before;
    let (cpu_before, cpu_after) = (cpu_before?, cpu::now()?);
    let total = |times: cpu::CpuTimes| times.server + times.client;
    Some(VariantCpu {
        cpu: total(cpu_after).saturating_sub(total(cpu_before)),
        wall: started.elapsed(),
        events_n: head.saturating_sub(head_before),
    })
}

// ---------------------------------------------------------------------------------------
// The report.

impl ProjectionsReport {
    pub fn print(&self) {
        let probe = &self.probe;
        println!("## Projections\n");
        println!(
            "Store: {} domain events through `SledLog` (flush mode, {BUILD_WRITERS} writers, one command per append): {} area registrations (1 province, {DISTRICTS} districts, {} communes, {} villages), then {} security protection teams in the villages, each filled to its quota of {} (1 + 2 × {} = {COMMANDS_PER_TEAM} events), every {}th member backdated; built at {} events/s ({:.1} s), {:.0} MiB on disk.\n",
            rate(self.events_n as f64),
            rate(self.area_events_n as f64),
            DISTRICTS * COMMUNES_PER_DISTRICT,
            DISTRICTS * COMMUNES_PER_DISTRICT * VILLAGES_PER_COMMUNE,
            rate(self.teams_n as f64),
            domain::LONG_TEAM_QUOTA,
            domain::LONG_TEAM_QUOTA,
            domain::BACKDATED_EVERY,
            rate(self.build_events_per_s),
            self.build_duration.as_secs_f64(),
            self.log_size_bytes as f64 / report::MIB,
        );
        println!("In a fresh process (`--projection-probe`), in this order:\n");
        println!("| measure | value |");
        println!("|---|--:|");
        println!(
            "| read_all of the whole log, first pass after open | {} events/s ({:.2} s) |",
            rate(probe.read_cold_events_per_s()),
            probe.read_cold_s
        );
        println!(
            "| read_all, second pass (warm) | {} events/s ({:.2} s) |",
            rate(probe.read_warm_events_per_s()),
            probe.read_warm_s
        );
        println!(
            "| rebuild from scratch into a fresh `SledStore` (`Engine::step` × {} until the head) | {} events/s ({:.2} s, then {:.2} s to flush) |",
            probe.rebuild_steps,
            rate(probe.rebuild_events_per_s()),
            probe.rebuild_s,
            probe.rebuild_flush_s
        );
        println!(
            "| rebuild ÷ read_all (warm pass) | **{}** |",
            percent(self.rebuild_share())
        );
        println!(
            "| rows written: current / history versions / time marks | {} / {} / {} ({:.0} MiB of keys and values, {:.0} MiB on disk) |",
            rate(probe.current_rows_n as f64),
            rate(probe.history_rows_n as f64),
            rate(probe.time_marks_n as f64),
            probe.store_bytes as f64 / report::MIB,
            probe.store_size_on_disk_bytes as f64 / report::MIB
        );
        println!(
            "| VmRSS before open / after the reads / after the rebuild | {} / {} / {} |",
            report::mib(probe.rss_before_open_kib),
            report::mib(probe.rss_after_read_kib),
            report::mib(probe.rss_after_rebuild_kib)
        );
        println!(
            "| VmHWM (peak RSS) after the rebuild | {} |",
            report::mib(probe.rss_peak_kib)
        );
        println!();
        self.print_phases();
        self.print_appends();
    }

    fn print_phases(&self) {
        let phases = &self.probe.phases;
        let total = phases.total_s.max(f64::MIN_POSITIVE);
        println!(
            "Where a rebuild's time goes: the same rebuild again into another fresh store, by a replica of `Engine::apply` with a timer around each phase ({:.2} s in all against the engine's {:.2} s; timers add a little):\n",
            phases.total_s, self.probe.rebuild_s
        );
        println!("| phase | seconds | share | per event |");
        println!("|---|--:|--:|--:|");
        let per_event = |seconds: f64| format!("{:.1} µs", seconds / phases.events_n.max(1) as f64 * 1e6);
        let timed =
            phases.read_s + phases.decode_s + phases.load_s + phases.derive_s + phases.pending_s + phases.apply_s;
        for (name, seconds) in [
            ("read_all pages".to_owned(), phases.read_s),
            ("decode (`AnyEvent::decode`)".to_owned(), phases.decode_s),
            (
                format!(
                    "load (a record's earlier events from its stream, when it is met first after its first event: {} times)",
                    rate(phases.loads_n as f64)
                ),
                phases.load_s,
            ),
            (
                format!(
                    "derive and diff (`Record::push_and_diff`), events dated on or after their record's others: one more day of the walk ({} events, {:.1} µs each)",
                    rate((phases.events_n - phases.backdated_n) as f64),
                    (phases.derive_s - phases.derive_backdated_s) / (phases.events_n - phases.backdated_n).max(1) as f64 * 1e6
                ),
                phases.derive_s - phases.derive_backdated_s,
            ),
            (
                format!(
                    "derive and diff, backdated events: the whole walk again ({} events, {:.1} µs each)",
                    rate(phases.backdated_n as f64),
                    phases.derive_backdated_s / phases.backdated_n.max(1) as f64 * 1e6
                ),
                phases.derive_backdated_s,
            ),
            (
                format!(
                    "writes (`Pending`: {} rows opened, {} closed, each closed one read back)",
                    rate(phases.rows_opened_n as f64),
                    rate(phases.rows_closed_n as f64)
                ),
                phases.pending_s,
            ),
            (
                format!(
                    "store apply (one sled batch per page, {} writes)",
                    rate(phases.writes_n as f64)
                ),
                phases.apply_s,
            ),
            ("the rest (loop, cache, time marks)".to_owned(), phases.total_s - timed),
        ] {
            println!(
                "| {name} | {seconds:.2} | {:.0} % | {} |",
                seconds / total * 100.0,
                per_event(seconds)
            );
        }
        println!();
        if let Some(full) = &self.probe.full_walk {
            let events_n = phases.events_n.max(1) as f64;
            let incremental_n = (phases.events_n - phases.backdated_n).max(1) as f64;
            println!(
                "The replica once more (`--projection-full-walk`), walking every record's whole timeline for each event as the engine did before it kept the walk: {:.2} s in all ({} events/s, {:.1}× the kept walk's {:.2} s), of which derive and diff {:.2} s ({:.1} µs per event; {:.1} µs per event dated on or after its record's others, {:.1} µs per backdated one) and store apply {:.2} s.\n",
                full.total_s,
                rate(events_n / full.total_s),
                full.total_s / phases.total_s,
                phases.total_s,
                full.derive_s,
                full.derive_s / events_n * 1e6,
                (full.derive_s - full.derive_backdated_s) / incremental_n * 1e6,
                full.derive_backdated_s / phases.backdated_n.max(1) as f64 * 1e6,
                full.apply_s
            );
        }
    }

    fn print_appends(&self) {
        println!(
            "Durable appends (default fsync config, as the log rows) of team commands, one event per append, each writer filling teams of its own as above; {ROUNDS} windows of {:.2} s per variant taken in turn (without, with, with on its own thread, without, …), each on a fresh store with the areas registered before it. \"with\": an `Engine::run` over a fresh `SledStore` follows the log from the first event, spawned as a task on the benchmark's runtime (2 worker threads, which the writers run on too; the goal's row); \"on a thread of its own\": the same on a current-thread runtime of its own thread. CPU: the whole process (every thread: writers, the log's writer, sled, the engine) from a window's start, warm-up included, until its appends ended (with the engine: until it reached the head), per event appended in that time; cores busy = that CPU time ÷ wall time (the machine has 2, shared).\n",
            self.timing.measure.as_secs_f64() / ROUNDS as f64
        );
        println!("| writers | variant | events/s | p50 | p99 | with ÷ without | CPU per event appended (all threads) | cores busy | engine behind at a window's end (most) | caught up after |");
        println!("|--:|---|--:|--:|--:|--:|--:|--:|--:|--:|");
        for row in &self.appends {
            let ratio = match row.ratio() {
                Some(ratio) => format!("**{:.0} %**", ratio * 100.0),
                None => "—".to_owned(),
            };
            let own_ratio = match row.own_thread_ratio() {
                Some(ratio) => format!("{:.0} %", ratio * 100.0),
                None => "—".to_owned(),
            };
            for (name, variant, ratio) in [
                ("without", &row.without, "".to_owned()),
                ("with the engine (a task)", &row.with, ratio),
                (
                    "with the engine on a thread of its own",
                    &row.with_own_thread,
                    own_ratio,
                ),
            ] {
                let cells = match variant {
                    Ok(v) => {
                        let (cpu, cores) = match v.cpu {
                            Some(cpu) => (format!("{:.0} µs", cpu.us_per_event()), format!("{:.2}", cpu.cores())),
                            None => ("—".to_owned(), "—".to_owned()),
                        };
                        let (lag, catch_up) = if name == "without" {
                            ("—".to_owned(), "—".to_owned())
                        } else {
                            (
                                format!("{} events", rate(v.lag_events_max as f64)),
                                format!("{:.2} s", v.catch_up_max.as_secs_f64()),
                            )
                        };
                        format!(
                            "{} | {} | {} | {ratio} | {cpu} | {cores} | {lag} | {catch_up}",
                            rate(v.measured.events_per_s),
                            report::millis(v.measured.latency_p50),
                            report::millis(v.measured.latency_p99),
                        )
                    }
                    Err(error) => format!("{} | — | — | — | — | — | — | —", report::failed(error)),
                };
                println!("| {} | {name} | {cells} |", row.writers);
            }
        }
        println!();
    }

    /// Rebuild events/s as a share of read_all's warm pass.
    pub fn rebuild_share(&self) -> f64 {
        self.probe.rebuild_events_per_s() / self.probe.read_warm_events_per_s()
    }

    pub fn goals(&self) -> Vec<Goal> {
        let mut goals = vec![report::goal(
            "projection rebuild ≥ 50 % of read_all (warm pass)".to_owned(),
            "≥ 50 %",
            format!(
                "{} ({} vs {} events/s)",
                percent(self.rebuild_share()),
                rate(self.probe.rebuild_events_per_s()),
                rate(self.probe.read_warm_events_per_s())
            ),
            self.rebuild_share(),
            0.5,
            Better::Higher,
        )];
        for row in &self.appends {
            let name = format!(
                "append rate with the engine following ≥ 90 % of without, {} writer(s)",
                row.writers
            );
            goals.push(match (row.ratio(), &row.without, &row.with) {
                (Some(ratio), Ok(without), Ok(with)) => report::goal(
                    name,
                    "≥ 90 %",
                    format!(
                        "{:.0} % ({} vs {} events/s)",
                        ratio * 100.0,
                        rate(with.measured.events_per_s),
                        rate(without.measured.events_per_s)
                    ),
                    ratio,
                    0.9,
                    Better::Higher,
                ),
                _ => report::missing(name, "≥ 90 %"),
            });
        }
        goals
    }

    pub fn print_summary(&self) {
        println!(
            "Projections: rebuild {} ev/s = {} of read_all (warm pass, {} ev/s); RSS after the rebuild {}.",
            rate(self.probe.rebuild_events_per_s()),
            percent(self.rebuild_share()),
            rate(self.probe.read_warm_events_per_s()),
            report::mib(self.probe.rss_after_rebuild_kib)
        );
        for row in &self.appends {
            if let (Some(ratio), Ok(without), Ok(with)) = (row.ratio(), &row.without, &row.with) {
                println!(
                    "Projections: appends at {} writer(s) with the engine {} ev/s = {:.0} % of without ({} ev/s).",
                    row.writers,
                    rate(with.measured.events_per_s),
                    ratio * 100.0,
                    rate(without.measured.events_per_s)
                );
            }
        }
    }
}

/// A share as a percentage, with a decimal below 10 %.
fn percent(share: f64) -> String {
    if share < 0.1 {
        format!("{:.1} %", share * 100.0)
    } else {
        format!("{:.0} %", share * 100.0)
    }
}

impl AppendRow {
    /// With (the engine on a task) ÷ without, when both ran.
    pub fn ratio(&self) -> Option<f64> {
        Self::share(&self.with, &self.without)
    }

    /// With the engine on a thread of its own ÷ without.
    pub fn own_thread_ratio(&self) -> Option<f64> {
        Self::share(&self.with_own_thread, &self.without)
    }

    fn share(with: &Result<Variant, String>, without: &Result<Variant, String>) -> Option<f64> {
        match (without, with) {
            (Ok(without), Ok(with)) if without.measured.events_per_s > 0.0 => {
                Some(with.measured.events_per_s / without.measured.events_per_s)
            }
            _ => None,
        }
    }
}
