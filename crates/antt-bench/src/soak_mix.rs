//! The soak's workload, as pure decisions: which kind of call a client makes next (the
//! mix of writes and reads), and which command its next write is (a plan that only ever
//! asks for commands the domain accepts).

use rand::Rng;

/// Share of the calls that are commands, in percent; the rest are queries.
pub const WRITE_PERCENT: u32 = 30;
/// Members a soak team takes before its client establishes the next one.
pub const SOAK_TEAM_QUOTA: u32 = 5;

/// One kind of call of the soak.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Op {
    EstablishTeam,
    RegisterPerson,
    NominateMember,
    AppointMember,
    ReportIncident,
    GetTeam,
    GetTeamAsOf,
    GetArea,
    GetIncident,
    AreaTree,
    Roster,
    ReadStream,
    ReadAllPage,
    GetHead,
    GetCheckpoint,
    InclusionProof,
}

/// The queries and their weights (they add up to 100).
pub const READ_WEIGHTS: [(Op, u32); 11] = [
    (Op::GetTeam, 15),
    (Op::GetTeamAsOf, 10),
    (Op::GetArea, 10),
    (Op::GetIncident, 10),
    (Op::AreaTree, 5),
    (Op::Roster, 10),
    (Op::ReadStream, 10),
    (Op::ReadAllPage, 10),
    (Op::GetHead, 10),
    (Op::GetCheckpoint, 5),
    (Op::InclusionProof, 5),
];

impl Op {
    pub fn is_write(self) -> bool {
        matches!(
            self,
            Op::EstablishTeam | Op::RegisterPerson | Op::NominateMember | Op::AppointMember | Op::ReportIncident
        )
    }

    /// The RPC (or RPCs) the kind makes, as the report names it.
    pub fn label(self) -> &'static str {
        match self {
            Op::EstablishTeam => "Forces.EstablishTeam",
            Op::RegisterPerson => "Forces.RegisterPerson",
            Op::NominateMember => "Forces.NominateMember",
            Op::AppointMember => "Forces.AppointMember",
            Op::ReportIncident => "Incidents.ReportIncident",
            Op::GetTeam => "Forces.GetTeam (today)",
            Op::GetTeamAsOf => "Forces.GetTeam (as_of 2024-08-01)",
            Op::GetArea => "Areas.GetArea",
            Op::GetIncident => "Incidents.GetIncident",
            Op::AreaTree => "Projections.GetAreaTree (commune)",
            Op::Roster => "Projections.GetRoster (village)",
            Op::ReadStream => "EventStore.ReadStream (a team)",
            Op::ReadAllPage => "EventStore.ReadAll (100-event page)",
            Op::GetHead => "EventStore.GetHead",
            Op::GetCheckpoint => "Audit.GetCheckpoint (latest)",
            Op::InclusionProof => "Audit.GetProvenEvent (verified)",
        }
    }
}

/// Picks the next call: a write ([`WRITE_PERCENT`] %) whose command the plan decides, or a
/// query by [`READ_WEIGHTS`].
pub fn next_op(rng: &mut impl Rng, plan: &WritePlan) -> Op {
    if rng.random_range(0..100) < WRITE_PERCENT {
        return plan.next_write();
    }
    let total: u32 = READ_WEIGHTS.iter().map(|(_, weight)| weight).sum();
    let mut pick = rng.random_range(0..total);
    for (op, weight) in READ_WEIGHTS {
        if pick < weight {
            return op;
        }
        pick -= weight;
    }
    unreachable!("the pick is below the weights' total")
}

/// One client's commands, each valid after the ones before it were acknowledged: a team,
/// then for each of its [`SOAK_TEAM_QUOTA`] members a ReportIncident, RegisterPerson,
/// NominateMember and AppointMember, then the next team.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WritePlan {
    has_team: bool,
    members_n: u32,
    /// Index into [`MEMBER_STEPS`] of the current member.
    step: usize,
}

/// The commands per member, in order.
pub const MEMBER_STEPS: [Op; 4] = [
    Op::ReportIncident,
    Op::RegisterPerson,
    Op::NominateMember,
    Op::AppointMember,
];

impl WritePlan {
    pub fn next_write(&self) -> Op {
        if !self.has_team || self.members_n == SOAK_TEAM_QUOTA {
            Op::EstablishTeam
        } else {
            MEMBER_STEPS[self.step]
        }
    }

    /// `op`, the plan's next write, was acknowledged.
    pub fn acknowledged(&mut self, op: Op) {
        debug_assert_eq!(op, self.next_write());
        if op == Op::EstablishTeam {
            *self = WritePlan {
                has_team: true,
                ..WritePlan::default()
            };
            return;
        }
        if op == Op::AppointMember {
            self.members_n += 1;
        }
        self.step = (self.step + 1) % MEMBER_STEPS.len();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn the_plan_fills_a_team_then_establishes_the_next() {
        let mut plan = WritePlan::default();
        let mut ops = Vec::new();
        for _ in 0..(2 + 4 * SOAK_TEAM_QUOTA as usize) {
            let op = plan.next_write();
            ops.push(op);
            plan.acknowledged(op);
        }
        assert_eq!(ops[0], Op::EstablishTeam);
        assert_eq!(&ops[1..5], &MEMBER_STEPS);
        assert_eq!(ops.iter().filter(|op| **op == Op::AppointMember).count(), 5);
        assert_eq!(ops[1 + 4 * SOAK_TEAM_QUOTA as usize], Op::EstablishTeam);
    }

    #[test]
    fn an_unacknowledged_write_is_asked_for_again() {
        let mut plan = WritePlan::default();
        plan.acknowledged(Op::EstablishTeam);
        plan.acknowledged(Op::ReportIncident);
        plan.acknowledged(Op::RegisterPerson);
        assert_eq!(plan.next_write(), Op::NominateMember);
        assert_eq!(plan.next_write(), Op::NominateMember);
    }

    #[test]
    fn the_mix_is_near_its_write_share_and_covers_every_query() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let plan = WritePlan::default();
        let ops: Vec<Op> = (0..10_000).map(|_| next_op(&mut rng, &plan)).collect();
        let writes = ops.iter().filter(|op| op.is_write()).count();
        assert!((2_500..3_500).contains(&writes), "{writes} writes of 10,000");
        for (op, _) in READ_WEIGHTS {
            assert!(ops.contains(&op), "{op:?} never picked");
        }
        assert_eq!(READ_WEIGHTS.iter().map(|(_, weight)| weight).sum::<u32>(), 100);
    }
}
