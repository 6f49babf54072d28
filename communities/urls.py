from django.urls import include, path

from . import views

urlpatterns = [
    path("communities/", views.community_list, name="community-list"),
    path("communities/<int:community_id>/", views.community_detail, name="community-detail"),
    path("communities/<int:community_id>/join/", views.community_join, name="community-join"),
    path("accounts/signup/", views.signup, name="signup"),
    path("accounts/signup/sent/", views.signup_sent, name="signup-sent"),
    path("accounts/signup/confirm/<str:token>/", views.signup_confirm_email, name="signup-confirm"),
    path("accounts/profile/", views.profile, name="profile"),
    path("accounts/password_reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path("terms/", views.terms, name="terms"),
    path("privacy/", views.privacy, name="privacy"),
    # Ours first: login takes a phone or e-mail and restores the user's language; logout says so.
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path("accounts/logout/", views.LogoutView.as_view(), name="logout"),
    path("accounts/", include("django.contrib.auth.urls")),
]
