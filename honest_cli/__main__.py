"""``python -m honest_cli ...`` is ``honest ...``."""

import sys

from honest_cli import main

sys.exit(main())
