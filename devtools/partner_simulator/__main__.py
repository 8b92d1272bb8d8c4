"""`python -m devtools.partner_simulator`: the command line (devtools.partner_simulator.cli)."""

import sys

from .cli import main

sys.exit(main())
