"""`python -m mock_server ...` is `fanfare-mock ...`."""

from __future__ import annotations

import sys

from mock_server.cli import main

sys.exit(main())
