"""Exceptions with messages meant for users (the CLI and the app print them as they are)."""


class AelibError(Exception):
    """Base class: anything a user can cause and fix (bad name, bad file, missing data)."""


class UnknownNameError(AelibError, KeyError):
    """A model, dataset or config key that is not registered."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])


class CheckpointError(AelibError):
    """A checkpoint that is missing, damaged, or of a format this version cannot read."""


class DataError(AelibError):
    """Data that is missing, cannot be downloaded, or is not what its loader expects."""


class ImageDecodeError(AelibError):
    """An uploaded file that cannot be read as a usable image."""
