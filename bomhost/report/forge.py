"""Where the Markdown report will be read: the forge (GitHub, GitLab, ...) and the repository URL.

bomdrift renders a footer of "action affordances" under its PR comment: a link to report a false
positive and the way to suppress a finding, both shaped for the forge. The footer is left out
when no repository URL is known, so a fork or a local run never links to a tracker it does not
own. ``--repo-url`` and ``--platform`` set the two; without them they come from the CI
environment exactly as bomdrift reads it (``resolve``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal, get_args
from urllib.parse import quote

from pydantic import BaseModel, ConfigDict

Platform = Literal["github", "gitlab", "bitbucket", "azure-devops"]
PLATFORMS: tuple[Platform, ...] = get_args(Platform)

# bomdrift's order (src/run/diff.rs): its own variable, then the forges' own. bomhost reads its
# own name first; GitHub's pair is last because bomdrift's Action passes it as BOMDRIFT_REPO_URL.
_REPO_URL_VARS = (
    "BOMHOST_REPO_URL",
    "BOMDRIFT_REPO_URL",
    "CI_PROJECT_URL",  # GitLab CI
    "BITBUCKET_GIT_HTTP_ORIGIN",  # Bitbucket Pipelines
    "BUILD_REPOSITORY_URI",  # Azure Pipelines
)


_URL_SAFE = ":/?#[]@!$&'()*+,;=%-._~"


class Forge(BaseModel):
    """The repository the report is about and the forge it is shown on."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    repo_url: str | None = None
    platform: Platform = "github"


def _repo_url(env: Mapping[str, str]) -> str | None:
    for name in _REPO_URL_VARS:
        value = env.get(name, "")
        if value:  # an empty value means unset (`BOMDRIFT_REPO_URL=` clears it), as bomdrift
            return value
    server, repo = env.get("GITHUB_SERVER_URL", ""), env.get("GITHUB_REPOSITORY", "")
    if server and repo:
        return f"{server.rstrip('/')}/{repo}"
    return None


def _platform(env: Mapping[str, str]) -> Platform:
    # bomdrift's detection order: GitLab, Bitbucket, Azure DevOps, else GitHub.
    if env.get("GITLAB_CI") == "true":
        return "gitlab"
    if "BITBUCKET_BUILD_NUMBER" in env:
        return "bitbucket"
    if "TF_BUILD" in env:
        return "azure-devops"
    return "github"


def resolve(repo_url: str | None, platform: str | None, env: Mapping[str, str]) -> Forge:
    """The options given (CLI or config) win; otherwise the CI environment decides."""
    url = repo_url or _repo_url(env)
    chosen: Platform = platform if platform in PLATFORMS else _platform(env)
    return Forge(repo_url=url or None, platform=chosen)


def footer(forge: Forge | None) -> str:
    """bomdrift's footer for this forge, with bomhost's commands; empty without a repo URL.

    The URL comes from the CI environment, not from an SBOM, but it is still percent-encoded
    outside URL punctuation so that no value can end the link or start HTML.
    """
    if forge is None or not forge.repo_url:
        return ""
    repo = quote(forge.repo_url.rstrip("/"), safe=_URL_SAFE)
    add = "Run `bomhost baseline add <ID>` and commit `.bomdrift/baseline.json` to your"
    if forge.platform == "github":
        report = f"{repo}/issues/new?labels=false-positive&template=false-positive.md"
        suppress = (
            "Comment `/bomdrift suppress <ID>` (needs the suppress workflow `bomhost init` writes)"
        )
    elif forge.platform == "gitlab":
        report = f"{repo}/-/issues/new?issuable_template=false-positive"
        suppress = f"{add} MR branch"
    elif forge.platform == "bitbucket":
        report = f"{repo}/issues/new"
        suppress = f"{add} PR branch"
    else:
        report = f"{repo}/_workitems/create?templateName=false-positive"
        suppress = f"{add} PR branch"
    return (
        f"---\n<sub>**False positive?** [Report it](<{report}>) · "
        f"**Suppress a finding?** {suppress}</sub>\n\n"
    )
