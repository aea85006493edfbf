"""How big the synthetic port is at each scale."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Scale:
    name: str
    ports: int
    facilities_per_port: int
    companies_per_port: int
    extra_users_per_company: int


SCALES = {
    # One port with its handful of terminals and one user per role: the demo.
    "small": Scale("small", ports=1, facilities_per_port=4, companies_per_port=6, extra_users_per_company=0),
    # A large port: 300 facilities and their companies (issue-scale data for benchmarks).
    "port": Scale("port", ports=1, facilities_per_port=300, companies_per_port=400, extra_users_per_company=2),
    # Every Belgian seaport, federated-style in one instance.
    "national": Scale("national", ports=6, facilities_per_port=35, companies_per_port=60, extra_users_per_company=1),
}
