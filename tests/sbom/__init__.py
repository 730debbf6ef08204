"""Tests of the SBOM readers."""
