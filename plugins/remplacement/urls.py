"""URLs of the pole's portals, mounted under `/remplacement/` through the `site_urls` hook."""

from django.contrib.auth import views as auth_views
from django.urls import path

from plugins.remplacement import views

app_name = "remplacement"

urlpatterns = [
    path("", views.home, name="home"),
    path("connexion/", views.LoginView.as_view(), name="login"),
    path("deconnexion/", auth_views.LogoutView.as_view(next_page="remplacement:login"), name="logout"),
    path("offres/", views.offers, name="offers"),
    path("offres/<int:pk>/", views.offer_detail, name="offer"),
    path("offres/<int:pk>/reponse/", views.offer_answer, name="offer_answer"),
    path("disponibilites/", views.availability, name="availability"),
    path("profil/", views.profile, name="profile"),
    path("documents/<int:pk>/", views.document_download, name="document"),
    path("missions/<int:pk>/heures/", views.timesheet, name="timesheet"),
    path("structure/", views.structure_home, name="structure"),
    path("structure/nouveau/", views.request_new, name="request_new"),
    path("structure/encadrement/", views.staffing_preview, name="staffing_preview"),
    path("structure/preferences/", views.preferences, name="preferences"),
    path("structure/demandes/<int:pk>/", views.request_detail, name="request"),
    path("tableau/", views.board, name="board"),
    path("export/<int:year>-<int:month>/<str:by>.<str:fmt>", views.export, name="export"),
]
