"""python -m clients.authenticator: the authenticator-app simulator's command line."""

import sys

from clients.authenticator.cli import main

if __name__ == "__main__":
    sys.exit(main())
