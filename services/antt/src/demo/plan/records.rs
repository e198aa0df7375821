//! The report's other facts: directive documents, conferences and training classes (with
//! the commune steering committees' heads and deputies who attended the province's
//! classes), and awards.
//!
//! Documents the report cites are recorded as cited (công văn 407 and 416, Kế hoạch 05,
//! Quyết định 710, Kế hoạch 18/KH-BCĐ, Kế hoạch 49/KH-BCĐ, the report itself); the
//! others are counted by the report only, so their numbers, days and subjects are
//! synthetic.

use antt_domain::Date;
use antt_proto::v1 as pb;
use pb::grant_award_request::Recipient;
use uuid::Uuid;

use super::forces::Committee;
use super::{header, on, plus, share, spread, yearly, Builder, Request, Step};
use crate::demo::figures::{self, CONFERENCES};
use crate::demo::identity::record_id;

/// A document as the request needs it.
struct Document {
    key: String,
    kind: pb::DocumentKind,
    number: String,
    subject: String,
    issued_by: pb::BodyRef,
    topic: pb::DocumentTopic,
    years: Option<(i32, i32)>,
    issued_on: Date,
}

impl Builder {
    pub(super) fn plan_records(&mut self) {
        self.plan_documents();
        self.plan_composition();
        self.plan_conferences();
        self.plan_awards();
    }

    fn body(&self, kind: pb::BodyKind, name: &str, area: Option<Uuid>) -> pb::BodyRef {
        pb::BodyRef {
            kind: kind.into(),
            name: name.to_owned(),
            area_id: area.map(|id| id.to_string()).unwrap_or_default(),
        }
    }

    fn district_committee(&self) -> pb::BodyRef {
        self.body(
            pb::BodyKind::SteeringCommittee,
            "Ban chỉ đạo 138 huyện Nga Sơn",
            Some(self.district),
        )
    }

    fn document(&mut self, document: Document) {
        let id = record_id(&format!("document:{}", document.key));
        self.record_chains.push(vec![Step {
            what: format!("document {}", document.number),
            request: Request::RecordDocument(pb::RecordDocumentRequest {
                header: header(id, "record", document.issued_on, None),
                document_id: id.to_string(),
                kind: document.kind.into(),
                kind_name: String::new(),
                number: document.number,
                subject: document.subject,
                issued_by: Some(document.issued_by),
                topic: document.topic.into(),
                years: document
                    .years
                    .map(|(first_year, last_year)| pb::YearRange { first_year, last_year }),
            }),
        }]);
    }

    /// Quyết định 4191/QĐ-UBND as Thanh Hóa's composition policy for protection teams,
    /// in force from the 2013 restructuring: the leader is the village's công an viên, the
    /// deputy its thôn đội trưởng. Until a village's deputy gives way to the militia head
    /// (a few weeks of spring 2013), its team is flagged "không đúng cơ cấu".
    fn plan_composition(&mut self) {
        let id = record_id("composition:4191/QĐ-UBND");
        let from = on(figures::PROTECTION_TEAMS_RESTRUCTURED, 3, 4);
        let decision = pb::DecisionRef {
            number: "4191/QĐ-UBND".into(),
            issued_by: "Chủ tịch UBND tỉnh Thanh Hóa".into(),
            issued_on: Some(on(2012, 12, 10).to_proto()),
        };
        let seat = |role: pb::MemberRole, office: pb::OfficeKind| pb::RoleRequirement {
            role: role.into(),
            office: office.into(),
            place: pb::OfficePlace::TeamArea.into(),
        };
        self.record_chains.push(vec![Step {
            what: "composition policy 4191/QĐ-UBND".into(),
            request: Request::IssueCompositionPolicy(pb::IssueCompositionPolicyRequest {
                header: header(id, "issue", from, Some(decision)),
                policy_id: id.to_string(),
                province_area_id: self.province.to_string(),
                force_type: pb::ForceType::SecurityProtectionTeam.into(),
                scope: pb::CommuneScope::All.into(),
                requirements: vec![
                    seat(pb::MemberRole::Leader, pb::OfficeKind::VillagePoliceOfficer),
                    seat(pb::MemberRole::Deputy, pb::OfficeKind::VillageMilitiaHead),
                ],
                title: "Bố trí Thôn đội trưởng làm tổ phó tổ bảo vệ ANTT".into(),
            }),
        }]);
    }

    fn plan_documents(&mut self) {
        use pb::{BodyKind as B, DocumentKind as K, DocumentTopic as T};
        let province_chairman = self.body(B::PeoplesCommittee, "Chủ tịch UBND tỉnh Thanh Hóa", Some(self.province));
        let standing = self.body(B::PartyCommittee, "Ban Thường vụ Huyện ủy Nga Sơn", Some(self.district));
        let district_chairman = self.body(B::PeoplesCommittee, "Chủ tịch UBND huyện Nga Sơn", Some(self.district));
        let district_committee = self.district_committee();
        let province_committee = self.body(
            B::SteeringCommittee,
            "Ban chỉ đạo 138 tỉnh Thanh Hóa",
            Some(self.province),
        );
        let cited = [
            (
                "378/QĐ-UBND",
                K::Decision,
                "Quy định về tổ chức, chức năng, nhiệm vụ, quyền hạn của Ban chỉ đạo ANTT ở xã, phường, thị trấn, \
                 tổ bảo vệ ANTT thôn bản, khu phố và tổ chức nội dung hoạt động của tổ ANXH ở khu dân cư",
                province_chairman.clone(),
                T::Forces,
                on(2008, 2, 14),
            ),
            (
                "407/CV-HU",
                K::OfficialLetter,
                "Tăng cường lãnh đạo củng cố Ban chỉ đạo ANTT và các mô hình tự quản về ANTT ở cơ sở",
                standing.clone(),
                T::Forces,
                on(2008, 4, 2),
            ),
            (
                "416/CV-HU",
                K::OfficialLetter,
                "Chỉ đạo thực hiện Đề án 375, Chỉ thị số 10 của UBND tỉnh về xây dựng khu dân cư an toàn về ANTT",
                standing.clone(),
                T::SafeAreas,
                on(2008, 4, 7),
            ),
            (
                "05/KH-BCĐ",
                K::Plan,
                "Kế hoạch triển khai thực hiện Đề án 375, Chỉ thị số 10 của UBND tỉnh",
                district_committee.clone(),
                T::SafeAreas,
                on(2008, 4, 8),
            ),
            (
                "710/QĐ-UBND",
                K::Decision,
                "Thành lập Ban chỉ đạo ANTT của 27 xã, thị trấn",
                district_chairman.clone(),
                T::Forces,
                on(2008, 5, 25),
            ),
            // The report gives no day for 4191/QĐ-UBND; it was applied in 2013.
            (
                "4191/QĐ-UBND",
                K::Decision,
                "Bố trí Thôn đội trưởng làm tổ phó tổ bảo vệ ANTT",
                province_chairman,
                T::Forces,
                on(2012, 12, 10),
            ),
            (
                "18/KH-BCĐ",
                K::Plan,
                "Phát động phong trào toàn dân bảo vệ ANTQ trong vùng đồng bào có đạo Thiên chúa",
                district_committee.clone(),
                T::AllPeopleMovement,
                on(2014, 5, 30),
            ),
            (
                "49/KH-BCĐ",
                K::Plan,
                "Tổng kết 10 năm thực hiện Đề án 375, Chỉ thị số 10 của UBND tỉnh về xây dựng khu dân cư an toàn \
                 về ANTT, giai đoạn 2008-2018",
                province_committee,
                T::SafeAreas,
                on(2018, 3, 8),
            ),
            (
                "55/BC-BCĐ",
                K::Report,
                "Tổng kết 10 năm thực hiện Đề án 375, Chỉ thị số 10 của UBND tỉnh về xây dựng khu dân cư an toàn \
                 về ANTT (giai đoạn 2008-2018)",
                district_committee.clone(),
                T::SafeAreas,
                on(2018, 6, 12),
            ),
        ];
        for (number, kind, subject, issued_by, topic, issued_on) in cited {
            self.document(Document {
                key: format!("{}:{number}", issued_by.name),
                kind,
                number: number.to_owned(),
                subject: subject.to_owned(),
                issued_by,
                topic,
                years: Some((issued_on.year(), 2018)),
                issued_on,
            });
        }

        // The 79 documents of the Huyện ủy and the UBND huyện: 407, 416 and 710 above,
        // and 76 more over the decade.
        let district_party = self.body(B::PartyCommittee, "Huyện ủy Nga Sơn", Some(self.district));
        let district_government = self.body(B::PeoplesCommittee, "UBND huyện Nga Sơn", Some(self.district));
        let more = figures::DISTRICT_DOCUMENTS - 3;
        let subjects = [
            (
                K::Directive,
                T::SecurityAndOrder,
                "Tăng cường lãnh đạo công tác bảo đảm ANTT năm",
            ),
            (
                K::Plan,
                T::SafeAreas,
                "Mở đợt cao điểm xây dựng khu dân cư an toàn về ANTT năm",
            ),
            (
                K::OfficialLetter,
                T::CrimePrevention,
                "Tăng cường phòng ngừa, đấu tranh với tội phạm dịp Tết năm",
            ),
            (
                K::Guidance,
                T::SafeAreas,
                "Hướng dẫn bình xét khu dân cư, cơ quan, nhà trường an toàn về ANTT năm",
            ),
        ];
        for (k, (year, within, _)) in (0..more).zip(yearly(2008, 2018, more)) {
            let day = plus(on(year, 2, 10), i64::from(within) * 41);
            let (kind, topic, subject) = subjects[k as usize % subjects.len()];
            let (issuer, form) = match kind {
                K::Directive => (district_party.clone(), "CT/HU"),
                K::Plan => (district_government.clone(), "KH-UBND"),
                K::OfficialLetter => (district_government.clone(), "UBND-CA"),
                _ => (district_government.clone(), "HD-UBND"),
            };
            let number = self.decision(&issuer.name, form, day).number;
            self.document(Document {
                key: format!("district:{k}"),
                kind,
                number,
                subject: format!("{subject} {year}"),
                issued_by: issuer,
                topic,
                years: Some((year, year)),
                issued_on: day,
            });
        }

        // The commune steering committees' documents ("hơn một nghìn"), and each
        // commune Party committee's yearly resolution on defence and security.
        let per_commune = figures::COMMUNE_COMMITTEE_DOCUMENTS / figures::COMMUNES;
        for c in 0..self.communes.len() {
            let commune = self.communes[c].clone();
            let committee = self.body(
                B::SteeringCommittee,
                &format!("Ban chỉ đạo ANTT {}", commune.lower()),
                Some(commune.id),
            );
            for (k, (year, _, _)) in (0..per_commune).zip(yearly(2008, 2018, per_commune)) {
                let day = plus(on(year, 1, 20), i64::from((k * 83 + c as u32 * 5) % 320));
                let (kind, form, subject) = match k % 3 {
                    0 => (K::Plan, "KH-BCĐ", "Kế hoạch xây dựng khu dân cư an toàn về ANTT năm"),
                    1 => (
                        K::Guidance,
                        "HD-BCĐ",
                        "Hướng dẫn hoạt động của tổ bảo vệ ANTT, tổ ANXH năm",
                    ),
                    _ => (
                        K::Report,
                        "BC-BCĐ",
                        "Báo cáo kết quả thực hiện Đề án 375, Chỉ thị số 10 năm",
                    ),
                };
                let number = self.decision(&committee.name, form, day).number;
                self.document(Document {
                    key: format!("commune:{c}:{k}"),
                    kind,
                    number,
                    subject: format!("{subject} {year}"),
                    issued_by: committee.clone(),
                    topic: T::SafeAreas,
                    years: Some((year, year)),
                    issued_on: day,
                });
            }
            let party = self.body(
                B::PartyCommittee,
                &format!("Đảng ủy {}", commune.lower()),
                Some(commune.id),
            );
            for year in 2009..=2018 {
                let day = plus(on(year, 1, 8), (c % 10) as i64);
                let number = self.decision(&party.name, "NQ/ĐU", day).number;
                self.document(Document {
                    key: format!("commune-resolution:{c}:{year}"),
                    kind: K::Resolution,
                    number,
                    subject: format!(
                        "Nghị quyết về nhiệm vụ quốc phòng – an ninh, xây dựng phong trào toàn dân bảo vệ ANTQ năm {year}"
                    ),
                    issued_by: party.clone(),
                    topic: T::DefenceAndSecurity,
                    years: Some((year, year)),
                    issued_on: day,
                });
            }
        }
    }

    fn plan_conferences(&mut self) {
        for (row, count) in CONFERENCES.iter().enumerate() {
            let slots = yearly(count.first_year, count.last_year, count.count);
            for (k, (year, in_year, per_year)) in (0..count.count).zip(slots) {
                let (organiser, area_index) = match count.level {
                    pb::AreaLevel::Province => (
                        self.body(
                            pb::BodyKind::SteeringCommittee,
                            "Ban chỉ đạo 138 tỉnh Thanh Hóa",
                            Some(self.province),
                        ),
                        0,
                    ),
                    pb::AreaLevel::District => (self.district_committee(), 0),
                    _ => {
                        let c = k as usize % self.communes.len();
                        let commune = &self.communes[c];
                        (
                            self.body(
                                pb::BodyKind::SteeringCommittee,
                                &format!("Ban chỉ đạo ANTT {}", commune.lower()),
                                Some(commune.id),
                            ),
                            c,
                        )
                    }
                };
                // Spread the year's meetings from March to November; 2008's from April,
                // after the district's plan of 08/4/2008.
                let (from, to) = if year == 2008 {
                    (on(2008, 4, 15), on(2008, 11, 30))
                } else {
                    (on(year, 3, 1), on(year, 11, 30))
                };
                let day = plus(spread(from, to, in_year, per_year), (area_index % 5) as i64);
                let training = count.kind == pb::ConferenceKind::TrainingClass;
                let id = record_id(&format!("conference:{row}:{k}"));
                let participants = (count.participants > 0).then(|| share(count.participants, count.count, k));
                let mut chain = vec![Step {
                    what: format!("conference {row}/{k}"),
                    request: Request::RecordConference(pb::RecordConferenceRequest {
                        header: header(id, "record", day, None),
                        conference_id: id.to_string(),
                        kind: count.kind.into(),
                        topic: count.topic.to_owned(),
                        organiser: Some(organiser),
                        last_day: training.then(|| plus(day, 2).to_proto()),
                        participants,
                    }),
                }];
                // The province's classes for the heads and deputies of the commune
                // committees: who held those seats on the day attended.
                if count.level == pb::AreaLevel::Province {
                    let attendees: Vec<String> = self
                        .forces
                        .committees
                        .iter()
                        .flat_map(|committee| {
                            [
                                Committee::holder(&committee.heads, day),
                                Committee::holder(&committee.deputies, day),
                            ]
                        })
                        .flatten()
                        .map(|person| person.to_string())
                        .collect();
                    chain.push(Step {
                        what: format!("attendees of conference {row}/{k}"),
                        request: Request::RecordConferenceAttendees(pb::RecordConferenceAttendeesRequest {
                            header: header(id, "attendees", day, None),
                            conference_id: id.to_string(),
                            person_ids: attendees,
                        }),
                    });
                }
                self.record_chains.push(chain);
            }
        }

        // Meetings of every residential area's sub-committee, open to the residents, once
        // a year 2009–2018.
        for t in 0..self.residential.len() {
            let place = self.residential_name(t);
            let organiser = self.body(
                pb::BodyKind::SteeringCommittee,
                &format!("Tiểu ban chỉ đạo ANTT {place}"),
                Some(self.residential[t].id),
            );
            for year in 2009..=2018 {
                let id = record_id(&format!("village-meeting:{t}:{year}"));
                let day = plus(on(year, 3, 10), (t % 60) as i64);
                self.record_chains.push(vec![Step {
                    what: format!("meeting {year} of {place}"),
                    request: Request::RecordConference(pb::RecordConferenceRequest {
                        header: header(id, "record", day, None),
                        conference_id: id.to_string(),
                        kind: pb::ConferenceKind::Conference.into(),
                        topic:
                            "Họp tiểu ban chỉ đạo ANTT thôn mở rộng đến nhân dân: bình xét khu dân cư an toàn về ANTT"
                                .to_owned(),
                        organiser: Some(organiser.clone()),
                        last_day: None,
                        participants: None,
                    }),
                }]);
            }
        }
    }

    fn plan_awards(&mut self) {
        let ministry = self.body(pb::BodyKind::Police, "Bộ Công an", None);
        let province = self.body(
            pb::BodyKind::PeoplesCommittee,
            "UBND tỉnh Thanh Hóa",
            Some(self.province),
        );
        let granters = [
            (ministry, "Bộ trưởng Bộ Công an", "QĐ-BCA"),
            (province, "Chủ tịch UBND tỉnh Thanh Hóa", "QĐ-UBND"),
        ];
        // Emulation flags to the communes the report holds up as examples.
        let flag_communes = ["Xã Nga Thái", "Xã Nga An", "Thị trấn Nga Sơn", "Xã Nga Thạch"];
        let mut awards: Vec<(String, pb::AwardKind, Recipient, i32)> = Vec::new();
        for (k, name) in flag_communes.iter().enumerate() {
            if let Some(c) = self.commune_index(name) {
                let year = 2011 + 2 * k as i32;
                awards.push((
                    format!("flag:{k}"),
                    pb::AwardKind::EmulationFlag,
                    Recipient::AreaId(self.communes[c].id.to_string()),
                    year,
                ));
            }
        }
        // Certificates of merit to collectives: communes, protection teams, groups.
        for k in 0..figures::COLLECTIVE_MERIT_CERTIFICATES as usize {
            let year = 2009 + (k % 9) as i32;
            let recipient = match k % 3 {
                0 => Recipient::AreaId(self.communes[(k * 5) % self.communes.len()].id.to_string()),
                1 => Recipient::TeamId(
                    self.forces.protection_teams[(k * 31) % self.forces.protection_teams.len()]
                        .team
                        .to_string(),
                ),
                _ => Recipient::TeamId(
                    self.forces.groups[(k * 97) % figures::GROUPS_2008 as usize]
                        .team
                        .to_string(),
                ),
            };
            awards.push((
                format!("collective:{k}"),
                pb::AwardKind::CertificateOfMerit,
                recipient,
                year,
            ));
        }
        // And to individuals: village police officers and group leaders of 2008.
        for k in 0..figures::INDIVIDUAL_MERIT_CERTIFICATES as usize {
            let year = 2009 + (k % 9) as i32;
            let person = if k % 2 == 0 {
                self.forces.protection_teams[(k * 13) % self.forces.protection_teams.len()].leader
            } else {
                self.forces.groups[(k * 41) % figures::GROUPS_2008 as usize].leader
            };
            awards.push((
                format!("individual:{k}"),
                pb::AwardKind::CertificateOfMerit,
                Recipient::PersonId(person.to_string()),
                year,
            ));
        }
        for (index, (key, kind, recipient, year)) in awards.into_iter().enumerate() {
            let (granted_by, signer, form) = granters[index % 2].clone();
            let day = plus(on(year, 8, 19), -((index % 20) as i64));
            let decision = self.decision(signer, form, day);
            let id = record_id(&format!("award:{key}"));
            self.record_chains.push(vec![Step {
                what: format!("award {key}"),
                request: Request::GrantAward(pb::GrantAwardRequest {
                    header: header(id, "grant", day, Some(decision)),
                    award_id: id.to_string(),
                    kind: kind.into(),
                    award_name: String::new(),
                    recipient: Some(recipient),
                    granted_by: Some(granted_by),
                    achievement: format!(
                        "Có thành tích xuất sắc trong phong trào toàn dân bảo vệ an ninh Tổ quốc năm {year}"
                    ),
                }),
            }]);
        }
    }
}
