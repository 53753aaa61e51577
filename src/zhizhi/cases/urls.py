"""Pages of the cases app under /cases/: the resident's H5 pages and the staff pages."""

from django.urls import path

from zhizhi.cases import views

app_name = "cases"
urlpatterns = [
    path("", views.home, name="home"),
    # resident H5
    path("report/", views.report, name="report"),
    path("mine/", views.mine, name="mine"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/follow/", views.follow, name="follow"),
    path("<int:pk>/do/<slug:action>/", views.act, name="act"),
    # staff
    path("worklist/", views.worklists, name="worklists"),
    path("worklist/<int:unit_id>/", views.worklist, name="worklist"),
    path("verify/", views.to_verify, name="to_verify"),
    path("board/", views.board, name="board"),
    path("search/", views.search, name="search"),
    path("enforcement/", views.enforcement, name="enforcement"),
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/<int:pk>/read/", views.inbox_read, name="inbox_read"),
    path("inbox/read-all/", views.inbox_read_all, name="inbox_read_all"),
    path("routing/", views.routing, name="routing"),
    path("routing/rules/", views.routing_rule_add, name="routing_rule_add"),
    path("routing/rules/<int:pk>/disable/", views.routing_rule_disable, name="routing_rule_disable"),
    path("indicators/", views.indicator_page, name="indicators"),
    path("indicators/export.xlsx", views.indicator_export, name="indicators_export"),
]
