//! Faults on demand, for tests of what a process does when the log's writer panics. No
//! real input makes the writer panic (that would be a bug to fix), and a test must not
//! depend on a bug, so this module and its one hook exist only with the `fault-injection`
//! feature, which only anttd's dev-dependency enables: an anttd binary built for tests
//! (`cargo test`, or any build of `--all-targets`) has it; `cargo build -p anttd`, with or
//! without `--release`, and the Dockerfile's build do not (checked: the stream name below is
//! absent from that binary).

use crate::event::AppendRequest;

/// An append to this stream makes the writer thread panic while it commits the group.
pub const PANIC_THE_WRITER_STREAM: &str = "antt-fault-injection-panic-the-writer";

/// Called by the writer before it commits a group with `request` in it.
pub(crate) fn before_commit(request: &AppendRequest) {
    if request.stream_id == PANIC_THE_WRITER_STREAM {
        panic!("fault injection: an append to {PANIC_THE_WRITER_STREAM} makes the writer panic");
    }
}
