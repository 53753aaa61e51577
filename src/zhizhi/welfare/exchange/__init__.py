"""Data exchange with delivery partners: exchange files (CSV/xlsx), receipts, and the HTTP push adapter."""
