def test_personas_build_a_small_street(personas, street):
    assert personas["zhang_record"].area_code == street.grid_a1.code
    assert personas["chen"].area_code == street.community_a.code


def test_the_wsgi_entry_point_imports_the_urlconf_at_boot():
    import subprocess
    import sys

    code = (
        "import zhizhi.wsgi\n"
        "from django.urls import get_resolver\n"
        "assert 'url_patterns' in vars(get_resolver()), 'URLconf not imported at boot'\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
