"""Demo data: the illustrative first-phase program (``program``) and a seeded scale generator."""
