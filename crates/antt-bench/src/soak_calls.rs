//! One soak client: its own village, its teams, persons and incidents, and the calls of
//! every kind in [`Op`]. A command is built once and resent, same request id, until it is
//! acknowledged (so a call that timed out but was recorded is recognised, not repeated).

use std::collections::BTreeMap;
use std::time::Instant;

use antt_audit::merkle;
use antt_proto::v1 as pb;
use antt_proto::v1::areas_client::AreasClient;
use antt_proto::v1::audit_client::AuditClient;
use antt_proto::v1::event_store_client::EventStoreClient;
use antt_proto::v1::forces_client::ForcesClient;
use antt_proto::v1::incidents_client::IncidentsClient;
use antt_proto::v1::projections_client::ProjectionsClient;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tonic::transport::Channel;
use uuid::Uuid;

use crate::domain::{self, date};
use crate::driver::Window;
use crate::soak::{bounded, Known};
use crate::soak_mix::{self, Op, WritePlan, SOAK_TEAM_QUOTA};
use crate::soak_report::Tally;

/// Events per `EventStore.ReadAll` page of the soak.
pub const SOAK_READ_ALL_PAGE_EVENTS: u64 = 100;
/// Persons a client may register (their numbers are the client's index times this plus
/// a counter, and make names and citizen ids).
const PERSONS_PER_CLIENT_MAX: usize = 1_000_000;

/// What all clients start from.
pub struct Shared {
    pub commune_id: String,
    /// One residential area per client.
    pub villages: Vec<String>,
    /// The first checkpoint: (tree size, root).
    pub checkpoint: (u64, Vec<u8>),
    /// Events in the log after the areas were registered.
    pub setup_events: u64,
}

/// Why a call failed.
#[derive(Debug)]
pub enum CallError {
    Status(tonic::Status),
    /// No answer within `SOAK_CALL_TIMEOUT_SECS`.
    Timeout,
    /// An answer that should not be (a proof that does not verify, an empty stream).
    Wrong(String),
}

impl From<tonic::Status> for CallError {
    fn from(status: tonic::Status) -> CallError {
        CallError::Status(status)
    }
}

/// One acknowledged command.
pub struct Ack {
    pub stream_id: String,
    pub first_position: u64,
    pub last_position: u64,
    pub deduplicated: bool,
}

/// A command built for the plan's next write, kept until it is acknowledged.
#[derive(Clone)]
enum Command {
    Team(pb::EstablishTeamRequest),
    Person(pb::RegisterPersonRequest),
    Nominate(pb::NominateMemberRequest),
    Appoint(pb::AppointMemberRequest),
    Incident(pb::ReportIncidentRequest),
}

pub struct Client {
    idx: usize,
    rng: StdRng,
    plan: WritePlan,
    channel: Channel,
    commune_id: String,
    village_id: String,
    /// (team id, stream id) of the current team, and the latest ones.
    team: Option<(String, String)>,
    team_streams: Known,
    teams: Known,
    incidents: Known,
    /// The member being registered, nominated and appointed.
    person_id: String,
    persons_n: usize,
    teams_n: usize,
    pending: Option<(Op, Command)>,
    /// The log's size as last seen (a bound for the positions the reads ask for).
    log_size: u64,
    pub checkpoint: (u64, Vec<u8>),
    pub acks: Vec<Ack>,
    pub tallies: BTreeMap<Op, Tally>,
}

impl Client {
    pub fn new(idx: usize, channel: Channel, shared: &Shared) -> Client {
        Client {
            idx,
            rng: StdRng::seed_from_u64(idx as u64),
            plan: WritePlan::default(),
            channel,
            commune_id: shared.commune_id.clone(),
            village_id: shared.villages[idx].clone(),
            team: None,
            team_streams: Known::default(),
            teams: Known::default(),
            incidents: Known::default(),
            person_id: String::new(),
            persons_n: 0,
            teams_n: 0,
            pending: None,
            log_size: shared.setup_events,
            checkpoint: shared.checkpoint.clone(),
            acks: Vec::new(),
            tallies: BTreeMap::new(),
        }
    }

    /// A team and an incident, so that every query has something to ask about.
    pub async fn set_up(&mut self) -> anyhow::Result<()> {
        for _ in 0..2 {
            let op = self.plan.next_write();
            bounded(self.write(op))
                .await
                .map_err(|error| anyhow::anyhow!("{}: {error:?}", op.label()))?;
        }
        Ok(())
    }

    /// Calls the mix until `window` closes; tallies the calls that end inside it (errors
    /// over the whole run).
    pub async fn run_until(mut self, window: Window) -> Client {
        while Instant::now() < window.end {
            let op = soak_mix::next_op(&mut self.rng, &self.plan);
            let started = Instant::now();
            let result = bounded(self.call(op)).await;
            let finished = Instant::now();
            let tally = self.tallies.entry(op).or_default();
            tally.record(result.err(), finished - started, window.contains(finished));
        }
        self
    }

    async fn call(&mut self, op: Op) -> Result<(), CallError> {
        if op.is_write() {
            return self.write(op).await;
        }
        self.read(op).await
    }

    async fn write(&mut self, op: Op) -> Result<(), CallError> {
        let command = match self.pending.take() {
            Some((pending_op, command)) if pending_op == op => command,
            _ => self.build(op),
        };
        self.pending = Some((op, command.clone()));
        let result = send(&self.channel, command.clone()).await?.into_inner();
        self.pending = None;
        self.acknowledged(op, &command, result);
        Ok(())
    }

    fn build(&mut self, op: Op) -> Command {
        let request_id = Uuid::new_v4().to_string();
        let (team_id, _) = self.team.clone().unwrap_or_default();
        match op {
            Op::EstablishTeam => {
                let n = self.idx * PERSONS_PER_CLIENT_MAX + self.teams_n;
                let team_id = Uuid::new_v4().to_string();
                Command::Team(domain::establish_team_request(
                    n,
                    &team_id,
                    &self.village_id,
                    SOAK_TEAM_QUOTA,
                ))
            }
            Op::RegisterPerson => {
                let n = self.idx * PERSONS_PER_CLIENT_MAX + self.persons_n;
                Command::Person(domain::register_person_request(n, &Uuid::new_v4().to_string()))
            }
            Op::NominateMember => Command::Nominate(domain::nominate_request(
                &request_id,
                date(2024, 8, 1),
                &team_id,
                &self.person_id,
            )),
            Op::AppointMember => Command::Appoint(domain::appoint_request(
                &request_id,
                date(2024, 8, 15),
                &team_id,
                &self.person_id,
            )),
            _ => Command::Incident(self.incident_request(&request_id)),
        }
    }

    fn incident_request(&mut self, request_id: &str) -> pb::ReportIncidentRequest {
        const CATEGORIES: [pb::IncidentCategory; 4] = [
            pb::IncidentCategory::Theft,
            pb::IncidentCategory::NeighbourDispute,
            pb::IncidentCategory::PublicDisorder,
            pb::IncidentCategory::LandDispute,
        ];
        pb::ReportIncidentRequest {
            header: domain::header(request_id, date(2024, 9, 1), None),
            incident_id: Uuid::new_v4().to_string(),
            category: CATEGORIES[self.rng.random_range(0..CATEGORIES.len())].into(),
            area_id: self.village_id.clone(),
            source: pb::IncidentSource::GrassrootsForce.into(),
            summary: "Tổ bảo vệ ANTT báo cáo".to_owned(),
            ..Default::default()
        }
    }

    fn acknowledged(&mut self, op: Op, command: &Command, result: pb::CommandResult) {
        match command {
            Command::Team(request) => {
                self.teams_n += 1;
                self.teams.push(request.team_id.clone());
                self.team_streams.push(result.stream_id.clone());
                self.team = Some((request.team_id.clone(), result.stream_id.clone()));
            }
            Command::Person(request) => {
                self.persons_n += 1;
                self.person_id = request.person_id.clone();
            }
            Command::Incident(request) => self.incidents.push(request.incident_id.clone()),
            Command::Nominate(_) | Command::Appoint(_) => {}
        }
        self.log_size = self.log_size.max(result.last_position + 1);
        self.plan.acknowledged(op);
        self.acks.push(Ack {
            stream_id: result.stream_id,
            first_position: result.first_position,
            last_position: result.last_position,
            deduplicated: result.deduplicated,
        });
    }

    async fn read(&mut self, op: Op) -> Result<(), CallError> {
        let channel = self.channel.clone();
        match op {
            Op::GetTeam | Op::GetTeamAsOf => {
                let as_of = (op == Op::GetTeamAsOf).then(|| date(2024, 8, 1));
                let team_id = self.teams.pick(&mut self.rng).unwrap_or_default().to_owned();
                ForcesClient::new(channel)
                    .get_team(pb::GetTeamRequest { team_id, as_of })
                    .await?;
            }
            Op::GetArea => {
                let area_id = self.village_id.clone();
                AreasClient::new(channel)
                    .get_area(pb::GetAreaRequest { area_id, as_of: None })
                    .await?;
            }
            Op::GetIncident => {
                let incident_id = self.incidents.pick(&mut self.rng).unwrap_or_default().to_owned();
                IncidentsClient::new(channel)
                    .get_incident(pb::GetIncidentRequest {
                        incident_id,
                        as_of: None,
                    })
                    .await?;
            }
            Op::AreaTree | Op::Roster => self.projection(op).await?,
            _ => self.log_read(op).await?,
        }
        Ok(())
    }

    async fn projection(&mut self, op: Op) -> Result<(), CallError> {
        let by_id = |id: &str| {
            Some(pb::AreaSelector {
                area: Some(pb::area_selector::Area::AreaId(id.to_owned())),
            })
        };
        let mut projections = ProjectionsClient::new(self.channel.clone());
        if op == Op::AreaTree {
            let area = by_id(&self.commune_id);
            projections
                .get_area_tree(pb::AreaTreeRequest { axes: None, area })
                .await?;
        } else {
            let area = by_id(&self.village_id);
            let roster = projections
                .get_roster(pb::RosterRequest {
                    axes: None,
                    area,
                    force_type: 0,
                })
                .await?
                .into_inner();
            if roster.teams.is_empty() {
                return Err(CallError::Wrong("a roster without the client's teams".to_owned()));
            }
        }
        Ok(())
    }

    async fn log_read(&mut self, op: Op) -> Result<(), CallError> {
        let mut store = EventStoreClient::new(self.channel.clone());
        match op {
            Op::ReadStream => {
                let stream_id = self.team_streams.pick(&mut self.rng).unwrap_or_default().to_owned();
                let request = pb::ReadStreamRequest {
                    stream_id,
                    ..Default::default()
                };
                let read = drain(store.read_stream(request).await?.into_inner()).await?;
                if read == 0 {
                    return Err(CallError::Wrong("an empty team stream".to_owned()));
                }
            }
            Op::ReadAllPage => {
                let request = pb::ReadAllRequest {
                    from_position: self.rng.random_range(0..self.log_size),
                    filter: None,
                    max_count: SOAK_READ_ALL_PAGE_EVENTS,
                };
                drain(store.read_all(request).await?.into_inner()).await?;
            }
            Op::GetHead => {
                let head = store.get_head(pb::GetHeadRequest {}).await?.into_inner();
                self.log_size = self.log_size.max(head.next_position);
            }
            _ => self.audit(op).await?,
        }
        Ok(())
    }

    async fn audit(&mut self, op: Op) -> Result<(), CallError> {
        let mut audit = AuditClient::new(self.channel.clone());
        if op == Op::GetCheckpoint {
            let checkpoint = audit
                .get_checkpoint(pb::GetCheckpointRequest { tree_size: 0 })
                .await?
                .into_inner();
            self.checkpoint = (checkpoint.tree_size, checkpoint.root_hash);
            return Ok(());
        }
        let (size, root) = self.checkpoint.clone();
        let position = self.rng.random_range(0..size);
        let proven = audit
            .get_proven_event(pb::GetProvenEventRequest {
                position,
                tree_size: size,
            })
            .await?
            .into_inner();
        verify_proven(&proven, position, size, &root)
    }
}

/// The event's leaf, from its canonical bytes, is in the tree of `size` with `root`.
fn verify_proven(proven: &pb::ProvenEvent, position: u64, size: u64, root: &[u8]) -> Result<(), CallError> {
    let wrong = |what: &str| CallError::Wrong(format!("proof of position {position} in {size}: {what}"));
    let proof = proven.proof.as_ref().ok_or_else(|| wrong("no proof"))?;
    let hashes = merkle::hashes_from_bytes(&proof.hashes).map_err(|error| wrong(&error.to_string()))?;
    let root = merkle::hash_from_bytes(root).map_err(|error| wrong(&format!("the root: {error}")))?;
    let leaf = merkle::leaf_hash(&proven.canonical);
    merkle::verify_inclusion(&leaf, position, size, &hashes, &root).map_err(|_| wrong("does not verify"))
}

/// Reads a server stream to its end; returns how many messages it carried.
async fn drain<T>(mut stream: tonic::Streaming<T>) -> Result<u64, CallError> {
    let mut read = 0;
    while stream.message().await?.is_some() {
        read += 1;
    }
    Ok(read)
}

async fn send(channel: &Channel, command: Command) -> Result<tonic::Response<pb::CommandResult>, tonic::Status> {
    match command {
        Command::Team(request) => ForcesClient::new(channel.clone()).establish_team(request).await,
        Command::Person(request) => ForcesClient::new(channel.clone()).register_person(request).await,
        Command::Nominate(request) => ForcesClient::new(channel.clone()).nominate_member(request).await,
        Command::Appoint(request) => ForcesClient::new(channel.clone()).appoint_member(request).await,
        Command::Incident(request) => IncidentsClient::new(channel.clone()).report_incident(request).await,
    }
}
