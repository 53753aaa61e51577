"""Open311 GeoReport v2 — an adapter over the cases services: any standard 311 client can file and follow
Zhizhi cases. No case logic lives here; the status mapping is one table (mapping.py)."""
