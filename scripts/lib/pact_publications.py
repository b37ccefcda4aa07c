"""The broker's `POST /contracts/publish` bodies for contracts/pacts/: one
JSON line per consumer, with every pact it wrote. Args: version branch."""
import base64, glob, json, sys
version, branch = sys.argv[1:]
by_consumer = {}
for path in sorted(glob.glob("contracts/pacts/*.json")):
    pact = json.load(open(path))
    by_consumer.setdefault(pact["consumer"]["name"], []).append({
        "consumerName": pact["consumer"]["name"],
        "providerName": pact["provider"]["name"],
        "specification": "pact",
        "contentType": "application/json",
        "content": base64.b64encode(open(path, "rb").read()).decode(),
    })
for consumer, contracts in by_consumer.items():
    print(consumer, json.dumps({"pacticipantName": consumer, "pacticipantVersionNumber": version,
                      "branch": branch, "contracts": contracts}), sep="\t")
