"""The advisors' workbench (DESIGN §3): the case queues and work page (``case``), and the reference data
advisors maintain (``reference``). Importing the modules registers their admins."""

from cases.admin import case, reference

__all__ = ["case", "reference"]
