"""Code tables of the API: legal status, simple legal status, Locarno classes and patent offices.

The tables are the vendor's (``api-facts.md``); :func:`name_of` turns a code into the words an analyst reads.

Example:
    >>> name_of("legal_status", 3), name_of("simple_legal_status", 1), name_of("country", "US")
    ('Granted', 'Active', 'United States')
    >>> office_of("USD912345S"), office_of("CN305123456S")
    ('US', 'CN')
"""

from __future__ import annotations

import re

__all__ = [
    "LEGAL_STATUS",
    "LOC_CLASSES",
    "LOC_SUBCLASSES",
    "OFFICES",
    "SIMPLE_LEGAL_STATUS",
    "code_of",
    "is_office_code",
    "loc_title",
    "name_of",
    "office_of",
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

#: Locarno classes (13th/14th edition headings, shortened).
LOC_CLASSES: dict[str, str] = {
    "01": "Foodstuffs",
    "02": "Articles of clothing and haberdashery",
    "03": "Travel goods, cases, parasols and personal belongings",
    "04": "Brushware",
    "05": "Textile piecegoods, sheet material",
    "06": "Furnishing",
    "07": "Household goods",
    "08": "Tools and hardware",
    "09": "Packages and containers",
    "10": "Clocks, watches, measuring and signalling instruments",
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
    "22": "Arms, pyrotechnic articles, hunting and fishing articles",
    "23": "Fluid distribution, sanitary, heating, ventilation and air-conditioning equipment",
    "24": "Medical and laboratory equipment",
    "25": "Building units and construction elements",
    "26": "Lighting apparatus",
    "27": "Tobacco and smokers' supplies",
    "28": "Pharmaceutical, cosmetic and toilet articles",
    "29": "Devices against fire hazards, accident prevention and rescue",
    "30": "Articles for the care and handling of animals",
    "31": "Machines and appliances for preparing food or drink",
    "32": "Graphic symbols and logos, surface patterns, ornamentation",
}

#: The subclasses the toolkit names (the sandbox corpus uses these); any ``NN-NN`` is still a valid code.
LOC_SUBCLASSES: dict[str, str] = {
    "02-04": "Footwear",
    "03-01": "Trunks, suitcases, briefcases, handbags",
    "06-01": "Seats",
    "06-03": "Tables",
    "07-01": "Crockery and glassware",
    "07-02": "Cooking appliances, utensils and containers",
    "08-05": "Other tools and implements",
    "09-01": "Bottles, flasks, pots, carboys, demijohns",
    "09-03": "Boxes, cases, containers",
    "10-02": "Watches and wrist watches",
    "10-07": "Measuring instruments",
    "11-01": "Jewellery",
    "12-08": "Motor cars, buses and lorries",
    "12-11": "Cycles and motorcycles",
    "14-01": "Equipment for the recording or reproduction of sounds or pictures",
    "14-02": "Data processing equipment and peripherals",
    "14-03": "Communications equipment, wireless remote controls",
    "16-01": "Photographic cameras and film cameras",
    "21-01": "Games and toys",
    "23-04": "Ventilation and air-conditioning equipment",
    "26-05": "Lamps, standard lamps, chandeliers",
    "28-03": "Toilet articles and beauty care apparatus",
}

#: Patent offices seen in design searches: two-letter code -> name.
OFFICES: dict[str, str] = {
    "AU": "Australia",
    "BR": "Brazil",
    "CA": "Canada",
    "CH": "Switzerland",
    "CN": "China",
    "DE": "Germany",
    "EM": "EUIPO (old code)",
    "EP": "European Patent Office",
    "ES": "Spain",
    "EU": "European Union (EUIPO)",
    "FR": "France",
    "GB": "United Kingdom",
    "HK": "Hong Kong",
    "IN": "India",
    "IT": "Italy",
    "JP": "Japan",
    "KR": "Korea",
    "MX": "Mexico",
    "RU": "Russia",
    "SG": "Singapore",
    "TW": "Taiwan",
    "US": "United States",
    "WO": "WIPO (Hague)",
}

_OFFICE_PREFIX = re.compile(r"^\s*([A-Za-z]{2})")
_OFFICE_CODE = re.compile(r"^[A-Z]{2}$")


def is_office_code(text: str) -> bool:
    """Whether ``text`` has the shape of an office code: two ASCII capital letters.

    Example:
        >>> is_office_code("US"), is_office_code("us"), is_office_code("ÉU")
        (True, False, False)
    """
    return bool(_OFFICE_CODE.match(text))


def office_of(patent_pn: str | None) -> str | None:
    """The office code a patent number starts with (``USD912345S`` -> ``US``), or ``None``.

    Example:
        >>> office_of("EU0065350760001S"), office_of(""), office_of(None)
        ('EU', None, None)
    """
    if not patent_pn:
        return None
    m = _OFFICE_PREFIX.match(patent_pn)
    return m.group(1).upper() if m else None


def loc_title(code: str) -> str:
    """Label of a Locarno class (``14``) or subclass (``14-03``); the class heading when the subclass is unnamed.

    Example:
        >>> loc_title("10-02"), loc_title("14"), loc_title("14-99")
        ('Watches and wrist watches', 'Recording, telecommunication or data processing equipment', 'Recording, telecommunication or data processing equipment (14-99)')
    """
    code = code.strip()
    if code in LOC_SUBCLASSES:
        return LOC_SUBCLASSES[code]
    cls = code[:2]
    heading = LOC_CLASSES.get(cls, f"LOC {cls}")
    return heading if len(code) == 2 else f"{heading} ({code})"


_TABLES = {"legal_status": LEGAL_STATUS, "simple_legal_status": SIMPLE_LEGAL_STATUS}

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

    Unknown codes come back as their own text, never as an error, so a new code from the API still shows.

    Example:
        >>> name_of("legal_status", "15"), name_of("country", "zz"), name_of("simple_legal_status", 7)
        ('Expired', 'ZZ', '7')
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
