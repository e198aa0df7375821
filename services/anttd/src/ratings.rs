//! The `antt.v1.Ratings` service: the yearly safety rating of a unit (bình xét an toàn về
//! ANTT), with registrations to strive, corrections and household pledges.
//!
//! The record of a unit and year is one stream, "rating-<unit area uuid>-<year>", so "one
//! rating per unit and year" is a rule of one aggregate, and two concurrent ratings of
//! the same unit and year meet at the log's expected-version check.

use std::future::ready;

use antt_domain::rating::{self, Rating};
use antt_domain::{AreaFacts, Date, Decision};
use antt_log::EventLog;
use antt_proto::v1 as pb;
use antt_proto::v1::ratings_server::{Ratings, RatingsServer};
use tonic::{Request, Response, Status};
use uuid::Uuid;

use crate::commands::Commands;
use crate::request::{self, Fields, Planned};
use crate::views;

/// The gRPC service; cheap to share.
pub struct RatingsService<L> {
    commands: Commands<L>,
}

impl<L: EventLog> RatingsService<L> {
    pub fn new(commands: Commands<L>) -> Self {
        RatingsService { commands }
    }

    /// Wrapped for tonic, with the message size limits of `max_message_bytes`.
    pub fn into_server(self, max_message_bytes: usize) -> RatingsServer<Self> {
        RatingsServer::new(self)
            .max_decoding_message_size(max_message_bytes)
            .max_encoding_message_size(max_message_bytes)
    }
}

#[tonic::async_trait]
impl<L: EventLog> Ratings for RatingsService<L> {
    async fn register_to_strive(
        &self,
        request: Request<pb::RegisterToStriveRequest>,
    ) -> Result<Response<pb::CommandResult>, Status> {
        let plan = |r| plan_register(&self.commands, r);
        request::command(&self.commands, "RegisterToStrive", request, |r| &r.unit_area_id, plan).await
    }

    async fn rate_unit(&self, request: Request<pb::RateUnitRequest>) -> Result<Response<pb::CommandResult>, Status> {
        let plan = |r| plan_rate(&self.commands, r);
        request::command(&self.commands, "RateUnit", request, |r| &r.unit_area_id, plan).await
    }

    async fn correct_rating(
        &self,
        request: Request<pb::CorrectRatingRequest>,
    ) -> Result<Response<pb::CommandResult>, Status> {
        let plan = |r| ready(plan_correct(r));
        request::command(&self.commands, "CorrectRating", request, |r| &r.unit_area_id, plan).await
    }

    async fn record_pledges(
        &self,
        request: Request<pb::RecordPledgesRequest>,
    ) -> Result<Response<pb::CommandResult>, Status> {
        let plan = |r| plan_pledges(&self.commands, r);
        request::command(&self.commands, "RecordPledges", request, |r| &r.unit_area_id, plan).await
    }

    async fn get_rating(&self, request: Request<pb::GetRatingRequest>) -> Result<Response<pb::RatingView>, Status> {
        let answer = |r: pb::GetRatingRequest| view_rating(&self.commands, r);
        request::query("GetRating", request, |r| &r.unit_area_id, answer).await
    }
}

const RATING: &str = "rating";

/// The stream of a unit's rating of a year: "rating-<unit uuid>-<year>".
pub(crate) fn rating_stream(unit_area_id: Uuid, year: i32) -> String {
    request::stream_id(RATING, rating_key(unit_area_id, year))
}

/// The key of a unit's record of a year, after the kind in its stream id.
fn rating_key(unit_area_id: Uuid, year: i32) -> String {
    format!("{unit_area_id}-{year}")
}

/// The unit, the year and the key of their record ("<unit uuid>-<year>").
fn unit_year(fields: &mut Fields, unit_area_id: &str, year: i32) -> (Uuid, i32, String) {
    let unit_area_id = fields.uuid("unit_area_id", unit_area_id);
    let year = fields.year("year", year);
    (unit_area_id, year, rating_key(unit_area_id, year))
}

/// What a command on a registered unit's year gets besides its own fields.
struct UnitYear {
    unit: AreaFacts,
    year: i32,
    effective_date: Date,
    decision: Option<Decision>,
}

/// A command on the record of a registered unit and a year: reads the header, the unit,
/// the year and the command's own fields (`read`), loads the unit's facts, then builds
/// the command.
async fn plan_for_unit<L: EventLog, T>(
    commands: &Commands<L>,
    (header, unit_area_id, year): (Option<&pb::CommandHeader>, &str, i32),
    read: impl FnOnce(&mut Fields) -> T,
    command: impl FnOnce(UnitYear, T) -> rating::Command,
) -> Result<Planned<Rating>, Status> {
    let mut fields = Fields::default();
    let header = fields.header(header);
    let (unit_area_id, year, key) = unit_year(&mut fields, unit_area_id, year);
    let read = read(&mut fields);
    fields.finish()?;
    let unit = request::area_facts(commands, "unit_area_id", unit_area_id).await?;
    let unit_year = UnitYear {
        unit,
        year,
        effective_date: header.effective_date,
        decision: header.decision.clone(),
    };
    Ok(Planned::new(
        request::stream_id(RATING, key),
        header,
        command(unit_year, read),
    ))
}

async fn plan_register<L: EventLog>(
    commands: &Commands<L>,
    r: pb::RegisterToStriveRequest,
) -> Result<Planned<Rating>, Status> {
    let subject = (r.header.as_ref(), r.unit_area_id.as_str(), r.year);
    plan_for_unit(
        commands,
        subject,
        |_| (),
        |unit, ()| rating::Command::RegisterToStrive {
            unit: unit.unit,
            year: unit.year,
            effective_date: unit.effective_date,
        },
    )
    .await
}

async fn plan_rate<L: EventLog>(commands: &Commands<L>, r: pb::RateUnitRequest) -> Result<Planned<Rating>, Status> {
    let subject = (r.header.as_ref(), r.unit_area_id.as_str(), r.year);
    let read = |fields: &mut Fields| {
        (
            fields.uuid("rating_id", &r.rating_id),
            fields.enumeration("outcome", r.outcome),
        )
    };
    plan_for_unit(commands, subject, read, |unit, (rating_id, outcome)| {
        rating::Command::Rate(rating::Rate {
            rating_id,
            unit: unit.unit,
            year: unit.year,
            outcome,
            criteria: r.criteria.clone(),
            effective_date: unit.effective_date,
            decision: unit.decision,
        })
    })
    .await
}

async fn plan_pledges<L: EventLog>(
    commands: &Commands<L>,
    r: pb::RecordPledgesRequest,
) -> Result<Planned<Rating>, Status> {
    let subject = (r.header.as_ref(), r.unit_area_id.as_str(), r.year);
    plan_for_unit(
        commands,
        subject,
        |_| (),
        |unit, ()| rating::Command::RecordPledges {
            unit: unit.unit,
            year: unit.year,
            pledges_signed: r.pledges_signed,
            campaign: r.campaign.clone(),
            effective_date: unit.effective_date,
        },
    )
    .await
}

/// A correction needs no facts about the unit: it names the rating it replaces, and the
/// rating already binds the record to a registered unit.
fn plan_correct(r: pb::CorrectRatingRequest) -> Result<Planned<Rating>, Status> {
    let mut fields = Fields::default();
    let header = fields.header(r.header.as_ref());
    let (unit_area_id, year, key) = unit_year(&mut fields, &r.unit_area_id, r.year);
    let correction_id = fields.uuid("correction_id", &r.correction_id);
    let corrects_rating_id = fields.uuid("corrects_rating_id", &r.corrects_rating_id);
    let outcome = fields.enumeration("outcome", r.outcome);
    fields.finish()?;
    let command = rating::Command::Correct(rating::Correct {
        correction_id,
        corrects_rating_id,
        unit_area_id,
        year,
        outcome,
        reason: r.reason,
        effective_date: header.effective_date,
        decision: header.decision.clone(),
    });
    Ok(Planned::new(request::stream_id(RATING, key), header, command))
}

async fn view_rating<L: EventLog>(commands: &Commands<L>, r: pb::GetRatingRequest) -> Result<pb::RatingView, Status> {
    let mut fields = Fields::default();
    let (unit_area_id, year, key) = unit_year(&mut fields, &r.unit_area_id, r.year);
    let as_of = fields.as_of(r.as_of.as_ref());
    fields.finish()?;
    let (state, version) = request::load_as_of::<Rating, L>(commands, RATING, key, as_of).await?;
    let run = if state.is_safe() == Some(true) {
        1 + safe_years_before(commands, unit_area_id, year, as_of).await?
    } else {
        0
    };
    Ok(views::rating::view(unit_area_id, year, &state, version, run))
}

/// The years just before `year` in which the unit was rated safe without a break, as the
/// records stood on `as_of`, up to the run that earns the highest recognition: one read of
/// each earlier year's record.
async fn safe_years_before<L: EventLog>(
    commands: &Commands<L>,
    unit_area_id: Uuid,
    year: i32,
    as_of: Date,
) -> Result<u32, Status> {
    let mut run = 0;
    while run + 1 < rating::RECOGNITION_YEARS_MAX {
        let earlier = year.saturating_sub(run as i32 + 1);
        let stream = rating_stream(unit_area_id, earlier);
        let loaded = commands.load::<Rating>(&stream).await?;
        if loaded.timeline.state_as_of(as_of).is_safe() != Some(true) {
            break;
        }
        run += 1;
    }
    Ok(run)
}
