"""One error type for bad user input: the message names the file or key and what was expected. Every tool's
main() reports it the same way (`tool_main`)."""
from __future__ import annotations

import functools
import sys


class FsddimError(Exception):
    """A user-facing error (bad config, missing dataset, corrupt checkpoint...)."""


def tool_main(prog):
    """Decorates a tool's `main(argv=None)`: a FsddimError becomes one line `PROG: error: MESSAGE` on stderr
    and exit status 2 (argparse's status for a bad command line), with no traceback."""
    def wrap(main):
        @functools.wraps(main)
        def run(argv=None):
            try:
                return main(argv)
            except FsddimError as e:
                print(f"{prog}: error: {e}", file=sys.stderr)
                return 2
        return run
    return wrap
