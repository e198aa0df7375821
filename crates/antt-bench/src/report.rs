//! The Markdown tables, the goals with their verdicts, and the plain-text summary.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use antt_log::sled_log::SledConfig;

use crate::domain::{self, DomainCell, Teams};
use crate::driver::{CellSpec, Measured, Timing};
use crate::grpc;
use crate::import::{ImportReport, ImportRun};
use crate::memory::{self, Probe};
use crate::postgres::ServerInfo;
use crate::projections::ProjectionsReport;
use crate::raw_sled;
use crate::workload::{self, StreamMode};

/// A cell's result, or why it failed.
pub type Outcome = Result<Measured, String>;

/// One row of the append table.
pub struct CellRow {
    pub spec: CellSpec,
    pub log: Outcome,
    pub grpc: Outcome,
    /// `None` where PostgreSQL was not run (unreachable, or the one-stream variant).
    pub postgres: Option<Outcome>,
}

/// The big store and what the child process measured over it.
pub struct StoreReport {
    pub events_n: u64,
    pub build_events_per_s: f64,
    pub build_duration: Duration,
    pub size_on_disk_bytes: u64,
    pub probe: Probe,
}

/// Everything one run measured.
pub struct Report {
    pub postgres_url: String,
    pub base_dir: PathBuf,
    pub timing: Timing,
    pub record_bytes: usize,
    pub quick: bool,
    pub load_at_start: String,
    pub load_at_end: String,
    pub postgres_info: Result<ServerInfo, String>,
    pub rows: Vec<CellRow>,
    /// Raw sled by events per group.
    pub raw_by_group: BTreeMap<usize, Outcome>,
    pub store: Option<Result<StoreReport, String>>,
    /// `None` with `--no-domain`.
    pub domain: Option<DomainSection>,
    /// `None` with `--only-domain`.
    pub projections: Option<Result<ProjectionsReport, String>>,
    /// The `--only-…` flag that left the append matrix out, if one did.
    pub skipped: Option<&'static str>,
    pub run_duration: Duration,
}

/// The domain-command cells and the import.
pub struct DomainSection {
    pub cells: Vec<DomainCell>,
    pub import: ImportReport,
}

/// Which way a goal's figure should go.
#[derive(Clone, Copy)]
pub enum Better {
    Higher,
    Lower,
}

pub struct Goal {
    name: String,
    target: String,
    measured: String,
    verdict: String,
}

impl Report {
    pub fn new(postgres_url: &str, base_dir: &Path, timing: Timing, record_bytes: usize, quick: bool) -> Report {
        Report {
            postgres_url: postgres_url.to_owned(),
            base_dir: base_dir.to_path_buf(),
            timing,
            record_bytes,
            quick,
            load_at_start: String::new(),
            load_at_end: String::new(),
            postgres_info: Err("not probed".to_owned()),
            rows: Vec::new(),
            raw_by_group: BTreeMap::new(),
            store: None,
            domain: None,
            projections: None,
            skipped: None,
            run_duration: Duration::ZERO,
        }
    }

    pub fn print(&self) {
        self.print_setup();
        if self.matrix_ran() {
            self.print_appends();
            self.print_raw();
            self.print_store();
        }
        if let Some(section) = &self.domain {
            print_domain(section, self.timing);
        }
        let mut goals = if self.matrix_ran() { self.goals() } else { Vec::new() };
        if let Some(section) = &self.domain {
            goals.extend(domain_goals(section));
        }
        match &self.projections {
            Some(Ok(projections)) => {
                projections.print();
                goals.extend(projections.goals());
            }
            Some(Err(error)) => {
                println!("## Projections\n\nNot measured: {}\n", error.replace('|', "/"));
                goals.push(missing("projection rebuild ≥ 50 % of read_all".to_owned(), "≥ 50 %"));
            }
            None => {}
        }
        print_goals(&goals);
        self.print_summary(&goals);
    }

    /// False with `--only-domain`.
    fn matrix_ran(&self) -> bool {
        !self.rows.is_empty()
    }

    fn print_setup(&self) {
        let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
        let mode = if self.quick { " (--quick)" } else { "" };
        println!("# antt-bench results{mode}\n");
        println!(
            "- Machine: {cores} cores; load average at start {}, at end {}; the run took {:.0} s.",
            self.load_at_start,
            self.load_at_end,
            self.run_duration.as_secs_f64()
        );
        println!(
            "- Cells: {:.2} s warm-up, then {:.2} s measured; only appends completed inside the window count; a fresh temp dir per cell under `{}`.",
            self.timing.warmup.as_secs_f64(),
            self.timing.measure.as_secs_f64(),
            self.base_dir.display()
        );
        println!(
            "- Events: `{}`, {} B JSON-like payload, actor, correlation id, 2 metadata entries (decision number, source); the log's stored record is {} B. Own-stream writers append with `ExpectedVersion::Exact` (NoStream first); the one-stream rows use `Any`.",
            workload::EVENT_TYPE,
            workload::PAYLOAD_BYTES_TARGET,
            self.record_bytes
        );
        let log_config = SledConfig::new(self.base_dir.join("…"));
        println!(
            "- Log API: `SledLog` defaults: sync_mode {:?} (sled flush + fdatasync of `<dir>/db` per group commit), cache {} MiB, tail check {} events; sled 0.34.7, segment {} MiB.",
            log_config.sync_mode,
            log_config.cache_capacity_bytes / (1024 * 1024),
            log_config.tail_check_events,
            antt_log::limits::SLED_SEGMENT_SIZE_BYTES / (1024 * 1024)
        );
        let server = anttd::Config::for_data_dir(self.base_dir.join("…"));
        println!(
            "- gRPC: `anttd::serve` with `Config::for_data_dir` defaults (sync {:?}, cache {} MiB) on 127.0.0.1:0; c client tasks share min(c, {}) HTTP/2 connections round-robin; the server runs on its own tokio runtime (one worker per core) in this process, the client tasks on the benchmark's runtime.",
            server.sync_mode,
            server.cache_capacity_mib,
            grpc::CONNECTIONS_MAX
        );
        if !self.matrix_ran() {
            println!(
                "- Append matrix, raw sled, PostgreSQL and the store: not run ({}).\n",
                self.skipped.unwrap_or("--only-domain")
            );
            return;
        }
        println!(
            "- Raw sled: one writer thread, tree `{}`, same cache and segment size as the log, key = u64 BE counter, value = {} B (the log's record size); per group: inserts, `Db::flush()`, `fdatasync(<dir>/db)`.",
            raw_sled::TREE,
            self.record_bytes
        );
        match &self.postgres_info {
            Ok(info) => {
                let settings: Vec<String> = info
                    .settings
                    .iter()
                    .map(|(name, value)| format!("{name}={value}"))
                    .collect();
                println!(
                    "- PostgreSQL at `{}`: {}; one connection per writer, `SET synchronous_commit = on`; table dropped and recreated per cell; an append is ONE multi-row INSERT (implicit transaction), versions tracked client-side, `unique(stream_id, version)` as the concurrency check.",
                    self.postgres_url,
                    settings.join(", ")
                );
            }
            Err(error) => println!("- PostgreSQL: not reachable at {} ({error})", self.postgres_url),
        }
        println!();
    }

    fn print_appends(&self) {
        println!("## Durable appends\n");
        println!("Latencies are per append (client side). \"raw sled\" is the single-writer floor at groups of c×b events (what the log's group commit could at best form from c writers with b events each); log/raw compares the two.\n");
        println!("| writers × events/append | log API events/s | log appends/s | log p50 | log p99 | raw sled events/s (events/group) | log / raw | gRPC events/s | gRPC p50 | gRPC p99 | PostgreSQL events/s | PG p50 | PG p99 | gRPC / PG |");
        println!("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|");
        for row in &self.rows {
            let label = match row.spec.stream_mode {
                StreamMode::OwnStream => format!("{} × {}", row.spec.writers, row.spec.batch_events),
                StreamMode::SharedStream => {
                    format!("{} × {}, one stream (Any)", row.spec.writers, row.spec.batch_events)
                }
            };
            let group_events = row.spec.writers * row.spec.batch_events;
            let raw = match row.spec.stream_mode {
                StreamMode::OwnStream => self.raw_by_group.get(&group_events),
                StreamMode::SharedStream => None,
            };
            let (raw_cell, log_vs_raw) = match raw {
                Some(Ok(raw)) => (
                    format!("{} ({group_events})", rate(raw.events_per_s)),
                    ratio_percent(&row.log, raw.events_per_s),
                ),
                Some(Err(error)) => (failed(error), "—".to_owned()),
                None => ("—".to_owned(), "—".to_owned()),
            };
            let (pg_rate, pg_p50, pg_p99, grpc_vs_pg) = match &row.postgres {
                Some(Ok(pg)) => (
                    rate(pg.events_per_s),
                    millis(pg.latency_p50),
                    millis(pg.latency_p99),
                    ratio_times(&row.grpc, pg.events_per_s),
                ),
                Some(Err(error)) => (failed(error), "—".to_owned(), "—".to_owned(), "—".to_owned()),
                None => match (&self.postgres_info, row.spec.stream_mode) {
                    (Err(error), StreamMode::OwnStream) => (
                        format!("PostgreSQL: not reachable at {} ({error})", self.postgres_url),
                        "—".to_owned(),
                        "—".to_owned(),
                        "—".to_owned(),
                    ),
                    _ => ("not run".to_owned(), "—".to_owned(), "—".to_owned(), "—".to_owned()),
                },
            };
            println!(
                "| {label} | {} | {} | {} | {} | {raw_cell} | {log_vs_raw} | {} | {} | {} | {pg_rate} | {pg_p50} | {pg_p99} | {grpc_vs_pg} |",
                column(&row.log, |m| rate(m.events_per_s)),
                detail(&row.log, |m| rate(m.appends_per_s)),
                detail(&row.log, |m| millis(m.latency_p50)),
                detail(&row.log, |m| millis(m.latency_p99)),
                column(&row.grpc, |m| rate(m.events_per_s)),
                detail(&row.grpc, |m| millis(m.latency_p50)),
                detail(&row.grpc, |m| millis(m.latency_p99)),
            );
        }
        println!();
    }

    fn print_raw(&self) {
        println!("## Raw sled floor (one writer: inserts + flush + fdatasync per group)\n");
        println!("| events per group | events/s | groups/s | group p50 | group p99 | compared with |");
        println!("|--:|--:|--:|--:|--:|---|");
        for (&group_events, outcome) in &self.raw_by_group {
            let compared: Vec<String> = self
                .rows
                .iter()
                .filter(|row| {
                    row.spec.stream_mode == StreamMode::OwnStream
                        && row.spec.writers * row.spec.batch_events == group_events
                })
                .map(|row| format!("log/gRPC {} × {}", row.spec.writers, row.spec.batch_events))
                .collect();
            let compared = if group_events == 1 {
                format!("{} (single-event groups)", compared.join(", "))
            } else {
                compared.join(", ")
            };
            println!(
                "| {group_events} | {} | {} | {} | {} | {compared} |",
                column(outcome, |m| rate(m.events_per_s)),
                detail(outcome, |m| rate(m.appends_per_s)),
                detail(outcome, |m| millis(m.latency_p50)),
                detail(outcome, |m| millis(m.latency_p99)),
            );
        }
        println!();
    }

    fn print_store(&self) {
        println!("## read_all and resident memory\n");
        let store = match &self.store {
            Some(Ok(store)) => store,
            Some(Err(error)) => {
                println!("Store measurement failed: {error}\n");
                return;
            }
            None => {
                println!("Store measurement not run.\n");
                return;
            }
        };
        let probe = &store.probe;
        let note = if store.events_n == 1_000_000 {
            String::new()
        } else {
            format!(
                " (NOTE: {} events, not the 1,000,000 of the goal)",
                rate(store.events_n as f64)
            )
        };
        println!("| measure | value |");
        println!("|---|--:|");
        println!(
            "| store{note} | {} events in {} streams of {} |",
            rate(store.events_n as f64),
            rate(store.events_n.div_ceil(memory::STORE_BATCH_EVENTS as u64) as f64),
            memory::STORE_BATCH_EVENTS
        );
        println!(
            "| build ({} writers × {}-event appends, flush mode) | {} events/s ({:.1} s) |",
            memory::STORE_WRITERS,
            memory::STORE_BATCH_EVENTS,
            rate(store.build_events_per_s),
            store.build_duration.as_secs_f64()
        );
        println!(
            "| size on disk after close | {:.0} MiB |",
            store.size_on_disk_bytes as f64 / MIB
        );
        println!(
            "| open time (fresh process, default config) | {:.0} ms |",
            probe.open_ms
        );
        println!(
            "| read_all, first pass after open (OS page cache not dropped) | {} events/s ({:.2} s) |",
            rate(probe.read_cold_events_per_s()),
            probe.read_cold_s
        );
        println!(
            "| read_all, second pass (warm) | {} events/s ({:.2} s) |",
            rate(probe.read_warm_events_per_s()),
            probe.read_warm_s
        );
        match &probe.raw_iter_error {
            None => {
                println!(
                    "| floor: plain sled `iter()` over the same tree, fresh sled cache (after the log's passes) | {} records/s ({:.2} s); read_all first pass = {:.0} % of it |",
                    rate(probe.raw_iter_cold_records_per_s()),
                    probe.raw_iter_cold_s,
                    probe.read_cold_events_per_s() / probe.raw_iter_cold_records_per_s() * 100.0
                );
                println!(
                    "| floor: plain sled `iter()`, second pass | {} records/s ({:.2} s); read_all warm = {:.0} % of it |",
                    rate(probe.raw_iter_warm_records_per_s()),
                    probe.raw_iter_warm_s,
                    probe.read_warm_events_per_s() / probe.raw_iter_warm_records_per_s() * 100.0
                );
            }
            Some(error) => println!("| floor: plain sled `iter()` | FAILED: {} |", error.replace('|', "/")),
        }
        println!("| VmRSS before open | {} |", mib(probe.rss_before_open_kib));
        println!("| VmRSS after open | {} |", mib(probe.rss_after_open_kib));
        println!(
            "| VmRSS after first read_all | {} |",
            mib(probe.rss_after_cold_read_kib)
        );
        println!(
            "| VmRSS after second read_all | {} |",
            mib(probe.rss_after_warm_read_kib)
        );
        println!("| VmHWM (peak RSS of the process) | {} |", mib(probe.rss_peak_kib));
        println!();
    }

    fn row(&self, writers: usize, batch_events: usize) -> Option<&CellRow> {
        self.rows.iter().find(|row| {
            row.spec.writers == writers
                && row.spec.batch_events == batch_events
                && row.spec.stream_mode == StreamMode::OwnStream
        })
    }

    fn goals(&self) -> Vec<Goal> {
        let mut goals = Vec::new();
        for batch_events in [1, 10] {
            let group_events = 64 * batch_events;
            let log = self.row(64, batch_events).map(|row| &row.log);
            let raw = self.raw_by_group.get(&group_events);
            goals.push(match (log, raw) {
                (Some(Ok(log)), Some(Ok(raw))) => {
                    let share = log.events_per_s / raw.events_per_s;
                    goal(
                        format!("log API 64 × {batch_events} ≥ 50 % of raw sled ({group_events}-event groups)"),
                        "≥ 50 %",
                        format!(
                            "{:.0} % ({} vs {})",
                            share * 100.0,
                            rate(log.events_per_s),
                            rate(raw.events_per_s)
                        ),
                        share,
                        0.5,
                        Better::Higher,
                    )
                }
                _ => missing(format!("log API 64 × {batch_events} ≥ 50 % of raw sled"), "≥ 50 %"),
            });
        }
        goals.push(match self.row(64, 10).map(|row| &row.grpc) {
            Some(Ok(grpc)) => goal(
                "gRPC 64 × 10 ≥ 20,000 events/s".to_owned(),
                "≥ 20,000 events/s",
                format!("{} events/s", rate(grpc.events_per_s)),
                grpc.events_per_s,
                20_000.0,
                Better::Higher,
            ),
            _ => missing("gRPC 64 × 10 ≥ 20,000 events/s".to_owned(), "≥ 20,000 events/s"),
        });
        if let Some(row) = self.row(8, 1) {
            for (path, outcome) in [("log API", &row.log), ("gRPC", &row.grpc)] {
                let name = format!("p99 of a single-event append at 8 writers, {path}");
                goals.push(match outcome {
                    Ok(measured) => goal(
                        name,
                        "≤ 10 ms",
                        millis(measured.latency_p99),
                        measured.latency_p99.as_secs_f64() * 1000.0,
                        10.0,
                        Better::Lower,
                    ),
                    Err(_) => missing(name, "≤ 10 ms"),
                });
            }
        }
        for batch_events in [1, 10] {
            let name = format!("gRPC ≥ 2 × PostgreSQL at 64 × {batch_events}");
            let row = self.row(64, batch_events);
            goals.push(match row.map(|row| (&row.grpc, &row.postgres)) {
                Some((Ok(grpc), Some(Ok(pg)))) => {
                    let times = grpc.events_per_s / pg.events_per_s;
                    goal(
                        name,
                        "≥ 2.0×",
                        format!("{times:.2}× ({} vs {})", rate(grpc.events_per_s), rate(pg.events_per_s)),
                        times,
                        2.0,
                        Better::Higher,
                    )
                }
                _ => missing(name, "≥ 2.0×"),
            });
        }
        match &self.store {
            Some(Ok(store)) => {
                let at = if store.events_n == 1_000_000 {
                    String::new()
                } else {
                    format!(" (at {} events, not 1M)", rate(store.events_n as f64))
                };
                for (pass, events_per_s) in [
                    ("first pass", store.probe.read_cold_events_per_s()),
                    ("warm pass", store.probe.read_warm_events_per_s()),
                ] {
                    goals.push(goal(
                        format!("read_all ≥ 500,000 events/s, {pass}{at}"),
                        "≥ 500,000 events/s",
                        format!("{} events/s", rate(events_per_s)),
                        events_per_s,
                        500_000.0,
                        Better::Higher,
                    ));
                }
                let peak_mib = store.probe.rss_peak_kib as f64 / 1024.0;
                goals.push(goal(
                    format!("peak RSS ≤ 300 MiB holding the store, open + 2 read_all passes{at}"),
                    "≤ 300 MiB",
                    format!("{peak_mib:.0} MiB"),
                    peak_mib,
                    300.0,
                    Better::Lower,
                ));
            }
            _ => {
                goals.push(missing("read_all ≥ 500,000 events/s".to_owned(), "≥ 500,000 events/s"));
                goals.push(missing("RSS ≤ 300 MiB at 1M events".to_owned(), "≤ 300 MiB"));
            }
        }
        goals
    }

    fn print_summary(&self, goals: &[Goal]) {
        println!("## Summary\n");
        println!("```text");
        let passed_n = goals.iter().filter(|goal| goal.verdict.starts_with("PASS")).count();
        println!("{passed_n} of {} goals pass.", goals.len());
        let not_run = || "not run".to_owned();
        for (writers, batch_events) in [(1, 1), (8, 1), (64, 1), (64, 10)] {
            let Some(row) = self.row(writers, batch_events) else {
                continue;
            };
            println!(
                "{writers} writers x {batch_events} events: log API {}, raw sled ({} per group) {}, gRPC {}, PostgreSQL {}.",
                brief(&row.log),
                writers * batch_events,
                self.raw_by_group.get(&(writers * batch_events)).map_or_else(not_run, brief),
                brief(&row.grpc),
                row.postgres.as_ref().map_or_else(not_run, brief),
            );
        }
        if let Some(section) = &self.domain {
            print_domain_summary(section);
        }
        if let Some(Ok(projections)) = &self.projections {
            projections.print_summary();
        }
        for goal in goals.iter().filter(|goal| !goal.verdict.starts_with("PASS")) {
            println!("Not met: {}: {} ({}).", goal.name, goal.measured, goal.verdict);
        }
        println!(
            "Machine: {} cores, load {} -> {}; absolute figures on a shared 2-core machine drift 2-4x, ratios less.",
            std::thread::available_parallelism().map_or(0, |n| n.get()),
            self.load_at_start,
            self.load_at_end
        );
        println!("```");
    }
}

/// The row label of a domain cell.
fn domain_label(cell: &DomainCell) -> String {
    let clients = cell.spec.clients;
    let noun = if clients == 1 { "client" } else { "clients" };
    match cell.spec.teams {
        Teams::Own if cell.spec.long_backdated => format!(
            "{clients} {noun}, own teams of {} events, {} % backdated",
            1 + domain::COMMANDS_PER_APPOINTMENT * domain::LONG_TEAM_QUOTA as usize,
            100 / domain::BACKDATED_EVERY
        ),
        Teams::Own => format!("{clients} {noun}, own teams"),
        Teams::Shared { groups } => format!("{clients} {noun} on {groups} teams at a time"),
    }
}

/// A command cell as an [`Outcome`] per command, for the shared column helpers.
fn commands_outcome(cell: &DomainCell) -> Outcome {
    cell.commands
        .as_ref()
        .map(|commands| commands.measured.clone())
        .map_err(Clone::clone)
}

fn print_domain(section: &DomainSection, timing: Timing) {
    println!("## Domain commands over gRPC\n");
    println!(
        "A command is one `antt.v1.Forces` RPC that records a fact. Per appointment a client sends NominateMember, then AppointMember as \"member\" ({} commands; a security protection team needs no vetting), into security protection teams (tổ bảo vệ ANTT) of one village, established during the setup with quota {}: a client fills a team, then takes its next one, so a team stream holds at most {} events. Each client has teams of its own, except in the shared row ({} clients, {} teams at a time, {} appointments per client and team, nobody pins `expected_version`, so the server re-reads and re-decides on a version conflict). Latency is per command, client side.",
        domain::COMMANDS_PER_APPOINTMENT,
        domain::OWN_TEAM_QUOTA,
        1 + domain::COMMANDS_PER_APPOINTMENT * domain::OWN_TEAM_QUOTA as usize,
        domain::SHARED_CLIENTS,
        domain::SHARED_GROUPS,
        domain::SHARED_PERSONS_PER_CLIENT,
    );
    println!(
        " The rows \"own teams of {} events, {} % backdated\" fill teams of quota {} and type every {}th member of a team in with earlier dates than the members already recorded (nominated 2024-07-20 and appointed 2024-07-25 against 2024-08-01 and 2024-08-15), so the server decides those commands against the team as it stood then and judges every later record of the team again.",
        1 + domain::COMMANDS_PER_APPOINTMENT * domain::LONG_TEAM_QUOTA as usize,
        100 / domain::BACKDATED_EVERY,
        domain::LONG_TEAM_QUOTA,
        domain::BACKDATED_EVERY,
    );
    println!();
    println!(
        "Baselines at the same concurrency, 1-event appends of the matrix's events ({} B payload), each writer on its own stream: `EventStore.Append` on the same server, and `SledLog` directly on a store of its own (one window, before). On the server, the measured time is split into {} windows of appends and {} of commands, taken in turn (append, setup, commands, append, commands, …), so that both see the same load on a busy machine; the first window warms up {:.2} s, the others half that. The server is what `anttd::serve` runs (`serve_log` over the `SledLog` of `Config::for_data_dir`, fsync mode) with the log wrapped to count calls. Setup (RegisterArea × 4, RegisterPerson with full personal data, so one key created and fsynced per person, EstablishTeam; {} in flight) is outside the windows: before each window, every client gets teams for {}× the commands its last rate would need.\n",
        workload::PAYLOAD_BYTES_TARGET,
        domain::ROUNDS,
        domain::ROUNDS,
        timing.warmup.as_secs_f64(),
        domain::SETUP_IN_FLIGHT,
        domain::CAPACITY_MARGIN,
    );
    println!("| clients | commands/s | appointments/s | command p50 | command p99 | EventStore.Append/s | Append p50 | Append p99 | commands ÷ Append | log API appends/s | commands ÷ log API |");
    println!("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|");
    for cell in &section.cells {
        let commands = commands_outcome(cell);
        let mut rate_cell = column(&commands, |m| rate(m.appends_per_s));
        if let Ok(measured) = &cell.commands {
            if measured.clients_out_of_teams > 0 {
                rate_cell.push_str(&format!(
                    " (lower bound: {} clients ran out of teams)",
                    measured.clients_out_of_teams
                ));
            }
        }
        let appointments = match &cell.commands {
            Ok(measured) if measured.measured.appends_n > 0 => rate(measured.appointments_per_s),
            _ => "—".to_owned(),
        };
        let vs_append = match &cell.grpc_append {
            Ok(append) => ratio_percent(&commands, append.events_per_s),
            Err(_) => "—".to_owned(),
        };
        let (log_rate, vs_log) = match &cell.log_api {
            Some(Ok(log)) => (
                column(&Ok(log.clone()), |m| rate(m.appends_per_s)),
                ratio_percent(&commands, log.events_per_s),
            ),
            Some(Err(error)) => (failed(error), "—".to_owned()),
            None => ("not run".to_owned(), "—".to_owned()),
        };
        println!(
            "| {} | {rate_cell} | {appointments} | {} | {} | {} | {} | {} | {vs_append} | {log_rate} | {vs_log} |",
            domain_label(cell),
            detail(&commands, |m| millis(m.latency_p50)),
            detail(&commands, |m| millis(m.latency_p99)),
            column(&cell.grpc_append, |m| rate(m.appends_per_s)),
            detail(&cell.grpc_append, |m| millis(m.latency_p50)),
            detail(&cell.grpc_append, |m| millis(m.latency_p99)),
        );
    }
    println!();

    println!("What the server asked of the log per command, counted over the window; events stored per command, with their protobuf payload and metadata (request id, request SHA-256, decision number) against the baseline's {} B payload:\n", workload::PAYLOAD_BYTES_TARGET);
    println!("| clients | stream reads (pages) | events replayed | event-id lookups | appends | events stored | payload + metadata per event | version conflicts (server retries) | client retries | setup: RegisterPerson | setup: EstablishTeam |");
    println!("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|");
    for cell in &section.cells {
        let Ok(commands) = &cell.commands else {
            println!("| {} | — | — | — | — | — | — | — | — | — | — |", domain_label(cell));
            continue;
        };
        let work = &commands.log_work;
        let commands_n = commands.measured.appends_n;
        let per_command = |total: u64| {
            if commands_n == 0 {
                "—".to_owned()
            } else {
                format!("{:.2}", total as f64 / commands_n as f64)
            }
        };
        let per_event = if work.appended_events == 0 {
            "—".to_owned()
        } else {
            format!(
                "{:.0} + {:.0} B",
                work.appended_payload_bytes as f64 / work.appended_events as f64,
                work.appended_metadata_bytes as f64 / work.appended_events as f64
            )
        };
        let setup = &commands.setup;
        println!(
            "| {} | {} | {} | {} | {} | {} | {per_event} | {} | {} | {} | {} |",
            domain_label(cell),
            per_command(work.read_streams),
            per_command(work.read_stream_events),
            per_command(work.event_by_ids),
            per_command(work.appends),
            per_command(work.appended_events),
            with_whole_cell(work.version_conflicts, commands.version_conflicts_whole_cell),
            with_whole_cell(commands.client_retries, commands.client_retries_whole_cell),
            setup_cell(setup.persons, setup.persons_duration),
            setup_cell(setup.teams, setup.teams_duration),
        );
    }
    println!();
    print_domain_cpu(section);
    print_import(&section.import);
}

/// CPU time per log append of the baseline and per command, server and client threads.
fn print_domain_cpu(section: &DomainSection) {
    println!("CPU time per operation (one log append each) over all rounds, warm-ups included, from `/proc/self/task/*/stat` (10 ms ticks): the server's threads (its runtime, the log writer, sled) and the benchmark's client threads. On 2 cores, server + client CPU per operation bounds the rate at about 2 s / (server + client):\n");
    println!("| clients | server per Append | server per command | command − Append (server) | client per Append | client per command |");
    println!("|---|--:|--:|--:|--:|--:|");
    let micros = |value: Option<f64>| value.map_or_else(|| "—".to_owned(), |us| format!("{us:.0} µs"));
    for cell in &section.cells {
        let append = cell.append_cpu.as_ref();
        let command = cell.commands.as_ref().ok().and_then(|commands| commands.cpu.as_ref());
        let append_server = append.and_then(|cpu| cpu.server_us_per_op());
        let command_server = command.and_then(|cpu| cpu.server_us_per_op());
        let extra = match (append_server, command_server) {
            (Some(append), Some(command)) => format!("{:+.0} µs", command - append),
            _ => "—".to_owned(),
        };
        println!(
            "| {} | {} | {} | {extra} | {} | {} |",
            domain_label(cell),
            micros(append_server),
            micros(command_server),
            micros(append.and_then(|cpu| cpu.client_us_per_op())),
            micros(command.and_then(|cpu| cpu.client_us_per_op())),
        );
    }
    println!();
}

/// A count in the window, and over the whole cell (warm-up included) when that differs.
fn with_whole_cell(in_window: u64, whole_cell: u64) -> String {
    if whole_cell == in_window {
        rate(in_window as f64)
    } else {
        format!("{} ({} with warm-up)", rate(in_window as f64), rate(whole_cell as f64))
    }
}

fn setup_cell(count: usize, duration: Duration) -> String {
    let seconds = duration.as_secs_f64();
    if seconds <= 0.0 {
        return rate(count as f64);
    }
    format!(
        "{} in {} ({}/s)",
        rate(count as f64),
        millis(duration),
        rate(count as f64 / seconds)
    )
}

fn print_import(import: &ImportReport) {
    println!("### Import of the 2024 area list\n");
    let units = import
        .units
        .map_or_else(|| "unknown".to_owned(), |units| rate(units as f64));
    println!(
        "`{} --server http://127.0.0.1:PORT import areas --file {}` ({} units), run twice against one fresh `anttd` (`Config::for_data_dir` defaults, fsync) in this process; wall time from spawning the CLI to its exit, once the server has opened its store (in brackets: the importer's own time from connecting to the last answer). The second run sends the same requests again: each is recognised as recorded.\n",
        import.setup.antt_bin.display(),
        import.setup.file.display(),
        units
    );
    println!("| run | wall time | requests | recorded now | already recorded | requests/s | events in the log after | < 30 s |");
    println!("|---|--:|--:|--:|--:|--:|--:|---|");
    match &import.runs {
        Err(error) => println!(
            "| — | not measured: {} | — | — | — | — | — | — |",
            error.replace('|', "/")
        ),
        Ok(runs) => {
            for (idx, run) in runs.iter().enumerate() {
                let name = import_run_name(idx);
                match run {
                    Ok(run) => {
                        let seconds = run.wall.as_secs_f64();
                        let count = |value: Option<u64>| value.map_or_else(|| "?".to_owned(), |n| rate(n as f64));
                        let per_s = run
                            .requests
                            .filter(|_| seconds > 0.0)
                            .map_or_else(|| "—".to_owned(), |n| rate(n as f64 / seconds));
                        let verdict = if seconds < IMPORT_LIMIT_S { "yes" } else { "no" };
                        let sending = run
                            .importer_seconds
                            .map_or_else(String::new, |s| format!(" (sending: {s:.1} s)"));
                        println!(
                            "| {name} | {seconds:.1} s{sending} | {} | {} | {} | {per_s} | {} | {verdict} |",
                            count(run.requests),
                            count(run.recorded),
                            count(run.already_recorded),
                            count(run.log_events_after),
                        );
                    }
                    Err(error) => println!(
                        "| {name} | FAILED: {} | — | — | — | — | — | — |",
                        error.replace('|', "/")
                    ),
                }
            }
        }
    }
    println!();
}

/// The import's goal, in seconds.
const IMPORT_LIMIT_S: f64 = 30.0;

fn import_run_name(idx: usize) -> &'static str {
    match idx {
        0 => "first (registers the list)",
        1 => "re-run (all recorded)",
        _ => "further run",
    }
}

fn domain_goals(section: &DomainSection) -> Vec<Goal> {
    let mut goals = Vec::new();
    for cell in section.cells.iter().filter(|cell| cell.spec.teams == Teams::Own) {
        let name = format!(
            "domain commands ≥ 50 % of raw EventStore.Append, {}",
            domain_label(cell)
        );
        goals.push(match (&cell.commands, &cell.grpc_append) {
            (Ok(commands), Ok(append)) if append.appends_per_s > 0.0 => {
                let share = commands.measured.appends_per_s / append.appends_per_s;
                goal(
                    name,
                    "≥ 50 %",
                    format!(
                        "{:.0} % ({} vs {} /s)",
                        share * 100.0,
                        rate(commands.measured.appends_per_s),
                        rate(append.appends_per_s)
                    ),
                    share,
                    0.5,
                    Better::Higher,
                )
            }
            _ => missing(name, "≥ 50 %"),
        });
    }
    let units = section
        .import
        .units
        .map_or_else(String::new, |units| format!(" ({} units)", rate(units as f64)));
    for idx in 0..2 {
        let name = format!("import of the 2024 list{units}, {}", import_run_name(idx));
        let run: Option<&ImportRun> = match &section.import.runs {
            Ok(runs) => runs.get(idx).and_then(|run| run.as_ref().ok()),
            Err(_) => None,
        };
        goals.push(match run {
            Some(run) => goal(
                name,
                "< 30 s",
                format!("{:.1} s", run.wall.as_secs_f64()),
                run.wall.as_secs_f64(),
                IMPORT_LIMIT_S,
                Better::Lower,
            ),
            None => missing(name, "< 30 s"),
        });
    }
    goals
}

fn print_domain_summary(section: &DomainSection) {
    for cell in &section.cells {
        let commands = commands_outcome(cell);
        let share = match &cell.grpc_append {
            Ok(append) => ratio_percent(&commands, append.events_per_s),
            Err(_) => "—".to_owned(),
        };
        let commands_text = match &commands {
            Ok(measured) if measured.appends_n > 0 => format!("{} commands/s", rate(measured.appends_per_s)),
            Ok(_) => "no command completed".to_owned(),
            Err(_) => "FAILED (see table)".to_owned(),
        };
        println!(
            "Domain, {}: {commands_text} = {share} of EventStore.Append ({}).",
            domain_label(cell),
            brief(&cell.grpc_append)
        );
    }
    match &section.import.runs {
        Ok(runs) => {
            let times: Vec<String> = runs
                .iter()
                .map(|run| match run {
                    Ok(run) => format!("{:.1} s", run.wall.as_secs_f64()),
                    Err(_) => "FAILED".to_owned(),
                })
                .collect();
            println!("Import of the 2024 list: {} (first run, re-run).", times.join(", "));
        }
        Err(error) => println!("Import of the 2024 list: not measured ({error})."),
    }
}

fn print_goals(goals: &[Goal]) {
    println!("## Goals\n");
    println!("| goal | target | measured | verdict |");
    println!("|---|---|--:|---|");
    for goal in goals {
        println!(
            "| {} | {} | {} | {} |",
            goal.name, goal.target, goal.measured, goal.verdict
        );
    }
    println!();
}

pub(crate) fn goal(name: String, target: &str, measured: String, value: f64, limit: f64, better: Better) -> Goal {
    let share = value / limit;
    let verdict = match better {
        Better::Higher if share >= 1.0 => format!("PASS ({share:.2}× the target)"),
        Better::Higher => format!("MISS ({:.0} % short)", (1.0 - share) * 100.0),
        Better::Lower if share <= 1.0 => format!("PASS ({:.0} % of the limit)", share * 100.0),
        Better::Lower => format!("MISS ({share:.2}× the limit)"),
    };
    Goal {
        name,
        target: target.to_owned(),
        measured,
        verdict,
    }
}

pub(crate) fn missing(name: String, target: &str) -> Goal {
    Goal {
        name,
        target: target.to_owned(),
        measured: "—".to_owned(),
        verdict: "NOT MEASURED (cell failed or not run)".to_owned(),
    }
}

pub(crate) const MIB: f64 = 1024.0 * 1024.0;

/// `/proc/loadavg`'s three averages, or why not.
pub fn load_average() -> String {
    match std::fs::read_to_string("/proc/loadavg") {
        Ok(text) => text.split_whitespace().take(3).collect::<Vec<_>>().join(" "),
        Err(error) => format!("unknown ({error})"),
    }
}

/// A later column of a system: the error is already shown in its first column.
fn detail(outcome: &Outcome, show: impl Fn(&Measured) -> String) -> String {
    match outcome {
        Ok(measured) if measured.appends_n > 0 => show(measured),
        _ => "—".to_owned(),
    }
}

/// A figure for the plain-text summary.
fn brief(outcome: &Outcome) -> String {
    match outcome {
        Ok(measured) if measured.appends_n > 0 => format!("{} ev/s", rate(measured.events_per_s)),
        Ok(_) => "no append completed".to_owned(),
        Err(_) => "FAILED (see table)".to_owned(),
    }
}

/// The first column of a system: its figure, or why there is none.
fn column(outcome: &Outcome, show: impl Fn(&Measured) -> String) -> String {
    match outcome {
        Ok(measured) if measured.appends_n == 0 => "no append completed".to_owned(),
        Ok(measured) => show(measured),
        Err(error) => failed(error),
    }
}

pub(crate) fn failed(error: &str) -> String {
    let mut short: String = error.chars().take(120).collect();
    if short.len() < error.len() {
        short.push('…');
    }
    format!("FAILED: {}", short.replace('|', "/"))
}

fn ratio_percent(outcome: &Outcome, base: f64) -> String {
    match outcome {
        Ok(measured) if base > 0.0 => format!("{:.0} %", measured.events_per_s / base * 100.0),
        _ => "—".to_owned(),
    }
}

fn ratio_times(outcome: &Outcome, base: f64) -> String {
    match outcome {
        Ok(measured) if base > 0.0 => format!("{:.2}×", measured.events_per_s / base),
        _ => "—".to_owned(),
    }
}

/// A count or rate with thousands separators, no decimals.
pub fn rate(value: f64) -> String {
    let digits = format!("{:.0}", value.max(0.0));
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (idx, ch) in digits.chars().enumerate() {
        if idx > 0 && (digits.len() - idx) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

pub(crate) fn millis(duration: Duration) -> String {
    let ms = duration.as_secs_f64() * 1000.0;
    if ms < 10.0 {
        format!("{ms:.2} ms")
    } else {
        format!("{ms:.1} ms")
    }
}

pub(crate) fn mib(kib: u64) -> String {
    format!("{:.0} MiB", kib as f64 / 1024.0)
}
