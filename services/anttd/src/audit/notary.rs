//! The notary: signs checkpoints of the log's Merkle tree with the log's key, has them
//! cosigned by the configured witnesses, and keeps every one in the log's store.
//!
//! A checkpoint is stored as soon as it is signed (so that one is never lost to a witness
//! that does not answer) and again with the cosignatures gathered. Checkpoints are made
//! one at a time, so witnesses see the log's sizes in order. A checkpoint a witness did
//! not cosign is submitted to it again later (`resubmit.rs`), through the same path.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use antt_audit::checkpoint::{Checkpoint, SignedCheckpoint};
use antt_audit::note::{Note, NoteSignature, Signer, Verifier};
use antt_audit::witness::AddCheckpointRequest;
use antt_log::{ReadError, StorageError, VerifiableLog};
use antt_proto::v1 as pb;
use tokio::sync::{Mutex, Notify};
use tracing::Instrument;

use antt_witness::SubmitError;

/// A witness the notary submits checkpoints to.
#[derive(Clone, Debug)]
pub struct Witness {
    pub url: String,
    pub verifier: Verifier,
}

/// Why a checkpoint could not be made.
#[derive(Debug, thiserror::Error)]
pub enum NotaryError {
    #[error("storing the checkpoint: {0}")]
    Storage(#[from] StorageError),
    #[error(transparent)]
    Read(#[from] ReadError),
    #[error("signing the checkpoint: {0}")]
    Signing(String),
}

/// Why a witness gave no cosignature to a checkpoint.
#[derive(Debug)]
pub(super) enum Uncosigned {
    /// The witness has cosigned a larger tree of this log, so it can no longer cosign this
    /// one (it only cosigns extensions of its latest).
    Superseded { witness_size: u64 },
    /// It did not answer, or refused; the reason, worded.
    Failed(String),
}

pub struct Notary<L> {
    log: Arc<L>,
    signer: Signer,
    origin: String,
    witnesses: Vec<Witness>,
    /// The size each witness last cosigned (by URL), learnt from its answers; a witness
    /// that knows another size says so with 409 and is asked again from that size. Held
    /// while a checkpoint is submitted, so that witnesses see the log's sizes in order.
    witnessed: Mutex<HashMap<String, u64>>,
    /// Woken when a new checkpoint missed a witness's cosignature.
    missed: Notify,
}

impl<L: VerifiableLog> Notary<L> {
    pub fn new(log: Arc<L>, signer: Signer, origin: String, witnesses: Vec<Witness>) -> Self {
        Notary {
            log,
            signer,
            origin,
            witnesses,
            witnessed: Mutex::new(HashMap::new()),
            missed: Notify::new(),
        }
    }

    pub(super) fn log(&self) -> &L {
        &self.log
    }

    pub(super) fn witnesses(&self) -> &[Witness] {
        &self.witnesses
    }

    /// Resolves once a checkpoint made after the last call missed a cosignature.
    pub(super) async fn missed_cosignature(&self) {
        self.missed.notified().await;
    }

    /// The size `witness` is known to have cosigned, raised to `at_least` (one the
    /// stored checkpoints show), so that the next submission to it starts from there.
    pub(super) async fn witnessed_size(&self, witness: &Witness, at_least: u64) -> u64 {
        let mut witnessed = self.witnessed.lock().await;
        let size = witnessed.entry(witness.url.clone()).or_default();
        *size = (*size).max(at_least);
        *size
    }

    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The log's verifier key, `<name>+<hex key hash>+<base64 key>`.
    pub fn verifier_key(&self) -> String {
        self.signer.verifier().to_string()
    }

    pub async fn latest(&self) -> Result<Option<pb::SignedCheckpoint>, ReadError> {
        let stored = self.log.latest_checkpoint().await?;
        stored.map(|(_, note)| self.to_proto(&note)).transpose()
    }

    pub async fn at_size(&self, size: u64) -> Result<Option<pb::SignedCheckpoint>, ReadError> {
        let stored = self.log.checkpoint_at(size).await?;
        stored.map(|note| self.to_proto(&note)).transpose()
    }

    /// Signs the committed head, unless the latest checkpoint is already of it; has it
    /// cosigned; stores it. Returns it with every cosignature gathered.
    pub async fn checkpoint_now(&self) -> Result<pb::SignedCheckpoint, NotaryError> {
        // As i64: OpenTelemetry exporters of `tracing` spans turn u64 fields into text.
        let span = tracing::info_span!("checkpoint", size = self.log.tree_head().size as i64);
        self.sign_and_witness().instrument(span).await
    }

    async fn sign_and_witness(&self) -> Result<pb::SignedCheckpoint, NotaryError> {
        // Held across the witnesses' answers: checkpoints are made strictly in order.
        let mut witnessed = self.witnessed.lock().await;
        let head = self.log.tree_head();
        if let Some((size, note)) = self.log.latest_checkpoint().await? {
            if size == head.size {
                return Ok(self.to_proto(&note)?);
            }
        }
        let checkpoint = Checkpoint {
            origin: self.origin.clone(),
            size: head.size,
            root: head.root,
            extensions: Vec::new(),
        };
        let signed = SignedCheckpoint::sign(checkpoint, &self.signer)
            .map_err(|error| NotaryError::Signing(error.to_string()))?;
        let log_signed = signed.to_text();
        self.log.save_checkpoint(head.size, log_signed.clone()).await?;
        let mut cosigned = signed.clone();
        for witness in &self.witnesses {
            match self.cosignature(&mut witnessed, witness, &signed, &log_signed).await {
                Ok(cosignatures) => cosigned.add_signatures(cosignatures),
                Err(uncosigned) => {
                    let reason = match uncosigned {
                        // Nothing larger was signed than this, the newest checkpoint.
                        Uncosigned::Superseded { witness_size } => rolled_back(witness_size, head.size),
                        Uncosigned::Failed(reason) => reason,
                    };
                    // At info: the re-submission warns once when a witness starts failing.
                    tracing::info!(witness = %witness.url, size = head.size, %reason, "a witness did not cosign the checkpoint; it is left to the re-submission");
                    self.missed.notify_one();
                }
            }
        }
        let text = cosigned.to_text();
        if text != log_signed {
            self.log.save_checkpoint(head.size, text.clone()).await?;
        }
        tracing::info!(
            size = head.size,
            cosignatures = cosigned.note.signatures.len().saturating_sub(1),
            "checkpoint signed"
        );
        Ok(self.to_proto(&text)?)
    }

    /// Has `witness` cosign the stored checkpoint of `size` and stores its cosignature
    /// with it. Returns whether the stored checkpoint gained one (false: it had it).
    pub(super) async fn cosign_stored(&self, witness: &Witness, size: u64) -> Result<bool, Uncosigned> {
        let failed = |error: ReadError| Uncosigned::Failed(format!("reading the stored checkpoint: {error}"));
        let mut witnessed = self.witnessed.lock().await;
        let Some(text) = self.log.checkpoint_at(size).await.map_err(failed)? else {
            return Err(Uncosigned::Failed(format!("no checkpoint is stored for size {size}")));
        };
        let mut stored = SignedCheckpoint::parse_and_verify(&text, &self.signer.verifier())
            .map_err(|error| Uncosigned::Failed(format!("the stored checkpoint of size {size}: {error}")))?;
        if is_cosigned_by(&stored, witness) {
            return Ok(false);
        }
        // Sent as when it was made: with the log's signature alone, not the others'.
        let mut log_signed = stored.clone();
        let log_key = self.signer.verifier();
        log_signed
            .note
            .signatures
            .retain(|signature| log_key.matches(signature));
        let cosignatures = self
            .cosignature(&mut witnessed, witness, &log_signed, &log_signed.to_text())
            .await?;
        stored.add_signatures(cosignatures);
        self.log
            .save_checkpoint(size, stored.to_text())
            .await
            .map_err(|error| Uncosigned::Failed(format!("storing the cosignature: {error}")))?;
        Ok(true)
    }

    /// Asks one witness to cosign, from the size it last cosigned.
    async fn cosignature(
        &self,
        witnessed: &mut HashMap<String, u64>,
        witness: &Witness,
        signed: &SignedCheckpoint,
        log_signed: &str,
    ) -> Result<Vec<NoteSignature>, Uncosigned> {
        let size = signed.checkpoint.size;
        let mut old_size = witnessed.get(&witness.url).copied().unwrap_or(0).min(size);
        // One retry: a 409 tells the size the witness really has.
        for _ in 0..2 {
            let consistency_proof = if old_size == 0 || old_size == size {
                Vec::new()
            } else {
                self.log
                    .consistency_proof(old_size, size)
                    .await
                    .map_err(|error| Uncosigned::Failed(error.to_string()))?
            };
            let request = AddCheckpointRequest {
                old_size,
                consistency_proof,
                checkpoint_text: log_signed.to_string(),
            };
            match antt_witness::submit(&witness.url, &request).await {
                Ok(cosignatures) => {
                    let ours = cosignatures
                        .into_iter()
                        .filter(|signature| witness.verifier.matches(signature));
                    let ours: Vec<NoteSignature> = ours.collect();
                    if ours.is_empty() {
                        return Err(Uncosigned::Failed(format!(
                            "the answer carries no cosignature by {}",
                            witness.verifier
                        )));
                    }
                    witnessed.insert(witness.url.clone(), size);
                    return Ok(ours);
                }
                Err(SubmitError::Conflict { size: witness_size }) => {
                    witnessed.insert(witness.url.clone(), witness_size);
                    if witness_size > size {
                        return Err(Uncosigned::Superseded { witness_size });
                    }
                    old_size = witness_size;
                }
                Err(error) => return Err(Uncosigned::Failed(error.to_string())),
            }
        }
        Err(Uncosigned::Failed(format!(
            "the witness disagreed twice about the size it last cosigned for {}",
            self.origin
        )))
    }

    fn to_proto(&self, text: &str) -> Result<pb::SignedCheckpoint, ReadError> {
        let damaged = |reason: String| ReadError::Corrupted { position: 0, reason };
        let note =
            Note::parse(text).map_err(|error| damaged(format!("a stored checkpoint does not parse: {error}")))?;
        let checkpoint = Checkpoint::parse_body(&note.text)
            .map_err(|error| damaged(format!("a stored checkpoint's body does not parse: {error}")))?;
        let cosigned_by = note
            .signatures
            .iter()
            .filter(|signature| signature.key_hash != self.signer.key_hash() || signature.name != self.signer.name())
            .map(|signature| signature.name.clone())
            .collect();
        Ok(pb::SignedCheckpoint {
            note: text.to_string(),
            tree_size: checkpoint.size,
            root_hash: checkpoint.root.to_vec(),
            cosigned_by,
        })
    }
}

/// Whether `checkpoint` carries a signature line by `witness`'s key.
pub(super) fn is_cosigned_by(checkpoint: &SignedCheckpoint, witness: &Witness) -> bool {
    checkpoint
        .note
        .signatures
        .iter()
        .any(|signature| witness.verifier.matches(signature))
}

/// Why a witness that has cosigned `witness_size` events cannot cosign `size`, when no
/// checkpoint larger than `size` was ever signed.
pub(super) fn rolled_back(witness_size: u64, size: u64) -> String {
    format!(
        "the witness has cosigned {witness_size} events of this log, more than the {size} it has now: the log lost events or was rolled back"
    )
}

/// Makes a checkpoint whenever the log grew by `events` or `interval` passed with any
/// growth, until `shutdown` fires.
pub async fn run_checkpoints<L: VerifiableLog>(
    notary: Arc<Notary<L>>,
    interval: Duration,
    events: u64,
    mut shutdown: crate::ShutdownSignal,
) {
    let mut head = notary.log.watch_head();
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last_size = notary
        .log
        .latest_checkpoint()
        .await
        .ok()
        .flatten()
        .map_or(0, |(size, _)| size);
    loop {
        let due = tokio::select! {
            _ = ticker.tick() => notary.log.tree_head().size > last_size,
            changed = head.changed() => match changed {
                Ok(()) => notary.log.tree_head().size >= last_size.saturating_add(events),
                Err(_) => break,
            },
            () = shutdown.stopped() => break,
        };
        if due {
            match notary.checkpoint_now().await {
                Ok(checkpoint) => last_size = checkpoint.tree_size,
                Err(error) => tracing::error!(%error, "making a checkpoint failed"),
            }
        }
    }
}
