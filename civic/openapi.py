"""The API's OpenAPI document, one whatever the caller's language.

Component, enum and operation names and every description are in the source language,
English: the help texts and choice labels they come from are translated strings, which would
otherwise follow the caller (and, through enum titles, rename the classes of a generated
client). `SchemaView` serves it at /api/schema/; `manage.py openapi` commits it as
docs/openapi.json. Only the docs page's own interface may follow the request's language.

Apart from civic.schema (the AutoSchema that settings name): this imports DRF's views.
"""

import json

from django.utils import translation
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.views import SpectacularAPIView
from rest_framework.utils.encoders import JSONEncoder

SOURCE_LANGUAGE = "en"


def generate():
    """The whole API's OpenAPI document, in the source language, as plain JSON values."""
    with translation.override(SOURCE_LANGUAGE):
        schema = SchemaGenerator().get_schema(request=None, public=True)
        # Lazy translations are resolved here, while the source language holds.
        return json.loads(json.dumps(schema, cls=JSONEncoder))


def generate_json():
    """`generate()` as docs/openapi.json holds it."""
    return json.dumps(generate(), indent=2, ensure_ascii=False) + "\n"


class SchemaView(SpectacularAPIView):
    """GET /api/schema/: the same document for every caller, in the source language."""

    def dispatch(self, request, *args, **kwargs):
        with translation.override(SOURCE_LANGUAGE):
            response = super().dispatch(request, *args, **kwargs)
            if hasattr(response, "render"):
                response.render()  # the body is written inside the override, not after it
        return response
