"""``python -m sendlib``: the ``sendlib`` command."""

import sys

from .cli import main

sys.exit(main())
