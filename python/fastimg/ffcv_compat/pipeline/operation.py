"""The base class of pipeline operations, where FFCV keeps it (scripts import it for type hints)."""


class Operation:
    """One step of a field's pipeline. fastimg maps each onto its C++ loader or a batched torch op."""

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in vars(self).items())
        return f"{type(self).__name__}({args})"
