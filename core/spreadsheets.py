"""Spreadsheet safety for every export (survey results, dashboards, open data).

Residents' free text ends up in CSV and XLSX files that people open in spreadsheet
programs. A cell that starts like a formula (`=`, `+`, `-`, `@`, a tab or a carriage
return, also after leading spaces) would be run by the program; it is written as text
instead, behind a leading apostrophe, so opening an export never runs anything. Numbers
and other non-text values pass untouched.
"""

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


def safe_cell(value):
    """The value as a spreadsheet should store it: text that would start a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.lstrip(" ").startswith(FORMULA_STARTS):
        return "'" + value
    return value


def safe_row(values):
    return [safe_cell(value) for value in values]
