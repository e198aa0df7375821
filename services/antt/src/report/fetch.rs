//! The report's questions to the Projections service: the area once, then each year's
//! forces, coverage, incidents and ratings, then the whole range's member changes and
//! incidents.
//!
//! Every answer is read at one moment of the records: the user's `--known-at`, or else
//! the moment the first answer was read at, so that an event recorded while the report
//! runs is in none of its figures rather than in some. The area is named by its code once,
//! as of the last day, and asked about by id from then on: codes were reused across the
//! 2025 reform, so the code alone could name another area in an earlier year.

use std::collections::BTreeMap;

use antt_domain::Date;
use antt_proto::v1 as pb;
use antt_proto::v1::projections_client::ProjectionsClient;
use tonic::{Code, Status};

use super::{AreaArg, ReportYear, Scope};
use crate::error::CliError;

/// Largest answer accepted: an area tree of a province lists every village in it.
const ANSWER_BYTES_MAX: usize = 64 * 1024 * 1024;

/// Everything a report shows, as the server answered it.
#[derive(Clone, Debug, PartialEq)]
pub struct Answers {
    pub scope: Scope,
    /// The area as of the last day.
    pub area: pb::AreaNode,
    /// The moment every answer was read at, and the log position of the figures.
    pub answered: pb::AnswerAxes,
    pub years: Vec<YearAnswers>,
    pub totals: Totals,
    /// The figures reported for units of the area whose period ends in the range, each
    /// next to the figure the records give, as of the last day.
    pub reported: pb::ReportedFiguresResponse,
    /// The names of the area and of every area under it on the last day, by id.
    pub area_names: BTreeMap<String, String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct YearAnswers {
    pub year: ReportYear,
    /// None when the area did not exist yet on the year's day.
    pub figures: Option<Figures>,
}

/// One year's answers, each as of the year's day, counted from 1 January.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Figures {
    pub forces: pb::ForcesSummaryResponse,
    pub coverage: pb::CoverageResponse,
    pub incidents: pb::IncidentSummaryResponse,
    /// Residential areas' ratings of the year.
    pub ratings: pb::RatingSummaryResponse,
    /// Tips, arrests, hotspots, documents, conferences, classes and awards of the year.
    pub activity: pb::ActivitySummaryResponse,
}

/// The whole range's answers: from 1 January of the first year to the last day.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Totals {
    pub forces: pb::ForcesSummaryResponse,
    pub incidents: pb::IncidentSummaryResponse,
}

/// Asks the server at `channel` everything `scope` needs.
pub async fn fetch(channel: crate::client::Conn, scope: &Scope) -> Result<Answers, CliError> {
    let mut client = ProjectionsClient::new(channel).max_decoding_message_size(ANSWER_BYTES_MAX);
    let selector = match &scope.area {
        AreaArg::Code(code) => pb::area_selector::Area::Code(code.clone()),
        AreaArg::Id(id) => pb::area_selector::Area::AreaId(id.clone()),
    };
    let tree = client
        .get_area_tree(pb::AreaTreeRequest {
            axes: Some(axes(scope.last_day(), scope.known_at)),
            area: Some(pb::AreaSelector { area: Some(selector) }),
        })
        .await?
        .into_inner();
    let area_names = tree
        .root
        .iter()
        .chain(&tree.areas)
        .map(|node| (node.area_id.clone(), node.name.clone()))
        .collect();
    let area = tree.root.ok_or_else(|| {
        CliError::Failed("the server answered an area tree without its root (a server of another version?)".into())
    })?;
    let mut answered = tree.answered.ok_or_else(|| {
        CliError::Failed("the server answered without the axes it read on (a server of another version?)".into())
    })?;
    let asker = Asker {
        client,
        area_id: area.area_id.clone(),
        known_at: answered.known_at,
    };
    let mut years = Vec::with_capacity(scope.years.len());
    for year in &scope.years {
        years.push(YearAnswers {
            year: *year,
            figures: asker.year(*year).await?,
        });
    }
    let whole = pb::Period {
        from: Some(scope.first_day().to_proto()),
        to: Some(scope.last_day().to_proto()),
    };
    let totals = Totals {
        forces: asker.forces(scope.last_day(), whole).await?,
        incidents: asker.incidents(scope.last_day(), whole).await?,
    };
    let reported = asker.reported_figures(scope.last_day(), whole).await?;
    // Without --known-at the tree was read at the position applied when it was asked, and
    // every later answer at the moment it states, which may cover a few more events: the
    // figures are those of the later position.
    if let Some(read) = &totals.forces.answered {
        answered.known_position = read.known_position;
    }
    Ok(Answers {
        scope: scope.clone(),
        area,
        answered,
        years,
        totals,
        reported,
        area_names,
    })
}

fn axes(as_of: Date, known_at: Option<prost_types::Timestamp>) -> pb::TimeAxes {
    pb::TimeAxes {
        as_of: Some(as_of.to_proto()),
        known_at,
        min_position: 0,
    }
}

/// Asks about one area at one moment.
struct Asker {
    client: ProjectionsClient<crate::client::Conn>,
    area_id: String,
    known_at: Option<prost_types::Timestamp>,
}

impl Asker {
    fn axes(&self, as_of: Date) -> Option<pb::TimeAxes> {
        Some(axes(as_of, self.known_at))
    }

    fn area(&self) -> Option<pb::AreaSelector> {
        Some(pb::AreaSelector {
            area: Some(pb::area_selector::Area::AreaId(self.area_id.clone())),
        })
    }

    /// The year's answers; None if the area did not exist yet on the year's day.
    async fn year(&self, year: ReportYear) -> Result<Option<Figures>, CliError> {
        let period = pb::Period {
            from: Some(year.first_day().to_proto()),
            to: Some(year.as_of.to_proto()),
        };
        let forces = match self.forces(year.as_of, period).await {
            Ok(forces) => forces,
            Err(CliError::Status(status)) if status.code() == Code::NotFound => return Ok(None),
            Err(error) => return Err(error),
        };
        let mut client = self.client.clone();
        let coverage = client
            .get_coverage(pb::CoverageRequest {
                axes: self.axes(year.as_of),
                area: self.area(),
            })
            .await?
            .into_inner();
        let incidents = self.incidents(year.as_of, period).await?;
        let ratings = client
            .get_rating_summary(pb::RatingSummaryRequest {
                axes: self.axes(year.as_of),
                area: self.area(),
                year: year.year,
                unit_level: pb::AreaLevel::ResidentialArea.into(),
            })
            .await?
            .into_inner();
        let activity = client
            .get_activity_summary(pb::ActivitySummaryRequest {
                axes: self.axes(year.as_of),
                area: self.area(),
                period: Some(period),
            })
            .await?
            .into_inner();
        Ok(Some(Figures {
            forces,
            coverage,
            incidents,
            ratings,
            activity,
        }))
    }

    async fn forces(&self, as_of: Date, period: pb::Period) -> Result<pb::ForcesSummaryResponse, CliError> {
        let request = pb::ForcesSummaryRequest {
            axes: self.axes(as_of),
            area: self.area(),
            period: Some(period),
        };
        answer(self.client.clone().get_forces_summary(request).await)
    }

    async fn reported_figures(&self, as_of: Date, period: pb::Period) -> Result<pb::ReportedFiguresResponse, CliError> {
        let request = pb::ReportedFiguresRequest {
            axes: self.axes(as_of),
            area: self.area(),
            period: Some(period),
        };
        answer(self.client.clone().get_reported_figures(request).await)
    }

    async fn incidents(&self, as_of: Date, period: pb::Period) -> Result<pb::IncidentSummaryResponse, CliError> {
        let request = pb::IncidentSummaryRequest {
            axes: self.axes(as_of),
            area: self.area(),
            period: Some(period),
        };
        answer(self.client.clone().get_incident_summary(request).await)
    }
}

fn answer<T>(result: Result<tonic::Response<T>, Status>) -> Result<T, CliError> {
    Ok(result?.into_inner())
}
