"""Browser screens: caseworkers (`staff`, at /venteliste/) and the applicants' own
self-service (`public`, at /ansoeger/)."""
