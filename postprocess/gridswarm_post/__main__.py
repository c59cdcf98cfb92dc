"""`python3 -m gridswarm_post COMMAND ...` (see cli.py)."""

import sys

from .cli import main

try:
    sys.exit(main())
except BrokenPipeError:  # `gridswarm-post ... | head`
    sys.stderr.close()
    sys.exit(1)
