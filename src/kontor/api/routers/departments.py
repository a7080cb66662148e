"""``/api/v1/departments``: the departments' endpoints live beside the roles' in ``roles``."""

from kontor.api.routers.roles import departments_router as router

__all__ = ["router"]
