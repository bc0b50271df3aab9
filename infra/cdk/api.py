"""The REST API: one resource per route path, a Lambda proxy method per route.

Authentication is the legacy `x-api-token` header, checked by the handlers against hashed
tokens in DynamoDB, so every method is `AuthorizationType.NONE` at the gateway. Public routes
(the marketplaces' webhooks, `Route.public`) are checked by their handlers the marketplace's own
way, and throttled on their own at a quarter of the stage's rates, so a flood of forged
deliveries cannot use up what the API's clients are allowed.

Trailing slashes: a resource's path part cannot be empty, so `/v2/verify/` cannot be declared.
REST APIs are reported to route it to the `/v2/verify` resource with the slash kept in the
event's `path` (powertools-lambda-python #1552), and `APIGatewayRestResolver` matches routes
with `/*$` since then; AWS's documentation does not say so, so an e2e check after the first
deploy should confirm it.
"""

from __future__ import annotations

import json

from aws_cdk import Aws, RemovalPolicy
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra.cdk import constants
from infra.cdk.config import EnvConfig
from infra.cdk.functions import SharedLayers, TixPilotFunction
from infra.cdk.nag import acknowledge
from infra.definitions import gateway as answers
from infra.definitions.functions import api_functions
from tixpilot.settings import WEBHOOK_BASE_URL

# Public routes get this share of the stage's throttle (rate and burst).
PUBLIC_THROTTLE_SHARE = 0.25

# What each access log line records; never headers (the token travels in one).
_ACCESS_LOG_FIELDS = {
    "requestId": apigw.AccessLogField.context_request_id(),
    "extendedRequestId": apigw.AccessLogField.context_extended_request_id(),
    "requestTime": apigw.AccessLogField.context_request_time(),
    "ip": apigw.AccessLogField.context_identity_source_ip(),
    "httpMethod": apigw.AccessLogField.context_http_method(),
    "resourcePath": apigw.AccessLogField.context_resource_path(),
    "path": apigw.AccessLogField.context_path(),
    "protocol": apigw.AccessLogField.context_protocol(),
    "status": apigw.AccessLogField.context_status(),
    "responseLength": apigw.AccessLogField.context_response_length(),
    "responseLatency": apigw.AccessLogField.context_response_latency(),
    "integrationLatency": apigw.AccessLogField.context_integration_latency(),
    "errorType": apigw.AccessLogField.context_error_response_type(),
    "xrayTraceId": apigw.AccessLogField.context_xray_trace_id(),
}


class Api(Construct):
    """The API functions of `infra.definitions.FUNCTIONS` behind one RestApi."""

    def __init__(
        self, scope: Construct, construct_id: str, *, config: EnvConfig, layers: SharedLayers
    ) -> None:
        super().__init__(scope, construct_id)
        self.functions: dict[str, TixPilotFunction] = {
            definition.id: TixPilotFunction(
                self, definition.id, definition=definition, config=config, layers=layers
            )
            for definition in api_functions()
        }

        self.access_log_group = logs.LogGroup(
            self,
            "AccessLogs",
            log_group_name=f"/aws/apigateway/{constants.api_name(config.name)}/access",
            retention=config.log_retention,
            removal_policy=config.cdk_removal_policy,
        )
        self.stage_name = config.name
        self.rest_api = apigw.RestApi(
            self,
            "RestApi",
            rest_api_name=constants.api_name(config.name),
            description="TixPilot API (1Ticket-compatible); auth is x-api-token, checked by the handlers",
            endpoint_types=[apigw.EndpointType.REGIONAL],
            fail_on_warnings=True,
            # Execution logs (ERROR level) need API Gateway's account-wide CloudWatch role; kept
            # on stack deletion because other stacks in the account/region rely on it.
            cloud_watch_role=True,
            cloud_watch_role_removal_policy=RemovalPolicy.RETAIN,
            deploy_options=apigw.StageOptions(
                stage_name=self.stage_name,
                throttling_rate_limit=config.api_throttle_rate,
                throttling_burst_limit=config.api_throttle_burst,
                method_options={
                    f"{route.path}/{route.method}": apigw.MethodDeploymentOptions(
                        throttling_rate_limit=max(1.0, config.api_throttle_rate * PUBLIC_THROTTLE_SHARE),
                        throttling_burst_limit=max(1, int(config.api_throttle_burst * PUBLIC_THROTTLE_SHARE)),
                        logging_level=apigw.MethodLoggingLevel.ERROR,
                        data_trace_enabled=False,
                    )
                    for definition in api_functions()
                    for route in definition.routes
                    if route.public
                },
                tracing_enabled=True,
                logging_level=apigw.MethodLoggingLevel.ERROR,
                data_trace_enabled=False,  # would log request bodies and the token header
                access_log_destination=apigw.LogGroupLogDestination(self.access_log_group),
                access_log_format=apigw.AccessLogFormat.custom(
                    json.dumps({key: str(field) for key, field in _ACCESS_LOG_FIELDS.items()})
                ),
            ),
        )

        # What the marketplaces are given as the webhook URLs' base (and sign over): built from the
        # API's id, not `rest_api.url`, which would make the function depend on the stage that
        # depends on the function's own methods.
        self.base_url = (
            f"https://{self.rest_api.rest_api_id}.execute-api.{Aws.REGION}.{Aws.URL_SUFFIX}/{self.stage_name}"
        )
        for function in self.functions.values():
            if any(route.public for route in function.definition.routes):
                function.function.add_environment(WEBHOOK_BASE_URL, self.base_url)
            integration = apigw.LambdaIntegration(function.target, proxy=True, allow_test_invoke=False)
            for route in function.definition.routes:
                resource = self.rest_api.root.resource_for_path(route.path)
                resource.add_method(
                    route.method, integration, authorization_type=apigw.AuthorizationType.NONE
                )
        for path, methods in answers.allowed_methods().items():
            self._method_not_allowed(self.rest_api.root.resource_for_path(path), path, methods)

        self._gateway_responses()
        self._acknowledge()

    def _method_not_allowed(self, resource: apigw.Resource, path: str, methods: tuple[str, ...]) -> None:
        """`ANY` on a route's resource answers every method the route does not take: a 405 in
        the envelope with `Allow`, from a mock integration (the declared methods win over ANY,
        and no function runs). The local gateway answers the same (infra/definitions/gateway.py)."""
        allow = ", ".join(methods)
        headers = {
            "method.response.header.Allow": f"'{allow}'",
            "method.response.header.Content-Type": "'application/json'",
        }
        body = answers.envelope(
            answers.NOT_ALLOWED_ID, answers.method_not_allowed(path, methods, "$context.httpMethod")
        )
        resource.add_method(
            "ANY",
            apigw.MockIntegration(
                # whatever the request's content type, the mock answers and the one response applies
                passthrough_behavior=apigw.PassthroughBehavior.WHEN_NO_TEMPLATES,
                request_templates={"application/json": '{"statusCode": 405}'},
                integration_responses=[
                    apigw.IntegrationResponse(
                        status_code="405",
                        response_parameters=headers,
                        response_templates={"application/json": body},
                    )
                ],
            ),
            authorization_type=apigw.AuthorizationType.NONE,
            method_responses=[
                apigw.MethodResponse(status_code="405", response_parameters=dict.fromkeys(headers, True))
            ],
        )

    def _gateway_responses(self) -> None:
        """Answers the gateway gives on its own, in the API's envelope instead of AWS's."""
        json_type = {"gatewayresponse.header.Content-Type": "'application/json'"}
        self.rest_api.add_gateway_response(
            "NoSuchRoute",
            # What API Gateway answers for a path it has no resource for (a method a resource does
            # not take reaches its ANY mock: a 405).
            type=apigw.ResponseType.MISSING_AUTHENTICATION_TOKEN,
            status_code="404",
            response_headers=json_type,
            templates={
                "application/json": answers.envelope(
                    answers.NOT_FOUND_ID, answers.no_endpoint("$context.path")
                )
            },
        )
        self.rest_api.add_gateway_response(
            "Throttled",
            type=apigw.ResponseType.THROTTLED,
            status_code="429",
            response_headers={**json_type, "gatewayresponse.header.Retry-After": "'1'"},
            templates={
                "application/json": answers.envelope(
                    "E_THROTTLED", "Too many requests: slow down and retry after a second."
                )
            },
        )
        self.rest_api.add_gateway_response(
            "Default5xx",
            type=apigw.ResponseType.DEFAULT_5_XX,
            response_headers=json_type,
            templates={"application/json": answers.envelope("E_INTERNAL", "Internal error; retry later.")},
        )

    def _acknowledge(self) -> None:
        auth_reason = (
            "Authentication is the legacy 1Ticket x-api-token header, checked inside every "
            "handler against SHA-256 hashed tokens in DynamoDB (one token, one tenant), which "
            "clients of the legacy API require; a gateway authorizer would add a second lookup "
            "and latency to every call for the same check."
        )
        acknowledge(self.rest_api, "APIG4", auth_reason)
        acknowledge(self.rest_api, "COG4", auth_reason)
        acknowledge(
            self.rest_api,
            "APIG2",
            "Request validation is done by the Powertools resolver (enable_validation=True) with "
            "the pydantic models that also generate /openapi.json; legacy error envelopes and "
            "messages can only be produced there.",
        )
        acknowledge(
            self.rest_api,
            "APIG3",
            "No WAF in front of the API yet: stage throttling and per-token auth limit abuse; a "
            "WAFv2 web ACL is an account-level cost decision to revisit before opening signups.",
        )
        acknowledge(
            self.rest_api,
            "IAM4",
            "API Gateway's account-wide CloudWatch role uses the AWS-maintained "
            "AmazonAPIGatewayPushToCloudWatchLogs policy, the documented policy for that role.",
            "Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs",
        )

    @property
    def url(self) -> str:
        return self.rest_api.url
