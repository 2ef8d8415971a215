"""`python -m curbside` runs the command line."""

import sys

from curbside.cli import main

sys.exit(main())
