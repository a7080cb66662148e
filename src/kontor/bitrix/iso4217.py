"""ISO 4217 currency codes, as data.

Source: ISO 4217 "List one: Current currency & funds code list", maintained by SIX Financial
Information AG for ISO (https://www.six-group.com/en/products-services/financial-information/
data-standards.html), state of 2025-01-01, with the codes of its 2024/2025 amendments still in
transition (ANG beside its successor XCG; ZWG). Fund codes (BOV, CHE, CHW, CLF, COU, MXV, USN, UYI,
UYW) and the X-codes for precious metals, SDR and testing (XAU, XDR, XTS, XXX …) are part of list one.
"""

from __future__ import annotations

_LIST_ONE = """
AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BOV BRL BSD BTN BWP BYN BZD
CAD CDF CHE CHF CHW CLF CLP CNY COP COU CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL
GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD
KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO
NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD
SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD USN UYI UYU UYW UZS VED VES VND VUV
WST XAF XAG XAU XBA XBB XBC XBD XCD XCG XDR XOF XPD XPF XPT XSU XTS XUA XXX YER ZAR ZMW ZWG
"""
ISO_4217 = frozenset(_LIST_ONE.split())


def is_currency(code: str) -> bool:
    """Whether ``code`` (any case) is an ISO 4217 code of list one."""
    return code.strip().upper() in ISO_4217
