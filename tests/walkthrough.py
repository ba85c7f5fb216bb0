"""Run the shell sessions of a docs page and compare their output (``docs/serve.md``).

A session is the ``console`` blocks between ``<!-- walkthrough:start -->`` and
``<!-- walkthrough:end -->``: ``$ command`` lines, each followed by its output.
Commands run one after the other in one ``bash``, so variables carry over.
``authmock serve ...`` starts a server in the background (a person's first
terminal) and shows its banner. When a command prints a device code, the runner
approves it for the demo user, as the person at the browser would.

Values that differ on every run (ports, tokens, ids, codes, times) are replaced
by stable look-alikes in what is compared, and put back into the commands, so
the page reads like a real session and stays true.
"""

from __future__ import annotations

import hashlib
import os
import queue
import re
import shlex
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
REFCLI = ROOT / "examples" / "reference_cli" / "cli.py"
START, END = "<!-- walkthrough:start -->", "<!-- walkthrough:end -->"
#: Where the page's times start: what a reader sees instead of today.
BASE = datetime(2030, 1, 1, 9, 0, tzinfo=timezone.utc)
_CODE_ALPHABET = "BCDFGHJKLMNPQRSTVWXZ"
_PORTS = ("8400", "8443", "8444")


@dataclass
class Step:
    command: str
    expected: str
    line: int
    block: int


@dataclass
class Values:
    """Real value <-> the look-alike the page shows."""

    #: When the current block started: times are shown relative to it.
    started: float = field(default_factory=time.time)
    shown: dict[str, str] = field(default_factory=dict)  # real -> look-alike
    real: dict[str, str] = field(default_factory=dict)  # look-alike -> real

    def add(self, real: str, look_alike: str) -> str:
        if real not in self.shown:
            self.shown[real] = look_alike
            self.real[look_alike] = real
        return self.shown[real]

    def _fake(self, kind: str, real: str, make: Callable[[str], str]) -> str:
        if real in self.real:  # a look-alike already (the page's value, put back)
            return real
        if real in self.shown:
            return self.shown[real]
        count = sum(1 for key in self.real if key.startswith(kind))
        digest = hashlib.sha256(f"{kind}{count}".encode()).hexdigest()
        return self.add(real, kind + make(digest))

    def _time(self, real: datetime) -> datetime:
        # Offsets from the start of the block, to ten minutes: a block runs in
        # well under five, so an expiry an hour ahead reads 10:00 on every run
        # and machine.
        minutes = (real.timestamp() - self.started) / 60
        return BASE + timedelta(minutes=round(minutes / 10) * 10)

    def to_page(self, text: str) -> str:
        for real, look_alike in sorted(self.shown.items(), key=lambda kv: -len(kv[0])):
            text = text.replace(real, look_alike)
        text = re.sub(
            r"\beyJ[\w-]+\.[\w-]+\.[\w-]+",
            lambda m: self._fake(
                "eyJ", m.group(0), lambda d: f"hbGciOiJSUzI1NiJ9.{d[:24]}.{d[24:48]}"
            ),
            text,
        )
        text = re.sub(
            r"\bamk_[\w-]{43}", lambda m: self._fake("amk_", m.group(0), lambda d: d[:43]), text
        )
        text = re.sub(
            r"\btok_[0-9a-f]{16}", lambda m: self._fake("tok_", m.group(0), lambda d: d[:16]), text
        )
        text = re.sub(
            rf"\b[{_CODE_ALPHABET}]{{4}}-[{_CODE_ALPHABET}]{{4}}\b",
            lambda m: self._code(m.group(0)),
            text,
        )
        text = re.sub(
            r"\b(\d{4}-\d{2}-\d{2})([ T])(\d{2}:\d{2})(:\d{2})?(?:\.\d+)?( UTC|Z|\+00:00)?",
            self._date,
            text,
        )
        # Fingerprints of tokens, generated subjects, seconds of wall time.
        text = re.sub(
            r"\bsha256:[0-9a-f]{8}\b",
            lambda m: self._fake("sha256:", m.group(0), lambda d: d[:8]),
            text,
        )
        text = re.sub(
            r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b",
            lambda m: self._fake(
                "", m.group(0), lambda d: f"{d[:8]}-{d[8:12]}-4{d[13:16]}-a{d[17:20]}-{d[20:32]}"
            ),
            text,
        )
        text = re.sub(r"\(\d+ s ago\)", "(1 s ago)", text)
        return re.sub(
            r'("(?:exp|iat|nbf|expires_at|now|time)": ?)(1\d{9})(\.\d+)?', self._epoch, text
        )

    def _code(self, real: str) -> str:
        if real in self.real:
            return real
        if real in self.shown:
            return self.shown[real]
        count = sum(1 for key in self.real if re.fullmatch(r"[A-Z]{4}-[A-Z]{4}", key))
        digest = hashlib.sha256(f"code{count}".encode()).digest()
        letters = "".join(_CODE_ALPHABET[b % 20] for b in digest[:8])
        return self.add(real, f"{letters[:4]}-{letters[4:]}")

    def _date(self, match: re.Match[str]) -> str:
        day, sep, hour, seconds, zone = match.groups()
        moment = datetime.fromisoformat(f"{day}T{hour}{seconds or ':00'}+00:00")
        shown = self._time(moment)
        text = shown.strftime("%Y-%m-%d") + sep + shown.strftime("%H:%M")
        return text + (":00" if seconds else "") + (zone or "")

    def _epoch(self, match: re.Match[str]) -> str:
        moment = datetime.fromtimestamp(int(match.group(2)), timezone.utc)
        return match.group(1) + str(int(self._time(moment).timestamp()))

    def to_real(self, command: str) -> str:
        for look_alike, real in sorted(self.real.items(), key=lambda kv: -len(kv[0])):
            command = command.replace(look_alike, real)
        return command


def steps(page: str) -> list[Step]:
    """The commands of the page's session and the output each should print."""
    start = page.index(START)
    body = page[start : page.index(END)]
    first_line = page[:start].count("\n") + 1
    found: list[Step] = []
    for number, block in enumerate(re.finditer(r"```console\n(.*?)```", body, flags=re.S)):
        line = first_line + body[: block.start()].count("\n") + 1
        for offset, text in enumerate(block.group(1).splitlines()):
            if text.startswith("$ "):
                found.append(Step(text[2:], "", line + offset, number))
            elif found:
                found[-1].expected += text + "\n"
    return found


class Session:
    """One bash, plus the servers the page starts."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.values = Values()
        self.servers: list[subprocess.Popen[str]] = []
        self.admin: dict[str, str] = {}  # issuer -> admin token
        self.block = 0
        env = {
            **os.environ,
            "REFCLI_HOME": str(workdir / "refcli-home"),
            "REFCLI_KEYRING": "never",
            "PS1": "",
        }
        env.pop("REFCLI_TOKEN", None)
        self.shell = subprocess.Popen(
            ["bash", "--noprofile", "--norc"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            cwd=workdir,
            env=env,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self._reader = threading.Thread(
            target=self._read, args=(self.shell.stdout, self.lines), daemon=True
        )
        self._reader.start()
        python = shlex.quote(sys.executable)
        self._send(
            f'refcli() {{ {python} {shlex.quote(str(REFCLI))} "$@"; }}\n'
            f'authmock() {{ {python} -m pytest_authmock.cli "$@"; }}\n'
        )

    @staticmethod
    def _read(stream: object, into: queue.Queue[str]) -> None:
        for line in stream:  # type: ignore[attr-defined]
            into.put(line)

    def _send(self, text: str) -> None:
        assert self.shell.stdin is not None
        self.shell.stdin.write(text)
        self.shell.stdin.flush()

    def run(self, command: str, *, block: int = 0) -> str:
        if block != self.block:
            self.block, self.values.started = block, time.time()
        if command.startswith("authmock serve"):
            return self.values.to_page(self._serve(command))
        mark = f"__walkthrough_{len(self.values.shown)}_{time.monotonic_ns()}__"
        self._send(
            f"{{ {self.values.to_real(command)}\n}} </dev/null 2>&1\nprintf '\\n{mark}\\n'\n"
        )
        out: list[str] = []
        deadline = time.monotonic() + 120
        while True:
            line = self.lines.get(timeout=max(1.0, deadline - time.monotonic()))
            if line.strip() == mark:
                break
            out.append(line)
            code = re.fullmatch(rf"\s+([{_CODE_ALPHABET}]{{4}}-[{_CODE_ALPHABET}]{{4}})\s*", line)
            if code:
                self._approve(code.group(1))
        return self.values.to_page("".join(out).rstrip("\n"))

    def _serve(self, command: str) -> str:
        args = shlex.split(self.values.to_real(command))[2:]
        server = subprocess.Popen(
            [sys.executable, "-m", "pytest_authmock.cli", "serve", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            cwd=self.workdir,
        )
        self.servers.append(server)
        assert server.stdout is not None
        banner = [server.stdout.readline()]
        while not banner[-1].startswith("  try"):
            line = server.stdout.readline()
            if not line:
                raise RuntimeError(f"{command} ended: {''.join(banner)}")
            banner.append(line)
        issuer = banner[0].strip()
        port = issuer.rsplit(":", 1)[1]
        shown_port = _PORTS[len(self.admin)]
        self.values.add(issuer, issuer.rsplit(":", 1)[0] + ":" + shown_port)
        self.values.add(f"port {port}", f"port {shown_port}")
        alias = re.search(r"^  mTLS aliases\s+(\S+):(\d+) ", "".join(banner), re.M)
        if alias is not None:
            self.values.add(f"{alias.group(1)}:{alias.group(2)}", f"{alias.group(1)}:{_PORTS[2]}")
        token = re.search(r"^  admin token\s+(\S+)", "".join(banner), re.M)
        assert token is not None
        self.admin[issuer] = token.group(1)
        self.values._fake("amadm_", token.group(1), lambda d: d[:43])
        return "".join(banner).rstrip("\n")

    def _approve(self, user_code: str) -> None:
        """What the person does in the browser: approve the code as the demo user."""
        for issuer, token in self.admin.items():
            answer = httpx.post(
                f"{issuer}/_authmock/device/{user_code}",
                json={"decision": "approve", "username": "demo"},
                headers={"Authorization": f"Bearer {token}"},
                verify=False,  # noqa: S501 - our own loopback server, any of them
            )
            if answer.status_code == 200:
                return

    def close(self) -> None:
        if self.shell.stdin is not None:
            self.shell.stdin.close()
        self.shell.wait(timeout=10)
        self._reader.join(10)
        if self.shell.stdout is not None:
            self.shell.stdout.close()
        for server in self.servers:
            server.terminate()
            server.wait(timeout=10)
            if server.stdout is not None:
                server.stdout.close()


def run_page(page: str, workdir: Path) -> Iterator[tuple[Step, str]]:
    """Each step of the page with the output it printed (in the page's look-alikes)."""
    session = Session(workdir)
    try:
        for step in steps(page):
            yield step, session.run(step.command, block=step.block)
    finally:
        session.close()


def rewrite(page: str, workdir: Path) -> str:
    """The page with every step's output replaced by what it printed now."""
    outputs = dict((step.line, output) for step, output in run_page(page, workdir))
    lines = page.splitlines(keepends=True)
    result: list[str] = []
    skipping = False
    in_session = False
    for number, text in enumerate(lines, start=1):
        if START in text:
            in_session = True
        if END in text:
            in_session = False
        if in_session and text.startswith("$ ") and number in outputs:
            result.append(text)
            if outputs[number]:
                result.append(outputs[number] + "\n")
            skipping = True
            continue
        if skipping and (text.startswith("$ ") or text.startswith("```")):
            skipping = False
        if not skipping:
            result.append(text)
    return "".join(result)
