"""``python -m ntkrepro``: the ``ntkrepro`` command (:mod:`ntkrepro.cli`)."""

import sys

from .cli import main

sys.exit(main())
