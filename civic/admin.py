"""The portal's own admin: nothing of knox's.

knox registers its token table, which would let staff with the model permission mint a
token for anyone; tokens are the person's own business (core.tokens), so it is taken away.
"""

from django.contrib import admin
from knox.models import AuthToken

if admin.site.is_registered(AuthToken):
    admin.site.unregister(AuthToken)
