//! Commands written as several steps on several records: a merger or a split of areas,
//! the restructuring of a team.
//!
//! The log has no transaction across streams, so such a command is written in two passes:
//! 1. [`Steps::check`]: every step is decided through its record's timeline, and a step
//!    that would be refused refuses the whole command before anything is written;
//! 2. [`Steps::write`]: the steps are written in a fixed order, each an ordinary
//!    idempotent command ([`Commands::execute`]) under its own request id: the client's,
//!    or one derived from it with UUID v5 ([`step_request_id`]). All steps carry the
//!    digest of the whole request, so a retry with the same request id skips the steps
//!    already written and finishes the rest, and the request id reused for another
//!    request is refused even when only some steps were written.
//!
//! Only a concurrent change between the two passes can stop the writes part way; the
//! caller words that failure (`failed`), telling the client to send the request again.

use antt_access::Principal;
use antt_domain::{Aggregate, Context, DomainError};
use antt_log::EventLog;
use antt_proto::v1 as pb;
use tonic::Status;
use uuid::Uuid;

use crate::commands::{self, CommandHeader, Commands, Loaded};
use crate::status;

/// One record's part of a command on several records.
pub(crate) struct Step<A: Aggregate> {
    pub(crate) stream_id: String,
    /// The step's own header: its request id, the request's effective date and decision,
    /// and the version its stream must be at when written, if any.
    pub(crate) header: CommandHeader,
    pub(crate) command: A::Command,
}

/// How a retry recognises a step that an earlier try already wrote.
pub(crate) enum Written {
    /// By its request id alone; a request id reused for another request is refused when
    /// the step is written.
    ById,
    /// By its request id on its own stream with the request's digest; anything else
    /// refuses the client's `request_id` as reused, before anything is written.
    SameRequest { request_id: Uuid },
}

/// The request id of the step `name` of the request `request_id`: stable across
/// retries, distinct per step.
pub(crate) fn step_request_id(request_id: Uuid, name: &str) -> Uuid {
    Uuid::new_v5(&request_id, name.as_bytes())
}

/// The two passes of one command on several records, by one actor.
pub(crate) struct Steps<'a, L> {
    commands: &'a Commands<L>,
    actor: &'a Principal,
    digest: [u8; 32],
    written: Written,
    /// One decision date for every check.
    context: Context,
}

impl<'a, L: EventLog> Steps<'a, L> {
    pub(crate) fn new(commands: &'a Commands<L>, actor: &'a Principal, digest: [u8; 32], written: Written) -> Self {
        Steps {
            commands,
            actor,
            digest,
            written,
            context: commands::context(actor),
        }
    }

    /// Checks `step` through its record's timeline, unless an earlier try wrote it: its
    /// stream must be at `pinned` if that is given, and the domain must accept its
    /// command (`refused` words a refusal). `loaded` is the record if the caller has just
    /// read it for its own use; otherwise it is read here.
    pub(crate) async fn check<A>(
        &self,
        step: &Step<A>,
        loaded: Option<&Loaded<A>>,
        pinned: Option<u64>,
        refused: impl FnOnce(&DomainError) -> Status,
    ) -> Result<(), Status>
    where
        A: crate::access::Located,
        A::Command: Clone,
    {
        if self.was_written(step).await? {
            return Ok(());
        }
        let read;
        let loaded = match loaded {
            Some(loaded) => loaded,
            None => {
                read = self.commands.load::<A>(&step.stream_id).await?;
                &read
            }
        };
        commands::ensure_expected_version(&step.stream_id, pinned, loaded.version)?;
        let events = loaded
            .timeline
            .decide(step.command.clone(), &self.context)
            .map_err(|error| refused(&error))?;
        // Every step is within the writer's jurisdiction before the first is written.
        let effective_date = A::effective_date(&step.command);
        crate::access::ensure_may_write(self.commands, self.actor, &loaded.timeline, effective_date, &events).await
    }

    /// Writes the steps in order (each already written one answers with its recorded
    /// result) and stops at the first failure, which `failed` words given the step's
    /// index: the steps before it are written.
    pub(crate) async fn write<A>(
        &self,
        steps: Vec<Step<A>>,
        mut failed: impl FnMut(usize, Status) -> Status,
    ) -> Result<Vec<pb::CommandResult>, Status>
    where
        A: crate::access::Located,
        A::Command: Clone,
    {
        let mut results = Vec::with_capacity(steps.len());
        for (index, step) in steps.into_iter().enumerate() {
            let written = self
                .commands
                .execute::<A>(&step.stream_id, &step.header, self.actor, self.digest, step.command)
                .await;
            results.push(written.map_err(|error| failed(index, error))?);
        }
        Ok(results)
    }

    /// Whether an earlier try of this request already wrote `step`.
    async fn was_written<A: Aggregate>(&self, step: &Step<A>) -> Result<bool, Status> {
        let Some(first) = self.commands.first_event(step.header.request_id).await? else {
            return Ok(false);
        };
        if let Written::SameRequest { request_id } = self.written {
            if first.stream_id != step.stream_id || !commands::carries_digest(&first, &self.digest) {
                return Err(status::request_id_reused(
                    request_id,
                    "it was already used for a different command",
                ));
            }
        }
        Ok(true)
    }
}
