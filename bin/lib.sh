# Shared by the bin/ scripts (sourced, not run). The scripts cd to the repository root first.

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

# Compile locale/*.po into .mo where the .mo is missing or older, if GNU gettext's msgfmt is installed.
# Run from locale/ so Django's compilemessages does not walk .venv looking for catalogues.
compile_messages() {
    [[ -d locale ]] || return 0
    local po stale=0
    while IFS= read -r po; do
        if [[ "$po" -nt "${po%.po}.mo" ]]; then stale=1; fi
    done < <(find locale -name '*.po')
    [[ $stale -eq 1 ]] || return 0
    if ! command -v msgfmt >/dev/null 2>&1; then
        say "warning: locale/ has .po files newer than their .mo, and msgfmt (gettext) is not installed"
        return 0
    fi
    say "Compiling translations"
    # The test settings: compiling needs no secret key, whatever the caller's environment holds.
    (cd locale && DJANGO_SETTINGS_MODULE=communityops.settings_test \
        "$OLDPWD/.venv/bin/python" "$OLDPWD/manage.py" compilemessages -v 0)
}

# port_is_free HOST PORT: return when gunicorn could bind HOST:PORT; otherwise say which process listens
# there (when /proc shows it: our own processes, or any as root) and exit 1. Needs .venv's Python only.
port_is_free() {
    .venv/bin/python - "$1" "$2" <<'PY' || exit 1
import os
import socket
import sys

host, port = sys.argv[1], int(sys.argv[2])
try:
    family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
except socket.gaierror as error:
    sys.exit(f"bin/demo: HOST={host}: {error}")
with socket.socket(family, kind, proto) as probe:
    # As gunicorn binds: SO_REUSEADDR, so the closing connections of a demo stopped a moment ago do not count.
    probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        probe.bind(address)
        sys.exit(0)
    except OSError as error:
        reason = error.strerror


def listening_inodes() -> set[str]:
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = open(table).read().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == "0A":  # 0A: LISTEN
                inodes.add(fields[9])
    return inodes


def holders(inodes: set[str]) -> list[str]:
    found = []
    wanted = {f"socket:[{inode}]" for inode in inodes}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if not any(os.readlink(f"/proc/{pid}/fd/{fd}") in wanted for fd in os.listdir(f"/proc/{pid}/fd")):
                continue
            command = open(f"/proc/{pid}/cmdline", "rb").read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue  # gone, or another user's
        found.append(f"pid {pid}: {' '.join(command.split())[:150]}")
    return found


who = holders(listening_inodes())
lines = [f"bin/demo: {host}:{port} is taken ({reason}); nothing was started and no log was touched."]
if who:
    lines += ["It is held by:", *(f"  {holder}" for holder in who[:5])]
else:
    lines.append("The process that holds it is not visible to this user.")
lines.append(f"Stop it (another bin/demo? press Ctrl-C in its terminal), or choose another port: PORT={port + 1} bin/demo")
sys.exit("\n".join(lines))
PY
}
