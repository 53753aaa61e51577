from django.urls import path

from zhizhi.welfare.views import casefiles, programmes

app_name = "welfare"
urlpatterns = [
    path("", casefiles.register, name="register"),
    path("open/", casefiles.register_open, name="register_open"),
    path("advisors/assign/", casefiles.advisors_assign, name="advisors_assign"),
    path("casefiles/<int:pk>/", casefiles.casefile_detail, name="casefile_detail"),
    path("casefiles/<int:pk>/reveal/", casefiles.casefile_reveal, name="casefile_reveal"),
    path("casefiles/<int:pk>/act/", casefiles.casefile_act, name="casefile_act"),
    path("workbench/", casefiles.workbench, name="workbench"),
    path("photos/<int:pk>/", casefiles.visit_photo, name="visit_photo"),
    path("programmes/", programmes.programme_list, name="programme_list"),
    path("programmes/<slug:code>/", programmes.programme_detail, name="programme_detail"),
    path("programmes/<slug:code>/rule/preview/", programmes.programme_rule_preview, name="rule_preview"),
    path("programmes/<slug:code>/reevaluate/", programmes.programme_reevaluate, name="programme_reevaluate"),
    path("programmes/<slug:code>/enrolments/", programmes.enrolment_list, name="enrolment_list"),
    path("programmes/<slug:code>/enrolments/verify/", programmes.enrolment_verify, name="enrolment_verify"),
    path("programmes/<slug:code>/cycles/", programmes.cycle_run, name="cycle_run"),
    path("enrolments/<int:pk>/", programmes.enrolment_detail, name="enrolment_detail"),
    path("batches/", programmes.batch_list, name="batch_list"),
    path("batches/<int:pk>/", programmes.batch_detail, name="batch_detail"),
    path("batches/<int:pk>/file/", programmes.batch_file, name="batch_file"),
]
