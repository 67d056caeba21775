"""`python -m appliance` is the same as the `alto` command."""

import sys

from appliance.cli import main

sys.exit(main())
