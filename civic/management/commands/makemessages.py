"""makemessages that writes the catalogues sorted by message and without source locations.

Sorted, location-free catalogues change only where a message is added, removed or
translated, so two branches that each add messages rarely touch the same lines (and
.gitattributes merges the rest as a union).
"""

from django.core.management.commands import makemessages


class Command(makemessages.Command):
    msgmerge_options = [*makemessages.Command.msgmerge_options, "--sort-output"]
    msguniq_options = [*makemessages.Command.msguniq_options, "--sort-output"]
    msgattrib_options = [*makemessages.Command.msgattrib_options, "--sort-output"]
    xgettext_options = [*makemessages.Command.xgettext_options, "--sort-output"]

    def handle(self, *args, **options):
        options["no_location"] = True
        return super().handle(*args, **options)
