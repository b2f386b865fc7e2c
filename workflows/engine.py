"""The runtime view of a workflow version: its graph, guards and forms compiled once and kept in memory.

A published (or retired) version never changes, so its compiled form is cached per territory schema and
version id: the hot path of a transition reads no definition rows. Drafts are compiled on each call.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import connection

from tenants.lru import LRUCache
from workflows import registry
from workflows.exceptions import ExpressionError
from workflows.expressions import expression_compile, expression_uses
from workflows.forms import FieldSpec, FormSpec, form_spec_build


@dataclass(frozen=True)
class StateSpec:
    code: str
    label: str
    kind: str
    sla_days: int | None
    responsible: str


@dataclass(frozen=True)
class TransitionSpec:
    code: str
    label: str
    sources: frozenset[str]
    target: str
    roles: frozenset[str]
    guard_source: str
    guard: Any  # compiled CEL program or None
    guard_uses_case: bool
    guard_message: str
    form: str
    comment: str
    actions: tuple[str, ...]


@dataclass
class CompiledWorkflow:
    version_id: int | None
    number: int | None
    code: str
    name: str
    reference_prefix: str
    open_form: str
    open_roles: frozenset[str]
    states: dict[str, StateSpec]
    initial: str
    transitions: dict[str, TransitionSpec]
    forms: dict[str, FormSpec]
    data_defaults: dict[str, Any]
    functions: dict[str, Any] = field(default_factory=dict)
    # Every input field of the version's forms by code (the opening form's first): what each key of a
    # case's data means, for typed CEL values (`workflows.values.cel_data`) and typed exports.
    field_types: dict[str, FieldSpec] = field(default_factory=dict)

    def state_label(self, code: str) -> str:
        state = self.states.get(code)
        return state.label if state else code

    def outgoing(self, state: str) -> list[TransitionSpec]:
        return [t for t in self.transitions.values() if state in t.sources]


def _field_codes(fields: list[dict[str, Any]]) -> list[str]:
    return [f["code"] for f in fields if f.get("type") not in ("section", "help")]


def workflow_compile(spec: dict[str, Any], *, version_id: int | None = None, number: int | None = None):
    """Compile a (validated) spec. Raises ExpressionError when a guard or condition does not compile."""
    functions = registry.guard_functions()
    names = frozenset(functions)
    forms = {f["code"]: form_spec_build(f, names) for f in spec.get("forms", [])}
    states = {
        s["code"]: StateSpec(
            code=s["code"],
            label=s.get("label") or s["code"],
            kind=s.get("kind", "normal"),
            sla_days=s.get("sla_days"),
            responsible=s.get("responsible") or "",
        )
        for s in spec.get("states", [])
    }
    transitions = {}
    for t in spec.get("transitions", []):
        guard = expression_compile(t["guard"], functions=names) if t.get("guard") else None
        transitions[t["code"]] = TransitionSpec(
            code=t["code"],
            label=t.get("label") or t["code"],
            sources=frozenset(t.get("from") or []),
            target=t["to"],
            roles=frozenset(t.get("roles") or []),
            guard_source=t.get("guard") or "",
            guard=guard,
            guard_uses_case=bool(guard is not None and expression_uses(guard, "case")),
            guard_message=t.get("guard_message") or "",
            form=t.get("form") or "",
            comment=t.get("comment", "none"),
            actions=tuple(t.get("actions") or []),
        )
    defaults: dict[str, Any] = {}
    for form in spec.get("forms", []):
        for code in _field_codes(form.get("fields") or []):
            defaults.setdefault(code, None)
    field_types: dict[str, FieldSpec] = {}
    open_form = spec.get("open_form") or ""
    for form in sorted(forms.values(), key=lambda f: f.code != open_form):
        for f in form.input_fields():
            field_types.setdefault(f.code, f)
    initial = next((s.code for s in states.values() if s.kind == "initial"), "")
    return CompiledWorkflow(
        version_id=version_id,
        number=number,
        code=spec["code"],
        name=spec["name"],
        reference_prefix=spec.get("reference_prefix") or "",
        open_form=spec.get("open_form") or "",
        open_roles=frozenset(spec.get("open_roles") or []),
        states=states,
        initial=initial,
        transitions=transitions,
        forms=forms,
        data_defaults=defaults,
        functions=functions,
        field_types=field_types,
    )


# Bounded: a process serving every territory keeps the most recently used versions (PPE_COMPILED_WORKFLOWS_MAX).
_cache = LRUCache(getattr(settings, "PPE_COMPILED_WORKFLOWS_MAX", 1024))


def compiled_version(version_id: int) -> CompiledWorkflow:
    """The compiled workflow of a version of the current territory (cached once the version is frozen)."""
    key = (connection.schema_name, version_id)
    compiled = _cache.get(key)
    if compiled is not None:
        return compiled
    from workflows.models import WorkflowVersion
    from workflows.serialization import version_spec

    version = WorkflowVersion.objects.select_related("definition").get(pk=version_id)
    compiled = workflow_compile(version_spec(version), version_id=version.pk, number=version.number)
    if version.is_frozen:
        _cache.set(key, compiled)
    return compiled


def compiled_cache_clear(*, schema: str | None = None) -> None:
    """Forget the compiled versions of one schema (a territory re-created under the same schema name starts
    its ids again) or of all (a pole's guard functions changed)."""
    from workflows import forms

    _cache.discard_where(lambda key: schema is None or key[0] == schema)
    if schema is None:
        forms._form_classes.clear()


__all__ = ["CompiledWorkflow", "ExpressionError", "StateSpec", "TransitionSpec", "compiled_version"]
