"""CLI verb for the graded exercises: exercise list | show N | start N DIR | check N [PATH]."""
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
            raise UserFacingError(f"exercise {args.action} needs the exercise number N (see `minisep exercise list`)")
        ex = E.get(args.number)
        if args.action == "show":
            print(E.stub_text(ex.number))
            return 0
        if args.action == "start":
            if args.path is None:
                raise UserFacingError("exercise start needs a folder: minisep exercise start N DIR")
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
    p.add_argument("number", nargs="?", default=None, help="exercise number N")
    p.add_argument("path", nargs="?", default=None, help="start: the folder to copy the stub into; "
                   "check: that folder or the file (default: the current folder)")
    p.set_defaults(func=_exercise)
