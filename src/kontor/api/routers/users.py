"""``/api/v1/users``: who works in the CRM, the caller's own profile, and API token self-service.

Every user may list users (to assign records); only an admin creates one. Tokens are the caller's
own: the raw token is in the answer to ``POST /users/me/tokens`` and never again.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from ninja import Router, Status
from pydantic import StrictBool, StrictInt

from kontor.accounts.models import ApiToken
from kontor.accounts.roles import user_set_access
from kontor.accounts.services import token_create, token_revoke, user_create, user_set_active, user_set_role
from kontor.api.auth import current_user, require_admin
from kontor.api.schemas import Id, InputSchema, TokenCreatedOut, TokenIn, TokenOut, UserIn, UserOut, errors, no_query
from kontor.core.errors import ErrorCode, KontorError, not_found, validation
from kontor.core.normalize import normalize_email

router = Router()


class UserPatch(InputSchema):
    """What an admin may change of another user here: whether they can log in, their role (``admin``
    or ``manager``), their custom role (``null``: the built-in one) and their department."""

    is_active: StrictBool | None = None
    role: str | None = None
    access_role_id: StrictInt | None = None
    department_id: StrictInt | None = None


def _user_out(user) -> dict:
    return {"id": user.pk, "username": user.username, "first_name": user.first_name, "last_name": user.last_name,
            "email": user.email, "role": user.role, "is_active": user.is_active,
            "access_role_id": user.access_role_id, "department_id": user.department_id}


def _token_out(token: ApiToken) -> dict:
    return {"id": token.pk, "name": token.name, "prefix": token.prefix, "created_at": token.created_at,
            "last_used_at": token.last_used_at, "revoked_at": token.revoked_at}


@router.get("", response={200: list[UserOut], **errors(401, 422)}, summary="List users")
def list_users(request):
    no_query(request)
    return [_user_out(u) for u in get_user_model().objects.order_by("username")]


@router.post("", response={201: UserOut, **errors(400, 401, 403, 409, 422)}, summary="Create a user (admin)")
def create_user(request, payload: UserIn):
    require_admin(request)
    email = ""
    if payload.email.strip():
        normalized = normalize_email(payload.email)
        if normalized is None:
            raise KontorError(ErrorCode.INVALID_EMAIL, f"'{payload.email}' is not a valid e-mail address",
                              field="email")
        email = normalized
    if payload.password:
        try:
            validate_password(payload.password)
        except DjangoValidationError as exc:
            raise validation(" ".join(exc.messages), "password") from None
    user = user_create(username=payload.username, password=payload.password, role=payload.role, email=email,
                       first_name=payload.first_name.strip(), last_name=payload.last_name.strip())
    return Status(201, _user_out(user))


@router.get("/me", response={200: UserOut, **errors(401)}, summary="The calling user")
def me(request):
    return _user_out(current_user(request))


@router.get("/me/tokens", response={200: list[TokenOut], **errors(401, 422)}, summary="The caller's API tokens")
def list_tokens(request):
    no_query(request)
    return [_token_out(t) for t in ApiToken.objects.filter(user=current_user(request)).order_by("-created_at", "-id")]


@router.post("/me/tokens", response={201: TokenCreatedOut, **errors(400, 401, 403, 422)},
             summary="Create an API token for the caller; the token is shown only in this answer")
def create_token(request, payload: TokenIn):
    token, raw = token_create(user=current_user(request), name=payload.name.strip())
    return Status(201, {**_token_out(token), "token": raw})


@router.delete("/me/tokens/{token_id}", response={204: None, **errors(401, 403, 404, 422)},
               summary="Revoke one of the caller's API tokens")
def revoke_token(request, token_id: Id):
    token = ApiToken.objects.filter(pk=token_id, user=current_user(request)).first()
    if token is None:
        raise not_found("Token", token_id)
    token_revoke(token=token)
    return Status(204, None)


@router.get("/{user_id}", response={200: UserOut, **errors(401, 404, 422)}, summary="Read a user")
def get_user(request, user_id: Id):
    user = get_user_model().objects.filter(pk=user_id).first()
    if user is None:
        raise not_found("User", user_id)
    return _user_out(user)


def _user_or_404(user_id: int):
    user = get_user_model().objects.filter(pk=user_id).first()
    if user is None:
        raise not_found("User", user_id)
    return user


@router.patch("/{user_id}", response={200: UserOut, **errors(400, 401, 403, 404, 409, 422)},
              summary="Deactivate or reactivate a user, or give them a role and department (admin); "
                      "a deactivated user's tokens and webhooks stop working")
def patch_user(request, user_id: Id, payload: UserPatch):
    require_admin(request)
    actor, user = current_user(request), _user_or_404(user_id)
    given = payload.model_dump(exclude_unset=True)
    if not given:
        raise validation("give at least one of is_active, role, access_role_id, department_id", "is_active")
    if "is_active" in given and given["is_active"] is None:
        raise validation("is_active must be true or false", "is_active")
    with transaction.atomic():
        if given.get("is_active") is not None:
            user = user_set_active(actor=actor, user=user, active=given["is_active"])
        if "role" in given:  # the service the web UI's user settings use too
            user = user_set_role(actor=actor, user=user, role=given["role"])
        access = {k: v for k, v in given.items() if k in ("access_role_id", "department_id")}
        if access:
            user = user_set_access(actor=actor, user=user, **access)
    return _user_out(user)


@router.get("/{user_id}/tokens", response={200: list[TokenOut], **errors(401, 403, 404, 422)},
            summary="A user's API tokens (admin)")
def list_user_tokens(request, user_id: Id):
    require_admin(request)
    no_query(request)
    user = _user_or_404(user_id)
    return [_token_out(t) for t in ApiToken.objects.filter(user=user).order_by("-created_at", "-id")]


@router.delete("/{user_id}/tokens/{token_id}", response={204: None, **errors(401, 403, 404, 422)},
               summary="Revoke another user's API token (admin)")
def revoke_user_token(request, user_id: Id, token_id: Id):
    require_admin(request)
    token = ApiToken.objects.filter(pk=token_id, user=_user_or_404(user_id)).first()
    if token is None:
        raise not_found("Token", token_id)
    token_revoke(token=token)
    return Status(204, None)
