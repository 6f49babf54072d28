"""The terms of use and the privacy notice residents accept at sign-up (PIPL: informed consent).

Their texts are the pages /terms/ and /privacy/ (templates/registration/terms.html and
privacy.html, in both languages); a version names each text as published. A person's consent
is stored on their account with both versions and the time: change a text, raise its version.
"""

TERMS_VERSION = "2026-12-03"
PRIVACY_VERSION = "2026-12-03"
