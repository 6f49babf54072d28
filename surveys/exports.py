"""Survey results as CSV and XLSX: the same figures the results page shows, and every response.

Residents' free text goes into spreadsheets; a cell that starts like a formula is written
as text (a leading apostrophe), so opening an export never runs anything.
"""

import csv
import io

from django.utils.translation import gettext as _
from openpyxl import Workbook

from core.spreadsheets import safe_cell as cell

from .models import QuestionKind


def _headers():
    return [
        _("Question no."),
        _("Question"),
        _("Kind"),
        _("Breakdown"),
        _("Group"),
        _("Answer"),
        _("Count"),
        # Exact, as computed (two decimals); the results page rounds them half up (core.figures).
        _("Percent (exact)"),
        _("Mean (exact)"),
        _("Answered"),
    ]


def result_rows(results):
    """The results in long form: one row per choice, scale point, statistic or text, overall and by group."""
    kinds = dict(QuestionKind.choices)
    breakdown_names = {"typology": _("Typology"), "stage": _("Development stage"), "age_band": _("Age band")}
    overall = _("All respondents")
    for number, question in enumerate(results["questions"], start=1):
        head = [number, question["text"], str(kinds[question["kind"]])]
        if "choices" in question:
            for choice in question["choices"]:
                yield [
                    *head,
                    "",
                    overall,
                    choice["label"],
                    choice["count"],
                    choice["percent"],
                    None,
                    question["answered"],
                ]
        elif "distribution" in question:
            for point in question["distribution"]:
                yield [*head, "", overall, point["value"], point["count"], point["percent"], None, question["answered"]]
            yield [*head, "", overall, _("Mean"), None, None, question["mean"], question["answered"]]
        elif "summary" in question:
            summary = question["summary"]
            for label, key in (
                (_("Mean"), "mean"),
                (_("Median"), "median"),
                (_("Smallest"), "min"),
                (_("Largest"), "max"),
            ):
                yield [*head, "", overall, label, None, None, summary[key], question["answered"]]
        else:
            for text in question["texts"]:
                yield [*head, "", overall, text["text"], None, None, None, question["answered"]]
        for name, groups in question.get("breakdowns", {}).items():
            for group in groups:
                if "choices" in group:
                    for choice in group["choices"]:
                        yield [
                            *head,
                            str(breakdown_names[name]),
                            group["label"],
                            choice["label"],
                            choice["count"],
                            choice["percent"],
                            None,
                            group["answered"],
                        ]
                else:
                    yield [
                        *head,
                        str(breakdown_names[name]),
                        group["label"],
                        _("Mean"),
                        None,
                        None,
                        group["mean"],
                        group["answered"],
                    ]


def response_table(questions, responses):
    header = [_("Submitted on"), _("Community"), _("Typology"), _("Development stage"), _("Age band")]
    header += [f"{n}. {q.text}" for n, q in enumerate(questions, start=1)]
    rows = []
    for response in responses:
        rows.append(
            [
                response["submitted_on"],
                response["community"],
                str(response["typology"]),
                str(response["stage"]),
                str(response["age_band"]),
                *("; ".join(response["answers"].get(q.pk, [])) for q in questions),
            ]
        )
    return header, rows


def results_csv(results):
    buffer = io.StringIO()
    # A byte-order mark, so that spreadsheet programs read the Chinese text as UTF-8.
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    writer.writerow(_headers())
    for row in result_rows(results):
        writer.writerow([cell(value) for value in row])
    return buffer.getvalue()


def results_xlsx(survey, results, questions, responses):
    workbook = Workbook(write_only=True)
    summary = workbook.create_sheet(_("Results")[:31])
    summary.append([cell(survey.title)])
    summary.append([_("Respondents"), results["respondents"]])
    summary.append([])
    summary.append(_headers())
    for row in result_rows(results):
        summary.append([cell(value) for value in row])
    sheet = workbook.create_sheet(_("Responses")[:31])
    header, rows = response_table(questions, responses)
    sheet.append([cell(value) for value in header])
    for row in rows:
        sheet.append([cell(value) for value in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
