#!/usr/bin/env python3
"""Runs LabelPulse's ClickHouse SQL on a current ClickHouse (chDB, in process).

Input: a manifest written by `crates/clickhouse/tests/chdb.rs`:
  migrations  every migration file's statements, in order
  bootstrap   statements run before the migrations (schema_migrations)
  tables      per table: the columns the crate inserts, a RowBinary file of
              the rows ClickHouse 18.16 holds after the crate wrote them,
              and its row count with FINAL
  queries     every statement of `queries.rs`, values bound exactly as the
              crate binds them, and what 18.16 answered (TabSeparated)

It applies the migrations twice (the second run must be a no-op), loads the
rows through `INSERT INTO t (columns) ... RowBinary` (the crate's insert
format), runs every query and compares its answer with 18.16's. Exits 1 on
any error or difference; prints the chDB and ClickHouse versions.
"""

import json
import os
import sys
import tempfile

try:
    import chdb
    from chdb import session
except ImportError:  # pragma: no cover - the Rust test installs it
    print("chdb is not installed: pip install chdb-core", file=sys.stderr)
    sys.exit(2)


def lines(data: bytes, ordered: bool):
    out = data.split(b"\n")
    if out and out[-1] == b"":
        out.pop()
    return out if ordered else sorted(out)


def main(manifest_path: str) -> int:
    with open(manifest_path, encoding="utf-8") as f:
        manifest = json.load(f)
    work = tempfile.mkdtemp(prefix="labelpulse-chdb-")
    s = session.Session(work)

    def run(sql: str, fmt: str = "TabSeparated") -> bytes:
        return s.query(sql, fmt).bytes()

    engine = run("SELECT version()").decode().strip()
    print(f"chDB {chdb.__version__} (ClickHouse {engine})")
    failures = []
    passed = 0

    # Migrations, twice: IF NOT EXISTS everywhere, so the second run changes nothing.
    for round_ in (1, 2):
        for sql in manifest["bootstrap"]:
            try:
                run(sql)
            except Exception as e:  # noqa: BLE001
                failures.append(f"bootstrap (round {round_}): {e}\n  {sql[:200]}")
        for migration in manifest["migrations"]:
            for i, sql in enumerate(migration["statements"], 1):
                try:
                    run(sql)
                except Exception as e:  # noqa: BLE001
                    failures.append(
                        f"migration {migration['name']} statement {i} (round {round_}): {e}"
                    )
        if round_ == 1 and not failures:
            passed += 1
    tables_after = run("SHOW TABLES")

    # Rows, as the crate inserts them.
    for table in manifest["tables"]:
        name = table["name"]
        try:
            described = run(f"DESCRIBE TABLE {name}")
            types = {}
            for line in described.decode().splitlines():
                parts = line.split("\t")
                types[parts[0]] = parts[1]
            structure = ", ".join(f"{c} {types[c]}" for c in table["columns"])
            columns = ", ".join(table["columns"])
            run(
                f"INSERT INTO {name} ({columns}) SELECT * FROM "
                f"file('{table['data']}', 'RowBinary', '{structure}')"
            )
            # FINAL: current servers collapse duplicates of a ReplacingMergeTree
            # within an inserted block already (optimize_on_insert), 18.16 does not.
            count = int(run(f"SELECT count() FROM {name} FINAL").decode().strip())
            if count != table["rows"]:
                failures.append(f"table {name}: {count} rows loaded, expected {table['rows']}")
            else:
                passed += 1
        except Exception as e:  # noqa: BLE001
            failures.append(f"table {name}: {e}")

    # Every query, compared with 18.16's answer.
    for query in manifest["queries"]:
        name = query["name"]
        try:
            got = run(query["sql"])
        except Exception as e:  # noqa: BLE001
            failures.append(f"query {name}: {e}\n  {query['sql'][:300]}")
            continue
        if query["compare"]:
            with open(query["expected"], "rb") as f:
                expected = f.read()
            ordered = "ORDER BY" in query["sql"]
            if lines(got, ordered) != lines(expected, ordered):
                failures.append(
                    f"query {name}: chDB and 18.16 differ\n  chDB:  {got[:400]!r}\n  18.16: {expected[:400]!r}"
                )
                continue
        passed += 1

    if run("SHOW TABLES") != tables_after:
        failures.append("the queries changed the set of tables")

    for failure in failures:
        print("FAIL", failure)
    print(
        f"checked {len(manifest['migrations'])} migrations, {len(manifest['tables'])} tables, "
        f"{len(manifest['queries'])} queries on ClickHouse {engine}"
    )
    print(f"{passed} passed, {len(failures)} failed")
    s.close()
    return 1 if failures else 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print("usage: check_sql.py MANIFEST.json", file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1]))
