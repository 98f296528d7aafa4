"""``python -m p2pfile``: the same command as ``p2pfile``."""

import sys

from p2pfile.cli import main

sys.exit(main())
