//! A clerk writes only inside their jurisdiction: every place a write is about must be
//! in the subtree of the jurisdiction's area *as the area tree stood on the date the
//! write takes effect*. A commune that joined a district in the 2025 reform is that
//! district's for facts dated after it joined, not before.
//!
//! The tree is read by [`crate::areas::ancestors_on`], from the areas' own records, so a
//! write is judged against exactly what is recorded when it is decided.

use antt_access::{Principal, Role};
use antt_domain::team::Team;
use antt_domain::{Date, Timeline, VietnameseDate};
use antt_log::EventLog;
use tonic::Status;
use uuid::Uuid;

use super::located::{Located, Location};
use crate::commands::Commands;

/// Whether `principal`'s writes are bounded by a jurisdiction: a clerk's always (a
/// clerk without one may write nothing located), a system principal's when its token
/// names one.
pub fn bounded_by_jurisdiction(principal: &Principal) -> bool {
    match principal.role {
        Role::Clerk => true,
        Role::System => principal.jurisdiction.is_some(),
        _ => false,
    }
}

/// Refuses `events`, decided on `timeline` for `date`, unless every place they are
/// about is within `principal`'s jurisdiction on `date`.
pub async fn ensure_may_write<L: EventLog, A: Located>(
    commands: &Commands<L>,
    principal: &Principal,
    timeline: &Timeline<A>,
    date: Date,
    events: &[A::Event],
) -> Result<(), Status> {
    if !bounded_by_jurisdiction(principal) {
        return Ok(());
    }
    let locations = locations::<A>(timeline, date, events);
    if locations.is_empty() {
        return Ok(());
    }
    let Some(root) = principal.jurisdiction else {
        return Err(super::denied(
            principal,
            crate::status::REASON_OUTSIDE_JURISDICTION,
            "token của cán bộ không ghi địa bàn quản lý (the clerk's token has no antt_jurisdiction)".into(),
        ));
    };
    for location in locations {
        let area = match &location {
            Location::Area(id) => id.clone(),
            Location::Team(id) => team_area(commands, id, date).await?,
        };
        if !area_within(commands, &area, root, date).await? {
            return Err(super::denied(
                principal,
                crate::status::REASON_OUTSIDE_JURISDICTION,
                format!(
                    "ngoài địa bàn quản lý (outside the jurisdiction): on {} {location:?} is not within area {root}",
                    VietnameseDate(date)
                ),
            ));
        }
    }
    Ok(())
}

/// The places of a record before and after each of `events`, on `date`.
fn locations<A: Located>(timeline: &Timeline<A>, date: Date, events: &[A::Event]) -> Vec<Location> {
    let mut state = timeline.state_as_of(date);
    let mut locations = Vec::new();
    for event in events {
        locations.extend(A::locations(&state, event));
        state = A::evolve(state, event);
        locations.extend(A::locations(&state, event));
    }
    locations.dedup();
    let mut unique = Vec::with_capacity(locations.len());
    for location in locations {
        if !unique.contains(&location) {
            unique.push(location);
        }
    }
    unique
}

/// The area a team was in on `date` (empty if it did not exist then).
async fn team_area<L: EventLog>(commands: &Commands<L>, team_id: &str, date: Date) -> Result<String, Status> {
    let Ok(id) = Uuid::parse_str(team_id) else {
        return Ok(String::new());
    };
    let loaded = commands.load::<Team>(&crate::forces::team_stream(id)).await?;
    Ok(loaded.timeline.state_as_of(date).area_id)
}

/// Whether `area_id` is `root` or below it in the area tree as it stood on `date`.
async fn area_within<L: EventLog>(
    commands: &Commands<L>,
    area_id: &str,
    root: Uuid,
    date: Date,
) -> Result<bool, Status> {
    let Ok(area_id) = Uuid::parse_str(area_id) else {
        return Ok(false);
    };
    Ok(area_id == root
        || crate::areas::ancestors_on(commands, area_id, date)
            .await?
            .contains(&root))
}
