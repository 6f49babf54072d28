"""What reaches residents outside the portal: calendar files and the bulletin-board print kit,
and the files that go with meetings and postings.

All of it is public, as the meeting and topic pages are: a meeting notice or a publicity
poster is meant for the wall by the lift.
"""

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from core import uploads

from . import calendars, clock, printing
from .models import MeetingMaterial, Posting
from .views import _community_or_404, _meeting_or_404, _topic_or_404


def _calendar_response(body, filename):
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _pdf_response(body, filename):
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


def meeting_ics(request, meeting_id):
    meeting = _meeting_or_404(meeting_id)
    return _calendar_response(calendars.meeting_ics(meeting), f"meeting-{meeting.pk}.ics")


def community_meetings_ics(request, community_id):
    community = _community_or_404(community_id)
    return _calendar_response(calendars.community_ics(community, clock.now()), f"community-{community.pk}-meetings.ics")


def meeting_notice_pdf(request, meeting_id):
    meeting = _meeting_or_404(meeting_id)
    return _pdf_response(printing.meeting_notice_pdf(meeting), f"meeting-{meeting.pk}-notice.pdf")


def topic_poster_pdf(request, topic_id):
    topic = _topic_or_404(topic_id)
    refusal = printing.poster_refusal(topic)
    if refusal:
        return render(
            request,
            "deliberation/print/unavailable.html",
            {"topic": topic, "community": topic.community, "reason": refusal},
            status=404,
        )
    return _pdf_response(printing.topic_poster_pdf(topic), f"topic-{topic.pk}-poster.pdf")


def material_file(request, material_id):
    """A meeting's paper: public, as the meeting page that lists it."""
    try:
        material = MeetingMaterial.objects.get(pk=material_id)
    except MeetingMaterial.DoesNotExist as exc:
        raise Http404(_("There is no such meeting material.")) from exc
    return uploads.file_response(material.file, content_type=material.file_type, name=material.file_name)


def posting_photo(request, posting_id):
    """The photo of a notice on the board: public, as the notice itself was."""
    try:
        posting = Posting.objects.exclude(photo="").get(pk=posting_id)
    except Posting.DoesNotExist as exc:
        raise Http404(_("There is no such photo.")) from exc
    return uploads.file_response(posting.photo, content_type=posting.photo_type, name=posting.photo_name)
