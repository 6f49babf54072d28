"""Residents' pages: the community directory, a community's page, sign-up, login and profile."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core import throttling
from core.errors import Conflict
from core.languages import remember_language
from core.page_cache import anonymous_page_cache
from core.pagination import other_parameters, page_links, page_or_404

from . import legal, selectors, services, signup_confirm
from .forms import DirectoryFilterForm, LoginForm, ProfileForm, SignUpForm, add_service_errors
from .models import BodyKind, Community, Language, Post, Residency
from .page_scopes import community_scope
from .permissions import can

DIRECTORY_PAGE_SIZE = 20


def _current_language():
    language = translation.get_language()
    return language if language in Language.values else settings.LANGUAGE_CODE


@anonymous_page_cache(scope=lambda request: "directory")
def community_list(request):
    form = DirectoryFilterForm(request.GET)
    if not form.is_valid():
        return render(request, "communities/community_list.html", {"form": form, "page": None}, status=400)
    communities = selectors.community_list(**form.selector_kwargs())
    page = page_or_404(request, communities, DIRECTORY_PAGE_SIZE, _("There is no such page of communities."))
    filtered = any(value for value in form.cleaned_data.values())
    return render(
        request,
        "communities/community_list.html",
        {
            "form": form,
            "page": page,
            "page_range": page_links(page),
            "query": other_parameters(request),
            "filtered": filtered,
        },
    )


def _community_or_404(community_id):
    try:
        return services.community_get(community_id)
    except Community.DoesNotExist as exc:
        raise Http404(_("There is no such community.")) from exc


def _bodies_in_rank_order(community):
    """Bodies in the order the choices declare them (party organisation first), holders by post rank."""
    kind_rank = {kind: rank for rank, kind in enumerate(BodyKind.values)}
    post_rank = {post: rank for rank, post in enumerate(Post.values)}
    bodies = sorted(selectors.community_bodies(community), key=lambda body: (kind_rank.get(body.kind, 99), body.name))
    for body in bodies:
        body.current_members.sort(key=lambda member: (post_rank.get(member.post, 99), member.user.name))
    return bodies


@anonymous_page_cache(scope=lambda request, community_id: community_scope(community_id))
def community_detail(request, community_id):
    community = _community_or_404(community_id)
    context = {"community": community, "bodies": _bodies_in_rank_order(community)}
    if request.user.is_authenticated:
        active = list(Residency.objects.active().filter(user=request.user).select_related("community"))
        here = next((r for r in active if r.community_id == community.pk), None)
        elsewhere = {r.status: r for r in active if r is not here}
        context.update(
            residency_here=here,
            verified_elsewhere=elsewhere.get(Residency.Status.VERIFIED),
            pending_elsewhere=elsewhere.get(Residency.Status.PENDING),
            can_join=here is None and can(request.user, "residency.request", community),
        )
    return render(request, "communities/community_detail.html", context)


@require_POST
@login_required
def community_join(request, community_id):
    community = _community_or_404(community_id)
    if not can(request.user, "residency.request", community):
        raise PermissionDenied
    try:
        services.residency_request(user=request.user, community=community)
    except Conflict as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("You asked to join %(community)s. Its staff will verify that you live there.")
            % {"community": community.name},
        )
    return redirect(community)


def signup(request):
    """Sign-up holds the person's details until the phone (an SMS code) or e-mail (a link) is
    confirmed, and answers the same whether or not either is registered already."""
    if request.user.is_authenticated:
        return redirect("profile")
    if request.method == "POST":
        form = SignUpForm(request.POST)
        try:
            throttling.check(request, "signup")
        except throttling.Throttled as throttled:
            form.add_error(None, throttled.message)
            return render(request, "registration/signup.html", {"form": form}, status=429)
        if form.is_valid():
            data = form.cleaned_data
            try:
                confirmation = signup_confirm.start(
                    request,
                    password=data["password1"],
                    community=data["community"],
                    phone=data["phone"],
                    email=data["email"],
                    display_name=data["display_name"],
                    preferred_language=_current_language(),
                )
            except ValidationError as error:
                add_service_errors(form, error)
            except signup_confirm.Throttled as throttled:
                form.add_error(None, throttled.message)
                return render(request, "registration/signup.html", {"form": form}, status=429)
            else:
                if confirmation == "sms":
                    request.session[signup_confirm.SESSION_PHONE] = data["phone"]
                    request.session[signup_confirm.SESSION_SIGNUP] = True
                    return redirect("sms-login")
                request.session["signup_mailed_to"] = data["email"]
                return redirect("signup-sent")
        return render(request, "registration/signup.html", {"form": form}, status=400)
    form = SignUpForm(initial={"community": request.GET.get("community", "")})
    return render(request, "registration/signup.html", {"form": form})


def signup_sent(request):
    """After an e-mail sign-up: the same page whether or not the address was registered."""
    email = request.session.get("signup_mailed_to")
    if not email:
        return redirect("signup")
    return render(request, "registration/signup_sent.html", {"email": email})


def signup_confirm_email(request, token):
    """The link of a sign-up mail: a button (mail scanners follow links; only a person posts)."""
    held = services.signup_held("email", token)
    if held is None:
        return render(request, "registration/signup_confirm.html", {"expired": True}, status=410)
    if request.method == "POST":
        try:
            user = services.signup_complete(kind="email", ident=token)
        except ValidationError as error:
            return render(
                request,
                "registration/signup_confirm.html",
                {"held": held, "errors": error.messages},
                status=400,
            )
        login(request, user, backend="communities.backends.IdentifierBackend")
        request.session.pop("signup_mailed_to", None)
        messages.success(request, welcome_message(user))
        return remember_language(redirect("profile"), user.preferred_language)
    return render(request, "registration/signup_confirm.html", {"held": held})


def welcome_message(user):
    pending = user.residencies.filter(status=Residency.Status.PENDING).select_related("community").first()
    if pending is None:
        return _("Welcome, %(name)s. You are signed up.") % {"name": user.name}
    return _(
        "Welcome, %(name)s. You are signed up and waiting for verification: the staff of %(community)s "
        "will check that you live there."
    ) % {"name": user.name, "community": pending.community.name}


def terms(request):
    return render(request, "registration/terms.html", {"version": legal.TERMS_VERSION})


def privacy(request):
    return render(request, "registration/privacy.html", {"version": legal.PRIVACY_VERSION})


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    redirect_authenticated_user = True

    def post(self, request, *args, **kwargs):
        # Per address, across accounts: django-axes counts per account and address.
        # The form is not validated: that would check the password this refusal holds back.
        try:
            throttling.check(request, "login")
        except throttling.Throttled as throttled:
            messages.error(request, throttled.message)
            form = self.form_class(request, initial={"username": request.POST.get("username", "")})
            return self.render_to_response(self.get_context_data(form=form), status=429)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        response = super().form_valid(form)
        return remember_language(response, form.get_user().preferred_language)

    def form_invalid(self, form):
        response = super().form_invalid(form)
        response.status_code = 400
        return response


class PasswordResetView(auth_views.PasswordResetView):
    """Django's reset page, with a limit on mails per e-mail address and per client address
    (the shared, cache-backed throttling: it holds across every web process with Redis).

    The count is kept per address typed, registered or not, so the limit tells nothing about
    who has an account."""

    def form_valid(self, form):
        email = form.cleaned_data["email"].strip().lower()
        try:
            throttling.check_for(self.request, "password_reset", email)
        except throttling.Throttled as throttled:
            form.add_error(None, throttled.message)
            response = self.form_invalid(form)
            response.status_code = 429
            return response
        return super().form_valid(form)


class LogoutView(auth_views.LogoutView):
    def post(self, request, *args, **kwargs):
        response = super().post(request, *args, **kwargs)
        messages.info(request, _("You have logged out."))
        return response


@login_required
def profile(request):
    user = request.user
    if request.method == "POST":
        form = ProfileForm.for_user(user, data=request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.profile_update(
                    user=user,
                    display_name=data["display_name"],
                    email=data["email"],
                    preferred_language=data["preferred_language"],
                    sms_opt_out=data["sms_opt_out"],
                    email_opt_in=data["email_opt_in"],
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                response = redirect("profile")
                remember_language(response, user.preferred_language)
                messages.success(request, _("Your contact preferences are saved."))
                return response
        # The failed form must not leak half-applied values into the page around it.
        user.refresh_from_db()
        status = 400
    else:
        form = ProfileForm.for_user(user)
        status = 200
    residencies = list(user.residencies.select_related("community__street__district", "decided_by"))
    context = {
        "form": form,
        "verified": next((r for r in residencies if r.status == Residency.Status.VERIFIED), None),
        "pending": next((r for r in residencies if r.status == Residency.Status.PENDING), None),
        "residencies": residencies,
    }
    return render(request, "registration/profile.html", context, status=status)
