"""Residents' pages: the announcements of their area, and the services on offer."""

from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from communities.permissions import can
from core import uploads
from core.pagination import other_parameters, page_links, page_or_404

from . import selectors, services
from .forms import AnnouncementFilterForm, ServiceFilterForm
from .models import Announcement, Attachment, Service

PAGE_SIZE = 20


def announcement_list(request):
    """The person's area's announcements; for a visitor of no area (not logged in, not yet
    verified), the public ones: those to a whole street or district."""
    form = AnnouncementFilterForm(request.GET)
    if not form.is_valid():
        return render(request, "information/announcement_list.html", {"form": form, "page": None}, status=400)
    announcements, public = selectors.announcements_for_page(
        request.user, category=form.cleaned_data.get("category") or None
    )
    page = page_or_404(request, announcements, PAGE_SIZE, _("There is no such page of announcements."))
    items = list(page.object_list)
    context = {
        "form": form,
        "page": page,
        "items": items,
        "page_range": page_links(page),
        "query": other_parameters(request),
        "unread": selectors.announcement_unread_ids(request.user, items),
        "public": public,
        "can_publish": request.user.is_staff,
    }
    return render(request, "information/announcement_list.html", context)


def _visible_announcement(request, announcement_id):
    try:
        announcement = selectors.announcement_get(announcement_id)
    except Announcement.DoesNotExist as exc:
        raise Http404(_("There is no such announcement.")) from exc
    if not selectors.announcement_visible_to(request.user, announcement, public=True):
        # Another area's announcement and a missing one answer alike.
        raise Http404(_("There is no such announcement."))
    return announcement


def announcement_detail(request, announcement_id):
    announcement = _visible_announcement(request, announcement_id)
    services.announcement_mark_read(user=request.user, announcement=announcement)
    context = {"announcement": announcement, "state": announcement.state()}
    if can(request.user, "announcement.view_reads", announcement):
        context["read_count"] = selectors.read_counts([announcement.pk]).get(announcement.pk, 0)
    if can(request.user, "announcement.change", announcement):
        context["change_url"] = reverse("admin:information_announcement_change", args=[announcement.pk])
    return render(request, "information/announcement_detail.html", context)


def announcement_attachment(request, announcement_id, attachment_id):
    announcement = _visible_announcement(request, announcement_id)
    try:
        attachment = selectors.attachment_get(announcement, attachment_id)
    except Attachment.DoesNotExist as exc:
        raise Http404(_("There is no such attachment.")) from exc
    return uploads.file_response(attachment.file, content_type=attachment.content_type, name=attachment.name)


def service_list(request):
    form = ServiceFilterForm(request.GET, communities=selectors.communities_with_services())
    if not form.is_valid():
        return render(request, "information/service_list.html", {"form": form, "page": None}, status=400)
    services_ = selectors.service_list(**form.selector_kwargs())
    page = page_or_404(request, services_, PAGE_SIZE, _("There is no such page of services."))
    filtered = any(value for value in form.cleaned_data.values())
    context = {
        "form": form,
        "page": page,
        "page_range": page_links(page),
        "query": other_parameters(request),
        "filtered": filtered,
    }
    return render(request, "information/service_list.html", context)


def service_detail(request, service_id):
    try:
        service = selectors.service_get(service_id)
    except Service.DoesNotExist as exc:
        raise Http404(_("There is no such service.")) from exc
    if not service.active and not can(request.user, "service.view_all", service):
        raise Http404(_("There is no such service."))
    return render(request, "information/service_detail.html", {"service": service})
