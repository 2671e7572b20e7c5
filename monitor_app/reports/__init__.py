"""Reports and exports of the archive: PDF session records, FHIR, CSV and the JSON interchange (no Qt)."""
