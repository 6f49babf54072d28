"""The API lists' query-string filters, built one way (django-filter): a value that names nothing
(an id of no row, a choice that does not exist) is a 400 on its field with the list's own
message, never a filter silently dropped, which would answer another question than the one
asked. Each app's filters.py builds its filters from these and hands the cleaned values to its
selectors, which hold what each filter means."""

import django_filters


def id_filter(queryset, missing, **options):
    """A filter by the id of a row of `queryset`; `missing` answers an id that names none."""
    return django_filters.ModelChoiceFilter(queryset=queryset, error_messages={"invalid_choice": missing}, **options)


def choice_filter(choices, unknown, **options):
    """A filter by one of `choices`; `unknown` (with %(value)s) answers any other value."""
    return django_filters.ChoiceFilter(choices=choices, error_messages={"invalid_choice": unknown}, **options)
