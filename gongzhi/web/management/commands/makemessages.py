"""makemessages without fuzzy matching: a new string arrives in django.po with an empty translation instead of a
guessed one taken from a similar string (a guess would look translated while it is wrong)."""

from django.core.management.commands import makemessages


class Command(makemessages.Command):
    msgmerge_options = [*makemessages.Command.msgmerge_options, "--no-fuzzy-matching"]
