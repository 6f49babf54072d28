"""Implementation: tasks and their progress reports."""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from communities.models import BodyKind, Membership
from core.errors import Conflict

from .. import clock, trail, uploads
from ..models import NOTE_MAX, ProgressReport, Task, TrailKind
from ..workflow import TASK_STEPS, Step
from ._helpers import _int, _lock_topic, _require, _same_community, _text


@transaction.atomic
def task_create(*, actor, topic, title, due_date, supervisor, owner_body=None, owner_user=None, description=""):
    """Plan implementation work with one owner (a body or a person) and a supervisor from the
    community's supervisory committee."""
    topic = _lock_topic(topic)
    _require(actor, "task.manage", topic, _("Only this community's staff plan implementation tasks."))
    if topic.step not in TASK_STEPS:
        raise Conflict(_("Tasks are planned once the resolution is publicized and until implementation ends."))
    title = _text(title, "title", max_length=200, label=_("The task")).strip()
    description = _text(description, "description", max_length=NOTE_MAX, required=False)
    if (owner_body is None) == (owner_user is None):
        raise ValidationError({"owner_body": _("Name one owner: a body or a person.")})
    if owner_body is not None:
        _same_community(owner_body, topic.community, "owner_body")
    if not isinstance(due_date, datetime.date) or isinstance(due_date, datetime.datetime):
        raise ValidationError({"due_date": _("Enter a date.")})
    if due_date < timezone.localdate(clock.now()):
        raise ValidationError({"due_date": _("The due date cannot be in the past.")})
    supervises = Membership.objects.current().filter(
        user=supervisor, body__community=topic.community, body__kind=BodyKind.SUPERVISORY_COMMITTEE
    )
    if supervisor is None or not supervises.exists():
        raise ValidationError({"supervisor": _("The supervisor must sit on this community's supervisory committee.")})
    now = clock.now()
    task = Task(
        topic=topic,
        title=title,
        description=description,
        owner_body=owner_body,
        owner_user=owner_user,
        supervisor=supervisor,
        due_date=due_date,
        created_by=actor,
        created_at=now,
    )
    task.full_clean()
    task.save()
    trail.append(
        topic=topic,
        kind=TrailKind.TASK,
        actor=actor,
        data={
            "task": task.pk,
            "title": title,
            "owner_body": owner_body.pk if owner_body else None,
            "owner_user": owner_user.pk if owner_user else None,
            "supervisor": supervisor.pk,
            "due_date": due_date,
        },
        at=now,
    )
    return task


@transaction.atomic
def progress_report(*, actor, task, percent, note, attachment=None):
    """Report progress on a task, optionally with a photo or PDF; 100% marks it done."""
    topic = _lock_topic(task.topic_id)
    task = Task.objects.select_for_update(of=("self",)).get(pk=task.pk)
    task.topic = topic
    _require(actor, "task.report", task, _("Only staff, the task's owner or its supervisor report progress."))
    if topic.step != Step.IMPLEMENT:
        raise Conflict(_("Progress is reported while the topic is being implemented."))
    if task.is_done:
        raise Conflict(_("This task is already done."))
    percent = _int(percent, "percent", low=0, high=100)
    note = _text(note, "note", max_length=NOTE_MAX, label=_("The note"))
    now = clock.now()
    report = ProgressReport(task=task, reported_by=actor, percent=percent, note=note, created_at=now)
    file_data = {}
    if attachment:
        content_type, size, digest, name = uploads.inspect(attachment)
        report.attachment_type, report.attachment_size, report.attachment_name = content_type, size, name
        report.attachment.save(name, attachment, save=False)
        file_data = {"file_sha256": digest, "file_type": content_type, "file_size": size}
    report.save()
    task.percent = percent
    fields = ["percent"]
    if percent == 100:
        task.done_at = now
        fields.append("done_at")
    task.save(update_fields=fields)
    trail.append(
        topic=topic,
        kind=TrailKind.PROGRESS,
        actor=actor,
        data={
            "task": task.pk,
            "report": report.pk,
            "percent": percent,
            "note_sha256": trail.text_digest(note),
            **file_data,
        },
        at=now,
    )
    return report
