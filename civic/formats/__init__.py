"""The portal's date formats (settings.FORMAT_MODULE_PATH): one per kind and language.

A date is written one way and a date with its time one way, whether a template asks for the
long or the short form; English uses the 24-hour clock as the Chinese pages do. What is not
set here (input formats, separators) is Django's own for the language.
"""
