"""The one table of "who may": every app's permissions.py registers its rules here, so pages,
admin and API ask one question, `can(user, action, obj)`, whatever app the object comes from.

A rule is a Predicate over (user, obj); predicates compose with |, & and ~ the way
adhocracy4's rules do. The table lives in the kernel so that an app below communities
(notifications) can hold rules of its own without importing any app.
"""


class Predicate:
    def __init__(self, fn, name=None):
        self.fn = fn
        self.name = name or fn.__name__

    def __call__(self, user, obj=None):
        return bool(self.fn(user, obj))

    def __or__(self, other):
        return Predicate(lambda u, o: self(u, o) or other(u, o), f"({self.name} | {other.name})")

    def __and__(self, other):
        return Predicate(lambda u, o: self(u, o) and other(u, o), f"({self.name} & {other.name})")

    def __invert__(self):
        return Predicate(lambda u, o: not self(u, o), f"~{self.name}")

    def __repr__(self):
        return f"<Predicate {self.name}>"


def predicate(fn):
    return Predicate(fn)


# action -> Predicate. Keys are the actions pages, admin and API ask about ("topic.raise").
RULES = {}


def register_rule(action, rule):
    if action in RULES:
        raise ValueError(f"Rule {action!r} is already registered.")
    RULES[action] = rule


def register_rules(rules):
    for action, rule in rules.items():
        register_rule(action, rule)


def can(user, action, obj=None):
    return RULES[action](user, obj)
