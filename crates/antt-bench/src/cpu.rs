//! CPU time of this process, split between the in-process server and the benchmark's
//! clients, from `/proc/self/stat` and `/proc/self/task/*/stat` (Linux only; elsewhere
//! nothing is reported).
//!
//! The clients are the threads of the benchmark's own runtime (tokio's default thread
//! name) and the main thread, which live for the whole run; the server is everything else (its
//! runtime's `anttd-*` threads, the log writer, sled's threads). The process total counts
//! threads that have exited too, so a server thread ending mid-interval is not lost.
//! Granularity: one clock tick (10 ms) per thread and interval.

use std::time::Duration;

/// Linux's `USER_HZ`, the unit of the times in `stat`: 100 on every mainstream kernel.
const TICKS_PER_S: u64 = 100;
/// `comm` of the benchmark runtime's threads: tokio's default thread name, as the kernel
/// truncates it to 15 bytes ("tokio-rt-worker" in tokio 1.48, "tokio-runtime-worker"
/// before).
const CLIENT_THREAD_COMMS: [&str; 2] = ["tokio-rt-worker", "tokio-runtime-w"];

/// CPU time used since the process started.
#[derive(Clone, Copy, Debug, Default)]
pub struct CpuTimes {
    pub server: Duration,
    pub client: Duration,
}

/// CPU time over an interval and the operations (log appends) done in it.
#[derive(Clone, Copy, Debug, Default)]
pub struct CpuUse {
    pub server: Duration,
    pub client: Duration,
    pub ops: u64,
}

impl CpuUse {
    /// Adds the interval from `before` to `after`, in which `ops` operations were done.
    pub fn add(&mut self, before: CpuTimes, after: CpuTimes, ops: u64) {
        self.server += after.server.saturating_sub(before.server);
        self.client += after.client.saturating_sub(before.client);
        self.ops += ops;
    }

    /// Server CPU per operation, in microseconds.
    pub fn server_us_per_op(&self) -> Option<f64> {
        (self.ops > 0).then(|| self.server.as_secs_f64() * 1e6 / self.ops as f64)
    }

    /// Client CPU per operation, in microseconds.
    pub fn client_us_per_op(&self) -> Option<f64> {
        (self.ops > 0).then(|| self.client.as_secs_f64() * 1e6 / self.ops as f64)
    }
}

/// The process's CPU times now, or None where `/proc` cannot be read.
pub fn now() -> Option<CpuTimes> {
    let total = ticks(&std::fs::read_to_string("/proc/self/stat").ok()?)?.1;
    let pid = std::process::id().to_string();
    let mut client = 0;
    for entry in std::fs::read_dir("/proc/self/task").ok()?.flatten() {
        let is_main = entry.file_name().to_str() == Some(pid.as_str());
        // A thread may exit between listing and reading: skip it.
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        if let Some((comm, thread_ticks)) = ticks(&stat) {
            if is_main || CLIENT_THREAD_COMMS.contains(&comm) {
                client += thread_ticks;
            }
        }
    }
    Some(CpuTimes {
        server: from_ticks(total.saturating_sub(client)),
        client: from_ticks(client),
    })
}

fn from_ticks(ticks: u64) -> Duration {
    Duration::from_micros(ticks * 1_000_000 / TICKS_PER_S)
}

/// `comm` and utime + stime of a `stat` line. `comm` is in brackets and may itself hold
/// spaces and brackets, so the fields are counted from the last `)`.
fn ticks(stat: &str) -> Option<(&str, u64)> {
    let open = stat.find('(')?;
    let close = stat.rfind(')')?;
    let comm = stat.get(open + 1..close)?;
    let mut fields = stat.get(close + 1..)?.split_whitespace();
    // After the comm: state (field 3) … utime (14), stime (15).
    let utime: u64 = fields.nth(11)?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some((comm, utime + stime))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_utime_and_stime_after_a_comm_with_spaces() {
        let stat = "4242 (tokio-runtime-w) S 1 2 3 0 -1 4194368 100 0 0 0 37 5 0 0 20 0 9 0 1000 0 0";
        assert_eq!(ticks(stat), Some(("tokio-runtime-w", 42)));
        let odd = "7 (a (b) c) R 1 2 3 0 -1 0 0 0 0 0 1 2 0 0";
        assert_eq!(ticks(odd), Some(("a (b) c", 3)));
    }

    #[test]
    fn this_process_has_cpu_times() {
        if cfg!(target_os = "linux") {
            assert!(now().is_some());
        }
    }
}
