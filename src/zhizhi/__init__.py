"""Zhizhi (智治) — a street-level smart-governance platform."""
