"""The demo street: a synthetic street modelled on 武林街道 (330105013), 拱墅区, 杭州市.

Everything here is made up from a fixed random seed, so two runs give the same street: the places
(`layout`, pure), the people (`population`, pure, names from `names`), the demo accounts (`personas`) and the
one database write (`writer`). `zhizhi seed_demo` (web/management/commands/seed_demo.py) drives it.
"""
