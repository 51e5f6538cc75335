# rpm on a systemd system: install (not started, per preset policy), enable and run, upgrade with
# an edited config, erase.
# Input: healthd.rpm (v1), healthd-v2.rpm (v2, with a changed default config)
# shellcheck source=ci/vm/scenarios/lib.sh
. /e2e/lib.sh
step "rpm -i healthd.rpm" rpm -i --nodeps /e2e/input/healthd.rpm
check "the unit is installed" [ -f /usr/lib/systemd/system/healthd.service ]
check "systemd knows the unit" systemctl cat healthd.service >/dev/null
check "the package did not start it" sh -c '! systemctl is-active --quiet healthd.service'
echo "preset decided: $(systemctl is-enabled healthd.service 2>&1)"
step "systemctl enable --now healthd" systemctl enable --now healthd.service
check "healthd.service is active" active healthd.service
body=$(http_get http://127.0.0.1:8080/health) || fail "GET /health does not answer"
check "GET /health answers ok" [ "$body" = ok ]
old_pid=$(main_pid)
echo 'listen = "127.0.0.1:8081"' >/etc/healthd/healthd.toml
step "rpm -U healthd-v2.rpm" rpm -U --nodeps /e2e/input/healthd-v2.rpm
check "the edited config is kept" grep -q '127.0.0.1:8081' /etc/healthd/healthd.toml
check "the new default lands as .rpmnew" grep -q 'v2 default' /etc/healthd/healthd.toml.rpmnew
check "healthd.service is active after the upgrade" active healthd.service
new_pid=$(main_pid)
check "the service was try-restarted (pid $old_pid -> $new_pid)" [ "$new_pid" != "$old_pid" ]
v2=$(http_get http://127.0.0.1:8081/version) || fail "v2 does not answer on the edited port 8081"
check "it runs v2 (got '$v2')" [ "$v2" = 1.4.3 ]
step "rpm -e healthd" rpm -e healthd
check "the service is stopped" sh -c '! systemctl is-active --quiet healthd.service'
check "the unit file is gone" [ ! -e /usr/lib/systemd/system/healthd.service ]
check "it is no longer enabled" sh -c '! ls /etc/systemd/system/*/healthd.service 2>/dev/null'
check "the edited config is saved as .rpmsave" grep -q 8081 /etc/healthd/healthd.toml.rpmsave
echo "scenario passed"
