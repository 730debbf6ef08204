"""SBOM readers: one module per input format, one entry point, ``load``."""

from bomhost.sbom.interface import SbomDocument, SbomFormat, load

__all__ = ["SbomDocument", "SbomFormat", "load"]
