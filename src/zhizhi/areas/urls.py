from django.urls import path

from zhizhi.areas import views

app_name = "areas"
urlpatterns = [
    path("buildings/", views.building_list, name="building_list"),
    path("buildings/import/", views.building_import, name="building_import"),
    path("buildings/export/", views.building_export, name="building_export"),
    path("buildings/<str:code>/", views.building_detail, name="building_detail"),
    path("map/", views.map_view, name="map"),
]
