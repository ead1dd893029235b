"""The file mailer: each message is written as an .eml file under a folder (by default
<data dir>/mail/), for the demo and development, where no mail server is at hand. Any mail
program opens them; the demo prints the folder."""

from __future__ import annotations

import os
from pathlib import Path

from ..domain.mail import Mail
from .base import MailError
from .message import to_message


class FileMailer:
    def __init__(self, folder: Path, sender: str) -> None:
        self.folder = Path(folder)
        self.sender = sender

    def send(self, mail: Mail) -> None:
        # Named by time then id: a folder listing reads in the order the mail was made, and
        # sending again overwrites the same file instead of adding a copy.
        stamp = mail.created_at.replace(":", "").replace("-", "")
        path = self.folder / f"{stamp}-{mail.id}.eml"
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            temporary = path.with_suffix(".tmp")
            temporary.write_bytes(bytes(to_message(mail, self.sender)))
            os.replace(temporary, path)  # a reader never sees half a message
        except OSError as e:
            raise MailError(f"could not write {path}: {e.strerror}") from e

    def describe(self) -> str:
        return f"files in {self.folder.resolve()}"
