# Scenario 1: install the example, which runs under DynamicUser=yes.
# Input: healthd.deb
# shellcheck source=ci/vm/scenarios/lib.sh
. /e2e/lib.sh
step "dpkg -i healthd.deb" dpkg_install /e2e/input/healthd.deb
check "healthd.service is enabled" systemctl is-enabled --quiet healthd.service
check "healthd.service is active" active healthd.service
body=$(http_get http://127.0.0.1:8080/health) || fail "GET /health does not answer"
check "GET /health answers ok (got '$body')" [ "$body" = ok ]
pid=$(main_pid)
uid=$(awk '/^Uid:/ { print $2 }' "/proc/$pid/status")
check "the service runs under a dynamic UID (uid $uid)" sh -c "[ $uid -ge 61184 ] && [ $uid -le 65519 ]"
check "no healthd entry in /etc/passwd" sh -c '! grep -q "^healthd:" /etc/passwd'
check "no healthd entry in /etc/group" sh -c '! grep -q "^healthd:" /etc/group'
check "systemd created /var/lib/private/healthd" [ -d /var/lib/private/healthd ]
check "/var/lib/private/healthd is owned by the dynamic user" [ "$(stat -c %u /var/lib/private/healthd)" = "$uid" ]
echo "scenario passed"
