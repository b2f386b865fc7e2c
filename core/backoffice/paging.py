"""The case list's pages at the size of a territory that has lived for years (100,000 cases).

Django's Paginator counts every match (`SELECT COUNT(*)`) to number the pages: over 100,000 cases and a search
that most of them match, that count alone took 1.4 s (bench/volume.py). This paginator counts up to `COUNT_CAP`
cases (`capped_count`; past it, the page says « plus de 10 000 ») and, when a filter or a search leaves few
cases, reads them by their keys: the page's query then never walks the whole date index looking for 50 rare
matches.
"""

from __future__ import annotations

from django.core.paginator import Paginator
from django.utils.functional import cached_property

from core.selectors import case_work  # COUNT_CAP: cases counted at most; the export has them all

FEW = 1_000  # up to this many matches, the page is read by their keys


class CasePaginator(Paginator):
    capped = False

    @cached_property
    def count(self) -> int:
        keys = list(self.object_list.order_by().values_list("pk", flat=True)[: FEW + 1])
        if len(keys) <= FEW:
            self.object_list = self.object_list.filter(pk__in=keys)  # its ordering kept
            return len(keys)
        counted = case_work.capped_count(self.object_list)
        self.capped = counted > case_work.COUNT_CAP
        return min(counted, case_work.COUNT_CAP)
