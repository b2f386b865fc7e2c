"""The contract between the core and the poles: every pluggy hook the platform calls.

Rules of the house:
- A hook's docstring is its contract: parameters, return value, and the schema it runs in.
- Every hook has a test named after it (`tests/core/test_hookspecs.py` fails otherwise).
- A pole switched off in a territory is left out of every call by the plugin manager (`core.plugins`);
  a pole never checks that itself.
- Keep the surface small: hooks that return values, and a few coarse notifications.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from tenants.models import Territory

hookspec = pluggy.HookspecMarker("ppe")


@dataclass(frozen=True)
class CatalogueServiceSpec:
    """A service a pole offers, as it ships it. Admins may then edit the territory's copy."""

    code: str
    title: str
    summary: str
    audience: str = "structure"  # structure, collectivite, remplacant, operateur
    description: str = ""
    tags: tuple[str, ...] = field(default_factory=tuple)
    # Where the public asks for the service: the public request page with this workflow's opening form
    # (`request_workflow`), or a page of the pole (`request_path`, a path of the territory's site). Neither:
    # the request page's own workflow (the support pole's by default).
    request_workflow: str = ""
    request_path: str = ""
    request_label: str = ""  # the button's French text (« Rejoindre le vivier »); « Demander « title » » if empty


# ------------------------------------------------------------------------------------------------------------
# What a pole brings (hooks that return values)
# ------------------------------------------------------------------------------------------------------------


@hookspec
def catalogue_services() -> list[CatalogueServiceSpec]:
    """The catalogue services this pole offers.

    Returns a list of `CatalogueServiceSpec`. Called when a territory's catalogue is seeded or upgraded and
    when the public catalogue lists what each active pole offers. Runs in the territory's schema; no
    database access is needed to answer.
    """


@hookspec
def pole_workflows() -> list[str]:
    """The workflow definitions this pole ships, as paths of YAML files (the engine's export format).

    Called when a territory is seeded or its pole upgraded: the engine imports each file as a draft,
    publishes it, and never overwrites a version an admin has changed. Runs in the territory's schema.
    """


@hookspec
def guard_functions() -> dict[str, Any]:
    """Named functions that workflow guards (CEL) may call, as `{name: callable}`.

    Names must be prefixed by the pole's code (`support_diagnostic_done`). Each callable takes plain values
    (the case's data, strings, numbers) and returns a plain value. Called once per territory and process when
    guards are compiled; the functions run when a guard is evaluated, in the case's territory schema, and may
    read (never write) its database (`support_conventions_signed(case.reference)`).
    """


@hookspec
def transition_actions() -> dict[str, Any]:
    """Named actions that a workflow transition may run after it, as `{name: callable(case, event)}`.

    Names are prefixed by the pole's code (`remplacement_matching_start`). An action runs after the
    transition's transaction commits, in the case's territory schema; it should enqueue background work
    (tenant tasks) rather than do it inline.
    """


@hookspec
def transition_data_check(case: Any, transition: str, data: dict[str, Any]) -> dict[str, list[str]] | None:
    """Rules across the fields of a transition's form that a form's own field checks cannot express (weights
    that must total 100 %, dates in order, a winner that must be one of the candidates).

    `data` is the case's data with the form's cleaned values merged on top; `transition` the transition's code.
    Returns French messages by field code (`{"criteres_evaluation": ["Les pondérations totalisent 60 %…"]}`),
    or None / {} when the data is fine: any message refuses the transition (nothing is written; the person
    sees them on the form). Called inside the transition's transaction, before anything is written, in the
    case's territory schema, for the active poles; it only reads.
    """


@hookspec
def diagnostic_proposals(case: Any, profile: dict[str, Any]) -> list[dict[str, Any]]:
    """Service proposals for a diagnosed structure.

    `profile` is the scored diagnostic (`{"axes": {name: score 0-100}, "federation": str|None,
    "professionalisation": int}`). Returns a list of `{"service": code, "reason": str, "operator": id|None}`.
    Runs in the case's territory schema.
    """


@hookspec
def api_routes() -> list[tuple[str, Any, str]]:
    """REST API routes this pole adds under `/api/v1/`, as `(prefix, viewset, basename)` tuples.

    Called when the territory's API URLs are built; a switched-off pole's routes answer 404 in that
    territory.
    """


@hookspec
def site_urls() -> list[tuple[str, str]]:
    """Pages this pole serves on the territory's host, outside the admin and the API, as `(prefix, urlconf)`
    tuples: `("remplacement/", "plugins.remplacement.urls")` mounts that module's patterns (under its
    `app_name` namespace) at `/remplacement/`.

    Called once per process when the host's URLs are built (`core/urls.py`), for every installed pole; in a
    territory that switched the pole off, every one of these pages answers 404 (the French page). No database
    access is needed to answer.
    """


@hookspec
def role_permissions() -> dict[str, list[str]]:
    """The Django permissions this pole grants to roles, as `{role code: ["app_label.codename", ...]}` (a role
    of the core, `core.roles.Role`, or one the pole adds, such as `substitute`).

    The permissions of the pole's configuration screens (its rules, templates...), which Wagtail's model
    views check. Called, like `kit_sections`, for every installed pole, switched off or not, when a territory's
    role groups are brought up to date (`core.roles.roles_ensure`: after each migration and on start-up); runs
    in that territory's schema, and needs no database access to answer.
    """


@dataclass(frozen=True)
class HomePanel:
    """A panel of the back office's home screen (`home_panels`): a French `title`, a template of the pole and
    its context; `order` places it among the others (the core's own « Mon travail » is 100)."""

    title: str
    template: str
    context: dict[str, Any] = field(default_factory=dict)
    order: int = 200


@hookspec
def home_panels(request: Any) -> list[HomePanel]:
    """The panels this pole adds to the home screen of the person signed in (`request.user`), as `HomePanel`s:
    what waits for that person in the pole (a structure member's proposals to accept and conventions to sign, an
    operator's services and conventions...). Return only what the person may see (their roles: `core.roles`);
    an empty list shows nothing.

    Called each time the back office's home screen (Wagtail's dashboard) is rendered, in the territory's
    schema, for the active poles only.
    """


@hookspec
def case_panels(request: Any, case: Any) -> str | None:
    """A panel this pole adds to the back office's case page (`/admin/dossiers/<reference>/`), as safe HTML
    (`render_to_string(...)`), or None when it has nothing to show for this case or this person.

    `request.user` is whoever opens the page: the platform's team, a member of the case's structure or of one
    of its operators (the page already checked that they may see the case); the panel shows each only what
    is theirs and the actions that wait for them. Called in the case's territory schema, for the active poles
    only (a switched-off pole adds no panel); the answers are shown in the plugin manager's order.
    """


@dataclass(frozen=True)
class CaseEventKind:
    """A kind of event a pole writes in a case's history (`core.services.case_updates.pole_event_record`).

    - `code` is unique within the pole (`proposal_accepted`); the event is stored with kind « pole », the pole's
      code and this code in its detail.
    - `label` is the French name shown on the timeline (« Proposition acceptée »).
    - `title(detail)`, when given, is the French line shown for one event from its detail (« Proposition
      acceptée : Gestion de la paie (Coopérative Paie ESS) »); otherwise the label is shown.
    - `staff_only`: the structure's members and the operators do not see such events (internal work).
    """

    code: str
    label: str
    title: Callable[[dict[str, Any]], str] | None = None
    staff_only: bool = False


@hookspec
def case_event_kinds() -> list[CaseEventKind]:
    """The kinds of history events this pole writes on its cases (`CaseEventKind`), so that the timeline and
    the API show each by its French label and detail, never a raw code.

    Called, like `kit_sections`, for every installed pole, switched off or not (a case's history stays readable
    when its pole is turned off); the answer is read once per process. No database access is needed to answer.
    """


# ------------------------------------------------------------------------------------------------------------
# Coarse notifications
# ------------------------------------------------------------------------------------------------------------


@hookspec
def case_transitioned(case: Any, event: Any) -> None:
    """A case moved from one state to another (`event` is the `CaseEvent` written for it).

    Called after the transaction commits, in the case's territory schema. Implementations enqueue their
    background work; an exception here is logged and never undoes the transition. A pole whose hooks module
    declares `CASE_TRANSITIONED_WORKFLOWS` (workflow codes) needs no call for the other workflows: a transition
    that no pole reacts to and that has no named action records no after-transition effect at all.
    """


@hookspec
def case_data_changed(case: Any, event: Any) -> None:
    """A case's data was written outside a transition: the case was just opened (`event.kind == "opened"`),
    or its data was edited (`"data_updated"`); `event` is the `CaseEvent` written for it.

    Called inside the transaction that wrote it, after the case row and its event, in the case's territory
    schema: a pole keeps the rows it owns in step with its cases' data (the remplacement pole's request and
    its slots). Raising `workflows.exceptions.FormInvalid` (French messages by field code) refuses the change:
    the whole transaction rolls back and the person sees the messages on the form.
    """


@hookspec
def territory_provisioned(territory: Territory, source: Territory | None, sample_data: bool) -> None:
    """A territory's schema was just created (`source` is the territory it was cloned from, None for the
    template built by migrations).

    Called inside the provisioning transaction, in the new territory's schema: seed or adapt what the pole
    owns there (an exception aborts the creation).
    """


@hookspec
def territory_published(territory: Territory) -> None:
    """A draft territory (a clone not yet public) goes online: `territory_publish` was called for it.

    Called in the territory's schema, inside the publishing transaction: put online what the draft held back
    (the site's pages); an exception aborts the publication.
    """


@dataclass(frozen=True)
class ChecklistEntry:
    """One thing to adapt in a draft territory before it is published (French texts)."""

    kind: str  # "name" (names the source territory), "email" (shows one of its addresses), "legal"
    page_id: int  # the page to edit in the territory's admin
    page_title: str
    field: str  # the field's French label ("" for the whole page)
    detail: str  # what to change
    done: bool


@hookspec
def territory_checklist(territory: Territory) -> list[ChecklistEntry]:
    """What a draft territory still has to adapt before it is published: every text that names the territory
    it was cloned from, its e-mail addresses, its legal pages (each with `done` once handled).

    Called in the territory's schema by the platform admin's screens and API; returns [] when the territory
    has nothing of the kind (or is not a draft).
    """


@hookspec
def demo_seed(territory: Territory) -> None:
    """Fill the demo territory (Ille-et-Vilaine) with the pole's sample data, idempotently.

    Called by `manage.py demo_setup` in the territory's schema, after the core's directory (networks,
    structures, operators) exists.
    """


# ------------------------------------------------------------------------------------------------------------
# Territory kit: the parts of a territory's configuration (clone, export/import, drift against the template)
# ------------------------------------------------------------------------------------------------------------

# A section's configuration: items keyed by a stable identity (a code, a page path), each a mapping of fields
# to YAML-friendly values (str, int, float, bool, None, lists and mappings of those).
KitItems = dict[str, dict[str, Any]]
# Files that travel with a section, by a path relative to the section (`images/original_images/logo.png`).
KitFiles = dict[str, bytes]


@dataclass(frozen=True)
class KitSection:
    """One part of a territory's configuration, as the kit, the clone and the drift report see it.

    - `code` names the section in the archive (`sections/<code>.yaml`) and must be unique; `label` is French.
    - `version` is the format of this section's items; an archive written with another version is refused.
    - `export()` returns `(items, files)` for the current schema; it must be deterministic, so that
      exporting an unchanged territory twice gives equal items.
    - `apply(items, files)` makes the current schema's configuration of this section exactly `items`
      (create, update, delete), inside the caller's transaction; `files` holds at least every file that
      `items` refer to. The drift merge calls it with merged items.
    - `models` are the models (`app_label.ModelName`) whose rows are configuration: a clone keeps their
      rows and empties every other table of the schema (cases, people, directory), so a model that is not
      declared by some section never crosses to a new territory.
    - `order`: sections are applied in ascending order (files before the pages that show them).
    - `prune(items)`, when given, removes the rows that `items` lacks; `apply` then only creates and updates.
      Every section's `apply` runs first (ascending order), then every `prune` in descending order, so a row
      is removed only once what refers to it is gone (pages before the catalogue services they show).
    - `volatile`: item fields whose change alone is not a difference (a page's position among its siblings,
      its publication): the drift neither reports nor merges them, an import still applies them.
    - `describe(key, item, path)`, when given, names in French the item (`path` empty) or one of its fields
      (`path`: the keys from the item down to the field), for the drift screen: « Transition “Refuser la
      demande” : libellé ». Without it, the first declared model's field names are used.
    - References from one item to another row are by natural key (a service code, a page path, a file's
      hash), never by primary key: keys differ between territories.
    """

    code: str
    label: str
    version: int
    export: Callable[[], tuple[KitItems, KitFiles]]
    apply: Callable[[KitItems, KitFiles], None]
    models: tuple[str, ...] = ()
    order: int = 100
    prune: Callable[[KitItems], None] | None = None
    volatile: tuple[str, ...] = ()
    describe: Callable[[str, dict[str, Any] | None, tuple[str, ...]], str] | None = None
    display: Callable[[str, dict[str, Any] | None, tuple[str, ...], Any], str | None] | None = None


@hookspec
def kit_sections() -> list[KitSection]:
    """The configuration sections this plugin owns (its pages, workflows, settings...), as `KitSection`s.

    Called when a territory is cloned (to know which rows are configuration), when its kit is exported or
    imported, and when its drift from its template is computed or merged; the section functions then run in
    that territory's schema. Unlike other hooks it is called for every installed plugin, poles switched off
    in the territory included: their configuration stays the territory's while they are off (the switch
    itself travels in the core's `poles` section). The core's own sections (catalogue, pole settings, roles
    and groups) are not returned by any plugin.
    """


# ------------------------------------------------------------------------------------------------------------
# Personal data (RGPD)
# ------------------------------------------------------------------------------------------------------------


@dataclass
class PersonalDataPart:
    """What a pole holds on one person, for the right of access and the right to erasure.

    - `title`: the French heading of the part (« Vivier de remplacement »).
    - `records`: plain rows to export, each a mapping of French labels to text, numbers or ISO dates.
    - `files`: the person's files, as (name in the archive, storage, stored name); read through the storage.
    - `kept`: French sentences naming what an erasure keeps, and the legal reason (shown before confirming).
    - `erase(pseudonym)`: removes or pseudonymises the pole's personal data of the person (files deleted through
      their storage); called by `core.services.personal_data.person_erase` inside its transaction; returns French
      counts (label → number) for the journal. None when there is nothing to erase.
    """

    title: str
    records: list[dict[str, Any]] = field(default_factory=list)
    files: list[tuple[str, Any, str]] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    erase: Callable[[str], dict[str, int]] | None = None


@hookspec
def person_personal_data(user: Any | None, email: str) -> list[PersonalDataPart] | None:
    """What this pole holds on a person of the territory: `user` is their account (None for a person known only
    by e-mail, such as a request's contact), `email` their address (lower case).

    Returns a list of `PersonalDataPart` (or None: nothing held). Called by the « Données personnelles » screens
    of the territory's admin, for every installed pole, switched off or not (its data stay when it is turned
    off), in the territory's schema; answering reads only, the part's `erase` writes when the admin confirms.
    """


@hookspec
def case_personal_data_anonymise(case: Any, marker: str) -> dict[str, int] | None:
    """Anonymise what this pole keeps of a closed case past its retention period (free-text notes, partners'
    addresses...): replace personal values by `marker` (« donnée anonymisée le … »), delete files through their
    storage; keep what the law requires (signed conventions, adopted deliberations).

    Called by `core.services.personal_data.case_anonymise` inside its transaction, once per case, for every
    installed pole (switched off or not), in the case's territory schema. Returns French counts (label →
    number) for the journal, or None.
    """
