"""Errors of the engine. Each carries a French `message` for people and an HTTP-like `status` for the API."""

from __future__ import annotations


class WorkflowError(Exception):
    status = 400
    default_message = "Opération impossible sur ce dossier."

    def __init__(self, message: str | None = None) -> None:
        self.message = message or self.default_message
        super().__init__(self.message)


class UnknownTransition(WorkflowError):  # noqa: N818
    status = 404
    default_message = "Transition inconnue."


class TransitionNotAllowed(WorkflowError):  # noqa: N818
    """The actor lacks the role, or the case is not in a state the transition starts from."""

    status = 403
    default_message = "Vous n'avez pas le droit d'effectuer cette transition."


class WrongState(TransitionNotAllowed):
    status = 409
    default_message = "Cette transition n'est pas possible dans l'état actuel du dossier."


class GuardFailed(WorkflowError):  # noqa: N818
    status = 422
    default_message = "Les conditions de cette transition ne sont pas remplies."


class FormInvalid(WorkflowError):  # noqa: N818
    """`errors` maps a field code (or `__all__`, `comment`) to its French messages."""

    status = 422
    default_message = "Le formulaire contient des erreurs."

    def __init__(self, errors: dict[str, list[str]], message: str | None = None) -> None:
        self.errors = errors
        super().__init__(message or self._summary(errors))

    def _summary(self, errors: dict[str, list[str]]) -> str:
        parts = [msg for messages in errors.values() for msg in messages]
        return f"{self.default_message} {' '.join(parts)}".strip()


class ConcurrentTransition(WorkflowError):  # noqa: N818
    status = 409
    default_message = "Le dossier vient d'être modifié par quelqu'un d'autre : rechargez-le et recommencez si besoin."


class DefinitionInvalid(WorkflowError):  # noqa: N818
    """A definition that cannot be imported or published; `errors` lists the French messages."""

    status = 422
    default_message = "La définition du workflow est invalide."

    def __init__(self, errors: list[str], message: str | None = None) -> None:
        self.errors = errors
        super().__init__(message or f"{self.default_message} " + " ".join(errors))


class ExpressionError(WorkflowError):
    """A CEL expression that does not compile; `line` and `column` (1-based) point at the mistake."""

    status = 422

    def __init__(self, message: str, *, line: int | None = None, column: int | None = None) -> None:
        self.line = line
        self.column = column
        super().__init__(message)


class UnknownWorkflow(WorkflowError):  # noqa: N818
    status = 404
    default_message = "Type de dossier inconnu ou non publié."
