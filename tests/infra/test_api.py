"""Every FunctionDef route is a method of the RestApi, proxied to its function, behind a
throttled, access-logged, traced stage."""

from __future__ import annotations

import json

import pytest

from infra.definitions import gateway as answers
from infra.definitions.functions import api_functions
from infra.local.gateway import Gateway

pytestmark = pytest.mark.infra


def _rest_api(synthesized):
    api = synthesized.stack("Api")
    rest_api_id, _ = api.one("AWS::ApiGateway::RestApi", Name=f"tixpilot-{synthesized.env}-api")
    return api, rest_api_id


def _paths(api, rest_api_id: str) -> dict[str, str]:
    """Resource logical id -> full path."""
    resources = api.of_type("AWS::ApiGateway::Resource")
    paths: dict[str, str] = {}

    def path_of(logical_id: str) -> str:
        if logical_id not in paths:
            props = resources[logical_id]["Properties"]
            assert api.referenced_id(props["RestApiId"]) == rest_api_id
            parent = api.render(props["ParentId"])
            prefix = (
                ""
                if parent == f"{{GetAtt:{rest_api_id}.RootResourceId}}"
                else path_of(api.referenced_id(props["ParentId"]))
            )
            paths[logical_id] = f"{prefix}/{props['PathPart']}"
        return paths[logical_id]

    for logical_id in resources:
        path_of(logical_id)
    return paths


def test_every_route_is_a_proxy_method_to_its_function(synthesized):
    api, rest_api_id = _rest_api(synthesized)
    paths = _paths(api, rest_api_id)
    expected = {
        (route.method, route.path): f"tixpilot-{synthesized.env}-{definition.id}"
        for definition in api_functions()
        for route in definition.routes
    }

    methods = {}
    for method in api.of_type("AWS::ApiGateway::Method").values():
        props = method["Properties"]
        path = (
            "/"
            if "RootResourceId" in api.render(props["ResourceId"])
            else paths[api.referenced_id(props["ResourceId"])]
        )
        assert props["AuthorizationType"] == "NONE"  # x-api-token is checked by the handlers
        integration = props["Integration"]
        if props["HttpMethod"] == "ANY":
            continue  # the 405 mock (test_a_method_a_route_does_not_take_is_a_405_as_locally)
        assert integration["Type"] == "AWS_PROXY"
        assert integration["IntegrationHttpMethod"] == "POST"
        uri = api.render(integration["Uri"])
        if "{GetAtt:" in uri:  # the function itself
            function_id = uri.split("{GetAtt:")[1].split(".Arn}")[0]
        else:  # with SnapStart (staging, prod): the alias `live` of its published version
            alias = api.resources[uri.split("{Ref:")[1].split("}")[0]]
            assert alias["Type"] == "AWS::Lambda::Alias" and alias["Properties"]["Name"] == "live"
            function_id = api.referenced_id(alias["Properties"]["FunctionName"])
            snap = api.resources[function_id]["Properties"]["SnapStart"]
            assert snap == {"ApplyOn": "PublishedVersions"} and synthesized.config.snap_start
        methods[(props["HttpMethod"], path)] = api.resources[function_id]["Properties"]["FunctionName"]

    assert methods == expected


def test_stage_is_throttled_logged_and_traced(synthesized):
    api, rest_api_id = _rest_api(synthesized)
    _, stage = api.one("AWS::ApiGateway::Stage", StageName=synthesized.env)
    props = stage["Properties"]
    config = synthesized.config

    assert api.referenced_id(props["RestApiId"]) == rest_api_id
    assert props["TracingEnabled"] is True
    by_method = {(m["HttpMethod"], m["ResourcePath"]): m for m in props["MethodSettings"]}
    settings = by_method.pop(("*", "/*"))
    assert settings["ThrottlingRateLimit"] == config.api_throttle_rate
    assert settings["ThrottlingBurstLimit"] == config.api_throttle_burst
    assert settings["DataTraceEnabled"] is False  # would log the x-api-token header
    # public routes (marketplace webhooks) throttled on their own, tighter, and never traced
    public = {
        (route.method, route.path.replace("/", "~1"))
        for definition in api_functions()
        for route in definition.routes
        if route.public
    }
    assert public and set(by_method) == {(method, f"/{path}") for method, path in public}
    for method_settings in by_method.values():
        assert method_settings["ThrottlingRateLimit"] < config.api_throttle_rate
        assert method_settings["ThrottlingBurstLimit"] < config.api_throttle_burst
        assert method_settings["DataTraceEnabled"] is False

    access_log = props["AccessLogSetting"]
    destination = api.render(access_log["DestinationArn"])
    log_group_id = destination.split("{Ref:")[1].split("}")[0]
    log_group = api.resources[log_group_id]
    assert log_group["Type"] == "AWS::Logs::LogGroup"
    assert log_group["Properties"]["RetentionInDays"] == config.log_retention_days
    fields = json.loads(access_log["Format"])
    assert {"requestId", "ip", "httpMethod", "resourcePath", "status"} <= set(fields)
    assert not any("header" in value.lower() for value in fields.values())


def test_each_function_may_be_invoked_by_this_api_only(synthesized):
    api, rest_api_id = _rest_api(synthesized)
    permissions = api.of_type("AWS::Lambda::Permission").values()
    assert permissions
    for permission in permissions:
        props = permission["Properties"]
        assert props["Principal"] == "apigateway.amazonaws.com"
        assert f"{{Ref:{rest_api_id}}}" in api.render(props["SourceArn"])


def test_unknown_routes_answer_in_the_api_envelope(synthesized):
    api, _ = _rest_api(synthesized)
    _, response = api.one("AWS::ApiGateway::GatewayResponse", ResponseType="MISSING_AUTHENTICATION_TOKEN")
    assert response["Properties"]["StatusCode"] == "404"
    body = json.loads(response["Properties"]["ResponseTemplates"]["application/json"])
    assert body["result"]["status"] == "error"
    assert body["result"]["messageid"] == "E_NOT_FOUND"


def test_webhook_functions_know_the_url_the_marketplaces_are_given(synthesized):
    api, rest_api_id = _rest_api(synthesized)
    for definition in api_functions():
        _, _, function = synthesized.function(definition.id)
        variables = function["Properties"]["Environment"]["Variables"]
        if not any(route.public for route in definition.routes):
            assert "TIXPILOT_WEBHOOK_BASE_URL" not in variables
            continue
        url = api.render(variables["TIXPILOT_WEBHOOK_BASE_URL"])
        assert url == (
            f"https://{{Ref:{rest_api_id}}}.execute-api.${{AWS::Region}}.${{AWS::URLSuffix}}/{synthesized.env}"
        )


def test_a_method_a_route_does_not_take_is_a_405_as_locally(synthesized):
    """Each route's resource has an ANY mock: no function runs, and the status, Allow header and
    envelope are what the local gateway answers (the method comes from $context.httpMethod)."""
    api, rest_api_id = _rest_api(synthesized)
    paths = _paths(api, rest_api_id)
    mocks = {}
    for method in api.of_type("AWS::ApiGateway::Method").values():
        props = method["Properties"]
        if props["HttpMethod"] != "ANY":
            continue
        integration = props["Integration"]
        assert integration["Type"] == "MOCK" and props["AuthorizationType"] == "NONE"
        [response] = integration["IntegrationResponses"]
        assert response["StatusCode"] == "405" and "SelectionPattern" not in response
        assert [r["StatusCode"] for r in props["MethodResponses"]] == ["405"]
        mocks[paths[api.referenced_id(props["ResourceId"])]] = response
    assert set(mocks) == set(answers.allowed_methods())

    local = Gateway(lambdas=None)  # type: ignore[arg-type]  # a 405 never reaches a function
    for path, response in mocks.items():
        concrete = path.replace("{order_id}", "A-1")
        answered = local.handle("PATCH", concrete, {}, b"")
        assert answered["statusCode"] == 405
        allow = response["ResponseParameters"]["method.response.header.Allow"]
        assert allow == f"'{answered['headers']['Allow']}'"
        template = response["ResponseTemplates"]["application/json"]
        assert template.replace("$context.httpMethod", "PATCH") == answered["body"]
