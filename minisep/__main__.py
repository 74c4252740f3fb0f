"""``python -m minisep`` is the same as the ``minisep`` command."""

import sys

from .cli import main

sys.exit(main())
