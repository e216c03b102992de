"""Platform identity: environments, tenants, developer apps, connections and client secrets."""

from localtitan.platform.environments import ENVIRONMENTS, Environment

__all__ = ["ENVIRONMENTS", "Environment"]
