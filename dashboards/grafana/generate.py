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

# Panel descriptions (Grafana Markdown, shown under the (i) of each panel):
# what the panel shows, what the matching chaos experiment makes it do
# (thresholds from chaos/experiments/*.toml, measured outcomes from
# docs/chaos.md), and the pattern it watches. This repository names no
# canonical URL, so a pattern is referred to in plain text by its section
# heading and its row in docs/patterns.md; `pattern` fails when either is
# missing there, so a renamed row cannot leave a dangling reference.
PATTERNS_MD = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'docs', 'patterns.md')
DATA = "Data and messaging"
RES = "Resilience: one client stack for every outbound call"
EDGE = "Edge"
OBS = "Observability"
LOKI = {"type": "loki", "uid": "loki"}

def pattern(section, *rows):
    with open(PATTERNS_MD) as f:
        body = f.read().split("\n## " + section + "\n", 1)
    if len(body) < 2:
        raise SystemExit(f"docs/patterns.md has no section '## {section}'")
    body = body[1].split("\n## ", 1)[0]
    for row in rows:
        if "\n| " + row + " |" not in body:
            raise SystemExit(f"docs/patterns.md § {section} has no row '{row}'")
    return f"docs/patterns.md § {section} — {'; '.join(rows)}"

def about(shows, effect, watches):
    return f"{shows} {effect}\n\nPattern: {watches}"

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
LOAD_REQUESTS = 'shop_load_requests_total'
LOAD_BUCKET = 'shop_load_request_duration_seconds_bucket'
bucket = 'http_server_request_duration_seconds_bucket'
ccount = 'http_client_request_duration_seconds_count'
cbucket = 'http_client_request_duration_seconds_bucket'


def logs_panel(pid, y, desc):
    """Log lines from Loki (OTLP records, `service_name` is the resource's
    service.name), for the services picked in the dashboard's variable."""
    return {"id": pid, "type": "logs", "title": "Logs", "description": desc, "datasource": LOKI,
            "gridPos": {"x": 0, "y": y, "w": 24, "h": 10},
            "targets": [{"refId": "A", "datasource": LOKI, "expr": '{service_name=~"$service"}'}],
            "options": {"showTime": True, "wrapLogMessage": True, "enableLogDetails": True,
                        "sortOrder": "Descending", "dedupStrategy": "none", "prettifyLogMessage": False}}

def edges(expr, source, target):
    """Series of `expr` as Node Graph edges: labels `source`, `target` and
    `id` ("source → target") copied from two of its labels."""
    return (f'label_join(label_replace(label_replace({expr}, "source", "$1", "{source}", "(.*)"),'
            f' "target", "$1", "{target}", "(.*)"), "id", " → ", "source", "target")')

consumed = 'messaging_consumed_messages_total'
def ratio(failed, every, by):
    return f'(sum by ({by}) ({failed}) or sum by ({by}) ({every}) * 0) / sum by ({by}) ({every})'

# The service map: one edge per caller → callee (HTTP, counted by the
# caller) and per producer → queue → consumer (counted by the consumer, the
# producer from the message's app-id). Three queries, merged into one edges
# frame by `id`: calls per second (main stat), the share that failed (5xx or
# no answer; dead-lettered or retried), p95 (HTTP). Nodes come from the edges.
HTTP_5XX = 'http_response_status_code=~"5..|0"'
FAILED_MSG = 'outcome=~"rejected|retried"'
SERVICE_MAP_QUERIES = [
    ('sum by (id, source, target) ('
     + edges(f'sum by (service, peer_service) (rate({ccount}[{R}]))', "service", "peer_service")
     + ' or ' + edges(f'sum by (producer, queue) (rate({consumed}[{R}]))', "producer", "queue")
     + ' or ' + edges(f'sum by (queue, service) (rate({consumed}[{R}]))', "queue", "service") + ')'),
    ('sum by (id, source, target) ('
     + edges(ratio(f'rate({ccount}{{{HTTP_5XX}}}[{R}])', f'rate({ccount}[{R}])', "service, peer_service"), "service", "peer_service")
     + ' or ' + edges(ratio(f'rate({consumed}{{{FAILED_MSG}}}[{R}])', f'rate({consumed}[{R}])', "queue, service"), "queue", "service") + ')'),
    ('sum by (id, source, target) ('
     + edges(f'histogram_quantile(0.95, sum by (le, service, peer_service) (rate({cbucket}[{R}])))', "service", "peer_service") + ')'),
]

def service_map(pid, y, desc):
    targets = [{"refId": ref, "datasource": DS, "expr": q, "format": "table", "instant": True}
               for ref, q in zip("ABC", SERVICE_MAP_QUERIES)]
    return {"id": pid, "type": "nodeGraph", "title": "Service map", "description": desc, "datasource": DS,
            "gridPos": {"x": 0, "y": y, "w": 24, "h": 14}, "targets": targets,
            "transformations": [
                {"id": "merge", "options": {}},
                {"id": "organize", "options": {"excludeByName": {"Time": True},
                    "renameByName": {"Value #A": "mainstat", "Value #B": "secondarystat", "Value #C": "detail__p95 (s)"}}}],
            "fieldConfig": {"defaults": {}, "overrides": []},
            "options": {"edges": {"mainStatUnit": "reqps", "secondaryStatUnit": "percentunit"}}}

def below(panels):
    return max(p["gridPos"]["y"] + p["gridPos"]["h"] for p in panels)

overview = dashboard("shop-overview", "Shop overview",
    "RED per service and route (rate, errors, duration), who calls whom, and what holds resources.",
    layout([
        ("Requests per second, by service", [(f'sum by (service) (rate({count}{{{SEL}}}[{R}]))', "{{service}}")], dict(unit="reqps",
            desc=about('Requests each service answers per second (`http_server_request_duration_seconds_count`), for the services and instances picked above.',
                       "In `gateway-overload` (60 anonymous users with no think time, 30 s) the gateway's line jumps: refused requests count too, at least 20/s expected and up to 5,524/s measured.",
                       pattern(RES, "Rate limiting per user / per IP, 429 + Retry-After")))),
        ("Error ratio (5xx), by service", [(f'(sum by (service) (rate({count}{{{SEL}, http_response_status_code=~"5.."}}[{R}])) or sum by (service) (rate({count}{{{SEL}}}[{R}])) * 0) / sum by (service) (rate({count}{{{SEL}}}[{R}]))', "{{service}}")], dict(unit="percentunit",
            desc=about("Share of each service's answers that are 5xx; 0 when there are none.",
                       "`payments-down` and `orders-db-latency` require the gateway's share to stay under 2 % during their faults (measured: no 5xx in either): checkouts are cancelled or slowed, never failed.",
                       pattern(RES, "No fake success at checkout")))),
        ("p95 latency, by route (exemplars link to traces)", [(f'histogram_quantile(0.95, sum by (le, service, http_route) (rate({bucket}{{{SEL}}}[{R}])))', "{{service}} {{http_route}}")], dict(unit="s", exemplar=True,
            desc=about("95th percentile of the time each service takes to answer, per route; each dot is an exemplar that opens that request's trace in Jaeger.",
                       "`orders-squeezed` (orders held to 0.05 CPU for 40 s) lifts orders' routes: it expects orders' p95, all routes together, above 100 ms (measured: 0.21 s).",
                       pattern(RES, "Request time and body limits")))),
        ("Requests per second, by route and status", [(f'sum by (service, http_route, http_response_status_code) (rate({count}{{{SEL}}}[{R}]))', "{{service}} {{http_route}} {{http_response_status_code}}")], dict(unit="reqps",
            desc=about('Answers per second per service, route and HTTP status: 504 is a request over `REQUEST_TIMEOUT_MS` (10 s), 413 a body over `MAX_BODY_BYTES`.',
                       "No experiment aims at those two; in `gateway-overload` the gateway's 429 series appear (up to 5,524 refusals/s measured) and vanish after the surge.",
                       pattern(RES, "Request time and body limits")))),
        ("Service dependencies: calls per second, caller → callee", [(f'sum by (service, peer_service) (rate({ccount}{{{SEL}}}[{R}]))', "{{service}} → {{peer_service}}")], dict(unit="reqps", kind="table",
            desc=about("Outbound calls per second for every caller → callee pair, counted by the caller (`http_client_request_duration_seconds_count`): the shop's call graph as a table.",
                       'No experiment targets it; under `shop-load --profile average` every pair the browsing and checkout scenarios use is listed, e.g. gateway → catalog and orders → payments.',
                       pattern(RES, "Client-side load balancing, ejection")))),
        ("Dependency calls not answered 2xx, caller → callee", [(f'sum by (service, peer_service, http_response_status_code) (rate({ccount}{{{SEL}, http_response_status_code!~"2.."}}[{R}]))', "{{service}} → {{peer_service}} {{http_response_status_code}}")], dict(unit="reqps",
            desc=about('Outbound calls per second that ended without a 2xx, by caller → callee and status; `0` means no answer at all (refused, reset, timed out or refused by the breaker).',
                       '`payments-down` turns orders → payments into `0` for its 30 s of refused connections.',
                       pattern(RES, "Client-side load balancing, ejection")))),
        ("Requests in flight", [(f'sum by (service) (http_server_active_requests{{{SEL}}})', "{{service}}")], dict(
            desc=about('Requests each service is handling right now (`http_server_active_requests`).',
                       'A service sheds with a fast 503 once it holds `MAX_CONCURRENT_REQUESTS` (512 by default); no experiment measures it, and under `shop-load --profile average` (20 users) the lines stay far below that limit.',
                       pattern(RES, "Load shedding (fast 503 instead of queueing)")))),
        ("Database connections in use", [(f'sum by (service, state) (db_client_connections_usage{{{SEL}}})', "{{service}} {{state}}"), (f'sum by (service) (db_client_connections_max{{{SEL}}})', "{{service}} max")], dict(
            desc=about("Each service's database pool: connections `used` and `idle`, and the pool's `max`.",
                       "`orders-db-latency` (+50 ms on every answer of orders' Postgres, 40 s) watches orders' pool here for exhaustion; measured: checkouts still confirmed (2.3–4.4/s), no 5xx.",
                       pattern(DATA, "Database per service")))),
    ]), tags=("red",))

checkout = dashboard("checkout", "Checkout and saga",
    "Orders by outcome, why sagas compensate, payments, stock, and the events that carry the outcome.",
    layout([
        ("Orders per second, by outcome", [(f'sum by (outcome) (rate(orders_total[{R}]))', "{{outcome}}")], dict(unit="reqps",
            desc=about('Orders that reached an outcome per second, `confirmed` or `cancelled` (`orders_total`).',
                       'While `payments-down` makes payments unreachable (30 s) `confirmed` dries up (0 charges captured, measured) and `cancelled` rises; every experiment requires `confirmed` above 0.1/s before and after its fault.',
                       pattern(DATA, "Saga (orchestrated)")))),
        ("Saga compensations, by reason", [(f'sum by (reason) (rate(saga_compensations_total[{R}]))', "{{reason}}")], dict(unit="reqps",
            desc=about('Sagas compensated per second, by cancellation reason (`out_of_stock`, `payment_declined`, `payment_unavailable`, `payment_unrecognised`).',
                       '`payments-down` (payments unreachable for 30 s) expects `payment_unavailable` and measured up to 47 per 20 s; `payments-partitioned` measured 90 per 20 s at its first sample.',
                       pattern(RES, "No fake success at checkout")))),
        ("Payments, by operation and outcome", [(f'sum by (operation, outcome) (rate(payments_total[{R}]))', "{{operation}} {{outcome}}")], dict(unit="reqps",
            desc=about('Payment operations per second: `charge` or `refund`, by outcome (`captured`, `declined`, `refunded`, `failed`).',
                       "`payments-down` requires `charge captured` to stay at 0 while payments is unreachable (measured: 0); after `payments-503-storm`'s retries the invariant check finds no double charge.",
                       pattern(DATA, "Idempotency keys (HTTP)")))),
        ("Stock reservations, by outcome", [(f'sum by (outcome) (rate(inventory_reservations_total[{R}]))', "{{outcome}}")], dict(unit="reqps",
            desc=about("Inventory's reservation operations per second, by outcome: `reserved`, `insufficient`, `committed`, `cancelled`, `expired`.",
                       'During `inventory-resets` (30 % of orders → inventory requests reset, 40 s) checkouts stay confirmed (9.4–9.6/s) and the invariant check finds stock reserved exactly once per order (measured).',
                       pattern(DATA, "No overselling")))),
        ("Checkout latency (POST /api/v1/orders at the gateway)", [(f'histogram_quantile(0.5, sum by (le) (rate({bucket}{{service="gateway", http_route="/api/v1/orders", http_request_method="POST"}}[{R}])))', "p50"), (f'histogram_quantile(0.99, sum by (le) (rate({bucket}{{service="gateway", http_route="/api/v1/orders", http_request_method="POST"}}[{R}])))', "p99")], dict(unit="s", exemplar=True,
            desc=about('p50 and p99 of `POST /api/v1/orders` at the gateway, the whole checkout as the shopper waits for it; dots are exemplars that open the trace.',
                       'Bounds on p99: `orders-db-latency` under 8 s, the checkout wait (measured ≤ 2.49 s); `payments-slow` under 5 s (0.25–2.47 s); `payments-down` under 3 s (0.20–0.25 s).',
                       pattern(RES, "Timeout, per call and per attempt")))),
        ("Outbox backlog (events not yet published)", [('sum by (service) (outbox_pending_messages)', "{{service}}")], dict(
            desc=about("Events written to orders' outbox and not yet published to RabbitMQ (`outbox_pending_messages`).",
                       '`broker-down` (RabbitMQ stopped for 30 s) makes it grow above 5 (measured: 50) while checkouts are still confirmed, and it drains below 5 once the broker is back (measured: 0).',
                       pattern(DATA, "Transactional outbox")))),
        ("Messages consumed, by queue and outcome", [(f'sum by (queue, outcome) (rate(messaging_consumed_messages_total[{R}]))', "{{queue}} {{outcome}}")], dict(unit="reqps",
            desc=about('Messages consumers handle per second, by queue and outcome: `processed`, `duplicate` (already handled, no second effect), `retried`, `rejected` (dead-lettered).',
                       "In `notifications-killed` (consumer killed for 20 s) the notifications queue's lines stop until the restart and pick up after it, with no `rejected` (nothing dead-lettered, measured).",
                       pattern(DATA, "Idempotent consumer + dead letters")))),
        ("Consumer lag (messages waiting)", [('sum by (queue) (messaging_consumer_lag_messages)', "{{queue}}")], dict(
            desc=about("Messages waiting in each consumer's queue, as the consumer itself reads the queue's depth every 5 s (`messaging_consumer_lag_messages`).",
                       "In `notifications-killed` (consumer killed for 20 s) nothing reports the notifications queue, so its line has a gap rather than a rise; the experiment reads RabbitMQ's `rabbitmq_queue_messages_ready` instead (up to 9 waiting, 0 after the restart, measured).",
                       pattern(DATA, "Idempotent consumer + dead letters")))),
        ("Notifications, by kind and status", [(f'sum by (kind, status) (rate(notifications_total[{R}]))', "{{kind}} {{status}}")], dict(unit="reqps",
            desc=about('Order e-mails handled per second, by kind (`order_confirmed`, `order_cancelled`) and status (`sent`, or `skipped` when the user has no address).',
                       '`notifications-killed` stops them for the 20 s the consumer is dead; they resume after the restart and every outcome is notified exactly once (measured); `broker-down` likewise requires them sent again once RabbitMQ is back.',
                       pattern(DATA, "Exactly-once side effects")))),
    ]), tags=("business",))

rcalls = 'resilience_calls_total'
zero_per_dependency = f'sum by (service, peer_service) (rate({rcalls}{{{SEL}}}[{R}])) * 0'
resilience = dashboard("resilience", "Resilience",
    "How the shop protects itself: circuit breakers, retries and their budget, timeouts, bulkheads, rate limits, load shedding, the cache standing in for catalog.",
    layout([
        ("Circuit breaker state, caller → dependency (0 closed, 1 half-open, 2 open)", [(f'max by (service, peer_service) (resilience_breaker_state{{{SEL}}})', "{{service}} → {{peer_service}}")], dict(
            desc=about("Each caller's circuit breaker per dependency: 0 closed, 1 half-open, 2 open.",
                       '`payments-slow` (+2 s on every payments answer, 40 s; slow calls start at 1.5 s) takes orders → payments to 2 within 30 s (measured: 14 s) and back to 0 once payments is fast again.',
                       pattern(RES, "Circuit breaker (failure rate and slow-call rate, sliding window, half-open probes)")))),
        ("Breaker transitions, by new state", [(f'sum by (service, peer_service, to) (rate(resilience_breaker_transitions_total{{{SEL}}}[{R}])) or {zero_per_dependency}', "{{service}} → {{peer_service}} {{to}}")], dict(unit="ops",
            desc=about('Breaker state changes per second, by caller → dependency and the state entered (`open`, `half_open`, `closed`); 0 while nothing changes.',
                       '`payments-slow` gives orders → payments an `open` within 30 s of the fault (measured: 14 s), `half_open` when it probes after `BREAKER_OPEN_MS` (5 s), and `closed` once payments is fast again.',
                       pattern(RES, "Circuit breaker (failure rate and slow-call rate, sliding window, half-open probes)")))),
        ("Dependency calls, by outcome", [(f'sum by (service, peer_service, outcome) (rate({rcalls}{{{SEL}}}[{R}]))', "{{service}} → {{peer_service}} {{outcome}}")], dict(unit="reqps",
            desc=about('Outbound calls per second as the client stack ends them, by caller → dependency and outcome: `success`, `failure` (5xx or no answer), `timeout`, `rejected_by_breaker`, `rejected_by_bulkhead`.',
                       '`inventory-resets` (30 % of orders → inventory requests reset, 40 s) plots orders → inventory from this metric: failures appear, counted with retries up to 91 per 20 s (measured), while checkouts stay confirmed.',
                       pattern(RES, "Retry with exponential backoff, full jitter, only when safe")))),
        ("Timeouts and calls refused by breaker or bulkhead", [(f'sum by (service, peer_service, outcome) (rate({rcalls}{{{SEL}, outcome=~"timeout|rejected_by_breaker|rejected_by_bulkhead"}}[{R}])) or {zero_per_dependency}', "{{service}} → {{peer_service}} {{outcome}}")], dict(unit="reqps",
            desc=about('Calls that ended as `timeout` (over `TIMEOUT_MS`, 3 s by default), `rejected_by_breaker` or `rejected_by_bulkhead` (64 calls in flight per dependency); 0 when none.',
                       "Once `payments-slow` opens orders' breaker for payments, `rejected_by_breaker` appears for orders → payments instead of 2 s waits (measured: up to 12 per 20 s).",
                       pattern(RES, "Timeout, per call and per attempt", "Bulkhead (per dependency, refuse when full)")))),
        ("Retries, and retries refused by the budget", [(f'sum by (service, peer_service) (rate(resilience_retries_total{{{SEL}}}[{R}])) or {zero_per_dependency}', "{{service}} → {{peer_service}} retries"), (f'sum by (service, peer_service) (rate(resilience_retry_budget_exhausted_total{{{SEL}}}[{R}])) or {zero_per_dependency}', "{{service}} → {{peer_service}} budget spent")], dict(unit="ops",
            desc=about('Retries per second by caller → dependency, and the retries the retry budget refused (budget: 20 % of calls + 5/s by default).',
                       "`payments-503-storm` (half of payments' answers 503, 40 s) brings orders → payments retries, with fewer than 2.5 requests reaching payments per call (measured 1.34–1.68) and 87–95 % of checkouts still confirmed.",
                       pattern(RES, "Retry with exponential backoff, full jitter, only when safe", "Retry budget")))),
        ("Dependency latency p99, caller → callee", [(f'histogram_quantile(0.99, sum by (le, service, peer_service) (rate({cbucket}{{{SEL}}}[{R}])))', "{{service}} → {{peer_service}}")], dict(unit="s", exemplar=True,
            desc=about('99th percentile of outbound call time by caller → callee, measured at the caller with retries included; dots are exemplars that open the trace.',
                       "`payments-slow` lifts orders → payments to about 2 s, past the breaker's 1.5 s slow-call threshold (`BREAKER_SLOW_MS`) — which is what opens it.",
                       pattern(RES, "Circuit breaker (failure rate and slow-call rate, sliding window, half-open probes)")))),
        ("Rate-limit rejections (429), by client kind", [(f'sum by (client_kind) (rate(gateway_rate_limited_requests_total[{R}]))', "{{client_kind}}")], dict(unit="reqps",
            desc=about('Requests the gateway refused with 429 per second, by client kind: `user` (signed in, limited per user) or `ip` (anonymous, limited per IP).',
                       '`gateway-overload` (60 anonymous users with no think time, 30 s) expects at least 20 refusals/s; measured up to 5,524/s, 429s from this limit, and 0 once the crowd left.',
                       pattern(RES, "Rate limiting per user / per IP, 429 + Retry-After")))),
        ("Shed or overloaded (503), by service", [(f'sum by (service) (rate({count}{{{SEL}, http_response_status_code="503"}}[{R}])) or sum by (service) (rate({count}{{{SEL}}}[{R}])) * 0', "{{service}}")], dict(unit="reqps",
            desc=about('503 answers per second by service: load shed beyond `MAX_CONCURRENT_REQUESTS` (512 by default), or any other 503; 0 when none.',
                       '`gateway-overload` counts 503s with 429s as fast refusals (at least 20/s, p99 under 50 ms); in the measured run they were 429s from the rate limit (see Rate-limit rejections).',
                       pattern(RES, "Load shedding (fast 503 instead of queueing)")))),
        ("Catalog reads, by cache outcome (STALE/FALLBACK: catalog failed)", [(f'sum by (result) (rate(gateway_cache_requests_total[{R}]))', "{{result}}")], dict(unit="reqps",
            desc=about("The gateway's catalog reads per second by cache outcome: `hit`, `miss`, `stale` (cached answer served because catalog failed), `fallback` (empty recommendations because catalog failed).",
                       'No experiment breaks catalog; under `shop-load --profile average` only `hit` and `miss` appear (entries are fresh for `GATEWAY_CACHE_TTL_MS`, 2 s), so any `stale` or `fallback` means catalog is failing.',
                       pattern(RES, "Fallback: cached catalog reads, marked degraded", "Fallback: recommendations → empty list")))),
        ("Refused access tokens, by reason", [(f'sum by (reason) (rate(gateway_rejected_tokens_total[{R}]))', "{{reason}}")], dict(unit="reqps",
            desc=about('Access tokens the gateway refused per second, by reason: `malformed`, `unknown_key`, `invalid`, `expired`.',
                       'No experiment touches it; under `shop-load` it should stay empty, since the load refreshes its tokens before they expire — anything here is a client with a broken, forged or stale token.',
                       pattern(EDGE, "API gateway, local token verification (JWKS)")))),
        ("Dead-lettered messages, by queue", [(f'sum by (queue) (rate(messaging_consumed_messages_total{{outcome="rejected"}}[{R}])) or sum by (queue) (rate(messaging_consumed_messages_total[{R}])) * 0', "{{queue}}")], dict(unit="reqps",
            desc=about('Messages dead-lettered per second, by queue (consumed with outcome `rejected`); 0 when none.',
                       "`notifications-killed` requires it to stay at 0: the killed consumer's messages come back and are processed after the restart (measured: nothing dead-lettered).",
                       pattern(DATA, "Idempotent consumer + dead letters")))),
        ("Saga steps deferred for a retry, by step", [(f'sum by (step) (rate(saga_step_retries_total[{R}])) or sum(rate(orders_total[{R}])) * 0', "{{step}}")], dict(unit="ops",
            desc=about('Saga steps per second that failed for now and were deferred for a retry, by step (`reserve`, `charge`, `commit`, `compensate`); 0 when none.',
                       "`inventory-resets` (30 % of orders → inventory requests reset, 40 s) expects these, with orders' client retries and failed calls, to appear (up to 91 per 20 s, measured) while checkouts stay confirmed (9.4–9.6/s).",
                       pattern(DATA, "Saga (orchestrated)")))),
    ]), tags=("resilience",))

load = dashboard("load-test", "Load test",
    "What a load run drives through the gateway: throughput, latency and errors per route.",
    layout([
        ("Gateway requests, load test vs clients (x-load-test header)", [(f'sum by (origin) (rate(gateway_requests_total[{R}]))', "{{origin}}")], dict(unit="reqps",
            desc=about('Requests reaching the gateway per second by origin: `load-test` (the request carries the `x-load-test` header `shop-load` sends) or `client`; refused requests count too.',
                       "Under any `shop-load` profile, e.g. `--profile average` (20 users), `load-test` carries the run; `gateway-overload`'s surge is `shop-load` too, so it lifts `load-test`.",
                       pattern(EDGE, "API gateway, local token verification (JWKS)")))),
        ("Gateway throughput, by route", [(f'sum by (http_route) (rate({count}{{service="gateway"}}[{R}]))', "{{http_route}}")], dict(unit="reqps",
            desc=about('Answers per second from the gateway, per route.',
                       'No experiment reads it per route; under `shop-load --profile average` the mix follows the scenario weights (anonymous browsing 6, shopper 3, returning customer 2, admin 1).',
                       pattern(EDGE, "API gateway, local token verification (JWKS)")))),
        ("Gateway p95 / p99 latency", [(f'histogram_quantile(0.95, sum by (le) (rate({bucket}{{service="gateway"}}[{R}])))', "p95"), (f'histogram_quantile(0.99, sum by (le) (rate({bucket}{{service="gateway"}}[{R}])))', "p99")], dict(unit="s", exemplar=True,
            desc=about("95th and 99th percentile of the gateway's answer time, all routes together; dots are exemplars that open the trace.",
                       'No experiment bounds this all-routes figure; `shop-load --profile average` holds itself to p95 < 500 ms and p99 < 1 s, as the load generator measures them.',
                       pattern(RES, "Load shedding (fast 503 instead of queueing)")))),
        ("Gateway answers, by status", [(f'sum by (http_response_status_code) (rate({count}{{service="gateway"}}[{R}]))', "{{http_response_status_code}}")], dict(unit="reqps",
            desc=about('Gateway answers per second, by HTTP status.',
                       '`gateway-overload` (60 anonymous users with no think time, 30 s) drives 429/503 to at least 20/s (measured: up to 5,524/s, 429s, p99 ≤ 1 ms) and back to 0 once the crowd leaves.',
                       pattern(RES, "Rate limiting per user / per IP, 429 + Retry-After")))),
        ("Gateway error ratio (5xx)", [(f'(sum(rate({count}{{service="gateway", http_response_status_code=~"5.."}}[{R}])) or vector(0)) / sum(rate({count}{{service="gateway"}}[{R}]))', "5xx ratio")], dict(unit="percentunit",
            desc=about("Share of the gateway's answers that are 5xx; 0 when none.",
                       "`payments-down` and `orders-db-latency` require it under 2 % during their faults (measured: no 5xx in either); the `average` load profile's own threshold is an error rate under 1 %.",
                       pattern(RES, "No fake success at checkout")))),
        ("Requests in flight, by service", [(f'sum by (service) (http_server_active_requests)', "{{service}}")], dict(
            desc=about('Requests each service is handling right now, all services.',
                       'A service sheds with a fast 503 once it holds `MAX_CONCURRENT_REQUESTS` (512 by default); no experiment measures it, and under `shop-load --profile average` (20 users) the lines stay far below that limit.',
                       pattern(RES, "Load shedding (fast 503 instead of queueing)")))),
        ("Orders per second, by outcome", [(f'sum by (outcome) (rate(orders_total[{R}]))', "{{outcome}}")], dict(unit="reqps",
            desc=about("Orders reaching an outcome per second, `confirmed` or `cancelled`: what the load's checkouts turn into.",
                       "The chaos runner's smoke load (6–8 shoppers) gives about 5–10 checkouts/s; `broker-down` keeps `confirmed` at 7.3–7.7/s with RabbitMQ stopped (measured).",
                       pattern(DATA, "Saga (orchestrated)")))),
        ("API requests, by version and how it was chosen", [(f'sum by (version, selected_by) (rate(gateway_api_requests_total[{R}]))', "v{{version}} by {{selected_by}}")], dict(unit="reqps",
            desc=about("Requests per second reaching the gateway's versioned API, by `version` (1 or 2) and `selected_by`: `path` (`/api/v2/…`), `header` (`Api-Version: 2` on `/api/…`) or `default` (`/api/…` without the header, served as v1). A migration is this panel's v1 lines falling to 0 before v1's Sunset date.",
                       "No experiment changes versions; `shop-load` browses and checks out through v1 by path, so under any profile the `v1 by path` line carries the load.",
                       pattern(EDGE, "API versions by path and header, v1 deprecated with Sunset")))),
        # The load generator's own view (`shop-load --metrics-addr`, job loadgen): every worker, and their sum.
        ("Load workers: requests per second, by worker", [(f'sum by (worker) (rate({LOAD_REQUESTS}[{R}]))', "worker {{worker}}"), (f'sum(rate({LOAD_REQUESTS}[{R}]))', "all workers")], dict(unit="reqps",
            desc=about("Requests per second each load worker makes, and all of them together, as the load generator counts them (every `shop-load` with live metrics: `scripts/load-workers.sh`, the `loadgen` Job).",
                       "`scripts/load-workers.sh 3 average` shows three lines of about a third each; a worker that dies leaves a gap here, and `shop-load judge` fails the run naming it.",
                       pattern(OBS, "Load from many workers, judged as one run")))),
        ("Load: p95 / p99 as the load saw it, all workers and per worker", [(f'histogram_quantile(0.95, sum by (le) (rate({LOAD_BUCKET}[{R}])))', "p95 all"), (f'histogram_quantile(0.99, sum by (le) (rate({LOAD_BUCKET}[{R}])))', "p99 all"), (f'histogram_quantile(0.95, sum by (le, worker) (rate({LOAD_BUCKET}[{R}])))', "p95 worker {{worker}}")], dict(unit="s",
            desc=about("Latency percentiles from the sum of every worker's histogram (the run's true percentiles, what `shop-load judge` reads), and each worker's p95. Open-loop runs measure from when each request was due, so a stall shows in full.",
                       "In `shop-load --open-loop` with a fault on, these rise with the stall where the closed-loop users' own view hides it; the profile's thresholds (e.g. p99 < 3 s for spike) are judged on the `all` line.",
                       pattern(OBS, "Open-loop load (no coordinated omission)")))),
        ("Load: users active, errors and dropped arrivals, by worker", [(f'sum by (worker) (shop_load_users_active)', "users worker {{worker}}"), (f'sum by (worker) (rate({LOAD_REQUESTS}{{outcome="error"}}[{R}])) or sum by (worker) (rate({LOAD_REQUESTS}[{R}])) * 0', "errors/s worker {{worker}}"), (f'sum by (worker) (rate(shop_load_dropped_total[{R}]))', "dropped/s worker {{worker}}")], dict(
            desc=about("Virtual users running in each worker (open loop: requests waiting), failed requests per second, and open-loop arrivals not started because `shop-load --max-in-flight N` requests were waiting.",
                       "Users follow the profile's plan split over the workers; dropped arrivals above 0 mean the load generator, not the shop, fell short of the plan.",
                       pattern(OBS, "Load from many workers, judged as one run")))),
    ]), with_service=False, tags=("load",))

chaos = dashboard("chaos", "Chaos",
    "What a fault does to callers: answers and latency per dependency, and the backlogs that absorb an outage.",
    layout([
        ("Dependency calls, by caller → callee and status", [(f'sum by (service, peer_service, http_response_status_code) (rate({ccount}{{{SEL}}}[{R}]))', "{{service}} → {{peer_service}} {{http_response_status_code}}")], dict(unit="reqps",
            desc=about('Outbound calls per second by caller → callee and HTTP status, at the caller; `0` means no answer (refused, reset, timed out, breaker open).',
                       '`payments-down` turns orders → payments into `0` for 30 s, and checkouts are cancelled as `payment_unavailable` instead of failing (measured: no 5xx at the gateway).',
                       pattern(RES, "No fake success at checkout")))),
        ("Dependency latency p95, caller → callee", [(f'histogram_quantile(0.95, sum by (le, service, peer_service) (rate({cbucket}{{{SEL}}}[{R}])))', "{{service}} → {{peer_service}}")], dict(unit="s", exemplar=True,
            desc=about('95th percentile of outbound call time by caller → callee, at the caller; dots are exemplars that open the trace.',
                       '`payments-slow` (+2 s on every payments answer, 40 s) lifts orders → payments to about 2 s, past the 1.5 s slow-call threshold that opens the breaker (measured: open 14 s into the fault).',
                       pattern(RES, "Circuit breaker (failure rate and slow-call rate, sliding window, half-open probes)")))),
        ("Outbox backlog", [('sum by (service) (outbox_pending_messages)', "{{service}}")], dict(
            desc=about("Events written to orders' outbox and not yet published to RabbitMQ (`outbox_pending_messages`).",
                       '`broker-down` (RabbitMQ stopped for 30 s) makes it grow above 5 (measured: 50) while checkouts are still confirmed, and it drains below 5 once the broker is back (measured: 0).',
                       pattern(DATA, "Transactional outbox")))),
        ("Consumer lag", [('sum by (queue) (messaging_consumer_lag_messages)', "{{queue}}")], dict(
            desc=about("Messages waiting in each consumer's queue, as the consumer itself reads the queue's depth every 5 s (`messaging_consumer_lag_messages`).",
                       "In `notifications-killed` (consumer killed for 20 s) nothing reports the notifications queue, so its line has a gap rather than a rise; the experiment reads RabbitMQ's `rabbitmq_queue_messages_ready` instead (up to 9 waiting, 0 after the restart, measured).",
                       pattern(DATA, "Idempotent consumer + dead letters")))),
        ("Orders per second, by outcome", [(f'sum by (outcome) (rate(orders_total[{R}]))', "{{outcome}}")], dict(unit="reqps",
            desc=about('Orders reaching an outcome per second, `confirmed` or `cancelled`.',
                       '`payments-partitioned` (payments cut off from the network, 30 s) turns checkouts into `cancelled` (90 `payment_unavailable` compensations per 20 s at its first sample); `confirmed` returns after reconnection (measured).',
                       pattern(DATA, "Saga (orchestrated)")))),
        ("Saga compensations, by reason", [(f'sum by (reason) (rate(saga_compensations_total[{R}]))', "{{reason}}")], dict(unit="reqps",
            desc=about('Sagas compensated per second, by cancellation reason (`out_of_stock`, `payment_declined`, `payment_unavailable`, `payment_unrecognised`).',
                       '`payments-down` (payments unreachable for 30 s) expects `payment_unavailable` and measured up to 47 per 20 s; `payments-partitioned` measured 90 per 20 s at its first sample.',
                       pattern(RES, "No fake success at checkout")))),
        ("Faults injected by chaos-proxy, by proxy and kind", [(f'sum by (proxy, kind) (rate(chaos_proxy_faults_injected_total[{R}]))', "{{proxy}} {{kind}}")], dict(unit="ops",
            desc=about('Faults chaos-proxy injects per second, by proxy and toxic kind: the cause, beside its effects on the other panels.',
                       'Measured totals: `payments-503-storm` 434 `http_status` on orders-payments, `inventory-resets` 296 `http_abort` on orders-inventory, `orders-db-latency` 6,458 `latency` on postgres-orders (40 s each).',
                       pattern(RES, "Retry with exponential backoff, full jitter, only when safe")))),
        ("Toxics in place, by proxy and kind", [('sum by (proxy, kind) (chaos_proxy_active_toxics)', "{{proxy}} {{kind}}")], dict(
            desc=about("Toxics in place now on chaos-proxy, by proxy and kind, the runner's and hand-added ones alike.",
                       '`payments-slow` holds one `latency` toxic on orders-payments for 40 s; container faults (stop, kill, partition, squeeze) and surges never show here, only in the Fault windows annotation.',
                       pattern(RES, "Circuit breaker (failure rate and slow-call rate, sliding window, half-open probes)")))),
        ("Traffic through chaos-proxy, by proxy and direction", [(f'sum by (proxy, direction) (rate(chaos_proxy_bytes_total[{R}]))', "{{proxy}} {{direction}}")], dict(unit="Bps",
            desc=about('Bytes per second chaos-proxy relays, by proxy and direction (`upstream`: client → server, `downstream`: the answers).',
                       '`payments-down` disables orders-payments for 30 s, so its traffic stops: connections are refused.',
                       pattern(RES, "No fake success at checkout")))),
        ("Proxies taken down (0 = refusing connections)", [('min by (proxy) (chaos_proxy_enabled)', "{{proxy}}")], dict(
            desc=about('1 while a chaos-proxy listener accepts connections, 0 while it is disabled and refuses them.',
                       '`payments-down` takes orders-payments to 0 for 30 s; checkouts are then cancelled as `payment_unavailable` (up to 47 per 20 s) with 0 charges captured (measured).',
                       pattern(RES, "No fake success at checkout")))),
    ]), tags=("chaos",))

overview["panels"].append(service_map(len(overview["panels"]) + 1, below(overview["panels"]),
    about("Who calls whom, drawn from the request metrics alone (no tracing backend needed): one arrow per caller → callee (HTTP, counted by the caller) and per producer → queue → consumer (RabbitMQ, counted by the consumer); on each, calls or messages per second, the share that failed (5xx or no answer; dead-lettered or retried) and, for HTTP, the p95.",
          "`payments-down` turns orders → payments red (every call without an answer for its 30 s); `notifications-killed` makes notifications.order-events → notifications vanish while orders → notifications.order-events goes on.",
          pattern(OBS, "Service map from request metrics"))))
overview["panels"].append(logs_panel(len(overview["panels"]) + 1, below(overview["panels"]),
    about("The services' log lines, newest first, from Loki (sent as OTLP log records through the collector), for the services picked above; a line's trace_id opens its trace in Jaeger, and a trace's logs are one click from Jaeger.",
          "In `payments-down` the orders lines `saga step failed` and `order cancelled` appear with reason `payment_unavailable`; without a registry (no Loki) the same lines are in `docker logs` with their trace ids.",
          pattern(OBS, "Three signals joined by the trace id (spans, metrics with exemplars, logs)"))))
checkout["panels"].append(logs_panel(len(checkout["panels"]) + 1, below(checkout["panels"]),
    about("Log lines of the services picked above (orders and payments tell the saga's story: `order placed`, each `saga step done`, the outcome), newest first, from Loki; each opens its trace.",
          "In `payments-slow` the charges' lines arrive late and, once the breaker opens, orders writes the cancellations with reason `payment_unavailable`.",
          pattern(OBS, "Three signals joined by the trace id (spans, metrics with exemplars, logs)"))))

for d in (overview, checkout, resilience, load, chaos):
    for p in d["panels"]:
        assert p["description"].strip(), f"{d['uid']}: panel '{p['title']}' has no description"
    with open(os.path.join(OUT, d["uid"] + ".json"), "w") as f:
        json.dump(d, f, indent=2)
        f.write("\n")
print("ok")
