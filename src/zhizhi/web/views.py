from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from zhizhi.web.queries import overview_for


@login_required
def home(request):
    return render(request, "web/home.html", {"overview": overview_for(request.user)})
