//! The team as GetTeam shows it: standing, members and every term each served.

use std::collections::BTreeMap;

use antt_domain::team;
use antt_domain::timeline::Entry;
use antt_domain::DomainEvent;
use antt_proto::v1 as pb;

use crate::persons::NameLookup;

/// The team as GetTeam shows it, folded from the team's events in valid-time order. Kept
/// apart from [`team::State`], which holds only what the rules need (no role history).
#[derive(Default)]
pub(crate) struct TeamViewBuilder {
    established: bool,
    view: pb::TeamView,
    members: BTreeMap<String, pb::TeamMemberView>,
}

impl TeamViewBuilder {
    /// The view folded from `entries`, a team's timeline up to some day.
    pub(crate) fn of(entries: &[Entry<team::Event>]) -> Self {
        let mut builder = TeamViewBuilder::default();
        for entry in entries {
            builder.apply(&entry.event);
        }
        builder
    }

    fn apply(&mut self, event: &team::Event) {
        let on = Some(event.effective_date().to_proto());
        match event {
            team::Event::Established(e) => {
                self.established = true;
                self.view.team_id = e.team_id.clone();
                self.view.name = e.name.clone();
                self.view.force_type = e.force_type;
                self.view.area_id = e.area_id.clone();
                self.view.sponsor_organisation = e.sponsor_organisation.clone();
                self.view.quota = e.quota;
                self.view.status = pb::TeamStatus::Active.into();
                self.view.established_on = on;
                self.view.managing_level = e.managing_level;
                self.view.managing_body = e.managing_body.clone();
                self.view.formed_from_team_ids = e.formed_from_team_ids.clone();
            }
            team::Event::QuotaChanged(e) => self.view.quota = e.new_quota,
            team::Event::GroupHouseholdsRecorded(e) => self.view.households = Some(e.households),
            team::Event::Restructured(e) => {
                for carried in &e.carried_over {
                    let member = self.end_term(&carried.person_id, on, pb::TermEnd::CarriedOver);
                    member.carried_over_to_team_id = carried.successor_team_id.clone();
                }
                if e.team_ends {
                    self.release_active(on);
                } else {
                    for person_id in &e.released_person_ids {
                        self.end_term(person_id, on, pb::TermEnd::Released);
                    }
                }
                for successor in &e.successor_team_ids {
                    if !self.view.successor_team_ids.contains(successor) {
                        self.view.successor_team_ids.push(successor.clone());
                    }
                }
                if e.team_ends {
                    self.view.status = pb::TeamStatus::Restructured.into();
                    self.view.ended_on = on;
                }
            }
            team::Event::MembersTransferredIn(e) => {
                for transferred in &e.members {
                    let member = self.start_term(
                        &transferred.person_id,
                        transferred.role,
                        on,
                        pb::TermStart::TransferredIn,
                        e.decision.clone(),
                    );
                    member.received_from_team_id = e.from_team_id.clone();
                }
            }
            team::Event::HandedOver(e) => {
                self.view.managing_level = e.to_managing_level;
                self.view.managing_body = e.to_managing_body.clone();
            }
            team::Event::Dissolved(_) => {
                self.release_active(on);
                self.view.status = pb::TeamStatus::Dissolved.into();
                self.view.ended_on = on;
            }
            team::Event::MemberNominated(e) => {
                let member = self.member(&e.person_id);
                member.status = pb::MemberStatus::Nominated.into();
                member.status_since = on;
                member.nominated_by = e.nominated_by.clone();
                member.vetting_outcome = pb::VettingOutcome::Unspecified.into();
                member.vetted_by.clear();
            }
            team::Event::MemberVetted(e) => {
                let member = self.member(&e.person_id);
                member.status = match e.outcome() {
                    pb::VettingOutcome::Passed => pb::MemberStatus::VettingPassed,
                    _ => pb::MemberStatus::VettingFailed,
                }
                .into();
                member.status_since = on;
                member.vetting_outcome = e.outcome;
                member.vetted_by = e.vetted_by.clone();
            }
            team::Event::MemberAppointed(e) => {
                self.start_term(&e.person_id, e.role, on, pb::TermStart::Appointed, e.decision.clone());
            }
            team::Event::MemberRoleChanged(e) => {
                self.end_term(&e.person_id, on, pb::TermEnd::RoleChanged);
                self.start_term(
                    &e.person_id,
                    e.new_role,
                    on,
                    pb::TermStart::RoleChanged,
                    e.decision.clone(),
                );
            }
            team::Event::MemberLeft(e) => {
                let member = self.end_term(&e.person_id, on, pb::TermEnd::Left);
                member.leave_reason = e.reason;
            }
            team::Event::MemberReplaced(e) => {
                self.member(&e.leaver_person_id).replaced_by_person_id = e.successor_person_id.clone();
                let member = self.start_term(
                    &e.successor_person_id,
                    e.role,
                    on,
                    pb::TermStart::Replacement,
                    e.decision.clone(),
                );
                member.replaces_person_id = e.leaver_person_id.clone();
            }
            // History for reports; the view shows standing and roles.
            team::Event::MemberTrained(_) | team::Event::MemberEvaluated(_) | team::Event::AllowancePaid(_) => {}
        }
    }

    /// Releases whoever is active on `on`, the day the team ends, as the domain does: the
    /// event's list is only who was known active when the end was recorded, and a term
    /// typed in later for an earlier date must end (or not) by what was true that day.
    fn release_active(&mut self, on: Option<pb::Date>) {
        let active: Vec<String> = self
            .members
            .values()
            .filter(|member| member.status() == pb::MemberStatus::Active)
            .map(|member| member.person_id.clone())
            .collect();
        for person_id in active {
            self.end_term(&person_id, on, pb::TermEnd::Released);
        }
    }

    fn member(&mut self, person_id: &str) -> &mut pb::TeamMemberView {
        self.members
            .entry(person_id.to_string())
            .or_insert_with(|| pb::TeamMemberView {
                person_id: person_id.to_string(),
                ..pb::TeamMemberView::default()
            })
    }

    fn start_term(
        &mut self,
        person_id: &str,
        role: i32,
        on: Option<pb::Date>,
        started_by: pb::TermStart,
        decision: Option<pb::DecisionRef>,
    ) -> &mut pb::TeamMemberView {
        let member = self.member(person_id);
        if member.status() != pb::MemberStatus::Active {
            // A new stint: what described the last departure or arrival no longer holds.
            member.leave_reason = pb::LeaveReason::Unspecified.into();
            member.carried_over_to_team_id.clear();
            member.received_from_team_id.clear();
            member.replaces_person_id.clear();
            member.replaced_by_person_id.clear();
        }
        member.status = pb::MemberStatus::Active.into();
        member.role = role;
        member.status_since = on;
        member.terms.push(pb::MemberTerm {
            role,
            started_by: started_by.into(),
            from: on,
            until: None,
            ended_by: pb::TermEnd::Ongoing.into(),
            decision,
        });
        member
    }

    fn end_term(&mut self, person_id: &str, on: Option<pb::Date>, ended_by: pb::TermEnd) -> &mut pb::TeamMemberView {
        let member = self.member(person_id);
        if let Some(term) = member.terms.last_mut().filter(|term| term.until.is_none()) {
            term.until = on;
            term.ended_by = ended_by.into();
        }
        if ended_by != pb::TermEnd::RoleChanged {
            member.status = pb::MemberStatus::Left.into();
            member.status_since = on;
        }
        member
    }

    /// Whether the team was established: a stream without that is no team.
    pub(crate) fn is_established(&self) -> bool {
        self.established
    }

    /// Everyone the view lists, whose names it shows.
    pub(crate) fn person_ids(&self) -> Vec<String> {
        self.members.keys().cloned().collect()
    }

    pub(crate) fn finish(mut self, version: u64, names: &BTreeMap<String, NameLookup>) -> pb::TeamView {
        let mut active = 0u32;
        for (person_id, mut member) in self.members {
            if member.status() == pb::MemberStatus::Active {
                active = active.saturating_add(1);
            }
            if let Some(lookup) = names.get(&person_id) {
                member.display_name = lookup.display_name.clone();
                member.erased = lookup.erased;
            }
            self.view.members.push(member);
        }
        self.view.active_member_count = active;
        self.view.stream_version = version;
        self.view
    }
}

#[cfg(test)]
mod tests {
    use antt_domain::Date;

    use super::*;

    fn date(year: i32, month: u32, day: u32) -> Option<pb::Date> {
        Some(pb::Date { year, month, day })
    }

    #[test]
    fn the_view_keeps_role_history_and_links_replacements() {
        let appointed = |person: &str, role: pb::MemberRole, day| {
            team::Event::MemberAppointed(pb::MemberAppointed {
                team_id: "t".into(),
                person_id: person.into(),
                role: role.into(),
                effective_date: date(2020, 1, day),
                decision: None,
            })
        };
        let mut builder = TeamViewBuilder::default();
        for event in [
            team::Event::Established(pb::TeamEstablished {
                team_id: "t".into(),
                quota: Some(3),
                effective_date: date(2020, 1, 1),
                ..Default::default()
            }),
            appointed("a", pb::MemberRole::Member, 2),
            team::Event::MemberRoleChanged(pb::MemberRoleChanged {
                person_id: "a".into(),
                previous_role: pb::MemberRole::Member.into(),
                new_role: pb::MemberRole::Leader.into(),
                effective_date: date(2020, 1, 3),
                ..Default::default()
            }),
            team::Event::MemberLeft(pb::MemberLeft {
                person_id: "a".into(),
                reason: pb::LeaveReason::Relocated.into(),
                effective_date: date(2020, 1, 4),
                ..Default::default()
            }),
            team::Event::MemberReplaced(pb::MemberReplaced {
                leaver_person_id: "a".into(),
                successor_person_id: "b".into(),
                role: pb::MemberRole::Leader.into(),
                effective_date: date(2020, 1, 5),
                ..Default::default()
            }),
        ] {
            builder.apply(&event);
        }
        let view = builder.finish(4, &BTreeMap::new());
        assert_eq!(view.active_member_count, 1);
        assert_eq!(view.quota, Some(3));
        let a = &view.members[0];
        assert_eq!(a.status(), pb::MemberStatus::Left);
        assert_eq!(a.leave_reason(), pb::LeaveReason::Relocated);
        assert_eq!(a.replaced_by_person_id, "b");
        let ends: Vec<pb::TermEnd> = a.terms.iter().map(pb::MemberTerm::ended_by).collect();
        assert_eq!(ends, [pb::TermEnd::RoleChanged, pb::TermEnd::Left]);
        assert_eq!(a.terms[1].until, date(2020, 1, 4));
        let b = &view.members[1];
        assert_eq!(b.replaces_person_id, "a");
        assert_eq!(b.terms[0].started_by(), pb::TermStart::Replacement);
    }

    #[test]
    fn a_dissolution_releases_whoever_is_active_on_its_day() {
        let appointed = |person: &str, on| {
            team::Event::MemberAppointed(pb::MemberAppointed {
                person_id: person.into(),
                role: pb::MemberRole::Member.into(),
                effective_date: on,
                ..Default::default()
            })
        };
        // In recording order: "b" joined and "a" left before the dissolution, but both
        // were typed in after it, so its payload names "a" as the one released.
        let events = [
            team::Event::Established(pb::TeamEstablished {
                team_id: "t".into(),
                effective_date: date(2020, 1, 1),
                ..Default::default()
            }),
            appointed("a", date(2020, 1, 2)),
            team::Event::Dissolved(pb::TeamDissolved {
                released_person_ids: vec!["a".into()],
                effective_date: date(2020, 6, 1),
                ..Default::default()
            }),
            appointed("b", date(2020, 2, 1)),
            team::Event::MemberLeft(pb::MemberLeft {
                person_id: "a".into(),
                reason: pb::LeaveReason::Resigned.into(),
                effective_date: date(2020, 5, 1),
                ..Default::default()
            }),
        ];
        let timeline = antt_domain::timeline_of::<team::Team>(&events);
        let view = TeamViewBuilder::of(timeline.entries()).finish(4, &BTreeMap::new());
        let ended_by = |person: &str| {
            let member = view.members.iter().find(|m| m.person_id == person).unwrap();
            (member.terms[0].ended_by(), member.terms[0].until)
        };
        assert_eq!(ended_by("a"), (pb::TermEnd::Left, date(2020, 5, 1)));
        assert_eq!(ended_by("b"), (pb::TermEnd::Released, date(2020, 6, 1)));
        assert_eq!(view.active_member_count, 0);

        let before = TeamViewBuilder::of(timeline.as_of(Date::new(2020, 3, 1).unwrap())).finish(4, &BTreeMap::new());
        assert_eq!(before.status(), pb::TeamStatus::Active);
        assert_eq!(before.active_member_count, 2);
    }
}
