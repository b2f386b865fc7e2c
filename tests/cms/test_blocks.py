"""Chart blocks: shares are checked, bars are scaled, and numbers are written the French way."""

from __future__ import annotations

from decimal import Decimal

import pytest
from wagtail.blocks.struct_block import StructBlockValidationError

from cms.blocks import BarChartBlock, ShareChartBlock
from cms.templatetags.cms_tags import fr_number


def _chart(block, items):
    return block.to_python(
        {
            "title": "Répartition",
            "summary": "Ce que montre le graphique.",
            "unit": "",
            "source": "",
            "items": [{"label": label, "value": value, "note": ""} for label, value in items],
        }
    )


def test_shares_adding_up_to_more_than_100_are_refused():
    block = ShareChartBlock()
    with pytest.raises(StructBlockValidationError) as excinfo:
        block.clean(_chart(block, [("Public", "56"), ("ESS", "50")]))
    assert "106" in str(excinfo.value.block_errors["items"])
    assert block.clean(_chart(block, [("Public", "56"), ("ESS", "40"), ("Privé", "4")]))


def test_share_segments_follow_each_other_and_small_ones_carry_no_label():
    block = ShareChartBlock()
    segments = block.get_context(_chart(block, [("Public", "56"), ("ESS", "40"), ("Privé", "4")]))["segments"]
    assert [(s["x"], s["width"]) for s in segments] == [(0, 560), (560, 400), (960, 40)]
    assert [s["labelled"] for s in segments] == [True, True, False]


def test_bars_are_scaled_to_the_largest_value():
    block = BarChartBlock()
    bars = block.get_context(_chart(block, [("ESS", "6"), ("Public", "11.9")]))["bars"]
    assert [bar["percent"] for bar in bars] == [Decimal("50.4"), Decimal("100.0")]


@pytest.mark.parametrize(
    ("value", "text"),
    [(3660, "3\u202f660"), (Decimal("32860"), "32\u202f860"), (Decimal("4.7"), "4,7"), (87, "87"), (None, "")],
)
def test_fr_number(value, text):
    assert fr_number(value) == text
