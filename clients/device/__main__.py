"""python -m clients.device: sign a person in on this command line with a code."""

import sys

from clients.device.cli import main

if __name__ == "__main__":
    sys.exit(main())
