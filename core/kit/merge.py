"""Three-way comparison of a territory's configuration (ours) with its template's (theirs), from the
configuration it was cloned from (base), item by item and, inside an item, field by field."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from core.hookspecs import KitItems

# What happened to an item since the clone.
LOCAL = "local"  # changed in the territory only: kept
UPDATE = "update"  # changed in the template only (or both, on different fields): can be pulled
CONFLICT = "conflict"  # changed on both sides, differently: a person decides


@dataclass
class ItemDrift:
    section: str
    key: str
    status: str
    base: dict[str, Any] | None
    ours: dict[str, Any] | None
    theirs: dict[str, Any] | None
    # The item once the template's changes are pulled; conflicting fields keep the territory's values.
    merged: dict[str, Any] | None
    ours_fields: list[str] = field(default_factory=list)
    theirs_fields: list[str] = field(default_factory=list)
    conflict_fields: list[str] = field(default_factory=list)

    @property
    def ident(self) -> str:
        return f"{self.section}:{self.key}"

    def resolved(self, choice: str) -> dict[str, Any] | None:
        """The item after a person chose `theirs` or `ours` for the conflicting fields."""
        if choice == "ours":
            return self.ours
        if self.ours is None or self.theirs is None or self.merged is None:
            return self.theirs
        return {**self.merged, **{name: self.theirs.get(name) for name in self.conflict_fields}}


def _changed_fields(old: dict[str, Any] | None, new: dict[str, Any] | None) -> list[str]:
    old, new = old or {}, new or {}
    return sorted(name for name in set(old) | set(new) if old.get(name) != new.get(name))


def items_diff(section: str, base: KitItems, ours: KitItems, theirs: KitItems) -> list[ItemDrift]:
    """Every item that differs between base, ours and theirs, classified as LOCAL, UPDATE or CONFLICT."""
    drifts = []
    for key in sorted(set(base) | set(ours) | set(theirs)):
        b, o, t = base.get(key), ours.get(key), theirs.get(key)
        if o == t and o == b:
            continue
        ours_fields, theirs_fields = _changed_fields(b, o), _changed_fields(b, t)
        if o == t:  # the same change on both sides: nothing left to pull
            continue
        if t == b:
            drifts.append(ItemDrift(section, key, LOCAL, b, o, t, o, ours_fields, theirs_fields))
            continue
        if o == b:
            drifts.append(ItemDrift(section, key, UPDATE, b, o, t, t, ours_fields, theirs_fields))
            continue
        if o is None or t is None or b is None:  # removed on one side, changed on the other; or added twice
            drifts.append(ItemDrift(section, key, CONFLICT, b, o, t, None, ours_fields, theirs_fields, ["*"]))
            continue
        merged, conflicts = {}, []
        for name in sorted(set(b) | set(o) | set(t)):
            bv, ov, tv = b.get(name), o.get(name), t.get(name)
            if tv in (ov, bv):
                value = ov
            elif ov == bv:
                value = tv
            else:
                value = ov
                conflicts.append(name)
            if name in o or name in t:
                merged[name] = value
        status = CONFLICT if conflicts else UPDATE
        drifts.append(ItemDrift(section, key, status, b, o, t, merged, ours_fields, theirs_fields, conflicts))
    return drifts
