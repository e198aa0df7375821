//! The second stage of a group commit: anchoring the durable head outside sled, then
//! acknowledging. It runs on a thread of its own, so that while group k's anchor is being
//! synced the writer already writes and syncs group k+1 into sled: the two syncs overlap
//! instead of adding up.
//!
//! *Invariant:* a group is acknowledged only after its head is anchored; heads are
//! anchored in commit order (one FIFO channel), so the anchor never goes backwards and
//! never claims a group sled has not synced. Replies of groups that added nothing (retries
//! answered from the index) queue behind the anchors before them, so no reply ever
//! reports events whose anchor is not yet durable.

use std::sync::mpsc;
use std::sync::Arc;

use crate::error::{AppendError, StorageError};
use crate::event::AppendOutcome;
use crate::sled_log::anchor::{Anchor, AnchoredHead};
use crate::sled_log::group::Reply;
use crate::sled_log::shared::Shared;

/// One group, durable in sled, waiting to be anchored and acknowledged.
pub(crate) struct Acknowledgement {
    /// The head after the group; `None` when it added no event.
    pub head: Option<AnchoredHead>,
    pub replies: Vec<(Reply, Result<AppendOutcome, AppendError>)>,
}

/// Anchors and acknowledges groups until the writer drops its sender. After an anchor
/// write fails nothing more is acknowledged: what the anchor holds is then unknown.
pub(crate) fn run(
    mut anchor: Anchor,
    sync: bool,
    shared: Arc<Shared>,
    acknowledgements: mpsc::Receiver<Acknowledgement>,
) {
    let mut failed: Option<StorageError> = None;
    for acknowledgement in acknowledgements {
        if let (None, Some(head)) = (&failed, &acknowledgement.head) {
            if let Err(error) = anchor.write(head, sync) {
                let failure = StorageError::new("writing the head anchor", error);
                shared.fail(failure.clone());
                failed = Some(failure);
            }
        }
        reply(acknowledgement.replies, failed.as_ref());
    }
}

/// Sends every reply, or the failure instead when there is one.
pub(crate) fn reply(replies: Vec<(Reply, Result<AppendOutcome, AppendError>)>, failure: Option<&StorageError>) {
    for (reply, outcome) in replies {
        let outcome = match failure {
            Some(failure) => Err(AppendError::Storage(failure.clone())),
            None => outcome,
        };
        // The caller may have stopped waiting; the append stands either way.
        let _ = reply.send(outcome);
    }
}
