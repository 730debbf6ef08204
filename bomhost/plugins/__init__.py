"""Plugins: manifest, wire protocol, the shared runner, and one module per runtime."""
