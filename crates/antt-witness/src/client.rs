//! The log's side of add-checkpoint: send a checkpoint, get the witness's cosignatures.

use std::time::Duration;

use antt_audit::encoding::parse_decimal;
use antt_audit::note::NoteSignature;
use antt_audit::witness::{AddCheckpointRequest, TLOG_SIZE_CONTENT_TYPE};
use bytes::Bytes;
use http::{header, Request, StatusCode, Uri};
use http_body_util::{BodyExt as _, Full, Limited};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

use crate::limits::{RESPONSE_BODY_BYTES_MAX, SUBMIT_SECONDS_MAX};
use crate::ADD_CHECKPOINT_PATH;

/// Why a submission got no cosignature.
#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    #[error("invalid witness URL: {0}")]
    Url(String),
    /// 409: the witness last cosigned a checkpoint of this size; retry from it.
    #[error("witness has cosigned size {size}, not the old size sent")]
    Conflict { size: u64 },
    #[error("witness refused with {status}: {message}")]
    Refused { status: u16, message: String },
    #[error("talking to the witness: {0}")]
    Transport(String),
    #[error("no answer within {SUBMIT_SECONDS_MAX} s")]
    Timeout,
    #[error("malformed response: {0}")]
    MalformedResponse(String),
}

/// A client for one witness, keeping its connection alive between calls as the spec
/// recommends. Plain HTTP only.
#[derive(Debug, Clone)]
pub struct WitnessClient {
    url: Uri,
    client: Client<HttpConnector, Full<Bytes>>,
}

impl WitnessClient {
    /// `submission_prefix` is the witness's URL prefix, such as `http://127.0.0.1:7380`.
    pub fn new(submission_prefix: &str) -> Result<Self, SubmitError> {
        let url: Uri = format!("{}{ADD_CHECKPOINT_PATH}", submission_prefix.trim_end_matches('/'))
            .parse()
            .map_err(|e| SubmitError::Url(format!("{submission_prefix}: {e}")))?;
        if url.scheme_str() != Some("http") {
            return Err(SubmitError::Url(format!(
                "{submission_prefix}: only http:// is supported"
            )));
        }
        Ok(WitnessClient {
            url,
            client: Client::builder(TokioExecutor::new()).build_http(),
        })
    }

    /// Submits a checkpoint and returns the witness's signature lines, unverified:
    /// check them with the witness's verifier before use.
    pub async fn submit(&self, request: &AddCheckpointRequest) -> Result<Vec<NoteSignature>, SubmitError> {
        let call = self.call(request.to_body());
        match tokio::time::timeout(Duration::from_secs(SUBMIT_SECONDS_MAX), call).await {
            Ok(result) => result,
            Err(_) => Err(SubmitError::Timeout),
        }
    }

    async fn call(&self, body: String) -> Result<Vec<NoteSignature>, SubmitError> {
        let request = Request::post(self.url.clone())
            .header(header::CONTENT_TYPE, "text/plain; charset=utf-8")
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| SubmitError::Url(e.to_string()))?;
        let response = self
            .client
            .request(request)
            .await
            .map_err(|e| SubmitError::Transport(e.to_string()))?;
        let status = response.status();
        let is_size = response
            .headers()
            .get(header::CONTENT_TYPE)
            .is_some_and(|v| v == TLOG_SIZE_CONTENT_TYPE);
        let body = Limited::new(response.into_body(), RESPONSE_BODY_BYTES_MAX)
            .collect()
            .await
            .map_err(|e| SubmitError::Transport(format!("reading the response: {e}")))?
            .to_bytes();
        let text = std::str::from_utf8(&body).map_err(|_| SubmitError::MalformedResponse("not UTF-8".into()))?;
        match status {
            StatusCode::OK => parse_signature_lines(text),
            StatusCode::CONFLICT if is_size => text
                .strip_suffix('\n')
                .and_then(parse_decimal)
                .map(|size| SubmitError::Conflict { size })
                .map_or_else(
                    || Err(SubmitError::MalformedResponse(format!("409 body {text:?}"))),
                    Err,
                ),
            other => Err(SubmitError::Refused {
                status: other.as_u16(),
                message: text.trim_end().to_owned(),
            }),
        }
    }
}

/// A 200 body: one or more signature lines, each ending in a newline.
fn parse_signature_lines(text: &str) -> Result<Vec<NoteSignature>, SubmitError> {
    let malformed = |reason: String| SubmitError::MalformedResponse(reason);
    let Some(lines) = text.strip_suffix('\n') else {
        return Err(malformed("empty, or not ending in a newline".into()));
    };
    lines
        .split('\n')
        .map(|line| NoteSignature::parse_line(line).map_err(|e| malformed(e.to_string())))
        .collect()
}

/// Submits one checkpoint to the witness at `submission_prefix`.
pub async fn submit(
    submission_prefix: &str,
    request: &AddCheckpointRequest,
) -> Result<Vec<NoteSignature>, SubmitError> {
    WitnessClient::new(submission_prefix)?.submit(request).await
}
