"""Reading CSV and XLSX files as a stream of rows, whatever Excel or Bitrix24 wrote.

CSV: the encoding is detected (a UTF-8 byte-order mark first, then charset-normalizer on the
beginning of the file; German Excel writes cp1252), the delimiter by ``csv.Sniffer`` among ``;``,
``,``, tab and ``|``. XLSX: openpyxl in read-only mode, which reads the sheet as it goes. Neither
loads the file into memory, so a 1,000,000-row file costs the same memory as a 100-row one.
"""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from charset_normalizer import from_bytes

from kontor.core.errors import ErrorCode, KontorError

SAMPLE_BYTES = 256 * 1024
DELIMITERS = ";,\t|"


def bad_file(message: str) -> KontorError:
    return KontorError(ErrorCode.VALIDATION, message, field="file")


@dataclass
class Table:
    """A file's header and a way to read its data rows (each a list of strings, as long as the header)."""

    path: Path
    format: str  # "csv" or "xlsx"
    headers: list[str]
    encoding: str = ""
    delimiter: str = ""

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        """``(row number, cells)`` of the data rows after the header (row 1), read lazily."""
        width = len(self.headers)
        source = _csv_rows(self) if self.format == "csv" else _xlsx_rows(self.path)
        next(source, None)
        for number, row in enumerate(source, start=2):
            if not any(cell.strip() for cell in row):
                continue  # Excel leaves empty lines at the end
            yield number, ((row + [""] * width)[:width] if len(row) != width else row)

    def count(self) -> int:
        """How many data rows the file has (a quick pass; the progress bar's total)."""
        return sum(1 for _ in self.rows())


def _is_xlsx(path: Path) -> bool:
    return zipfile.is_zipfile(path)


def detect_encoding(sample: bytes) -> str:
    """The encoding of a CSV file's beginning: BOM, then UTF-8 if it decodes, then charset-normalizer."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        sample.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        if exc.start >= len(sample) - 4:  # the sample cut a character in half
            return "utf-8"
    best = from_bytes(sample).best()
    if best is None:
        raise bad_file("the file is not text (no known encoding fits); save it as CSV or XLSX")
    encoding = best.encoding
    # German Excel's "ANSI" is cp1252. On a short sample charset-normalizer cannot tell it from its
    # single-byte neighbours (cp1250, latin-1, …), which read umlauts and ß the same: prefer cp1252.
    if encoding.startswith(("cp125", "latin", "iso8859", "mac_")):
        try:
            sample.decode("cp1252")
            return "cp1252"
        except UnicodeDecodeError:
            pass
    return encoding


def table_open(path: Path | str) -> Table:
    """Open a CSV or XLSX file and read its header row; a malformed file is a 422 on ``file``."""
    path = Path(path)
    if not path.exists() or path.stat().st_size == 0:
        raise bad_file("the file is empty")
    if _is_xlsx(path):
        table = Table(path=path, format="xlsx", headers=[])
        first = next(_xlsx_rows(path), None)
    else:
        with open(path, "rb") as f:
            sample = f.read(SAMPLE_BYTES)
        if sample.startswith(b"PK\x03\x04"):
            raise bad_file("the XLSX file cannot be read: it is damaged or not an Excel workbook")
        if b"\x00" in sample and not sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            raise bad_file("the file is not a CSV or XLSX file")
        encoding = detect_encoding(sample)
        text = sample.decode(encoding, errors="ignore")
        try:
            delimiter = csv.Sniffer().sniff(text[:64 * 1024], delimiters=DELIMITERS).delimiter
        except csv.Error:
            first_line = text.splitlines()[0] if text else ""
            delimiter = max(DELIMITERS, key=first_line.count) if first_line else ","
        table = Table(path=path, format="csv", headers=[], encoding=encoding, delimiter=delimiter)
        first = next(_csv_rows(table), None)
    headers = [h.strip() for h in (first or [])]
    while headers and not headers[-1]:
        headers.pop()
    if not headers:
        raise bad_file("the file has no header row")
    table.headers = [h or f"column {i + 1}" for i, h in enumerate(headers)]
    return table


def _csv_rows(table: Table) -> Iterator[list[str]]:
    """All rows of a CSV file (header first); undecodable bytes become U+FFFD, not an abort."""
    try:
        with open(table.path, encoding=table.encoding, errors="replace", newline="") as f:
            yield from csv.reader(f, delimiter=table.delimiter)
    except csv.Error as exc:
        raise bad_file(f"the CSV file is malformed: {exc}") from None


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat(sep=" ") if value.time() != datetime.min.time() else value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, bool):
        return "Y" if value else "N"
    return str(value)


def _xlsx_rows(path: Path) -> Iterator[list[str]]:
    """All rows of the first sheet (header first), read in openpyxl's read-only (streaming) mode."""
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise bad_file(f"the XLSX file cannot be read: {exc}") from None
    try:
        sheet = book.worksheets[0]
        for row in sheet.iter_rows(values_only=True):
            yield [_cell(v) for v in row]
    finally:
        book.close()


def csv_text(rows: list[list[str]], delimiter: str = ";") -> str:
    """Rows as CSV text (tests and the rejected-rows file use it)."""
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter).writerows(rows)
    return out.getvalue()
