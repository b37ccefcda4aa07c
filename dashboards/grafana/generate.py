"""Writes the Grafana dashboards in ./dashboards. Edit here, run `python3 dashboards/grafana/generate.py`, commit both.
The dashboards test evaluates every panel query against a real Prometheus."""
import json, os
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'dashboards')
DS = {"type": "prometheus", "uid": "prometheus"}
R = '$__rate_interval'
SEL = 'service=~"$service", instance=~"$instance"'

def templating(with_service=True):
    v = []
    if with_service:
        v.append({"name": "service", "label": "Service", "type": "query", "datasource": DS,
                  "query": {"query": "label_values(http_server_request_duration_seconds_count, service)", "refId": "service"},
                  "definition": "label_values(http_server_request_duration_seconds_count, service)",
                  "includeAll": True, "multi": True, "allValue": ".*", "current": {"text": "All", "value": "$__all"}, "refresh": 2})
        v.append({"name": "instance", "label": "Instance", "type": "query", "datasource": DS,
                  "query": {"query": 'label_values(http_server_active_requests{service=~"$service"}, instance)', "refId": "instance"},
                  "definition": 'label_values(http_server_active_requests{service=~"$service"}, instance)',
                  "includeAll": True, "multi": True, "allValue": ".*", "current": {"text": "All", "value": "$__all"}, "refresh": 2})
    return {"list": v}

def panel(pid, title, exprs, x, y, w=12, h=8, unit="short", kind="timeseries", desc="", exemplar=False):
    targets = []
    for i, (expr, legend) in enumerate(exprs):
        t = {"refId": chr(65 + i), "datasource": DS, "expr": expr, "legendFormat": legend}
        if exemplar:
            t["exemplar"] = True
        targets.append(t)
    return {"id": pid, "type": kind, "title": title, "description": desc, "datasource": DS,
            "gridPos": {"x": x, "y": y, "w": w, "h": h}, "targets": targets,
            "fieldConfig": {"defaults": {"unit": unit}, "overrides": []}, "options": {}}

# Every dashboard shades the windows of the faults in place: those the
# experiment runner announces on chaos-proxy (containers, surges, its toxics)
# and toxics added by hand (the runner's own, named chaos-run-*, are in the first).
FAULT_WINDOWS_EXPR = ('max by (fault, kind, target) (chaos_fault_active) > 0'
                      ' or max by (toxic, kind, proxy) (chaos_proxy_active_toxics{toxic!~"chaos-run-.*"}) > 0')
FAULT_WINDOWS = {"name": "Fault windows", "datasource": DS, "enable": True, "hide": False,
                 "iconColor": "rgba(242, 73, 92, 0.6)", "expr": FAULT_WINDOWS_EXPR, "step": "5s",
                 "titleFormat": "fault: {{fault}}{{toxic}}", "textFormat": "{{kind}} on {{target}}{{proxy}}",
                 "tagKeys": "kind", "useValueForTime": False}

def dashboard(uid, title, desc, panels, with_service=True, tags=()):
    return {"uid": uid, "title": title, "description": desc, "tags": ["testbed", *tags], "timezone": "browser",
            "schemaVersion": 39, "version": 1, "editable": True, "refresh": "10s",
            "time": {"from": "now-30m", "to": "now"}, "templating": templating(with_service), "panels": panels,
            "annotations": {"list": [FAULT_WINDOWS]}}

def layout(specs):
    panels = []
    for i, spec in enumerate(specs):
        x = 0 if i % 2 == 0 else 12
        y = (i // 2) * 8
        panels.append(panel(i + 1, *spec[:2], x, y, **spec[2]))
    return panels

count = 'http_server_request_duration_seconds_count'
bucket = 'http_server_request_duration_seconds_bucket'
ccount = 'http_client_request_duration_seconds_count'
cbucket = 'http_client_request_duration_seconds_bucket'

overview = dashboard("shop-overview", "Shop overview",
    "RED per service and route (rate, errors, duration), who calls whom, and what holds resources.",
    layout([
        ("Requests per second, by service", [(f'sum by (service) (rate({count}{{{SEL}}}[{R}]))', "{{service}}")], dict(unit="reqps")),
        ("Error ratio (5xx), by service", [(f'(sum by (service) (rate({count}{{{SEL}, http_response_status_code=~"5.."}}[{R}])) or sum by (service) (rate({count}{{{SEL}}}[{R}])) * 0) / sum by (service) (rate({count}{{{SEL}}}[{R}]))', "{{service}}")], dict(unit="percentunit")),
        ("p95 latency, by route (exemplars link to traces)", [(f'histogram_quantile(0.95, sum by (le, service, http_route) (rate({bucket}{{{SEL}}}[{R}])))', "{{service}} {{http_route}}")], dict(unit="s", exemplar=True)),
        ("Requests per second, by route and status", [(f'sum by (service, http_route, http_response_status_code) (rate({count}{{{SEL}}}[{R}]))', "{{service}} {{http_route}} {{http_response_status_code}}")], dict(unit="reqps")),
        ("Service dependencies: calls per second, caller → callee", [(f'sum by (service, peer_service) (rate({ccount}{{{SEL}}}[{R}]))', "{{service}} → {{peer_service}}")], dict(unit="reqps", kind="table")),
        ("Dependency calls not answered 2xx, caller → callee", [(f'sum by (service, peer_service, http_response_status_code) (rate({ccount}{{{SEL}, http_response_status_code!~"2.."}}[{R}]))', "{{service}} → {{peer_service}} {{http_response_status_code}}")], dict(unit="reqps")),
        ("Requests in flight", [(f'sum by (service) (http_server_active_requests{{{SEL}}})', "{{service}}")], dict()),
        ("Database connections in use", [(f'sum by (service, state) (db_client_connections_usage{{{SEL}}})', "{{service}} {{state}}"), (f'sum by (service) (db_client_connections_max{{{SEL}}})', "{{service}} max")], dict()),
    ]), tags=("red",))

checkout = dashboard("checkout", "Checkout and saga",
    "Orders by outcome, why sagas compensate, payments, stock, and the events that carry the outcome.",
    layout([
        ("Orders per second, by outcome", [(f'sum by (outcome) (rate(orders_total[{R}]))', "{{outcome}}")], dict(unit="reqps")),
        ("Saga compensations, by reason", [(f'sum by (reason) (rate(saga_compensations_total[{R}]))', "{{reason}}")], dict(unit="reqps")),
        ("Payments, by operation and outcome", [(f'sum by (operation, outcome) (rate(payments_total[{R}]))', "{{operation}} {{outcome}}")], dict(unit="reqps")),
        ("Stock reservations, by outcome", [(f'sum by (outcome) (rate(inventory_reservations_total[{R}]))', "{{outcome}}")], dict(unit="reqps")),
        ("Checkout latency (POST /api/v1/orders at the gateway)", [(f'histogram_quantile(0.5, sum by (le) (rate({bucket}{{service="gateway", http_route="/api/v1/orders", http_request_method="POST"}}[{R}])))', "p50"), (f'histogram_quantile(0.99, sum by (le) (rate({bucket}{{service="gateway", http_route="/api/v1/orders", http_request_method="POST"}}[{R}])))', "p99")], dict(unit="s", exemplar=True)),
        ("Outbox backlog (events not yet published)", [('sum by (service) (outbox_pending_messages)', "{{service}}")], dict()),
        ("Messages consumed, by queue and outcome", [(f'sum by (queue, outcome) (rate(messaging_consumed_messages_total[{R}]))', "{{queue}} {{outcome}}")], dict(unit="reqps")),
        ("Consumer lag (messages waiting)", [('sum by (queue) (messaging_consumer_lag_messages)', "{{queue}}")], dict()),
        ("Notifications, by kind and status", [(f'sum by (kind, status) (rate(notifications_total[{R}]))', "{{kind}} {{status}}")], dict(unit="reqps")),
    ]), with_service=False, tags=("business",))

rcalls = 'resilience_calls_total'
zero_per_dependency = f'sum by (service, peer_service) (rate({rcalls}{{{SEL}}}[{R}])) * 0'
resilience = dashboard("resilience", "Resilience",
    "How the shop protects itself: circuit breakers, retries and their budget, timeouts, bulkheads, rate limits, load shedding, the cache standing in for catalog.",
    layout([
        ("Circuit breaker state, caller → dependency (0 closed, 1 half-open, 2 open)", [(f'max by (service, peer_service) (resilience_breaker_state{{{SEL}}})', "{{service}} → {{peer_service}}")], dict()),
        ("Breaker transitions, by new state", [(f'sum by (service, peer_service, to) (rate(resilience_breaker_transitions_total{{{SEL}}}[{R}])) or {zero_per_dependency}', "{{service}} → {{peer_service}} {{to}}")], dict(unit="ops")),
        ("Dependency calls, by outcome", [(f'sum by (service, peer_service, outcome) (rate({rcalls}{{{SEL}}}[{R}]))', "{{service}} → {{peer_service}} {{outcome}}")], dict(unit="reqps")),
        ("Timeouts and calls refused by breaker or bulkhead", [(f'sum by (service, peer_service, outcome) (rate({rcalls}{{{SEL}, outcome=~"timeout|rejected_by_breaker|rejected_by_bulkhead"}}[{R}])) or {zero_per_dependency}', "{{service}} → {{peer_service}} {{outcome}}")], dict(unit="reqps")),
        ("Retries, and retries refused by the budget", [(f'sum by (service, peer_service) (rate(resilience_retries_total{{{SEL}}}[{R}])) or {zero_per_dependency}', "{{service}} → {{peer_service}} retries"), (f'sum by (service, peer_service) (rate(resilience_retry_budget_exhausted_total{{{SEL}}}[{R}])) or {zero_per_dependency}', "{{service}} → {{peer_service}} budget spent")], dict(unit="ops")),
        ("Dependency latency p99, caller → callee", [(f'histogram_quantile(0.99, sum by (le, service, peer_service) (rate({cbucket}{{{SEL}}}[{R}])))', "{{service}} → {{peer_service}}")], dict(unit="s", exemplar=True)),
        ("Rate-limit rejections (429), by client kind", [(f'sum by (client_kind) (rate(gateway_rate_limited_requests_total[{R}]))', "{{client_kind}}")], dict(unit="reqps")),
        ("Shed or overloaded (503), by service", [(f'sum by (service) (rate({count}{{{SEL}, http_response_status_code="503"}}[{R}])) or sum by (service) (rate({count}{{{SEL}}}[{R}])) * 0', "{{service}}")], dict(unit="reqps")),
        ("Catalog reads, by cache outcome (STALE/FALLBACK: catalog failed)", [(f'sum by (result) (rate(gateway_cache_requests_total[{R}]))', "{{result}}")], dict(unit="reqps")),
        ("Refused access tokens, by reason", [(f'sum by (reason) (rate(gateway_rejected_tokens_total[{R}]))', "{{reason}}")], dict(unit="reqps")),
        ("Dead-lettered messages, by queue", [(f'sum by (queue) (rate(messaging_consumed_messages_total{{outcome="rejected"}}[{R}])) or sum by (queue) (rate(messaging_consumed_messages_total[{R}])) * 0', "{{queue}}")], dict(unit="reqps")),
        ("Saga steps deferred for a retry, by step", [(f'sum by (step) (rate(saga_step_retries_total[{R}])) or sum(rate(orders_total[{R}])) * 0', "{{step}}")], dict(unit="ops")),
    ]), tags=("resilience",))

load = dashboard("load-test", "Load test",
    "What a load run drives through the gateway: throughput, latency and errors per route.",
    layout([
        ("Gateway requests, load test vs clients (x-load-test header)", [(f'sum by (origin) (rate(gateway_requests_total[{R}]))', "{{origin}}")], dict(unit="reqps")),
        ("Gateway throughput, by route", [(f'sum by (http_route) (rate({count}{{service="gateway"}}[{R}]))', "{{http_route}}")], dict(unit="reqps")),
        ("Gateway p95 / p99 latency", [(f'histogram_quantile(0.95, sum by (le) (rate({bucket}{{service="gateway"}}[{R}])))', "p95"), (f'histogram_quantile(0.99, sum by (le) (rate({bucket}{{service="gateway"}}[{R}])))', "p99")], dict(unit="s", exemplar=True)),
        ("Gateway answers, by status", [(f'sum by (http_response_status_code) (rate({count}{{service="gateway"}}[{R}]))', "{{http_response_status_code}}")], dict(unit="reqps")),
        ("Gateway error ratio (5xx)", [(f'(sum(rate({count}{{service="gateway", http_response_status_code=~"5.."}}[{R}])) or vector(0)) / sum(rate({count}{{service="gateway"}}[{R}]))', "5xx ratio")], dict(unit="percentunit")),
        ("Requests in flight, by service", [(f'sum by (service) (http_server_active_requests)', "{{service}}")], dict()),
        ("Orders per second, by outcome", [(f'sum by (outcome) (rate(orders_total[{R}]))', "{{outcome}}")], dict(unit="reqps")),
    ]), with_service=False, tags=("load",))

chaos = dashboard("chaos", "Chaos",
    "What a fault does to callers: answers and latency per dependency, and the backlogs that absorb an outage.",
    layout([
        ("Dependency calls, by caller → callee and status", [(f'sum by (service, peer_service, http_response_status_code) (rate({ccount}{{{SEL}}}[{R}]))', "{{service}} → {{peer_service}} {{http_response_status_code}}")], dict(unit="reqps")),
        ("Dependency latency p95, caller → callee", [(f'histogram_quantile(0.95, sum by (le, service, peer_service) (rate({cbucket}{{{SEL}}}[{R}])))', "{{service}} → {{peer_service}}")], dict(unit="s", exemplar=True)),
        ("Outbox backlog", [('sum by (service) (outbox_pending_messages)', "{{service}}")], dict()),
        ("Consumer lag", [('sum by (queue) (messaging_consumer_lag_messages)', "{{queue}}")], dict()),
        ("Orders per second, by outcome", [(f'sum by (outcome) (rate(orders_total[{R}]))', "{{outcome}}")], dict(unit="reqps")),
        ("Saga compensations, by reason", [(f'sum by (reason) (rate(saga_compensations_total[{R}]))', "{{reason}}")], dict(unit="reqps")),
        ("Faults injected by chaos-proxy, by proxy and kind", [(f'sum by (proxy, kind) (rate(chaos_proxy_faults_injected_total[{R}]))', "{{proxy}} {{kind}}")], dict(unit="ops")),
        ("Toxics in place, by proxy and kind", [('sum by (proxy, kind) (chaos_proxy_active_toxics)', "{{proxy}} {{kind}}")], dict()),
        ("Traffic through chaos-proxy, by proxy and direction", [(f'sum by (proxy, direction) (rate(chaos_proxy_bytes_total[{R}]))', "{{proxy}} {{direction}}")], dict(unit="Bps")),
        ("Proxies taken down (0 = refusing connections)", [('min by (proxy) (chaos_proxy_enabled)', "{{proxy}}")], dict()),
    ]), tags=("chaos",))

for d in (overview, checkout, resilience, load, chaos):
    with open(os.path.join(OUT, d["uid"] + ".json"), "w") as f:
        json.dump(d, f, indent=2)
        f.write("\n")
print("ok")
