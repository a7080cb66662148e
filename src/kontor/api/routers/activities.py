"""``/api/v1/activities``: calls, meetings, e-mails, tasks and to-dos bound to records.

``GET /activities?entity=deal&entity_id=N`` lists one record's activities.
"""

from __future__ import annotations

from ninja import Query, Router, Status

from kontor.api.auth import current_user
from kontor.api.schemas import ActivityFilters, ActivityIn, ActivityOut, Id, body, errors, list_filters, page_of
from kontor.api.serializers import activities_out, page
from kontor.crm import access
from kontor.crm.models import Activity
from kontor.crm.selectors import activity_list
from kontor.crm.services import activity_create, activity_delete, activity_update
from kontor.crm.services.common import get_or_404

router = Router()
ActivityPage = page_of(ActivityOut, "ActivityPage")


def _read(pk: int) -> dict:
    return activities_out([get_or_404(Activity, pk)])[0]


@router.get("", response={200: ActivityPage, **errors(401, 422)}, summary="List activities")
def list_activities(request, params: Query[ActivityFilters]):
    qs = access.scope(activity_list(filters=list_filters(request), order=params.order), current_user(request))
    return page(qs, limit=params.limit, offset=params.offset, count=params.count, render=activities_out)


@router.post("", response={201: ActivityOut, **errors(400, 401, 403, 422)},
             summary="Create an activity bound to one or more records")
def create_activity(request, payload: ActivityIn):
    activity = activity_create(actor=current_user(request), data=body(payload))
    return Status(201, _read(activity.pk))


@router.get("/{activity_id}", response={200: ActivityOut, **errors(401, 404, 422)}, summary="Read an activity")
def get_activity(request, activity_id: Id):
    return _read(access.visible(Activity, activity_id, current_user(request)).pk)


@router.patch("/{activity_id}", response={200: ActivityOut, **errors(400, 401, 403, 404, 422)},
              summary="Change an activity; completed=true completes it, bindings replace the old ones")
def update_activity(request, activity_id: Id, payload: ActivityIn):
    user = current_user(request)
    activity = activity_update(activity=access.visible(Activity, activity_id, user), actor=user,
                               data=body(payload))
    return _read(activity.pk)


@router.delete("/{activity_id}", response={204: None, **errors(401, 403, 404, 422)}, summary="Delete an activity")
def delete_activity(request, activity_id: Id):
    activity_delete(activity=access.visible(Activity, activity_id, current_user(request)), actor=current_user(request))
    return Status(204, None)
