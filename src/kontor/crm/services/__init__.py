"""Write operations of the CRM domain. Every interface (API, UI, CLI, facade) calls these.

Each service is a keyword-only, typed function named ``<entity>_<action>`` that owns its
transaction and raises ``KontorError`` with a code on bad input.
"""

from kontor.crm.services.activities import (
    activity_complete,
    activity_create,
    activity_delete,
    activity_update,
)
from kontor.crm.services.common import communications_set, timeline_add
from kontor.crm.services.companies import company_create, company_delete, company_update
from kontor.crm.services.contacts import contact_create, contact_delete, contact_update
from kontor.crm.services.deals import (
    deal_contacts_set,
    deal_create,
    deal_delete,
    deal_move_stage,
    deal_update,
)
from kontor.crm.services.leads import lead_create, lead_delete, lead_update
from kontor.crm.services.pipelines import (
    lead_status_create,
    lead_status_delete,
    lead_status_update,
    pipeline_create,
    pipeline_delete,
    pipeline_update,
    stage_create,
    stage_delete,
    stage_update,
)

__all__ = [
    "activity_complete",
    "activity_create",
    "activity_delete",
    "activity_update",
    "communications_set",
    "company_create",
    "company_delete",
    "company_update",
    "contact_create",
    "contact_delete",
    "contact_update",
    "deal_contacts_set",
    "deal_create",
    "deal_delete",
    "deal_move_stage",
    "deal_update",
    "lead_create",
    "lead_delete",
    "lead_status_create",
    "lead_status_delete",
    "lead_status_update",
    "lead_update",
    "pipeline_create",
    "pipeline_delete",
    "pipeline_update",
    "stage_create",
    "stage_delete",
    "stage_update",
    "timeline_add",
]
