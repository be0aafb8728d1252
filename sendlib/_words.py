"""Words for the sentences a user reads."""

from __future__ import annotations

import numbers


def listed(items) -> str:
    """2023, 2024 and 2025 (whole numbers as such: numpy's too).

    >>> listed(["Oakfield Primary"]), listed([2024.0, 2025])
    ('Oakfield Primary', '2024 and 2025')
    """
    words = [
        f"{item:.0f}" if isinstance(item, numbers.Real) and float(item).is_integer() else str(item) for item in items
    ]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]
