"""E-mail written to files (development): each file readable by its owner only (0600), in a
directory only its owner may enter, since a message may hold a password-reset link."""

import os

from django.core.mail.backends.filebased import EmailBackend


class PrivateFileBackend(EmailBackend):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        os.chmod(self.file_path, 0o700)

    def open(self):
        if self.stream is None:
            filename = self._get_filename()
            descriptor = os.open(filename, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            os.chmod(filename, 0o600)
            self.stream = os.fdopen(descriptor, "ab")
            return True
        return False
