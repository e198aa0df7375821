//! Sending a [`Plan`] to anttd: stage after stage; in a stage, up to `concurrency` chains
//! at once, each chain's steps one after the other; every request retried while the
//! server is UNAVAILABLE. Retrying is safe because every request id is deterministic: the
//! server answers a repeated request from its log instead of recording it again.
//!
//! Requests go over a few HTTP/2 connections, chains spread over them in turn, so that
//! one connection's framing is not the limit at tens of thousands of small calls.

use std::sync::Arc;
use std::time::Instant;

use antt_proto::v1 as pb;
use antt_proto::v1::areas_client::AreasClient;
use antt_proto::v1::forces_client::ForcesClient;
use antt_proto::v1::incidents_client::IncidentsClient;
use antt_proto::v1::ratings_client::RatingsClient;
use antt_proto::v1::records_client::RecordsClient;
use indicatif::{ProgressBar, ProgressStyle};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tonic::{Code, Status};

use crate::client;
use crate::demo::plan::{Plan, Request, Step};
use crate::error::describe_status;

/// How to send.
#[derive(Clone, Debug)]
pub struct SendOptions {
    /// Chains in flight at most (so requests in flight at most); at least 1.
    pub concurrency: usize,
    /// Draw a progress bar on a terminal.
    pub progress: bool,
}

/// What the server answered, counted per step, and how long each stage took.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Outcome {
    /// Steps that recorded something.
    pub recorded: u64,
    /// Steps the server had already recorded (a re-run): nothing new was written.
    pub already_recorded: u64,
    pub stages: Vec<StageOutcome>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct StageOutcome {
    pub name: &'static str,
    pub steps: usize,
    pub seconds: f64,
}

/// A step the server refused, or that could not reach it.
#[derive(Debug, thiserror::Error)]
#[error("{method} for {what} failed: {}", describe_status(.status))]
pub struct StepFailed {
    pub what: String,
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

/// Clients of every domain service the demo calls, on one connection.
#[derive(Clone)]
pub struct Clients {
    areas: AreasClient<crate::client::Conn>,
    forces: ForcesClient<crate::client::Conn>,
    incidents: IncidentsClient<crate::client::Conn>,
    ratings: RatingsClient<crate::client::Conn>,
    records: RecordsClient<crate::client::Conn>,
}

impl Clients {
    pub fn new(channel: crate::client::Conn) -> Clients {
        Clients {
            areas: AreasClient::new(channel.clone()),
            forces: ForcesClient::new(channel.clone()),
            incidents: IncidentsClient::new(channel.clone()),
            ratings: RatingsClient::new(channel.clone()),
            records: RecordsClient::new(channel),
        }
    }
}

/// `connections` connections to `server`.
pub async fn connect(server: &str, connections: usize) -> Result<Vec<Clients>, ConnectFailed> {
    let mut pool = Vec::with_capacity(connections.max(1));
    for _ in 0..connections.max(1) {
        let channel = client::channel(server).await.map_err(|source| ConnectFailed {
            server: server.to_owned(),
            source,
        })?;
        pool.push(Clients::new(channel));
    }
    Ok(pool)
}

/// Sends every stage of `plan` in order; stops at the first step that fails, after the
/// chains already in flight have finished.
pub async fn send_plan(pool: &[Clients], plan: Plan, options: &SendOptions) -> Result<Outcome, StepFailed> {
    let bar = progress_bar(plan.step_count(), options.progress);
    let mut outcome = Outcome::default();
    let limit = Arc::new(Semaphore::new(options.concurrency.max(1)));
    for stage in plan.stages {
        let started = Instant::now();
        let steps = stage.step_count();
        bar.set_message(stage.name);
        let mut tasks = JoinSet::new();
        let mut failure = None;
        for (index, chain) in stage.chains.into_iter().enumerate() {
            // Reap finished chains as we go, so a failure stops the stage early.
            while let Some(done) = tasks.try_join_next() {
                collect(done, &mut outcome, &mut failure);
            }
            if failure.is_some() {
                break;
            }
            let Ok(permit) = limit.clone().acquire_owned().await else {
                break;
            };
            let clients = pool[index % pool.len().max(1)].clone();
            let bar = bar.clone();
            tasks.spawn(async move {
                let result = send_chain(clients, chain, &bar).await;
                drop(permit);
                result
            });
        }
        while let Some(done) = tasks.join_next().await {
            collect(done, &mut outcome, &mut failure);
        }
        if let Some(failure) = failure {
            bar.abandon();
            return Err(failure);
        }
        outcome.stages.push(StageOutcome {
            name: stage.name,
            steps,
            seconds: started.elapsed().as_secs_f64(),
        });
    }
    bar.finish_and_clear();
    Ok(outcome)
}

/// (recorded, already recorded) of a chain, or its first failure.
type ChainResult = Result<(u64, u64), StepFailed>;

fn collect(done: Result<ChainResult, tokio::task::JoinError>, outcome: &mut Outcome, failure: &mut Option<StepFailed>) {
    match done {
        Ok(Ok((recorded, already))) => {
            outcome.recorded += recorded;
            outcome.already_recorded += already;
        }
        Ok(Err(error)) => {
            failure.get_or_insert(error);
        }
        Err(join_error) => {
            failure.get_or_insert(StepFailed {
                what: "a chain of steps".to_owned(),
                method: "sending",
                status: Box::new(Status::internal(format!("the sending task stopped: {join_error}"))),
            });
        }
    }
}

async fn send_chain(mut clients: Clients, chain: Vec<Step>, bar: &ProgressBar) -> ChainResult {
    let (mut recorded, mut already) = (0, 0);
    for step in chain {
        if send_step(&mut clients, &step).await? {
            recorded += 1;
        } else {
            already += 1;
        }
        bar.inc(1);
    }
    Ok((recorded, already))
}

/// Sends one step, retrying while the server is UNAVAILABLE. True if the server
/// recorded something, false if it had all of it already.
async fn send_step(clients: &mut Clients, step: &Step) -> Result<bool, StepFailed> {
    let attempt = || {
        let mut clients = clients.clone();
        async move { call(&mut clients, &step.request).await }
    };
    client::retry_unavailable(attempt).await.map_err(|status| StepFailed {
        what: step.what.clone(),
        method: step.request.method(),
        status: Box::new(status),
    })
}

/// One call; true if it recorded anything.
async fn call(clients: &mut Clients, request: &Request) -> Result<bool, Status> {
    let new = |result: tonic::Response<pb::CommandResult>| !result.into_inner().deduplicated;
    let c = clients;
    Ok(match request {
        Request::RegisterArea(r) => new(c.areas.register_area(r.clone()).await?),
        Request::RecordPopulation(r) => new(c.areas.record_population(r.clone()).await?),
        Request::DesignateKeyComplexArea(r) => new(c.areas.designate_key_complex_area(r.clone()).await?),
        Request::RecordTransformation(r) => new(c.areas.record_transformation(r.clone()).await?),
        Request::RegisterPerson(r) => new(c.forces.register_person(r.clone()).await?),
        Request::EstablishTeam(r) => new(c.forces.establish_team(r.clone()).await?),
        Request::RestructureTeam(r) => {
            let response = c.forces.restructure_team(r.clone()).await?.into_inner();
            response
                .restructured
                .iter()
                .chain(&response.received)
                .any(|result| !result.deduplicated)
        }
        Request::AppointMember(r) => new(c.forces.appoint_member(r.clone()).await?),
        Request::ChangeMemberRole(r) => new(c.forces.change_member_role(r.clone()).await?),
        Request::MemberLeaves(r) => new(c.forces.member_leaves(r.clone()).await?),
        Request::ReplaceMember(r) => new(c.forces.replace_member(r.clone()).await?),
        Request::RecordGroupHouseholds(r) => new(c.forces.record_group_households(r.clone()).await?),
        Request::ReportIncident(r) => new(c.incidents.report_incident(r.clone()).await?),
        Request::AssignIncident(r) => new(c.incidents.assign_incident(r.clone()).await?),
        Request::MediateIncident(r) => new(c.incidents.mediate_incident(r.clone()).await?),
        Request::ResolveIncident(r) => new(c.incidents.resolve_incident(r.clone()).await?),
        Request::RecordArrest(r) => new(c.incidents.record_arrest(r.clone()).await?),
        Request::RegisterToStrive(r) => new(c.ratings.register_to_strive(r.clone()).await?),
        Request::RateUnit(r) => new(c.ratings.rate_unit(r.clone()).await?),
        Request::RecordPledges(r) => new(c.ratings.record_pledges(r.clone()).await?),
        Request::RecordDocument(r) => new(c.records.record_document(r.clone()).await?),
        Request::RecordConference(r) => new(c.records.record_conference(r.clone()).await?),
        Request::RecordConferenceAttendees(r) => new(c.records.record_conference_attendees(r.clone()).await?),
        Request::GrantAward(r) => new(c.records.grant_award(r.clone()).await?),
        Request::TakeOffice(r) => new(c.records.take_office(r.clone()).await?),
        Request::IssueCompositionPolicy(r) => new(c.records.issue_composition_policy(r.clone()).await?),
    })
}

fn progress_bar(steps: usize, visible: bool) -> ProgressBar {
    if !visible {
        return ProgressBar::hidden();
    }
    let style =
        ProgressStyle::with_template("{msg:>10} {bar:40} {human_pos}/{human_len} requests ({per_sec}, {eta} left)")
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
