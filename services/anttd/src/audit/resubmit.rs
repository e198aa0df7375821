//! Re-submission of the checkpoints a witness did not cosign when they were made (it was
//! down, slow or refusing): a task that asks each witness again, with bounded backoff,
//! until every stored checkpoint it can still cosign carries its cosignature.
//!
//! What a witness lacks is read from the stored checkpoints themselves, which carry the
//! cosignatures gathered, so it survives restarts: walking back from the newest, every
//! checkpoint without the witness's line is pending, down to the newest one with it. A
//! witness only cosigns checkpoints that extend its latest, so the pending ones are
//! submitted oldest first, each from the size it last cosigned (`Notary::cosign_stored`,
//! the notary's own path). One smaller than a size the witness has cosigned since can never
//! get its cosignature; consistency with that larger one covers it: it is reported once
//! and left alone.

use std::sync::Arc;
use std::time::Duration;

use antt_audit::checkpoint::SignedCheckpoint;
use antt_log::VerifiableLog;
use tokio::time::Instant;

use super::notary::{is_cosigned_by, rolled_back, Notary, Uncosigned, Witness};
use crate::limits::{
    WITNESS_BACKLOG_CHECKPOINTS_MAX, WITNESS_RESUBMIT_CHECKPOINTS_MAX, WITNESS_RETRY_SECS_MAX, WITNESS_RETRY_SECS_MIN,
};
use crate::shutdown::ShutdownSignal;

/// What to do with the checkpoints a witness has not cosigned.
#[derive(Debug, PartialEq, Eq)]
pub struct Plan {
    /// Sizes to submit now, in increasing order: each extends the one before.
    pub submit: Vec<u64>,
    /// Sizes below the one the witness has cosigned: it can no longer cosign them.
    pub covered: Vec<u64>,
}

/// The plan for the stored checkpoints of sizes `pending` (any order) that lack a
/// witness's cosignature, when the witness is known to have cosigned `witness_size`; at
/// most `submit_max` are submitted in one round. A checkpoint of `witness_size` itself
/// is submitted: the witness cosigns its latest again (its answer was lost).
pub fn plan(pending: &[u64], witness_size: u64, submit_max: usize) -> Plan {
    let mut sizes = pending.to_vec();
    sizes.sort_unstable();
    sizes.dedup();
    let (covered, open): (Vec<u64>, Vec<u64>) = sizes.into_iter().partition(|size| *size < witness_size);
    Plan {
        submit: open.into_iter().take(submit_max).collect(),
        covered,
    }
}

/// The stored checkpoints a witness lacks, as the store shows them.
#[derive(Debug, Default)]
struct Backlog {
    /// Sizes of those without its cosignature, increasing.
    pending: Vec<u64>,
    /// The size of the newest stored checkpoint with its cosignature (0 if none was met).
    cosigned: u64,
    /// The size of the newest stored checkpoint.
    newest: u64,
}

/// Walks the stored checkpoints back from the newest, down to the newest one `witness`
/// cosigned, below `settled`, or for at most `WITNESS_BACKLOG_CHECKPOINTS_MAX`.
async fn backlog<L: VerifiableLog>(log: &L, witness: &Witness, settled: u64) -> Result<Backlog, String> {
    let mut backlog = Backlog::default();
    let mut before = u64::MAX;
    let mut looked = 0;
    'pages: while looked < WITNESS_BACKLOG_CHECKPOINTS_MAX {
        let page_max = WITNESS_RESUBMIT_CHECKPOINTS_MAX.min(WITNESS_BACKLOG_CHECKPOINTS_MAX - looked);
        let page = log
            .checkpoints_before(before, page_max)
            .await
            .map_err(|error| format!("reading the stored checkpoints: {error}"))?;
        if page.is_empty() {
            break;
        }
        looked += page.len();
        for (size, text) in page {
            backlog.newest = backlog.newest.max(size);
            before = size;
            if size < settled {
                break 'pages;
            }
            // Written by this server; `cosign_stored` verifies it before it is sent.
            let stored = SignedCheckpoint::parse_unverified(&text)
                .map_err(|error| format!("the stored checkpoint of size {size} does not parse: {error}"))?;
            if is_cosigned_by(&stored, witness) {
                backlog.cosigned = size;
                break 'pages;
            }
            backlog.pending.push(size);
        }
    }
    backlog.pending.reverse();
    Ok(backlog)
}

/// How one round with one witness ended.
#[derive(Debug)]
enum Round {
    /// Every stored checkpoint it can still cosign carries its cosignature.
    CaughtUp,
    /// Some were cosigned or found covered; more may wait.
    Progress,
    /// It did not cosign; why.
    Failed(String),
}

/// One round with `witness`: look at what it lacks, submit the oldest it can cosign.
async fn round<L: VerifiableLog>(notary: &Notary<L>, witness: &Witness, pace: &mut Pace) -> Round {
    let backlog = match backlog(notary.log(), witness, pace.settled).await {
        Ok(backlog) => backlog,
        Err(reason) => return Round::Failed(reason),
    };
    crate::telemetry::metrics().witness_pending(&witness.url, backlog.pending.len());
    if backlog.pending.is_empty() {
        return Round::CaughtUp;
    }
    let witness_size = notary.witnessed_size(witness, backlog.cosigned).await;
    let plan = plan(&backlog.pending, witness_size, WITNESS_RESUBMIT_CHECKPOINTS_MAX);
    if let (Some(first), Some(last)) = (plan.covered.first(), plan.covered.last()) {
        tracing::info!(
            witness = %witness.url, witness_size, checkpoints = plan.covered.len(), first, last,
            "checkpoints this witness missed are not submitted again: it has cosigned a larger one since, \
             which they are consistent with, and a witness only cosigns extensions of its latest"
        );
    }
    // Below the witness's size nothing is left to do, this round's covered ones included.
    pace.settled = pace.settled.max(witness_size);
    for size in plan.submit {
        match notary.cosign_stored(witness, size).await {
            Ok(true) => tracing::info!(witness = %witness.url, size, "a checkpoint this witness missed is cosigned"),
            Ok(false) => {}
            // The next round plans again from the size the witness has.
            Err(Uncosigned::Superseded { witness_size }) if witness_size <= backlog.newest => return Round::Progress,
            Err(Uncosigned::Superseded { witness_size }) => {
                return Round::Failed(rolled_back(witness_size, backlog.newest))
            }
            Err(Uncosigned::Failed(reason)) => return Round::Failed(reason),
        }
    }
    Round::Progress
}

/// When a witness is asked next, and what it was last seen doing.
#[derive(Debug)]
struct Pace {
    due: Instant,
    retry: Duration,
    /// False from a failed round to the next caught-up one: each change is logged once.
    reachable: bool,
    /// Checkpoints below this size were cosigned or reported covered in this process.
    settled: u64,
}

impl Pace {
    fn new(now: Instant) -> Pace {
        Pace {
            due: now,
            retry: Duration::from_secs(WITNESS_RETRY_SECS_MIN),
            reachable: true,
            settled: 0,
        }
    }

    fn after(&mut self, round: Round, witness: &Witness, now: Instant) {
        let retry_max = Duration::from_secs(WITNESS_RETRY_SECS_MAX);
        match round {
            Round::CaughtUp => {
                if !self.reachable {
                    tracing::info!(witness = %witness.url, "the witness has caught up: every stored checkpoint it can still cosign carries its cosignature");
                }
                self.reachable = true;
                self.retry = Duration::from_secs(WITNESS_RETRY_SECS_MIN);
                self.due = now + retry_max;
            }
            Round::Progress => {
                self.retry = Duration::from_secs(WITNESS_RETRY_SECS_MIN);
                self.due = now;
            }
            Round::Failed(reason) => {
                if self.reachable {
                    tracing::warn!(
                        witness = %witness.url, %reason, retry_secs_max = WITNESS_RETRY_SECS_MAX,
                        "a witness is not cosigning; the checkpoints it misses will be submitted again until it does"
                    );
                }
                self.reachable = false;
                self.due = now + self.retry;
                self.retry = (self.retry * 2).min(retry_max);
            }
        }
    }

    /// A new checkpoint missed this witness: one that seemed fine is asked at once, one
    /// that is failing keeps its backoff.
    fn missed(&mut self, now: Instant) {
        if self.reachable {
            self.due = now;
        }
    }
}

/// Submits to each witness the stored checkpoints it has not cosigned, until `shutdown`
/// fires; the first round, at start, catches up with what was missed before a restart.
pub async fn run_resubmissions<L: VerifiableLog>(notary: Arc<Notary<L>>, mut shutdown: ShutdownSignal) {
    let witnesses = notary.witnesses().to_vec();
    let mut paces: Vec<Pace> = witnesses.iter().map(|_| Pace::new(Instant::now())).collect();
    while let Some(due) = paces.iter().map(|pace| pace.due).min() {
        tokio::select! {
            () = tokio::time::sleep_until(due) => {}
            () = notary.missed_cosignature() => paces.iter_mut().for_each(|pace| pace.missed(Instant::now())),
            () = shutdown.stopped() => return,
        }
        for (witness, pace) in witnesses.iter().zip(paces.iter_mut()) {
            if pace.due > Instant::now() {
                continue;
            }
            let outcome = tokio::select! {
                outcome = round(&notary, witness, pace) => outcome,
                () = shutdown.stopped() => return,
            };
            pace.after(outcome, witness, Instant::now());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missed_checkpoints_are_submitted_oldest_first_from_the_witness_size() {
        let plan = plan(&[30, 10, 20], 0, 16);
        assert_eq!(plan.submit, [10, 20, 30]);
        assert!(plan.covered.is_empty());
    }

    #[test]
    fn those_below_a_size_the_witness_cosigned_are_covered_not_submitted() {
        let plan = plan(&[10, 20, 30, 40], 30, 16);
        assert_eq!(plan.covered, [10, 20]);
        // Its own size again: the witness cosigns its latest once more.
        assert_eq!(plan.submit, [30, 40]);
    }

    #[test]
    fn a_round_submits_a_bounded_number_in_order() {
        let pending: Vec<u64> = (1..=40).rev().collect();
        let plan = plan(&pending, 5, 16);
        assert_eq!(plan.covered, [1, 2, 3, 4]);
        assert_eq!(plan.submit, (5..21).collect::<Vec<u64>>());
    }

    #[test]
    fn nothing_pending_plans_nothing() {
        assert_eq!(
            plan(&[], 7, 16),
            Plan {
                submit: Vec::new(),
                covered: Vec::new()
            }
        );
        let all_covered = plan(&[3, 5], 7, 16);
        assert!(all_covered.submit.is_empty());
        assert_eq!(all_covered.covered, [3, 5]);
    }

    #[test]
    fn a_failing_witness_is_retried_with_doubling_bounded_waits() {
        let witness = Witness {
            url: "http://127.0.0.1:9".into(),
            verifier: antt_audit::cosignature::CosignatureSigner::generate("w.example/witness")
                .unwrap()
                .verifier(),
        };
        let now = Instant::now();
        let mut pace = Pace::new(now);
        let mut waits = Vec::new();
        for _ in 0..8 {
            pace.after(Round::Failed("refused".into()), &witness, now);
            waits.push((pace.due - now).as_secs());
        }
        assert_eq!(waits, [1, 2, 4, 8, 16, 32, 60, 60]);
        assert!(!pace.reachable);
        // A missed checkpoint does not cut a failing witness's backoff short.
        pace.missed(now);
        assert_eq!((pace.due - now).as_secs(), 60);
        pace.after(Round::CaughtUp, &witness, now);
        assert!(pace.reachable);
        pace.after(Round::Failed("refused".into()), &witness, now);
        assert_eq!((pace.due - now).as_secs(), WITNESS_RETRY_SECS_MIN);
        pace.missed(now);
        pace.after(Round::Progress, &witness, now);
        assert_eq!(pace.due, now);
    }
}
