"""The static universe behind :func:`engine.data.default_market`: real HK healthcare securities.

Codes, names, listing dates, board lots, incorporation (hence withholding-tax class) and the
innovative-drug / CXO / other-healthcare split follow public information (see
``methodology-research.md`` section 8 and the HSCI constituent list of 2025-11-21). Everything that
drives the synthetic prices (reference price and issued shares at 2025-06-30, free-float factor,
average daily traded value, relevance tier, beta) is an approximation chosen to be realistic, not a
record of the real market, and the membership intervals and relevance tiers are assumptions made so
that every screen of the rulebook is exercised.

Each :class:`SecuritySpec` states the role the security plays at the 2025-06-30 cut-off (the review
effective 2025-08-11) in ``role``: ``"pass"`` for the 31 names that pass every screen of the
August-2025 revision, otherwise the first screen it fails.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from engine.data.market import SECURITY_COLUMNS

#: Screens failed at the 2025-06-30 cut-off, in the order the rulebook applies them.
ROLES = (
    "pass",  # passes every screen of hsidi-2025-08
    "late_listing",  # no price at the cut-off, or listed but not yet an HSCI member
    "suspended",  # suspended on the cut-off date
    "not_hsci",  # not a Hang Seng Composite Index member at the cut-off
    "not_southbound",  # HSCI member but not Southbound eligible
    "cxo",  # main business is CRO/CMO/CDMO
    "industry",  # not Pharmaceuticals / Biotechnology
    "relevance_zero",  # pharma by industry but no innovative-drug relevance
    "illiquid",  # 6-month average daily traded value far below HKD 20m
)

GROUPS = ("drug", "cxo", "other")
"""Sub-sector factor each security loads on: innovative drug makers, CXO service firms, other
healthcare (devices, services, traditional Chinese medicine)."""

Interval = tuple[str, str | None]
"""``(start, end)`` of a membership; ``end`` is the last session (``None`` = still a member)."""


@dataclass(frozen=True)
class SecuritySpec:
    """One security of the default universe.

    Attributes
    ----------
    code, name, industry, sub_industry, is_cxo, is_18a, listing_date, board_lot, wht_class
        Security-master fields (see :data:`engine.data.market.SECURITY_COLUMNS`).
    group
        Price factor group, one of :data:`GROUPS`.
    price_hkd
        Target raw close at 2025-06-30 (the generator pins the price path there).
    shares_m
        Issued shares of the listed class at 2025-06-30, in millions.
    free_float
        Free-float adjustment factor, in (0.2, 1].
    adt_m_hkd
        Average daily traded value over the 126 sessions ending 2025-06-30, in HKD millions (the
        generator rescales traded value to hit it exactly; names listed inside the window hit it on
        their listed sessions).
    relevance
        ``((year, score), ...)``: the score from that year's June-30 restatement on (the first entry
        applies from listing, or from 2019-01-02 for older listings).
    hsci, southbound
        Membership intervals; ``None`` = the default (HSCI from 2019-01-02 or from the first
        March/September HSCI review at least 60 sessions after listing; Southbound follows HSCI).
    role
        What happens to the security at the 2025-06-30 cut-off, one of :data:`ROLES`.
    """

    code: str
    name: str
    industry: str
    sub_industry: str
    is_cxo: bool
    is_18a: bool
    listing_date: str
    board_lot: int
    wht_class: str
    group: str
    price_hkd: float
    shares_m: float
    free_float: float
    adt_m_hkd: float
    relevance: tuple[tuple[int, float], ...]
    role: str
    hsci: tuple[Interval, ...] | None = None
    southbound: tuple[Interval, ...] | None = None


PH, BT = "Pharmaceuticals", "Biotechnology"
EQ, SV = "Healthcare Equipment", "Healthcare Services"
INNOV, GENERIC, BIO, BIOSIM = (
    "Innovative Drugs",
    "Generic & Specialty Drugs",
    "Biologics",
    "Biosimilars",
)
CRO, CDMO = "Contract Research (CRO)", "Contract Development & Manufacturing (CDMO)"
TCM, DIST = "Traditional Chinese Medicine", "Drug Distribution"


_s = SecuritySpec  # (positional, so each row of the table below fits on one line)

NEVER: tuple[Interval, ...] = ()

# fmt: off
UNIVERSE: tuple[SecuritySpec, ...] = (
    # ---- 31 innovative-drug names that pass every screen of the 2025 revision at 2025-06-30
    _s("1093", "CSPC Pharmaceutical Group", PH, INNOV, False, False, "1994-06-21", 2000, "hk", "drug", 7.6, 11520, 0.75, 900, ((2019, 0.6), (2021, 1.0)), "pass"),
    _s("1177", "Sino Biopharmaceutical", PH, INNOV, False, False, "2000-09-29", 500, "foreign", "drug", 5.2, 18800, 0.70, 450, ((2019, 0.6), (2023, 1.0)), "pass"),
    _s("1801", "Innovent Biologics", BT, BIO, False, True, "2018-10-31", 500, "foreign", "drug", 78.0, 1650, 0.85, 1100, ((2019, 1.0),), "pass"),
    _s("6160", "BeiGene (BeOne Medicines)", BT, BIO, False, True, "2018-08-08", 100, "foreign", "drug", 148.0, 1420, 0.80, 800, ((2019, 1.0),), "pass"),
    _s("3692", "Hansoh Pharmaceutical Group", PH, INNOV, False, False, "2019-06-14", 1000, "foreign", "drug", 29.4, 5930, 0.30, 230, ((2019, 0.6), (2022, 1.0)), "pass"),
    _s("9926", "Akeso", BT, BIO, False, True, "2020-04-24", 1000, "foreign", "drug", 92.0, 900, 0.70, 950, ((2020, 1.0),), "pass"),
    _s("9688", "Zai Lab", BT, INNOV, False, False, "2020-09-28", 100, "foreign", "drug", 27.5, 1090, 0.90, 230, ((2020, 1.0),), "pass"),
    _s("1530", "3SBio", PH, BIO, False, False, "2015-06-11", 500, "foreign", "drug", 23.5, 2440, 0.65, 600, ((2019, 0.6), (2025, 1.0)), "pass"),
    _s("0013", "HUTCHMED (China)", PH, INNOV, False, False, "2021-06-30", 500, "foreign", "drug", 23.5, 872, 0.60, 190, ((2021, 1.0),), "pass"),
    _s("9969", "InnoCare Pharma", BT, INNOV, False, True, "2020-03-23", 1000, "foreign", "drug", 13.1, 1760, 0.65, 130, ((2020, 1.0),), "pass"),
    _s("6855", "Ascentage Pharma Group", BT, INNOV, False, True, "2019-10-28", 100, "foreign", "drug", 76.0, 330, 0.70, 200, ((2019, 1.0),), "pass"),
    _s("2162", "Keymed Biosciences", BT, BIO, False, True, "2021-07-08", 500, "foreign", "drug", 46.0, 280, 0.60, 110, ((2021, 1.0),), "pass"),
    _s("1952", "Everest Medicines", BT, INNOV, False, True, "2020-10-09", 500, "foreign", "drug", 62.0, 330, 0.55, 290, ((2020, 1.0),), "pass"),
    _s("2096", "Simcere Pharmaceutical Group", PH, INNOV, False, False, "2020-10-27", 1000, "hk", "drug", 11.1, 2600, 0.35, 100, ((2020, 0.6), (2023, 1.0)), "pass"),
    _s("0867", "China Medical System Holdings", PH, GENERIC, False, False, "2010-09-28", 1000, "foreign", "drug", 11.8, 2420, 0.50, 105, ((2019, 0.6),), "pass"),
    _s("3933", "The United Laboratories International", PH, GENERIC, False, False, "2007-06-15", 2000, "foreign", "drug", 14.4, 1820, 0.45, 150, ((2019, 0.6),), "pass"),
    _s("2196", "Shanghai Fosun Pharmaceutical (Group) H", PH, GENERIC, False, False, "2012-10-30", 500, "H", "drug", 16.6, 548, 0.95, 90, ((2019, 0.6),), "pass"),
    _s("6990", "Sichuan Kelun-Biotech Biopharmaceutical H", BT, BIO, False, True, "2023-07-11", 50, "H", "drug", 327.0, 130, 0.90, 190, ((2023, 1.0),), "pass",
       (("2024-03-11", None),)),
    _s("1877", "Shanghai Junshi Biosciences H", BT, BIO, False, True, "2018-12-24", 200, "H", "drug", 16.0, 220, 0.95, 60, ((2019, 1.0),), "pass"),
    _s("9995", "RemeGen H", BT, BIO, False, True, "2020-11-09", 500, "H", "drug", 40.0, 180, 0.90, 90, ((2020, 1.0),), "pass"),
    _s("9966", "Alphamab Oncology", BT, BIO, False, True, "2019-12-12", 1000, "foreign", "drug", 7.5, 970, 0.55, 70, ((2019, 1.0),), "pass"),
    _s("2157", "Lepu Biopharma H", BT, BIO, False, True, "2022-02-23", 500, "H", "drug", 5.4, 1700, 0.60, 72, ((2022, 1.0),), "pass"),
    _s("1513", "Livzon Pharmaceutical Group H", PH, GENERIC, False, False, "2014-01-16", 100, "H", "drug", 29.5, 330, 0.95, 55, ((2019, 0.6),), "pass"),
    _s("3320", "China Resources Pharmaceutical Group", PH, DIST, False, False, "2016-10-28", 500, "red_chip", "drug", 5.0, 6290, 0.45, 57, ((2019, 0.6), (2022, 0.3)), "pass"),
    _s("6185", "CanSino Biologics H", BT, BIO, False, True, "2019-03-28", 200, "H", "drug", 28.0, 95, 0.90, 55, ((2019, 1.0),), "pass"),
    _s("2171", "CARsgen Therapeutics Holdings", BT, BIO, False, True, "2021-06-18", 500, "foreign", "drug", 12.0, 575, 0.55, 60, ((2021, 1.0),), "pass"),
    _s("6955", "Shandong Boan Biotechnology H", BT, BIOSIM, False, False, "2022-12-30", 500, "H", "drug", 11.5, 520, 0.60, 110, ((2022, 0.6),), "pass"),
    _s("2142", "Harbour BioMed", BT, BIO, False, True, "2020-12-10", 1000, "foreign", "drug", 5.0, 800, 0.60, 50, ((2020, 1.0),), "pass"),
    _s("0512", "Grand Pharmaceutical Group", PH, GENERIC, False, False, "1995-12-07", 500, "foreign", "drug", 8.7, 3560, 0.45, 150, ((2019, 0.6),), "pass"),
    _s("2607", "Shanghai Pharmaceuticals Holding H", PH, GENERIC, False, False, "2011-05-20", 100, "H", "drug", 11.4, 920, 0.95, 62, ((2019, 0.6), (2022, 0.3)), "pass"),
    _s("2186", "Luye Pharma Group", PH, GENERIC, False, False, "2014-07-09", 500, "foreign", "drug", 3.6, 3760, 0.55, 160, ((2019, 0.6),), "pass"),
    # ---- CXO firms (is_cxo): eligible at launch while HSCI members, excluded by the revision
    _s("2269", "WuXi Biologics (Cayman)", BT, CDMO, True, False, "2017-06-13", 500, "foreign", "cxo", 25.6, 4100, 0.85, 1300, ((2019, 0.6),), "cxo"),
    _s("2359", "WuXi AppTec H", PH, CRO, True, False, "2018-12-13", 100, "H", "cxo", 78.0, 420, 0.95, 450, ((2019, 0.6),), "cxo"),
    _s("2268", "WuXi XDC Cayman", BT, CDMO, True, False, "2023-11-17", 500, "foreign", "cxo", 41.6, 1200, 0.40, 260, ((2023, 0.6),), "cxo",
       (("2024-03-11", None),)),
    _s("1548", "GenScript Biotech", BT, CDMO, True, False, "2015-12-30", 2000, "foreign", "cxo", 14.8, 2130, 0.70, 260, ((2019, 0.6),), "cxo"),
    _s("3759", "Pharmaron Beijing H", BT, CRO, True, False, "2019-11-28", 100, "H", "cxo", 18.0, 290, 0.95, 70, ((2019, 0.3),), "cxo"),
    _s("6821", "Asymchem Laboratories (Tianjin) H", PH, CDMO, True, False, "2020-12-10", 100, "H", "cxo", 60.0, 50, 0.95, 25, ((2020, 0.3),), "cxo"),
    _s("6127", "Joinn Laboratories (China) H", BT, CRO, True, False, "2021-02-26", 100, "H", "cxo", 12.0, 190, 0.95, 15, ((2021, 0.3),), "cxo"),
    _s("1521", "Frontage Holdings", SV, CRO, True, False, "2019-05-30", 1000, "foreign", "cxo", 2.2, 2100, 0.40, 8, ((2019, 0.3),), "cxo"),
    _s("1873", "Viva Biotech Holdings", SV, CRO, True, False, "2019-05-09", 1000, "foreign", "cxo", 2.1, 2000, 0.60, 12, ((2019, 0.3),), "cxo"),
    _s("2228", "XtalPi Holdings", SV, CRO, True, False, "2024-06-13", 200, "foreign", "cxo", 5.8, 3800, 0.60, 600, ((2024, 0.3),), "cxo",
       (("2024-09-09", None),)),
    _s("3347", "Hangzhou Tigermed Consulting H", BT, CRO, True, False, "2020-08-07", 100, "H", "cxo", 40.0, 130, 0.95, 80, ((2020, 0.3),), "not_hsci",
       (("2021-03-08", "2025-03-07"),)),
    _s("2315", "Biocytogen Pharmaceuticals (Beijing) H", BT, CRO, True, False, "2022-09-01", 500, "H", "cxo", 8.0, 280, 0.90, 5, ((2022, 0.3),), "not_hsci",
       NEVER),
    # ---- illiquid innovative-drug names (HSCI and Southbound, 6-month ADT far below HKD 20m)
    _s("2616", "CStone Pharmaceuticals", BT, INNOV, False, True, "2019-02-26", 500, "foreign", "drug", 2.5, 1280, 0.70, 5, ((2019, 1.0),), "illiquid",
       (("2019-09-09", "2022-09-02"), ("2023-09-11", None))),
    _s("9939", "Kintor Pharmaceutical", BT, INNOV, False, True, "2020-05-22", 500, "foreign", "drug", 3.0, 1000, 0.60, 4, ((2020, 1.0),), "illiquid"),
    _s("2197", "Clover Biopharmaceuticals", BT, BIO, False, True, "2021-11-05", 1000, "foreign", "drug", 2.3, 1290, 0.60, 6, ((2021, 1.0),), "illiquid"),
    _s("6622", "Zhaoke Ophthalmology", BT, INNOV, False, True, "2021-04-29", 500, "foreign", "drug", 2.4, 930, 0.40, 3, ((2021, 1.0),), "illiquid"),
    _s("1477", "Ocumension Therapeutics", BT, INNOV, False, True, "2020-07-10", 500, "foreign", "drug", 7.5, 790, 0.60, 7, ((2020, 1.0),), "illiquid"),
    # ---- HSCI members without Southbound eligibility at the cut-off
    _s("6996", "Antengene Corporation", BT, INNOV, False, True, "2020-11-20", 500, "foreign", "drug", 3.3, 670, 0.55, 35, ((2020, 1.0),), "not_southbound",
       None, (("2021-03-08", "2024-03-08"),)),
    _s("1167", "Jacobio Pharmaceuticals Group", BT, INNOV, False, True, "2020-12-21", 500, "foreign", "drug", 3.5, 800, 0.50, 30, ((2020, 1.0),), "not_southbound",
       None, NEVER),
    # ---- suspended across the cut-off (2025-06-16 .. 2025-10-31)
    _s("1672", "Ascletis Pharma", BT, INNOV, False, True, "2018-08-01", 1000, "foreign", "drug", 3.5, 1000, 0.55, 45, ((2019, 1.0),), "suspended"),
    # ---- innovative-drug names outside the HSCI at the cut-off (late listings among them)
    _s("1244", "3D Medicines", BT, INNOV, False, True, "2020-12-15", 500, "foreign", "drug", 4.0, 600, 0.50, 8, ((2020, 1.0),), "not_hsci",
       NEVER),
    _s("2256", "Abbisko Cayman", BT, INNOV, False, True, "2021-10-13", 1000, "foreign", "drug", 6.0, 650, 0.55, 15, ((2021, 1.0),), "not_hsci",
       (("2022-03-07", "2023-09-08"),)),
    _s("9606", "Duality Biotherapeutics", BT, BIO, False, True, "2025-04-15", 100, "foreign", "drug", 236.0, 90, 0.60, 140, ((2025, 1.0),), "late_listing",
       (("2025-12-08", None),)),
    _s("1276", "Jiangsu Hengrui Pharmaceuticals H", PH, INNOV, False, False, "2025-05-23", 100, "H", "drug", 54.0, 225, 0.95, 350, ((2025, 1.0),), "late_listing",
       (("2025-09-08", None),)),
    # ---- pharma by industry but no innovative-drug relevance (traditional Chinese medicine)
    _s("0570", "China Traditional Chinese Medicine Holdings", PH, TCM, False, False, "1993-08-09", 2000, "red_chip", "other", 2.2, 5030, 0.60, 60, ((2019, 0.0),), "relevance_zero"),
    _s("0874", "Guangzhou Baiyunshan Pharmaceutical H", PH, TCM, False, False, "1997-10-30", 2000, "H", "other", 18.0, 220, 0.95, 20, ((2019, 0.0),), "relevance_zero"),
    _s("2877", "China Shineway Pharmaceutical Group", PH, TCM, False, False, "2004-12-16", 1000, "foreign", "other", 7.7, 760, 0.45, 9, ((2019, 0.0),), "relevance_zero"),
    _s("3613", "Beijing Tong Ren Tang Chinese Medicine", PH, TCM, False, False, "2013-05-07", 1000, "red_chip", "other", 8.7, 840, 0.35, 10, ((2019, 0.0),), "relevance_zero"),
    # ---- other healthcare: services, devices, hospitals, health IT
    _s("1099", "Sinopharm Group H", SV, DIST, False, False, "2009-09-23", 400, "H", "other", 18.4, 1300, 0.95, 120, ((2019, 0.3),), "industry"),
    _s("6618", "JD Health International", SV, "Online Pharmacy", False, False, "2020-12-08", 50, "foreign", "other", 43.0, 3200, 0.30, 550, ((2020, 0.0),), "industry"),
    _s("0241", "Alibaba Health Information Technology", SV, "Online Pharmacy", False, False, "1994-01-31", 2000, "foreign", "other", 4.7, 16000, 0.35, 740, ((2019, 0.0),), "industry"),
    _s("1833", "Ping An Healthcare and Technology", SV, "Health IT", False, False, "2018-05-04", 100, "foreign", "other", 8.8, 2200, 0.50, 150, ((2019, 0.0),), "industry"),
    _s("1066", "Shandong Weigao Group Medical Polymer H", EQ, "Medical Consumables", False, False, "2004-02-27", 400, "H", "other", 6.0, 4520, 0.50, 58, ((2019, 0.0),), "industry"),
    _s("0853", "MicroPort Scientific", EQ, "Medical Devices", False, False, "2010-09-24", 100, "foreign", "other", 8.8, 1840, 0.75, 140, ((2019, 0.0),), "industry"),
    _s("2252", "Shanghai MicroPort MedBot (Group) H", EQ, "Surgical Robots", False, True, "2021-11-02", 100, "H", "other", 16.0, 960, 0.50, 180, ((2021, 0.0),), "industry"),
    _s("6699", "Angelalign Technology", EQ, "Dental Devices", False, False, "2021-06-16", 200, "foreign", "other", 56.0, 170, 0.45, 44, ((2021, 0.0),), "industry"),
    _s("1302", "LifeTech Scientific", EQ, "Medical Devices", False, False, "2011-11-10", 2000, "foreign", "other", 2.0, 4500, 0.70, 45, ((2019, 0.0),), "industry"),
    _s("1789", "AK Medical Holdings", EQ, "Orthopaedic Implants", False, False, "2017-12-20", 2000, "foreign", "other", 6.0, 1120, 0.45, 31, ((2019, 0.0),), "industry"),
    _s("2273", "Gushengtang Holdings", SV, "Clinics", False, False, "2021-12-10", 100, "foreign", "other", 34.0, 240, 0.40, 100, ((2021, 0.0),), "industry"),
    _s("1515", "China Resources Medical Holdings", SV, "Hospitals", False, False, "2013-11-29", 500, "foreign", "other", 4.0, 1300, 0.60, 26, ((2019, 0.0),), "industry"),
    _s("6078", "Hygeia Healthcare Holdings", SV, "Hospitals", False, False, "2020-06-29", 200, "foreign", "other", 15.0, 620, 0.55, 105, ((2020, 0.0),), "industry"),
    _s("2158", "Yidu Tech", SV, "Health IT", False, False, "2021-01-15", 500, "foreign", "other", 5.8, 1100, 0.55, 140, ((2021, 0.0),), "industry"),
    _s("2192", "Medlive Technology", SV, "Health IT", False, False, "2021-07-15", 500, "foreign", "other", 14.5, 730, 0.50, 58, ((2021, 0.0),), "industry"),
    _s("1951", "Jinxin Fertility Group", SV, "Hospitals", False, False, "2019-06-25", 500, "foreign", "other", 3.1, 2740, 0.70, 228, ((2019, 0.0),), "industry"),
    _s("9860", "Adicon Holdings", SV, "Diagnostic Labs", False, False, "2023-06-30", 500, "foreign", "other", 6.7, 720, 0.45, 11, ((2023, 0.0),), "industry"),
)
# fmt: on


def spec(code: str) -> SecuritySpec:
    """The :class:`SecuritySpec` of ``code`` (``KeyError`` if it is not in the universe)."""
    for s in UNIVERSE:
        if s.code == code:
            return s
    raise KeyError(code)


def security_master() -> pd.DataFrame:
    """The security master of the universe, columns :data:`SECURITY_COLUMNS`, with the listing dates
    as given here (:func:`engine.data.default_market` moves a listing inside its data window to the
    first session on or after it)."""
    rows = [
        {c: getattr(s, c, pd.NaT) for c in SECURITY_COLUMNS}
        | {"listing_date": pd.Timestamp(s.listing_date)}
        for s in UNIVERSE
    ]
    return pd.DataFrame(rows, columns=SECURITY_COLUMNS)


__all__ = ["GROUPS", "ROLES", "UNIVERSE", "SecuritySpec", "security_master", "spec"]
