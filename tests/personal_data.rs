//! End to end over gRPC: personal data is stored only encrypted and erased for good by
//! ForgetPerson (Decree 13/2023/NĐ-CP), without breaking the append-only log.
//!
//! Goal: a person registered with Vietnamese personal data reads back through GetPerson
//! and shows by name in GetTeam, while no event in the log holds any of the plaintext;
//! after ForgetPerson the data is gone from every API (also after a restart), the team
//! keeps the person's roles with the person marked erased, the erasure is itself an
//! event in the person's stream, and the whole hash chain still verifies.
//! Method: a real server; the log is read raw through the EventStore API and searched
//! byte for byte for the plaintext; the chain is recomputed from ReadAll.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use antt_e2e::v1::forces_client::ForcesClient;
use antt_e2e::v1::{
    AppointMemberRequest, CommandHeader, CorrectPersonDetailsRequest, Date, ForceType, ForgetPersonRequest,
    GetPersonRequest, GetTeamRequest, MemberRole, MemberStatus, PersonView, PersonalData, RecordedEvent,
    RegisterPersonRequest, TeamView, TermEnd,
};
use antt_e2e::{
    assert_chain, assert_field_violation, date, decided_by, header, new_id, read_all, read_stream,
    thanh_hoa_and_nga_thai, thon_8, thon_8_team_request, TestServer, GENESIS_HASH, NGA_THAI_CHAIRMAN,
};
use tonic::transport::Channel;
use tonic::Code;

type Forces = ForcesClient<Channel>;

fn decided(on: Date, number: &str) -> Option<CommandHeader> {
    decided_by(on, number, NGA_THAI_CHAIRMAN)
}

/// Personal data as a clerk in Nga Sơn would type it. The name arrives decomposed (the
/// way some keyboards send it) and is stored composed (NFC).
fn hung() -> PersonalData {
    PersonalData {
        full_name: "Nguye\u{0302}\u{0303}n Văn Hùng".into(),
        date_of_birth: Some(date(1975, 4, 30)),
        citizen_id: "038075001234".into(),
        phone: "0912 345 678".into(),
        address: "Thôn 8, xã Nga Thái, huyện Nga Sơn, tỉnh Thanh Hóa".into(),
        ethnicity: "Kinh".into(),
        religion: "Công giáo".into(),
        party_member: true,
    }
}

/// The strings that must never appear in clear in the log.
const SECRETS: [&str; 5] = [
    "Nguyễn Văn Hùng",
    "038075001234",
    "0912 345 678",
    "Thôn 8, xã Nga Thái",
    "Công giáo",
];

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|window| window == needle)
}

/// No plaintext in any byte an event carries: payload, metadata, type, actor.
fn assert_no_plaintext(events: &[RecordedEvent]) {
    for event in events {
        let mut bytes = event.payload.clone();
        for (key, value) in &event.metadata {
            bytes.extend_from_slice(key.as_bytes());
            bytes.extend_from_slice(value.as_bytes());
        }
        bytes.extend_from_slice(event.actor.as_bytes());
        for secret in SECRETS {
            assert!(
                !contains(&bytes, secret.as_bytes()),
                "{secret:?} in clear at position {} ({})",
                event.position,
                event.event_type
            );
        }
    }
}

/// The names of the files in the server's key directory that end with `suffix`.
fn key_files(server: &TestServer, suffix: &str) -> Vec<String> {
    std::fs::read_dir(server.key_dir())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(suffix))
        .collect()
}

/// A server with a commune, its Thôn 8 and a security protection team established there
/// on 2020-03-01.
async fn team_server() -> (TestServer, Forces, String) {
    let server = TestServer::start().await.unwrap();
    let (_, commune) = thanh_hoa_and_nga_thai(&server).await;
    let village = thon_8(&server, &commune).await;
    let mut forces = ForcesClient::new(server.channel.clone());
    let establish = thon_8_team_request(&village, ForceType::SecurityProtectionTeam, Some(3));
    let team = establish.team_id.clone();
    forces.establish_team(establish).await.unwrap();
    (server, forces, team)
}

async fn get_person(forces: &mut Forces, person_id: &str) -> PersonView {
    forces
        .get_person(GetPersonRequest {
            person_id: person_id.into(),
            as_of: None,
        })
        .await
        .unwrap()
        .into_inner()
}

async fn get_team(forces: &mut Forces, team_id: &str) -> TeamView {
    forces
        .get_team(GetTeamRequest {
            team_id: team_id.into(),
            as_of: None,
        })
        .await
        .unwrap()
        .into_inner()
}

/// Registers [`hung`] on 2019-01-01; returns his person id.
async fn register_hung(forces: &mut Forces) -> String {
    let person = new_id();
    forces
        .register_person(RegisterPersonRequest {
            header: header(date(2019, 1, 1)),
            person_id: person.clone(),
            personal_data: Some(hung()),
        })
        .await
        .unwrap();
    person
}

fn forget_request(person_id: &str, on: Date) -> ForgetPersonRequest {
    ForgetPersonRequest {
        header: header(on),
        person_id: person_id.into(),
        reason: "Yêu cầu xoá dữ liệu của chủ thể dữ liệu".into(),
    }
}

/// Asserts the erased state everywhere the person shows.
async fn assert_erased(forces: &mut Forces, person_id: &str, team_id: &str) {
    let person = get_person(forces, person_id).await;
    assert!(person.erased);
    assert!(person.personal_data.is_none());
    assert!(person.erased_at.is_some());
    assert_eq!(person.erasure_effective_date, Some(date(2024, 6, 1)));
    assert_eq!(person.erasure_reason, "Yêu cầu xoá dữ liệu của chủ thể dữ liệu");
    let team = get_team(forces, team_id).await;
    let member = &team.members[0];
    assert_eq!(member.person_id, person_id);
    assert!(member.erased);
    assert_eq!(member.display_name, "");
    // The role history is the team's, not personal data: it stays.
    assert_eq!(member.status(), MemberStatus::Active);
    assert_eq!(member.role(), MemberRole::Leader);
    assert_eq!(member.terms.len(), 1);
    assert_eq!(member.terms[0].ended_by(), TermEnd::Ongoing);
}

#[tokio::test]
async fn personal_data_is_sealed_readable_then_erased_for_good() {
    let (mut server, mut forces, team) = team_server().await;
    let person = new_id();
    let register = RegisterPersonRequest {
        header: header(date(2019, 1, 1)),
        person_id: person.clone(),
        personal_data: Some(hung()),
    };
    let registered = forces.register_person(register.clone()).await.unwrap().into_inner();
    assert_eq!(registered.event_types, ["antt.v1.PersonRegistered"]);
    assert_eq!(registered.stream_id, format!("person-{person}"));

    // A retry returns the original result: no second key, nothing sealed or recorded again.
    let retried = forces.register_person(register.clone()).await.unwrap().into_inner();
    assert!(retried.deduplicated);
    assert_eq!(retried.first_position, registered.first_position);
    assert_eq!(key_files(&server, ".key").len(), 1, "one key for one person");
    // By default the key store is beside the data directory, never inside it, so that a
    // backup of the log does not carry the keys.
    assert_eq!(server.key_dir().parent(), server.data_dir().parent());
    assert!(
        !server.data_dir().join("keys").exists(),
        "no key store inside the data directory"
    );
    // The same request id with other personal data is another command.
    let mut other = register.clone();
    other.personal_data.as_mut().unwrap().full_name = "Nguyễn Văn Hưng".into();
    let reused = forces.register_person(other).await.unwrap_err();
    assert_eq!(reused.code(), Code::AlreadyExists, "{reused:?}");
    // A second registration of the same person is a rule break.
    let mut twice = register.clone();
    twice.header = header(date(2019, 1, 1));
    let twice = forces.register_person(twice).await.unwrap_err();
    assert_eq!(twice.code(), Code::FailedPrecondition, "{twice:?}");

    let read = get_person(&mut forces, &person).await;
    assert!(!read.erased);
    let data = read.personal_data.unwrap();
    assert_eq!(data.full_name, "Nguyễn Văn Hùng");
    assert_eq!(data.date_of_birth, Some(date(1975, 4, 30)));
    assert_eq!(data.citizen_id, "038075001234");
    assert_eq!(data.religion, "Công giáo");
    assert!(data.party_member);
    assert_eq!(read.registered_on, Some(date(2019, 1, 1)));

    forces
        .appoint_member(AppointMemberRequest {
            header: decided(date(2020, 6, 1), "45/QĐ-UBND"),
            team_id: team.clone(),
            person_id: person.clone(),
            role: MemberRole::Leader.into(),
            ..Default::default()
        })
        .await
        .unwrap();
    let view = get_team(&mut forces, &team).await;
    assert_eq!(view.members[0].display_name, "Nguyễn Văn Hùng");
    assert!(!view.members[0].erased);

    // The log holds only ciphertext: the person's own stream and every other event.
    let stream = read_stream(&mut server.client, &format!("person-{person}"))
        .await
        .unwrap();
    assert_eq!(stream.len(), 1);
    assert!(stream[0].payload.len() > 57, "the sealed record is in the payload");
    assert_no_plaintext(&read_all(&mut server.client, 0).await.unwrap());

    // Forget through the RPC.
    let forget = forget_request(&person, date(2024, 6, 1));
    let forgotten = forces.forget_person(forget.clone()).await.unwrap().into_inner();
    assert_eq!(forgotten.event_types, ["antt.v1.PersonErased"]);
    assert_eq!(forgotten.stream_version, 1);
    let retried = forces.forget_person(forget).await.unwrap().into_inner();
    assert!(retried.deduplicated);
    assert_eq!(retried.first_position, forgotten.first_position);
    // A new erasure request reports the first one.
    let again = forces
        .forget_person(forget_request(&person, date(2024, 7, 1)))
        .await
        .unwrap_err();
    assert_eq!(again.code(), Code::FailedPrecondition, "{again:?}");
    assert!(again.message().contains("erased on 2024-06-01"), "{}", again.message());
    // Nothing about the person can be corrected, nor registered again under that id.
    let correct = CorrectPersonDetailsRequest {
        header: header(date(2024, 7, 1)),
        person_id: person.clone(),
        personal_data: Some(hung()),
    };
    let refused = forces.correct_person_details(correct).await.unwrap_err();
    assert_eq!(refused.code(), Code::FailedPrecondition, "{refused:?}");
    assert!(refused.message().contains("erased"), "{}", refused.message());
    // A retry of the registration still returns its original result; a new one is refused.
    let retried = forces.register_person(register.clone()).await.unwrap().into_inner();
    assert!(retried.deduplicated);
    assert_eq!(retried.first_position, registered.first_position);
    let mut anew = register;
    anew.header = header(date(2024, 7, 1));
    let refused = forces.register_person(anew).await.unwrap_err();
    assert_eq!(refused.code(), Code::FailedPrecondition, "{refused:?}");
    assert!(
        refused.message().contains("erased on 2024-06-01"),
        "{}",
        refused.message()
    );
    // An erased person cannot join a team again.
    let reappoint = AppointMemberRequest {
        header: decided(date(2024, 7, 1), "99/QĐ-UBND"),
        team_id: team.clone(),
        person_id: person.clone(),
        role: MemberRole::Member.into(),
        ..Default::default()
    };
    let refused = forces.appoint_member(reappoint).await.unwrap_err();
    assert_eq!(refused.code(), Code::FailedPrecondition, "{refused:?}");

    assert_erased(&mut forces, &person, &team).await;
    // The erasure is an event of the person's stream; the sealed record stays, unreadable.
    let stream = read_stream(&mut server.client, &format!("person-{person}"))
        .await
        .unwrap();
    let types: Vec<&str> = stream.iter().map(|e| e.event_type.as_str()).collect();
    assert_eq!(types, ["antt.v1.PersonRegistered", "antt.v1.PersonErased"]);
    // Nothing was rewritten: the chain over the whole log still verifies.
    let all = read_all(&mut server.client, 0).await.unwrap();
    assert_chain(&all, GENESIS_HASH).unwrap();
    assert_no_plaintext(&all);

    // Erased for good: after a restart, and with no key file left in the key directory.
    server = server.restart().await.unwrap();
    let mut forces = ForcesClient::new(server.channel.clone());
    assert_erased(&mut forces, &person, &team).await;
    assert_chain(&read_all(&mut server.client, 0).await.unwrap(), GENESIS_HASH).unwrap();
    assert_eq!(key_files(&server, ".key"), Vec::<String>::new());
    assert_eq!(key_files(&server, ".forgotten").len(), 1);
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn corrected_details_are_resealed_under_the_same_key() {
    let (mut server, mut forces, _team) = team_server().await;
    let person = register_hung(&mut forces).await;
    let mut moved = hung();
    moved.address = "Khu phố 3, phường Ba Đình, thành phố Thanh Hóa".into();
    moved.phone = "+84 912 345 679".into();
    let correct = CorrectPersonDetailsRequest {
        header: header(date(2021, 9, 1)),
        person_id: person.clone(),
        personal_data: Some(moved),
    };
    let corrected = forces
        .correct_person_details(correct.clone())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(corrected.event_types, ["antt.v1.PersonDetailsUpdated"]);
    assert!(
        forces
            .correct_person_details(correct)
            .await
            .unwrap()
            .into_inner()
            .deduplicated
    );

    let data = get_person(&mut forces, &person).await.personal_data.unwrap();
    assert_eq!(data.address, "Khu phố 3, phường Ba Đình, thành phố Thanh Hóa");
    assert_eq!(data.full_name, "Nguyễn Văn Hùng");
    let stream = read_stream(&mut server.client, &format!("person-{person}"))
        .await
        .unwrap();
    assert_eq!(stream.len(), 2);
    assert!(!contains(&stream[1].payload, "Ba Đình".as_bytes()));
    // Both records name one key: one key per person, so one erasure covers every version.
    let payloads: Vec<Vec<u8>> = stream.iter().map(|event| event.payload.clone()).collect();
    let key_id = |payload: &[u8]| -> Vec<u8> {
        // Field 3 (key_id) of PersonRegistered / PersonDetailsUpdated, decoded by hand to
        // stay independent of the server's types.
        use prost::Message;
        #[derive(Clone, PartialEq, Message)]
        struct Sealed {
            #[prost(string, tag = "3")]
            key_id: String,
        }
        Sealed::decode(payload).unwrap().key_id.into_bytes()
    };
    assert_eq!(key_id(&payloads[0]), key_id(&payloads[1]));
    assert!(!key_id(&payloads[0]).is_empty());
}

#[tokio::test]
async fn an_erasure_that_cannot_be_recorded_destroys_nothing() {
    let (_server, mut forces, _team) = team_server().await;
    let person = register_hung(&mut forces).await;
    // Dated before the registration: refused before the key is touched.
    let early = forces
        .forget_person(forget_request(&person, date(2018, 1, 1)))
        .await
        .unwrap_err();
    assert_eq!(early.code(), Code::FailedPrecondition, "{early:?}");
    let mut reasonless = forget_request(&person, date(2024, 6, 1));
    reasonless.reason = " ".into();
    assert_field_violation(
        &forces.forget_person(reasonless).await.unwrap_err(),
        Code::InvalidArgument,
        &["reason"],
    );
    let unknown = forces
        .forget_person(forget_request(&new_id(), date(2024, 6, 1)))
        .await
        .unwrap_err();
    assert_eq!(unknown.code(), Code::FailedPrecondition, "{unknown:?}");
    let read = get_person(&mut forces, &person).await;
    assert!(!read.erased);
    assert_eq!(read.personal_data.unwrap().citizen_id, "038075001234");

    let absent = forces
        .get_person(GetPersonRequest {
            person_id: new_id(),
            as_of: None,
        })
        .await
        .unwrap_err();
    assert_eq!(absent.code(), Code::NotFound);
}

#[tokio::test]
async fn malformed_personal_data_names_the_field() {
    let (_server, mut forces, _team) = team_server().await;
    let request = |data: Option<PersonalData>| RegisterPersonRequest {
        header: header(date(2019, 1, 1)),
        person_id: new_id(),
        personal_data: data,
    };
    assert_field_violation(
        &forces.register_person(request(None)).await.unwrap_err(),
        Code::InvalidArgument,
        &["personal_data"],
    );
    let mut bad = hung();
    bad.full_name = "\u{7}".into();
    bad.date_of_birth = Some(date(2999, 1, 1));
    bad.phone = "gọi sau".into();
    assert_field_violation(
        &forces.register_person(request(Some(bad))).await.unwrap_err(),
        Code::InvalidArgument,
        &[
            "personal_data.full_name",
            "personal_data.date_of_birth",
            "personal_data.phone",
        ],
    );
    let mut no_id = request(Some(hung()));
    no_id.person_id = String::new();
    assert_field_violation(
        &forces.register_person(no_id).await.unwrap_err(),
        Code::InvalidArgument,
        &["person_id"],
    );
}

#[tokio::test]
async fn erasure_keeps_every_proof_valid() {
    // Goal: erasing a person changes nothing the Merkle tree covers (it covers ciphertext),
    // so a checkpoint saved before the erasure still proves the person's events and the
    // log after it provably extends it. Method: checkpoint, erase, prove against the old
    // checkpoint and from it to a new one, with antt-audit alone.
    use antt_audit::merkle;
    use antt_e2e::v1::audit_client::AuditClient;
    use antt_e2e::v1::{CreateCheckpointRequest, GetConsistencyProofRequest, GetInclusionProofRequest};
    let (mut server, mut forces, _team) = team_server().await;
    let person = register_hung(&mut forces).await;
    let mut audit = AuditClient::new(server.channel.clone());
    let before = audit
        .create_checkpoint(CreateCheckpointRequest {})
        .await
        .unwrap()
        .into_inner();
    let registered = read_stream(&mut server.client, &format!("person-{person}"))
        .await
        .unwrap();
    forces
        .forget_person(forget_request(&person, date(2024, 6, 1)))
        .await
        .unwrap();
    let after = audit
        .create_checkpoint(CreateCheckpointRequest {})
        .await
        .unwrap()
        .into_inner();
    assert!(after.tree_size > before.tree_size);

    let old_root = antt_e2e::hash(&before.root_hash).unwrap();
    let new_root = antt_e2e::hash(&after.root_hash).unwrap();
    let event = antt_e2e::to_log_event(&registered[0]).unwrap();
    let leaf = merkle::leaf_hash(&antt_log::codec::canonical_bytes(&event));
    let proof = audit
        .get_inclusion_proof(GetInclusionProofRequest {
            position: event.position,
            tree_size: before.tree_size,
        })
        .await
        .unwrap()
        .into_inner();
    let path = antt_e2e::hashes(&proof.hashes).unwrap();
    merkle::verify_inclusion(&leaf, event.position, before.tree_size, &path, &old_root).unwrap();
    let consistency = audit
        .get_consistency_proof(GetConsistencyProofRequest {
            old_size: before.tree_size,
            new_size: after.tree_size,
        })
        .await
        .unwrap()
        .into_inner();
    let path = antt_e2e::hashes(&consistency.hashes).unwrap();
    merkle::verify_consistency(before.tree_size, after.tree_size, &old_root, &new_root, &path).unwrap();
}
