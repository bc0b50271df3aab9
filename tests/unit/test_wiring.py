"""The composition root: one instance per container of each repository, shared by every user."""

from __future__ import annotations

from tixpilot.wiring import components
from tixpilot.wiring.accounts import account_deps
from tixpilot.wiring.intake import intake_repos
from tixpilot.wiring.oi import order_repos
from tixpilot.wiring.pipeline import crawl_deps, pipeline_deps, pipeline_runs, po_deps
from tixpilot.wiring.purchases import purchase_repos
from tixpilot.wiring.sales import sales_repos


def test_quickpo_recordpo_search_intake_and_the_pipeline_share_one_purchase_repository():
    purchases = components.purchases()  # recordpo, getpdf and search use it directly
    assert po_deps().purchases is purchases  # QuickPO and AutoPO
    assert purchase_repos().purchases is purchases
    assert pipeline_deps().repos.purchases is purchases
    assert intake_repos().purchases.purchases is purchases
    assert crawl_deps().pipeline is pipeline_deps()


def test_each_repository_exists_once_whoever_asks():
    assert account_deps().tenants is components.tenants() is po_deps().tenants is sales_repos().tenants
    assert account_deps().accounts is components.accounts() is crawl_deps().accounts
    assert order_repos().sales is components.sales() is sales_repos().sales
    assert intake_repos().pipeline is pipeline_runs() is crawl_deps().starter
    assert pipeline_runs().executions is components.pipeline_starter()
    assert pipeline_runs().purchases is components.purchases()
    assert account_deps() is account_deps() and sales_repos() is sales_repos()
