"""Example workflows that run offline."""
