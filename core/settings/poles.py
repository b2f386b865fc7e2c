"""Poles from other packages: the `ppe.poles` entry-point group.

A package that brings a pole declares, in its pyproject::

    [project.entry-points."ppe.poles"]
    mypole = "mypackage.mypole"

where the value is the pole's Django app module, whose AppConfig derives from `core.poles.PoleConfig` with
`default = True`. Settings add these modules to TENANT_APPS (and PPE_POLES) after the in-tree poles.
"""

from __future__ import annotations

from importlib.metadata import entry_points

ENTRY_POINT_GROUP = "ppe.poles"


def entry_point_poles() -> list[str]:
    """The app modules of the installed packages' poles, sorted by entry-point name (a stable order)."""
    found = sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda ep: ep.name)
    modules: list[str] = []
    for entry in found:
        if entry.value not in modules:
            modules.append(entry.value)
    return modules
