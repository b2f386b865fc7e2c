"""Reads of the API app."""

from __future__ import annotations

import functools
import hmac

from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import timezone

from core.api.models import ApiToken
from core.api.services import TOKEN_PREFIX, token_hash
from core.api.throttling import COUNTER_ROW_SQL, counter_row
from core.roles import user_roles_known
from core.statements import ModelColumns, quoted, row_split


def _token_parts(raw: str) -> tuple[str, str] | None:
    parts = raw.split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX or not parts[1] or not parts[2]:
        return None
    return parts[1], parts[2]


def _token_live(token: ApiToken | None, prefix: str, secret: str) -> ApiToken | None:
    if token is None or not hmac.compare_digest(token.secret_hash, token_hash(prefix=prefix, secret=secret)):
        return None
    if token.revoked_at is not None or token.expires_at <= timezone.now() or not token.user.is_active:
        return None
    return token


def api_token_authenticate(*, raw: str) -> ApiToken | None:
    """The live token of the current territory that `raw` (`ppe_<prefix>_<secret>`) is, or None."""
    parts = _token_parts(raw)
    if parts is None:
        return None
    token, _counter = _token_with_user(parts[0])
    return _token_live(token, *parts)


def api_token_authenticate_counted(*, raw: str, counter_key: str) -> tuple[ApiToken | None, list | None]:
    """`api_token_authenticate`, and in the same statement the stored row of the rate counter `counter_key`
    (`core.api.throttling.counter_row`: the failed tokens of the client's address, read at every request before
    the token is trusted) — one round trip of each API request less."""
    parts = _token_parts(raw)
    if parts is None:
        return None, counter_row(counter_key)
    token, counter = _token_with_user(parts[0], counter_key)
    return _token_live(token, *parts), counter


@functools.cache
def _token_statement(counted: bool) -> tuple[str, ModelColumns, ModelColumns]:
    """The token lookup's SQL, built once per process: the token, its user and the user's group names in one
    statement (and, `counted`, a rate counter's row: one row always, the token's columns empty when there is
    no such token). Asked at every API request, it skips the ORM's query compiler (measured: about 2 ms a
    request of 13, bench/api.py's transition) and reads the same rows `ApiToken.objects.select_related("user")`
    would."""
    User = get_user_model()
    token, user = ModelColumns(ApiToken, "t"), ModelColumns(User, "u")
    membership = User.groups.through
    group = User.groups.field.related_model
    user_column = quoted(membership._meta.get_field(User.groups.field.m2m_field_name()).column)
    group_column = quoted(membership._meta.get_field(User.groups.field.m2m_reverse_field_name()).column)
    user_pk, group_pk = quoted(User._meta.pk.column), quoted(group._meta.pk.column)
    name = quoted(group._meta.get_field("name").column)
    groups = (
        f"ARRAY(SELECT g.{name} FROM {quoted(membership._meta.db_table)} m "  # noqa: S608 (model names)
        f"JOIN {quoted(group._meta.db_table)} g ON g.{group_pk} = m.{group_column} WHERE m.{user_column} = u.{user_pk})"
    )
    tables = (
        f"{quoted(ApiToken._meta.db_table)} t "
        f"JOIN {quoted(User._meta.db_table)} u ON u.{user_pk} = {token.column('user')}"
    )
    if counted:
        statement = (
            f"SELECT {token.select}, {user.select}, {groups}, ({COUNTER_ROW_SQL}) "  # noqa: S608 (model names)
            f"FROM (VALUES (1)) one LEFT JOIN ({tables}) ON {token.column('prefix')} = %s"
        )
    else:
        statement = f"SELECT {token.select}, {user.select}, {groups} FROM {tables} WHERE {token.column('prefix')} = %s"  # noqa: S608
    return statement, token, user


def _token_with_user(prefix: str, counter_key: str | None = None) -> tuple[ApiToken | None, list | None]:
    statement, token_columns, user_columns = _token_statement(counter_key is not None)
    with connection.cursor() as cursor:
        cursor.execute(statement, [prefix] if counter_key is None else [counter_key, prefix])
        row = cursor.fetchone()
    if row is None:
        return None, None
    token, user, groups, *counted = row_split(row, token_columns, user_columns)
    counter = counted[0] if counted else None  # the counter's stored row (`counter_row`), when asked
    if token is None:
        return None, counter
    token._state.fields_cache["user"] = user
    user_roles_known(user, groups or [])
    return token, counter
