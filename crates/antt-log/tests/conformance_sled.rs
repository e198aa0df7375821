//! Runs the backend-neutral conformance suite (`antt_log::conformance`) against SledLog:
//! each check as its own test (default Fsync mode, multi-thread runtime) so that one
//! failure does not hide another, and the whole suite through `run_all` in Flush mode on
//! a current-thread runtime.

use std::sync::Arc;

use antt_log::conformance;
use antt_log::sled_log::{SledConfig, SledLog, SyncMode};

macro_rules! sled_checks {
    ($($check:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $check() {
                // Goal and method: see the check of this name in `antt_log::conformance`;
                // here it runs on a fresh SledLog (SyncMode::Fsync) in a temporary
                // directory that lives until the end of the test.
                let dir = tempfile::tempdir().expect("temp dir");
                let log = SledLog::open(SledConfig::new(dir.path())).expect("open a fresh sled log");
                conformance::$check(Arc::new(log)).await;
            }
        )*
    };
}

sled_checks!(
    append_then_read_back_every_field,
    expected_versions_are_enforced,
    batches_are_atomic_and_contiguous,
    identical_retry_is_deduplicated,
    reused_event_ids_are_refused,
    invalid_appends_are_refused_with_field_paths,
    read_stream_pages_in_both_directions,
    read_all_filters_and_pages,
    page_sizes_are_clamped,
    events_by_position_and_id,
    stream_info_summarises_a_stream,
    list_streams_by_prefix_in_byte_order_with_paging,
    head_and_hash_chain_follow_every_append,
    recorded_at_never_decreases,
    subscription_catches_up_then_goes_live,
    filtered_subscription_sends_checkpoints,
    subscription_under_concurrent_appends_has_no_gaps_or_duplicates,
    subscription_ends_when_the_log_closes,
    close_refuses_further_appends,
);

#[tokio::test(flavor = "current_thread")]
async fn run_all_in_flush_mode_on_a_current_thread_runtime() {
    // Goal: the contract holds whatever the sync mode, and without a multi-thread runtime
    // (the backend must not need a runtime worker of its own); also exercises `run_all`,
    // the entry point other backends use. Method: run the whole suite, each check on a
    // fresh Flush-mode log in its own temporary directory, kept alive to the end.
    let mut dirs = Vec::new();
    conformance::run_all(|| {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut config = SledConfig::new(dir.path());
        config.sync_mode = SyncMode::Flush;
        let log = SledLog::open(config).expect("open a fresh sled log");
        dirs.push(dir);
        std::future::ready(Arc::new(log))
    })
    .await;
}
