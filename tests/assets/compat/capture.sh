#!/bin/sh
# A bomdrift-style shell plugin: read the request with cat, answer with echo.
# For the compat tests it also keeps what it saw: the request bytes, its argument count,
# its working directory and one inherited variable, one file set per call ($$ is unique).
cat > "$CAPTURE_DIR/$$.request"
printf '%s\n%s\n%s\n' "$#" "$(pwd)" "$COMPAT_MARKER" > "$CAPTURE_DIR/$$.process"
echo '{"findings":[{"kind":"banned","message":"left-pad is banned","severity":"warning","rule_id":"banned/left-pad"}]}'
