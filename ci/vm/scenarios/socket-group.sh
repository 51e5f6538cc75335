# A socket and its service are one activation group. With `start = false` on the service, the
# package leaves the socket stopped too (no daemon listening with an unedited config); by default
# it starts only the socket, and an upgrade restarts the running service into the new version.
# Input: kv-echo-off.deb (1.0.0, start = false), kv-echo.deb (1.0.0), kv-echo-v2.deb (2.0.0)
# shellcheck source=ci/vm/scenarios/lib.sh
. /e2e/lib.sh
UNIT=kv-echo.service
step "dpkg -i kv-echo-off.deb" dpkg_install /e2e/input/kv-echo-off.deb
check "the socket is enabled (as its service would be)" systemctl is-enabled --quiet kv-echo.socket
check "the socket is not listening" sh -c '! systemctl is-active --quiet kv-echo.socket'
check "the service is not running" sh -c '! systemctl is-active --quiet kv-echo.service'
step "dpkg -P kv-echo" dpkg -P kv-echo
step "dpkg -i kv-echo.deb (v1)" dpkg_install /e2e/input/kv-echo.deb
check "the socket listens" active kv-echo.socket
check "the service waits for its first connection" sh -c '! systemctl is-active --quiet kv-echo.service'
step "activate the service" systemctl start kv-echo.service
check "v1 runs" active kv-echo.service
old_pid=$(main_pid)
step "dpkg -i kv-echo-v2.deb" dpkg_install /e2e/input/kv-echo-v2.deb
check "the socket still listens" active kv-echo.socket
check "the service runs after the upgrade" active kv-echo.service
new_pid=$(main_pid)
check "the service was restarted (pid $old_pid -> $new_pid)" [ "$new_pid" != "$old_pid" ]
check "it runs v2" sh -c 'journalctl -u kv-echo.service --no-pager | grep -q "kv-echo 2.0.0 started"'
echo "scenario passed"
