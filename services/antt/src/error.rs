//! What can go wrong in a command, and how it is told to the person at the terminal:
//! the gRPC code by name, the server's message, and every field violation on its own line.

use std::path::PathBuf;

use tonic::{Code, Status};
use tonic_types::StatusExt;

/// A failed command.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("cannot reach the server at {server}: {}; is anttd running? (set --server or ANTT_SERVER)", chain(.source))]
    Connect {
        server: String,
        #[source]
        source: tonic::transport::Error,
    },
    #[error("{}", describe_status(.0))]
    Status(Box<Status>),
    #[error("cannot read {path}: {source}")]
    ReadFile {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{0}")]
    Input(String),
    #[error("cannot write the output: {0}")]
    Output(#[source] std::io::Error),
    /// `admin verify` found damage: the message names the first bad position.
    #[error("{0}")]
    Damaged(String),
    #[error("verification could not run: {0}")]
    Verify(String),
    /// A check that ran and does not hold: a proof, a signature or the log's growth.
    #[error("{0}")]
    Failed(String),
}

impl From<Status> for CliError {
    fn from(status: Status) -> Self {
        CliError::Status(Box::new(status))
    }
}

impl CliError {
    /// The process exit code: 1 when the server refused or found a problem, 2 when the
    /// command could not run (like clap's usage errors), 3 when the server is unreachable.
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Status(status) if status.code() == Code::Unavailable => 3,
            CliError::Connect { .. } => 3,
            CliError::Status(_) | CliError::Damaged(_) | CliError::Failed(_) => 1,
            CliError::ReadFile { .. } | CliError::Input(_) | CliError::Output(_) | CliError::Verify(_) => 2,
        }
    }
}

/// An error and its causes, `outer: inner: innermost`: tonic's transport errors say
/// only "transport error" on the outside.
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        // Some layers repeat their cause's message; say it once.
        if !text.ends_with(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

/// `INVALID_ARGUMENT: invalid request: ...` followed by one indented line per violation
/// and per detail a script might need (the actual version of a conflict, say).
pub fn describe_status(status: &Status) -> String {
    let details = status.get_error_details();
    let violations = details
        .bad_request()
        .map(|bad_request| bad_request.field_violations.as_slice())
        .unwrap_or_default();
    let mut text = if violations.is_empty() {
        format!("{}: {}", code_name(status.code()), status.message())
    } else {
        // The message repeats the violations for clients that cannot read details;
        // listing them one per line is enough here.
        format!(
            "{}: the request has {} problem(s):",
            code_name(status.code()),
            violations.len()
        )
    };
    for violation in violations {
        text.push_str(&format!("\n  {}: {}", violation.field, violation.description));
    }
    if let Some(info) = details.error_info() {
        let mut metadata: Vec<_> = info.metadata.iter().collect();
        metadata.sort();
        let metadata: Vec<String> = metadata.iter().map(|(k, v)| format!("{k}={v}")).collect();
        text.push_str(&format!("\n  reason: {} ({})", info.reason, metadata.join(", ")));
    }
    if let Some(hint) = access_hint(status.code()) {
        text.push_str("\n  ");
        text.push_str(hint);
    }
    text
}

/// What to do about a refusal of who calls: the server's message says what was wrong with
/// the token, not which flag of this CLI carries one.
fn access_hint(code: Code) -> Option<&'static str> {
    match code {
        Code::Unauthenticated => Some(
            "the server requires a valid bearer token: pass --token <JWT> or set ANTT_TOKEN \
             (a token that has expired, or is not for this server, is refused too)",
        ),
        Code::PermissionDenied => Some(
            "the server knows who you are, but your token's role or jurisdiction does not allow this; \
             use a token that does (--token or ANTT_TOKEN)",
        ),
        _ => None,
    }
}

/// The canonical gRPC name of a code, as in the gRPC documentation and server logs.
pub fn code_name(code: Code) -> &'static str {
    match code {
        Code::Ok => "OK",
        Code::Cancelled => "CANCELLED",
        Code::Unknown => "UNKNOWN",
        Code::InvalidArgument => "INVALID_ARGUMENT",
        Code::DeadlineExceeded => "DEADLINE_EXCEEDED",
        Code::NotFound => "NOT_FOUND",
        Code::AlreadyExists => "ALREADY_EXISTS",
        Code::PermissionDenied => "PERMISSION_DENIED",
        Code::ResourceExhausted => "RESOURCE_EXHAUSTED",
        Code::FailedPrecondition => "FAILED_PRECONDITION",
        Code::Aborted => "ABORTED",
        Code::OutOfRange => "OUT_OF_RANGE",
        Code::Unimplemented => "UNIMPLEMENTED",
        Code::Internal => "INTERNAL",
        Code::Unavailable => "UNAVAILABLE",
        Code::DataLoss => "DATA_LOSS",
        Code::Unauthenticated => "UNAUTHENTICATED",
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use tonic_types::{ErrorDetails, FieldViolation};

    use super::*;

    #[test]
    fn field_violations_are_listed() {
        let status = Status::with_error_details(
            Code::InvalidArgument,
            "invalid request: events[0].event_id: bad",
            ErrorDetails::with_bad_request(vec![FieldViolation::new("events[0].event_id", "bad")]),
        );
        assert_eq!(
            describe_status(&status),
            "INVALID_ARGUMENT: the request has 1 problem(s):\n  events[0].event_id: bad"
        );
        assert_eq!(CliError::from(status).exit_code(), 1);
    }

    #[test]
    fn error_info_is_shown() {
        let status = Status::with_error_details(
            Code::Aborted,
            "stream \"a\" was expected at version 1 but its last version is 3",
            ErrorDetails::with_error_info(
                "WRONG_EXPECTED_VERSION",
                "antt-ledger",
                HashMap::from([("actual_version".to_string(), "3".to_string())]),
            ),
        );
        let text = describe_status(&status);
        assert!(text.starts_with("ABORTED: "), "{text}");
        assert!(
            text.ends_with("reason: WRONG_EXPECTED_VERSION (actual_version=3)"),
            "{text}"
        );
    }

    #[test]
    fn refusals_of_the_caller_say_how_to_pass_a_token() {
        let status = Status::unauthenticated("chưa xác thực (not authenticated): no authorization metadata");
        let text = describe_status(&status);
        assert!(text.starts_with("UNAUTHENTICATED: chưa xác thực"), "{text}");
        assert!(text.contains("pass --token <JWT> or set ANTT_TOKEN"), "{text}");
        assert_eq!(CliError::from(status).exit_code(), 1);

        let denied = Status::with_error_details(
            Code::PermissionDenied,
            "the role inspector may not call antt.v1.EventStore/Append",
            ErrorDetails::with_error_info(
                "ACCESS_DENIED",
                "antt-ledger",
                HashMap::from([("role".to_string(), "inspector".to_string())]),
            ),
        );
        let text = describe_status(&denied);
        assert!(text.contains("reason: ACCESS_DENIED (role=inspector)"), "{text}");
        assert!(
            text.ends_with("use a token that does (--token or ANTT_TOKEN)"),
            "{text}"
        );
        assert!(!describe_status(&Status::not_found("x")).contains("--token"));
    }

    #[test]
    fn unavailable_has_its_own_exit_code() {
        assert_eq!(CliError::from(Status::unavailable("down")).exit_code(), 3);
    }
}
