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
