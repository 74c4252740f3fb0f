"""The functional rank test: what is left of a trained standard CNN when its convs are made separable?

The spectra of section 2 of docs/when-to-use-separable-conv.md measure how far the kernels are from
rank ≤ r in weight space; this measures it in function space. For every seed s:

    standard     train 'standard' (runner.train_run: weights from s, batches from s + 1) and test it
                 (and test it again with only its BatchNorm statistics re-estimated, as below);
    projected r  replace every block conv (block1..blockK; the stem stays a full conv, as in every variant)
                 by its nearest separable layer with depth multiplier r (separability.project_layer:
                 per input channel c, the top r singular vectors of the O×(kh·kw) slice W[:,c,:,:]),
                 re-estimate BatchNorm's running statistics on the training images
                 (separability.recalibrate_bn), test; no retraining. r in cfg["ranks"];
    scratch r    train the separable variant with depth multiplier r (TWINS) from scratch on the same seed:
                 the same architecture as projected r, so the same parameters and mult-adds.

Differences are paired by seed (the projected model of seed s is seed s's standard model).
"""

from __future__ import annotations

from ..app import separability
from ..app.train import evaluate
from ..teach.summary import cost
from .runner import train_run
from .variants import make_model

TWINS = {1: "separable", 2: "separable_m2", 3: "separable_m3"}
BN_BATCH = 500  # images per batch when the BatchNorm statistics are re-estimated


def config(cfg: dict, data_dir) -> dict:
    """What rank_DATASET.json records as its config (enough to rerun any of its runs)."""
    out = {k: cfg[k] for k in ("dataset", "limit", "epochs", "seeds", "width", "ranks")}
    out.update(data_dir=data_dir, lr=None)
    bad = [r for r in out["ranks"] if r not in TWINS]
    if bad:
        raise ValueError(f"rank: ranks must be among {sorted(TWINS)} (the variants trained from scratch), got {bad}")
    return out


def run_key(model: str, seed: int) -> str:
    return f"{model}|seed={seed}"


def plan(cfg: dict) -> list[tuple[str, dict]]:
    """Every run as (key, arguments of one_run): 'standard' (with its projections), then each twin, all seeds."""
    models = ["standard"] + [TWINS[r] for r in cfg["ranks"]]
    return [(run_key(m, s), dict(variant=m, seed=s)) for m in models for s in cfg["seeds"]]


def layout(cfg: dict) -> dict:
    return {"kind": "rank", "reference": "standard", "ranks": list(cfg["ranks"]),
            "twins": {str(r): TWINS[r] for r in cfg["ranks"]}}


def block_names(model) -> list[str]:
    """The dotted names of the block convs ('block1.0', ...): every stage but the stem has its conv first."""
    return [f"{name}.0" for name, _ in model.named_children() if name.startswith("block")]


def project_blocks(trained, r: int, x_train, *, seed: int, width: float):
    """A copy of the trained 'standard' model with every block conv projected onto rank r, BN recalibrated
    on x_train; and the mean over the block convs of the energy share the projection keeps."""
    model = make_model("standard", x_train.shape[1:], seed, width)
    model.load_state_dict(trained.state_dict())
    kept = []
    for name in block_names(model):
        conv = separability.get_module(model, name)
        kept.append(separability.top_energy(conv.weight.data, r)[-1])
        separability.swap_module(model, name, separability.project_layer(conv, r))
    separability.recalibrate_bn(model, x_train, BN_BATCH)
    return model, sum(kept) / len(kept)


def one_run(cfg: dict, train, test, variant: str, seed: int) -> dict:
    """Train ``variant`` on seed ``seed``; for 'standard', also test its projection onto every rank of cfg."""
    projected: dict = {}
    recalibrated: dict = {}
    shape = tuple(train[0].shape[1:])

    def project(model) -> None:
        same = make_model("standard", shape, seed, cfg["width"])  # BN re-estimated alone: what that moves
        same.load_state_dict(model.state_dict())
        loss, acc = evaluate(separability.recalibrate_bn(same, train[0], BN_BATCH), *test)
        recalibrated.update(test_acc=acc, test_loss=loss)
        for r in cfg["ranks"]:
            proj, kept = project_blocks(model, r, train[0], seed=seed, width=cfg["width"])
            loss, acc = evaluate(proj, *test)
            params, mult_adds = cost(proj, shape)
            projected[str(r)] = {"test_acc": acc, "test_loss": loss, "kept_energy": kept, "params": params,
                                 "mult_adds": mult_adds}

    run = train_run(variant, train, test, seed=seed, epochs=cfg["epochs"], width=cfg["width"], lr=cfg["lr"],
                    dataset=cfg["dataset"], on_trained=project if variant == "standard" else None)
    if variant == "standard":
        run["projected"], run["recalibrated"] = projected, recalibrated
    return run


def run_rank(result, cfg: dict, train, test, log=print) -> None:
    """Train every run of plan(cfg) not in ``result`` yet."""
    result.extra.update(layout(cfg))
    last = None
    for key, args in plan(cfg):
        result.get(key, lambda: one_run(cfg, train, test, **args))
        if args["variant"] != last:
            last = args["variant"]
            log(f"  {result.name}: {last}")
