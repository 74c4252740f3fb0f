"""CLI verbs for learners: exercise list | show NUM | start NUM DIR | check NUM [PATH], and draw (index-map pictures).

Letters in help and messages are those of docs/backprop-separable-conv.md: N is only ever the batch,
k the depth-multiplier index; the kernel size is kh,kw, the stride sh,sw, the dilation rh,rw."""
from __future__ import annotations

from .common import UserFacingError


def _exercise(args) -> int:
    from ..teach import exercises as E

    try:
        if args.action == "list":
            for ex in E.EXERCISES.values():
                print(f"{ex.number}  {ex.name:<28}{ex.title}")
            return 0
        if args.number is None:
            raise UserFacingError(f"exercise {args.action} needs the exercise number NUM (see `minisep exercise list`)")
        ex = E.get(args.number)
        if args.action == "show":
            print(E.stub_text(ex.number))
            return 0
        if args.action == "start":
            if args.path is None:
                raise UserFacingError("exercise start needs a folder: minisep exercise start NUM DIR")
            target = E.start(ex.number, args.path)
            print(f"wrote {target}; fill in {ex.function}(), then run: minisep exercise check {ex.number} {args.path}")
            return 0
        fn = E.load_function(ex, args.path or ".")
    except (ValueError, FileExistsError, FileNotFoundError, AttributeError) as e:
        raise UserFacingError(str(e)) from None
    except SyntaxError as e:
        print(f"FAILED: your file does not parse: {e}")
        return 1
    result = E.grade(ex, fn)
    print(result)
    return 0 if result.passed else 1


def register(sub) -> None:
    p = sub.add_parser("exercise", help="graded exercises: fill in a backward, get told where and which term is wrong")
    p.add_argument("action", choices=("list", "show", "start", "check"))
    p.add_argument("number", nargs="?", default=None, metavar="NUM", help="the exercise number (1-8)")
    p.add_argument("path", nargs="?", default=None, help="start: the folder to copy the stub into; "
                   "check: that folder or the file (default: the current folder)")
    p.set_defaults(func=_exercise)
    register_draw(sub)


# ---- draw: index-map pictures of one depthwise conv --------------------------------------------------------

DRAW_LIMITS = dict(size=64, kernel=7, stride=8, dilation=8, multiplier=16)


def _ints(text: str, option: str, count: tuple, low: int, high: int | None = None) -> tuple:
    parts = [s.strip() for s in str(text).split(",")]
    try:
        values = tuple(int(s) for s in parts)
    except ValueError:
        values = ()
    if len(values) not in count:
        names = [{1: "one integer", 2: "two (rows,columns)", 4: "four (pt,pb,pl,pr)"}[c] for c in count]
        want = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]
        raise UserFacingError(f"{option} must be {want}, got {text!r}")
    for v in values:
        if v < low or (high is not None and v > high):
            bound = f"between {low} and {high}" if high is not None else f">= {low}"
            raise UserFacingError(f"{option} values must be {bound}, got {text!r}")
    return values


def _pair(text, option, low, high=None) -> tuple[int, int]:
    v = _ints(text, option, (1, 2), low, high)
    return v * 2 if len(v) == 1 else v


def _draw_padding(text: str):
    if str(text).lower() in ("same", "valid"):
        return str(text).lower()
    v = _ints(text, "--padding", (1, 2, 4), 0, 64)
    return v[0] if len(v) == 1 else v


def _point(text, option, hw) -> tuple[int, int] | None:
    if text is None:
        return None
    v = _ints(text, option, (1, 2), 0)
    if len(v) == 1:  # one number: (n, n), or the column of a 1-D (one-row) size
        v = (0, v[0]) if hw[0] == 1 else v * 2
    return v


def _draw(args) -> int:
    from ..teach import draw

    size = _pair(args.size, "--size", 1, DRAW_LIMITS["size"])
    kernel = _pair(args.kernel, "--kernel", 1, DRAW_LIMITS["kernel"])
    stride = _pair(args.stride, "--stride", 1, DRAW_LIMITS["stride"])
    dilation = _pair(args.dilation, "--dilation", 1, DRAW_LIMITS["dilation"])
    padding = _draw_padding(args.padding)
    m = args.depth_multiplier
    if not 1 <= m <= DRAW_LIMITS["multiplier"]:
        raise UserFacingError(f"--depth-multiplier must be between 1 and {DRAW_LIMITS['multiplier']}, got {m}")
    out = None
    if args.out is not None:
        from .common import check_output_path
        suffix = str(args.out).lower().rsplit(".", 1)[-1] if "." in str(args.out) else ""
        if suffix not in ("png", "svg"):
            raise UserFacingError(f"--out must end in .png or .svg, got {args.out!r}")
        out = check_output_path(args.out, "--out")
    try:
        g = draw.geometry(size, kernel, stride, padding, dilation)
        head, items = draw.panels(g, m, _point(args.output, "--output", size), _point(args.input, "--input", size))
    except (ValueError, TypeError) as e:
        raise UserFacingError(str(e).removeprefix("draw: ")) from None
    if out is None:
        print(draw.render_text(head, items), end="")
        return 0
    if out.suffix.lower() == ".svg":
        from ..teach.draw_svg import render_svg
        out.write_text(render_svg(head, items), encoding="utf-8")
    else:
        try:
            import matplotlib  # noqa: F401
        except ImportError:
            raise UserFacingError("--out FILE.png needs matplotlib (pip install 'minisep[plot]'); "
                                  "--out FILE.svg needs nothing, and without --out the pictures print as text") from None
        draw.render_png(head, items, out)
    print(f"wrote {args.out}")
    return 0


def register_draw(sub) -> None:
    from .common import Formatter

    p = sub.add_parser("draw", formatter_class=Formatter,
                       help="index-map pictures of a depthwise conv: which pixels an output reads, which outputs "
                            "a pixel's gradient collects, the stride grid, the conv as a matrix",
                       description="Text on stdout by default; --out FILE.svg (no dependency) or FILE.png "
                                   "(matplotlib). Size, kernel, stride and dilation take one integer (the same for rows and "
                                   "columns) or two (rows,columns).")
    p.add_argument("--size", default="6", help="input size H or H,W (1-D: 1,W with --kernel 1,kw)")
    p.add_argument("--kernel", default="3", help="kernel size kh,kw (one integer: square)")
    p.add_argument("--stride", default="1", help="stride s or sh,sw")
    p.add_argument("--padding", default="0", help="p (all sides), ph,pw, pt,pb,pl,pr, 'same' (Keras) or 'valid'")
    p.add_argument("--dilation", default="1", help="dilation d or rh,rw")
    p.add_argument("--depth-multiplier", type=int, default=1, help="m: filters per input channel")
    p.add_argument("--output", default=None, metavar="p,q", help="the output (p, q) drawn (default: the last one)")
    p.add_argument("--input", default=None, metavar="h,w", help="the input pixel (h, w) drawn (default: the middle one)")
    p.add_argument("--out", default=None, metavar="FILE", help="write FILE.svg or FILE.png instead of printing text")
    p.set_defaults(func=_draw)
