from django.urls import path

from zhizhi.people import views

app_name = "people"
urlpatterns = [
    path("", views.resident_list, name="resident_list"),
    path("residents/<int:pk>/", views.resident_detail, name="resident_detail"),
    path("residents/<int:pk>/reveal/", views.resident_reveal, name="resident_reveal"),
    path("households/", views.household_list, name="household_list"),
    path("households/<int:pk>/", views.household_detail, name="household_detail"),
    path("import/", views.resident_import, name="resident_import"),
    path("import/template/<str:kind>.xlsx", views.import_template, name="import_template"),
    path("exports/", views.export_list, name="export_list"),
    path("exports/request/", views.export_request, name="export_request"),
    path("exports/<int:pk>/retry/", views.export_retry, name="export_retry"),
    path("exports/<int:pk>/download/", views.export_download, name="export_download"),
]
