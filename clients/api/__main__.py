"""Run the sample API with Flask's development server."""

from clients.api import create_api
from clients.serve import serve


def main() -> None:
    """Parse the command line and serve the API."""
    serve(create_api, prog="python -m clients.api", description=__doc__, port=5002)


if __name__ == "__main__":
    main()
