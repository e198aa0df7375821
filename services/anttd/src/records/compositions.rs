//! Team composition policies (cơ cấu) of a province, one per record: `composition-<uuid>`.
//!
//! Whether a team meets a policy is a question across records (the team, its members'
//! tenures, the area tree), so no command here or in the forces service refuses a team
//! for it: the Projections service's roster and forces summary flag it.

use antt_domain::composition::{self, Composition, Requirement};
use antt_log::EventLog;
use antt_proto::v1 as pb;
use tonic::Status;

use crate::commands::Commands;
use crate::request::{self, Fields, Planned};

const COMPOSITION: &str = "composition";

pub(super) async fn plan_issue<L: EventLog>(
    commands: &Commands<L>,
    r: pb::IssueCompositionPolicyRequest,
) -> Result<Planned<Composition>, Status> {
    let mut fields = Fields::default();
    let header = fields.header(r.header.as_ref());
    let policy_id = fields.uuid("policy_id", &r.policy_id);
    let province_id = fields.uuid("province_area_id", &r.province_area_id);
    let force_type = fields.enumeration("force_type", r.force_type);
    let scope = fields.enumeration("scope", r.scope);
    let requirements = r
        .requirements
        .iter()
        .enumerate()
        .map(|(index, requirement)| Requirement {
            role: fields.enumeration(&format!("requirements[{index}].role"), requirement.role),
            office: fields.enumeration(&format!("requirements[{index}].office"), requirement.office),
            place: fields.enumeration(&format!("requirements[{index}].place"), requirement.place),
        })
        .collect();
    let decision = fields.required_decision();
    fields.finish()?;
    let province = request::area_facts(commands, "province_area_id", province_id).await?;
    let command = composition::Command::Issue(composition::Issue {
        policy_id,
        province,
        force_type,
        scope,
        requirements,
        title: r.title,
        decision,
        effective_date: header.effective_date,
    });
    Ok(Planned::new(
        request::stream_id(COMPOSITION, policy_id),
        header,
        command,
    ))
}

pub(super) fn plan_end(r: pb::EndCompositionPolicyRequest) -> Result<Planned<Composition>, Status> {
    let record = ("policy_id", r.policy_id.as_str(), COMPOSITION);
    request::plan(
        r.header.as_ref(),
        record,
        |fields| fields.optional_uuid("superseded_by_policy_id", &r.superseded_by_policy_id),
        |superseded_by, header| {
            composition::Command::End(composition::End {
                superseded_by,
                details: r.details.clone(),
                decision: header.decision.clone(),
                effective_date: header.effective_date,
            })
        },
    )
}

pub(super) async fn view<L: EventLog>(
    commands: &Commands<L>,
    r: pb::GetCompositionPolicyRequest,
) -> Result<pb::CompositionPolicyView, Status> {
    let (policy_id, as_of) = request::id_as_of("policy_id", &r.policy_id, r.as_of.as_ref())?;
    let (state, version) = request::load_as_of::<Composition, L>(commands, COMPOSITION, policy_id, as_of).await?;
    Ok(pb::CompositionPolicyView {
        in_force: state.in_force(),
        issued: state.issued,
        ended: state.ended,
        as_of: Some(as_of.to_proto()),
        version,
    })
}
