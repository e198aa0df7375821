//! Safety ratings of the residential areas 2009–2017, the registrations to strive of 2013
//! and the households' pledges.
//!
//! Which areas are safe: area number i (in the order (i × 97) mod 234, so that safe areas
//! are spread over the communes) is safe in
//! - 2009 if i < 51 or 91 ≤ i < 185 (145 areas),
//! - 2010 if i < 91 or 150 ≤ i < 218 (159),
//! - 2011 if i < 150 or 177 ≤ i < 193 (166),
//! - 2012 if i < 177 (177), and from 2013 if i is below the year's count.
//!
//! So of the 177 safe in 2012, i < 150 were also safe in 2011 (150 areas, 2 years
//! running), i < 91 also in 2010 (91, 3 years) and i < 51 also in 2009 (51, 4 years).

use antt_domain::Date;
use antt_proto::v1 as pb;
use uuid::Uuid;

use super::{header, on, plus, share, Builder, Request, Step};
use crate::demo::figures;
use crate::demo::identity::record_id;

/// Whether area number `i` was safe in `year`.
pub fn safe(i: u32, year: i32) -> bool {
    match year {
        2009 => i < 51 || (91..185).contains(&i),
        2010 => i < 91 || (150..218).contains(&i),
        2011 => i < 150 || (177..193).contains(&i),
        _ => figures::SAFE_RESIDENTIAL_AREAS
            .iter()
            .find(|(y, _)| *y == year)
            .is_some_and(|(_, count)| i < *count),
    }
}

/// Ratings are announced at the Ngày hội toàn dân bảo vệ ANTQ, 19/8 every year.
fn rating_day(year: i32) -> Date {
    on(year, 8, 19)
}

impl Builder {
    pub(super) fn plan_ratings(&mut self) {
        let areas = self.residential.len();
        let registered_on = on(figures::REGISTRATION_YEAR, 1, 21);
        for i in 0..areas {
            let unit = self.residential[(i * 97) % areas].id;
            let number = u32::try_from(i).unwrap_or(u32::MAX);
            self.register_to_strive(unit, figures::REGISTRATION_YEAR, registered_on);
            for (year, _) in figures::SAFE_RESIDENTIAL_AREAS {
                let outcome = if safe(number, year) {
                    pb::SafetyOutcome::Safe
                } else {
                    pb::SafetyOutcome::NotSafe
                };
                let criteria = if year < 2013 {
                    "Đề án 375, Chỉ thị số 10 của UBND tỉnh Thanh Hóa"
                } else {
                    "23/2012/TT-BCA"
                };
                let rating = record_id(&format!("rating:{unit}:{year}"));
                self.rating_step(
                    unit,
                    year,
                    Step {
                        what: format!("rating {year} of area {unit}"),
                        request: Request::RateUnit(pb::RateUnitRequest {
                            header: header(rating, "rate", rating_day(year), None),
                            rating_id: rating.to_string(),
                            unit_area_id: unit.to_string(),
                            year,
                            outcome: outcome.into(),
                            criteria: criteria.to_owned(),
                        }),
                    },
                );
            }
        }
        let others: Vec<Uuid> = self
            .communes
            .iter()
            .map(|commune| commune.id)
            .chain(self.units.iter().map(|unit| unit.id))
            .collect();
        for (index, unit) in others.into_iter().enumerate() {
            let day = plus(registered_on, (index % 10) as i64);
            self.register_to_strive(unit, figures::REGISTRATION_YEAR, day);
        }
        self.plan_pledges();
    }

    fn register_to_strive(&mut self, unit: Uuid, year: i32, day: Date) {
        let stream = record_id(&format!("rating-year:{unit}:{year}"));
        self.rating_step(
            unit,
            year,
            Step {
                what: format!("registration {year} of area {unit}"),
                request: Request::RegisterToStrive(pb::RegisterToStriveRequest {
                    header: header(stream, "register", day, None),
                    unit_area_id: unit.to_string(),
                    year,
                }),
            },
        );
    }

    /// The year's pledges, shared out over the communes, signed in the Tết campaign.
    fn plan_pledges(&mut self) {
        let communes = u32::try_from(self.communes.len()).unwrap_or(u32::MAX);
        for (year, pledges) in figures::PLEDGES_BY_YEAR {
            for c in 0..self.communes.len() {
                let unit = self.communes[c].id;
                let stream = record_id(&format!("rating-year:{unit}:{year}"));
                let day = plus(on(year, 1, 25), (c % 7) as i64);
                self.rating_step(
                    unit,
                    year,
                    Step {
                        what: format!("pledges {year} of {}", self.communes[c].name),
                        request: Request::RecordPledges(pb::RecordPledgesRequest {
                            header: header(stream, "pledges", day, None),
                            unit_area_id: unit.to_string(),
                            year,
                            pledges_signed: share(pledges, communes, c as u32),
                            campaign: format!("Đợt cao điểm Tết Nguyên đán {year}"),
                        }),
                    },
                );
            }
        }
    }

    /// A step on the rating record of `unit` and `year` (one stream, one chain).
    fn rating_step(&mut self, unit: Uuid, year: i32, step: Step) {
        self.rating_chains.entry((unit, year)).or_default().push(step);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_safe_areas_are_those_of_the_report() {
        for (year, count) in figures::SAFE_RESIDENTIAL_AREAS {
            assert_eq!((0..234).filter(|i| safe(*i, year)).count() as u32, count, "{year}");
        }
        let run = |i: u32| (0..4).take_while(|back| safe(i, 2012 - back)).count() as u32;
        for (years, count) in figures::CONSECUTIVE_SAFE_2012 {
            assert_eq!(
                (0..234).filter(|i| run(*i) >= years).count() as u32,
                count,
                "{years} years"
            );
        }
        // The order spreads the areas: 97 is prime to 234.
        let mut seen: Vec<usize> = (0..234).map(|i| (i * 97) % 234).collect();
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(seen.len(), 234);
    }
}
