"""A bounded, thread-safe, least-recently-used map: the per-process caches of the platform never grow without
limit, whatever the number of territories a process serves (compiled workflows, form classes, hosts...)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

_MISSING = object()


class LRUCache:
    def __init__(self, maxsize: int) -> None:
        if maxsize < 1:
            raise ValueError("maxsize must be at least 1")
        self.maxsize = maxsize
        self._data: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._data)

    def __contains__(self, key: Hashable) -> bool:
        return key in self._data

    def get(self, key: Hashable, default: Any = None) -> Any:
        with self._lock:
            value = self._data.get(key, _MISSING)
            if value is _MISSING:
                return default
            self._data.move_to_end(key)
            return value

    def set(self, key: Hashable, value: Any) -> None:
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self.maxsize:
                self._data.popitem(last=False)

    def discard_where(self, predicate: Callable[[Hashable], bool]) -> None:
        """Forget every entry whose key matches."""
        with self._lock:
            for key in [key for key in self._data if predicate(key)]:
                del self._data[key]

    def clear(self) -> None:
        with self._lock:
            self._data.clear()
