"""Run the sample portal with Flask's development server."""

import argparse

from clients.portal import create_portal


def main() -> None:
    """Parse the command line and serve the portal."""
    parser = argparse.ArgumentParser(prog="python -m clients.portal", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=5001, help="port to listen on")
    args = parser.parse_args()
    create_portal().run(host=args.host, port=args.port, threaded=True)


if __name__ == "__main__":
    main()
