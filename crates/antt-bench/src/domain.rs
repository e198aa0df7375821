//! Domain commands over gRPC: members nominated and appointed into existing teams through
//! the `antt.v1.Forces` service, next to raw 1-event appends at the same concurrency.
//!
//! One cell per row, each on a fresh `anttd` (what `anttd::serve` runs: `serve_log` over
//! the `SledLog` of `Config::for_data_dir`, default fsync mode, here wrapped in a
//! [`CountingLog`]) and, in this order, all through the server's own gRPC API:
//! 1. Areas.RegisterArea: a province → district → commune, effective 2008-01-01;
//! 2. the baseline: `EventStore.Append` of c writers, 1-event appends, own streams (the
//!    same driver as the append matrix), whose first window also sizes the setup;
//! 3. setup, outside any window: Forces.RegisterPerson (personal data, so the key store
//!    creates and fsyncs a key per person) and Forces.EstablishTeam (security protection
//!    teams, "tổ bảo vệ ANTT", with a quota), topped up before every window so that no
//!    client runs out of teams inside it;
//! 4. the commands: each client, on its own teams, takes team after team and person
//!    after person: NominateMember, then AppointMember as "member" (2 commands per
//!    appointment; a security protection team needs no vetting), until the team's quota
//!    is full. The shared variant puts 4 clients on each team instead, to exercise the
//!    server's retry on a version conflict.
//!
//! Baseline and commands are measured in `ROUNDS` alternating windows each (append,
//! commands, append, …) so that both see the same load on a busy machine.

use std::sync::Arc;
use std::time::{Duration, Instant};

use antt_proto::v1 as pb;
use antt_proto::v1::areas_client::AreasClient;
use antt_proto::v1::forces_client::ForcesClient;
use anyhow::Context;
use futures::StreamExt;
use tonic::transport::Channel;
use tonic::Code;
use uuid::Uuid;

use crate::counting_log::{CounterSnapshot, Counters, CountingLog};
use crate::cpu::{self, CpuTimes, CpuUse};
use crate::driver::{CellSpec, Measured, Samples, Timing, Window};
use crate::grpc::{self, RunningServer};
use crate::log_api;
use crate::report::Outcome;
use crate::workload::StreamMode;

/// Client counts of the own-team cells.
pub const CLIENTS: [usize; 2] = [1, 16];
/// Quota of a team in the long-team cells, so a team stream ends at 1 + 2 × 25 = 51
/// events, and the share of their appointments typed in backdated: every fifth person of
/// a team is nominated and appointed with dates before those of the members already
/// recorded, so the server decides against an earlier state and judges the later
/// records again.
pub const LONG_TEAM_QUOTA: u32 = 25;
pub const BACKDATED_EVERY: usize = 5;
/// Quota of a team in the own-team cells: the members a client appoints before it moves
/// on to its next team (so a team stream ends at 1 + 2 × 5 events).
pub const OWN_TEAM_QUOTA: u32 = 5;
/// The shared-team variant: clients, teams they work on at once, and the persons each
/// client appoints into every team of its group.
pub const SHARED_CLIENTS: usize = 16;
pub const SHARED_GROUPS: usize = 4;
pub const SHARED_PERSONS_PER_CLIENT: usize = 2;
/// Commands per appointment: NominateMember, AppointMember.
pub const COMMANDS_PER_APPOINTMENT: usize = 2;
/// Setup requests in flight at once.
pub const SETUP_IN_FLIGHT: usize = 16;
/// Before each round, every client gets teams for this many times the commands its last
/// rate (at first: the first append window's, shared evenly) would need.
pub const CAPACITY_MARGIN: f64 = 3.0;
/// Sizes the setup when the baseline failed.
const FALLBACK_RATE_PER_S: f64 = 2_000.0;
/// Windows each command cell and its `EventStore.Append` baseline are split into, taken
/// in turn (append, commands, append, commands, …) so that both see the same load on a
/// busy machine.
pub const ROUNDS: usize = 3;
/// Attempts of one command by a client (same request id) after ABORTED or UNAVAILABLE.
const CLIENT_ATTEMPTS_MAX: u32 = 5;

/// Whose teams a client appoints into.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Teams {
    /// Each client has teams of its own: throughput without contention.
    Own,
    /// Clients i, i + groups, i + 2 × groups, … work through the same teams at once.
    Shared { groups: usize },
}

#[derive(Clone, Copy, Debug)]
pub struct DomainSpec {
    pub clients: usize,
    pub teams: Teams,
    /// Own teams of [`LONG_TEAM_QUOTA`] with every [`BACKDATED_EVERY`]th appointment
    /// backdated.
    pub long_backdated: bool,
}

impl DomainSpec {
    /// Persons a client appoints into each team it works on.
    pub fn persons_per_client(&self) -> usize {
        match self.teams {
            Teams::Own => self.quota() as usize,
            Teams::Shared { .. } => SHARED_PERSONS_PER_CLIENT,
        }
    }

    /// The teams' quota: exactly the members their clients appoint.
    pub fn quota(&self) -> u32 {
        match self.teams {
            Teams::Own if self.long_backdated => LONG_TEAM_QUOTA,
            Teams::Own => OWN_TEAM_QUOTA,
            Teams::Shared { groups } => (self.clients.div_ceil(groups) * SHARED_PERSONS_PER_CLIENT) as u32,
        }
    }

    /// Independent sequences of teams: one per client, or one per group.
    fn lines(&self) -> usize {
        match self.teams {
            Teams::Own => self.clients,
            Teams::Shared { groups } => groups.min(self.clients),
        }
    }

    fn line_of(&self, client: usize) -> usize {
        client % self.lines()
    }
}

/// One row of the domain table.
pub struct DomainCell {
    pub spec: DomainSpec,
    /// 1-event appends straight through `SledLog` at c writers, own streams (own-team
    /// cells only), on a store of its own.
    pub log_api: Option<Outcome>,
    /// 1-event `EventStore.Append` at c writers on the same server.
    pub grpc_append: Outcome,
    /// CPU time over the append rounds, warm-ups included, per log append.
    pub append_cpu: Option<CpuUse>,
    pub commands: Result<CommandsMeasured, String>,
}

/// What the command cell achieved.
pub struct CommandsMeasured {
    /// Per command: every RPC that records a fact.
    pub measured: Measured,
    pub appointments_per_s: f64,
    /// What the server asked of the log while the window was open.
    pub log_work: CounterSnapshot,
    /// Version conflicts over the whole command cell, warm-up included (all clients start
    /// together, so the shared variant collides most at its start).
    pub version_conflicts_whole_cell: u64,
    /// Calls a client repeated with the same request id after ABORTED or UNAVAILABLE, for
    /// commands completed in the window, and over the whole cell.
    pub client_retries: u64,
    pub client_retries_whole_cell: u64,
    /// Clients that used up their prepared teams before the window closed: their rate
    /// is then a lower bound.
    pub clients_out_of_teams: usize,
    pub setup: Setup,
    /// CPU time over the command rounds, warm-ups included, per log append (one per
    /// recorded command).
    pub cpu: Option<CpuUse>,
}

/// The setup of a command cell, outside its window.
pub struct Setup {
    pub persons: usize,
    pub persons_duration: Duration,
    pub teams: usize,
    pub teams_duration: Duration,
}

/// The cells of the domain section, in the order they print.
pub fn specs() -> Vec<DomainSpec> {
    let mut specs: Vec<DomainSpec> = CLIENTS
        .iter()
        .map(|&clients| DomainSpec {
            clients,
            teams: Teams::Own,
            long_backdated: false,
        })
        .collect();
    specs.push(DomainSpec {
        clients: SHARED_CLIENTS,
        teams: Teams::Shared { groups: SHARED_GROUPS },
        long_backdated: false,
    });
    specs.extend(CLIENTS.iter().map(|&clients| DomainSpec {
        clients,
        teams: Teams::Own,
        long_backdated: true,
    }));
    specs
}

/// Runs one row: the log API baseline (own-team rows) on a store of its own, then the
/// server cell.
pub async fn run_cell(base_dir: &std::path::Path, spec: DomainSpec, timing: Timing) -> DomainCell {
    let append_spec = CellSpec {
        writers: spec.clients,
        batch_events: 1,
        stream_mode: StreamMode::OwnStream,
    };
    let log_api = match spec.teams {
        Teams::Own => Some(crate::outcome(
            crate::run_in_temp(
                base_dir,
                |dir| async move { log_api::run(&dir, append_spec, timing).await },
            )
            .await,
        )),
        Teams::Shared { .. } => None,
    };
    let (grpc_append, append_cpu, commands) = match server_cell(base_dir, spec, append_spec, timing).await {
        Ok(results) => results,
        Err(error) => {
            let message = format!("{error:#}");
            eprintln!("  domain cell failed: {message}");
            (Err(message.clone()), None, Err(message))
        }
    };
    DomainCell {
        spec,
        log_api,
        grpc_append,
        append_cpu,
        commands,
    }
}

/// Starts `anttd` over a counted log in a fresh temporary directory, runs the baseline and
/// the command cell against it, stops it.
async fn server_cell(
    base_dir: &std::path::Path,
    spec: DomainSpec,
    append_spec: CellSpec,
    timing: Timing,
) -> anyhow::Result<CellResults> {
    let temp = tempfile::Builder::new()
        .prefix("antt-bench-domain-")
        .tempdir_in(base_dir)
        .context("creating a temporary directory")?;
    let counters = Arc::new(Counters::default());
    let server = start_counted(
        anttd::Config::for_data_dir(temp.path().join("anttd")),
        Arc::clone(&counters),
    )?;
    let results = on_server(&server.uri, spec, append_spec, timing, &counters).await;
    let stopped = server.stop().await;
    let results = results?;
    stopped?;
    temp.close().context("removing the temporary directory")?;
    Ok(results)
}

/// `anttd` as `anttd::serve` runs it (open `SledLog`, then `serve_log`), with the log
/// counted.
fn start_counted(config: anttd::Config, counters: Arc<Counters>) -> anyhow::Result<RunningServer> {
    RunningServer::start(move |listener, stop_rx| async move {
        let log = log_api::open(config.sled_config()).await?;
        let log = Arc::new(CountingLog::new(log, counters));
        anttd::serve_log(&config, log, listener, async move {
            let _ = stop_rx.await;
        })
        .await
        .context("anttd::serve_log failed")
    })
}

/// The baseline, its CPU use, and the commands.
type CellResults = (Outcome, Option<CpuUse>, Result<CommandsMeasured, String>);

async fn on_server(
    uri: &str,
    spec: DomainSpec,
    append_spec: CellSpec,
    timing: Timing,
    counters: &Arc<Counters>,
) -> anyhow::Result<CellResults> {
    let mut channels = Vec::new();
    for _ in 0..grpc::connections_for(spec.clients) {
        channels.push(grpc::channel(uri).await?);
    }
    // Also waits until the server has opened its store.
    let village_id = register_areas(&channels[0]).await?;
    let mut append_cpu = Some(CpuUse::default());
    let mut append = append_round(uri, append_spec, round_timing(timing, 0), 0, counters, &mut append_cpu).await;
    let rate = match &append {
        Ok(samples) if !samples.latencies.is_empty() => samples.latencies.len() as f64 / samples.window.as_secs_f64(),
        _ => FALLBACK_RATE_PER_S,
    };
    let commands = match CommandCell::set_up(&channels, &village_id, spec, rate).await {
        Err(error) => Err(error),
        Ok(mut cell) => {
            let mut failed = None;
            for round in 0..ROUNDS {
                let round_timing = round_timing(timing, round);
                if round > 0 {
                    if let Ok(samples) = &mut append {
                        match append_round(uri, append_spec, round_timing, round, counters, &mut append_cpu).await {
                            Ok(more) => samples.add(more),
                            Err(error) => append = Err(error),
                        }
                    }
                }
                if let Err(error) = cell.round(round_timing, counters).await {
                    failed = Some(error);
                    break;
                }
            }
            match failed {
                Some(error) => Err(error),
                None => Ok(cell.finish()),
            }
        }
    };
    let grpc_append = crate::outcome(append.map(|samples| samples.measured(1)));
    let commands = commands.map_err(|error| {
        let message = format!("{error:#}");
        eprintln!("  command cell failed: {message}");
        message
    });
    let append_cpu = append_cpu.filter(|_| grpc_append.is_ok());
    Ok((grpc_append, append_cpu, commands))
}

/// One window of `EventStore.Append`, on streams of its own; adds its CPU use to `cpu`
/// (None once `/proc` could not be read).
async fn append_round(
    uri: &str,
    append_spec: CellSpec,
    timing: Timing,
    round: usize,
    counters: &Counters,
    cpu: &mut Option<CpuUse>,
) -> anyhow::Result<Samples> {
    let before = (cpu::now(), counters.snapshot());
    let samples = grpc::drive_samples(uri, append_spec, timing, &format!("append-r{round}")).await;
    add_cpu(cpu, before, counters);
    samples
}

/// Adds the CPU time and log appends since `before` to `cpu`.
fn add_cpu(cpu: &mut Option<CpuUse>, before: (Option<CpuTimes>, CounterSnapshot), counters: &Counters) {
    let after = (cpu::now(), counters.snapshot());
    *cpu = match (cpu.take(), before.0, after.0) {
        (Some(mut total), Some(start), Some(end)) => {
            total.add(start, end, after.1.since(&before.1).appends);
            Some(total)
        }
        _ => None,
    };
}

/// One round's timing: the window split in `ROUNDS`; the first round warms up fully, the
/// later ones (on warm connections and a warm store) half as long.
fn round_timing(timing: Timing, round: usize) -> Timing {
    Timing {
        warmup: if round == 0 { timing.warmup } else { timing.warmup / 2 },
        measure: timing.measure / ROUNDS as u32,
    }
}

/// The wall time of a round: warm-up and window.
fn round_seconds(timing: Timing) -> f64 {
    (timing.warmup + timing.measure).as_secs_f64()
}

/// The clients of a command cell with their place in their teams, and what they achieved
/// so far over the rounds.
struct CommandCell {
    spec: DomainSpec,
    village_id: String,
    forces: Vec<ForcesClient<Channel>>,
    /// Indexed by client.
    clients: Vec<Client>,
    /// Each client's command rate in the last round (commands per second of wall time).
    last_rates: Vec<f64>,
    teams_established_n: usize,
    setup: Setup,
    samples: Samples,
    appointments_n: usize,
    log_work: CounterSnapshot,
    version_conflicts_whole_cell: u64,
    client_retries: u64,
    cpu: Option<CpuUse>,
}

impl CommandCell {
    /// Registers the persons; the teams follow with [`CommandCell::top_up`].
    async fn set_up(
        channels: &[Channel],
        village_id: &str,
        spec: DomainSpec,
        rate_per_s: f64,
    ) -> anyhow::Result<CommandCell> {
        let forces: Vec<ForcesClient<Channel>> = channels.iter().cloned().map(ForcesClient::new).collect();
        let started = Instant::now();
        let persons_n = spec.clients * spec.persons_per_client();
        let person_ids: Vec<String> = (0..persons_n).map(|_| Uuid::new_v4().to_string()).collect();
        let requests = person_ids
            .iter()
            .enumerate()
            .map(|(n, person_id)| register_person_request(n, person_id));
        in_flight(&forces, requests, |mut client, request| async move {
            client.register_person(request).await.context("Forces/RegisterPerson")
        })
        .await?;
        let persons_duration = started.elapsed();

        let per_client = spec.persons_per_client();
        let clients = (0..spec.clients)
            .map(|client| Client {
                forces: forces[client % forces.len()].clone(),
                teams: Vec::new(),
                persons: person_ids[client * per_client..(client + 1) * per_client].to_vec(),
                long_backdated: spec.long_backdated,
                next: 0,
                retries: 0,
                out_of_teams: false,
            })
            .collect();
        Ok(CommandCell {
            spec,
            village_id: village_id.to_owned(),
            forces,
            clients,
            // Until a round has run, assume the baseline's rate, shared evenly.
            last_rates: vec![rate_per_s / spec.clients as f64; spec.clients],
            teams_established_n: 0,
            setup: Setup {
                persons: persons_n,
                persons_duration,
                teams: 0,
                teams_duration: Duration::ZERO,
            },
            samples: Samples::default(),
            appointments_n: 0,
            log_work: CounterSnapshot::default(),
            version_conflicts_whole_cell: 0,
            client_retries: 0,
            cpu: Some(CpuUse::default()),
        })
    }

    /// Establishes teams, outside any window, until every client has enough left for
    /// the next round at `CAPACITY_MARGIN` × its last rate.
    async fn top_up(&mut self, timing: Timing) -> anyhow::Result<()> {
        let spec = self.spec;
        let commands_per_team = COMMANDS_PER_APPOINTMENT * spec.persons_per_client();
        let mut new_teams_per_line = vec![0usize; spec.lines()];
        for (client_idx, client) in self.clients.iter().enumerate() {
            let needed = (self.last_rates[client_idx] * round_seconds(timing) * CAPACITY_MARGIN).ceil() as usize
                + commands_per_team;
            let left = client.commands_left();
            if needed > left {
                let line = &mut new_teams_per_line[spec.line_of(client_idx)];
                *line = (*line).max((needed - left).div_ceil(commands_per_team));
            }
        }
        let teams_n: usize = new_teams_per_line.iter().sum();
        if teams_n == 0 {
            return Ok(());
        }
        let started = Instant::now();
        let new_lines: Vec<Vec<String>> = new_teams_per_line
            .iter()
            .map(|&n| (0..n).map(|_| Uuid::new_v4().to_string()).collect())
            .collect();
        let quota = spec.quota();
        let first_n = self.teams_established_n;
        let requests = new_lines
            .iter()
            .flatten()
            .enumerate()
            .map(|(n, team_id)| establish_team_request(first_n + n, team_id, &self.village_id, quota));
        in_flight(&self.forces, requests, |mut client, request| async move {
            client.establish_team(request).await.context("Forces/EstablishTeam")
        })
        .await?;
        for (client_idx, client) in self.clients.iter_mut().enumerate() {
            client.teams.extend(new_lines[spec.line_of(client_idx)].iter().cloned());
        }
        self.teams_established_n += teams_n;
        self.setup.teams += teams_n;
        self.setup.teams_duration += started.elapsed();
        Ok(())
    }

    /// One window: every client carries on where it stopped.
    async fn round(&mut self, timing: Timing, counters: &Arc<Counters>) -> anyhow::Result<()> {
        self.top_up(timing).await?;
        let cpu_before = (cpu::now(), counters.snapshot());
        let started = Instant::now();
        let window = Window::after_warmup(timing);
        let at_start = counters.snapshot();
        let counting = tokio::spawn(count_window(Arc::clone(counters), window));
        let tasks: Vec<_> = std::mem::take(&mut self.clients)
            .into_iter()
            .map(|client| tokio::spawn(client.run_until(window)))
            .collect();
        for (client_idx, task) in tasks.into_iter().enumerate() {
            let (client, round) = task
                .await
                .context("client task panicked")?
                .with_context(|| format!("client {client_idx}"))?;
            self.last_rates[client_idx] = round.commands_n as f64 / started.elapsed().as_secs_f64();
            self.clients.push(client);
            self.samples.latencies.extend(round.latencies);
            self.appointments_n += round.appointments_n;
            self.client_retries += round.retries_in_window;
        }
        add_cpu(&mut self.cpu, cpu_before, counters);
        self.samples.window += window.duration();
        self.log_work = self.log_work.plus(&counting.await.context("counting task panicked")?);
        self.version_conflicts_whole_cell += counters.snapshot().since(&at_start).version_conflicts;
        Ok(())
    }

    fn finish(self) -> CommandsMeasured {
        let seconds = self.samples.window.as_secs_f64();
        CommandsMeasured {
            appointments_per_s: self.appointments_n as f64 / seconds,
            measured: self.samples.measured(1),
            log_work: self.log_work,
            version_conflicts_whole_cell: self.version_conflicts_whole_cell,
            client_retries: self.client_retries,
            client_retries_whole_cell: self.clients.iter().map(|client| client.retries).sum(),
            clients_out_of_teams: self.clients.iter().filter(|client| client.out_of_teams).count(),
            setup: self.setup,
            cpu: self.cpu,
        }
    }
}

/// Sends `requests` with at most `SETUP_IN_FLIGHT` in flight, spread over the clients.
async fn in_flight<R, T, F, Fut>(
    clients: &[ForcesClient<Channel>],
    requests: impl Iterator<Item = R>,
    send: F,
) -> anyhow::Result<()>
where
    F: Fn(ForcesClient<Channel>, R) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<T>>,
{
    let calls = requests
        .enumerate()
        .map(|(n, request)| send(clients[n % clients.len()].clone(), request));
    let mut results = futures::stream::iter(calls).buffer_unordered(SETUP_IN_FLIGHT);
    while let Some(result) = results.next().await {
        result?;
    }
    Ok(())
}

/// The log work done between the window's start and end.
async fn count_window(counters: Arc<Counters>, window: Window) -> CounterSnapshot {
    tokio::time::sleep_until(window.start.into()).await;
    let at_start = counters.snapshot();
    tokio::time::sleep_until(window.end.into()).await;
    counters.snapshot().since(&at_start)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Step {
    Nominate,
    Appoint,
}

/// One client: nominates and appoints its `persons`, one after another, into each of its
/// `teams` in turn.
struct Client {
    forces: ForcesClient<Channel>,
    teams: Vec<String>,
    persons: Vec<String>,
    /// Every [`BACKDATED_EVERY`]th person of a team is typed in backdated.
    long_backdated: bool,
    /// Index of the next command in that sequence.
    next: usize,
    /// Commands repeated, over all rounds, warm-ups included.
    retries: u64,
    /// The client reached the end of its teams before a window closed.
    out_of_teams: bool,
}

/// What one client did in one window.
struct Round {
    /// Commands completed, inside the window or not.
    commands_n: usize,
    latencies: Vec<Duration>,
    appointments_n: usize,
    retries_in_window: u64,
}

impl Client {
    fn commands_left(&self) -> usize {
        (COMMANDS_PER_APPOINTMENT * self.persons.len() * self.teams.len()).saturating_sub(self.next)
    }

    /// The `idx`-th command of the sequence; None past the last team.
    fn command(&self, idx: usize) -> Option<Command<'_>> {
        let per_team = COMMANDS_PER_APPOINTMENT * self.persons.len();
        let team_id = self.teams.get(idx / per_team)?;
        let within = idx % per_team;
        let step = if within.is_multiple_of(2) {
            Step::Nominate
        } else {
            Step::Appoint
        };
        let person = within / 2;
        Some(Command {
            step,
            team_id,
            person_id: &self.persons[person],
            backdated: self.long_backdated && person % BACKDATED_EVERY == BACKDATED_EVERY - 1,
        })
    }

    /// Sends commands until `window` closes; counts those that complete inside it.
    async fn run_until(mut self, window: Window) -> anyhow::Result<(Client, Round)> {
        let mut round = Round {
            commands_n: 0,
            latencies: Vec::new(),
            appointments_n: 0,
            retries_in_window: 0,
        };
        while Instant::now() < window.end {
            let Some(command) = self.command(self.next) else {
                self.out_of_teams = true;
                break;
            };
            let (step, backdated) = (command.step, command.backdated);
            let (team_id, person_id) = (command.team_id.to_owned(), command.person_id.to_owned());
            let started = Instant::now();
            let retries = send(&mut self.forces, step, backdated, &team_id, &person_id).await?;
            let finished = Instant::now();
            self.next += 1;
            round.commands_n += 1;
            self.retries += retries;
            if window.contains(finished) {
                round.retries_in_window += retries;
                round.latencies.push(finished - started);
                if step == Step::Appoint {
                    round.appointments_n += 1;
                }
            }
        }
        Ok((self, round))
    }
}

/// One command of a client's sequence.
struct Command<'a> {
    step: Step,
    team_id: &'a str,
    person_id: &'a str,
    /// Dated before the team's members already recorded.
    backdated: bool,
}

/// Sends one command; repeats it with the same request id (so it is recorded once) after
/// ABORTED (the server's own retries on a version conflict ran out) or UNAVAILABLE.
/// Returns how many times it was repeated.
async fn send(
    forces: &mut ForcesClient<Channel>,
    step: Step,
    backdated: bool,
    team_id: &str,
    person_id: &str,
) -> anyhow::Result<u64> {
    let request_id = Uuid::new_v4().to_string();
    // The team is established on 2024-07-15; a backdated member comes before the others.
    let (nominated_on, appointed_on) = if backdated {
        (date(2024, 7, 20), date(2024, 7, 25))
    } else {
        (date(2024, 8, 1), date(2024, 8, 15))
    };
    let nominate = || nominate_request(&request_id, nominated_on, team_id, person_id);
    let appoint = || appoint_request(&request_id, appointed_on, team_id, person_id);
    let mut retries = 0;
    loop {
        let (rpc, result) = match step {
            Step::Nominate => ("NominateMember", forces.nominate_member(nominate()).await),
            Step::Appoint => ("AppointMember", forces.appoint_member(appoint()).await),
        };
        match result {
            Ok(_) => return Ok(retries),
            Err(status)
                if matches!(status.code(), Code::Aborted | Code::Unavailable)
                    && retries + 1 < u64::from(CLIENT_ATTEMPTS_MAX) =>
            {
                retries += 1;
            }
            Err(status) => {
                anyhow::bail!(
                    "Forces/{rpc} of person {person_id} into team {team_id}: {:?}: {}",
                    status.code(),
                    status.message()
                )
            }
        }
    }
}

/// The person nominated into the team by the commune's veterans' association.
pub(crate) fn nominate_request(
    request_id: &str,
    on: pb::Date,
    team_id: &str,
    person_id: &str,
) -> pb::NominateMemberRequest {
    pb::NominateMemberRequest {
        header: header(request_id, on, None),
        team_id: team_id.to_owned(),
        person_id: person_id.to_owned(),
        nominated_by: "Hội Cựu chiến binh xã Nga Thái".to_owned(),
    }
}

/// The nominated person appointed as a member by decision 45/QĐ-UBND.
pub(crate) fn appoint_request(
    request_id: &str,
    on: pb::Date,
    team_id: &str,
    person_id: &str,
) -> pb::AppointMemberRequest {
    pb::AppointMemberRequest {
        header: header(request_id, on, Some("45/QĐ-UBND")),
        team_id: team_id.to_owned(),
        person_id: person_id.to_owned(),
        role: pb::MemberRole::Member.into(),
        ..Default::default()
    }
}

pub(crate) fn date(year: i32, month: u32, day: u32) -> pb::Date {
    pb::Date { year, month, day }
}

/// A header for a new action; `decision` issued by the commune's chairman on the day.
pub(crate) fn header(request_id: &str, on: pb::Date, decision: Option<&str>) -> Option<pb::CommandHeader> {
    Some(pb::CommandHeader {
        request_id: request_id.to_owned(),
        expected_version: None,
        decision: decision.map(|number| pb::DecisionRef {
            number: number.to_owned(),
            issued_by: "Chủ tịch UBND xã Nga Thái".to_owned(),
            issued_on: Some(on),
        }),
        effective_date: Some(on),
    })
}

/// Tỉnh Thanh Hóa → Huyện Nga Sơn → Xã Nga Thái (their 2024 GSO codes) → Thôn 1,
/// effective 2008-01-01; returns the village's id (protection teams are formed in
/// residential areas).
async fn register_areas(channel: &Channel) -> anyhow::Result<String> {
    let [_, _, _, village] = register_area_chain(channel).await?;
    Ok(village)
}

/// Registers Tỉnh Thanh Hóa → Huyện Nga Sơn → Xã Nga Thái → Thôn 1, effective
/// 2008-01-01; returns their ids, province first.
pub(crate) async fn register_area_chain(channel: &Channel) -> anyhow::Result<[String; 4]> {
    let mut areas = AreasClient::new(channel.clone());
    let mut ids: [String; 4] = Default::default();
    let mut parent = String::new();
    for (idx, (code, name, level, division_type)) in [
        ("38", "Tỉnh Thanh Hóa", pb::AreaLevel::Province, "tỉnh"),
        ("401", "Huyện Nga Sơn", pb::AreaLevel::District, "huyện"),
        ("16162", "Xã Nga Thái", pb::AreaLevel::Commune, "xã"),
        ("", "Thôn 1", pb::AreaLevel::ResidentialArea, "thôn"),
    ]
    .into_iter()
    .enumerate()
    {
        let request = register_area_request(code, name, level, division_type, &parent);
        parent = request.area_id.clone();
        areas
            .register_area(request)
            .await
            .with_context(|| format!("Areas/RegisterArea {name}"))?;
        ids[idx] = parent.clone();
    }
    Ok(ids)
}

/// A new area under `parent_area_id` (empty: a province), effective 2008-01-01.
pub(crate) fn register_area_request(
    code: &str,
    name: &str,
    level: pb::AreaLevel,
    division_type: &str,
    parent_area_id: &str,
) -> pb::RegisterAreaRequest {
    pb::RegisterAreaRequest {
        header: header(&Uuid::new_v4().to_string(), date(2008, 1, 1), None),
        area_id: Uuid::new_v4().to_string(),
        official_code: code.to_owned(),
        name: name.to_owned(),
        level: level.into(),
        division_type: division_type.to_owned(),
        parent_area_id: parent_area_id.to_owned(),
        formed_from_area_ids: Vec::new(),
    }
}

/// A person with a full record of personal data, registered on 2024-07-01.
pub(crate) fn register_person_request(n: usize, person_id: &str) -> pb::RegisterPersonRequest {
    const FAMILY: [&str; 6] = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Mai"];
    const MIDDLE: [&str; 4] = ["Văn", "Thị", "Đức", "Minh"];
    const GIVEN: [&str; 7] = ["Hùng", "Lan", "Nam", "Hoa", "Tuấn", "Hạnh", "Dũng"];
    let full_name = format!(
        "{} {} {}",
        FAMILY[n % FAMILY.len()],
        MIDDLE[(n / FAMILY.len()) % MIDDLE.len()],
        GIVEN[(n / (FAMILY.len() * MIDDLE.len())) % GIVEN.len()]
    );
    pb::RegisterPersonRequest {
        header: header(&Uuid::new_v4().to_string(), date(2024, 7, 1), None),
        person_id: person_id.to_owned(),
        personal_data: Some(pb::PersonalData {
            full_name,
            date_of_birth: Some(date(1960 + (n % 40) as i32, 1 + (n % 12) as u32, 1 + (n % 28) as u32)),
            citizen_id: format!("038{:09}", 60_000_000 + n),
            phone: format!("0912 {:03} {:03}", (n / 1000) % 1000, n % 1000),
            address: format!("Thôn {}, xã Nga Thái, huyện Nga Sơn, Thanh Hóa", 1 + n % 12),
            ethnicity: "Kinh".to_owned(),
            religion: "Không".to_owned(),
            party_member: n.is_multiple_of(3),
        }),
    }
}

/// A security protection team (tổ bảo vệ ANTT) of the village, established on 2024-07-15.
pub(crate) fn establish_team_request(
    n: usize,
    team_id: &str,
    village_id: &str,
    quota: u32,
) -> pb::EstablishTeamRequest {
    pb::EstablishTeamRequest {
        header: header(&Uuid::new_v4().to_string(), date(2024, 7, 15), Some("12/QĐ-UBND")),
        team_id: team_id.to_owned(),
        name: format!("Tổ bảo vệ ANTT thôn {}", n + 1),
        force_type: pb::ForceType::SecurityProtectionTeam.into(),
        area_id: village_id.to_owned(),
        sponsor_organisation: String::new(),
        quota: Some(quota),
        managing_level: pb::AreaLevel::Commune.into(),
        managing_body: "UBND xã Nga Thái".to_owned(),
        formed_from_team_ids: Vec::new(),
    }
}
