"""Code tables of the API: legal status, simple legal status, Locarno classes and subclasses, patent offices.

Every table here is the one both sides use: the client validates filters against it before any call (a code
that does not exist is refused with a suggestion, never sent to come back as zero rows), and the sandbox
validates raw requests with the same tables. :func:`name_of` turns a code into the words an analyst reads;
:func:`find_loc` and :func:`find_office` go the other way, from words to codes.

Sources: the vendor's status tables (``api-facts.md``); the WIPO Locarno list of classes and subclasses
(titles shortened here in the project's own words); the WIPO ST.3 two-letter codes of offices that register
industrial designs, with the regional offices (``EU``/``EM`` EUIPO, ``WO`` Hague, ``BX`` Benelux, ``OA``,
``AP``, ``EA``, ``GC``).

Example:
    >>> name_of("legal_status", 3), name_of("simple_legal_status", 1), name_of("country", "US")
    ('Granted', 'Active', 'United States')
    >>> office_of("USD912345S"), office_of("CN305123456S")
    ('US', 'CN')
    >>> suggest_office("UK"), suggest_office("China"), suggest_loc("14-3")
    ('GB', 'CN', '14-03')
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # find_loc / find_office return frames; pandas loads only when they are called
    import pandas as pd

__all__ = [
    "LEGAL_STATUS",
    "LOC_CLASSES",
    "LOC_SUBCLASSES",
    "OFFICES",
    "OFFICE_ALIASES",
    "SIMPLE_LEGAL_STATUS",
    "STATUS_MEANINGS",
    "VERDICTS",
    "code_of",
    "find_loc",
    "find_office",
    "is_loc_code",
    "is_office",
    "is_office_code",
    "loc_title",
    "name_of",
    "office_of",
    "suggest_loc",
    "suggest_office",
    "unknown_loc_reason",
]

#: ``legal_status`` code -> label (the vendor's table).
LEGAL_STATUS: dict[int, str] = {
    1: "Published",
    2: "Examining",
    3: "Granted",
    8: "Double (avoid-double-grant)",
    11: "Withdrawn",
    12: "Withdrawn-Undetermined",
    17: "Withdrawn-Deemed",
    18: "Withdrawn-Voluntarily",
    13: "Rejected",
    14: "Revoked",
    15: "Expired",
    16: "Non-payment",
    21: "Restoration",
    22: "Ceased",
    23: "Partially revoked",
    24: "Discontinuation",
    30: "Abandoned",
    19: "Abandoned-Deemed",
    20: "Abandoned-Voluntarily",
    25: "Abandoned-Undetermined",
    222: "Non-entry PCT national phase (in time limit)",
    223: "PCT national phase (in time limit)",
    224: "PCT national phase (past time limit)",
    225: "Non-entry PCT national phase (past time limit)",
}

#: ``simple_legal_status`` code -> label.
SIMPLE_LEGAL_STATUS: dict[int, str] = {
    0: "Inactive",
    1: "Active",
    2: "Pending",
    220: "PCT designated stage expired",
    221: "PCT designated stage",
    999: "Undetermined",
}

#: What each status label means for whether the design can be enforced: ``"in force"``, ``"pending"``,
#: ``"lapsed"`` (withdrawn, rejected, revoked, expired, unpaid, abandoned, ceased) or ``"other"`` (undetermined,
#: unknown). The one table the charts colour statuses by (green, amber, red-ish, grey) and the report tags them by,
#: so "Non-payment" can never be drawn in the green of "Granted".
STATUS_MEANINGS: dict[str, str] = {
    **{label: "in force" for label in ("Active", "Granted", "Restoration", "Partially revoked")},
    **{label: "pending" for label in ("Pending", "Published", "Examining", "PCT designated stage",
                                      "PCT national phase (in time limit)",
                                      "Non-entry PCT national phase (in time limit)")},
    **{label: "lapsed" for label in (
        "Inactive", "Withdrawn", "Withdrawn-Undetermined", "Withdrawn-Deemed", "Withdrawn-Voluntarily", "Rejected",
        "Revoked", "Expired", "Non-payment", "Ceased", "Discontinuation", "Abandoned", "Abandoned-Deemed",
        "Abandoned-Voluntarily", "Abandoned-Undetermined", "PCT designated stage expired",
        "PCT national phase (past time limit)", "Non-entry PCT national phase (past time limit)")},
    **{label: "other" for label in ("Undetermined", "Double (avoid-double-grant)")},
}


# ---------------------------------------------------------------------------------------------- verdicts

#: A reviewer's verdict on one hit -> its relevance grade (trec_eval semantics: relevant means grade > 0; nDCG
#: uses the grades as gains). ``unsure`` has no grade: it is kept with the reviewer's note but left out of every
#: metric and calibration. The one vocabulary of the reviewer workbook, the app, stored verdicts, the study
#: functions and the sandbox's synthetic truth.
VERDICTS: dict[str, int | None] = {
    "same design": 2,     # the same design: a registration of it elsewhere, or a copy that differs in nothing
    "similar": 1,         # a close variant: an examiner would cite it against the query
    "different": 0,       # another design, however alike in kind
    "unsure": None,       # the reviewer could not tell from the drawings
}

# ---------------------------------------------------------------------------------------------- Locarno

#: The 32 Locarno classes (no other class exists: ``99`` is no class).
LOC_CLASSES: dict[str, str] = {
    "01": "Foodstuffs",
    "02": "Articles of clothing and haberdashery",
    "03": "Travel goods, cases, parasols and personal belongings",
    "04": "Brushware",
    "05": "Textile piece goods, artificial and natural sheet material",
    "06": "Furnishing",
    "07": "Household goods",
    "08": "Tools and hardware",
    "09": "Packages and containers for the transport or handling of goods",
    "10": "Clocks, watches, measuring, checking and signalling instruments",
    "11": "Articles of adornment",
    "12": "Means of transport or hoisting",
    "13": "Equipment for production, distribution or transformation of electricity",
    "14": "Recording, telecommunication or data processing equipment",
    "15": "Machines",
    "16": "Photographic, cinematographic and optical apparatus",
    "17": "Musical instruments",
    "18": "Printing and office machinery",
    "19": "Stationery and office equipment, artists' and teaching materials",
    "20": "Sales and advertising equipment, signs",
    "21": "Games, toys, tents and sports goods",
    "22": "Arms, pyrotechnic articles, hunting, fishing and pest-killing articles",
    "23": "Fluid distribution, sanitary, heating, ventilation and air-conditioning equipment, solid fuel",
    "24": "Medical and laboratory equipment",
    "25": "Building units and construction elements",
    "26": "Lighting apparatus",
    "27": "Tobacco and smokers' supplies",
    "28": "Pharmaceutical and cosmetic products, toilet articles and apparatus",
    "29": "Devices and equipment against fire hazards, for accident prevention and rescue",
    "30": "Articles for the care and handling of animals",
    "31": "Machines and appliances for preparing food or drink",
    "32": "Graphic symbols and logos, surface patterns, ornamentation",
}

#: Every Locarno subclass ``NN-NN`` with its title. ``NN-99`` is "miscellaneous" in classes 01-30; classes 31
#: and 32 have the one subclass ``NN-00``. Vacant numbers (03-02, 15-08, 16-04, 19-05) are not codes.
LOC_SUBCLASSES: dict[str, str] = {
    "01-01": "Bakers' products, biscuits, pastry, pasta, chocolates, confectionery, ices",
    "01-02": "Fruit, vegetables and products made from them",
    "01-03": "Cheeses, butter and butter substitutes, other dairy produce",
    "01-04": "Butchers' meat, pork products, fish",
    "01-05": "Tofu and tofu products",
    "01-06": "Animal foodstuffs",
    "01-99": "Foodstuffs, miscellaneous",
    "02-01": "Undergarments, lingerie, corsets, brassieres, nightwear",
    "02-02": "Garments",
    "02-03": "Headwear",
    "02-04": "Footwear, socks and stockings",
    "02-05": "Neckties, scarves, neckerchiefs and handkerchiefs",
    "02-06": "Gloves",
    "02-07": "Haberdashery and clothing accessories",
    "02-99": "Clothing and haberdashery, miscellaneous",
    "03-01": "Trunks, suitcases, briefcases, handbags, keyholders, wallets, cases for their contents",
    "03-03": "Umbrellas, parasols, sunshades and walking sticks",
    "03-04": "Fans",
    "03-05": "Devices for carrying and walking with babies and children",
    "03-99": "Travel goods and personal belongings, miscellaneous",
    "04-01": "Brushes and brooms for cleaning",
    "04-02": "Toilet brushes, clothes brushes and shoe brushes",
    "04-03": "Brushes for machines",
    "04-04": "Paintbrushes, brushes for use in cooking",
    "04-99": "Brushware, miscellaneous",
    "05-01": "Spun articles",
    "05-02": "Lace",
    "05-03": "Embroidery",
    "05-04": "Ribbons, braids and other decorative trimmings",
    "05-05": "Textile fabrics",
    "05-06": "Artificial or natural sheet material",
    "05-99": "Textile piece goods and sheet material, miscellaneous",
    "06-01": "Seats",
    "06-02": "Beds",
    "06-03": "Tables and similar furniture",
    "06-04": "Storage furniture",
    "06-05": "Composite furniture",
    "06-06": "Other furniture and furniture parts",
    "06-07": "Mirrors and frames",
    "06-08": "Clothes hangers",
    "06-09": "Mattresses and cushions",
    "06-10": "Curtains and indoor blinds",
    "06-11": "Carpets, mats and rugs",
    "06-12": "Tapestries",
    "06-13": "Blankets, household linen and napery",
    "06-99": "Furnishing, miscellaneous",
    "07-01": "China, glassware, dishes and similar articles",
    "07-02": "Cooking appliances, utensils and containers",
    "07-03": "Table knives, forks and spoons",
    "07-04": "Hand-operated appliances and utensils for preparing food or drink",
    "07-05": "Flatirons, laundering, cleaning and drying equipment",
    "07-06": "Other table utensils",
    "07-07": "Other household receptacles",
    "07-08": "Fireplace implements",
    "07-09": "Stands and holders for household utensils and appliances",
    "07-99": "Household goods, miscellaneous",
    "08-01": "Tools and implements for drilling, milling or digging",
    "08-02": "Hammers and similar tools and implements",
    "08-03": "Cutting tools and implements",
    "08-04": "Screwdrivers and similar tools and implements",
    "08-05": "Other tools and implements",
    "08-06": "Handles, knobs and hinges",
    "08-07": "Locking or closing devices",
    "08-08": "Fastening, supporting or mounting devices",
    "08-09": "Metal fittings and mountings for doors, windows and furniture",
    "08-10": "Bicycle and motorcycle racks",
    "08-11": "Curtain fittings",
    "08-99": "Tools and hardware, miscellaneous",
    "09-01": "Bottles, flasks, pots, carboys, demijohns and pressurized containers",
    "09-02": "Storage cans, drums and casks",
    "09-03": "Boxes, cases, containers, tins and cans",
    "09-04": "Hampers, crates and baskets",
    "09-05": "Bags, sachets, tubes and capsules",
    "09-06": "Ropes and hooping materials",
    "09-07": "Closing means and attachments",
    "09-08": "Pallets and platforms for forklifts",
    "09-09": "Refuse and trash containers and their stands",
    "09-99": "Packages and containers, miscellaneous",
    "10-01": "Clocks and alarm clocks",
    "10-02": "Watches and wrist watches",
    "10-03": "Other time-measuring instruments",
    "10-04": "Other measuring instruments, apparatus and devices",
    "10-05": "Instruments, apparatus and devices for checking, security or testing",
    "10-06": "Signalling apparatus and devices",
    "10-07": "Casings, dials, hands and other parts of measuring, checking and signalling instruments",
    "10-99": "Measuring and signalling instruments, miscellaneous",
    "11-01": "Jewellery",
    "11-02": "Trinkets, table, mantel and wall ornaments, flower vases and pots",
    "11-03": "Medals and badges",
    "11-04": "Artificial flowers, fruit and plants",
    "11-05": "Flags, festive decorations",
    "11-99": "Articles of adornment, miscellaneous",
    "12-01": "Vehicles drawn by animals",
    "12-02": "Handcarts, wheelbarrows",
    "12-03": "Locomotives, rolling stock and other rail vehicles",
    "12-04": "Telpher carriers, chair lifts and ski lifts",
    "12-05": "Elevators and hoists for loading or conveying",
    "12-06": "Ships and boats",
    "12-07": "Aircraft and space vehicles",
    "12-08": "Motor cars, buses and lorries",
    "12-09": "Tractors",
    "12-10": "Road vehicle trailers",
    "12-11": "Cycles and motorcycles",
    "12-12": "Perambulators, invalid chairs, stretchers",
    "12-13": "Special-purpose vehicles",
    "12-14": "Other vehicles",
    "12-15": "Tyres and anti-skid chains for vehicles",
    "12-16": "Parts, equipment and accessories for vehicles",
    "12-99": "Means of transport or hoisting, miscellaneous",
    "13-01": "Generators and motors",
    "13-02": "Power transformers, rectifiers, batteries and accumulators",
    "13-03": "Equipment for distribution or control of electric power",
    "13-99": "Electrical equipment, miscellaneous",
    "14-01": "Equipment for the recording or reproduction of sounds or pictures",
    "14-02": "Data processing equipment and peripherals",
    "14-03": "Communications equipment, wireless remote controls and radio amplifiers",
    "14-04": "Screen displays and icons",
    "14-05": "Recording and data storage media",
    "14-99": "Recording, telecommunication and data processing equipment, miscellaneous",
    "15-01": "Engines",
    "15-02": "Pumps and compressors",
    "15-03": "Agricultural and forestry machinery",
    "15-04": "Construction machinery",
    "15-05": "Washing, cleaning and drying machines",
    "15-06": "Textile, sewing, knitting and embroidering machines",
    "15-07": "Refrigeration machinery and apparatus",
    "15-09": "Machine tools, abrading and founding machinery",
    "15-10": "Machines for filling, packing or packaging",
    "15-99": "Machines, miscellaneous",
    "16-01": "Photographic cameras and film cameras",
    "16-02": "Projectors and viewers",
    "16-03": "Photocopying apparatus and enlargers",
    "16-05": "Accessories for photographic apparatus",
    "16-06": "Optical articles",
    "16-99": "Photographic and optical apparatus, miscellaneous",
    "17-01": "Keyboard instruments",
    "17-02": "Wind instruments",
    "17-03": "Stringed instruments",
    "17-04": "Percussion instruments",
    "17-05": "Mechanical instruments",
    "17-99": "Musical instruments, miscellaneous",
    "18-01": "Typewriters and calculating machines",
    "18-02": "Printing machines",
    "18-03": "Type and type faces",
    "18-04": "Bookbinding machines, printers' stapling machines, guillotines and trimmers",
    "18-99": "Printing and office machinery, miscellaneous",
    "19-01": "Writing paper, cards for correspondence and announcements",
    "19-02": "Office equipment",
    "19-03": "Calendars",
    "19-04": "Books, bound notebooks and similar objects",
    "19-06": "Materials and instruments for writing, drawing, painting, sculpture and engraving",
    "19-07": "Teaching materials",
    "19-08": "Other printed matter",
    "19-99": "Stationery and teaching materials, miscellaneous",
    "20-01": "Automatic vending machines",
    "20-02": "Display and sales equipment",
    "20-03": "Signs, signboards and advertising devices",
    "20-99": "Sales and advertising equipment, miscellaneous",
    "21-01": "Games and toys",
    "21-02": "Gymnastics and sports apparatus and equipment",
    "21-03": "Other amusement and entertainment articles",
    "21-04": "Tents and their accessories",
    "21-99": "Games, toys and sports goods, miscellaneous",
    "22-01": "Projectile weapons",
    "22-02": "Other weapons",
    "22-03": "Ammunition, rockets and pyrotechnic articles",
    "22-04": "Targets and accessories",
    "22-05": "Hunting and fishing equipment",
    "22-06": "Traps, articles for pest destruction",
    "22-99": "Arms, hunting and fishing articles, miscellaneous",
    "23-01": "Fluid distribution equipment",
    "23-02": "Sanitary appliances",
    "23-03": "Heating equipment",
    "23-04": "Ventilation and air-conditioning equipment",
    "23-05": "Solid fuel",
    "23-99": "Fluid, sanitary, heating and ventilation equipment, miscellaneous",
    "24-01": "Fixed apparatus and equipment for doctors, hospitals and laboratories",
    "24-02": "Medical instruments, instruments and tools for laboratory use",
    "24-03": "Prosthetic articles",
    "24-04": "Articles for dressing wounds, nursing and medical care",
    "24-99": "Medical and laboratory equipment, miscellaneous",
    "25-01": "Building materials",
    "25-02": "Prefabricated or pre-assembled building parts",
    "25-03": "Houses, garages and other buildings",
    "25-04": "Steps, ladders and scaffolds",
    "25-99": "Building units and construction elements, miscellaneous",
    "26-01": "Candlesticks and candelabra",
    "26-02": "Torches, hand lamps and lanterns",
    "26-03": "Public lighting fixtures",
    "26-04": "Luminous sources, electrical or not",
    "26-05": "Lamps, chandeliers, wall and ceiling fixtures, lampshades, reflectors",
    "26-06": "Luminous devices for vehicles",
    "26-99": "Lighting apparatus, miscellaneous",
    "27-01": "Tobacco, cigars and cigarettes",
    "27-02": "Pipes, cigar and cigarette holders",
    "27-03": "Ashtrays",
    "27-04": "Matches",
    "27-05": "Lighters",
    "27-06": "Cigar cases, cigarette cases, tobacco jars and pouches",
    "27-99": "Tobacco and smokers' supplies, miscellaneous",
    "28-01": "Pharmaceutical products",
    "28-02": "Cosmetic products",
    "28-03": "Toilet articles and beauty parlour equipment",
    "28-04": "Wigs, false hairpieces",
    "28-99": "Pharmaceutical, cosmetic and toilet articles, miscellaneous",
    "29-01": "Devices and equipment against fire hazards",
    "29-02": "Devices and equipment for accident prevention and rescue",
    "29-99": "Fire, accident prevention and rescue equipment, miscellaneous",
    "30-01": "Animal clothing",
    "30-02": "Pens, cages, kennels and similar shelters",
    "30-03": "Feeders and waterers",
    "30-04": "Saddlery",
    "30-05": "Whips and prods",
    "30-06": "Beds and nests",
    "30-07": "Perches and other cage attachments",
    "30-08": "Markers, marks and shackles",
    "30-09": "Hitching posts",
    "30-99": "Articles for animals, miscellaneous",
    "31-00": "Machines and appliances for preparing food or drink",
    "32-00": "Graphic symbols and logos, surface patterns, ornamentation",
}

#: Everyday words for goods -> the subclass they fall in (in the spirit of the Locarno alphabetical list of
#: goods), so that :func:`find_loc` finds ``watch`` -> 10-02 and ``phone`` -> 14-03 although no title says so.
_LOC_GOODS: dict[str, str] = {
    "02-02": "clothing shirt dress jacket coat trousers pants skirt",
    "02-03": "hat cap helmet",
    "02-04": "shoe shoes sneaker boot sandal slipper sock",
    "02-07": "button zipper buckle belt",
    "03-01": "bag handbag backpack suitcase luggage wallet purse case",
    "03-03": "umbrella",
    "03-05": "baby carrier stroller",
    "04-02": "toothbrush",
    "06-01": "chair sofa stool bench armchair",
    "06-02": "bed",
    "06-03": "table desk",
    "06-04": "cabinet wardrobe shelf bookcase drawer",
    "06-07": "mirror picture frame",
    "07-01": "cup mug plate bowl glass teapot",
    "07-02": "pot pan kettle cooker wok",
    "07-03": "knife fork spoon cutlery",
    "07-04": "grater peeler juicer",
    "07-05": "iron vacuum cleaner mop",
    "07-07": "jar storage container",
    "08-03": "scissors saw blade",
    "08-05": "tool wrench pliers",
    "08-06": "handle knob hinge",
    "08-07": "lock padlock",
    "09-01": "bottle flask",
    "09-03": "box packaging",
    "09-05": "pouch sachet",
    "09-07": "cap lid closure",
    "09-09": "bin trash",
    "10-01": "clock alarm",
    "10-02": "watch smartwatch wristwatch",
    "10-04": "gauge meter scale thermometer",
    "10-05": "tester detector",
    "10-07": "dial strap watchband",
    "11-01": "jewellery jewelry ring necklace bracelet earring",
    "11-02": "vase ornament",
    "12-06": "boat ship",
    "12-07": "aircraft airplane drone",
    "12-08": "car automobile truck bus lorry van",
    "12-11": "bicycle bike motorcycle scooter",
    "12-12": "pram wheelchair",
    "12-15": "tyre tire",
    "12-16": "wheel bumper",
    "13-01": "motor generator",
    "13-02": "battery charger adapter",
    "13-03": "socket plug switch",
    "14-01": "headphones earphones earbuds speaker microphone television",
    "14-02": "computer laptop keyboard mouse printer tablet monitor",
    "14-03": "phone smartphone telephone mobile router remote",
    "14-04": "gui icon screen interface",
    "14-05": "disc card",
    "15-05": "washer dishwasher",
    "15-07": "refrigerator fridge freezer",
    "16-01": "camera",
    "16-06": "glasses spectacles sunglasses lens",
    "17-03": "guitar violin",
    "19-06": "pen pencil brush",
    "21-01": "toy doll puzzle",
    "21-02": "ball racket",
    "21-04": "tent",
    "23-01": "faucet tap valve pipe",
    "23-02": "toilet shower basin bathtub",
    "23-03": "heater radiator",
    "23-04": "fan air conditioner purifier humidifier",
    "24-02": "syringe",
    "26-02": "torch flashlight lantern",
    "26-04": "bulb led",
    "26-05": "lamp light chandelier",
    "27-05": "lighter",
    "28-03": "hair dryer shaver razor comb",
    "31-00": "coffee blender mixer toaster",
}

# looser spellings of one code: "14-3", "14.03", "14/03", "1403", "Cl. 14-03", "LOC (15) 14-03"
_LOC_LOOSE = re.compile(r"^(?:loc\s*(?:\(\d+\)\s*)?)?(?:cl\.?\s*)?([0-9]{1,2})\s*[-./_ –—:]?\s*([0-9]{1,2})?$",
                        re.IGNORECASE)


def is_loc_code(code: str) -> bool:
    """Whether ``code`` is a Locarno class (``14``) or subclass (``14-03``) of the table.

    Example:
        >>> is_loc_code("14"), is_loc_code("14-03"), is_loc_code("99-01"), is_loc_code("14-3")
        (True, True, False, False)
    """
    return code in LOC_CLASSES or code in LOC_SUBCLASSES


def _subclasses_of(cls: str) -> list[str]:
    return [c for c in LOC_SUBCLASSES if c.startswith(cls + "-")]


def unknown_loc_reason(code: str) -> str:
    """Why a well-formed ``NN`` / ``NN-NN`` is not a Locarno code, in words.

    Example:
        >>> unknown_loc_reason("99-01")
        'there is no class 99 (the classes are 01 to 32)'
        >>> unknown_loc_reason("31-01")
        'class 31 (Machines and appliances for preparing food or drink) has no subclass 01; its subclass is 31-00'
    """
    cls = code[:2]
    if cls not in LOC_CLASSES:
        return f"there is no class {cls} (the classes are 01 to 32)"
    known = _subclasses_of(cls)
    listed = f"its subclass is {known[0]}" if len(known) == 1 else f"its subclasses are {known[0]} to {known[-1]}"
    return f"class {cls} ({LOC_CLASSES[cls]}) has no subclass {code[3:]}; {listed}"


def suggest_loc(text: str) -> str | None:
    """The Locarno code someone most likely meant by ``text``, or ``None``.

    A loose spelling of a code (``14-3``, ``14.03``, ``1403``, ``Cl. 14-03``) gives that code; words give the
    best match of :func:`find_loc` (``watch`` -> 10-02); a well-formed code that does not exist gives ``None``.

    Example:
        >>> suggest_loc("1403"), suggest_loc("Cl. 6-1"), suggest_loc("watch"), suggest_loc("14--03")
        ('14-03', '06-01', '10-02', '14-03')
        >>> suggest_loc("99-01") is None
        True
    """
    text = " ".join(str(text).split())
    loose = _LOC_LOOSE.match(text)
    if loose:  # one code, loosely written: its tidy form, if that is a code (else no guess: "99-01" means nothing)
        major, minor = loose.groups()
        code = f"{int(major):02d}" + (f"-{int(minor):02d}" if minor is not None else "")
        return code if is_loc_code(code) else None
    if re.search(r"[A-Za-z]{3,}", text):
        found = find_loc(text, limit=1)
        return str(found["code"].iloc[0]) if len(found) else None
    import difflib  # on a mistake only: not loaded with the package

    close = difflib.get_close_matches(text, [*LOC_SUBCLASSES, *LOC_CLASSES], n=1, cutoff=0.8)
    return close[0] if close else None


def loc_title(code: str) -> str:
    """Title of a Locarno class (``14``) or subclass (``14-03``); the class title when the subclass is unknown.

    Example:
        >>> loc_title("10-02"), loc_title("14")
        ('Watches and wrist watches', 'Recording, telecommunication or data processing equipment')
        >>> loc_title("14-55")
        'Recording, telecommunication or data processing equipment (14-55)'
    """
    code = code.strip()
    if code in LOC_SUBCLASSES:
        return LOC_SUBCLASSES[code]
    cls = code[:2]
    heading = LOC_CLASSES.get(cls, f"LOC {cls}")
    return heading if len(code) == 2 else f"{heading} ({code})"


# ---------------------------------------------------------------------------------------------- offices

#: Offices that register industrial designs: WIPO ST.3 two-letter code -> name. ``UK`` is not a code (GB is).
OFFICES: dict[str, str] = {
    "AE": "United Arab Emirates", "AL": "Albania", "AM": "Armenia", "AP": "ARIPO (African Regional IP Org.)",
    "AR": "Argentina", "AT": "Austria", "AU": "Australia", "AZ": "Azerbaijan", "BA": "Bosnia and Herzegovina",
    "BD": "Bangladesh", "BE": "Belgium", "BG": "Bulgaria", "BH": "Bahrain", "BN": "Brunei Darussalam",
    "BR": "Brazil", "BX": "Benelux (BOIP)", "BY": "Belarus", "CA": "Canada", "CH": "Switzerland", "CL": "Chile",
    "CN": "China", "CO": "Colombia", "CR": "Costa Rica", "CS": "Czechoslovakia (historical)", "CU": "Cuba",
    "CY": "Cyprus", "CZ": "Czech Republic", "DD": "German Democratic Republic (historical)", "DE": "Germany",
    "DK": "Denmark", "DO": "Dominican Republic", "DZ": "Algeria", "EA": "Eurasian Patent Organization",
    "EC": "Ecuador", "EE": "Estonia", "EG": "Egypt", "EM": "EUIPO (former code of EU designs)",
    "EP": "European Patent Office", "ES": "Spain", "EU": "European Union (EUIPO)", "FI": "Finland",
    "FR": "France", "GB": "United Kingdom", "GC": "Gulf Cooperation Council", "GE": "Georgia", "GR": "Greece",
    "GT": "Guatemala", "HK": "Hong Kong", "HR": "Croatia", "HU": "Hungary", "ID": "Indonesia", "IE": "Ireland",
    "IL": "Israel", "IN": "India", "IR": "Iran", "IS": "Iceland", "IT": "Italy", "JO": "Jordan", "JP": "Japan",
    "KE": "Kenya", "KG": "Kyrgyzstan", "KH": "Cambodia", "KP": "North Korea",
    "KR": "South Korea", "KW": "Kuwait", "KZ": "Kazakhstan", "LB": "Lebanon",
    "LI": "Liechtenstein", "LK": "Sri Lanka", "LT": "Lithuania", "LU": "Luxembourg", "LV": "Latvia",
    "MA": "Morocco", "MC": "Monaco", "MD": "Moldova", "ME": "Montenegro", "MK": "North Macedonia",
    "MN": "Mongolia", "MO": "Macao", "MT": "Malta", "MX": "Mexico", "MY": "Malaysia", "NG": "Nigeria",
    "NL": "Netherlands", "NO": "Norway", "NZ": "New Zealand", "OA": "OAPI (African IP Organization)",
    "OM": "Oman", "PA": "Panama", "PE": "Peru", "PH": "Philippines", "PK": "Pakistan", "PL": "Poland",
    "PT": "Portugal", "PY": "Paraguay", "QA": "Qatar", "RO": "Romania", "RS": "Serbia", "RU": "Russia",
    "SA": "Saudi Arabia", "SE": "Sweden", "SG": "Singapore", "SI": "Slovenia", "SK": "Slovakia",
    "SM": "San Marino", "SU": "Soviet Union (historical)", "SV": "El Salvador", "SY": "Syria",
    "TH": "Thailand", "TJ": "Tajikistan", "TN": "Tunisia", "TR": "Türkiye", "TT": "Trinidad and Tobago",
    "TW": "Taiwan", "UA": "Ukraine", "US": "United States", "UY": "Uruguay", "UZ": "Uzbekistan",
    "VN": "Viet Nam", "WO": "WIPO (Hague international registrations)", "YU": "Yugoslavia (historical)",
    "ZA": "South Africa", "ZW": "Zimbabwe",
}

#: Other names people type for an office (lower case) -> its code.
OFFICE_ALIASES: dict[str, str] = {
    "uk": "GB", "u.k.": "GB", "britain": "GB", "great britain": "GB", "england": "GB", "scotland": "GB",
    "wales": "GB", "ukipo": "GB",
    "usa": "US", "u.s.": "US", "u.s.a.": "US", "america": "US", "united states of america": "US",
    "uspto": "US",
    "prc": "CN", "mainland china": "CN", "cnipa": "CN", "sipo": "CN",
    "korea": "KR", "south korea": "KR", "republic of korea": "KR", "kipo": "KR", "north korea": "KP",
    "europe": "EU", "european union": "EU", "euipo": "EU", "ohim": "EU", "community design": "EU",
    "epo": "EP", "wipo": "WO", "hague": "WO", "international": "WO",
    "jpo": "JP", "nippon": "JP", "deutschland": "DE", "dpma": "DE", "hongkong": "HK", "macau": "MO",
    "russian federation": "RU", "turkey": "TR", "vietnam": "VN", "holland": "NL", "benelux": "BX",
    "czechia": "CZ", "swiss": "CH", "uae": "AE", "emirates": "AE", "ksa": "SA",
}
_OFFICE_CODE = re.compile(r"^[A-Z]{2}$")


def is_office_code(text: str) -> bool:
    """Whether ``text`` has the shape of an office code: two ASCII capital letters (see :func:`is_office`).

    Example:
        >>> is_office_code("US"), is_office_code("us"), is_office_code("ÉU")
        (True, False, False)
    """
    return bool(_OFFICE_CODE.match(text))


def is_office(code: str) -> bool:
    """Whether ``code`` is the code of an office that registers designs (``GB`` yes, ``UK`` no).

    Example:
        >>> is_office("GB"), is_office("UK"), is_office("XX")
        (True, False, False)
    """
    return code in OFFICES


def _plain(name: str) -> str:
    """An office name without its parenthesis, lower case: ``European Union (EUIPO)`` -> ``european union``."""
    return re.sub(r"\s*\(.*?\)", "", name).strip().lower()


def suggest_office(text: str) -> str | None:
    """The office code someone most likely meant by ``text`` (a code, a name or a usual alias), or ``None``.

    Example:
        >>> suggest_office("uk"), suggest_office("United States"), suggest_office("Germny"), suggest_office("XX")
        ('GB', 'US', 'DE', None)
    """
    key = " ".join(str(text).split()).lower()
    if key.upper() in OFFICES:
        return key.upper()
    if key in OFFICE_ALIASES:
        return OFFICE_ALIASES[key]
    by_name = {_plain(name): code for code, name in OFFICES.items()} | {n.lower(): c for c, n in OFFICES.items()}
    if key in by_name:
        return by_name[key]
    if len(key) <= 2:  # two letters that are no office: any "close" code would be a guess
        return None
    names = {**by_name, **OFFICE_ALIASES}
    import difflib  # on a mistake only: not loaded with the package

    close = difflib.get_close_matches(key, list(names), n=1, cutoff=0.75)
    return names[close[0]] if close else None


def office_of(patent_pn: str | None) -> str | None:
    """The office code a patent number starts with (``USD912345S`` -> ``US``), or ``None``.

    Example:
        >>> office_of("EU0065350760001S"), office_of(""), office_of(None)
        ('EU', None, None)
    """
    if not patent_pn:
        return None
    head = patent_pn.lstrip()[:2]  # read once per result row: string methods, not a regular expression
    return head.upper() if len(head) == 2 and head.isascii() and head.isalpha() else None


# ---------------------------------------------------------------------------------------------- finding codes

_STOP = frozenset({"and", "or", "of", "for", "the", "a", "an", "with", "in", "on", "other", "not", "their"})


def _words(text: str) -> list[str]:
    """Lower-case word stems (a plural ``s``/``es`` dropped) of ``text``, without filler words."""
    out = []
    for word in re.findall(r"[a-z]+", text.lower()):
        if word in _STOP:
            continue
        if len(word) > 3 and word.endswith("es") and word[:-2].endswith(("s", "x", "z", "ch", "sh")):
            word = word[:-2]  # watches -> watch, boxes -> box, glasses -> glass
        elif len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
            word = word[:-1]  # cases -> case, shoes -> shoe
        out.append(word)
    return out


@lru_cache(maxsize=1024)
def _word_set(text: str) -> frozenset[str]:
    """The word stems of a title or goods list, computed once per text (the tables never change)."""
    return frozenset(_words(text))


def _match_score(query: list[str], title: str, goods: str) -> int:
    """How well query words match a code: each word found counts 10 (so codes matching more of the words come
    first), then a goods word 3, a title word 2, the start of a title word 1."""
    title_words, goods_words = _word_set(title), _word_set(goods)
    score = 0
    for word in query:
        points = 3 if word in goods_words else 0
        if word in title_words:
            points += 2
        elif len(word) >= 4 and any(t.startswith(word) for t in title_words):
            points += 1
        score += points + (10 if points else 0)
    return score


def _ranked(rows: Iterable[tuple[str, str, int]], columns: tuple[str, str], limit: int) -> pd.DataFrame:
    import pandas as pd

    kept = sorted((r for r in rows if r[2] > 0), key=lambda r: (-r[2], r[0]))[:limit]
    return pd.DataFrame([r[:2] for r in kept], columns=list(columns)).astype("string")


def find_loc(words: str, *, limit: int = 10) -> pd.DataFrame:
    """Locarno classes and subclasses whose titles (or everyday names of their goods) match ``words``.

    Returns a small frame ``(code, title)``, best match first, at most ``limit`` rows; a code finds itself.

    Example:
        >>> find_loc("watch").head(2).values.tolist()
        [['10-02', 'Watches and wrist watches'], ['10', 'Clocks, watches, measuring, checking and signalling instruments']]
        >>> find_loc("phone")["code"].iloc[0], find_loc("14-03")["code"].iloc[0], len(find_loc("zzz"))
        ('14-03', '14-03', 0)
    """
    text = str(words).strip()
    if is_loc_code(text):
        return _ranked([(text, loc_title(text), 1)], ("code", "title"), limit)
    query = _words(text)
    table = {**LOC_CLASSES, **LOC_SUBCLASSES}

    def score(code: str, title: str) -> int:  # a whole title typed out beats any partial match
        return _match_score(query, title, _LOC_GOODS.get(code, "")) + (100 if title.lower() == text.lower() else 0)

    rows = ((code, title, score(code, title)) for code, title in table.items())
    return _ranked(rows, ("code", "title"), limit)


def find_office(words: str, *, limit: int = 10) -> pd.DataFrame:
    """Offices whose code, name or usual alias matches ``words``: a frame ``(code, name)``, best match first.

    Example:
        >>> find_office("korea").values.tolist()
        [['KR', 'South Korea'], ['KP', 'North Korea']]
        >>> find_office("uk")["code"].tolist(), find_office("usa")["code"].tolist()
        (['GB'], ['US'])
    """
    key = " ".join(str(words).split()).lower()
    query = _words(key)
    aliases: dict[str, list[str]] = {}
    for alias, code in OFFICE_ALIASES.items():
        aliases.setdefault(code, []).append(alias)
    best = suggest_office(key)

    def score(code: str, name: str) -> int:
        points = 10 if code == best else 0
        points += _match_score(query, name, " ".join(aliases.get(code, ())))
        return points + (1 if len(key) >= 3 and key in name.lower() else 0)

    return _ranked(((code, name, score(code, name)) for code, name in OFFICES.items()), ("code", "name"), limit)


# ---------------------------------------------------------------------------------------------- code -> words

_TABLES: Mapping[str, Mapping[int, str]] = {"legal_status": LEGAL_STATUS, "simple_legal_status": SIMPLE_LEGAL_STATUS}

# The labels the mainland-China host answers with (the vendor's own Chinese table), code by code.
_CHINESE_LABELS = {
    "simple_legal_status": {0: "失效", 1: "有效", 2: "审中", 220: "PCT指定期满", 221: "PCT指定期内", 999: "未确认"},
    "legal_status": {1: "公开", 2: "实质审查", 3: "授权", 8: "避重授权", 11: "撤回", 13: "驳回", 14: "全部撤销",
                     15: "期限届满", 16: "未缴年费", 21: "权利恢复", 22: "权利终止", 23: "部分无效", 24: "申请终止",
                     30: "放弃", 222: "PCT国际公布", 223: "PCT进入指定国(指定期内)", 224: "PCT进入指定国(指定期满)",
                     225: "PCT未进指定国"},
}
_BY_LABEL = {kind: {**{label.casefold(): code for code, label in table.items()},
                    **{label: code for code, label in _CHINESE_LABELS[kind].items()}}
             for kind, table in _TABLES.items()}


def code_of(kind: str, label: object) -> int | None:
    """The code of a status label as the API writes it — English or Chinese, or the code itself — or ``None``.

    Example:
        >>> code_of("simple_legal_status", "Active"), code_of("simple_legal_status", "审中"), code_of("legal_status", "3")
        (1, 2, 3)
        >>> code_of("legal_status", "no such status") is None
        True
    """
    table = _TABLES[kind]
    text = str(label).strip()
    if text.isascii() and text.isdigit():
        return int(text) if int(text) in table else None
    return _BY_LABEL[kind].get(text.casefold(), _BY_LABEL[kind].get(text))


def name_of(kind: str, code: object) -> str:
    """Human label for a code of ``kind`` (``legal_status``, ``simple_legal_status``, ``country``, ``loc``).

    This is the one code -> words function. Unknown codes come back as their own text, never as an error, so a
    new code from the API still shows.

    Example:
        >>> name_of("legal_status", "15"), name_of("country", "zz"), name_of("simple_legal_status", 7)
        ('Expired', 'ZZ', '7')
        >>> name_of("loc", "06-01")
        'Seats'
    """
    if kind == "country":
        text = str(code).upper()
        return OFFICES.get(text, text)
    if kind == "loc":
        return loc_title(str(code))
    table = _TABLES.get(kind)
    if table is None:
        raise ValueError(f"kind: must be one of legal_status, simple_legal_status, country, loc; got {kind!r}")
    try:
        return table.get(int(code), str(code))  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return str(code)
