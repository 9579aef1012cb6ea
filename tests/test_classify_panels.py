"""Which Classifiers panel a `?panel=` link opens (tutor.classify.linked_panel)."""
from __future__ import annotations

import pytest

from tutor.classify import PANELS, linked_panel


@pytest.mark.parametrize("link", PANELS)
def test_a_link_to_a_panel_opens_it(link):
    assert linked_panel(link) == link


@pytest.mark.parametrize("link", [None, "", "nonsense", "Songs"])
def test_a_missing_or_unknown_panel_in_the_link_opens_the_first(link):
    assert linked_panel(link) == PANELS[0] == "songs"
