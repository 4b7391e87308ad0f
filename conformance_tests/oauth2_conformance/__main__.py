"""``python -m oauth2_conformance``: the same as the ``oauth2-conformance`` command."""

import sys

from oauth2_conformance.cli import main

sys.exit(main())
