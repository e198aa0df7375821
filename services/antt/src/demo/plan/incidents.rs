//! Incidents and arrests of wanted persons: the yearly counts of
//! [`crate::demo::figures::INCIDENTS_BY_YEAR`], each incident a chain of report,
//! assignment, mediation and resolution, reported and resolved within its year.
//!
//! Where an incident happened is a residential area chosen by arithmetic on its number,
//! so that every commune has its share; the team that handled a grassroots incident is
//! that area's protection team or one of its social security groups.

use antt_domain::Date;
use antt_proto::v1 as pb;
use pb::resolve_incident_request::Resolution;
use uuid::Uuid;

use super::{header, on, plus, spread, Builder, Request, Step};
use crate::demo::figures::{self, IncidentYear};
use crate::demo::identity::record_id;

/// How an incident was handled, as the report counts it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Handling {
    Prosecution {
        defendants: u32,
    },
    Sanction {
        subjects: u32,
    },
    CommunePolice,
    TeamMediated,
    /// The team's mediation failed and the commune police settled it.
    TeamWithCommunePolice,
    GroupMediated,
}

impl Handling {
    fn name(self) -> &'static str {
        match self {
            Handling::Prosecution { .. } => "prosecution",
            Handling::Sanction { .. } => "sanction",
            Handling::CommunePolice => "commune-police",
            Handling::TeamMediated => "team-mediated",
            Handling::TeamWithCommunePolice => "team-with-police",
            Handling::GroupMediated => "group-mediated",
        }
    }

    /// Categories in turn, by the kind of incident each level sees most.
    fn categories(self) -> &'static [pb::IncidentCategory] {
        use pb::IncidentCategory as C;
        match self {
            Handling::Prosecution { .. } => &[C::Theft, C::Drugs, C::Assault, C::Gambling, C::Theft],
            Handling::Sanction { .. } => &[C::Gambling, C::PublicDisorder, C::Drugs, C::Theft],
            Handling::CommunePolice => &[C::Theft, C::PublicDisorder, C::Gambling, C::Assault, C::Other],
            Handling::TeamMediated | Handling::TeamWithCommunePolice => &[
                C::NeighbourDispute,
                C::PublicDisorder,
                C::TidalFlatDispute,
                C::LandDispute,
            ],
            Handling::GroupMediated => &[C::FamilyDispute, C::NeighbourDispute, C::LandDispute],
        }
    }

    fn classification(self, category: pb::IncidentCategory) -> pb::IncidentClassification {
        use pb::IncidentClassification as K;
        match self {
            Handling::Prosecution { .. } => K::Crime,
            Handling::Sanction { .. } | Handling::CommunePolice => match category {
                pb::IncidentCategory::Gambling | pb::IncidentCategory::Drugs => K::SocialEvil,
                _ => K::AdministrativeViolation,
            },
            Handling::TeamMediated | Handling::TeamWithCommunePolice | Handling::GroupMediated => K::DisputeOrComplaint,
        }
    }
}

/// The incidents of one year, in the order they are numbered.
fn cases(year: &IncidentYear) -> Vec<Handling> {
    let mut cases = Vec::new();
    // One or two persons per case: the first (persons − cases) cases have two.
    for k in 0..year.prosecutions {
        let defendants = 1 + u32::from(k < year.defendants - year.prosecutions);
        cases.push(Handling::Prosecution { defendants });
    }
    for k in 0..year.sanctions {
        let subjects = 1 + u32::from(k < year.sanctioned_subjects - year.sanctions);
        cases.push(Handling::Sanction { subjects });
    }
    cases.extend((0..year.commune_police).map(|_| Handling::CommunePolice));
    cases.extend((0..year.team_mediated).map(|_| Handling::TeamMediated));
    cases.extend((0..year.team_with_commune_police).map(|_| Handling::TeamWithCommunePolice));
    cases.extend((0..year.group_mediated).map(|_| Handling::GroupMediated));
    cases
}

/// The days incidents of `year` are reported over: 2008 from July, once the teams and
/// groups of June were working, 2018 up to May (the report is of 12 June); each is
/// resolved within ten days, inside its year.
fn reporting_days(year: i32) -> (Date, Date) {
    match year {
        2008 => (on(2008, 7, 1), on(2008, 12, 15)),
        y if y == figures::REPORT_DAY.0 => (on(y, 1, 3), on(y, 5, 31)),
        y => (on(y, 1, 3), on(y, 12, 15)),
    }
}

impl Builder {
    pub(super) fn plan_incidents(&mut self) {
        for year in figures::INCIDENTS_BY_YEAR {
            let cases = cases(&year);
            let count = u32::try_from(cases.len()).unwrap_or(u32::MAX);
            // Interleave the kinds over the year: case k is dated in position (k × 97) of
            // the year's spread (97 does not divide any year's count).
            let (from, to) = reporting_days(year.year);
            let mut prosecutions = 0;
            for (k, handling) in cases.into_iter().enumerate() {
                let k = u32::try_from(k).unwrap_or(u32::MAX);
                let day = spread(from, to, (k * 97) % count, count);
                let province = matches!(handling, Handling::Prosecution { .. }) && {
                    prosecutions += 1;
                    prosecutions % 12 == 1
                };
                let chain = self.incident(year.year, k, handling, day, province);
                self.incident_chains.push(chain);
            }
        }
        self.plan_arrests();
    }

    fn incident(&mut self, year: i32, k: u32, handling: Handling, day: Date, province: bool) -> Vec<Step> {
        let id = record_id(&format!("incident:{year}:{k}"));
        let t = (k as usize * 53 + year as usize * 7) % self.residential.len();
        let area = self.residential[t].id;
        let categories = handling.categories();
        let category = categories[(k as usize / 3) % categories.len()];
        let what = format!("incident {year}/{k} ({})", handling.name());
        let source = match handling {
            Handling::Prosecution { .. } | Handling::Sanction { .. } => pb::IncidentSource::Police,
            Handling::CommunePolice => pb::IncidentSource::PublicTip,
            Handling::TeamMediated | Handling::TeamWithCommunePolice | Handling::GroupMediated => {
                if k.is_multiple_of(3) {
                    pb::IncidentSource::PartyPetition
                } else {
                    pb::IncidentSource::GrassrootsForce
                }
            }
        };
        let mut chain = vec![Step {
            what: what.clone(),
            request: Request::ReportIncident(pb::ReportIncidentRequest {
                header: header(id, "report", day, None),
                incident_id: id.to_string(),
                category: category.into(),
                area_id: area.to_string(),
                source: source.into(),
                summary: summary(category).to_owned(),
                complex: false,
                tip_id: String::new(),
                classification: handling.classification(category).into(),
            }),
        }];
        // Only the groups of 2008: those split off later did not exist for every incident.
        let groups: Vec<Uuid> = self.forces.groups[..figures::GROUPS_2008 as usize]
            .iter()
            .filter(|group| group.residential == t)
            .map(|group| group.team)
            .collect();
        let (level, team, force) = match handling {
            Handling::Prosecution { .. } if province => (pb::HandlingLevel::ProvincePolice, None, None),
            Handling::Prosecution { .. } | Handling::Sanction { .. } => (pb::HandlingLevel::DistrictPolice, None, None),
            Handling::CommunePolice => (pb::HandlingLevel::CommunePolice, None, None),
            Handling::TeamMediated | Handling::TeamWithCommunePolice => (
                pb::HandlingLevel::SecurityProtectionTeam,
                Some(self.forces.protection_teams[t].team),
                Some(pb::ForceType::SecurityProtectionTeam),
            ),
            Handling::GroupMediated => (
                pb::HandlingLevel::SocialSecurityGroup,
                groups.get(k as usize % groups.len().max(1)).copied(),
                Some(pb::ForceType::SocialSecurityGroup),
            ),
        };
        chain.push(Step {
            what: what.clone(),
            request: Request::AssignIncident(pb::AssignIncidentRequest {
                header: header(id, "assign", day, None),
                incident_id: id.to_string(),
                level: level.into(),
                team_id: team.map(|team| team.to_string()).unwrap_or_default(),
                co_handlers: Vec::new(),
            }),
        });
        if let (Some(force), Some(team)) = (force, team) {
            let outcome = if handling == Handling::TeamWithCommunePolice {
                pb::MediationOutcome::Failed
            } else {
                pb::MediationOutcome::Succeeded
            };
            let mediated = plus(day, 1);
            chain.push(Step {
                what: what.clone(),
                request: Request::MediateIncident(pb::MediateIncidentRequest {
                    header: header(id, "mediate", mediated, None),
                    incident_id: id.to_string(),
                    by_force: force.into(),
                    by_team_id: team.to_string(),
                    outcome: outcome.into(),
                    note: String::new(),
                }),
            });
        }
        let resolved = plus(day, 2 + i64::from(k % 8));
        let (resolution, decision) = match handling {
            Handling::Prosecution { defendants } => {
                let police = if province {
                    "Cơ quan Cảnh sát điều tra Công an tỉnh Thanh Hóa"
                } else {
                    "Cơ quan Cảnh sát điều tra Công an huyện Nga Sơn"
                };
                (
                    Resolution::Prosecution(pb::ResolutionProsecution { defendants }),
                    Some(self.decision(police, "QĐ-CSĐT", resolved)),
                )
            }
            Handling::Sanction { subjects } => (
                Resolution::AdministrativeSanction(pb::ResolutionAdministrativeSanction { subjects }),
                Some(self.decision("Trưởng Công an huyện Nga Sơn", "QĐ-XPVPHC", resolved)),
            ),
            Handling::CommunePolice | Handling::TeamWithCommunePolice => (
                Resolution::CommunePoliceHandled(pb::ResolutionCommunePoliceHandled {}),
                None,
            ),
            Handling::TeamMediated | Handling::GroupMediated => (Resolution::Mediated(pb::ResolutionMediated {}), None),
        };
        chain.push(Step {
            what,
            request: Request::ResolveIncident(pb::ResolveIncidentRequest {
                header: header(id, "resolve", resolved, decision),
                incident_id: id.to_string(),
                resolution: Some(resolution),
                reopened_on: None,
                reopened_reason: String::new(),
            }),
        });
        chain
    }

    /// Wanted persons arrested or persuaded to surrender, with the public's help for most.
    fn plan_arrests(&mut self) {
        let mut k = 0usize;
        for (year, count) in figures::ARRESTS_BY_YEAR {
            let (from, to) = reporting_days(year);
            for j in 0..count {
                let id = record_id(&format!("arrest:{year}:{j}"));
                let commune = &self.communes[(k * 5 + 2) % self.communes.len()];
                let day = spread(from, to, j, count);
                self.incident_chains.push(vec![Step {
                    what: format!("arrest {year}/{j}"),
                    request: Request::RecordArrest(pb::RecordArrestRequest {
                        header: header(id, "record", day, None),
                        arrest_id: id.to_string(),
                        area_id: commune.id.to_string(),
                        surrendered: k.is_multiple_of(3),
                        public_helped: k % 4 != 3,
                        arrested_by: "Công an huyện Nga Sơn".to_owned(),
                        person_id: String::new(),
                    }),
                }]);
                k += 1;
            }
        }
    }
}

/// A summary without personal data.
fn summary(category: pb::IncidentCategory) -> &'static str {
    use pb::IncidentCategory as C;
    match category {
        C::Theft => "Trộm cắp tài sản",
        C::Drugs => "Tàng trữ, sử dụng trái phép chất ma tuý",
        C::Gambling => "Đánh bạc, ghi số đề",
        C::Assault => "Đánh nhau gây thương tích",
        C::PublicDisorder => "Gây rối trật tự công cộng",
        C::LandDispute => "Tranh chấp ranh giới đất ở",
        C::TidalFlatDispute => "Tranh chấp vùng triều nuôi trồng thủy sản",
        C::FamilyDispute => "Mâu thuẫn trong gia đình, dòng họ",
        C::NeighbourDispute => "Mâu thuẫn giữa các hộ liền kề",
        _ => "Vụ việc khác về ANTT",
    }
}
