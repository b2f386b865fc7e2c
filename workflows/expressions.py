"""CEL expressions (guards and visibility conditions): compiled once, evaluated with plain values.

Variables (docs/workflow-format.md): `data`, `case`, `actor`, `today`, plus the named functions the
poles register. A syntax error reports its line and column; a runtime error becomes a French message.
"""

from __future__ import annotations

import re
from typing import Any

import cel

from workflows.exceptions import ExpressionError

VARIABLES = frozenset({"data", "case", "actor", "today"})
# CEL's standard functions and macros (cel-interpreter), which a guard may call without registering them.
BUILTIN_FUNCTIONS = frozenset(
    {
        "size", "has", "matches", "startsWith", "endsWith", "contains", "int", "uint", "double", "string",
        "bytes", "bool", "timestamp", "duration", "dyn", "type", "exists", "all", "exists_one", "map",
        "filter", "max", "min", "getFullYear", "getMonth", "getDayOfMonth", "getDate", "getDayOfWeek",
        "getDayOfYear", "getHours", "getMinutes", "getSeconds", "getMilliseconds", "in", "optional",
        "orValue", "hasValue", "value", "or", "lowerAscii", "upperAscii", "trim", "split", "join", "replace",
        "indexOf", "lastIndexOf", "substring", "format",
    }
)  # fmt: skip
_POSITION = re.compile(r"<input>:(\d+):(\d+):\s*(.*?)(?:\n|$)")


def expression_compile(source: str, *, functions: frozenset[str] | set[str] = frozenset()) -> Any:
    """Compile a CEL expression; raise ExpressionError (French, with line and column) when it cannot be."""
    try:
        program = cel.compile(source)
    except (ValueError, RuntimeError, TypeError) as exc:
        text = str(exc)
        match = _POSITION.search(text)
        if match:
            line, column, detail = int(match.group(1)), int(match.group(2)), match.group(3)
            raise ExpressionError(
                f"Expression invalide à la ligne {line}, colonne {column} : {detail}", line=line, column=column
            ) from None
        raise ExpressionError(f"Expression invalide : {text}") from None
    unknown = sorted(
        name
        for name in program.references()["functions"]
        if name[:1].isalpha() and name not in BUILTIN_FUNCTIONS and name not in functions
    )
    if unknown:
        position = source.find(unknown[0])
        raise ExpressionError(
            f"Fonction inconnue « {unknown[0]} » (colonne {position + 1}).", line=1, column=position + 1
        )
    return program


def expression_uses(program: Any, variable: str) -> bool:
    return variable in program.references()["variables"]


def expression_evaluate(program: Any, variables: dict[str, Any], functions: dict[str, Any] | None = None) -> Any:
    """Evaluate a compiled expression; raise ExpressionError with a French message when evaluation fails.

    The variables are made plain first (`workflows.values.plain`: numbers as numbers, dates as timestamps,
    files as maps), whether or not functions are given: no Python object ever reaches the CEL runtime."""
    from workflows.values import plain

    try:
        context = cel.Context(plain(variables), functions or {})
        return program.execute(context)
    except KeyError as exc:
        raise ExpressionError(f"La donnée {exc} est absente du dossier.") from None
    except ZeroDivisionError:
        raise ExpressionError("Division par zéro.") from None
    except TypeError:
        raise ExpressionError("Opération impossible entre ces types de valeurs.") from None
    except Exception as exc:  # the CEL runtime and the poles' functions raise anything
        raise ExpressionError(f"Erreur d'évaluation : {exc}") from None
