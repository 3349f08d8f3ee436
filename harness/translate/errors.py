"""The refusal raised when an Oracle construct cannot be translated faithfully to DuckDB."""


class UnsupportedConstruct(Exception):
    """An Oracle construct that the translation layer refuses rather than risk changing meaning.

    ``construct`` names the construct (``"ROWNUM in ORDER BY"``, ``"TO_CHAR format 'D'"``) and
    ``reason`` says why it cannot be mapped faithfully.
    """

    def __init__(self, construct: str, reason: str) -> None:
        super().__init__(f"{construct}: {reason}")
        self.construct = construct
        self.reason = reason
