"""Shared fixtures: small synthetic trusts written as real files in temporary folders."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from sendlib.synthetic import generate_trust


@pytest.fixture(scope="session")
def small_tables() -> dict[str, pd.DataFrame]:
    """A small synthetic trust (about 500 pupils) as export tables of text."""
    return generate_trust(seed=7, size=0.15)


def write_folder(folder: Path, tables: dict[str, pd.DataFrame | str | bytes]) -> Path:
    """Write tables (DataFrames, CSV text or raw bytes) as ``name.csv`` files."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in tables.items():
        path = folder / (name if "." in name else f"{name}.csv")
        if isinstance(content, pd.DataFrame):
            content.to_csv(path, index=False)
        elif isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return folder


@pytest.fixture
def small_folder(tmp_path, small_tables) -> Path:
    return write_folder(tmp_path / "trust", small_tables)
