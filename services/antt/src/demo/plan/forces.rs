//! Forces and their members: the 27 steering committees, the 234 village sub-committees
//! and protection teams, the social security groups, the self-management models; every
//! member a registered person, every term begun by an appointment or a replacement and
//! ended by a departure, on the day the report puts it in (see [`crate::demo::figures`]).
//!
//! A team's commands form one chain in date order, so that the server judges each against
//! the team as it stood that day and nothing later contradicts it.

use antt_domain::Date;
use antt_proto::v1 as pb;
use uuid::Uuid;

use super::areas::KEY_COMPLEX;
use super::{header, on, on_tuple, plus, share, spread, Builder, Request, Step};
use crate::demo::figures::{self, ModelScope, MODELS};
use crate::demo::identity::record_id;
use crate::demo::names::{Gender, Profile};

/// What later sections need to know of the forces: who held a seat on a day, which team
/// works in an area.
#[derive(Default)]
pub(super) struct Forces {
    pub committees: Vec<Committee>,
    /// By residential area.
    pub protection_teams: Vec<ProtectionTeam>,
    pub groups: Vec<Group>,
}

/// A steering committee and the holders of its two seats over time.
pub(super) struct Committee {
    pub team: Uuid,
    /// (from, person): the head (trưởng ban) and the deputy (phó ban), oldest first.
    pub heads: Vec<(Date, Uuid)>,
    pub deputies: Vec<(Date, Uuid)>,
}

impl Committee {
    /// Who held the seat on `day`.
    pub fn holder(terms: &[(Date, Uuid)], day: Date) -> Option<Uuid> {
        terms
            .iter()
            .rev()
            .find(|(from, _)| *from <= day)
            .map(|(_, person)| *person)
    }
}

pub(super) struct ProtectionTeam {
    pub team: Uuid,
    /// The village police officer (công an viên), leader throughout.
    pub leader: Uuid,
}

pub(super) struct Group {
    pub team: Uuid,
    pub residential: usize,
    /// The first leader, appointed in 2008.
    pub leader: Uuid,
}

/// Sub-committees are set up "từ đầu năm 2008"; protection teams and groups follow the
/// province's Quyết định 378/QĐ-UBND of 14/02/2008. Days not in the report.
const POLICE_OFFICERS_FROM: (i32, u32, u32) = (2008, 3, 1);
const SUB_COMMITTEES_FORMED: (i32, u32, u32) = (2008, 4, 25);
const PROTECTION_TEAMS_FORMED: (i32, u32, u32) = (2008, 6, 10);
const GROUPS_FORMED: (i32, u32, u32) = (2008, 6, 20);
const GROUP_HOUSEHOLDS_COUNTED: (i32, u32, u32) = (2008, 6, 30);
const GROUP_HOUSEHOLDS_RECOUNTED: (i32, u32, u32) = (2018, 5, 31);
/// Village militia heads in office before they became the teams' deputies.
const MILITIA_HEADS_FROM: (i32, u32, u32) = (2011, 1, 10);
/// After Thông tư 23/2012/TT-BCA (27/4/2012): principals and heads of agencies and
/// enterprises join the commune's committee, commune by commune from this day.
const UNIT_HEADS_JOIN: (i32, u32, u32) = (2012, 6, 20);
/// The Party secretary takes the chair of a key complex commune's committee this many
/// days after the designation.
const SECRETARY_AFTER_DESIGNATION_DAYS: i64 = 14;
/// Groups split off 2014–2016 ("tách, nhập, điều chỉnh"): the day, and the group split.
const NEW_GROUPS: [((i32, u32, u32), usize); 3] = [((2014, 5, 20), 100), ((2015, 6, 15), 600), ((2016, 4, 10), 1100)];

/// A member replaced: who leaves, who follows (in the leaver's role unless one is named),
/// why, on which day and by which decision; `step` names it among the team's commands.
struct Replacement<'a> {
    step: &'a str,
    leaver: Uuid,
    successor: Uuid,
    role: Option<pb::MemberRole>,
    reason: pb::LeaveReason,
    day: Date,
    decision: &'a pb::DecisionRef,
}

/// A replacement in a steering committee: who leaves which seat on which day.
struct SeatChange {
    day: Date,
    committee: usize,
    seat: usize,
    retired: bool,
}

impl Builder {
    pub(super) fn plan_forces(&mut self) {
        self.plan_committees();
        self.plan_village_forces();
        self.plan_groups();
        self.plan_models();
    }

    fn commune_address(&self, commune: usize) -> String {
        format!("{}, huyện Nga Sơn, tỉnh Thanh Hóa", self.communes[commune].lower())
    }

    fn establish(
        &mut self,
        team: Uuid,
        day: Date,
        decision: Option<pb::DecisionRef>,
        request: pb::EstablishTeamRequest,
    ) {
        self.teams.push(Step {
            what: format!("team {}", request.name),
            request: Request::EstablishTeam(pb::EstablishTeamRequest {
                header: header(team, "establish", day, decision),
                team_id: team.to_string(),
                ..request
            }),
        });
    }

    /// A team of the government in `area`, managed by the commune.
    fn commune_team(&self, name: String, force: pb::ForceType, area: Uuid, commune: usize) -> pb::EstablishTeamRequest {
        pb::EstablishTeamRequest {
            name,
            force_type: force.into(),
            area_id: area.to_string(),
            managing_level: pb::AreaLevel::Commune.into(),
            managing_body: format!("UBND {}", self.communes[commune].lower()),
            ..Default::default()
        }
    }

    fn appoint(
        &mut self,
        team: Uuid,
        step: &str,
        person: Uuid,
        role: pb::MemberRole,
        day: Date,
        decision: &pb::DecisionRef,
    ) {
        self.team_step(
            team,
            day,
            Step {
                what: format!("appointment {step} in team {team}"),
                request: Request::AppointMember(pb::AppointMemberRequest {
                    header: header(team, step, day, Some(decision.clone())),
                    team_id: team.to_string(),
                    person_id: person.to_string(),
                    role: role.into(),
                    term_end: None,
                    term_end_reason: pb::LeaveReason::Unspecified.into(),
                }),
            },
        );
    }

    /// The leaver leaves and the successor takes their place the same day, by one decision.
    fn replace(&mut self, team: Uuid, replacement: Replacement<'_>) {
        let Replacement {
            step,
            leaver,
            successor,
            role,
            reason,
            day,
            decision,
        } = replacement;
        self.team_step(
            team,
            day,
            Step {
                what: format!("departure {step} in team {team}"),
                request: Request::MemberLeaves(pb::MemberLeavesRequest {
                    header: header(team, &format!("leave:{step}"), day, Some(decision.clone())),
                    team_id: team.to_string(),
                    person_id: leaver.to_string(),
                    reason: reason.into(),
                }),
            },
        );
        self.team_step(
            team,
            day,
            Step {
                what: format!("replacement {step} in team {team}"),
                request: Request::ReplaceMember(pb::ReplaceMemberRequest {
                    header: header(team, &format!("replace:{step}"), day, Some(decision.clone())),
                    team_id: team.to_string(),
                    leaver_person_id: leaver.to_string(),
                    successor_person_id: successor.to_string(),
                    role: role.unwrap_or(pb::MemberRole::Unspecified).into(),
                }),
            },
        );
    }

    /// 27 committees of 501 formed on 25/5/2008; 463 replacements; 112 members added in
    /// 2012; the Party secretary in the chair of the key complex communes.
    fn plan_committees(&mut self) {
        let formed = on_tuple(figures::COMMITTEES_FORMED);
        let decision_710 = pb::DecisionRef {
            number: "710/QĐ-UBND".to_owned(),
            issued_by: "Chủ tịch UBND huyện Nga Sơn".to_owned(),
            issued_on: Some(formed.to_proto()),
        };
        let communes = u32::try_from(self.communes.len()).unwrap_or(u32::MAX);
        // holders[c][seat]: (generation, person) now, while planning in date order.
        let mut holders: Vec<Vec<(u32, Uuid)>> = Vec::new();
        for c in 0..self.communes.len() {
            let commune = self.communes[c].clone();
            let team = record_id(&format!("team:committee:{}", commune.name));
            let request = self.commune_team(
                format!("Ban chỉ đạo ANTT {}", commune.lower()),
                pb::ForceType::SteeringCommittee,
                commune.id,
                c,
            );
            self.establish(team, formed, Some(decision_710.clone()), request);
            let size = share(figures::COMMITTEE_MEMBERS_2008, communes, c as u32) as usize;
            let mut seats = Vec::with_capacity(size);
            for seat in 0..size {
                let role = match seat {
                    0 => pb::MemberRole::Leader,
                    1 => pb::MemberRole::Deputy,
                    _ => pb::MemberRole::Member,
                };
                let person = self.committee_person(c, &format!("committee:{c}:{seat}:0"), formed);
                self.appoint(team, &format!("appoint:{seat}:0"), person, role, formed, &decision_710);
                seats.push((0, person));
            }
            self.forces.committees.push(Committee {
                team,
                heads: vec![(formed, seats[0].1)],
                deputies: vec![(formed, seats[1].1)],
            });
            holders.push(seats);
        }

        let changes = committee_changes(&holders);
        // The key complex communes: the day the secretary takes the chair, on no day of a
        // replacement in that committee (the chairman must still be serving).
        let mut secretary_days: Vec<(usize, Date)> = Vec::new();
        for key in &KEY_COMPLEX {
            let Some(c) = self.commune_index(key.commune) else {
                continue;
            };
            let mut day = plus(on_tuple(key.designated), SECRETARY_AFTER_DESIGNATION_DAYS);
            while changes.iter().any(|change| change.committee == c && change.day == day) {
                day = plus(day, 1);
            }
            secretary_days.push((c, day));
        }
        for change in &changes {
            let c = change.committee;
            let commune = self.communes[c].clone();
            let team = self.forces.committees[c].team;
            let (generation, leaver) = holders[c][change.seat];
            let next = generation + 1;
            let successor = self.committee_person(c, &format!("committee:{c}:{}:{next}", change.seat), change.day);
            let decision = self.decision(&commune.chairman(), "QĐ-UBND", change.day);
            let reason = if change.retired {
                pb::LeaveReason::Retired
            } else {
                pb::LeaveReason::Transferred
            };
            self.replace(
                team,
                Replacement {
                    step: &format!("{}:{next}", change.seat),
                    leaver,
                    successor,
                    role: None,
                    reason,
                    day: change.day,
                    decision: &decision,
                },
            );
            holders[c][change.seat] = (next, successor);
            // Seat 0 of a key complex commune is an ordinary member's once the secretary
            // took the chair: its later replacements do not change the head.
            let chair_taken = secretary_days.iter().any(|(key, day)| *key == c && *day < change.day);
            match change.seat {
                0 if !chair_taken => self.forces.committees[c].heads.push((change.day, successor)),
                1 => self.forces.committees[c].deputies.push((change.day, successor)),
                _ => {}
            }
        }

        // 2012: the heads of the schools, agencies and enterprises of the commune join.
        let units = self.units.clone();
        for (index, unit) in units.iter().enumerate() {
            let c = unit.commune;
            let day = plus(on_tuple(UNIT_HEADS_JOIN), c as i64);
            let commune = self.communes[c].clone();
            let person = self.committee_person(c, &format!("unit-head:{}", unit.name), day);
            let decision = self.decision(&commune.chairman(), "QĐ-UBND", day);
            let team = self.forces.committees[c].team;
            self.appoint(
                team,
                &format!("appoint:unit:{index}"),
                person,
                pb::MemberRole::Member,
                day,
                &decision,
            );
        }

        // The Party secretary chairs the committee of a key complex commune; the chairman
        // (whoever holds seat 0 that day) stays on as a member.
        for (c, day) in secretary_days {
            let commune = self.communes[c].clone();
            let team = self.forces.committees[c].team;
            let chairman = holder_on(&changes, c, 0, day);
            let decision = self.decision(&commune.chairman(), "QĐ-UBND", day);
            self.team_step(
                team,
                day,
                Step {
                    what: format!("chairman of {} becomes a member", commune.name),
                    request: Request::ChangeMemberRole(pb::ChangeMemberRoleRequest {
                        header: header(team, "chair-to-member", day, Some(decision.clone())),
                        team_id: team.to_string(),
                        person_id: chairman.to_string(),
                        new_role: pb::MemberRole::Member.into(),
                    }),
                },
            );
            let secretary = self.committee_person(c, &format!("committee:{c}:secretary"), day);
            self.appoint(
                team,
                "appoint:secretary",
                secretary,
                pb::MemberRole::Leader,
                day,
                &decision,
            );
            self.forces.committees[c].heads.push((day, secretary));
            self.forces.committees[c].heads.sort_by_key(|(from, _)| *from);
        }
    }

    fn committee_person(&mut self, commune: usize, name: &str, day: Date) -> Uuid {
        let profile = Profile {
            gender: Gender::Any,
            born: (1955, 1982),
            address: self.commune_address(commune),
            party_member: true,
        };
        self.person(name, &profile, day)
    }

    /// Per residential area: the village police officer (leader of the protection team,
    /// deputy of the sub-committee), the village head, the sub-committee, the protection
    /// team of 3 and its 2013 restructuring.
    fn plan_village_forces(&mut self) {
        let officers_from = on_tuple(POLICE_OFFICERS_FROM);
        let sub_committees_formed = on_tuple(SUB_COMMITTEES_FORMED);
        let teams_formed = on_tuple(PROTECTION_TEAMS_FORMED);
        let militia_from = on_tuple(MILITIA_HEADS_FROM);
        for t in 0..self.residential.len() {
            let area = self.residential[t].clone();
            let c = area.commune;
            let commune = self.communes[c].clone();
            let place = self.residential_name(t);
            let address = self.address(t);
            let officer = self.person(
                &format!("police-officer:{t}"),
                &Profile {
                    gender: Gender::Male,
                    born: (1965, 1985),
                    address: address.clone(),
                    party_member: true,
                },
                officers_from,
            );
            let decision = self.decision(&commune.chairman(), "QĐ-UBND", officers_from);
            self.take_office(
                &format!("police-officer:{t}"),
                officer,
                area.id,
                pb::OfficeKind::VillagePoliceOfficer,
                officers_from,
                decision,
            );

            let head = self.person(
                &format!("village-head:{t}"),
                &Profile {
                    gender: Gender::Any,
                    born: (1950, 1975),
                    address: address.clone(),
                    party_member: true,
                },
                sub_committees_formed,
            );
            let sub_committee = record_id(&format!("team:sub-committee:{t}"));
            let request = self.commune_team(
                format!("Tiểu ban chỉ đạo ANTT {place}"),
                pb::ForceType::VillageSubCommittee,
                area.id,
                c,
            );
            self.establish(sub_committee, sub_committees_formed, None, request);
            let decision = self.decision(&commune.chairman(), "QĐ-UBND", sub_committees_formed);
            self.appoint(
                sub_committee,
                "appoint:head",
                head,
                pb::MemberRole::Leader,
                sub_committees_formed,
                &decision,
            );
            self.appoint(
                sub_committee,
                "appoint:officer",
                officer,
                pb::MemberRole::Deputy,
                sub_committees_formed,
                &decision,
            );

            let team = record_id(&format!("team:protection:{t}"));
            let mut request = self.commune_team(
                format!("Tổ bảo vệ ANTT {place}"),
                pb::ForceType::SecurityProtectionTeam,
                area.id,
                c,
            );
            request.quota = Some(3);
            self.establish(team, teams_formed, None, request);
            let profile = Profile {
                gender: Gender::Male,
                born: (1960, 1988),
                address: address.clone(),
                party_member: false,
            };
            let deputy = self.person(&format!("protection:{t}:deputy"), &profile, teams_formed);
            let member = self.person(&format!("protection:{t}:member"), &profile, teams_formed);
            let decision = self.decision(&commune.chairman(), "QĐ-UBND", teams_formed);
            self.appoint(
                team,
                "appoint:leader",
                officer,
                pb::MemberRole::Leader,
                teams_formed,
                &decision,
            );
            self.appoint(
                team,
                "appoint:deputy",
                deputy,
                pb::MemberRole::Deputy,
                teams_formed,
                &decision,
            );
            self.appoint(
                team,
                "appoint:member",
                member,
                pb::MemberRole::Member,
                teams_formed,
                &decision,
            );

            // 2013, Quyết định 4191/QĐ-UBND: the village militia head becomes the deputy.
            let militia = self.person(&format!("militia-head:{t}"), &profile, militia_from);
            let decision = self.decision(&commune.chairman(), "QĐ-UBND", militia_from);
            self.take_office(
                &format!("militia-head:{t}"),
                militia,
                area.id,
                pb::OfficeKind::VillageMilitiaHead,
                militia_from,
                decision,
            );
            let day = plus(on(figures::PROTECTION_TEAMS_RESTRUCTURED, 3, 4), 2 * c as i64);
            let decision = self.decision(&commune.chairman(), "QĐ-UBND", day);
            self.replace(
                team,
                Replacement {
                    step: "deputy:2013",
                    leaver: deputy,
                    successor: militia,
                    role: Some(pb::MemberRole::Deputy),
                    reason: pb::LeaveReason::Dismissed,
                    day,
                    decision: &decision,
                },
            );
            self.forces
                .protection_teams
                .push(ProtectionTeam { team, leader: officer });
        }
    }

    fn take_office(
        &mut self,
        name: &str,
        person: Uuid,
        area: Uuid,
        kind: pb::OfficeKind,
        day: Date,
        decision: pb::DecisionRef,
    ) {
        let tenure = record_id(&format!("office:{name}"));
        self.record_chains.push(vec![Step {
            what: format!("office {name}"),
            request: Request::TakeOffice(pb::TakeOfficeRequest {
                header: header(tenure, "take", day, Some(decision)),
                tenure_id: tenure.to_string(),
                person_id: person.to_string(),
                area_id: area.to_string(),
                kind: kind.into(),
                organisation: String::new(),
                office_name: String::new(),
            }),
        }]);
    }

    /// 1,242 groups of a leader and a deputy in 2008 and their households; 997 of them
    /// replaced in 517 groups; 3 groups split off; the households recounted in 2018.
    fn plan_groups(&mut self) {
        let formed = on_tuple(GROUPS_FORMED);
        let counted = on_tuple(GROUP_HOUSEHOLDS_COUNTED);
        for t in 0..self.residential.len() {
            let groups_here = if t % 13 < 4 { 6 } else { 5 };
            for number in 1..=groups_here {
                self.group(t, number, formed, None);
            }
        }
        let groups_2008 = self.forces.groups.len();
        for (g, group) in self
            .forces
            .groups
            .iter()
            .enumerate()
            .map(|(g, group)| (g, group.team))
            .collect::<Vec<_>>()
        {
            let households = 26 + u32::from((g * 7) % groups_2008 < 777);
            self.households(group, "households:2008", households, counted);
        }

        // Replacements: event e is the leader (even e) or the deputy of group e / 2 for
        // the first 960, then the leader of one of 37 more groups; taken in a scrambled
        // order (e × 331 mod 997) and dated in that order through the years' table.
        let both = figures::GROUPS_WITH_BOTH_REPLACED as usize;
        let events = figures::GROUP_HEADS_REPLACED as usize;
        let mut order: Vec<usize> = (0..events).collect();
        order.sort_by_key(|e| (e * 331) % events);
        let mut generation = vec![[0u32; 2]; groups_2008];
        let mut position = 0;
        for (year, count) in figures::GROUP_REPLACEMENTS_BY_YEAR {
            for j in 0..count {
                let e = order[position];
                position += 1;
                let (consolidated, seat) = if e < 2 * both {
                    (e / 2, e % 2)
                } else {
                    (both + e - 2 * both, 0)
                };
                let g = (consolidated * 7 + 11) % groups_2008;
                let day = spread(on(year, 1, 15), on(year, 12, 10), j, count);
                let group = &self.forces.groups[g];
                let (team, t) = (group.team, group.residential);
                let role = ["leader", "deputy"][seat];
                let leaver = record_id(&format!("person:group:{g}:{role}:{}", generation[g][seat]));
                generation[g][seat] += 1;
                let next = generation[g][seat];
                let successor = self.group_person(t, &format!("group:{g}:{role}:{next}"), day);
                let commune = self.commune_of(t).clone();
                let decision = self.decision(&commune.chairman(), "QĐ-UBND", day);
                let reason = [
                    pb::LeaveReason::Resigned,
                    pb::LeaveReason::Relocated,
                    pb::LeaveReason::Retired,
                    pb::LeaveReason::TermEnded,
                ][e % 4];
                self.replace(
                    team,
                    Replacement {
                        step: &format!("{role}:{next}"),
                        leaver,
                        successor,
                        role: None,
                        reason,
                        day,
                        decision: &decision,
                    },
                );
            }
        }

        for (day, from) in NEW_GROUPS {
            let day = on_tuple(day);
            let old = &self.forces.groups[from];
            let (old_team, t) = (old.team, old.residential);
            let number = self.forces.groups.iter().filter(|group| group.residential == t).count() + 1;
            let new_team = self.group(t, number, day, Some(old_team));
            let commune = self.commune_of(t).clone();
            let decision = self.decision(&commune.chairman(), "QĐ-UBND", day);
            self.team_step(
                old_team,
                day,
                Step {
                    what: format!("split of group {old_team}"),
                    request: Request::RestructureTeam(pb::RestructureTeamRequest {
                        header: header(old_team, &format!("split:{new_team}"), day, Some(decision)),
                        team_id: old_team.to_string(),
                        kind: pb::RestructureKind::Split.into(),
                        successor_team_ids: vec![new_team.to_string()],
                        carried_over: Vec::new(),
                        team_ends: false,
                    }),
                },
            );
        }

        let recounted = on_tuple(GROUP_HOUSEHOLDS_RECOUNTED);
        let groups_2018 = self.forces.groups.len();
        for (g, group) in self
            .forces
            .groups
            .iter()
            .enumerate()
            .map(|(g, group)| (g, group.team))
            .collect::<Vec<_>>()
        {
            let households = 30 + u32::from((g * 7) % groups_2018 < 1096);
            self.households(group, "households:2018", households, recounted);
        }
    }

    /// Group `number` of residential area `t`, formed on `day` (from `formed_from` when
    /// split off), with its leader and deputy.
    fn group(&mut self, t: usize, number: usize, day: Date, formed_from: Option<Uuid>) -> Uuid {
        let g = self.forces.groups.len();
        let team = record_id(&format!("team:group:{g}"));
        let c = self.residential[t].commune;
        let mut request = self.commune_team(
            format!("Tổ ANXH số {number}, {}", self.residential_name(t)),
            pb::ForceType::SocialSecurityGroup,
            self.residential[t].id,
            c,
        );
        request.formed_from_team_ids = formed_from.iter().map(Uuid::to_string).collect();
        self.establish(team, day, None, request);
        let leader = self.group_person(t, &format!("group:{g}:leader:0"), day);
        let deputy = self.group_person(t, &format!("group:{g}:deputy:0"), day);
        let chairman = self.commune_of(t).chairman();
        let decision = self.decision(&chairman, "QĐ-UBND", day);
        self.appoint(team, "appoint:leader:0", leader, pb::MemberRole::Leader, day, &decision);
        self.appoint(team, "appoint:deputy:0", deputy, pb::MemberRole::Deputy, day, &decision);
        self.forces.groups.push(Group {
            team,
            residential: t,
            leader,
        });
        team
    }

    fn group_person(&mut self, t: usize, name: &str, day: Date) -> Uuid {
        let profile = Profile {
            gender: Gender::Any,
            born: (1950, 1985),
            address: self.address(t),
            party_member: false,
        };
        self.person(name, &profile, day)
    }

    fn households(&mut self, team: Uuid, step: &str, households: u32, day: Date) {
        self.team_step(
            team,
            day,
            Step {
                what: format!("households of group {team}"),
                request: Request::RecordGroupHouseholds(pb::RecordGroupHouseholdsRequest {
                    header: header(team, step, day, None),
                    team_id: team.to_string(),
                    households,
                    source: "Báo cáo số 55/BC-BCĐ".to_owned(),
                }),
            },
        );
    }

    /// The self-management models and clubs, each member appointed when the team was set up.
    fn plan_models(&mut self) {
        for (m, model) in MODELS.iter().enumerate() {
            // (area, commune, residential area if any)
            let places: Vec<(Uuid, usize, Option<usize>)> = match model.scope {
                ModelScope::EveryResidentialArea => self
                    .residential
                    .iter()
                    .enumerate()
                    .map(|(t, area)| (area.id, area.commune, Some(t)))
                    .collect(),
                ModelScope::EveryCommune => self
                    .communes
                    .iter()
                    .enumerate()
                    .map(|(c, commune)| (commune.id, c, None))
                    .collect(),
                ModelScope::Communes(n) => self
                    .communes
                    .iter()
                    .enumerate()
                    .take(n as usize)
                    .map(|(c, commune)| (commune.id, c, None))
                    .collect(),
            };
            let teams = u32::try_from(places.len()).unwrap_or(u32::MAX);
            let (gender, born) = match model.sponsor {
                "Hội Liên hiệp Phụ nữ" => (Gender::Female, (1955, 1992)),
                "Hội Cựu chiến binh" => (Gender::Male, (1940, 1965)),
                "Đoàn Thanh niên" => (Gender::Any, (1982, 1998)),
                _ => (Gender::Any, (1950, 1990)),
            };
            let form = match model.sponsor {
                "Hội Nông dân" => "QĐ-HND",
                "Đoàn Thanh niên" => "QĐ-ĐTN",
                "Hội Cựu chiến binh" => "QĐ-CCB",
                _ => "QĐ-HPN",
            };
            let (head, deputy) = if model.club {
                (pb::MemberRole::Chair, pb::MemberRole::ViceChair)
            } else {
                (pb::MemberRole::Leader, pb::MemberRole::Deputy)
            };
            for (i, (area, c, residential)) in places.into_iter().enumerate() {
                let day = plus(on_tuple(model.established), c as i64);
                let commune = self.communes[c].clone();
                let (place, address) = match residential {
                    Some(t) => (self.residential_name(t), self.address(t)),
                    None => (commune.lower(), self.commune_address(c)),
                };
                let sponsor = format!("{} {}", model.sponsor, commune.lower());
                let team = record_id(&format!("team:model:{m}:{i}"));
                self.establish(
                    team,
                    day,
                    None,
                    pb::EstablishTeamRequest {
                        name: format!("{} {place}", model.name),
                        force_type: pb::ForceType::SelfManagementModel.into(),
                        area_id: area.to_string(),
                        sponsor_organisation: sponsor.clone(),
                        managing_level: pb::AreaLevel::Commune.into(),
                        managing_body: sponsor.clone(),
                        ..Default::default()
                    },
                );
                let decision = self.decision(&format!("Ban Chấp hành {sponsor}"), form, day);
                let profile = Profile {
                    gender,
                    born,
                    address,
                    party_member: false,
                };
                for k in 0..share(model.members, teams, i as u32) {
                    let person = self.person(&format!("model:{m}:{i}:{k}"), &profile, day);
                    let role = match k {
                        0 => head,
                        1 => deputy,
                        _ => pb::MemberRole::Member,
                    };
                    self.appoint(team, &format!("appoint:{k}"), person, role, day, &decision);
                }
            }
        }
    }
}

/// The replacements in the steering committees, in date order: the years' counts spread
/// over each year (2018 up to May), the k-th one in committee (10k + 3) mod 27, in its
/// seats taken in turn (7r + 2 mod its size); every third one a retirement.
fn committee_changes(holders: &[Vec<(u32, Uuid)>]) -> Vec<SeatChange> {
    let communes = holders.len();
    let mut replaced_in = vec![0usize; communes];
    let mut changes = Vec::new();
    let mut k = 0usize;
    for (year, count) in figures::COMMITTEE_REPLACEMENTS_BY_YEAR {
        let (from, to) = if year == figures::REPORT_DAY.0 {
            (on(year, 1, 10), on(year, 5, 31))
        } else {
            (on(year, 1, 15), on(year, 12, 10))
        };
        for j in 0..count {
            let committee = (k * 10 + 3) % communes;
            let size = holders[committee].len();
            let seat = (replaced_in[committee] * 7 + 2) % size;
            replaced_in[committee] += 1;
            changes.push(SeatChange {
                day: spread(from, to, j, count),
                committee,
                seat,
                retired: k % 3 == 2,
            });
            k += 1;
        }
    }
    changes
}

/// Who held `seat` of committee `c` on `day`: the founding holder's successor through
/// every replacement of that seat dated before it, named by that generation.
fn holder_on(changes: &[SeatChange], c: usize, seat: usize, day: Date) -> Uuid {
    let generation = changes
        .iter()
        .filter(|change| change.committee == c && change.seat == seat && change.day < day)
        .count();
    record_id(&format!("person:committee:{c}:{seat}:{generation}"))
}
