"""The engine: pure decisions over plain-JSON run state, and the async shell that carries them out."""
