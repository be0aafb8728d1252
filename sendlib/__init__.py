"""sendlib: SEND decision-making for English schools."""
from .codes import need_area, parse_year_group, upn_check_letter, upn_is_valid
from .exceptions import DataError, SendlibError
from .loader import TrustData, load_sample, load_trust

__version__ = "0.1.0"

__all__ = [
    "DataError",
    "SendlibError",
    "TrustData",
    "load_sample",
    "load_trust",
    "need_area",
    "parse_year_group",
    "upn_check_letter",
    "upn_is_valid",
]
