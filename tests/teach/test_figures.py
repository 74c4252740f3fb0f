"""The docs' teaching figures (docs/img/*.svg) are what minisep.teach.figures makes today: regenerate
them into a temporary folder and compare byte for byte; a difference fails with the command that
regenerates them."""
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from minisep.teach import figures

IMG = Path(__file__).resolve().parents[2] / "docs" / "img"


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory):
    out = tmp_path_factory.mktemp("figures")
    return {p.name: p for p in figures.make_all(out)}


@pytest.mark.parametrize("name", sorted(figures.FIGURES))
def test_committed_figure_is_what_the_code_makes(name, regenerated):
    new = regenerated[name].read_text(encoding="utf-8")
    ET.fromstring(new)  # valid XML
    committed = IMG / name
    assert committed.exists(), f"docs/img/{name} is missing; make it with: {figures.REGENERATE}"
    assert committed.read_text(encoding="utf-8") == new, (
        f"docs/img/{name} differs from what the code draws now; regenerate with: {figures.REGENERATE}")


def test_docs_show_every_figure_and_name_the_command():
    docs = Path(__file__).resolve().parents[2] / "docs"
    text = (docs / "learn-by-doing.md").read_text(encoding="utf-8")
    for name in figures.FIGURES:
        assert f"](img/{name})" in text, name
    assert figures.REGENERATE in text


def test_figures_show_what_they_claim(regenerated):
    graph = regenerated["graph_separable_block.svg"].read_text(encoding="utf-8")
    for op in ("DepthwiseConv2d", "PointwiseConv2d", "AddBias", "ReLU", "Sum", "depthwise.weight"):
        assert op in graph, op
    drawn = regenerated["draw_stride2_same.svg"].read_text(encoding="utf-8")
    assert "(pt, pb, pl, pr) = (0, 1, 0, 1)" in drawn and "5 of them on padding" in drawn
    bug = regenerated["bug_no_flip.svg"].read_text(encoding="utf-8")
    assert "dX WRONG at 54 of 72" in bug and "dD right everywhere" in bug


def test_main_usage(capsys):
    assert figures.main([]) == 2
    assert figures.REGENERATE in capsys.readouterr().err
