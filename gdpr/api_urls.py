urlpatterns: list = []

# -- retention schedule, runs and anonymisation (issue 15)

# -- data-subject requests, consents, contact form (issue 15)

# -- disclosures, processing records, outbound exports, discovery, breaches (issue 16)
