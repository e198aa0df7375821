//! End to end over gRPC: the `antt.v1.Ratings` service of a real `anttd`.
//!
//! Goal: a residential area registers to strive (đăng ký phấn đấu), is rated safe once for
//! the year, a second rating is refused, a correction names the original and the reason
//! and changes the result, pledges add up; units that are not rated and units that are
//! not registered are refused; bad input names its fields, retries are idempotent, reused
//! request ids and stale versions are refused.
//! Method: each test starts its own server, registers Thanh Hóa → Nga Sơn → xã Nga Thái →
//! Thôn 8 through the Areas API and drives the Ratings API for 2012 (seed 001: 177 of 234
//! residential areas rated safe that year).
#![allow(clippy::expect_used, clippy::unwrap_used)]

use antt_e2e::v1::ratings_client::RatingsClient;
use antt_e2e::v1::{
    AreaLevel, CorrectRatingRequest, GetRatingRequest, RateUnitRequest, RatingView, RecordPledgesRequest,
    RegisterToStriveRequest, SafetyOutcome,
};
use antt_e2e::{
    assert_field_violation, date as day, decided_by, header, thanh_hoa_to_thon_8, TestServer, NGA_THAI_CHAIRMAN,
};
use tonic::transport::Channel;
use tonic::Code;
use uuid::Uuid;

type Client = RatingsClient<Channel>;

const YEAR: i32 = 2012;

/// The district Nga Sơn and its Thôn 8 of xã Nga Thái, registered from 1997.
struct Units {
    district: String,
    thon: String,
}

async fn units(server: &TestServer) -> Units {
    let [_, district, _, thon] = thanh_hoa_to_thon_8(server).await;
    Units { district, thon }
}

fn strive(unit: &str) -> RegisterToStriveRequest {
    RegisterToStriveRequest {
        header: header(day(YEAR - 1, 12, 15)),
        unit_area_id: unit.to_string(),
        year: YEAR,
    }
}

/// A rating of `unit` for the year, recognised by the commune chairman's decision.
fn rate(unit: &str, outcome: SafetyOutcome) -> RateUnitRequest {
    RateUnitRequest {
        header: decided_by(day(YEAR, 12, 20), "85/QĐ-UBND", NGA_THAI_CHAIRMAN),
        rating_id: Uuid::new_v4().to_string(),
        unit_area_id: unit.to_string(),
        year: YEAR,
        outcome: outcome.into(),
        criteria: "23/2012/TT-BCA".to_string(),
    }
}

fn correct(unit: &str, corrects: &str, outcome: SafetyOutcome, reason: &str) -> CorrectRatingRequest {
    CorrectRatingRequest {
        header: header(day(YEAR + 1, 1, 10)),
        correction_id: Uuid::new_v4().to_string(),
        corrects_rating_id: corrects.to_string(),
        unit_area_id: unit.to_string(),
        year: YEAR,
        outcome: outcome.into(),
        reason: reason.to_string(),
    }
}

fn pledges(unit: &str, signed: u32, campaign: &str) -> RecordPledgesRequest {
    RecordPledgesRequest {
        header: header(day(YEAR, 1, 20)),
        unit_area_id: unit.to_string(),
        year: YEAR,
        pledges_signed: signed,
        campaign: campaign.to_string(),
    }
}

async fn get(client: &mut Client, unit: &str) -> RatingView {
    let request = GetRatingRequest {
        unit_area_id: unit.to_string(),
        year: YEAR,
        as_of: None,
    };
    client.get_rating(request).await.expect("GetRating").into_inner()
}

#[tokio::test]
async fn a_unit_is_rated_once_a_year_and_corrected_by_naming_the_original() {
    let server = TestServer::start().await.unwrap();
    let units = units(&server).await;
    let mut client = Client::new(server.channel.clone());

    client.register_to_strive(strive(&units.thon)).await.unwrap();
    let original = rate(&units.thon, SafetyOutcome::Safe);
    let result = client.rate_unit(original.clone()).await.unwrap().into_inner();
    assert_eq!(result.stream_id, format!("rating-{}-{YEAR}", units.thon));
    assert_eq!(result.event_types, ["antt.v1.UnitRated"]);

    let second = client
        .rate_unit(rate(&units.thon, SafetyOutcome::NotSafe))
        .await
        .unwrap_err();
    assert_eq!(second.code(), Code::FailedPrecondition, "{second:?}");
    assert!(second.message().contains("correction"), "{second:?}");

    let reason = "bỏ sót 01 vụ trộm cắp tài sản trong năm";
    let correction = correct(&units.thon, &original.rating_id, SafetyOutcome::NotSafe, reason);
    client.correct_rating(correction.clone()).await.unwrap();
    let view = get(&mut client, &units.thon).await;
    assert_eq!(view.outcome(), SafetyOutcome::NotSafe);
    assert_eq!(view.ratings.len(), 2);
    assert_eq!(view.ratings[0].rating_id, original.rating_id);
    assert_eq!(view.ratings[0].outcome(), SafetyOutcome::Safe);
    assert_eq!(view.ratings[1].corrects_rating_id, original.rating_id);
    assert_eq!(view.strive_registered_on, Some(day(YEAR - 1, 12, 15)));
    assert_eq!(view.unit_level(), AreaLevel::ResidentialArea);

    // The original is no longer current: a second correction must name the first.
    let stale = correct(&units.thon, &original.rating_id, SafetyOutcome::Safe, "xem xét lại");
    let status = client.correct_rating(stale).await.unwrap_err();
    assert_eq!(status.code(), Code::FailedPrecondition, "{status:?}");
    assert!(status.message().contains(&correction.correction_id), "{status:?}");
    server.shutdown().await.unwrap();
}

/// The view of `unit`'s `year` as the records stood on `as_of` (default today).
async fn get_year(client: &mut Client, unit: &str, year: i32, as_of: Option<antt_e2e::v1::Date>) -> RatingView {
    let request = GetRatingRequest {
        unit_area_id: unit.to_string(),
        year,
        as_of,
    };
    client.get_rating(request).await.expect("GetRating").into_inner()
}

/// Rated not safe in 2007, safe 2008–2012: the run earns the commune's recognition in
/// 2008, the district's in 2010 and the province's in 2012; a correction of 2010 breaks
/// the run from the day it takes effect.
#[tokio::test]
async fn consecutive_safe_years_earn_recognition_as_the_records_stand() {
    use antt_e2e::v1::Recognition;
    let server = TestServer::start().await.unwrap();
    let thon = units(&server).await.thon;
    let mut client = Client::new(server.channel.clone());
    let mut rating_of_2010 = String::new();
    for year in 2007..=2012 {
        let outcome = if year == 2007 {
            SafetyOutcome::NotSafe
        } else {
            SafetyOutcome::Safe
        };
        let request = RateUnitRequest {
            header: decided_by(day(year, 12, 20), "85/QĐ-UBND", NGA_THAI_CHAIRMAN),
            year,
            ..rate(&thon, outcome)
        };
        if year == 2010 {
            rating_of_2010 = request.rating_id.clone();
        }
        client.rate_unit(request).await.unwrap();
    }
    let earned = |view: RatingView| (view.consecutive_safe_years, view.recognition());
    for (year, run, recognition) in [
        (2007, 0, Recognition::Unspecified),
        (2008, 1, Recognition::Commune),
        (2010, 3, Recognition::District),
        (2011, 4, Recognition::District),
        (2012, 5, Recognition::Province),
    ] {
        let view = get_year(&mut client, &thon, year, None).await;
        assert_eq!(earned(view), (run, recognition), "{year}");
    }

    let correction = CorrectRatingRequest {
        header: header(day(2013, 3, 1)),
        year: 2010,
        ..correct(&thon, &rating_of_2010, SafetyOutcome::NotSafe, "bỏ sót 01 vụ trộm cắp")
    };
    client.correct_rating(correction).await.unwrap();
    let after = get_year(&mut client, &thon, 2012, None).await;
    assert_eq!(earned(after), (2, Recognition::Commune));
    // As the records stood before the correction took effect, the run was unbroken.
    let before = get_year(&mut client, &thon, 2012, Some(day(2013, 2, 28))).await;
    assert_eq!(earned(before), (5, Recognition::Province));
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn pledges_add_up_over_the_year() {
    let server = TestServer::start().await.unwrap();
    let units = units(&server).await;
    let mut client = Client::new(server.channel.clone());
    client
        .record_pledges(pledges(&units.thon, 120, "Đợt cao điểm Tết Nguyên đán"))
        .await
        .unwrap();
    client.record_pledges(pledges(&units.thon, 80, "")).await.unwrap();
    let view = get(&mut client, &units.thon).await;
    assert_eq!(view.pledges_signed_total, 200);
    assert_eq!(view.outcome(), SafetyOutcome::Unspecified);
    assert!(view.ratings.is_empty());
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn units_that_are_not_rated_or_not_registered_are_refused() {
    let server = TestServer::start().await.unwrap();
    let units = units(&server).await;
    let mut client = Client::new(server.channel.clone());

    let district = client
        .rate_unit(rate(&units.district, SafetyOutcome::Safe))
        .await
        .unwrap_err();
    assert_eq!(district.code(), Code::FailedPrecondition, "{district:?}");
    assert!(district.message().contains("not rated"), "{district:?}");

    let nowhere = Uuid::new_v4().to_string();
    let unknown = client.register_to_strive(strive(&nowhere)).await.unwrap_err();
    assert_eq!(unknown.code(), Code::FailedPrecondition, "{unknown:?}");
    assert!(unknown.message().contains(&nowhere), "{unknown:?}");

    let missing = client
        .get_rating(GetRatingRequest {
            unit_area_id: units.thon.clone(),
            year: YEAR,
            as_of: None,
        })
        .await
        .unwrap_err();
    assert_eq!(missing.code(), Code::NotFound, "{missing:?}");
    let uncorrectable = correct(&units.thon, &Uuid::new_v4().to_string(), SafetyOutcome::Safe, "nhầm");
    let status = client.correct_rating(uncorrectable).await.unwrap_err();
    assert_eq!(status.code(), Code::FailedPrecondition, "{status:?}");
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn malformed_requests_name_every_field() {
    let server = TestServer::start().await.unwrap();
    let units = units(&server).await;
    let mut client = Client::new(server.channel.clone());

    let mut bad = rate("thôn 8", SafetyOutcome::Unspecified);
    bad.rating_id = String::new();
    bad.year = 1800;
    let status = client.rate_unit(bad).await.unwrap_err();
    assert_field_violation(
        &status,
        Code::InvalidArgument,
        &["unit_area_id", "year", "rating_id", "outcome"],
    );

    client.register_to_strive(strive(&units.thon)).await.unwrap();
    let original = rate(&units.thon, SafetyOutcome::Safe);
    client.rate_unit(original.clone()).await.unwrap();
    let no_reason = correct(&units.thon, &original.rating_id, SafetyOutcome::NotSafe, " ");
    let status = client.correct_rating(no_reason).await.unwrap_err();
    assert_field_violation(&status, Code::InvalidArgument, &["reason"]);

    // A registration belongs to the year's campaign: the domain names the header's date.
    let mut too_early = strive(&units.thon);
    too_early.header = header(day(YEAR - 3, 5, 1));
    let status = client.register_to_strive(too_early).await.unwrap_err();
    assert_field_violation(&status, Code::InvalidArgument, &["header.effective_date"]);
    let status = client.record_pledges(pledges(&units.thon, 0, "")).await.unwrap_err();
    assert_field_violation(&status, Code::InvalidArgument, &["pledges_signed"]);
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn retries_are_deduplicated_and_conflicts_refused() {
    let server = TestServer::start().await.unwrap();
    let units = units(&server).await;
    let mut client = Client::new(server.channel.clone());
    let registration = strive(&units.thon);

    let first = client
        .register_to_strive(registration.clone())
        .await
        .unwrap()
        .into_inner();
    let retry = client
        .register_to_strive(registration.clone())
        .await
        .unwrap()
        .into_inner();
    assert!(!first.deduplicated && retry.deduplicated);
    assert_eq!(
        (retry.first_position, retry.stream_version),
        (first.first_position, first.stream_version)
    );

    let mut other_body = registration;
    other_body.header.as_mut().unwrap().effective_date = Some(day(YEAR, 1, 5));
    let status = client.register_to_strive(other_body).await.unwrap_err();
    assert_eq!(status.code(), Code::AlreadyExists, "{status:?}");

    let mut rating = rate(&units.thon, SafetyOutcome::Safe);
    rating.header.as_mut().unwrap().expected_version = Some(7);
    let status = client.rate_unit(rating.clone()).await.unwrap_err();
    assert_eq!(status.code(), Code::Aborted, "{status:?}");
    rating.header.as_mut().unwrap().request_id = Uuid::new_v4().to_string();
    rating.header.as_mut().unwrap().expected_version = Some(get(&mut client, &units.thon).await.version);
    assert_eq!(client.rate_unit(rating).await.unwrap().into_inner().stream_version, 1);
    server.shutdown().await.unwrap();
}
