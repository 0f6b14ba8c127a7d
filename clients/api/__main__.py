"""Run the sample API with Flask's development server."""

import argparse

from clients.api import create_api


def main() -> None:
    """Parse the command line and serve the API."""
    parser = argparse.ArgumentParser(prog="python -m clients.api", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=5002, help="port to listen on")
    args = parser.parse_args()
    create_api().run(host=args.host, port=args.port, threaded=True)


if __name__ == "__main__":
    main()
