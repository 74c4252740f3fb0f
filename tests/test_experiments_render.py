"""The tables of docs/results/quick/NAME.md and of docs/when-to-use-separable-conv.md's result markers are
what minisep.experiments.render makes of the committed JSON (render only, no training)."""

from pathlib import Path

import pytest

from minisep.experiments import render
from minisep.experiments.store import load

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "docs" / "results"
DOC = ROOT / "docs" / "when-to-use-separable-conv.md"
JSONS = sorted(RESULTS.glob("*/*.json"))
REGENERATE = ("regenerate with:\n    python -m minisep.experiments.when_to_use --budget {budget} --out docs/results/ "
              "--doc docs/when-to-use-separable-conv.md\n(or add --render-only to rewrite the tables from the "
              "committed JSON without training)")


def test_there_are_committed_results():
    assert (RESULTS / "quick").is_dir() and JSONS, f"no docs/results/*/NAME.json; {REGENERATE.format(budget='quick')}"


@pytest.mark.parametrize("path", JSONS, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_markdown_is_rendered_from_the_json(path):
    budget = path.parent.name
    md = path.with_suffix(".md")
    assert md.exists(), f"{md.relative_to(ROOT)} is missing; {REGENERATE.format(budget=budget)}"
    assert md.read_text(encoding="utf-8") == render.markdown(load(path), budget), (
        f"{md.relative_to(ROOT)} differs from what {path.name} renders to; {REGENERATE.format(budget=budget)}")


def test_doc_blocks_are_rendered_from_the_json():
    text = DOC.read_text(encoding="utf-8")
    names = render.markers(text)
    assert {"quick/equal_cost_digits", "quick/width_sweep_digits", "quick/correlation"} <= set(names), names
    for name in names:
        assert (RESULTS / f"{name}.json").exists(), f"the doc marks results:{name}, but docs/results/{name}.json is missing"
    budgets = sorted({n.split("/")[0] for n in names})
    assert text == render.render_doc(text, RESULTS), (
        f"the tables between the result markers of {DOC.relative_to(ROOT)} differ from the committed JSON; "
        + " / ".join(REGENERATE.format(budget=b) for b in budgets))


def test_render_refuses_unpaired_seeds():
    obj = load(RESULTS / "quick" / "width_sweep_digits.json")
    runs = {k: v for k, v in obj["runs"].items() if not (v["model"] == "separable" and v["seed"] == 0)}
    with pytest.raises(ValueError, match="seeds differ"):
        render.width_sweep_tables(dict(obj, runs=runs))


def test_no_absolute_paths_in_results():
    for path in RESULTS.glob("*/*"):
        if path.suffix in (".json", ".md"):
            text = path.read_text(encoding="utf-8")
            assert str(ROOT) not in text and "/home/" not in text and "/tmp/" not in text, path
