"""A company's name without its legal form: 江南恒泰精密制造有限公司 → 江南恒泰精密制造 (how materials name it)."""
from __future__ import annotations

import re

_LEGAL_FORM = re.compile(r"(股份有限公司|有限责任公司|有限公司|集团公司|公司|Co\.?,? ?Ltd\.?|Limited|Inc\.?)$", re.I)


def short_name(name: str) -> str:
    return _LEGAL_FORM.sub("", name.strip()).strip() or name.strip()
