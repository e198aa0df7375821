//! Sending a [`Plan`] to anttd: stage after stage, the steps of a stage concurrently (at
//! most `concurrency` in flight), each retried while the server is UNAVAILABLE. Retrying
//! is safe because every request id is deterministic: the server answers a repeated
//! request from its log instead of recording it again.

use std::sync::Arc;

use antt_proto::v1 as pb;
use antt_proto::v1::areas_client::AreasClient;
use indicatif::{ProgressBar, ProgressStyle};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tonic::{Code, Status};

use crate::client;
use crate::error::describe_status;
use crate::import::plan::{Plan, Request, Step};

/// How to send.
#[derive(Clone, Debug)]
pub struct SendOptions {
    /// Requests in flight at most; at least 1.
    pub concurrency: usize,
}

/// What the server answered, counted per step.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Outcome {
    /// Steps that recorded something.
    pub recorded: u64,
    /// Steps the server had already recorded (a re-run): nothing new was written.
    pub already_recorded: u64,
}

/// A step the server refused, or that could not reach it.
#[derive(Debug, thiserror::Error)]
#[error("{method} for {unit} failed: {}", describe_status(.status))]
pub struct StepFailed {
    pub unit: String,
    pub method: &'static str,
    pub status: Box<Status>,
}

/// The server could not be reached at all.
#[derive(Debug, thiserror::Error)]
#[error("cannot reach the server at {server} (is anttd running? set --server or ANTT_SERVER)")]
pub struct ConnectFailed {
    pub server: String,
    #[source]
    pub source: tonic::transport::Error,
}

/// A client of the Areas service on one HTTP/2 connection; concurrent calls share it.
pub async fn connect(server: &str) -> Result<AreasClient<crate::client::Conn>, ConnectFailed> {
    let channel = client::channel(server).await.map_err(|source| ConnectFailed {
        server: server.to_owned(),
        source,
    })?;
    Ok(AreasClient::new(channel))
}

/// Sends every stage of `plan` in order; stops at the first step that fails, after the
/// steps already in flight have finished.
pub async fn send_plan(
    client: AreasClient<crate::client::Conn>,
    plan: &Plan,
    options: &SendOptions,
) -> Result<Outcome, StepFailed> {
    let bar = progress_bar(plan.step_count());
    let mut outcome = Outcome::default();
    let limit = Arc::new(Semaphore::new(options.concurrency.max(1)));
    for stage in &plan.stages {
        bar.set_message(stage.name);
        let mut tasks = JoinSet::new();
        let mut failure = None;
        for step in &stage.steps {
            // Reap finished steps as we go, so a failure stops the stage early.
            while let Some(done) = tasks.try_join_next() {
                collect(done, &mut outcome, &mut failure, &bar);
            }
            if failure.is_some() {
                break;
            }
            let Ok(permit) = limit.clone().acquire_owned().await else {
                break;
            };
            let client = client.clone();
            let step = step.clone();
            tasks.spawn(async move {
                let result = send_step(client, &step).await;
                drop(permit);
                result
            });
        }
        while let Some(done) = tasks.join_next().await {
            collect(done, &mut outcome, &mut failure, &bar);
        }
        if let Some(failure) = failure {
            bar.abandon();
            return Err(failure);
        }
    }
    bar.finish_and_clear();
    Ok(outcome)
}

fn collect(
    done: Result<Result<bool, StepFailed>, tokio::task::JoinError>,
    outcome: &mut Outcome,
    failure: &mut Option<StepFailed>,
    bar: &ProgressBar,
) {
    match done {
        Ok(Ok(true)) => outcome.recorded += 1,
        Ok(Ok(false)) => outcome.already_recorded += 1,
        Ok(Err(error)) => {
            failure.get_or_insert(error);
        }
        Err(join_error) => {
            failure.get_or_insert(StepFailed {
                unit: "a step".to_owned(),
                method: "sending",
                status: Box::new(Status::internal(format!("the sending task stopped: {join_error}"))),
            });
        }
    }
    bar.inc(1);
}

/// Sends one step, retrying while the server is UNAVAILABLE. True if the server
/// recorded something, false if it had all of it already.
async fn send_step(client: AreasClient<crate::client::Conn>, step: &Step) -> Result<bool, StepFailed> {
    let attempt = || {
        let mut client = client.clone();
        async move { call(&mut client, &step.request).await }
    };
    crate::client::retry_unavailable(attempt)
        .await
        .map_err(|status| StepFailed {
            unit: step.unit.clone(),
            method: step.request.method(),
            status: Box::new(status),
        })
}

/// One call; true if it recorded anything.
async fn call(client: &mut AreasClient<crate::client::Conn>, request: &Request) -> Result<bool, Status> {
    let single = |result: pb::CommandResult| !result.deduplicated;
    let several = |results: pb::AreaCommandResults| results.results.iter().any(|result| !result.deduplicated);
    Ok(match request {
        Request::Register(r) => single(client.register_area(r.clone()).await?.into_inner()),
        Request::Rename(r) => single(client.rename_area(r.clone()).await?.into_inner()),
        Request::Dissolve(r) => single(client.dissolve_area(r.clone()).await?.into_inner()),
        Request::Merge(r) => several(client.merge_areas(r.clone()).await?.into_inner()),
        Request::Split(r) => several(client.split_area(r.clone()).await?.into_inner()),
    })
}

fn progress_bar(steps: usize) -> ProgressBar {
    let style =
        ProgressStyle::with_template("{msg:>16} {bar:40} {human_pos}/{human_len} requests ({per_sec}, {eta} left)")
            .unwrap_or_else(|_| ProgressStyle::default_bar());
    // indicatif draws on stderr and hides itself when stderr is not a terminal.
    ProgressBar::new(u64::try_from(steps).unwrap_or(u64::MAX)).with_style(style)
}

/// The exit code for a failed step: 3 when the server is unreachable, 1 when it refused.
pub fn exit_code_of(status: &Status) -> u8 {
    if status.code() == Code::Unavailable {
        3
    } else {
        1
    }
}
