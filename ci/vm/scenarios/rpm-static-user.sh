# rpm, User=healthd variant: %pre creates the user before the files land, the service runs as it.
# Input: healthd-user.rpm
# shellcheck source=ci/vm/scenarios/lib.sh
. /e2e/lib.sh
step "rpm -i healthd-user.rpm" rpm -i --nodeps /e2e/input/healthd-user.rpm
check "%pre created the healthd user" getent passwd healthd
step "systemctl enable --now healthd" systemctl enable --now healthd.service
check "healthd.service is active" active healthd.service
http_get http://127.0.0.1:8080/health >/dev/null || fail "GET /health does not answer"
user=$(ps -o user= -p "$(main_pid)" | tr -d ' ')
check "the service runs as healthd (got '$user')" [ "$user" = healthd ]
step "rpm -e healthd" rpm -e healthd
check "the service is stopped" sh -c '! systemctl is-active --quiet healthd.service'
echo "scenario passed"
