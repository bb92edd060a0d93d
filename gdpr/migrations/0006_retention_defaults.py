"""The retention schedule's defaults (docs/privacy.md). The seed's promises where it names
them (tenants 5 years after moving out, contact-form enquiries 6 months, applicants up to 5
years after their seniority is deleted and longer while a debt is unresolved); our own
documented choice, with its legal basis, for the rest. Administrators change them in the
admin; this migration only adds rows that are missing."""

from django.db import migrations

RULES = [
    (
        "tenants",
        "Lejere efter fraflytning",
        "Navn, CPR-nummer, fødselsdato, e-mail, telefon og alle kopier (ændringshistorik, "
        "indberetninger, CPR-svar, beskeder, Excel-filer).",
        5,
        "years",
        "sidste lejemåls ophør (fraflytning); uden lejemål: oprettelsen",
        "anonymise",
        "Udlejers privatlivspolitik: oplysningerne opbevares 5 år efter fraflytning og "
        "anonymiseres derefter. Perioden dækker forældelse af krav fra lejeforholdet "
        "(forældelsesloven §§ 3 og 4) og bogføringsloven § 10 (5 år). Lejekontrakter med "
        "tillæg, huslejevarsler, forbedringsforhøjelser og afgørelser fra huslejenævn og "
        "domstole bevares (lejeloven). En person med et lejemål, der ikke er ophørt, eller en "
        "indberetning, der ikke er afsluttet, bevares.",
    ),
    (
        "applicants",
        "Ansøgere efter sletning fra ventelisten",
        "Ansøgerens navn, CPR-nummer, adresse, kontaktoplysninger, ægtefælle/samlever, login, "
        "beskeder og hændelser.",
        5,
        "years",
        "at ancienniteten er slettet (alle opskrivninger slettet); uden opskrivning: oprettelsen",
        "anonymise",
        "Den fælles ventelistes privatlivspolitik: op til 5 år efter at ancienniteten er "
        "slettet, længere så længe en gæld er uafklaret (forældelsesloven § 3). Betalinger og "
        "opkrævninger bevares uden navn efter bogføringsloven § 10.",
    ),
    (
        "contact_enquiries",
        "Henvendelser via kontaktformularen",
        "Navn, e-mail, telefon og den bolig, henvendelsen gælder.",
        6,
        "months",
        "modtagelsen",
        "delete",
        "Udlejers privatlivspolitik: kontaktformularens oplysninger slettes efter 6 måneder. "
        "Grundlag: samtykke/anmodning fra personen (GDPR art. 6, stk. 1, litra a og b); "
        "personen kan trække henvendelsen tilbage når som helst.",
    ),
    (
        "cpr_answers",
        "Svar fra CPR (personer i opslag og scanninger)",
        "Navn, CPR-nummer og flyttedatoer for hver person i hvert CPR-svar.",
        6,
        "months",
        "opslaget",
        "delete",
        "Eget valg: svarene bruges til at afstemme beboelse med lejemål; det aktuelle billede "
        "pr. enhed gemmes for sig (CPR-registreringer). 6 måneder giver tid til at behandle en "
        "uoverensstemmelse og en klage over den. Opslagsloggen (hvem, hvornår, hvorfor, "
        "adresse og antal personer) bevares. GDPR art. 5, stk. 1, litra c og e, og art. 6, "
        "stk. 1, litra c og f.",
    ),
    (
        "cpr_registrations",
        "CPR-registreringer for fraflyttede",
        "Navn og CPR-nummer på personer, der efter CPR er flyttet fra en af vores enheder.",
        12,
        "months",
        "fraflytningen i CPR",
        "delete",
        "Eget valg: afstemningen har brug for fraflytninger omkring et lejemåls ophør; efter "
        "et år har registreringen ikke længere et formål (GDPR art. 5, stk. 1, litra e, og "
        "art. 6, stk. 1, litra f).",
    ),
    (
        "cpr_moves",
        "Flytninger registreret i CPR",
        "Navn, CPR-nummer (maskeret) og dato for hver opdaget flytning.",
        2,
        "years",
        "at flytningen blev opdaget",
        "delete",
        "Eget valg: dokumentation for afstemninger og for opgaver om genhusning og "
        "boligstøtte (UDK) i en klagesag; 2 år dækker et helt boligstøtteår med "
        "efterregulering (GDPR art. 6, stk. 1, litra c og f).",
    ),
    (
        "cpr_lookup_log",
        "Log over CPR-opslag (formålstekst)",
        "Den fritekst, en medarbejder skrev som formål med et enkeltopslag.",
        5,
        "years",
        "opslaget",
        "clear",
        "Kontrol med opslag i CPR (GDPR art. 5, stk. 2, og art. 32) og bogføring af "
        "opslagsgebyrer (bogføringsloven § 10): loggen bevares, men efter 5 år slettes "
        "formålsteksten, der kan nævne personer. Tidspunkt, bruger, adresse og antal bevares.",
    ),
    (
        "cpr_reveals",
        "Log over visning af fulde CPR-numre",
        "Hvem der så hvilken persons fulde CPR-nummer, hvornår og hvorfor.",
        5,
        "years",
        "visningen",
        "delete",
        "Kontrol med adgangen til CPR-numre (GDPR art. 32, databeskyttelsesloven § 11): 5 år, "
        "så et tilsyn eller en klage kan efterprøves.",
    ),
    (
        "filings",
        "Erstattede indberetninger til huslejeregistret",
        "Indberetninger med lejernes navn og fødselsdato, som en senere modtaget indberetning "
        "har afløst.",
        5,
        "years",
        "indberetningen",
        "delete",
        "Eget valg: dokumentation over for myndigheden (huslejeregistret, boligstøtte) i "
        "forældelsesfristen (forældelsesloven § 3) og bogføringsloven § 10 (5 år). Den seneste "
        "modtagne indberetning for hvert lejemål bevares: den er lejemålets stand i registret.",
    ),
    (
        "export_files",
        "Excel-eksporter (filer og job)",
        "Excel-filer med lister over personer og lejemål, som en medarbejder har bestilt.",
        7,
        "days",
        "bestillingen",
        "delete",
        "Arbejdsfiler: en liste kan altid eksporteres igen (GDPR art. 5, stk. 1, litra c og "
        "e). Anonymisering af en person sletter desuden straks enhver fil, der nævner personen.",
    ),
    (
        "sessions",
        "Login-sessioner",
        "Sessioner for medarbejdere og ansøgere (bruger-id).",
        0,
        "days",
        "sessionens udløb",
        "delete",
        "Teknisk nødvendige, slettes når de er udløbet (GDPR art. 5, stk. 1, litra e). "
        "Anonymisering af en ansøger afslutter straks ansøgerens sessioner.",
    ),
    (
        "messages",
        "Mails, SMS og breve til ansøgere (indhold)",
        "Emne, tekst og modtageradresse på beskeder samt filer med trykte breve.",
        3,
        "years",
        "afsendelsen",
        "clear",
        "Dokumentation for varsler, rykkere og tilbud i forældelsesfristen (forældelsesloven "
        "§ 3, 3 år); derefter slettes indhold og modtager. At en besked blev sendt, bevares.",
    ),
]


def add_defaults(apps, schema_editor):
    rule = apps.get_model("gdpr", "RetentionRule")
    for position, (key, title, description, period, unit, starts, action, basis) in enumerate(
        RULES, start=1
    ):
        rule.objects.get_or_create(
            key=key,
            defaults={
                "title": title,
                "description": description,
                "period": period,
                "unit": unit,
                "starts": starts,
                "action": action,
                "legal_basis": basis,
                "position": position * 10,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("gdpr", "0005_retention")]

    operations = [migrations.RunPython(add_defaults, migrations.RunPython.noop)]
