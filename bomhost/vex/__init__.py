"""VEX (Vulnerability Exploitability eXchange): read statements (``--vex``), write them (``--emit-vex``).

bomdrift's behaviour (src/vex/): OpenVEX 0.2.0 and CycloneDX VEX 1.6 files are read and matched
to findings by ``(vulnerability id or alias, product purl)``; ``not_affected`` and ``fixed``
drop the finding, ``affected`` and ``under_investigation`` keep it with an annotation. Findings
that are not advisories are named by bomdrift's synthetic ids (``bomdrift.typosquat:<purl>:<name>``,
...), and any plugin finding by its ``rule_id`` too, the id a baseline uses.
"""

from bomhost.vex.load import VexIndex, VexStatement, load_vex

__all__ = ["VexIndex", "VexStatement", "load_vex"]
