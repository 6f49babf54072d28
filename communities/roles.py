"""The admin groups behind the roles: which models each role may open in the Django admin.

The groups grant model-level access only; which rows a member sees and may change is
decided per object by the predicates in permissions.py. Other apps add their models in
their AppConfig.ready() through `extend_group`.
"""

from django.contrib.auth.models import Group, Permission

STAFF_GROUP = "Committee staff"
OFFICIALS_GROUP = "Officials"
EVALUATORS_GROUP = "Evaluators"

GROUP_PERMS = {
    STAFF_GROUP: {
        "communities.view_district",
        "communities.view_street",
        "communities.view_community",
        "communities.change_community",
        "communities.view_residency",
        "communities.change_residency",
        "communities.view_body",
        "communities.add_body",
        "communities.change_body",
        "communities.view_membership",
        "communities.add_membership",
        "communities.change_membership",
        "communities.delete_membership",
    },
    OFFICIALS_GROUP: {
        "communities.view_district",
        "communities.view_street",
        "communities.view_community",
        "communities.view_residency",
        "communities.view_body",
        "communities.view_membership",
    },
    EVALUATORS_GROUP: {
        "communities.view_district",
        "communities.view_street",
        "communities.view_community",
        "communities.evaluate_communities",
    },
}


def extend_group(group_name, perms):
    GROUP_PERMS.setdefault(group_name, set()).update(perms)


def sync_role_groups(**kwargs):
    """post_migrate: make each group hold exactly the permissions listed for it."""
    for name, perms in GROUP_PERMS.items():
        group, _ = Group.objects.get_or_create(name=name)
        wanted = []
        for perm in sorted(perms):
            app_label, codename = perm.split(".", 1)
            found = Permission.objects.filter(content_type__app_label=app_label, codename=codename).first()
            if found is not None:
                wanted.append(found)
        group.permissions.set(wanted)
