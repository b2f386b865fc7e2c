"""CEL errors read in French with their position, never the parser's English token list (issue 13, item 3)."""

import pytest

from workflows.exceptions import ExpressionError
from workflows.expressions import expression_compile, expression_evaluate


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("data.places >", "Expression invalide à la ligne 1, colonne 14 : l'expression s'arrête trop tôt"),
        ("(data.places > 3", "Expression invalide à la ligne 1, colonne 17 : il manque « ) » à la fin."),
        ("data.places = 3", "colonne 13 : « = » seul n'existe pas : écrivez « == » pour comparer."),
        ('data.kind == "creche', 'colonne 14 : guillemet " jamais refermé.'),
        ("1 +* 2", "colonne 4 : « * » est en trop."),
    ],
)
def test_syntax_errors_read_in_french_with_their_position(source, message):
    with pytest.raises(ExpressionError) as error:
        expression_compile(source)
    assert message in error.value.message
    for english in ("mismatched", "expecting", "IDENTIFIER", "NUM_FLOAT", "Syntax error", "<EOF>"):
        assert english not in error.value.message
    assert error.value.line == 1


def test_evaluation_errors_read_in_french():
    with pytest.raises(ExpressionError) as error:
        expression_evaluate(expression_compile("size(data.places) > 1"), {"data": {"places": 3}})
    assert error.value.message == "« size » est inconnu ou ne s'applique pas à cette valeur."
    with pytest.raises(ExpressionError, match="absente du dossier"):
        expression_evaluate(expression_compile("data.budget > 3.0"), {"data": {}})
