"""Real mail servers on loopback for the e-mail connector's tests.

Dovecot (Debian's ``dovecot-imapd``, installed by ``make services``) runs as a
foreground-less daemon from a config in a temporary directory, on a free port, with a
passwd-file of users whose mailboxes live under that directory; no systemd, nothing
outside the directory. aiosmtpd records what our SMTP client hands it.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def dovecot_available() -> str | None:
    """None when Dovecot can run here, else why not (the tests then skip saying so)."""
    if not Path(DOVECOT).exists():
        return "dovecot not installed: run `make services` (apt-get install dovecot-imapd)"
    if os.geteuid() != 0:
        return "dovecot test servers need root (its mail user switch)"
    try:
        pwd.getpwnam("dovecot")
    except KeyError:
        return "the dovecot system user is missing"
    return None


CONFIG = """\
protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
first_valid_uid = 0
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/users
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/home/%u
}}
mail_location = maildir:~/Maildir
namespace inbox {{
  inbox = yes
  mailbox Sent {{
    special_use = \\Sent
    auto = create
  }}
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
"""


@dataclass
class Dovecot:
    root: Path
    port: int = 0
    _users: int = 0

    def start(self) -> None:
        account = pwd.getpwnam("dovecot")
        self.root.mkdir(parents=True, exist_ok=True)
        os.chmod(self.root, 0o755)  # noqa: S103 - Dovecot's auth user reads the users file
        home = self.root / "home"
        home.mkdir(exist_ok=True)
        os.chown(home, account.pw_uid, account.pw_gid)
        # every mailbox is declared up front: Dovecot re-reads the passwd-file only when
        # its mtime changes, which a test appending within the same second would not do
        (self.root / "users").write_text(
            "".join(f"{self._address(n)}:{{PLAIN}}{self._password(n)}\n" for n in range(1, 201))
        )
        for _attempt in range(5):
            self.port = free_port()
            (self.root / "dovecot.conf").write_text(
                CONFIG.format(
                    root=self.root, port=self.port, uid=account.pw_uid, gid=account.pw_gid
                )
            )
            with (self.root / "start.log").open("ab") as out:
                # the daemon's children inherit these: never a pipe we would wait on
                done = subprocess.run(
                    [DOVECOT, "-c", str(self.root / "dovecot.conf")],
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=out,
                    check=False,
                    timeout=30,
                )
            if done.returncode == 0 and self._wait():
                return
            self.stop()
        raise RuntimeError(f"dovecot did not start: {self.log()}")

    def _wait(self) -> bool:
        for _ in range(100):
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return True
            except OSError:
                time.sleep(0.05)
        return False

    def log(self) -> str:
        path = self.root / "dovecot.log"
        return path.read_text()[-2000:] if path.exists() else ""

    def stop(self) -> None:
        subprocess.run(
            [DOVECOT, "-c", str(self.root / "dovecot.conf"), "stop"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=False,
            timeout=30,
        )

    @staticmethod
    def _address(n: int) -> str:
        return f"support{n}@example.com"

    @staticmethod
    def _password(n: int) -> str:
        return f"pw-{n}-{os.getpid()}"

    def add_user(self) -> tuple[str, str]:
        """A fresh mailbox (its own address and password) for one test."""
        self._users += 1
        return self._address(self._users), self._password(self._users)


@dataclass
class SmtpSink:
    """What the SMTP server received: (envelope sender, recipients, raw message bytes)."""

    messages: list[tuple[str, list[str], bytes]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(
            (envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.original_content))
        )
        return "250 Message accepted for delivery"
