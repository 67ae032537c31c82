"""Before anything is sent in bulk: one request that shows the target answers and takes the token(s).

An unreachable `--base-url` or a refused key would otherwise become thousands of connection errors or
dozens of scenario failures; it is one clear error instead (the CLI's exit code 2).
"""

from __future__ import annotations

import httpx

from contracts.client import make_http_client
from contracts.options import RunOptions

#: An audience id no target holds: an authorised read of it is a 404, an unauthorised one a 401/403.
PROBE_ID = "fanfare-contract-preflight"


def preflight(options: RunOptions) -> str | None:
    """What stops the run before it starts, or None: the target is reachable and accepts each token."""
    family = options.families[0]
    path = family.path(f"/audiences/{PROBE_ID}")
    timeout = min(options.request_timeout, 10.0)
    tokens = [("--token", options.token)]
    if options.second_token:
        tokens.append(("--second-token", options.second_token))
    with make_http_client(options.base_url, app=options.app, timeout=timeout) as http:
        for flag, token in tokens:
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            try:
                response = http.get(path, headers=headers)
            except httpx.TransportError as error:
                reason = str(error) or type(error).__name__
                return (
                    f"cannot reach {options.base_url}: {reason} (is the server running, is --base-url right?)"
                )
            if response.status_code in (401, 403):
                said = _error_text(response)
                return (
                    f"{options.base_url} refuses the {flag} key: GET {path} answered {response.status_code}"
                    f"{f' {said!r}' if said else ''} (check {flag} / the key's organization)"
                )
    return None


def _error_text(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:120]
    return str(body.get("error", "")) if isinstance(body, dict) else ""
