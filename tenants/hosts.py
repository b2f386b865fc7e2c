"""Host → territory, cached in each process: one round trip less for every request (pages, API, static files).

Every request starts by finding its territory from its host (django-tenants' middleware: a query on the domain
table joined to the territories). The answer changes only when a domain or a territory does, so each process
keeps it, for at most `PPE_HOST_CACHE_MAX` hosts (the least recently used go first), unknown hosts included.

Invalidation:
- in the process that changes a domain or a territory (saved or deleted through the ORM), at once and again when
  its transaction commits (a request served meanwhile may have cached what was still there);
- in every other process (the other web workers, the huey consumers, other machines), at most
  `PPE_HOST_CACHE_CHECK_MS` later: a process compares, at most that often, a signature of both tables (each
  row's id and `xmin`, which every insert, update and delete changes) with the one it last saw, and forgets
  everything when it differs. One small query a second per process instead of one per request.
Each request gets its own copy of the territory object: what code caches on it for the request (pole switches,
settings) never outlives the request.
"""

from __future__ import annotations

import copy
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models.signals import post_delete, post_save
from django.http.request import split_domain_port
from django_tenants.middleware.main import TenantMainMiddleware
from django_tenants.utils import remove_www

_UNKNOWN = object()  # a host that names no territory (cached too: a scanner's requests cost no query either)


def _signature() -> tuple[str, str]:
    from tenants.models import Domain, Territory

    parts = []
    for model in (Domain, Territory):
        table = connection.ops.quote_name(model._meta.db_table)
        rows = "string_agg(id::text || ':' || xmin::text, ',' ORDER BY id)"
        parts.append(f"(SELECT md5(coalesce({rows}, '')) FROM public.{table})")  # noqa: S608 (a model's table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(parts)}")
        return tuple(cursor.fetchone())


class HostCache:
    """A bounded, thread-safe map of host name → territory (or unknown), revalidated against the database."""

    def __init__(self, *, maxsize: int, check_seconds: float) -> None:
        self.maxsize = maxsize
        self.check_seconds = check_seconds
        self._entries: OrderedDict[str, Any] = OrderedDict()
        self._lock = threading.Lock()
        self._signature: tuple[str, str] | None = None
        self._checked_at = float("-inf")
        self.hits = self.misses = 0

    def __len__(self) -> int:
        return len(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._checked_at = float("-inf")  # and look at the tables again before the next answer

    def territory(self, hostname: str, load: Callable[[], Any]):
        """The territory of `hostname` (a copy of its own for the caller), or None when no domain names it.

        `load()` answers a miss: the territory, or raises the domain model's DoesNotExist.
        """
        from tenants.models import Domain

        self._revalidate()
        with self._lock:
            cached = self._entries.get(hostname)
            if cached is not None:
                self._entries.move_to_end(hostname)
                self.hits += 1
        if cached is None:
            self.misses += 1
            try:
                cached = load()
            except Domain.DoesNotExist:
                cached = _UNKNOWN
            with self._lock:
                self._entries[hostname] = cached
                self._entries.move_to_end(hostname)
                while len(self._entries) > self.maxsize:
                    self._entries.popitem(last=False)
        return None if cached is _UNKNOWN else copy.copy(cached)

    def _revalidate(self) -> None:
        now = time.monotonic()
        if now - self._checked_at < self.check_seconds:
            return
        signature = _signature()
        with self._lock:
            if signature != self._signature:
                self._entries.clear()
                self._signature = signature
            self._checked_at = now


host_cache = HostCache(
    maxsize=getattr(settings, "PPE_HOST_CACHE_MAX", 1024),
    check_seconds=getattr(settings, "PPE_HOST_CACHE_CHECK_MS", 1000) / 1000,
)


def host_cache_clear(**_kwargs) -> None:
    """Forget every host now, and again when the current transaction commits."""
    host_cache.clear()
    if connection.in_atomic_block:
        transaction.on_commit(host_cache.clear)


def host_cache_connect() -> None:
    """Clear the cache whenever a domain or a territory is saved or deleted (called by TenantsConfig.ready)."""
    from tenants.models import Domain, Territory

    for model in (Domain, Territory):
        for signal in (post_save, post_delete):
            signal.connect(host_cache_clear, sender=model, dispatch_uid=f"ppe.host_cache.{signal}.{model.__name__}")


def hostname_normalise(host: str) -> str:
    """A request's host as domains are stored: without its port, lower case, without the trailing dot of a
    fully qualified name (`Ille-et-Vilaine.Localhost.:8000` → `ille-et-vilaine.localhost`), without `www.`."""
    domain, _port = split_domain_port(host)
    return remove_www(domain.rstrip("."))


class CachedTenantMiddleware(TenantMainMiddleware):
    """django-tenants' middleware, with the host → territory lookup answered from `host_cache`, host names
    matched case-insensitively and with or without a trailing dot."""

    @staticmethod
    def hostname_from_request(request):
        return hostname_normalise(request.get_host())

    def get_tenant(self, domain_model, hostname):
        territory = host_cache.territory(hostname, lambda: super(CachedTenantMiddleware, self).get_tenant(
            domain_model, hostname
        ))  # fmt: skip
        if territory is None:
            raise domain_model.DoesNotExist(hostname)
        return territory
