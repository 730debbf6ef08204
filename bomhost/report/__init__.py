"""Report renderers: one module per output format, each a pure ``Report -> str``."""
