"""A stand-in for the user's browser ($BROWSER): opens the authorize URL it is given and follows
the redirects, as a browser does when signin-mock runs with --auto-approve. The last redirect
lands on the CLI's loopback callback, which completes the login."""

import sys
import urllib.request


def main() -> int:
    url = sys.argv[-1]
    with urllib.request.urlopen(url, timeout=30) as response:
        response.read()
    return 0


if __name__ == "__main__":
    sys.exit(main())
