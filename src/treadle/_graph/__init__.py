"""The committed workflow graph: immutable entry nodes, validation and JSON serialization."""
