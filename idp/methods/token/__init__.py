"""Hardware OATH tokens (``token``): the inventory, its import, the codes, the sign-in method.

Everything of the method lives here: its table (``models``), reading vendors' files
(``parsers``), the codes (``otp``), the inventory (``inventory``), the login and
enrolment steps (``method``) and its ``idp token`` commands (``commands``).
"""

from .method import TokenMethod

__all__ = ["TokenMethod"]
