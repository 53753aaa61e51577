"""Signals other apps may listen to (so that they need not reach into this app's models).

`buildings_moved` is sent inside the transaction that moves buildings to another grid, with
`moves=[(building_code, old_grid_code, new_grid_code), ...]`; the dwellings' `area_code` is already updated,
so a receiver (e.g. the people registry re-scoping residents and households) can follow in the same
transaction.
"""

from django.dispatch import Signal

buildings_moved = Signal()
