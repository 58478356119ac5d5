"""ResourceManager's GetResourceDirectory as the sandbox answers it.

One resource directory, whose management account is the world's. The answer has the
fields of the API page (``ResourceDirectoryId``, ``MasterAccountId``,
``MasterAccountName``, ``RootFolderId``, ``CreateTime``, ``MemberDeletionStatus``,
``ControlPolicyStatus``). Kept apart from ``resourcemanager.py``, which acts on members.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from commands.sandbox.world import World


def get_resource_directory(
    world: World, params: Mapping[str, str], now: datetime
) -> dict[str, Any]:
    return {
        "ResourceDirectory": {
            "ResourceDirectoryId": world.resource_directory_id,
            "MasterAccountId": str(world.management_account_id),
            "MasterAccountName": "management@example-rd",
            "RootFolderId": "r-offboard01",
            "CreateTime": "2024-03-01T08:00:00Z",
            "MemberDeletionStatus": "Enabled" if world.member_deletion_enabled else "Disabled",
            "ControlPolicyStatus": "Disabled",
        }
    }


HANDLERS = {"GetResourceDirectory": get_resource_directory}
