#!/bin/sh
# Answers with the bytes of $RESPONSE_FILE and exits with $RESPONSE_STATUS (default 0):
# one plugin to play every response case of the compat tests.
cat > /dev/null
cat "$RESPONSE_FILE"
echo "a log line on stderr" >&2
exit "${RESPONSE_STATUS:-0}"
