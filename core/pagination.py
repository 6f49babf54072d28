"""One way for every page that lists things to take its page of them (the directory, topics,
meetings, announcements, services, surveys, activities, evaluation rounds, open data, the
inbox), for templates/includes/pagination.html to draw.

A page number that names no page (past the end, zero, a word) is a 404 with the list's own
message, never the first or last page instead: a link to page 7 of a list that shrank says so.
"""

from django.core.paginator import InvalidPage, Paginator
from django.http import Http404


def page_or_404(request, items, per_page, missing):
    """The page of `items` that the request's `page` parameter names (the first without one);
    Http404 with `missing` for a page that does not exist."""
    paginator = Paginator(items, per_page)
    try:
        return paginator.page(request.GET.get("page") or 1)
    except InvalidPage as exc:
        raise Http404(missing) from exc


def page_links(page, *, on_each_side=2, on_ends=1):
    """The numbered links of the bar: the first and last, the current one and its neighbours."""
    return page.paginator.get_elided_page_range(page.number, on_each_side=on_each_side, on_ends=on_ends)


def other_parameters(request, *dropped):
    """The request's query string without `page` (and `dropped`), so each page link carries
    the list's filters along and only the page number changes."""
    query = request.GET.copy()
    for name in ("page", *dropped):
        query.pop(name, None)
    return query.urlencode()
