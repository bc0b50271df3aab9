"""`tixpilot`: the admin CLI. Every command prints one JSON object.

It talks to the local stack's emulator by default (AWS_ENDPOINT_URL, or http://127.0.0.1:4566)
and to a deployed stack's tables with `--env dev|staging|prod` (your AWS credentials).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from typing import Any

from tixpilot.models.pos import WITH_CREDENTIALS

LOCAL_ENDPOINT = "http://127.0.0.1:4566"
LOCAL_HOST = "127.0.0.1"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tixpilot", description=__doc__.splitlines()[0] if __doc__ else None
    )
    parser.add_argument(
        "--env", default=os.environ.get("TIXPILOT_ENV", "local"), help="local (default), dev, ..."
    )
    parser.add_argument("--endpoint-url", help="AWS endpoint (default: the local emulator when --env local)")
    commands = parser.add_subparsers(dest="group", required=True)

    tenant = commands.add_parser("tenant", help="broker accounts").add_subparsers(
        dest="action", required=True
    )
    create = tenant.add_parser("create", help="create a tenant and print its API token (shown once)")
    create.add_argument("--name", required=True)

    token = commands.add_parser("token", help="API tokens").add_subparsers(dest="action", required=True)
    rotate = token.add_parser("rotate", help="a new API token (shown once); every older one stops working")
    rotate.add_argument("--tenant-id", required=True)

    domain = commands.add_parser("domain", help="email domains").add_subparsers(dest="action", required=True)
    add = domain.add_parser("add", help="route mail for a domain to a tenant")
    add.add_argument("--tenant-id", required=True)
    add.add_argument("--domain", required=True)

    forwarder = commands.add_parser("forwarder", help="trusted forwarders").add_subparsers(
        dest="action", required=True
    )
    trust = forwarder.add_parser(
        "add", help="trust receipts forwarded from the tenant's own mailbox (when its domain signs them)"
    )
    trust.add_argument("--tenant-id", required=True)
    trust.add_argument("--address", required=True, help="e.g. jane@gmail.com")

    key = commands.add_parser("marketplace-key", help="marketplace credentials").add_subparsers(
        dest="action", required=True
    )
    key_create = key.add_parser("create", help="issue a key a resale marketplace calls us with")
    key_create.add_argument("--tenant-id", required=True)
    key_create.add_argument("--marketplace-id", required=True, type=int)
    key_revoke = key.add_parser("revoke", help="revoke a marketplace key: calls with it are refused")
    key_revoke.add_argument("--tenant-id", required=True)
    key_revoke.add_argument("--credid", required=True)

    credentials = commands.add_parser(
        "marketplace-credentials", help="a tenant's credentials for a marketplace's own API"
    ).add_subparsers(dest="action", required=True)
    credentials_set = credentials.add_parser(
        "set",
        help="store them encrypted (never printed back); for StubHub also register the webhook",
        description='Credentials per marketplace: StubHub (1) {"access_token"}; Vivid Seats (4) '
        '{"api_token"}; Ticket Evolution (1001) {"token", "secret", "reviewer_id"}.',
    )
    credentials_set.add_argument("--tenant-id", required=True)
    credentials_set.add_argument("--marketplace-id", required=True, type=int)
    credentials_set.add_argument("--json", required=True, dest="credentials", help="a JSON object")
    credentials_set.add_argument(
        "--register-webhook",
        action="store_true",
        help="register the webhook again even if one is registered for this URL (another account)",
    )

    receipts = commands.add_parser("receipts", help="inbound email").add_subparsers(
        dest="action", required=True
    )
    replay = receipts.add_parser("replay", help="run intake again over stored messages (after a parser fix)")
    whose = replay.add_mutually_exclusive_group(required=True)
    whose.add_argument("--tenant-id", help="one tenant's messages")
    whose.add_argument("--unrouted", action="store_true", help="mail no tenant owned: route it again")
    replay.add_argument("--status", choices=("unparsed", "parsed", "all"), default="unparsed")
    backfill = receipts.add_parser("import", help="backfill an mbox file or a folder of .eml files")
    backfill.add_argument("path", help="an mbox file, or a folder of .eml files")
    backfill.add_argument("--to", help="the recipient address (default: Delivered-To, To, Cc headers)")
    receipts.add_parser(
        "migrate-keys", help="move records stored under a raw Message-ID to its hash (once, after upgrading)"
    )

    pos_group = commands.add_parser("pos-credentials", help="POS API credentials").add_subparsers(
        dest="action", required=True
    )
    pos_set = pos_group.add_parser(
        "set", help="store a tenant's POS API credentials, encrypted (never shown again)"
    )
    pos_set.add_argument("--tenant-id", required=True)
    pos_set.add_argument("--pos", required=True, choices=sorted(WITH_CREDENTIALS))
    for name in sorted({name for p in WITH_CREDENTIALS.values() for name in p.credentials}):
        users = ", ".join(p.title for p in WITH_CREDENTIALS.values() if name in p.credentials)
        pos_set.add_argument(
            "--" + name.replace("_", "-"), dest=name, help=f"{users}: {name.replace('_', ' ')}"
        )

    demo = commands.add_parser("demo", help="demo data").add_subparsers(dest="action", required=True)
    seed = demo.add_parser("seed", help="generate purchases (a new tenant unless --tenant-id)")
    seed.add_argument("--purchases", required=True, type=int)
    seed.add_argument("--tenant-id", help="add to this tenant instead of creating one")
    seed.add_argument("--seed", type=int, default=7, help="the generator's random seed")
    return parser


def _configure(args: argparse.Namespace) -> None:
    """Set the environment the shared package reads, before any client exists."""
    os.environ["TIXPILOT_ENV"] = args.env
    if args.endpoint_url:
        os.environ["AWS_ENDPOINT_URL"] = args.endpoint_url
    elif args.env == "local":
        os.environ.setdefault("AWS_ENDPOINT_URL", LOCAL_ENDPOINT)
    if args.env == "local":
        os.environ.setdefault("AWS_ACCESS_KEY_ID", "local")
        os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "local")
        os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
        # `make run`'s API and marketplace simulator, on the ports it reads from the same variables
        api_port = os.environ.get("API_PORT") or "3000"
        os.environ.setdefault("TIXPILOT_WEBHOOK_BASE_URL", f"http://{LOCAL_HOST}:{api_port}")
        marketplace_port = os.environ.get("MARKETPLACE_PORT") or "3200"
        for name, prefix in (("STUBHUB", "stubhub"), ("TEVO", "tevo"), ("VIVID", "vivid")):
            os.environ.setdefault(f"TIXPILOT_{name}_URL", f"http://{LOCAL_HOST}:{marketplace_port}/{prefix}")


def run(args: argparse.Namespace) -> dict[str, Any]:
    from infra.local.seed import admin_repos
    from tixpilot.repositories.reference import ReferenceRepository
    from tixpilot.services import reference, tenants

    if args.group == "receipts":
        from infra.receipts_cli import run_receipts

        return run_receipts(args)
    if args.group == "pos-credentials":
        return _set_pos_credentials(args)
    if args.group == "marketplace-credentials":
        return _set_marketplace_credentials(args)
    repos = admin_repos()
    if args.group == "demo":
        return _seed_demo(args, repos)
    if args.group == "tenant":
        tenant, issued = tenants.create_tenant(repos, args.name)
        return {"tenant_id": tenant.tenant_id, "name": tenant.name, "api_token": issued.secret}
    if args.group == "forwarder":
        from tixpilot.repositories.forwarders import ForwarderRepository

        trusted = tenants.add_forwarder(repos, ForwarderRepository(), args.tenant_id, args.address)
        return {
            "tenant_id": trusted.tenant_id,
            "address": trusted.address,
            "added": trusted.added.isoformat(),
        }
    if args.group == "domain":
        row = tenants.add_domain(repos, args.tenant_id, args.domain)
        # The row as GET /v2/domains/list shows it.
        return {
            "domain_id": row.domain_id,
            "domain": row.domain,
            "owned_by": row.tenant_id,
            "used_by": row.tenant_id,
            "defaults": {"password": "", **row.defaults.model_dump(exclude={"password"})},
        }
    if args.group == "token":
        issued, revoked = tenants.rotate_api_token(repos, args.tenant_id)
        return {"tenant_id": args.tenant_id, "api_token": issued.secret, "revoked": revoked}
    if args.action == "revoke":
        credential = tenants.revoke_marketplace_key(repos, args.tenant_id, args.credid)
        return {
            "credid": credential.credential_id,
            "tenant_id": credential.tenant_id,
            "marketplace_id": credential.marketplace_id,
            "revoked": True,
        }
    resale_ids = {m.id for m in reference.resale_marketplaces(ReferenceRepository())}
    issued = tenants.create_marketplace_key(repos, args.tenant_id, args.marketplace_id, resale_ids)
    return {
        "credid": issued.credential.credential_id,
        "key": issued.secret,
        "tenant_id": issued.credential.tenant_id,
        "marketplace_id": issued.credential.marketplace_id,
    }


def _set_pos_credentials(args: argparse.Namespace) -> dict[str, Any]:
    from tixpilot.services.pos_credentials import set_pos_credentials
    from tixpilot.wiring import components

    values = {key: value for key in WITH_CREDENTIALS[args.pos].credentials if (value := getattr(args, key))}
    set_pos_credentials(components.pos_credentials(), args.tenant_id, args.pos, values)
    return {"tenant_id": args.tenant_id, "pos": args.pos, "set": True}


def _set_marketplace_credentials(args: argparse.Namespace) -> dict[str, Any]:
    from tixpilot.errors import InvalidParameter
    from tixpilot.services.marketplace_credentials import set_credentials
    from tixpilot.settings import get_settings
    from tixpilot.wiring.marketplaces import seller_deps

    try:
        given = json.loads(args.credentials)
    except json.JSONDecodeError as exc:
        raise InvalidParameter("json", f"--json is not a JSON object ({exc})") from None
    result = set_credentials(
        seller_deps(),
        args.tenant_id,
        args.marketplace_id,
        given,
        webhook_base_url=get_settings().webhook_base_url or _deployed_api_url(args.env),
        register_webhook=args.register_webhook,
    )
    return {"tenant_id": result.tenant_id, "marketplace_id": result.marketplace_id, "set": True}


def _deployed_api_url(env: str) -> str:
    """A deployed environment's API URL (its Api stack's `ApiUrl` output), for webhook
    registrations when TIXPILOT_WEBHOOK_BASE_URL does not give it; "" when unknown."""
    if env == "local":
        return ""
    from botocore.exceptions import BotoCoreError, ClientError

    from infra.cdk.constants import stack_name
    from tixpilot import aws

    try:
        stacks = aws.client("cloudformation").describe_stacks(StackName=stack_name(env, "Api"))["Stacks"]
    except (BotoCoreError, ClientError):  # no such stack, no permission: the service says what to set
        return ""
    outputs = {o["OutputKey"]: o["OutputValue"] for s in stacks for o in s.get("Outputs", [])}
    return str(outputs.get("ApiUrl", "")).rstrip("/")


def _seed_demo(args: argparse.Namespace, repos: Any) -> dict[str, Any]:
    """Purchases for load and filter checks, with a progress bar on stderr."""
    from tqdm import tqdm

    from infra.local.demo_purchases import seed_purchases
    from tixpilot.services import tenants

    token = None
    tenant_id = args.tenant_id
    if tenant_id is None:
        tenant, issued = tenants.create_tenant(repos, "TixPilot Demo Seed")
        tenant_id, token = tenant.tenant_id, issued.secret
    with tqdm(total=args.purchases, unit="purchase", file=sys.stderr) as bar:
        result = seed_purchases(tenant_id, args.purchases, seed=args.seed, on_progress=bar.update)
    return {**result, **({"api_token": token} if token else {})}


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    _configure(args)
    from botocore.exceptions import BotoCoreError, ClientError

    from tixpilot.errors import TixPilotError

    try:
        result = run(args)
    except TixPilotError as exc:
        print(json.dumps({"error": exc.messageid, "message": exc.message}))
        return 1
    except (BotoCoreError, ClientError) as exc:
        print(json.dumps({"error": "E_AWS", "message": f"{exc} (is the local stack running? `make run`)"}))
        return 2
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
