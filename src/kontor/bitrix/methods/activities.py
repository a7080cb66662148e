"""crm.activity.* and crm.activity.todo.add over Kontor's activity services."""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.db.models.functions import Coalesce

from kontor.bitrix.errors import argument_error, crm_error, translate
from kontor.bitrix.filters import Field
from kontor.bitrix.mapping import Catalog, dt, parse_when, s, yn
from kontor.bitrix.methods.common import Entity, date_field, field_meta, int_field, str_field, text_in
from kontor.bitrix.params import as_list, get_param, to_int, yes_no
from kontor.bitrix.registry import Call, method
from kontor.core.errors import KontorError
from kontor.crm import services
from kontor.crm.enums import ActivityType
from kontor.crm.models import Activity, ActivityBinding
from kontor.crm.selectors import record_bindings

#: Bitrix24 TYPE_ID ↔ Kontor type; to-dos are "provider" activities (6) with PROVIDER_ID CRM_TODO.
TYPE_TO_BITRIX = {ActivityType.MEETING: 1, ActivityType.CALL: 2, ActivityType.TASK: 3, ActivityType.EMAIL: 4,
                  ActivityType.TODO: 6}
TYPE_FROM_BITRIX = {v: k for k, v in TYPE_TO_BITRIX.items()}
PROVIDER = {ActivityType.MEETING: "CRM_MEETING", ActivityType.CALL: "VOXIMPLANT_CALL",
            ActivityType.TASK: "CRM_TASKS_TASK", ActivityType.EMAIL: "CRM_EMAIL", ActivityType.TODO: "CRM_TODO"}
PROVIDER_TYPE = {ActivityType.MEETING: "MEETING", ActivityType.CALL: "CALL", ActivityType.TASK: "TASK",
                 ActivityType.EMAIL: "EMAIL", ActivityType.TODO: "TODO"}
OWNER_TYPES = {1: "lead", 2: "deal", 3: "contact", 4: "company"}
#: The service's field names as the facade's clients know them (for error texts).
NATIVE_TO_BITRIX = {"subject": "SUBJECT", "description": "DESCRIPTION", "deadline": "DEADLINE",
                    "responsible_id": "RESPONSIBLE_ID", "responsible": "RESPONSIBLE_ID", "type": "TYPE_ID",
                    "priority": "PRIORITY", "direction": "DIRECTION", "completed": "COMPLETED",
                    "bindings": "BINDINGS", "start_time": "START_TIME", "end_time": "END_TIME",
                    "communications": "COMMUNICATIONS"}


def _binding(owner_type: Any, owner_id: Any) -> dict[str, Any]:
    type_id, pk = to_int(owner_type), to_int(owner_id)
    if type_id not in OWNER_TYPES or pk is None or pk <= 0:
        raise crm_error("Could not build binding. Please ensure that owner info and communications are defined.")
    return {"entity": OWNER_TYPES[type_id], "id": pk}


def communications_in(raw: Any) -> list[dict[str, Any]]:
    """COMMUNICATIONS ``[{"VALUE", "TYPE", "ENTITY_TYPE_ID", "ENTITY_ID"}, …]`` in the service's form."""
    out = []
    for index, item in enumerate(as_list(raw)):
        if not isinstance(item, dict):
            raise crm_error(f"COMMUNICATIONS[{index}] must be an object with VALUE and TYPE.")
        upper = {str(k).upper(): v for k, v in item.items()}
        entity_type, entity_id = upper.get("ENTITY_TYPE_ID"), upper.get("ENTITY_ID")
        type_id = to_int(entity_type) if entity_type not in (None, "") else None
        pk = to_int(entity_id) if entity_id not in (None, "") else None
        if (entity_type not in (None, "", 0, "0") and type_id not in OWNER_TYPES) or (
                entity_id not in (None, "", 0, "0") and (pk is None or pk <= 0)):
            raise crm_error(f"COMMUNICATIONS[{index}]: ENTITY_TYPE_ID and ENTITY_ID must name a lead, deal, "
                            "contact or company.")
        out.append({"type": str(upper.get("TYPE") or "").upper(), "value": str(upper.get("VALUE") or ""),
                    "entity_type": type_id or None, "entity_id": pk or None})
    return out


def communications_out(obj: Activity) -> list[dict[str, Any]]:
    """The stored communications as Bitrix24 answers them; ``ID`` counts within the activity."""
    return [{"ID": s(index), "TYPE": c.get("type", ""), "VALUE": c.get("value", ""),
             "ENTITY_ID": s(c.get("entity_id") or 0), "ENTITY_TYPE_ID": s(c.get("entity_type") or 0)}
            for index, c in enumerate(obj.communications or [], start=1)]


class ActivityEntity(Entity):
    name = "activity"
    model = Activity
    order_fields = {"ID": "id", "DEADLINE": "deadline", "START_TIME": "start_at", "END_TIME": "end_at",
                    "CREATED": "created_at", "LAST_UPDATED": "updated_at", "SUBJECT": "subject",
                    "RESPONSIBLE_ID": "responsible_id", "COMPLETED": "completed", "PRIORITY": "priority"}

    def queryset(self) -> QuerySet:
        # An activity without its own start or end (made through the native API) starts and ends at its deadline.
        return Activity.objects.annotate(start_at=Coalesce("start_time", "deadline"),
                                         end_at=Coalesce("end_time", "deadline"))

    def filter_fields(self, catalog: Catalog) -> dict[str, Any]:
        def type_id(raw: Any) -> str:
            number = to_int(raw)
            return TYPE_FROM_BITRIX.get(number, "-") if number is not None else "-"

        def provider(raw: Any) -> str:
            found = [k for k, v in PROVIDER.items() if v == str(raw).upper()]
            return found[0] if found else "-"

        def bindings(op: str, raw: Any) -> Q:
            if op not in ("", "="):
                raise argument_error("Filter field 'BINDINGS' supports only equality.", "filter")
            cond = Q()
            for item in as_list(raw):
                if not isinstance(item, dict):
                    raise argument_error("BINDINGS must be a list of {OWNER_TYPE_ID, OWNER_ID}.", "filter")
                upper = {str(k).upper(): v for k, v in item.items()}
                type_, pk = to_int(upper.get("OWNER_TYPE_ID")), to_int(upper.get("OWNER_ID"))
                if type_ is None or pk is None or abs(pk) > 2**62 or abs(type_) > 2**15:
                    raise argument_error("BINDINGS must be a list of {OWNER_TYPE_ID, OWNER_ID}.", "filter")
                sub = ActivityBinding.objects.filter(activity=OuterRef("pk"), entity_type=type_, entity_id=pk)
                cond |= Q(Exists(sub))
            return cond

        return {
            "ID": int_field("id"),
            "OWNER_ID": int_field("owner_id"),
            "OWNER_TYPE_ID": int_field("owner_type"),
            "TYPE_ID": Field("type", compare=False, convert=type_id),
            "PROVIDER_ID": Field("type", compare=False, convert=provider),
            "SUBJECT": str_field("subject"),
            "DESCRIPTION": str_field("description"),
            "COMPLETED": Field("completed", kind="yn", compare=False),
            "RESPONSIBLE_ID": int_field("responsible_id"),
            "AUTHOR_ID": int_field("author_id"),
            "PRIORITY": int_field("priority"),
            "DIRECTION": int_field("direction"),
            "DEADLINE": date_field("deadline"),
            "START_TIME": date_field("start_at"),
            "END_TIME": date_field("end_at"),
            "CREATED": date_field("created_at"),
            "LAST_UPDATED": date_field("updated_at"),
            "BINDINGS": bindings,
        }

    def page_extra(self, rows, call, wanted):
        if wanted is not None and "BINDINGS" not in wanted:
            return {}
        from kontor.crm.enums import EntityType

        binds = record_bindings([r.pk for r in rows])
        return {pk: {"bindings": [{"OWNER_TYPE_ID": str(EntityType[b["entity"].upper()].value),
                                   "OWNER_ID": str(b["id"])} for b in items]}
                for pk, items in binds.items()}

    def to_bitrix(self, obj: Activity, call: Call, extra: dict[str, Any]) -> dict[str, Any]:
        type_ = ActivityType(obj.type)
        when = dt(obj.deadline)
        start = dt(obj.start_time) if obj.start_time else when
        end = dt(obj.end_time) if obj.end_time else when
        data: dict[str, Any] = {
            "ID": s(obj.pk),
            "OWNER_ID": s(obj.owner_id),
            "OWNER_TYPE_ID": s(obj.owner_type),
            "TYPE_ID": s(TYPE_TO_BITRIX[type_]),
            "PROVIDER_ID": PROVIDER[type_],
            "PROVIDER_TYPE_ID": PROVIDER_TYPE[type_],
            "PROVIDER_GROUP_ID": None,
            "ASSOCIATED_ENTITY_ID": "0",
            "SUBJECT": obj.subject,
            "CREATED": dt(obj.created_at),
            "LAST_UPDATED": dt(obj.updated_at),
            "START_TIME": start,
            "END_TIME": end,
            "DEADLINE": when,
            "COMPLETED": yn(obj.completed),
            "STATUS": "2" if obj.completed else "1",
            "RESPONSIBLE_ID": s(obj.responsible_id),
            "PRIORITY": s(obj.priority),
            "NOTIFY_TYPE": "0",
            "NOTIFY_VALUE": "0",
            "DESCRIPTION": obj.description,
            "DESCRIPTION_TYPE": "1",
            "DIRECTION": s(obj.direction or 0),
            "LOCATION": "",
            "SETTINGS": [],
            "ORIGINATOR_ID": None,
            "ORIGIN_ID": None,
            "AUTHOR_ID": s(obj.author_id),
            "EDITOR_ID": s(obj.author_id),
            "IS_INCOMING_CHANNEL": "N",
        }
        if "bindings" in extra:
            data["BINDINGS"] = extra["bindings"]
        return data

    def item(self, obj, call, *, select_all=True, names=None, extra=None):
        data = super().item(obj, call, select_all=select_all, names=names, extra=extra)
        # crm.activity.list answers the communications only when selected (crm.activity.get always).
        if names and "COMMUNICATIONS" in names:
            data["COMMUNICATIONS"] = communications_out(obj)
        return data

    def data_in(self, fields: dict[str, Any], *, creating: bool) -> dict[str, Any]:
        data: dict[str, Any] = {}
        if "SUBJECT" in fields:
            data["subject"] = text_in(fields["SUBJECT"])
        if "DESCRIPTION" in fields:
            data["description"] = text_in(fields["DESCRIPTION"])
        type_raw = fields.get("TYPE_ID")
        if type_raw not in (None, ""):
            type_id = to_int(type_raw)
            if type_id is None:
                raise crm_error("The field TYPE_ID is not defined or invalid.")
            data["type"] = TYPE_FROM_BITRIX.get(type_id, ActivityType.TODO)
        elif creating:
            provider = str(fields.get("PROVIDER_ID") or "").upper()
            found = [k for k, v in PROVIDER.items() if v == provider]
            data["type"] = found[0] if found else ActivityType.TODO
        for name, native in (("DEADLINE", "deadline"), ("START_TIME", "start_time"), ("END_TIME", "end_time")):
            if fields.get(name) not in (None, ""):
                data[native] = parse_when(fields[name], name)
        if "COMMUNICATIONS" in fields:
            data["communications"] = communications_in(fields["COMMUNICATIONS"])
        if "COMPLETED" in fields:
            flag = yes_no(fields["COMPLETED"])
            if flag is None:
                raise crm_error("The field COMPLETED must be Y or N.")
            data["completed"] = flag
        if fields.get("RESPONSIBLE_ID") not in (None, ""):
            data["responsible_id"] = fields["RESPONSIBLE_ID"]
        if "DIRECTION" in fields:
            data["direction"] = to_int(fields["DIRECTION"]) or None
        if fields.get("PRIORITY") not in (None, ""):
            data["priority"] = to_int(fields["PRIORITY"])
            if data["priority"] is None:
                raise crm_error("The field PRIORITY must be 1, 2 or 3.")
        if creating:
            # OWNER_TYPE_ID/OWNER_ID are the owner; BINDINGS adds more records (immutable afterwards).
            bindings = []
            if "OWNER_TYPE_ID" in fields or "OWNER_ID" in fields:
                bindings.append(_binding(fields.get("OWNER_TYPE_ID"), fields.get("OWNER_ID")))
            for item in as_list(fields.get("BINDINGS")):
                if isinstance(item, dict):
                    upper = {str(k).upper(): v for k, v in item.items()}
                    bindings.append(_binding(upper.get("OWNER_TYPE_ID"), upper.get("OWNER_ID")))
            if not bindings:
                bindings = [{"entity": OWNER_TYPES[c["entity_type"]], "id": c["entity_id"]}
                            for c in data.get("communications", []) if c["entity_type"] in OWNER_TYPES]
            if not bindings:
                raise crm_error("Could not build binding. Please ensure that owner info and communications "
                                "are defined.")
            data["bindings"] = bindings
        return data

    def create(self, call: Call, fields: dict[str, Any]) -> int:
        try:
            return services.activity_create(actor=call.user, data=self.data_in(fields, creating=True)).pk
        except KontorError as exc:
            raise translate(exc, NATIVE_TO_BITRIX) from exc

    def update(self, obj: Activity, call: Call, fields: dict[str, Any]) -> None:
        try:
            services.activity_update(activity=obj, actor=call.user, data=self.data_in(fields, creating=False))
        except KontorError as exc:
            raise translate(exc, NATIVE_TO_BITRIX) from exc

    def delete(self, obj: Activity, call: Call) -> None:
        services.activity_delete(activity=obj, actor=call.user)

    def get_object(self, pk: int, call: Call) -> Any:
        obj = self.scoped(call).filter(pk=pk).first()
        if obj is None:
            raise crm_error("Activity is not found")
        return obj

    def handle_get(self, call: Call) -> dict[str, Any]:
        from kontor.bitrix.params import get_id

        obj = self.get_object(get_id(call.params), call)
        data = self.item(obj, call, extra=self.page_extra([obj], call, None)[obj.pk])
        data["COMMUNICATIONS"] = communications_out(obj)
        return data

    def fields_description(self, call: Call) -> dict[str, Any]:
        return {
            "ID": field_meta("integer", "ID", read_only=True),
            "OWNER_ID": field_meta("integer", "Owner ID", required=True, immutable=True),
            "OWNER_TYPE_ID": field_meta("integer", "Owner type", required=True, immutable=True),
            "TYPE_ID": field_meta("crm_enum_activitytype", "Type", required=True, immutable=True),
            "PROVIDER_ID": field_meta("string", "Provider", immutable=True),
            "SUBJECT": field_meta("string", "Subject", required=True),
            "DESCRIPTION": field_meta("string", "Description"),
            "START_TIME": field_meta("datetime", "Start time"),
            "END_TIME": field_meta("datetime", "End time"),
            "DEADLINE": field_meta("datetime", "Deadline"),  # add and update write it
            "COMPLETED": field_meta("char", "Completed"),
            "STATUS": field_meta("crm_enum_activitystatus", "Status", read_only=True),
            "RESPONSIBLE_ID": field_meta("user", "Responsible person", required=True),
            "PRIORITY": field_meta("crm_enum_activitypriority", "Priority"),
            "DIRECTION": field_meta("crm_enum_activitydirection", "Direction"),  # update changes it
            "AUTHOR_ID": field_meta("user", "Created by", read_only=True),
            "CREATED": field_meta("datetime", "Created on", read_only=True),
            "LAST_UPDATED": field_meta("datetime", "Modified on", read_only=True),
            "BINDINGS": field_meta("crm_activity_binding", "Bindings", read_only=True, multiple=True),
            "COMMUNICATIONS": field_meta("crm_activity_communication", "Communications", required=True,
                                         multiple=True),
        }


ACTIVITIES = ActivityEntity()
ACTIVITIES.register()


def activity_todo_add(call: Call) -> dict[str, int]:
    """The newer to-do call: camelCase parameters, answers ``{"id": n}``."""
    params = call.params
    data: dict[str, Any] = {
        "type": ActivityType.TODO,
        "bindings": [_binding(get_param(params, "ownerTypeId"), get_param(params, "ownerId"))],
        "subject": text_in(get_param(params, "title") or get_param(params, "description") or "To-do"),
        "description": text_in(get_param(params, "description") or ""),
    }
    if get_param(params, "deadline") not in (None, ""):
        data["deadline"] = parse_when(get_param(params, "deadline"), "deadline")
    if get_param(params, "responsibleId") not in (None, ""):
        data["responsible_id"] = get_param(params, "responsibleId")
    activity = services.activity_create(actor=call.user, data=data)
    return {"id": activity.pk}


method("crm.activity.todo.add")(activity_todo_add)
