"""CEL conditions of the proposal rules: compiled once, checked on a sample profile, errors with position."""

from __future__ import annotations

import functools
import re
from typing import Any

import cel
from django.core.exceptions import ValidationError

from plugins.support.scoring import AXES

_POSITION = re.compile(r"<input>:(?P<line>\d+):(?P<column>\d+): (?P<message>[^\n]*)")

SAMPLE_PROFILE: dict[str, Any] = {
    "axes": {axis.code: 50 for axis in AXES},
    "federation": "ADMR",
    "professionalisation": 2,
    "global": 50,
}


def _syntax_message(error: str) -> str:
    match = _POSITION.search(error)
    if match is None:
        return f"Condition invalide : {error}"
    return (
        f"Erreur de syntaxe ligne {match['line']}, colonne {match['column']} : "
        f"{match['message'].removeprefix('Syntax error: ')}"
    )


@functools.lru_cache(maxsize=512)
def condition_compile(expression: str) -> Any:
    """The compiled program of a condition; `ValidationError` (French, with line and column) otherwise."""
    if not expression.strip():
        raise ValidationError("La condition est vide.")
    try:
        return cel.compile(expression)
    except ValueError as exc:
        raise ValidationError(_syntax_message(str(exc))) from None


def condition_check(expression: str) -> None:
    """Compile, then evaluate on a sample profile: a misspelt variable or a non-boolean result is refused."""
    program = condition_compile(expression)
    try:
        result = program.execute({"profile": SAMPLE_PROFILE})
    except Exception as exc:  # the CEL runtime raises several types
        raise ValidationError(
            f"La condition échoue sur un profil d'essai : {exc}. Variables disponibles : profile.axes.<axe> "
            "(0 à 100), profile.federation, profile.professionalisation (1 à 3), profile.global."
        ) from None
    if not isinstance(result, bool):
        raise ValidationError(f"La condition doit valoir vrai ou faux (elle vaut « {result} »).")


def condition_matches(expression: str, profile: dict[str, Any]) -> bool:
    """Whether a profile meets a condition. Raises `ValueError` when the condition fails at run time."""
    try:
        result = condition_compile(expression).execute({"profile": profile})
    except ValidationError as exc:
        raise ValueError(exc.messages[0]) from None
    except Exception as exc:
        raise ValueError(str(exc)) from None
    if not isinstance(result, bool):
        raise ValueError(f"condition is not boolean: {result!r}")
    return result
