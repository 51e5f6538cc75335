# Scenario 2: edit the conffile, upgrade to a v2 with a bumped version.
# Input: healthd.deb (v1), healthd-v2.deb
# shellcheck source=ci/vm/scenarios/lib.sh
. /e2e/lib.sh
step "dpkg -i healthd.deb (v1)" dpkg_install /e2e/input/healthd.deb
check "v1 is active" active healthd.service
v1=$(http_get http://127.0.0.1:8080/version) || fail "v1 does not answer on 8080"
echo "running $v1"
old_pid=$(main_pid)
echo 'listen = "127.0.0.1:8081"' >/etc/healthd/healthd.toml
step "dpkg -i healthd-v2.deb" dpkg_install /e2e/input/healthd-v2.deb
check "the edited conffile is kept" grep -q '127.0.0.1:8081' /etc/healthd/healthd.toml
check "healthd.service is active after the upgrade" active healthd.service
new_pid=$(main_pid)
check "the service was restarted (pid $old_pid -> $new_pid)" [ "$new_pid" != "$old_pid" ]
v2=$(http_get http://127.0.0.1:8081/version) || fail "v2 does not answer on the edited port 8081"
check "it runs v2 (got '$v2', was '$v1')" [ "$v2" != "$v1" ]
check "dpkg knows the new version" sh -c "dpkg-query -W -f '\${Version}' healthd | grep -q '^$v2-'"
echo "scenario passed"
