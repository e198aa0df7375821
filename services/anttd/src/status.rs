//! The one place where errors become gRPC statuses, so that every RPC answers the same
//! failure with the same code and the same machine-readable details.

use std::collections::HashMap;

use antt_domain::{Date, DomainError, VietnameseDate};
use antt_log::{AppendError, ExpectedVersion, ReadError, Violation};
use tonic::{Code, Status};
use tonic_types::{ErrorDetails, FieldViolation, StatusExt};

/// `google.rpc.ErrorInfo.domain` of every error this server describes.
pub const ERROR_DOMAIN: &str = "antt-ledger";
/// `ErrorInfo.reason` when the expected version did not hold.
pub const REASON_WRONG_EXPECTED_VERSION: &str = "WRONG_EXPECTED_VERSION";
/// `ErrorInfo.reason` when an event id was already used for other content.
pub const REASON_EVENT_ID_REUSED: &str = "EVENT_ID_REUSED";
/// `ErrorInfo.reason` when a command's request id was already used for another command.
pub const REASON_REQUEST_ID_REUSED: &str = "REQUEST_ID_REUSED";
/// `PreconditionFailure.Violation.type` of a broken domain rule.
pub const PRECONDITION_DOMAIN_RULE: &str = "ANTT_RULE";

const SHUTTING_DOWN: &str = "the server is shutting down; retry on another server or after it restarts";
const REFUSED_WITHOUT_A_FIELD: &str =
    "the request was refused without naming what is wrong with it; this is a bug of the server, please report it";
const KEY_STORE_UNAVAILABLE: &str =
    "the personal-data key store cannot be read or written right now; retry later, and tell the operator if it persists";

/// INVALID_ARGUMENT with one `google.rpc.BadRequest` field violation per problem.
///
/// INVALID_ARGUMENT always names at least one field, so that the client knows what to
/// fix. A refusal that names none is a bug of this server, not of the request: it is
/// INTERNAL, the same in every service.
pub fn invalid_argument(violations: &[Violation]) -> Status {
    if violations.is_empty() {
        tracing::error!("a request was refused without naming a field");
        return Status::internal(REFUSED_WITHOUT_A_FIELD);
    }
    let summary = violations
        .iter()
        .map(|v| format!("{}: {}", v.field, v.description))
        .collect::<Vec<_>>()
        .join("; ");
    let field_violations: Vec<FieldViolation> = violations
        .iter()
        .map(|v| FieldViolation::new(v.field.clone(), v.description.clone()))
        .collect();
    Status::with_error_details(
        Code::InvalidArgument,
        format!("invalid request: {summary}"),
        ErrorDetails::with_bad_request(field_violations),
    )
}

/// `ErrorInfo.reason` of a call refused to its principal.
pub const REASON_ACCESS_DENIED: &str = "ACCESS_DENIED";
/// `ErrorInfo.reason` of a write outside the writer's jurisdiction.
pub const REASON_OUTSIDE_JURISDICTION: &str = "OUTSIDE_JURISDICTION";

/// UNAUTHENTICATED: no credentials, or credentials that do not verify (`why` says which;
/// it never repeats the token).
pub fn unauthenticated(why: &str) -> Status {
    Status::unauthenticated(format!("chưa xác thực (not authenticated): {why}"))
}

/// PERMISSION_DENIED for `denial`, with an `ErrorInfo` naming the `reason` and the role.
pub fn permission_denied(reason: &str, role: antt_access::Role, denial: &str) -> Status {
    Status::with_error_details(
        Code::PermissionDenied,
        denial.to_string(),
        ErrorDetails::with_error_info(
            reason,
            ERROR_DOMAIN,
            HashMap::from([("role".to_string(), role.as_str().to_string())]),
        ),
    )
}

/// UNAVAILABLE when a read of personal data could not be recorded: the data is not
/// shown unrecorded.
pub fn read_not_recorded(error: AppendError) -> Status {
    tracing::error!(%error, "a read of personal data could not be recorded; the data is withheld");
    Status::unavailable(
        "the read of personal data could not be recorded (Nghị định 13/2023 requires it), so the data is withheld; retry later",
    )
}

/// Why an append was refused.
pub fn append_error(error: AppendError) -> Status {
    match error {
        AppendError::Invalid(violations) => invalid_argument(&violations),
        AppendError::VersionConflict {
            ref stream_id,
            expected,
            actual,
        } => {
            let mut metadata = HashMap::from([
                ("stream_id".to_string(), stream_id.clone()),
                ("expected_version".to_string(), expected_version_token(expected)),
                ("stream_exists".to_string(), actual.is_some().to_string()),
            ]);
            // Absent (rather than a sentinel) when the stream has no events, so that a
            // client parsing it as a number never mistakes "no stream" for a version.
            if let Some(actual) = actual {
                metadata.insert("actual_version".to_string(), actual.to_string());
            }
            Status::with_error_details(
                Code::Aborted,
                error.to_string(),
                ErrorDetails::with_error_info(REASON_WRONG_EXPECTED_VERSION, ERROR_DOMAIN, metadata),
            )
        }
        AppendError::EventIdReused { event_id, position } => {
            let metadata = HashMap::from([
                ("event_id".to_string(), event_id.to_string()),
                ("position".to_string(), position.to_string()),
            ]);
            Status::with_error_details(
                Code::AlreadyExists,
                error.to_string(),
                ErrorDetails::with_error_info(REASON_EVENT_ID_REUSED, ERROR_DOMAIN, metadata),
            )
        }
        AppendError::Storage(ref storage) => {
            tracing::error!(error = %storage, "append failed in storage; the log refuses appends until restarted");
            Status::unavailable(error.to_string())
        }
        AppendError::Closed => Status::unavailable(SHUTTING_DOWN),
        AppendError::QueueFull { .. } => queue_full(&error),
        // A variant added to the log later: say what it is rather than guess a code.
        other => {
            tracing::error!(error = %other, "append failed");
            Status::internal(other.to_string())
        }
    }
}

/// RESOURCE_EXHAUSTED when the append queue stayed full for the whole bounded wait, with
/// a `google.rpc.RetryInfo` that asks the client to wait as long again before retrying.
/// Health stays SERVING: the log is busy, not failing.
fn queue_full(error: &AppendError) -> Status {
    let retry_after = std::time::Duration::from_millis(antt_log::limits::APPEND_QUEUE_WAIT_MILLIS_MAX);
    Status::with_error_details(
        Code::ResourceExhausted,
        error.to_string(),
        ErrorDetails::with_retry_info(Some(retry_after)),
    )
}

/// RESOURCE_EXHAUSTED for a subscription beyond `limits::SUBSCRIBERS_MAX`.
pub fn too_many_subscribers(max: usize) -> Status {
    Status::resource_exhausted(format!(
        "the server already serves {max} subscriptions, its most; retry later or subscribe on another server"
    ))
}

/// The expected version as a script matches on it: `any`, `no_stream`, `stream_exists`
/// or the number.
fn expected_version_token(expected: ExpectedVersion) -> String {
    match expected {
        ExpectedVersion::Any => "any".to_string(),
        ExpectedVersion::NoStream => "no_stream".to_string(),
        ExpectedVersion::StreamExists => "stream_exists".to_string(),
        ExpectedVersion::Exact(version) => version.to_string(),
    }
}

/// Why a read failed.
pub fn read_error(error: ReadError) -> Status {
    match error {
        ReadError::Invalid(violations) => invalid_argument(&violations),
        ReadError::Storage(ref storage) => {
            tracing::error!(error = %storage, "read failed in storage");
            Status::unavailable(error.to_string())
        }
        ReadError::Corrupted { position, ref reason } => {
            tracing::error!(position, reason = %reason, "the log is damaged; stop the server and run `antt admin verify`");
            Status::internal(error.to_string())
        }
        ReadError::Closed => Status::unavailable(SHUTTING_DOWN),
        other => {
            tracing::error!(error = %other, "read failed");
            Status::internal(other.to_string())
        }
    }
}

/// A subscription ended because the server is stopping; says where to resume.
pub fn subscription_interrupted(next_position: u64) -> Status {
    Status::unavailable(format!(
        "the server is shutting down; subscribe again from position {next_position}"
    ))
}

/// OUT_OF_RANGE for a read or subscription that starts beyond the committed head.
pub fn beyond_head(from_position: u64, head_position: u64) -> Status {
    Status::out_of_range(format!(
        "from_position {from_position} is beyond the end of the log (next position {head_position}); \
         a checkpoint from another server or from before a restore cannot be used here"
    ))
}

/// NOT_FOUND for a stream with no events.
pub fn stream_not_found(stream_id: &str) -> Status {
    Status::not_found(format!("stream {stream_id:?} has no events"))
}

/// NOT_FOUND for anything else that does not exist, said in full by the caller.
pub fn not_found(message: String) -> Status {
    Status::not_found(message)
}

/// NOT_FOUND for a record asked for as of a day before it existed: says from when it does.
pub fn not_yet_recorded(what: &str, as_of: Date, exists_from: Date) -> Status {
    Status::not_found(format!(
        "{what} did not exist yet on {as_of} (chưa có trong hồ sơ vào ngày {}): it exists from \
         {exists_from} (từ ngày {}); ask for a day on or after that",
        VietnameseDate(as_of),
        VietnameseDate(exists_from)
    ))
}

/// RESOURCE_EXHAUSTED for a request that would exceed a server bound.
pub fn too_many(message: String) -> Status {
    Status::resource_exhausted(message)
}

/// Why a checkpoint could not be made.
pub fn notary_error(error: crate::audit::NotaryError) -> Status {
    match error {
        crate::audit::NotaryError::Read(error) => read_error(error),
        crate::audit::NotaryError::Storage(ref storage) => {
            tracing::error!(error = %storage, "storing a checkpoint failed");
            Status::unavailable(error.to_string())
        }
        crate::audit::NotaryError::Signing(ref reason) => {
            tracing::error!(%reason, "signing a checkpoint failed");
            Status::internal(error.to_string())
        }
    }
}

/// NOT_FOUND for an event that is not in the log.
pub fn event_not_found(key: &str) -> Status {
    Status::not_found(format!("no event with {key}"))
}

/// A command the domain refused: malformed input is INVALID_ARGUMENT with the field named;
/// a broken rule is FAILED_PRECONDITION with the clerk-readable reason.
pub fn domain_error(error: &DomainError) -> Status {
    match error {
        DomainError::Invalid { field, reason } => invalid_argument(&[Violation::new(*field, reason.clone())]),
        rule => precondition(rule.field().unwrap_or("command"), rule.to_string()),
    }
}

/// FAILED_PRECONDITION for a rule about the records (this record, another, or several),
/// naming the request field it is about: the request is well formed, the records must
/// change before it can succeed.
pub fn precondition(field: &str, message: String) -> Status {
    Status::with_error_details(
        Code::FailedPrecondition,
        message.clone(),
        ErrorDetails::with_precondition_failure_violation(PRECONDITION_DOMAIN_RULE, field, message),
    )
}

/// `status` with its message replaced by `message`, keeping its code and details: for a
/// refusal that the caller explains further (e.g. how much of a command on several
/// records was written before it).
pub fn restated(status: &Status, message: String) -> Status {
    Status::with_details(status.code(), message, status.details().to_vec().into())
}

/// INTERNAL for a stored event that no longer decodes: the log's content, never the
/// client's request, is at fault.
pub fn undecodable_event(position: u64, stream_id: &str, error: impl std::fmt::Display) -> Status {
    tracing::error!(position, stream_id, %error, "stored event does not decode");
    Status::internal(format!(
        "the stored event at position {position} of {stream_id} cannot be read: {error}"
    ))
}

/// INTERNAL for records that contradict each other (one names another that has no
/// record): the log is damaged or was written by a faulty server, not the client's fault.
pub fn inconsistent_records(message: String) -> Status {
    tracing::error!(%message, "the records contradict each other");
    Status::internal(message)
}

/// INTERNAL for a command the domain accepted without deciding any event: a bug of the
/// domain, so nothing is recorded.
pub fn no_events_decided() -> Status {
    Status::internal("the command decided no events; nothing was recorded")
}

/// UNAVAILABLE when the personal-data key store cannot be read or written.
pub fn key_store_unavailable() -> Status {
    Status::unavailable(KEY_STORE_UNAVAILABLE)
}

/// INTERNAL when the key store's blocking task stopped (panicked or was cancelled).
pub fn key_store_task_failed() -> Status {
    Status::internal("the personal-data key store task stopped unexpectedly; retry the request")
}

/// INTERNAL when a person's key is missing or does not open their record: the key
/// directory is lost, damaged or the wrong one, which only the operator can fix.
pub fn key_mismatch() -> Status {
    Status::internal(
        "the person's key is missing or does not match the records (the key directory may be \
         lost, damaged or the wrong one); tell the operator",
    )
}

/// INTERNAL when opening one person's record gave no answer at all: a bug of the server.
pub fn record_not_opened() -> Status {
    Status::internal("the person's record could not be opened")
}

/// ALREADY_EXISTS for a request id reused for another command.
pub fn request_id_reused(request_id: uuid::Uuid, why: &str) -> Status {
    Status::with_error_details(
        Code::AlreadyExists,
        format!("request id {request_id} cannot be used again: {why}; use a new request id for a new command"),
        ErrorDetails::with_error_info(
            REASON_REQUEST_ID_REUSED,
            ERROR_DOMAIN,
            HashMap::from([("request_id".to_string(), request_id.to_string())]),
        ),
    )
}

/// `ErrorInfo.reason` when the projections had not read far enough in time.
pub const REASON_PROJECTIONS_BEHIND: &str = "PROJECTIONS_BEHIND";

/// UNAVAILABLE for a query whose `min_position` (or `known_at`) the projections did not
/// reach within the wait; the lag is in `google.rpc.ErrorInfo`.
pub fn projections_behind(wanted: u64, applied: u64, head: u64) -> Status {
    let metadata = HashMap::from([
        ("min_position".to_string(), wanted.to_string()),
        ("applied_position".to_string(), applied.to_string()),
        ("lag_events".to_string(), head.saturating_sub(applied).to_string()),
    ]);
    Status::with_error_details(
        Code::Unavailable,
        format!(
            "the projections have read the log up to position {applied}, not yet {wanted} ({} events behind the head); retry shortly",
            head.saturating_sub(applied)
        ),
        ErrorDetails::with_error_info(REASON_PROJECTIONS_BEHIND, ERROR_DOMAIN, metadata),
    )
}

/// INTERNAL when the projections stopped on a stored event they cannot read: damage,
/// said instead of answering from less than the log holds.
pub fn projections_halted(reason: &str) -> Status {
    tracing::error!(reason, "a query was refused: the projections are halted");
    Status::internal(format!(
        "the projections stopped applying the log ({reason}); answers would leave out what follows, so none are given. \
         Run `antt admin verify` on a copy of the data directory"
    ))
}

/// Why a projection query could not be answered.
pub fn query_error(error: antt_projections::query::QueryError) -> Status {
    use antt_projections::query::QueryError;
    match error {
        QueryError::NotFound(message) => Status::not_found(message),
        QueryError::TooLarge(_) => Status::resource_exhausted(error.to_string()),
        QueryError::Layout(error) => inconsistent_records(error.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use antt_log::StorageError;
    use uuid::Uuid;

    use super::*;

    fn field_violations(status: &Status) -> Vec<(String, String)> {
        status
            .get_error_details()
            .bad_request()
            .map(|b| {
                b.field_violations
                    .iter()
                    .map(|v| (v.field.clone(), v.description.clone()))
                    .collect()
            })
            .unwrap_or_default()
    }

    #[test]
    fn invalid_input_lists_every_field() {
        let status = append_error(AppendError::Invalid(vec![
            Violation::new("stream_id", "the stream id must not be empty"),
            Violation::new("events[2].event_id", "not a uuid"),
        ]));
        assert_eq!(status.code(), Code::InvalidArgument);
        assert_eq!(
            field_violations(&status),
            vec![
                ("stream_id".to_string(), "the stream id must not be empty".to_string()),
                ("events[2].event_id".to_string(), "not a uuid".to_string()),
            ]
        );
        assert!(status.message().contains("events[2].event_id: not a uuid"));
    }

    #[test]
    fn a_refusal_naming_no_field_is_internal_in_every_service() {
        let status = invalid_argument(&[]);
        assert_eq!(status.code(), Code::Internal);
        assert!(status.message().contains("bug"), "{}", status.message());
        assert_eq!(append_error(AppendError::Invalid(vec![])).code(), Code::Internal);
    }

    #[test]
    fn a_broken_rule_names_its_field_and_keeps_its_details_when_restated() {
        let status = precondition("area_id", "area 38 is not registered".into());
        assert_eq!(status.code(), Code::FailedPrecondition);
        let details = status.get_error_details();
        let violation = &details.precondition_failure().unwrap().violations[0];
        assert_eq!(
            (violation.r#type.as_str(), violation.subject.as_str()),
            (PRECONDITION_DOMAIN_RULE, "area_id")
        );
        let restated = restated(&status, "area 38 is not registered; 1 of 2 areas were changed".into());
        assert_eq!(restated.code(), Code::FailedPrecondition);
        assert_eq!(restated.details(), status.details());
        assert!(restated.message().contains("1 of 2"));
    }

    #[test]
    fn a_version_conflict_carries_the_actual_version() {
        let status = append_error(AppendError::VersionConflict {
            stream_id: "area-38".into(),
            expected: ExpectedVersion::Exact(3),
            actual: Some(5),
        });
        assert_eq!(status.code(), Code::Aborted);
        assert!(status.message().contains("version 3"), "{}", status.message());
        assert!(status.message().contains('5'), "{}", status.message());
        let details = status.get_error_details();
        let info = details.error_info().unwrap();
        assert_eq!(info.reason, REASON_WRONG_EXPECTED_VERSION);
        assert_eq!(info.domain, ERROR_DOMAIN);
        assert_eq!(info.metadata["actual_version"], "5");
        assert_eq!(info.metadata["stream_id"], "area-38");
        assert_eq!(info.metadata["stream_exists"], "true");
        assert_eq!(info.metadata["expected_version"], "3");
    }

    #[test]
    fn a_version_conflict_on_a_missing_stream_has_no_actual_version() {
        let status = append_error(AppendError::VersionConflict {
            stream_id: "area-38".into(),
            expected: ExpectedVersion::StreamExists,
            actual: None,
        });
        let details = status.get_error_details();
        let info = details.error_info().unwrap();
        assert!(!info.metadata.contains_key("actual_version"));
        assert_eq!(info.metadata["stream_exists"], "false");
        assert_eq!(info.metadata["expected_version"], "stream_exists");
    }

    #[test]
    fn other_append_errors_get_their_codes() {
        let reused = append_error(AppendError::EventIdReused {
            event_id: Uuid::from_u128(7),
            position: 12,
        });
        assert_eq!(reused.code(), Code::AlreadyExists);
        assert_eq!(
            reused.get_error_details().error_info().unwrap().metadata["position"],
            "12"
        );

        let storage = StorageError::new("flush", std::io::Error::other("disk full"));
        assert_eq!(append_error(AppendError::Storage(storage)).code(), Code::Unavailable);
        let closed = append_error(AppendError::Closed);
        assert_eq!(closed.code(), Code::Unavailable);
        assert!(closed.message().contains("shutting down"));

        let full = append_error(AppendError::QueueFull {
            queued_events: 8192,
            max_events: 8192,
        });
        assert_eq!(full.code(), Code::ResourceExhausted);
        assert!(full.get_error_details().retry_info().is_some(), "{full:?}");
        assert_eq!(too_many_subscribers(3).code(), Code::ResourceExhausted);
    }

    #[test]
    fn read_errors_get_their_codes() {
        let corrupted = read_error(ReadError::Corrupted {
            position: 9,
            reason: "hash mismatch".into(),
        });
        assert_eq!(corrupted.code(), Code::Internal);
        assert!(corrupted.message().contains('9'));
        assert_eq!(read_error(ReadError::Closed).code(), Code::Unavailable);
        let invalid = read_error(ReadError::Invalid(vec![Violation::new("stream_id", "empty")]));
        assert_eq!(invalid.code(), Code::InvalidArgument);
        assert_eq!(field_violations(&invalid).len(), 1);
    }

    #[test]
    fn not_found_names_what_is_missing() {
        let status = stream_not_found("area-38");
        assert_eq!(status.code(), Code::NotFound);
        assert!(status.message().contains("area-38"));
        assert_eq!(event_not_found("position 4").code(), Code::NotFound);
        let day = |year, month, day| Date::new(year, month, day).unwrap();
        let early = not_yet_recorded("team 7", day(2019, 1, 1), day(2020, 3, 1));
        assert_eq!(early.code(), Code::NotFound);
        assert!(
            early.message().contains("exists from 2020-03-01 (từ ngày 01/03/2020)"),
            "{early:?}"
        );
    }
}
