//! A person's record as GetPerson shows it. The personal data is opened by
//! [`crate::persons`], which holds the keys; this module only lays out the answer.

use antt_domain::person::Erasure;
use antt_domain::Date;
use antt_proto::v1 as pb;
use uuid::Uuid;

/// What the person's sealed record gave when opened.
pub(crate) enum Contents {
    Data(pb::PersonalData),
    /// Erased; `at` is when the key was destroyed (microseconds), if the key store knows.
    Erased {
        at: Option<i64>,
    },
}

/// The view of a person registered on `registered_on`, with `erasure` the recorded
/// erasure if there is one.
pub(crate) fn view(
    person_id: Uuid,
    registered_on: Date,
    erasure: Option<&Erasure>,
    contents: Contents,
    version: u64,
) -> pb::PersonView {
    let mut view = pb::PersonView {
        person_id: person_id.to_string(),
        stream_version: version,
        registered_on: Some(registered_on.to_proto()),
        ..pb::PersonView::default()
    };
    if let Some(erasure) = erasure {
        view.erasure_effective_date = Some(erasure.on.to_proto());
        view.erasure_reason = erasure.reason.clone();
    }
    match contents {
        Contents::Data(data) => view.personal_data = Some(data),
        Contents::Erased { at } => {
            view.erased = true;
            view.erased_at = at.map(timestamp);
        }
    }
    view
}

fn timestamp(micros: i64) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: micros.div_euclid(1_000_000),
        // Below 10^9 by construction.
        nanos: i32::try_from(micros.rem_euclid(1_000_000) * 1000).unwrap_or(0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_store_times_read_as_timestamps() {
        assert_eq!(
            timestamp(1_500_000),
            prost_types::Timestamp {
                seconds: 1,
                nanos: 500_000_000
            }
        );
    }
}
