def test_personas_build_a_small_street(personas, street):
    assert personas["zhang_record"].area_code == street.grid_a1.code
    assert personas["chen"].area_code == street.community_a.code
