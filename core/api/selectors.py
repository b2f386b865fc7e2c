"""Reads of the API app."""

from __future__ import annotations

import functools
import hmac

from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import timezone

from core.api.models import ApiToken
from core.api.services import TOKEN_PREFIX, token_hash
from core.api.throttling import COUNTER_ROW_SQL, LookupHit, counter_hit_sql, counter_row
from core.roles import user_roles_known
from core.statements import ModelColumns, quoted, row_split


def _token_parts(raw: str) -> tuple[str, str] | None:
    parts = raw.split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX or not parts[1] or not parts[2]:
        return None
    return parts[1], parts[2]


def _token_live(token: ApiToken | None, expected_hash: str) -> ApiToken | None:
    if token is None or not hmac.compare_digest(token.secret_hash, expected_hash):
        return None
    if token.revoked_at is not None or token.expires_at <= timezone.now() or not token.user.is_active:
        return None
    return token


def api_token_authenticate(*, raw: str) -> ApiToken | None:
    """The live token of the current territory that `raw` (`ppe_<prefix>_<secret>`) is, or None."""
    parts = _token_parts(raw)
    if parts is None:
        return None
    expected = token_hash(prefix=parts[0], secret=parts[1])
    token, _counter, _counted = _token_with_user(parts[0])
    return _token_live(token, expected)


def api_token_authenticate_counted(
    *, raw: str, counter_key: str, hit: LookupHit | None = None
) -> tuple[ApiToken | None, list | None]:
    """`api_token_authenticate`, and in the same statement the stored row of the rate counter `counter_key`
    (`core.api.throttling.counter_row`: the failed tokens of the client's address, read at every request before
    the token is trusted) — one round trip of each API request less. With `hit` (`TokenRateThrottle.lookup_hit`),
    the same statement also counts a hit of the token's own counter, only if the token is live (its secret's
    hash, not revoked, not expired, its user active: a wrong secret never counts against someone's token), and
    the token carries the counts as `rate_counted` (None when nothing was counted) — one round trip more less."""
    parts = _token_parts(raw)
    if parts is None:
        return None, counter_row(counter_key)
    expected = token_hash(prefix=parts[0], secret=parts[1])
    token, counter, counted = _token_with_user(parts[0], counter_key, hit, expected)
    token = _token_live(token, expected)
    if token is not None and hit is not None:
        token.rate_counted = hit.count(counted)
    return token, counter


@functools.cache
def _token_statement(counted: bool, rated: bool = False) -> tuple[str, ModelColumns, ModelColumns]:
    """The token lookup's SQL, built once per process: the token, its user and the user's group names in one
    statement (and, `counted`, a rate counter's row: one row always, the token's columns empty when there is
    no such token; and, `rated`, a hit of the token's own counter, counted by the statement's WITH clause when
    the token is live). Asked at every API request, it skips the ORM's query compiler (measured: about 2 ms a
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

    def tables(t: ModelColumns, u: ModelColumns) -> str:
        return (
            f"{quoted(ApiToken._meta.db_table)} {t.alias} "
            f"JOIN {quoted(User._meta.db_table)} {u.alias} ON {u.alias}.{user_pk} = {t.column('user')}"
        )

    select = f"SELECT {token.select}, {user.select}, {groups}"  # (model names; values as parameters)
    if not counted:
        where = f"WHERE {token.column('prefix')} = %s"
        return f"{select} FROM {tables(token, user)} {where}", token, user
    select += f", ({COUNTER_ROW_SQL})"
    found = f"FROM (VALUES (1)) one LEFT JOIN ({tables(token, user)}) ON {token.column('prefix')} = %s"
    statement = f"{select} {found}"
    if rated:
        live, live_user = ModelColumns(ApiToken, "h"), ModelColumns(User, "hu")
        hit = counter_hit_sql(
            f"SELECT %s || {live.column('id')}::text, %s, 1, 0, now() + %s * interval '1 second' "  # noqa: S608
            f"FROM {tables(live, live_user)} WHERE {live.column('prefix')} = %s "
            f"AND {live.column('secret_hash')} = %s AND {live.column('revoked_at')} IS NULL "
            f"AND {live.column('expires_at')} > now() AND {live_user.column('is_active')}"
        )
        statement = f'WITH hit AS ({hit}) {select}, (SELECT ARRAY["hits", "previous"] FROM hit) {found}'  # noqa: S608
    return statement, token, user


def _token_with_user(
    prefix: str, counter_key: str | None = None, hit: LookupHit | None = None, expected_hash: str = ""
) -> tuple[ApiToken | None, list | None, list | None]:
    statement, token_columns, user_columns = _token_statement(counter_key is not None, hit is not None)
    if counter_key is None:
        params = [prefix]
    elif hit is None:
        params = [counter_key, prefix]
    else:
        params = [hit.key_prefix, hit.window, hit.keep, prefix, expected_hash, counter_key, prefix]
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        row = cursor.fetchone()
    if row is None:
        return None, None, None
    token, user, groups, *extra = row_split(row, token_columns, user_columns)
    counter = extra[0] if extra else None  # the counter's stored row (`counter_row`), when asked
    counted = extra[1] if len(extra) > 1 else None  # the token's own counts [hits, previous], when counted
    if token is None:
        return None, counter, counted
    token._state.fields_cache["user"] = user
    user_roles_known(user, groups or [])
    return token, counter, counted
