"""Run the ``idp`` command: ``python -m idp``."""

from .cli import main

raise SystemExit(main())
