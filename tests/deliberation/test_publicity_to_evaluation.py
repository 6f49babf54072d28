"""Objections during publicity, implementation tasks and progress, ratings during evaluation."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from core.errors import Conflict
from deliberation import selectors, services
from deliberation.models import Objection, ProgressReport, Rating, TrailEntry, TrailKind
from deliberation.workflow import Step

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n" + b"0" * 64


class TestObjections:
    def test_lodged_during_publicity_and_answered_in_public(self, flow, world):
        topic = flow.at(Step.PUBLICIZE)
        objection = services.objection_lodge(actor=world.resident, topic=topic, body="施工噪音怎么解决？")
        with pytest.raises(PermissionDenied):
            services.objection_answer(actor=world.other_staff, objection=objection, answer="不归我们管")
        answered = services.objection_answer(actor=world.staff, objection=objection, answer="只在白天施工")
        assert answered.answered_by == world.staff
        with pytest.raises(Conflict):
            services.objection_answer(actor=world.staff, objection=objection, answer="改口")
        kinds = list(TrailEntry.objects.filter(topic=topic).values_list("kind", flat=True))
        assert kinds[-2:] == [TrailKind.OBJECTION, TrailKind.OBJECTION_ANSWERED]

    def test_an_objection_after_the_period_is_refused_and_nothing_saved(self, flow, world):
        topic = flow.at(Step.PUBLICIZE)
        flow.end_publicity(topic)
        entries = TrailEntry.objects.filter(topic=topic).count()
        with pytest.raises(Conflict) as info:
            services.objection_lodge(actor=world.resident, topic=topic, body="晚了吗？")
        assert "publicity period ended" in info.value.message
        assert not Objection.objects.exists()
        assert TrailEntry.objects.filter(topic=topic).count() == entries

    def test_only_while_publicized_and_only_by_residents(self, flow, world):
        topic = flow.at(Step.RESOLVE)
        with pytest.raises(Conflict):
            services.objection_lodge(actor=world.resident, topic=topic, body="反对")
        topic = flow.at(Step.PUBLICIZE)
        for someone in (world.outsider, world.other_staff, world.anonymous):
            with pytest.raises(PermissionDenied):
                services.objection_lodge(actor=someone, topic=topic, body="反对")
        with pytest.raises(ValidationError):
            services.objection_lodge(actor=world.resident, topic=topic, body="反" * 2001)


class TestTasks:
    def test_supervisor_comes_from_the_supervisory_committee(self, flow, world):
        topic = flow.at(Step.IMPLEMENT)
        with pytest.raises(ValidationError) as info:
            services.task_create(
                actor=world.staff,
                topic=topic,
                title="修灯",
                due_date=datetime.date.today() + datetime.timedelta(days=9),
                supervisor=world.resident,
                owner_user=world.staff,
            )
        assert "supervisor" in info.value.message_dict

    def test_one_owner_and_a_due_date_ahead(self, flow, world):
        topic = flow.at(Step.IMPLEMENT)
        common = {"actor": world.staff, "topic": topic, "title": "修灯", "supervisor": world.supervisor}
        soon = datetime.date.today() + datetime.timedelta(days=9)
        with pytest.raises(ValidationError):
            services.task_create(**common, due_date=soon)
        with pytest.raises(ValidationError):
            services.task_create(**common, due_date=soon, owner_user=world.staff, owner_body=world.supervisory)
        with pytest.raises(ValidationError):
            services.task_create(
                **common, due_date=datetime.date.today() - datetime.timedelta(days=1), owner_user=world.staff
            )
        task = services.task_create(**common, due_date=soon, owner_body=world.supervisory)
        assert task.owner == world.supervisory

    def test_tasks_are_planned_from_publicity_on(self, flow, world):
        with pytest.raises(Conflict):
            flow.task(flow.at(Step.RESOLVE))
        flow.task(flow.at(Step.PUBLICIZE))

    def test_who_reports_progress(self, flow, world):
        topic = flow.at(Step.IMPLEMENT)
        task = flow.task(topic, owner_user=None, owner_body=world.supervisory)
        with pytest.raises(PermissionDenied):
            services.progress_report(actor=world.resident, task=task, percent=10, note="我来报")
        services.progress_report(actor=world.supervisor, task=task, percent=40, note="进行中")  # supervisor and owner
        services.progress_report(actor=world.staff, task=task, percent=100, note="完成")
        with pytest.raises(Conflict):
            services.progress_report(actor=world.staff, task=task, percent=100, note="又完成")
        task.refresh_from_db()
        assert task.is_done and task.percent == 100

    @pytest.mark.parametrize("percent", [-1, 101, "half", 50.5, None])
    def test_percent_is_a_whole_number_from_0_to_100(self, flow, world, percent):
        task = flow.task(flow.at(Step.IMPLEMENT))
        with pytest.raises(ValidationError):
            services.progress_report(actor=world.staff, task=task, percent=percent, note="?")
        assert not ProgressReport.objects.exists()

    def test_a_photo_is_kept_with_its_type_size_and_hash(self, flow, world, settings, tmp_path):
        settings.MEDIA_ROOT = tmp_path
        task = flow.task(flow.at(Step.IMPLEMENT))
        photo = SimpleUploadedFile("现场<照片>.png", PNG, content_type="text/html")
        report = services.progress_report(actor=world.staff, task=task, percent=50, note="见照片", attachment=photo)
        assert (report.attachment_type, report.attachment_size, report.attachment_name) == (
            "image/png",
            len(PNG),
            "现场照片.png",
        )
        assert report.attachment.name.startswith("deliberation/progress/") and "现场" not in report.attachment.name
        entry = TrailEntry.objects.filter(kind=TrailKind.PROGRESS).last()
        assert entry.data["file_type"] == "image/png" and len(entry.data["file_sha256"]) == 64

    @pytest.mark.parametrize(
        ("name", "content"),
        [("a.png", b"<html>not an image</html>"), ("a.pdf", PNG), ("a.exe", b"MZ\x90\x00"), ("a.png", b"")],
    )
    def test_files_of_the_wrong_type_are_refused(self, flow, world, settings, tmp_path, name, content):
        settings.MEDIA_ROOT = tmp_path
        task = flow.task(flow.at(Step.IMPLEMENT))
        with pytest.raises(ValidationError):
            services.progress_report(
                actor=world.staff, task=task, percent=50, note="附件", attachment=SimpleUploadedFile(name, content)
            )
        assert not ProgressReport.objects.exists()

    def test_files_over_the_limit_are_refused(self, flow, world, settings, tmp_path):
        settings.MEDIA_ROOT = tmp_path
        settings.CIVIC_UPLOAD_MAX_BYTES = 100
        task = flow.task(flow.at(Step.IMPLEMENT))
        with pytest.raises(ValidationError):
            services.progress_report(
                actor=world.staff, task=task, percent=50, note="大文件", attachment=SimpleUploadedFile("a.pdf", PDF * 3)
            )


class TestRatings:
    def test_each_resident_rates_once_during_the_window(self, flow, world):
        topic = flow.at(Step.EVALUATE)
        services.rating_give(actor=world.resident, topic=topic, score=5)
        services.rating_give(actor=world.author, topic=topic, score=3, comment="还可以")
        entries = TrailEntry.objects.filter(topic=topic).count()
        with pytest.raises(Conflict):
            services.rating_give(actor=world.resident, topic=topic, score=1)
        assert TrailEntry.objects.filter(topic=topic).count() == entries
        assert selectors.topic_ratings(topic, world.resident) == {
            "count": 2,
            "mean": 4.0,
            "distribution": {1: 0, 2: 0, 3: 1, 4: 0, 5: 1},
            "rated": True,
        }

    @pytest.mark.parametrize("score", [0, 6, "five", None, True])
    def test_scores_are_1_to_5(self, flow, world, score):
        topic = flow.at(Step.EVALUATE)
        with pytest.raises(ValidationError):
            services.rating_give(actor=world.resident, topic=topic, score=score)
        assert not Rating.objects.exists()

    def test_not_outside_the_window_nor_by_outsiders(self, flow, world):
        topic = flow.at(Step.EVALUATE)
        with pytest.raises(PermissionDenied):
            services.rating_give(actor=world.outsider, topic=topic, score=4)
        flow.end_evaluation(topic)
        with pytest.raises(Conflict):
            services.rating_give(actor=world.resident, topic=topic, score=4)
        with pytest.raises(Conflict):
            services.rating_give(actor=world.resident, topic=flow.at(Step.IMPLEMENT), score=4)
