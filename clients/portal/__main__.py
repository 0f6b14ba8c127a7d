"""Run the sample portal with Flask's development server."""

from clients.portal import create_portal
from clients.serve import serve


def main() -> None:
    """Parse the command line and serve the portal."""
    serve(create_portal, prog="python -m clients.portal", description=__doc__, port=5001)


if __name__ == "__main__":
    main()
