from django.conf import settings


def site(request):
    return {"MAP_TILE_URL": settings.MAP_TILE_URL, "ZHIZHI_ENV": settings.ZHIZHI_ENV}
