//! The facts counted over a period: tips, arrests, documents, conferences and awards.
//! Each is one row from the day it took effect, keyed by area then that day, so that a
//! period under an area is one range of keys.

use antt_domain::{arrest, award, conference, document, tip};
use antt_proto::v1 as pb;

use super::row;
use crate::derive::{Row, Rows};
use crate::key::{KeyBuilder, Kind};

fn dated_key(kind: Kind, area_id: &str, on: antt_domain::Date, id: &str) -> Vec<u8> {
    KeyBuilder::new(kind).text(area_id).date(on).text(id).build()
}

impl Rows for arrest::Arrest {
    fn rows(state: &arrest::State, out: &mut Vec<Row>) {
        let Some(on) = state.arrested_on else { return };
        let arrest = pb::ArrestRow {
            arrest_id: state.arrest_id.clone(),
            area_id: state.area_id.clone(),
            arrested_on: Some(on.to_proto()),
            surrendered: state.surrendered,
            public_helped: state.public_helped,
        };
        out.push(row(
            dated_key(Kind::Arrest, &state.area_id, on, &state.arrest_id),
            &arrest,
        ));
    }
}

impl Rows for tip::Tip {
    fn rows(state: &tip::State, out: &mut Vec<Row>) {
        let Some(on) = state.received_on else { return };
        let tip = pb::TipRow {
            tip_id: state.tip_id.clone(),
            area_id: state.area_id.clone(),
            received_on: Some(on.to_proto()),
            valuable: state.valuable == Some(true),
            assessed: state.valuable.is_some(),
            led_to_incident: !state.led_to_incident_id.is_empty(),
        };
        out.push(row(dated_key(Kind::Tip, &state.area_id, on, &state.tip_id), &tip));
    }
}

impl Rows for document::Document {
    fn rows(state: &document::State, out: &mut Vec<Row>) {
        let (Some(on), Some(document)) = (state.issued_on, &state.document) else {
            return;
        };
        let issuer_area_id = document
            .issued_by
            .as_ref()
            .map(|body| body.area_id.clone())
            .unwrap_or_default();
        let value = pb::DocumentRow {
            document_id: document.document_id.clone(),
            kind: document.kind,
            number: document.number.clone(),
            subject: document.subject.clone(),
            issued_on: Some(on.to_proto()),
            issuer_area_id: issuer_area_id.clone(),
        };
        out.push(row(
            dated_key(Kind::Document, &issuer_area_id, on, &document.document_id),
            &value,
        ));
    }
}

impl Rows for conference::Conference {
    fn rows(state: &conference::State, out: &mut Vec<Row>) {
        let (Some(on), Some(held)) = (state.held_on, &state.conference) else {
            return;
        };
        let organiser_area_id = held
            .organiser
            .as_ref()
            .map(|body| body.area_id.clone())
            .unwrap_or_default();
        let value = pb::ConferenceRow {
            conference_id: held.conference_id.clone(),
            kind: held.kind,
            topic: held.topic.clone(),
            held_on: Some(on.to_proto()),
            participants: held.participants.unwrap_or(0),
            attendees_known: state.attendees.len() as u32,
            organiser_area_id: organiser_area_id.clone(),
        };
        out.push(row(
            dated_key(Kind::Conference, &organiser_area_id, on, &held.conference_id),
            &value,
        ));
    }
}

impl Rows for award::Award {
    fn rows(state: &award::State, out: &mut Vec<Row>) {
        let (Some(on), Some(granted)) = (state.granted_on, &state.award) else {
            return;
        };
        // A team's or a person's area is another record's fact; the granting body's area
        // stands in for it (an award of the district's bodies counts in the district).
        let area_id = match &granted.recipient {
            Some(pb::award_granted::Recipient::AreaId(area_id)) => area_id.clone(),
            _ => granted
                .granted_by
                .as_ref()
                .map(|body| body.area_id.clone())
                .unwrap_or_default(),
        };
        let value = pb::AwardRow {
            award_id: granted.award_id.clone(),
            kind: granted.kind,
            award_name: granted.award_name.clone(),
            granted_on: Some(on.to_proto()),
            area_id: area_id.clone(),
        };
        out.push(row(dated_key(Kind::Award, &area_id, on, &granted.award_id), &value));
    }
}
