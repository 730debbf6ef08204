/*
 * The runtime-contract test plugin (tests/plugins/contract.py) in C, on the C SDK: the twin of
 * tests/assets/rust/contract-plugin. What it answers is chosen by the component's name:
 *
 * finding-N: N findings | none: no findings | garbage: not JSON | badshape: a finding without
 * its fields | crash: a trap | sleep: a busy loop until the wall-clock budget stops it |
 * flood: 8 MiB of output.
 *
 * A batch request is answered item by item by the SDK (each finding names its item); the first
 * item that crashes, sleeps or writes garbage does so for the whole call, and `stranger` adds a
 * finding for a component that was not sent.
 */
#include "bomhost.h"

static const bh_severity severities[3] = {BH_INFO, BH_WARNING, BH_ERROR};

static void finding(bh_out *out, const char *owner, int i, const char *purl) {
    bh_finding_for(out, owner, "test", severities[i % 3], bh_printf("test/%d", i),
                   bh_printf("%s #%d", purl, i));
}

/* Burn time without end; only the host's wall-clock (or fuel) budget can stop it. */
static void spin(void) {
    volatile uint64_t x = 1;
    for (;;) x = x * 6364136223846793005ULL + 1;
}

static void behave(const bh_call *call, bh_out *out) {
    char *name = bh_field(call, "name");
    char *purl = bh_field(call, "purl");
    if (!name) name = "";
    if (!purl || !*purl) purl = name;
    if (strncmp(name, "finding-", 8) == 0) {
        int n = atoi(name + 8);
        for (int i = 0; i < n; i++) finding(out, out->id, i, purl);
    } else if (strcmp(name, "garbage") == 0) {
        bh_raw(out, "this is not json\n", 17);
    } else if (strcmp(name, "badshape") == 0) {
        static const char bad[] = "{\"findings\": [{\"kind\": \"x\"}]}\n";
        bh_raw(out, bad, sizeof bad - 1);
    } else if (strcmp(name, "flood") == 0) {
        size_t n = 8 * 1024 * 1024;
        char *x = malloc(n);
        if (x) memset(x, 'x', n);
        bh_raw(out, x ? x : "", x ? n : 0);
    } else if (strcmp(name, "crash") == 0) {
        __builtin_trap();
    } else if (strcmp(name, "sleep") == 0) {
        spin();
    } else if (strcmp(name, "stranger") == 0 && out->id) {
        finding(out, "pkg:npm/never-sent@0", 0, "pkg:npm/never-sent@0");
    }
}

BOMHOST_PLUGIN(behave)
