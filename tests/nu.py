"""The W3C Nu HTML Checker (vnu), run over many pages in one Java invocation.

vnu comes from npm (`vnu-jar`, pinned in package-lock.json, installed by `npm ci`) and runs on
Debian's Java (`default-jre-headless`; `.ci/run` installs it where `java` is missing). Java
takes seconds to start, so a test hands it every page at once:

    findings = nu_check({"resident /profile/": html, ...})

returns one `Finding` per message, named by the page's key. Without Java or the jar the
checker is skipped locally and fails in CI. With NU_KEEP=FOLDER the pages stay there as
page-NNN.html (keys in index.json), to read a finding in its whole page.
"""

import json
import os
import shutil
import subprocess  # nosec B404  # runs the pinned checker jar on files this test wrote
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings

VNU = Path(settings.BASE_DIR) / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"


@dataclass(frozen=True)
class Finding:
    page: str  # the key the page was handed in under
    kind: str  # "error", "info" (vnu's warnings are info with subType "warning"), "non-document-error"
    message: str
    line: int | None
    extract: str

    @property
    def is_error(self):
        return self.kind in {"error", "non-document-error"}

    def __str__(self):
        return f"{self.page} line {self.line}: {self.message} [{self.extract.strip()[:120]}]"


def require_vnu():
    missing = []
    if not shutil.which("java"):
        missing.append("Java (apt-get install default-jre-headless)")
    if not VNU.exists():
        missing.append(f"vnu-jar at {VNU} (npm ci)")
    if not missing:
        return
    message = "the Nu HTML Checker needs " + " and ".join(missing)
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def nu_check(pages):
    """Every message vnu has on `pages` ({key: HTML text}), in one run of the checker."""
    require_vnu()
    with tempfile.TemporaryDirectory(prefix="civic-nu-") as scratch:
        folder = Path(os.environ.get("NU_KEEP") or scratch)
        folder.mkdir(parents=True, exist_ok=True)
        names = {}
        for number, (key, html) in enumerate(pages.items()):
            path = folder / f"page-{number:03d}.html"
            path.write_text(html, encoding="utf-8")
            names[path.name] = key
        (folder / "index.json").write_text(json.dumps(names, ensure_ascii=False, indent=1), encoding="utf-8")
        files = [str(folder / name) for name in sorted(names)]
        result = subprocess.run(  # nosec B603  # fixed argument list, no shell
            ["java", "-Xss1m", "-jar", str(VNU), "--format", "json", "--stdout", "--exit-zero-always", *files],
            capture_output=True,
            text=True,
            timeout=600,
            check=True,
        )
    messages = json.loads(result.stdout)["messages"]
    findings = []
    for message in messages:
        kind = message["type"]
        if kind == "info" and message.get("subType") == "warning":
            kind = "warning"
        findings.append(
            Finding(
                page=names.get(message.get("url", "").rsplit("/", 1)[-1], message.get("url", "?")),
                kind=kind,
                message=message.get("message", ""),
                line=message.get("lastLine"),
                extract=message.get("extract", ""),
            )
        )
    return findings
