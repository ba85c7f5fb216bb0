#!/bin/sh
# A test suite in shell, with curl only: it starts `authmock serve`, sets up
# users and clients through the control API, gets tokens like any client, moves
# the provider's clock, plans an outage, approves a device login, reads the
# journal, resets, and stops the server with SIGTERM.
#
#   AUTHMOCK="authmock" sh control_api_test.sh
#
# Every check prints "ok - ..."; the first failure prints "not ok - ..." and
# exits with status 1.
set -eu

AUTHMOCK=${AUTHMOCK:-authmock}
work=$(mktemp -d)
pid=""
cleanup() {
    if [ -n "$pid" ]; then kill -TERM "$pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

# -- start the server ----------------------------------------------------------
# Flags and AUTHMOCK_* variables are interchangeable (flags win).
export AUTHMOCK_ADMIN_TOKEN="shell-suite-admin-token"
export AUTHMOCK_DEVICE_INTERVAL=0
$AUTHMOCK serve --json --quiet >"$work/start.json" 2>"$work/serve.log" &
pid=$!
tries=0
until [ -s "$work/start.json" ]; do  # the start record comes once it accepts connections
    tries=$((tries + 1))
    if [ "$tries" -gt 300 ]; then echo "not ok - authmock serve did not start"; cat "$work/serve.log"; exit 1; fi
    sleep 0.1
done
record=$(head -n 1 "$work/start.json")

# The one JSON string field NAME of a compact JSON text (the record, an answer).
field() { printf '%s' "$2" | sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p"; }
issuer=$(field issuer "$record")
token_endpoint=$(field token "$record")

# call STATUS CURL-ARGS...: run curl, keep the body in $body, check the status.
call() {
    want=$1
    shift
    out=$(curl -sS -w '\n%{http_code}' "$@")
    status=$(printf '%s' "$out" | tail -n 1)
    body=$(printf '%s' "$out" | sed '$d')
    if [ "$status" != "$want" ]; then
        echo "not ok - expected HTTP $want, got $status: $body"
        exit 1
    fi
}
# control STATUS METHOD PATH [JSON]: a control API call with the admin token.
control() {
    want=$1 method=$2 path=$3
    shift 3
    call "$want" -X "$method" -H "Authorization: Bearer $AUTHMOCK_ADMIN_TOKEN" \
        -H "Content-Type: application/json" ${1:+--data "$1"} "$issuer/_authmock$path"
}
contains() {  # contains TEXT WHAT: the last body contains TEXT
    case "$body" in
    *"$1"*) echo "ok - $2" ;;
    *) echo "not ok - $2: no $1 in $body"; exit 1 ;;
    esac
}

# -- the tests -----------------------------------------------------------------
call 401 "$issuer/_authmock/users"
contains '"error":"invalid_token"' "the control API refuses a call without the admin token"

control 201 POST /users '{"username": "alice", "password": "wonderland", "claims": {"team": "red"}}'
contains '"username":"alice"' "a user is added"

call 200 -u demo-client:demo-secret -d grant_type=password -d username=alice \
    -d password=wonderland "$token_endpoint"
access_token=$(field access_token "$body")
call 200 -H "Authorization: Bearer $access_token" "$issuer/api/me"
contains '"username":"alice"' "alice signs in with the password grant and calls the API"

control 200 POST /clock '{"advance": 3601}'
call 401 -H "Authorization: Bearer $access_token" "$issuer/api/me"
contains '"error":"invalid_token"' "an hour later the token has expired"

control 201 POST /clients '{"client_id": "ci-bot", "client_secret": "ci-bot-secret", "grant_types": ["client_credentials"], "access_token_ttl": 60}'
call 200 -u ci-bot:ci-bot-secret -d grant_type=client_credentials "$token_endpoint"
contains '"expires_in":60' "a client is added with its own token lifetime"

control 201 POST /faults '{"kind": "fail", "status": 503, "endpoint": "token", "times": 1}'
call 503 -u ci-bot:ci-bot-secret -d grant_type=client_credentials "$token_endpoint"
call 200 -u ci-bot:ci-bot-secret -d grant_type=client_credentials "$token_endpoint"
contains '"access_token"' "a planned outage answers 503 once, then the token endpoint recovers"

call 200 -d client_id=demo-cli -d scope=openid "$(field device_authorization "$record")"
device_code=$(field device_code "$body")
user_code=$(field user_code "$body")
device_poll() {
    call "$1" -d grant_type=urn:ietf:params:oauth:grant-type:device_code \
        -d device_code="$device_code" -d client_id=demo-cli "$token_endpoint"
}
device_poll 400
contains '"error":"authorization_pending"' "a device login waits for the user"
control 200 GET /device
contains "\"user_code\":\"$user_code\"" "the pending code is listed"
control 200 POST "/device/$user_code" '{"decision": "approve", "username": "alice"}'
device_poll 200
contains '"access_token"' "approved through the control API, the device gets its token"

control 200 GET "/journal?endpoint=token&status=503"
contains '"status":503' "the journal shows the outage"

control 201 POST /expectations '{"count": 1, "endpoint": "device_authorization"}'
control 200 GET /check
contains '"ok":true' "the expectation is met"

control 204 POST /reset
call 400 -u demo-client:demo-secret -d grant_type=password -d username=alice \
    -d password=wonderland "$token_endpoint"
contains '"error":"invalid_grant"' "after a reset alice is gone"
call 200 -u demo-client:demo-secret -d grant_type=password -d username=demo \
    -d password=demo-password "$token_endpoint"
contains '"access_token"' "and the demo user is back"

# -- stop ------------------------------------------------------------------------
kill -TERM "$pid"
status=0
wait "$pid" || status=$?
pid=""
if [ "$status" -ne 0 ]; then echo "not ok - authmock serve exited with $status"; exit 1; fi
echo "ok - SIGTERM stops the server with exit status 0"
