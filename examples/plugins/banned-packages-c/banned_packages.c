/*
 * banned-packages, as a sandboxed WASM plugin written in C on the C SDK (bomhost.h): flag
 * components whose purl starts with a banned prefix listed in the manifest's
 * [plugin.config] banned = [...].
 *
 * The twin of examples/plugins/banned-packages-wasm (Rust) and banned-packages (Python): the same
 * findings, checked by tests/plugins/wasm/test_c_example.py. Kind "banned", severity "error",
 * rule_id "banned/<prefix>", message "<purl> matches banned prefix <prefix>", byte-wise prefix
 * match on the purl string; a component without a purl never matches. It calls no host
 * function, so it imports none and loads under the default policy.
 */
#include "bomhost.h"

static void banned_packages(const bh_call *call, bh_out *out) {
    size_t purl_len;
    char *purl = bh_strn(call->json, bh_find(call->json, call->component, "purl"), &purl_len);
    if (!purl) return;
    int banned = bh_find(call->json, call->config, "banned");
    for (int i = 0; i < bh_len(call->json, banned); i++) {
        size_t n;
        char *prefix = bh_strn(call->json, bh_item(call->json, banned, i), &n);
        if (!prefix || n == 0 || n > purl_len || memcmp(purl, prefix, n) != 0) continue;
        bh_finding(out, "banned", BH_ERROR, bh_printf("banned/%s", prefix),
                   bh_printf("%s matches banned prefix %s", purl, prefix));
    }
}

BOMHOST_PLUGIN(banned_packages)
