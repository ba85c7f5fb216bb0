"""A person's debugger session, and the error a page shows instead of acting."""

from __future__ import annotations

import dataclasses

from pytest_authmock.control.token_view import TokenResult


@dataclasses.dataclass
class Session:
    csrf: str
    #: Authorization requests under way: state -> (client_id, code_verifier).
    pending: dict[str, tuple[str, str]] = dataclasses.field(default_factory=dict)
    result: TokenResult | None = None
    #: A device login the debugger started: (client_id, device_code, user_code).
    device: tuple[str, str, str] | None = None
    notice: tuple[str, bool] | None = None
    #: The client, grant and scope last picked in the token form.
    chosen: dict[str, str] = dataclasses.field(default_factory=dict)


class PageError(Exception):
    """A form the pages refuse; the message is shown to the person."""

    def __init__(self, text: str, status: int = 400) -> None:
        super().__init__(text)
        self.status = status
