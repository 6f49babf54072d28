"""Third-party evaluation: engagements, rounds with their score sheet, scores."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from communities.models import Community
from communities.permissions import can, community_scope_q, roles_for
from core.admin import ServiceAdminMixin, run_action, run_service
from core.errors import REFUSALS, refusal_messages

from .. import services
from ..models import Engagement, EvaluationRound, RoundIndicator, Score
from ..permissions import area_communities, engagements_for
from ._base import _row_name


class EngagementAdminForm(forms.ModelForm):
    class Meta:
        model = Engagement
        fields = ["evaluator", "organisation", "scope", "street", "district", "communities"]

    def _post_clean(self):
        forms.models.construct_instance(self, self.instance, self._meta.fields, self._meta.exclude)


@admin.register(Engagement)
class EngagementAdmin(ServiceAdminMixin, admin.ModelAdmin):
    form = EngagementAdminForm
    list_display = ["evaluator", "organisation", "scope", "area_label", "engaged_at", "ended_at"]
    list_filter = ["scope", ("ended_at", admin.EmptyFieldListFilter)]
    search_fields = ["evaluator__display_name", "evaluator__username", "organisation"]
    list_select_related = ["evaluator", "street", "district"]
    autocomplete_fields = ["evaluator", "communities"]
    actions = ["end"]

    def get_queryset(self, request):
        engagements = super().get_queryset(request)
        roles = roles_for(request.user)
        if roles.superuser:
            return engagements
        q = Q(evaluator=request.user)
        if roles.is_official:
            area = area_communities(request.user)
            q |= (
                Q(street__in=area.values("street_id"))
                | Q(district__in=area.values("street__district_id"))
                | Q(communities__in=area)
            )
        return engagements.filter(q).distinct()

    def has_add_permission(self, request):
        return can(request.user, "engagement.create")

    def has_change_permission(self, request, obj=None):
        return can(request.user, "engagement.create") and obj is None

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        created = run_service(
            lambda: services.engagement_create(
                actor=request.user,
                evaluator=data["evaluator"],
                scope=data["scope"],
                street=data.get("street"),
                district=data.get("district"),
                communities=data.get("communities") or (),
                organisation=data.get("organisation", ""),
            )
        )
        obj.pk = created.pk
        obj._state.adding = False

    def save_related(self, request, form, formsets, change):
        # The service has set the communities already.
        pass

    @admin.action(description=_("End the selected engagements"))
    def end(self, request, queryset):
        if not can(request.user, "engagement.create"):
            raise PermissionDenied
        run_action(
            self,
            request,
            queryset.filter(ended_at__isnull=True),
            lambda e: services.engagement_end(actor=request.user, engagement=e),
            done=_("%(count)d engagements ended."),
        )


class IndicatorInline(admin.TabularInline):
    model = RoundIndicator
    fields = ["position", "name", "source", "weight"]
    extra = 1

    def _editable(self, request, obj):
        return obj is None or (not obj.is_published and can(request.user, "round.manage", obj))

    def has_add_permission(self, request, obj=None):
        return super().has_add_permission(request, obj) and self._editable(request, obj)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self._editable(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self._editable(request, obj)


class RoundAdminForm(forms.ModelForm):
    class Meta:
        model = EvaluationRound
        fields = ["engagement", "title", "period_start", "period_end"]

    def _post_clean(self):
        forms.models.construct_instance(self, self.instance, self._meta.fields, self._meta.exclude)


class ScoreSheetForm(forms.Form):
    """Every community of a round's scope against every hand-scored indicator: a score and its
    evidence per cell. The form only parses numbers; score_set decides what is acceptable."""

    def __init__(self, *args, indicators, communities, scores, editable, **kwargs):
        super().__init__(*args, **kwargs)
        self.indicators, self.communities, self.editable = indicators, communities, editable
        self.cells = {}
        for community in communities:
            for indicator in indicators:
                score = scores.get((indicator.pk, community.pk))
                value_name, evidence_name = f"v-{indicator.pk}-{community.pk}", f"e-{indicator.pk}-{community.pk}"
                label = f"{community.name} · {indicator.name}"
                self.fields[value_name] = forms.DecimalField(
                    label=format_html("{}: {}", label, _("score")),
                    required=False,
                    max_digits=5,
                    decimal_places=2,
                    initial=score.value if score else None,
                    disabled=not editable,
                    widget=forms.NumberInput(attrs={"step": "0.01", "class": "score-value"}),
                )
                self.fields[evidence_name] = forms.CharField(
                    label=format_html("{}: {}", label, _("evidence")),
                    required=False,
                    initial=score.evidence if score else "",
                    disabled=not editable,
                    widget=forms.Textarea(attrs={"rows": 2, "class": "score-evidence"}),
                )
                self.cells[(indicator.pk, community.pk)] = (value_name, evidence_name, score)

    def rows(self):
        """[(community, [(indicator, value field, evidence field, score)])] for the template."""
        return [
            (
                community,
                [
                    (
                        indicator,
                        self[self.cells[(indicator.pk, community.pk)][0]],
                        self[self.cells[(indicator.pk, community.pk)][1]],
                        self.cells[(indicator.pk, community.pk)][2],
                    )
                    for indicator in self.indicators
                ],
            )
            for community in self.communities
        ]

    def changed_cells(self):
        changed = set(self.changed_data)
        for (indicator_pk, community_pk), (value_name, evidence_name, _score) in self.cells.items():
            if value_name in changed or evidence_name in changed:
                yield indicator_pk, community_pk, value_name, evidence_name


@admin.register(EvaluationRound)
class EvaluationRoundAdmin(ServiceAdminMixin, admin.ModelAdmin):
    form = RoundAdminForm
    list_display = [
        "title",
        "engagement",
        "period_start",
        "period_end",
        "status",
        "computed_at",
        "published_at",
        "links",
    ]
    list_filter = ["status"]
    search_fields = ["title", "engagement__organisation"]
    list_select_related = ["engagement__evaluator", "engagement__street", "engagement__district"]
    inlines = [IndicatorInline]
    actions = ["compute", "publish"]

    def get_queryset(self, request):
        from ..selectors import rounds_for

        return rounds_for(request.user)

    @admin.display(description=_("scores"))
    def links(self, obj):
        return format_html(
            '<a href="{}">{}</a> · <a href="{}">{}</a>',
            reverse("admin:surveys_evaluationround_scores", args=[obj.pk]),
            _("score sheet"),
            obj.get_absolute_url(),
            _("ranking"),
        )

    @admin.display(description=_("score sheet"))
    def score_sheet(self, obj):
        if obj is None or obj.pk is None:
            return "—"
        manual = [i for i in obj.indicators.all() if not i.is_computed]
        needed = len(manual) * obj.engagement.evaluated_communities().count()
        given = Score.objects.filter(indicator__in=manual, value__isnull=False).count()
        return format_html(
            '<a class="button" href="{}">{}</a> <span class="help">{}</span>',
            reverse("admin:surveys_evaluationround_scores", args=[obj.pk]),
            _("Open the score sheet"),
            _("%(given)d of %(needed)d hand scores given.") % {"given": given, "needed": needed},
        )

    def get_inlines(self, request, obj):
        # A new round is defined with its indicators in one save.
        return self.inlines

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        if obj.is_published or not can(request.user, "round.manage", obj):
            return ["engagement", "title", "period_start", "period_end", "status", "score_sheet"]
        return ["engagement", "score_sheet"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "engagement" and not request.user.is_superuser:
            kwargs["queryset"] = Engagement.objects.filter(evaluator=request.user, ended_at__isnull=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_add_permission(self, request):
        return super().has_add_permission(request) and (
            request.user.is_superuser or bool(engagements_for(request.user))
        )

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        return allowed if obj is None or not allowed else can(request.user, "round.manage", obj)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if change:
            fields = {name: data[name] for name in form.changed_data if name in services.ROUND_FIELDS}
            run_service(lambda: services.round_update(actor=request.user, evaluation_round=obj, **fields))
            return
        created = run_service(
            lambda: services.round_create(
                actor=request.user,
                engagement=data["engagement"],
                title=data["title"],
                period_start=data["period_start"],
                period_end=data["period_end"],
            )
        )
        obj.pk = created.pk
        obj._state.adding = False

    def save_formset(self, request, form, formset, change):
        evaluation_round = form.instance
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for position, indicator_form in enumerate(formset.forms, start=1):
            instance = indicator_form.instance
            row = _row_name(_("Indicator"), indicator_form, position)
            if formset._should_delete_form(indicator_form):
                if instance.pk:
                    run_service(lambda i=instance: services.indicator_delete(actor=request.user, indicator=i), row=row)
                    formset.deleted_objects.append(instance)
                continue
            if not indicator_form.has_changed():
                continue
            data = indicator_form.cleaned_data
            if instance.pk is None:
                indicator = run_service(
                    lambda d=data: services.indicator_add(
                        actor=request.user,
                        evaluation_round=evaluation_round,
                        name=d["name"],
                        source=d["source"],
                        weight=d["weight"],
                        position=d.get("position") or None,
                    ),
                    row=row,
                )
                formset.new_objects.append(indicator)
            else:
                indicator = run_service(
                    lambda i=instance, d=data: services.indicator_update(
                        actor=request.user,
                        indicator=i,
                        name=d["name"],
                        source=d["source"],
                        weight=d["weight"],
                        position=d.get("position") or i.position,
                    ),
                    row=row,
                )
                formset.changed_objects.append((indicator, indicator_form.changed_data))

    @admin.action(description=_("Compute the indicators from the portal's records"))
    def compute(self, request, queryset):
        run_action(
            self,
            request,
            queryset,
            lambda r: services.round_compute(actor=request.user, evaluation_round=r),
            done=_("%(count)d rounds computed: %(rows)s."),
        )

    @admin.action(description=_("Publish the selected rounds"))
    def publish(self, request, queryset):
        run_action(
            self,
            request,
            queryset,
            lambda r: services.round_publish(actor=request.user, evaluation_round=r),
            done=_("%(count)d rounds published: %(rows)s."),
        )

    # The score sheet: every community in scope x every hand-scored indicator, on one page.
    def get_urls(self):
        return [
            path(
                "<path:object_id>/scores/",
                self.admin_site.admin_view(self.scores_view),
                name="surveys_evaluationround_scores",
            ),
            *super().get_urls(),
        ]

    def scores_view(self, request, object_id):
        from ..selectors import rounds_for

        evaluation_round = get_object_or_404(rounds_for(request.user), pk=object_id if object_id.isdigit() else None)
        manages = can(request.user, "round.manage", evaluation_round)
        editable = manages and not evaluation_round.is_published
        indicators = list(evaluation_round.indicators.all())
        manual = [indicator for indicator in indicators if not indicator.is_computed]
        communities = evaluation_round.engagement.evaluated_communities().order_by("street__name", "name")
        if not manages:
            # Staff and officials read a published round's scores of their own communities (as on the site).
            communities = communities.filter(community_scope_q(request.user))
        communities = list(communities)
        if not communities and not manages:
            raise PermissionDenied
        scores = {
            (score.indicator_id, score.community_id): score
            for score in Score.objects.filter(indicator__in=manual).select_related("scored_by")
        }
        form = ScoreSheetForm(
            request.POST if request.method == "POST" and editable else None,
            indicators=manual,
            communities=communities,
            scores=scores,
            editable=editable,
        )
        if request.method == "POST":
            if not editable:
                raise PermissionDenied
            if form.is_valid() and self._save_sheet(request, evaluation_round, form):
                return redirect("admin:surveys_evaluationround_scores", evaluation_round.pk)
        given = sum(1 for score in scores.values() if score.value is not None)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Score sheet: %(round)s") % {"round": evaluation_round.title},
            "opts": self.model._meta,
            "original": evaluation_round,
            "evaluation_round": evaluation_round,
            "form": form,
            "rows": form.rows(),
            "manual": manual,
            "computed": [indicator for indicator in indicators if indicator.is_computed],
            "editable": editable,
            "given": given,
            "needed": len(manual) * len(communities),
            "media": self.media + form.media,
        }
        return TemplateResponse(request, "admin/surveys/evaluationround/scores.html", context)

    def _save_sheet(self, request, evaluation_round, form):
        """Save every changed cell through score_set, all or nothing; then compute or publish
        when asked. A refusal lands on its cell (or on the form) and nothing is saved."""
        indicators = {indicator.pk: indicator for indicator in form.indicators}
        communities = {community.pk: community for community in form.communities}
        saved = 0
        with transaction.atomic():
            for indicator_pk, community_pk, value_name, evidence_name in form.changed_cells():
                value, evidence = form.cleaned_data[value_name], form.cleaned_data[evidence_name]
                if value is None and not evidence.strip():
                    continue
                try:
                    with transaction.atomic():
                        services.score_set(
                            actor=request.user,
                            indicator=indicators[indicator_pk],
                            community=communities[community_pk],
                            value=value if value is not None else "",
                            evidence=evidence,
                        )
                except REFUSALS as error:
                    for field, reasons in refusal_messages(error).items():
                        form.add_error(evidence_name if field == "evidence" else value_name, reasons)
                else:
                    saved += 1
            if form.errors:
                transaction.set_rollback(True)
                return False
            if saved:
                self.message_user(request, _("%(count)d scores saved.") % {"count": saved}, messages.SUCCESS)
            for step, call, done in (
                ("_compute", services.round_compute, _("The computed indicators are up to date.")),
                ("_publish", services.round_publish, _("“%(round)s” is published.") % {"round": evaluation_round}),
            ):
                if step not in request.POST:
                    continue
                try:
                    with transaction.atomic():
                        call(actor=request.user, evaluation_round=evaluation_round)
                except REFUSALS as error:
                    for reasons in refusal_messages(error).values():
                        form.add_error(None, reasons)
                    # The scores typed are kept (saved); what stopped the step is shown on the sheet.
                    return False
                self.message_user(request, done, messages.SUCCESS)
        if not saved and not {"_compute", "_publish"} & set(request.POST):
            self.message_user(request, _("Nothing was changed."), messages.INFO)
        return True


class ScoreAdminForm(forms.ModelForm):
    class Meta:
        model = Score
        fields = ["indicator", "community", "value", "evidence"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A read-only page (computed, published, or someone else's round) has no value field.
        if "value" in self.fields:
            self.fields["value"].required = True
        if "indicator" in self.fields:
            self.fields["indicator"].label_from_instance = lambda i: f"{i.round.title} · {i.name}"

    def _post_clean(self):
        # score_set checks the indicator, the community, the range and the evidence.
        forms.models.construct_instance(self, self.instance, self._meta.fields, self._meta.exclude)


def _scored_communities(user):
    """The communities of the rounds a person scores (the engaged evaluator's scope)."""
    if user.is_superuser:
        return Community.objects.all()
    q = Q(pk__in=[])
    for engagement in engagements_for(user):
        q |= engagement.community_q()
    return Community.objects.filter(q)


@admin.register(Score)
class ScoreAdmin(ServiceAdminMixin, admin.ModelAdmin):
    """Scores given by hand, with their evidence; computed ones are shown read-only. The score
    sheet of a round (its change page links to it) scores every community at once."""

    form = ScoreAdminForm
    list_display = ["community", "indicator", "round_title", "value", "scored_by", "scored_at"]
    list_filter = ["indicator__source", "indicator__round"]
    search_fields = ["community__name", "indicator__name", "evidence"]
    list_select_related = ["community", "indicator__round", "scored_by"]

    def get_queryset(self, request):
        from ..selectors import rounds_for

        scores = super().get_queryset(request).filter(indicator__round__in=rounds_for(request.user))
        if request.user.is_superuser:
            return scores
        # The evaluator sees their rounds whole; staff and officials their own communities' scores.
        return scores.filter(
            Q(indicator__round__engagement__evaluator=request.user) | community_scope_q(request.user, "community__")
        )

    @admin.display(description=_("evaluation round"), ordering="indicator__round__title")
    def round_title(self, obj):
        return obj.indicator.round.title

    def get_readonly_fields(self, request, obj=None):
        # A score belongs to its indicator and community: change its value and evidence only.
        return ["indicator", "community", "scored_by", "scored_at"] if obj is not None else []

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "indicator":
            indicators = RoundIndicator.objects.filter(
                source="manual", round__status=EvaluationRound.Status.DRAFT
            ).select_related("round")
            if not request.user.is_superuser:
                indicators = indicators.filter(round__engagement__evaluator=request.user)
            kwargs["queryset"] = indicators
        if db_field.name == "community":
            kwargs["queryset"] = (
                _scored_communities(request.user).select_related("street").order_by("street__name", "name")
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_add_permission(self, request):
        return super().has_add_permission(request) and (
            request.user.is_superuser or bool(engagements_for(request.user))
        )

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        if obj is None or not allowed:
            return allowed
        return (
            not obj.indicator.is_computed
            and not obj.indicator.round.is_published
            and can(request.user, "round.manage", obj.indicator.round)
        )

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        indicator = data.get("indicator") or obj.indicator
        community = data.get("community") or obj.community
        score = run_service(
            lambda: services.score_set(
                actor=request.user,
                indicator=indicator,
                community=community,
                value=data.get("value"),
                evidence=data.get("evidence", ""),
            )
        )
        obj.pk = score.pk
        obj._state.adding = False
