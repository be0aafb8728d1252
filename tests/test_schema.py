from pathlib import Path

from sendlib.schema import TABLES, describe_tables


def test_no_header_names_two_columns_of_one_table():
    for table in TABLES.values():
        seen = {}
        for column in table.columns:
            for header in column.headers():
                assert header not in seen, f"{table.name}: '{header}' names {seen.get(header)} and {column.name}"
                seen[header] = column.name


def test_every_column_is_documented():
    text = describe_tables()
    for table in TABLES.values():
        assert f"`{table.name}.csv`" in text
        for column in table.columns:
            assert column.description and f"| `{column.name}` |" in text


def test_unique_keys_are_columns():
    for table in TABLES.values():
        assert set(table.unique) <= set(table.column_names)


def test_the_docs_give_the_contract_as_the_schema_defines_it():

    readme = (Path(__file__).parents[1] / "docs" / "export-folder.md").read_text(encoding="utf-8")
    start = readme.index("<!-- contract:")
    body = readme[readme.index("\n", start) + 1 : readme.index("<!-- /contract -->")]
    assert body == describe_tables()
