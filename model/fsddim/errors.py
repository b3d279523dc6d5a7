"""One error type for bad user input: the message names the file or key and what was expected."""


class FsddimError(Exception):
    """A user-facing error (bad config, missing dataset, corrupt checkpoint...)."""
