"""The validation suite: theory, the per node-and-SKU probe, the cases, the peer check and VALIDATION.md."""
