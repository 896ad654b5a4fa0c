"""``python -m simulation.validation``: run the suite and write VALIDATION.md (see :mod:`.document`)."""

import sys

from simulation.validation.document import main

sys.exit(main())
