"""Output files written whole or not at all: a run that fails never leaves a half-written file behind."""
from __future__ import annotations

import contextlib
import os
import tempfile


@contextlib.contextmanager
def atomic_output(path):
    """Yields a temporary path next to `path`; on success it becomes `path` (mode 0644), on any error it is
    removed and `path` is left as it was."""
    d = os.path.dirname(os.path.abspath(path))
    os.makedirs(d, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-" + os.path.basename(path) + "-", dir=d)
    os.close(fd)
    try:
        yield tmp
        os.chmod(tmp, 0o644)   # mkstemp creates 0600; outputs are ordinary files
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
