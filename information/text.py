"""Announcement text: Markdown or a limited HTML, rendered once and sanitised with nh3.

Whatever staff type, what reaches a page or the app is a small set of formatting tags with
safe links: no scripts, no styles, no images from elsewhere, no event handlers.
"""

import html

import markdown
import nh3

# Headings start at h2: the page's own title is the only h1.
TAGS = {
    "p", "br", "strong", "b", "em", "i", "u", "s", "del", "ins", "mark", "small", "sub", "sup",
    "ul", "ol", "li", "dl", "dt", "dd", "blockquote", "q", "cite", "abbr", "code", "pre", "kbd", "hr",
    "h2", "h3", "h4", "h5", "h6", "a", "span",
    "table", "caption", "thead", "tbody", "tfoot", "tr", "th", "td",
}  # fmt: skip
ATTRIBUTES = {
    "a": {"href", "title", "hreflang"},
    "abbr": {"title"},
    "ol": {"start"},
    "th": {"colspan", "rowspan", "scope"},
    "td": {"colspan", "rowspan"},
    "*": {"lang"},
}
URL_SCHEMES = {"http", "https", "mailto", "tel"}


def sanitise(fragment):
    return nh3.clean(
        fragment,
        tags=TAGS,
        clean_content_tags={"script", "style"},
        attributes=ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )


def _shift_headings(fragment):
    # Markdown's "# Title" would be a second h1 on the page: every heading goes one level down.
    for level in range(5, 0, -1):
        fragment = fragment.replace(f"<h{level}>", f"<h{level + 1}>").replace(f"</h{level}>", f"</h{level + 1}>")
    return fragment


def render(text, body_format):
    """The text as safe HTML. `body_format` is "markdown" or "html"."""
    if body_format == "markdown":
        # Raw HTML inside Markdown passes through to nh3, which keeps only the allowed tags.
        fragment = _shift_headings(
            markdown.markdown(text or "", extensions=["sane_lists", "tables"], output_format="html")
        )
    else:
        fragment = text or ""
    return sanitise(fragment).strip()


def plain(html_fragment, limit=None):
    """The rendered text without markup, for SMS and notices (paragraphs on their own lines)."""
    spaced = html_fragment.replace("</p>", "</p>\n").replace("<br>", "\n").replace("</li>", "</li>\n")
    text = html.unescape(nh3.clean(spaced, tags=set()))
    lines = [" ".join(line.split()) for line in text.splitlines()]
    text = "\n".join(line for line in lines if line)
    if limit is not None and len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text
