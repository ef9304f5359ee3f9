#!/usr/bin/env python3
"""Deterministic generator for the Herald benchmark corpus (Python 3 stdlib only).

Writes COUNT announcements x 2 languages (et, en):

  SITE/announcements/ann-NNNNN.<lang>.md            Herald front matter + Markdown body
  HUGO/content/announcements/ann-NNNNN.<lang>.md    the same file plus an RFC 3339 `date:`

Both trees are written to "<dir>.tmp" first and renamed into place at the end, so
an interrupted run never leaves a half-written corpus behind. The config files
(herald.toml, hugo.toml, layouts) are written by bench/check.sh, not here.

Usage: gen.py --site DIR --hugo DIR [--count 10000] [--seed 20270115]
"""

import argparse
import datetime as dt
import os
import random
import shutil

LANGS = ("et", "en")

# --------------------------------------------------------------------------- text banks

STREETS = [
    "Riia", "Võru", "Turu", "Ülikooli", "Rüütli", "Jõe", "Näituse", "Tähe", "Küüni",
    "Vanemuise", "Pepleri", "Soola", "Lõuna", "Päeva", "Põllu", "Aardla", "Ropka",
    "Kalevi", "Tööstuse", "Sõpruse", "Mõisavahe", "Annemõisa", "Jõgeva", "Kesk",
]

PLACES_ET = [
    "Raekoja platsil", "Tähtvere pargis", "Kultuurikatlas", "Aparaaditehases",
    "Vanemuise kontserdimajas", "Emajõe ääres", "Annelinna raamatukogus",
    "Karlova koolis", "Lõunakeskuses", "Botaanikaaias", "Toomemäel", "Sadamateatris",
]
PLACES_EN = [
    "Town Hall Square", "Tähtvere Park", "the Culture Cauldron", "the Aparaaditehas quarter",
    "the Vanemuine Concert Hall", "the Emajõgi riverside", "Annelinn Library",
    "Karlova School", "the Lõunakeskus centre", "the Botanical Garden", "Toome Hill",
    "the Harbour Theatre",
]

LINK_TARGETS = [
    "https://example.org/{lang}/news/{n}",
    "https://example.org/{lang}/events/{k}",
    "https://example.org/{lang}/transport/timetables",
    "https://example.org/{lang}/register?event={k}",
    "https://tartu.example/{lang}/services/waste",
    "https://tartu.example/{lang}/council/sessions/{k}",
    "https://library.example/{lang}/opening-hours",
    "https://sport.example/{lang}/pools/{k}",
    "https://example.org/{lang}/maps/roadworks#{k}",
]

SENT_ET = [
    "Tartu linnavalitsus teatab, et {street} tänaval algavad {date} remonditööd.",
    "Tööde ajal on liiklus ümber suunatud ning ühistranspordi peatused võivad ajutiselt asuda teises kohas.",
    "Palume liiklejatel olla tähelepanelikud ja järgida ajutisi liiklusmärke.",
    "Lisateavet leiate [linna kodulehelt]({link}).",
    "Üritus toimub {place} ja algab kell {time}.",
    "Osalemine on tasuta, kuid kohtade arv on piiratud, seetõttu palume end eelnevalt registreerida.",
    "Registreeruda saab [veebivormi kaudu]({link}) kuni {date}.",
    "Linn on sel aastal eraldanud projektile {n}000 eurot.",
    "Õpilased ja õpetajad said võimaluse tutvuda uue õppehoonega juba enne ametlikku avamist.",
    "Ööpäevaringne valve tagab, et päästetöötajad jõuavad vajadusel kiiresti kohale.",
    "Jäätmejaamas võetakse vastu ka ohtlikke jäätmeid, näiteks vanu värve, ravimeid ja patareisid.",
    "Küsimuste korral võib pöörduda linna infotelefonile või kirjutada e-posti teel.",
    "Sügisel istutatakse linna parkidesse ja tänavate äärde üle {n} uue puu.",
    "Tänavavalgustuse uuendamine vähendab elektrikulu ligikaudu kolmandiku võrra.",
    "Linnaraamatukogu pikendab lahtiolekuaegu ning nädalavahetustel on avatud ka lugemissaal.",
    "Kultuuriaasta raames toimub mitukümmend kontserti, näitust ja töötuba.",
    "Õhtul esinevad kohalikud muusikud ning lastele on mõeldud eraldi mänguala.",
    "Spordihoones on värskelt renoveeritud ujula, jõusaal ja saun.",
    "Lumetõrje eest vastutavad lepingupartnerid, kelle kontaktid on avaldatud [linna veebilehel]({link}).",
    "Bussiliini {n} sõiduplaan muutub alates {date}; uus graafik on saadaval [ühistranspordi lehel]({link}).",
    "Elanike tagasiside põhjal muudeti ristmiku lahendust ohutumaks nii jalakäijatele kui ka jalgratturitele.",
    "Täpsem ajakava avaldatakse lähinädalatel.",
    "Volikogu arutab eelnõu järgmisel istungil, mis on avalik ja mida saab jälgida ka veebiülekandes.",
    "Noortekeskus korraldab suvel päevalaagreid, kuhu oodatakse 7–14-aastaseid lapsi.",
    "Vabatahtlikud koristavad {date} jõeäärt ning kõik huvilised on oodatud kaasa lööma.",
    "Töövahendid, kindad ja prügikotid antakse kohapeal.",
    "Pärast koristust pakutakse osalejatele sooja suppi ja teed.",
    "Ehitustööde tõttu on {street} tänava parkla suletud kuni kuu lõpuni.",
    "Müratõkkeseinad paigaldatakse öösel, et vähendada mõju päevasele liiklusele.",
    "Linn tänab kõiki elanikke kannatlikkuse ja mõistva suhtumise eest.",
    "Jõulukuusk süüdatakse Raekoja platsil ning õhtut juhatab tuntud näitleja.",
    "Koolivaheajal on ühistransport õpilastele endiselt tasuta.",
    "Muuseumid on kuu esimesel pühapäeval kõigile külastajatele tasuta avatud.",
    "Lõuna-Eesti toidumess toob kokku üle {n} väiketootja, kelle seas on nii juustumeistreid kui ka mesinikke.",
    "Digiteenuste arendamine jätkub ning peagi saab ka parkimisloa taotleda täielikult veebis.",
    "**NB!** Muudatus puudutab eelkõige {street} tänava ja selle ümbruse elanikke.",
    "Ajutine ümbersõit on tähistatud *kollaste* suunaviitadega.",
    "Kõik päevakorrapunktid ja materjalid on kättesaadavad dokumendiregistris.",
    "Põhjalikum ülevaade möödunud aasta tulemustest on koondatud aruandesse.",
    "Hääletada saab kuni {date} kell {time}; tulemused kuulutatakse välja nädal hiljem.",
    "Ühistranspordi piletihinnad jäävad muutumatuks ka järgmisel aastal.",
    "Öösiti on kõnniteede puhastamiseks kasutusel väiksemad ja vaiksemad masinad.",
    "Seenioride päeval pakutakse tasuta tervisenõustamist ja vererõhu mõõtmist.",
    "Mänguväljakud kontrollitakse üle ning vajadusel vahetatakse välja kulunud atraktsioonid.",
    "Ümbersõidu skeemi näeb [kaardilt]({link}).",
    "Volikogu materjalid on avaldatud [volikogu veebilehel]({link}).",
    "Raamatukogu uued lahtiolekuajad leiab [raamatukogu lehelt]({link}).",
    "Korduma kippuvad küsimused on koondatud [eraldi lehele]({link}).",
    "Otseülekannet saab jälgida aadressil <{link}>.",
]

SENT_EN = [
    "The city government announces that roadworks on {street} Street will begin on {date}.",
    "During the works, traffic will be diverted and some bus stops may temporarily move to another location.",
    "Drivers and cyclists are asked to pay attention and follow the temporary traffic signs.",
    "More information is available on [the city website]({link}).",
    "The event takes place at {place} and starts at {time}.",
    "Participation is free, but the number of places is limited, so please register in advance.",
    "You can register via [the online form]({link}) until {date}.",
    "This year the city has allocated {n},000 euros to the project.",
    "Pupils and teachers were able to explore the new school building before its official opening.",
    "Round-the-clock duty ensures that rescue workers can arrive quickly when needed.",
    "The recycling centre also accepts hazardous waste such as old paint, medicines and batteries.",
    "If you have any questions, please call the city information line or send us an e-mail.",
    "In the autumn, more than {n} new trees will be planted in city parks and along the streets.",
    "Renewing the street lighting reduces electricity costs by roughly one third.",
    "The city library is extending its opening hours, and the reading room will also be open at weekends.",
    "The year of culture brings dozens of concerts, exhibitions and workshops to the city.",
    "In the evening local musicians will perform, and there is a separate play area for children.",
    "The sports centre has a newly renovated swimming pool, gym and sauna.",
    "Snow clearing is handled by contract partners whose contacts are published on [the city website]({link}).",
    "The timetable of bus line {n} changes from {date}; the new schedule is available on [the public transport page]({link}).",
    "Based on residents' feedback, the junction was redesigned to be safer for pedestrians and cyclists.",
    "A detailed schedule will be published in the coming weeks.",
    "The council will discuss the draft at its next session, which is public and streamed online.",
    "The youth centre runs day camps in the summer for children aged 7 to 14.",
    "Volunteers will clean up the riverside on {date}, and everyone is welcome to join.",
    "Tools, gloves and rubbish bags will be provided on site.",
    "After the clean-up, participants will be offered hot soup and tea.",
    "Due to construction works, the {street} Street car park is closed until the end of the month.",
    "Noise barriers will be installed at night to reduce the impact on daytime traffic.",
    "The city thanks all residents for their patience and understanding.",
    "The Christmas tree will be lit on Town Hall Square, and the evening will be hosted by a well-known actor.",
    "Public transport remains free for pupils during the school holidays.",
    "Museums are open free of charge to all visitors on the first Sunday of the month.",
    "The South Estonian food fair brings together more than {n} small producers, from cheesemakers to beekeepers.",
    "Work on digital services continues, and soon parking permits can be applied for entirely online.",
    "**Please note:** the change mainly affects residents of {street} Street and its surroundings.",
    "The temporary detour is marked with *yellow* direction signs.",
    "All agenda items and materials are available in the document register.",
    "A more detailed overview of last year's results has been compiled into a report.",
    "Voting is open until {date} at {time}; the results will be announced a week later.",
    "Public transport ticket prices will remain unchanged next year.",
    "At night, smaller and quieter machines are used to clean the pavements.",
    "On Seniors' Day, free health counselling and blood pressure checks are offered.",
    "Playgrounds will be inspected and worn-out equipment replaced where necessary.",
    "The detour is shown on [the map]({link}).",
    "Council materials are published on [the council website]({link}).",
    "The library's new opening hours can be found on [the library page]({link}).",
    "Frequently asked questions are collected on [a separate page]({link}).",
    "The live stream can be followed at <{link}>.",
]

# (et title, en title, et tags, en tags)
TOPICS = [
    ("linna uudised", "city news", ["Tartu", "Uudised"], ["Tartu", "News"]),
    ("teetööd {street} tänaval", "roadworks on {street} Street", ["Liiklus", "Teetööd"], ["Traffic", "Roadworks"]),
    ("kontsert {place}", "concert at {place}", ["Kultuur", "Üritused"], ["Culture", "Events"]),
    ("bussiliinide muudatused", "bus route changes", ["Ühistransport"], ["PublicTransport"]),
    ("jäätmejaama lahtiolekuajad", "recycling centre opening hours", ["Keskkond"], ["Environment"]),
    ("talgupäev Emajõe ääres", "clean-up day by the Emajõgi", ["Keskkond", "Talgud"], ["Environment", "Volunteering"]),
    ("volikogu istung", "city council session", ["Volikogu"], ["Council"]),
    ("noortelaagrid suvel", "summer youth camps", ["Noored", "Haridus"], ["Youth", "Education"]),
    ("uus spordihoone avatakse", "new sports centre opens", ["Sport"], ["Sport"]),
    ("muuseumipäev", "museum day", ["Kultuur", "Muuseumid"], ["Culture", "Museums"]),
    ("tänavavalgustuse uuendamine", "street lighting renewal", ["Linnaruum"], ["UrbanSpace"]),
    ("parkimiskorra muutus", "parking rules change", ["Liiklus", "Parkimine"], ["Traffic", "Parking"]),
    ("kaasav eelarve: hääletus algab", "participatory budget: voting opens", ["Kaasamine"], ["Participation"]),
    ("seenioride päev", "seniors' day", ["Tervis", "Seeniorid"], ["Health", "Seniors"]),
]

SUMMARY_ET = [
    "Lühike ülevaade sellest, mis muutub ja keda see puudutab.",
    "Loe lähemalt, kuidas muudatus sinu igapäevaelu mõjutab.",
    "Kõik olulised kuupäevad ja kontaktid ühes kohas.",
    "Ootame kõiki huvilisi osa võtma!",
    "Tähtis teave {street} tänava ja lähiümbruse elanikele.",
    "Päevakava, registreerumine ja praktiline info.",
]
SUMMARY_EN = [
    "A short overview of what changes and who is affected.",
    "Read more about how the change affects your daily life.",
    "All the key dates and contacts in one place.",
    "Everyone interested is welcome to take part!",
    "Important information for residents of {street} Street and the surrounding area.",
    "Programme, registration and practical information.",
]

LIST_INTRO_ET = "Kokkuvõtlikult:"
LIST_INTRO_EN = "In short:"
LIST_ITEMS_ET = [
    "algus {date} kell {time}", "toimumiskoht {place}", "osalemine tasuta",
    "registreerumine [veebivormi kaudu]({link})", "ümbersõit {street} tänava kaudu",
    "lisainfo linna infotelefonilt",
]
LIST_ITEMS_EN = [
    "starts on {date} at {time}", "venue: {place}", "free of charge",
    "register via [the online form]({link})", "detour via {street} Street",
    "more information from the city information line",
]


# --------------------------------------------------------------------------- helpers

MONTHS_EN = ["January", "February", "March", "April", "May", "June", "July",
             "August", "September", "October", "November", "December"]

def last_sunday(year, month):
    d = dt.date(year, month + 1, 1) - dt.timedelta(days=1) if month < 12 else dt.date(year, 12, 31)
    return d - dt.timedelta(days=(d.weekday() + 1) % 7)


def tallinn_offset(local):
    """UTC offset of Europe/Tallinn (EET/EEST, EU rules) for a local wall-clock time.

    Only used for daytime hours, so the ambiguous/nonexistent hours around the
    03:00/04:00 switch never occur."""
    start = last_sunday(local.year, 3)
    end = last_sunday(local.year, 10)
    return "+03:00" if start <= local.date() < end else "+02:00"


def yq(s):
    """YAML double-quoted scalar."""
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


class Plan:
    """Everything random about one announcement, drawn once and rendered in both
    languages, so the et and en files are translations of each other."""

    def __init__(self, rng, n, when):
        self.n = n
        self.street = rng.choice(STREETS)
        self.place_idx = rng.randrange(len(PLACES_ET))
        d = when.date() + dt.timedelta(days=rng.randrange(1, 40))
        self.date = {"et": d.strftime("%d.%m.%Y"),
                     "en": f"{d.day} {MONTHS_EN[d.month - 1]} {d.year}"}
        self.time = f"{rng.randrange(9, 20):02d}:{rng.choice((0, 15, 30, 45)):02d}"
        self.topic = rng.choice(TOPICS)
        self.summary_idx = rng.randrange(len(SUMMARY_ET))
        self.paras = self._paragraphs(rng)

    def _slots(self, rng):
        return (rng.randrange(2, 120), rng.randrange(len(LINK_TARGETS)), rng.randrange(1, 999))

    def _paragraphs(self, rng):
        # Word target, counted as the mean of the Estonian and English word counts
        # (Estonian needs fewer, longer words): roughly 110-230 et, 160-330 en.
        target = rng.randrange(130, 241)
        npar = rng.randrange(3, 6)
        picked, words, links = [], 0, 0
        for i in rng.sample(range(len(SENT_EN)), len(SENT_EN)):
            has_link = "{link}" in SENT_EN[i]
            if has_link and links >= 3:
                continue
            links += has_link
            picked.append((i, self._slots(rng)))
            words += (len(SENT_ET[i].split()) + len(SENT_EN[i].split())) / 2
            if words >= target:
                break
        if links == 0:  # every announcement carries at least one inline link
            picked.insert(rng.randrange(len(picked) + 1), (3, self._slots(rng)))
        cuts = sorted(rng.sample(range(1, len(picked)), min(npar - 1, len(picked) - 1)))
        paras, prev = [], 0
        for c in cuts + [len(picked)]:
            paras.append(("p", picked[prev:c]))
            prev = c
        if rng.random() < 0.125:  # about one body in eight also has a bullet list
            items = [(i, self._slots(rng))
                     for i in rng.sample(range(len(LIST_ITEMS_EN)), rng.randrange(2, 5))]
            paras.insert(rng.randrange(1, len(paras) + 1), ("ul", items))
        return paras

    def fill(self, template, lang, slots=(0, 0, 0)):
        num, target, k = slots
        return template.format(
            street=self.street,
            place=(PLACES_ET if lang == "et" else PLACES_EN)[self.place_idx],
            date=self.date[lang],
            time=self.time,
            n=num,
            link=LINK_TARGETS[target].format(lang=lang, n=self.n, k=k),
        )

    def body(self, lang):
        et = lang == "et"
        sents = SENT_ET if et else SENT_EN
        items = LIST_ITEMS_ET if et else LIST_ITEMS_EN
        out = []
        for kind, part in self.paras:
            if kind == "p":
                out.append(" ".join(self.fill(sents[i], lang, sl) for i, sl in part))
            else:
                out.append((LIST_INTRO_ET if et else LIST_INTRO_EN) + "\n\n"
                           + "\n".join("- " + self.fill(items[i], lang, sl) for i, sl in part))
        return "\n\n".join(out) + "\n"


def write_tree(path):
    tmp = path + ".tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    return tmp


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--site", required=True)
    ap.add_argument("--hugo", required=True)
    ap.add_argument("--count", type=int, default=10000)
    ap.add_argument("--seed", type=int, default=20270115)
    args = ap.parse_args()

    rng = random.Random(args.seed)
    site_tmp, hugo_tmp = write_tree(args.site), write_tree(args.hugo)
    ann_dir = os.path.join(site_tmp, "announcements")
    hugo_dir = os.path.join(hugo_tmp, "content", "announcements")
    os.makedirs(ann_dir)
    os.makedirs(hugo_dir)

    base = dt.datetime(2027, 1, 1)
    total_bytes = 0
    for n in range(1, args.count + 1):
        when = base + dt.timedelta(days=rng.randrange(365),
                                   hours=rng.randrange(8, 19),
                                   minutes=rng.choice((0, 15, 30, 45)))
        plan = Plan(rng, n, when)
        ident = f"ann-{n:05d}"
        for lang in LANGS:
            et = lang == "et"
            title = (("Teade" if et else "Announcement") + f" {n}: "
                     + plan.fill(plan.topic[0 if et else 1], lang))
            summary = plan.fill((SUMMARY_ET if et else SUMMARY_EN)[plan.summary_idx], lang)
            tags = plan.topic[2] if et else plan.topic[3]
            link = f"https://example.org/{lang}/news/{n}"
            front = (
                f"title: {yq(title)}\n"
                f"summary: {yq(summary)}\n"
                f"publish_at: {when:%Y-%m-%d %H:%M}\n"
                "channels: all\n"
                f"link: {link}\n"
                f"tags: [{', '.join(tags)}]\n"
            )
            text = plan.body(lang)
            herald_doc = "---\n" + front + "---\n" + text
            hugo_doc = ("---\n" + front
                        + f"date: {when:%Y-%m-%dT%H:%M:00}{tallinn_offset(when)}\n"
                        + "---\n" + text)
            name = f"{ident}.{lang}.md"
            with open(os.path.join(ann_dir, name), "w", encoding="utf-8") as f:
                f.write(herald_doc)
            with open(os.path.join(hugo_dir, name), "w", encoding="utf-8") as f:
                f.write(hugo_doc)
            total_bytes += len(herald_doc.encode("utf-8"))

    for final, tmp in ((args.site, site_tmp), (args.hugo, hugo_tmp)):
        shutil.rmtree(final, ignore_errors=True)
        os.rename(tmp, final)
    print(f"generated {args.count * len(LANGS)} announcements "
          f"({total_bytes / 1e6:.1f} MB) in {args.site} and {args.hugo}")


if __name__ == "__main__":
    main()
