"""Three-way comparison of a territory's configuration (ours) with its template's (theirs), from the
configuration it was cloned from (base), item by item and, inside an item, field by field, recursively: a
workflow's transitions and states are mappings by code, so two sides that change different transitions of the
same workflow merge without conflict.

A path names a value inside an item: `("transitions", "refuser", "label")`; the empty path is the whole item
(added or removed)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from core.hookspecs import KitItems

# What happened to an item since the clone.
LOCAL = "local"  # changed in the territory only: kept
UPDATE = "update"  # changed in the template only (or both, on different fields): can be pulled
CONFLICT = "conflict"  # changed on both sides, differently: a person decides

Path = tuple[str, ...]
_MISSING = object()


@dataclass
class Change:
    """One value that differs (a leaf of the item, or the whole item when `path` is empty)."""

    path: Path
    base: Any
    ours: Any
    theirs: Any
    conflict: bool = False

    @property
    def ident(self) -> str:
        return "/".join(self.path)


@dataclass
class ItemDrift:
    section: str
    key: str
    status: str
    base: dict[str, Any] | None
    ours: dict[str, Any] | None
    theirs: dict[str, Any] | None
    # The item once the template's changes are pulled; conflicting values keep the territory's.
    merged: dict[str, Any] | None
    changes: list[Change] = field(default_factory=list)

    @property
    def ident(self) -> str:
        return f"{self.section}:{self.key}"

    @property
    def conflicts(self) -> list[Change]:
        return [change for change in self.changes if change.conflict]

    def resolved(self, choices: dict[str, str]) -> dict[str, Any] | None:
        """The item after a person chose, for each conflict (by its `Change.ident`; "" for the whole item),
        "ours" or "theirs"; a conflict without a choice keeps the territory's value."""
        if any(not change.path for change in self.conflicts):  # removed on one side, changed on the other
            return self.theirs if choices.get("") == "theirs" else self.ours
        result = _copy(self.merged)
        for change in self.conflicts:
            if choices.get(change.ident) == "theirs":
                node: Any = self.theirs
                for name in change.path:
                    node = _get(node, name)
                _set(result, change.path, node)
        return result


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def _set(item: dict[str, Any], path: Path, value: Any) -> None:
    node = item
    for name in path[:-1]:
        node = node.setdefault(name, {})
    if value is _MISSING:
        node.pop(path[-1], None)
    else:
        node[path[-1]] = value


def _get(item: Any, name: str) -> Any:
    return item.get(name, _MISSING) if isinstance(item, dict) else _MISSING


def _plain(value: Any) -> Any:
    return None if value is _MISSING else value


def _leaves(base: Any, new: Any, path: Path) -> list[Path]:
    """The paths under `path` where `new` differs from `base` (recursing into mappings on both sides)."""
    if base == new:
        return []
    if isinstance(base, dict) and isinstance(new, dict):
        found: list[Path] = []
        for name in _keys(base, new):
            found += _leaves(_get(base, name), _get(new, name), (*path, name))
        return found
    return [path]


def _keys(*sides: Any) -> list[str]:
    """Union of the mappings' keys, in the order they first appear (ours first: it keeps the territory's order)."""
    keys: dict[str, None] = {}
    for side in sides:
        if isinstance(side, dict):
            keys.update(dict.fromkeys(side))
    return list(keys)


def _merge3(base: Any, ours: Any, theirs: Any, path: Path) -> tuple[Any, list[Path]]:
    """Merge two changes of the same mapping. A value changed on both sides differently is a conflict (its
    path is returned; the merged value keeps ours); mappings changed on both sides merge key by key."""
    merged: dict[str, Any] = {}
    conflicts: list[Path] = []
    for name in _keys(ours, theirs, base):
        b, o, t = _get(base, name), _get(ours, name), _get(theirs, name)
        if t in (o, b):
            value = o
        elif o == b:
            value = t
        elif isinstance(b, dict) and isinstance(o, dict) and isinstance(t, dict):
            value, sub = _merge3(b, o, t, (*path, name))
            conflicts += sub
        else:
            value = o
            conflicts.append((*path, name))
        if value is not _MISSING:
            merged[name] = value
    return merged, conflicts


def _at(item: Any, path: Path) -> Any:
    node = item
    for name in path:
        node = _get(node, name)
    return _plain(node)


def _changes(b: Any, o: Any, t: Any, conflicts: list[Path]) -> list[Change]:
    """Every value changed on either side, each with its base, ours and theirs values."""
    paths: dict[Path, None] = {}
    for path in [*_leaves(b, o, ()), *_leaves(b, t, ()), *conflicts]:
        if not any(path[: len(c)] == c and path != c for c in conflicts):
            paths[path] = None
    return [Change(path, _at(b, path), _at(o, path), _at(t, path), path in conflicts) for path in paths]


def _strip(item: dict[str, Any] | None, volatile: tuple[str, ...]) -> dict[str, Any] | None:
    if item is None or not volatile:
        return item
    return {name: value for name, value in item.items() if name not in volatile}


def _with_volatile(item: dict[str, Any] | None, source: dict[str, Any] | None, volatile: tuple[str, ...]):
    """`item` with the volatile fields of `source` (the territory's page order and publication stay)."""
    if item is None or source is None or not volatile:
        return item
    return {**item, **{name: source[name] for name in volatile if name in source}}


def items_diff(
    section: str, base: KitItems, ours: KitItems, theirs: KitItems, *, volatile: tuple[str, ...] = ()
) -> list[ItemDrift]:
    """Every item that differs between base, ours and theirs (volatile fields aside), classified as LOCAL,
    UPDATE or CONFLICT, with the values that changed."""
    drifts = []
    for key in sorted(set(base) | set(ours) | set(theirs)):
        b_raw, o_raw, t_raw = base.get(key), ours.get(key), theirs.get(key)
        b, o, t = _strip(b_raw, volatile), _strip(o_raw, volatile), _strip(t_raw, volatile)
        if o == t:  # unchanged, or the same change on both sides: nothing left to pull
            continue
        if t == b:
            drifts.append(ItemDrift(section, key, LOCAL, b_raw, o_raw, t_raw, o_raw, _changes(b, o, t, [])))
        elif o == b:
            merged = _with_volatile(t_raw, o_raw, volatile)
            drifts.append(ItemDrift(section, key, UPDATE, b_raw, o_raw, t_raw, merged, _changes(b, o, t, [])))
        elif o is None or t is None or b is None:  # removed on one side, changed on the other; or added twice
            drifts.append(ItemDrift(section, key, CONFLICT, b_raw, o_raw, t_raw, o_raw, [Change((), b, o, t, True)]))
        else:
            merged, conflicts = _merge3(b, o, t, ())
            status = CONFLICT if conflicts else UPDATE
            merged = _with_volatile(merged, o_raw, volatile)
            drifts.append(ItemDrift(section, key, status, b_raw, o_raw, t_raw, merged, _changes(b, o, t, conflicts)))
    return drifts
