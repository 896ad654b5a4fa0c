"""``python -m simulation``: the same as ``invsim``."""

import sys

from simulation.cli import main

sys.exit(main())
