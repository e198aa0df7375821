//! The soak's figures and their Markdown.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use antt_proto::v1 as pb;

use crate::driver::{percentile, Window};
use crate::report::{mib, millis, rate};
use crate::soak::{self, SoakSpec, SOAK_CALL_TIMEOUT_SECS, SOAK_RSS_SAMPLE_MILLIS, SOAK_WARMUP_SECS};
use crate::soak_calls::{CallError, Client, SOAK_READ_ALL_PAGE_EVENTS};
use crate::soak_mix::{Op, READ_WEIGHTS, SOAK_TEAM_QUOTA, WRITE_PERCENT};

/// The stream the server records every read of personal data in.
const READS_STREAM: &str = anttd::access::reads::PERSONAL_DATA_READS_STREAM;
/// Memory readings of the server shown between start and end.
const RSS_TIMELINE_POINTS: usize = 10;

/// One kind of call: latencies of the successes that ended inside the window, errors
/// over the whole run (warm-up too) by code, with the first message of each.
#[derive(Clone, Debug, Default)]
pub struct Tally {
    pub latencies: Vec<Duration>,
    pub errors_in_window: u64,
    pub errors: BTreeMap<String, (u64, String)>,
}

impl Tally {
    pub fn record(&mut self, error: Option<CallError>, latency: Duration, in_window: bool) {
        match error {
            None if in_window => self.latencies.push(latency),
            None => {}
            Some(error) => {
                self.errors_in_window += u64::from(in_window);
                let (code, message) = describe(&error);
                let entry = self.errors.entry(code).or_insert((0, message));
                entry.0 += 1;
            }
        }
    }

    pub fn add(&mut self, other: &Tally) {
        self.latencies.extend_from_slice(&other.latencies);
        self.errors_in_window += other.errors_in_window;
        for (code, (count, message)) in &other.errors {
            self.errors.entry(code.clone()).or_insert((0, message.clone())).0 += count;
        }
    }

    /// Calls that ended inside the window.
    pub fn calls(&self) -> u64 {
        self.latencies.len() as u64 + self.errors_in_window
    }

    pub fn errors_total(&self) -> u64 {
        self.errors.values().map(|(count, _)| count).sum()
    }

    /// p50, p99 and max of the successes in the window.
    pub fn quantiles(&self) -> [Duration; 3] {
        let mut sorted = self.latencies.clone();
        sorted.sort_unstable();
        [
            percentile(&sorted, 0.50),
            percentile(&sorted, 0.99),
            sorted.last().copied().unwrap_or_default(),
        ]
    }
}

/// The error's gRPC code (or what else went wrong) and its message.
fn describe(error: &CallError) -> (String, String) {
    match error {
        CallError::Status(status) => (format!("{:?}", status.code()), status.message().to_owned()),
        CallError::Timeout => (
            "client timeout".to_owned(),
            format!("no answer within {SOAK_CALL_TIMEOUT_SECS} s"),
        ),
        CallError::Wrong(message) => ("wrong answer".to_owned(), message.clone()),
    }
}

/// The server's resident memory.
pub struct MemoryFigures {
    pub start_kib: u64,
    pub end_kib: u64,
    pub max_kib: u64,
    /// `VmHWM` at the end: the peak over the server's whole life, setup included.
    pub peak_kib: u64,
    pub samples: Vec<(Duration, u64)>,
}

impl MemoryFigures {
    pub fn new(samples: Vec<(Duration, u64)>, end_kib: u64, peak_kib: u64) -> MemoryFigures {
        let start_kib = samples.first().map_or(end_kib, |(_, kib)| *kib);
        let max_kib = samples
            .iter()
            .map(|(_, kib)| *kib)
            .chain([end_kib])
            .max()
            .unwrap_or(end_kib);
        MemoryFigures {
            start_kib,
            end_kib,
            max_kib,
            peak_kib,
            samples,
        }
    }

    /// Every n-th sample, for about [`RSS_TIMELINE_POINTS`] readings over the window.
    fn timeline(&self) -> String {
        let step = self.samples.len().div_ceil(RSS_TIMELINE_POINTS).max(1);
        let points: Vec<String> = self
            .samples
            .iter()
            .step_by(step)
            .map(|(at, kib)| format!("{:.0} s: {}", at.as_secs_f64(), mib(*kib)))
            .collect();
        points.join(", ")
    }
}

/// The log at the end, read over gRPC.
pub struct LogCheck {
    pub setup_events: u64,
    pub acknowledged_writes: u64,
    pub deduplicated_acks: u64,
    pub acknowledged_events: u64,
    /// Acknowledged positions found in the log, and those on another stream than acknowledged.
    pub acknowledged_found: u64,
    pub misplaced: u64,
    pub events_read: u64,
    /// Events after the setup's at no acknowledged position, by "type on stream": the
    /// server's own records of personal-data reads (GetTeam shows members' names), or
    /// anything else, which would be a finding.
    pub unacknowledged: BTreeMap<String, u64>,
    /// The latest checkpoint a client proved against, (tree size, root): the offline
    /// check recomputes its root.
    pub checkpoint: (u64, Vec<u8>),
    pub head: pb::LogHead,
}

impl LogCheck {
    /// Every acknowledged event is where it was acknowledged, and there is nothing else
    /// beyond the setup's events.
    fn verdicts(&self) -> [(String, bool); 3] {
        [
            (
                format!(
                    "acknowledged events found at their positions, on their streams: {} of {}",
                    rate(self.acknowledged_found.saturating_sub(self.misplaced) as f64),
                    rate(self.acknowledged_events as f64)
                ),
                self.acknowledged_found == self.acknowledged_events && self.misplaced == 0,
            ),
            (
                format!(
                    "GetHead next_position {} = setup events {} + acknowledged events {} + {} events at no acknowledged position, all the server's own records of personal-data reads on `{READS_STREAM}` ({})",
                    rate(self.head.next_position as f64),
                    rate(self.setup_events as f64),
                    rate(self.acknowledged_events as f64),
                    rate(self.unacknowledged_n() as f64),
                    self.unacknowledged_types()
                ),
                self.head.next_position == self.setup_events + self.acknowledged_events + self.unacknowledged_n()
                    && self
                        .unacknowledged
                        .keys()
                        .all(|key| key.ends_with(&format!(" on {READS_STREAM}"))),
            ),
            (
                format!(
                    "ReadAll from 0 returned {} events, as many as the head",
                    rate(self.events_read as f64)
                ),
                self.events_read == self.head.next_position,
            ),
        ]
    }
}

impl LogCheck {
    fn unacknowledged_n(&self) -> u64 {
        self.unacknowledged.values().sum()
    }

    fn unacknowledged_types(&self) -> String {
        if self.unacknowledged.is_empty() {
            return "none".to_owned();
        }
        let types: Vec<String> = self
            .unacknowledged
            .iter()
            .map(|(event_type, count)| format!("`{event_type}` {}", rate(*count as f64)))
            .collect();
        types.join(", ")
    }
}

/// Everything one soak measured.
pub struct SoakReport {
    pub clients: usize,
    pub seconds: u64,
    pub window: Duration,
    /// How long after the window closed the last client's call ended.
    pub overrun: Duration,
    pub setup_duration: Duration,
    pub tallies: BTreeMap<Op, Tally>,
    pub memory: MemoryFigures,
    pub log: LogCheck,
    pub offline: Result<String, String>,
    pub server_exit: Result<String, String>,
    pub server_stderr: String,
    pub load_at_start: String,
    pub load_at_end: String,
}

impl SoakReport {
    pub fn new(
        spec: &SoakSpec,
        window: Window,
        ended: Instant,
        setup_duration: Duration,
        clients: &[Client],
        memory: MemoryFigures,
        log: LogCheck,
    ) -> SoakReport {
        SoakReport {
            clients: spec.clients,
            seconds: spec.seconds,
            window: window.duration(),
            overrun: ended.saturating_duration_since(window.end),
            setup_duration,
            tallies: soak::merged_tallies(clients),
            memory,
            log,
            offline: Err("not run".to_owned()),
            server_exit: Err("not stopped".to_owned()),
            server_stderr: String::new(),
            load_at_start: String::new(),
            load_at_end: String::new(),
        }
    }

    /// All calls of the writes (true) or the reads (false), merged.
    fn merged(&self, writes: bool) -> Tally {
        let mut merged = Tally::default();
        for tally in self
            .tallies
            .iter()
            .filter(|(op, _)| op.is_write() == writes)
            .map(|(_, t)| t)
        {
            merged.add(tally);
        }
        merged
    }

    pub fn errors_total(&self) -> u64 {
        self.tallies.values().map(Tally::errors_total).sum()
    }

    pub fn print(&self) {
        println!("## Soak (`--soak {}`)\n", self.seconds);
        self.print_setup();
        self.print_calls();
        self.print_memory();
        self.print_log();
    }

    fn print_setup(&self) {
        let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
        let reads: Vec<String> = READ_WEIGHTS
            .iter()
            .map(|(op, weight)| format!("{} {weight} %", op.label()))
            .collect();
        println!(
            "- Machine: {cores} cores; load average at start {}, at end {}.",
            self.load_at_start, self.load_at_end
        );
        println!(
            "- Server: the `anttd` binary as a separate process on a loopback port over a fresh data directory in a temporary directory, development mode (no tokens), defaults otherwise (fsync); its resident memory is `VmRSS` of `/proc/<pid>/status`, read every {SOAK_RSS_SAMPLE_MILLIS} ms."
        );
        println!(
            "- Setup ({:.1} s, not measured): province → district → commune, one village per client; a checkpoint; per client a security protection team (quota {SOAK_TEAM_QUOTA}) and an incident. Then {SOAK_WARMUP_SECS} s of the mixed load (warm-up), then the {} s window ({:.1} s measured; the last call ended {:.2} s after it closed).",
            self.setup_duration.as_secs_f64(),
            self.seconds,
            self.window.as_secs_f64(),
            self.overrun.as_secs_f64()
        );
        println!(
            "- Load: {} clients over {} HTTP/2 connections, one call at a time each; {WRITE_PERCENT} % commands, each client's own team after team: per member ReportIncident, RegisterPerson, NominateMember, AppointMember, and EstablishTeam once a team is full (a command is resent with its request id until acknowledged); {} % queries: {}. ReadAll pages are {SOAK_READ_ALL_PAGE_EVENTS} events from a random position; proofs are of a random position in the client's latest checkpoint, verified against its root. Every call is bounded by {SOAK_CALL_TIMEOUT_SECS} s.",
            self.clients,
            crate::grpc::connections_for(self.clients),
            100 - WRITE_PERCENT,
            reads.join(", ")
        );
        println!("- Counts and latencies: calls that ended inside the window (latency of the successful ones); errors: over the whole run, warm-up included.\n");
    }

    fn print_calls(&self) {
        println!("| call | calls | /s | errors | p50 | p99 | max |");
        println!("|---|--:|--:|---|--:|--:|--:|");
        let seconds = self.window.as_secs_f64();
        for (op, tally) in &self.tallies {
            print_call_row(op.label(), tally, seconds);
        }
        print_call_row("**all commands**", &self.merged(true), seconds);
        print_call_row("**all queries**", &self.merged(false), seconds);
        let mut all = self.merged(true);
        all.add(&self.merged(false));
        print_call_row("**all calls**", &all, seconds);
        println!();
        for (op, tally) in &self.tallies {
            for (code, (count, message)) in &tally.errors {
                println!("- {} {code} ×{count}: {}", op.label(), message.replace('|', "/"));
            }
        }
        if self.errors_total() > 0 {
            println!();
        }
    }

    fn print_memory(&self) {
        let memory = &self.memory;
        let growth = memory.end_kib as f64 - memory.start_kib as f64;
        println!("| server resident memory | value |");
        println!("|---|--:|");
        println!(
            "| at the window's start (after setup and warm-up) | {} |",
            mib(memory.start_kib)
        );
        println!("| at its end | {} |", mib(memory.end_kib));
        println!(
            "| growth, end − start | {:+.0} MiB ({:+.0} %) |",
            growth / 1024.0,
            100.0 * growth / memory.start_kib.max(1) as f64
        );
        println!("| max of the samples | {} |", mib(memory.max_kib));
        println!("| peak (`VmHWM`, whole life) | {} |", mib(memory.peak_kib));
        println!("\nOver the window: {}.\n", memory.timeline());
    }

    fn print_log(&self) {
        let log = &self.log;
        println!(
            "Log at the end: {} events ({} from the area setup; {} acknowledged commands, {} of them answered as retries already recorded).\n",
            rate(log.head.next_position as f64),
            rate(log.setup_events as f64),
            rate(log.acknowledged_writes as f64),
            rate(log.deduplicated_acks as f64)
        );
        for (check, ok) in log.verdicts() {
            println!("- {}: {check}", if ok { "ok" } else { "FAILED" });
        }
        match &self.offline {
            Ok(text) => println!("- ok: offline `verify` of the stopped store: {text}"),
            Err(error) => println!(
                "- FAILED: offline `verify` of the stopped store: {}",
                error.replace('|', "/")
            ),
        }
        match &self.server_exit {
            Ok(status) => println!("- server after SIGTERM: {status}"),
            Err(error) => println!("- FAILED: server stop: {error}"),
        }
        let lines: Vec<&str> = self.server_stderr.lines().collect();
        println!("- server stderr (warnings and errors): {} lines", lines.len());
        for line in lines.iter().take(5) {
            println!("  - `{}`", line.replace('`', "'"));
        }
        println!();
    }
}

fn print_call_row(label: &str, tally: &Tally, seconds: f64) {
    let [p50, p99, max] = tally.quantiles();
    let errors = if tally.errors.is_empty() {
        "0".to_owned()
    } else {
        let codes: Vec<String> = tally
            .errors
            .iter()
            .map(|(code, (count, _))| format!("{code} {count}"))
            .collect();
        codes.join(", ")
    };
    println!(
        "| {label} | {} | {} | {errors} | {} | {} | {} |",
        rate(tally.calls() as f64),
        rate(tally.calls() as f64 / seconds),
        millis(p50),
        millis(p99),
        millis(max)
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tally_counts_window_calls_and_every_error() {
        let mut tally = Tally::default();
        tally.record(None, Duration::from_millis(3), true);
        tally.record(None, Duration::from_millis(1), true);
        tally.record(None, Duration::from_millis(50), false);
        tally.record(Some(CallError::Timeout), Duration::from_secs(10), false);
        tally.record(
            Some(CallError::Status(tonic::Status::aborted("conflict"))),
            Duration::ZERO,
            true,
        );
        assert_eq!(tally.calls(), 3);
        assert_eq!(tally.errors_total(), 2);
        assert_eq!(tally.errors["Aborted"], (1, "conflict".to_owned()));
        assert_eq!(
            tally.quantiles(),
            [
                Duration::from_millis(1),
                Duration::from_millis(3),
                Duration::from_millis(3)
            ]
        );
        let mut merged = Tally::default();
        merged.add(&tally);
        merged.add(&tally);
        assert_eq!((merged.calls(), merged.errors_total()), (6, 4));
    }

    #[test]
    fn memory_figures_start_at_the_first_sample() {
        let samples = vec![
            (Duration::ZERO, 100),
            (Duration::from_secs(1), 300),
            (Duration::from_secs(2), 200),
        ];
        let memory = MemoryFigures::new(samples, 250, 400);
        assert_eq!((memory.start_kib, memory.end_kib, memory.max_kib), (100, 250, 300));
    }
}
