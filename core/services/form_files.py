"""Files that no row names any more: the sweep that removes them from the private storage.

A form's files are written to the storage inside the transaction that saves the case
(`workflows.forms.files_store`). When that block fails, `stored_files_discarded_on_error` deletes them at once.
When the block succeeds but a transaction of the caller around it rolls back afterwards (or the process dies
before the commit), no code runs to delete them: a storage write cannot join the database's transaction, and
Django has no rollback callback. The sweep is what makes that case safe, whatever caused it: once a day, per
territory, it deletes the files under `cases/` older than `PPE_ORPHAN_FILES_GRACE_MINUTES` that no case's data,
no history row (`CaseEvent.data_diff`) and no attachment names. The grace leaves alone the files of a
transaction still running.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import datetime, timedelta

from django.conf import settings
from django.core.files.storage import Storage
from django.utils import timezone

from core.models import Case, CaseAttachment, CaseEvent
from tenants.storage import private_storage
from workflows.forms import stored_files_of

logger = logging.getLogger("ppe.files")

CASES_FOLDER = "cases"
ATTACHMENTS_FOLDER = "attachments"  # cases/attachments/<year>/<month>/<uuid> (core.models._attachment_path)
BATCH = 500


def _files_under(storage: Storage, folder: str) -> Iterator[str]:
    try:
        folders, files = storage.listdir(folder)
    except (FileNotFoundError, NotADirectoryError):
        return
    for name in files:
        yield f"{folder}/{name}"
    for name in folders:
        yield from _files_under(storage, f"{folder}/{name}")


def _older_than(storage: Storage, path: str, limit: datetime) -> bool:
    try:
        return storage.get_modified_time(path) < limit
    except (FileNotFoundError, NotImplementedError):
        return False


def _delete(storage: Storage, path: str) -> bool:
    try:
        storage.delete(path)
    except OSError:
        logger.warning("orphan sweep: could not delete %s", path)
        return False
    return True


def form_files_orphans_sweep(*, grace: timedelta | None = None, now: datetime | None = None) -> list[str]:
    """Delete the current territory's case files that nothing names (see the module's docstring) and that were
    written more than `grace` ago (default `PPE_ORPHAN_FILES_GRACE_MINUTES`, 60). Returns the deleted paths."""
    storage = private_storage()
    if grace is None:
        grace = timedelta(minutes=int(getattr(settings, "PPE_ORPHAN_FILES_GRACE_MINUTES", 60)))
    limit = (now or timezone.now()) - grace
    try:
        folders, _files = storage.listdir(CASES_FOLDER)
    except (FileNotFoundError, NotADirectoryError):
        return []
    deleted: list[str] = []
    by_reference: dict[str, list[str]] = {}
    for reference in folders:
        if reference == ATTACHMENTS_FOLDER:
            continue
        old = [p for p in _files_under(storage, f"{CASES_FOLDER}/{reference}") if _older_than(storage, p, limit)]
        if old:
            by_reference[reference] = old
    references = sorted(by_reference)
    for start in range(0, len(references), BATCH):
        batch = references[start : start + BATCH]
        named: set[str] = set()
        for data in Case.objects.filter(reference__in=batch).values_list("data", flat=True):
            named |= set(stored_files_of(data))
        diffs = CaseEvent.objects.filter(case__reference__in=batch).exclude(data_diff={})
        for diff in diffs.values_list("data_diff", flat=True):
            named |= set(stored_files_of(diff))
        for reference in batch:
            deleted += [p for p in by_reference[reference] if p not in named and _delete(storage, p)]
    attachments = [
        p for p in _files_under(storage, f"{CASES_FOLDER}/{ATTACHMENTS_FOLDER}") if _older_than(storage, p, limit)
    ]
    for start in range(0, len(attachments), BATCH):
        batch = attachments[start : start + BATCH]
        named = set(CaseAttachment.objects.filter(file__in=batch).values_list("file", flat=True))
        deleted += [p for p in batch if p not in named and _delete(storage, p)]
    if deleted:
        logger.info("orphan sweep: %s file(s) deleted", len(deleted))
    return deleted
