"""CEL expressions (guards and visibility conditions): compiled once, evaluated with plain values.

Variables (docs/workflow-format.md): `data`, `case`, `actor`, `today`, plus the named functions the
poles register. A syntax error reports its line and column; a runtime error becomes a French message.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import cel

from workflows.exceptions import ExpressionError

logger = logging.getLogger("ppe.workflows")

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
_UNDEFINED = re.compile(r"Undefined variable or function: '([^']+)'")
_EXPECTING = re.compile(r"^(?:Syntax error: )?mismatched input '(.*)' expecting")
_EXTRANEOUS = re.compile(r"^(?:Syntax error: )?extraneous input '(.*)' expecting")
_MISSING = re.compile(r"^(?:Syntax error: )?missing '(.*)' at '(.*)'$")
_UNKNOWN_TOKEN = re.compile(r"^(?:Syntax error: )?token recognition error at: '(.*)'$")
_NO_VIABLE = re.compile(r"^(?:Syntax error: )?no viable alternative at input '(.*)'$")


def _french_detail(detail: str) -> str:  # noqa: PLR0911 (one return per message of the parser)
    """The parser's message (ANTLR's, in English, with its token list) said in French."""
    detail = detail.strip()
    if match := _EXPECTING.match(detail):
        found = match.group(1)
        if found == "<EOF>":
            return "l'expression s'arrête trop tôt (une valeur, un champ ou une parenthèse est attendu à la fin)"
        return f"« {found} » n'est pas attendu à cet endroit"
    if match := _EXTRANEOUS.match(detail):
        return f"« {match.group(1)} » est en trop"
    if match := _MISSING.match(detail):
        where = "à la fin" if match.group(2) == "<EOF>" else f"avant « {match.group(2)} »"
        return f"il manque « {match.group(1)} » {where}"
    if match := _UNKNOWN_TOKEN.match(detail):
        token = match.group(1).strip()
        if token[:1] in ("'", '"'):
            return f"guillemet {token[:1]} jamais refermé"
        if token.startswith("="):
            return "« = » seul n'existe pas : écrivez « == » pour comparer"
        return f"caractère inconnu « {token} »"
    if match := _NO_VIABLE.match(detail):
        return f"écriture incomprise près de « {match.group(1).strip()} »"
    return "écriture incomprise"


def expression_compile(source: str, *, functions: frozenset[str] | set[str] = frozenset()) -> Any:
    """Compile a CEL expression; raise ExpressionError (French, with line and column) when it cannot be."""
    try:
        program = cel.compile(source)
    except (ValueError, RuntimeError, TypeError) as exc:
        text = str(exc)
        match = _POSITION.search(text)
        if match:
            line, column, detail = int(match.group(1)), int(match.group(2)), _french_detail(match.group(3))
            raise ExpressionError(
                f"Expression invalide à la ligne {line}, colonne {column} : {detail}.", line=line, column=column
            ) from None
        raise ExpressionError("Expression invalide : écriture incomprise.") from None
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
    except ExpressionError:
        raise
    except Exception as exc:  # the CEL runtime and the poles' functions raise anything
        undefined = _UNDEFINED.search(str(exc))
        if undefined:
            raise ExpressionError(
                f"« {undefined.group(1)} » est inconnu ou ne s'applique pas à cette valeur."
            ) from None
        logger.warning("CEL evaluation failed: %s", exc)
        raise ExpressionError("La condition n'a pas pu être évaluée avec les données de ce dossier.") from None
