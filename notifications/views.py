"""The in-app inbox at /notifications/ and the follow buttons' form target."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.pagination import page_links, page_or_404

from . import links, selectors, services
from .registry import registry

INBOX_PAGE_SIZE = 20


@login_required
def inbox(request):
    page = page_or_404(request, selectors.inbox(request.user), INBOX_PAGE_SIZE, _("There is no such page of notices."))
    language = translation.get_language()
    items = [(delivery, delivery.notice.text(language)) for delivery in page.object_list]
    return render(
        request,
        "notifications/inbox.html",
        {
            "page": page,
            "items": items,
            "page_range": page_links(page, on_each_side=3, on_ends=2),
            "unread": sum(1 for delivery, _text in items if delivery.read_at is None),
        },
    )


def _back(request, fallback="notifications:inbox"):
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return redirect(target)
    return redirect(fallback)


@login_required
@require_POST
def mark_read(request, delivery_id):
    delivery = selectors.inbox_item(request.user, delivery_id)
    if delivery is None:
        raise Http404(_("There is no such notice in your inbox."))
    services.delivery_mark_read(user=request.user, delivery=delivery)
    text = delivery.notice.text(translation.get_language())
    # Open the notice's page on this origin (its path), never the absolute address it was
    # written with: under another port or host that is a different origin, which the page's
    # CSP (form-action 'self') refuses to follow from this form.
    target = links.local_path(text.get("url")) if request.POST.get("open") else ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return redirect(target)
    return _back(request)


@login_required
@require_POST
def mark_all_read(request):
    count = services.inbox_mark_all_read(user=request.user)
    if count:
        messages.success(request, _("All your notices are marked read."))
    return _back(request)


@login_required
@require_POST
def follow(request):
    """Follow or stop following something (a topic): the form on its page posts here."""
    followable = registry.followable(request.POST.get("subject", ""))
    try:
        object_id = int(request.POST.get("object", ""))
    except ValueError:
        object_id = None
    subject = followable.model._default_manager.filter(pk=object_id).first() if followable and object_id else None
    if subject is None:
        raise Http404(_("There is nothing like that to follow."))
    try:
        if request.POST.get("action") == "unfollow":
            services.unfollow(user=request.user, subject=subject)
            messages.success(request, _("You no longer follow this."))
        else:
            services.follow(user=request.user, subject=subject)
            messages.success(request, _("You follow this now: you will hear when it moves on."))
    except (PermissionDenied, ValidationError) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
    return _back(request, fallback=subject.get_absolute_url() if hasattr(subject, "get_absolute_url") else "home")
